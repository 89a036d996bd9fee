//! booking-local's server over real sockets on 127.0.0.1: the head, idle and request
//! timeouts, the connection cap, graceful shutdown, and the peer address handed to
//! handlers. The limits are small here; each assert allows far more time than the limit
//! (a 200 ms timeout must close within 5 s), so a slow machine cannot fail them.
#![allow(clippy::unwrap_used)] // a test harness: a panic is a failed test

use std::{io::ErrorKind, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Router,
    extract::ConnectInfo,
    routing::{get, post},
};
use booking_local::server::{Limits, serve};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::{Notify, oneshot},
    task::JoinHandle,
    time::{sleep, timeout},
};

/// Far more than any small limit below: what "eventually" means in these tests.
const PATIENCE: Duration = Duration::from_secs(5);
/// Long enough never to be reached during a test.
const NEVER: Duration = Duration::from_secs(600);
const SMALL: Duration = Duration::from_millis(200);

const GET_PEER: &[u8] = b"GET /peer HTTP/1.1\r\nHost: test\r\n\r\n";

struct Server {
    addr: SocketAddr,
    /// Notified when `GET /slow` starts.
    slow_started: Arc<Notify>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

fn limits(head: Duration, idle: Duration, request: Duration, max: usize) -> Limits {
    Limits {
        head_timeout: head,
        idle_timeout: idle,
        request_timeout: request,
        max_connections: max,
    }
}

/// `GET /peer` answers the peer address the handler sees, `POST /echo` the body it read,
/// `GET /slow` answers after 300 ms.
async fn start(limits: Limits) -> Server {
    let slow_started = Arc::new(Notify::new());
    let started = slow_started.clone();
    let routes = Router::new()
        .route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }),
        )
        .route("/echo", post(|body: String| async move { body }))
        .route(
            "/slow",
            get(move || async move {
                started.notify_one();
                sleep(Duration::from_millis(300)).await;
                "done"
            }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, routes, limits, async move {
        let _ = stopped.await;
    }));
    Server {
        addr,
        slow_started,
        stop: Some(stop),
        task,
    }
}

async fn connect(server: &Server) -> TcpStream {
    TcpStream::connect(server.addr).await.unwrap()
}

/// A connection that has been served once and is kept alive.
async fn served(server: &Server) -> TcpStream {
    let mut client = connect(server).await;
    client.write_all(GET_PEER).await.unwrap();
    assert_eq!(response(&mut client).await.0, 200);
    client
}

/// Reads one response (head and Content-Length body); panics if it takes over PATIENCE.
async fn response(stream: &mut TcpStream) -> (u16, String) {
    let read = async {
        let mut bytes = Vec::new();
        let mut chunk = [0; 4096];
        loop {
            let n = stream.read(&mut chunk).await.unwrap();
            assert!(
                n > 0,
                "closed mid-response: {:?}",
                String::from_utf8_lossy(&bytes)
            );
            bytes.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&bytes).into_owned();
            if let Some(end) = text.find("\r\n\r\n") {
                let head = text[..end].to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map_or(0, |v| v.trim().parse().unwrap());
                if bytes.len() >= end + 4 + length {
                    let status = text[9..12].parse().unwrap();
                    return (status, text[end + 4..end + 4 + length].to_owned());
                }
            }
        }
    };
    timeout(PATIENCE, read).await.expect("no response in time")
}

/// Waits until the server closes the connection (end of stream or reset) and returns what
/// it sent before; panics if it is still open after PATIENCE.
async fn closed(stream: &mut (impl AsyncRead + Unpin)) -> String {
    let read = async {
        let mut bytes = Vec::new();
        let mut chunk = [0; 4096];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) => break,
                Ok(n) => bytes.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
                Err(e) => panic!("{e}"),
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    };
    timeout(PATIENCE, read)
        .await
        .expect("the connection is still open")
}

#[tokio::test]
async fn a_normal_request_is_served_and_its_handler_sees_the_peer_address() {
    // Given a server with the production limits
    let server = start(Limits::default()).await;
    let mut client = connect(&server).await;

    // When a client asks twice on one connection
    for _ in 0..2 {
        client.write_all(GET_PEER).await.unwrap();
        // Then each answer is 200 and the handler saw the client's own address
        let (status, body) = response(&mut client).await;
        assert_eq!(status, 200);
        assert_eq!(body, client.local_addr().unwrap().to_string());
    }
}

#[tokio::test]
async fn a_socket_that_sends_half_a_request_head_is_closed_after_the_head_timeout() {
    // Given a 200 ms head timeout (and idle and request timeouts that never strike)
    let server = start(limits(SMALL, NEVER, NEVER, 16)).await;
    let mut half = connect(&server).await;
    let mut silent = connect(&server).await;

    // When one client sends half a request head and another nothing at all
    half.write_all(b"GET /peer HTTP/1.1\r\nHost: te")
        .await
        .unwrap();

    // Then both are closed, with at most a 408 said
    for client in [&mut half, &mut silent] {
        let said = closed(client).await;
        assert!(
            said.is_empty() || said.starts_with("HTTP/1.1 408"),
            "{said}"
        );
    }
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    // Given a 200 ms idle timeout (and head and request timeouts that never strike)
    let server = start(limits(NEVER, SMALL, NEVER, 16)).await;

    // When a request is answered and the client then sends nothing
    let mut client = served(&server).await;

    // Then the server closes the connection without another word
    assert_eq!(closed(&mut client).await, "");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_outlives_the_head_timeout() {
    // Given a 200 ms head timeout and an idle timeout that never strikes
    let server = start(limits(SMALL, NEVER, NEVER, 16)).await;
    let mut client = served(&server).await;

    // When the kept-alive connection waits five head timeouts before its next request
    sleep(5 * SMALL).await;
    client.write_all(GET_PEER).await.unwrap();

    // Then that request is still served: waiting between requests is idling, not a slow head
    assert_eq!(response(&mut client).await.0, 200);
}

#[tokio::test]
async fn a_request_whose_body_stops_halfway_is_answered_408_after_the_request_timeout() {
    // Given a 200 ms request timeout (and head and idle timeouts that never strike)
    let server = start(limits(NEVER, NEVER, SMALL, 16)).await;
    let mut client = connect(&server).await;

    // When a client sends half the body it announced, then nothing more
    client
        .write_all(b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nhalf")
        .await
        .unwrap();

    // Then it is told 408, as a problem no cache keeps, and the connection is closed
    let said = closed(&mut client).await;
    let (head, body) = said.split_once("\r\n\r\n").unwrap();
    let head = head.to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 408"), "{said}");
    assert!(
        head.contains("content-type: application/problem+json"),
        "{said}"
    );
    assert!(head.contains("cache-control: no-store"), "{said}");
    assert!(head.contains("connection: close"), "{said}");
    assert!(body.contains("\"status\":408"), "{said}");
}

#[tokio::test]
async fn a_request_whose_body_trickles_in_is_cut_off_after_the_request_timeout() {
    // Given a 200 ms request timeout (and head and idle timeouts that never strike)
    let server = start(limits(NEVER, NEVER, SMALL, 16)).await;
    let client = connect(&server).await;
    let (mut reader, mut writer) = client.into_split();

    // When a client announces 1000 bytes of body and sends one every 50 ms
    let trickle = tokio::spawn(async move {
        let head = b"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n";
        writer.write_all(head).await?;
        for _ in 0..1000 {
            writer.write_all(b"x").await?;
            sleep(Duration::from_millis(50)).await;
        }
        Ok::<_, std::io::Error>(())
    });

    // Then the server stops it, long before the body could be complete, with at most a 408
    let said = closed(&mut reader).await;
    assert!(
        said.is_empty() || said.starts_with("HTTP/1.1 408"),
        "{said}"
    );
    trickle.abort();
}

#[tokio::test]
async fn beyond_the_connection_cap_a_new_connection_waits_until_one_closes() {
    // Given a cap of two connections, both taken by served, kept-alive clients
    let server = start(limits(NEVER, NEVER, NEVER, 2)).await;
    let first = served(&server).await;
    let second = served(&server).await;

    // When a third client connects and asks
    let mut third = connect(&server).await;
    third.write_all(GET_PEER).await.unwrap();

    // Then it is not served while the two stay open
    let mut byte = [0; 1];
    assert!(
        timeout(Duration::from_millis(500), third.read(&mut byte))
            .await
            .is_err(),
        "the third connection was served beyond the cap"
    );

    // When one of the two closes, Then the third is served
    drop(first);
    let (status, body) = response(&mut third).await;
    assert_eq!(status, 200);
    assert_eq!(body, third.local_addr().unwrap().to_string());
    drop(second);
}

#[tokio::test]
async fn shutdown_lets_the_request_in_flight_finish_then_stops_accepting() {
    // Given a request in flight on a server
    let mut server = start(Limits::default()).await;
    let mut client = connect(&server).await;
    client
        .write_all(b"GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    timeout(PATIENCE, server.slow_started.notified())
        .await
        .expect("the slow request did not start");

    // When the server is told to stop
    server.stop.take().unwrap().send(()).unwrap();

    // Then the request still gets its answer, the server stops, and nobody else gets in
    assert_eq!(response(&mut client).await, (200, "done".to_owned()));
    timeout(PATIENCE, &mut server.task)
        .await
        .expect("the server did not stop")
        .unwrap()
        .unwrap();
    assert!(TcpStream::connect(server.addr).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_the_connections_without_a_request_in_flight() {
    // Given a server with a kept-alive connection between requests and a silent one,
    // and head and idle timeouts that never strike
    let mut server = start(limits(NEVER, NEVER, NEVER, 16)).await;
    let mut kept = served(&server).await;
    let mut silent = connect(&server).await;
    sleep(Duration::from_millis(100)).await;

    // When the server is told to stop
    server.stop.take().unwrap().send(()).unwrap();

    // Then both are closed and the server stops
    assert_eq!(closed(&mut kept).await, "");
    assert_eq!(closed(&mut silent).await, "");
    timeout(PATIENCE, &mut server.task)
        .await
        .expect("the server did not stop")
        .unwrap()
        .unwrap();
}
