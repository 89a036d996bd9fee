//! booking-local's HTTP/1.1 server: the axum router behind hyper, with the limits API
//! Gateway applies on AWS, so that slow or idle sockets cannot hold the process's file
//! descriptors and lock everyone else out.
//!
//! - A request head must be complete within [`Limits::head_timeout`] of the connection
//!   opening, or of the first byte of the next request on a kept-alive connection.
//! - A kept-alive connection that sends nothing for [`Limits::idle_timeout`] is closed.
//! - A request, body included, must be read and answered within
//!   [`Limits::request_timeout`] of its head; otherwise it is answered 408 and the
//!   connection closed. A body that trickles in is cut off the same way. The handler is
//!   dropped at that point, as tower-http's `TimeoutLayer` would drop it; booking-local's
//!   slowest handler (a booking, with its payment retries) takes a few seconds.
//! - At most [`Limits::max_connections`] are open at once; beyond that, new connections
//!   wait in the listen backlog until one closes.
//!
//! hyper's own `header_read_timeout` is not used: it restarts as soon as a response is
//! sent, so it would close kept-alive connections after the head timeout rather than the
//! idle one. Instead each connection tracks its [`Phase`] and is dropped when the deadline
//! of its current phase passes.
//!
//! Every request carries the socket's peer address as the extension
//! `axum::extract::ConnectInfo<std::net::SocketAddr>`, as
//! `into_make_service_with_connect_info` would insert it.

use std::{
    convert::Infallible,
    future::{Future, poll_fn},
    io,
    net::SocketAddr,
    pin::{Pin, pin},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    Router,
    extract::ConnectInfo,
    http::{HeaderValue, Request, header},
    response::{IntoResponse, Response},
};
use booking_api::{Problem, cache::NO_STORE};
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{Semaphore, watch},
    time::{Instant, sleep_until},
};
use tower::ServiceExt;

/// How long a client may take, and how many may be connected at once. The defaults are
/// production's; tests pass small ones.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// From a connection's opening, or the first byte of its next request, to the end of
    /// the request head.
    pub head_timeout: Duration,
    /// Between requests on a kept-alive connection.
    pub idle_timeout: Duration,
    /// From the end of the head to the response, the body's reading included.
    pub request_timeout: Duration,
    /// Open connections; accepting pauses at this many.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            head_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
            max_connections: 1024,
        }
    }
}

/// Serves `router` on `listener` within `limits` until `shutdown` completes; then stops
/// accepting, lets the requests in flight finish, and returns once every connection has
/// closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let all = u32::try_from(limits.max_connections)
        .ok()
        .filter(|&n| n > 0 && limits.max_connections <= Semaphore::MAX_PERMITS)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "max_connections must be at least 1 (and fit a u32)",
            )
        })?;
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopping) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let slot = tokio::select! {
            biased;
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break, // the semaphore is never closed
            },
        };
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
        };
        let connection = connection(stream, peer, router.clone(), limits, stopping.clone());
        tokio::spawn(async move {
            connection.await;
            drop(slot);
        });
    }
    drop(listener);
    // Dropping the sender tells every connection to finish its request and close.
    drop(stop);
    // Every slot back means every connection has closed.
    let _all_closed = slots.acquire_many(all).await;
    Ok(())
}

/// A client that gave up before it was accepted needs nothing; anything else (out of file
/// descriptors, say) is logged and waited out rather than retried in a busy loop.
async fn accept_failed(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
    ) {
        return;
    }
    tracing::error!(error = %e, "accept failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// How a connection ended.
enum Outcome {
    Closed(Result<(), hyper::Error>),
    TimedOut(&'static str),
    Stopped,
}

/// Serves one connection until it closes, its phase's deadline passes, or the server stops.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: Limits,
    mut stopping: watch::Receiver<()>,
) {
    // Small JSON answers: do not let Nagle's algorithm hold them back.
    let _ = stream.set_nodelay(true);
    let phases = Arc::new(Phases::new(limits));
    let io = TokioIo::new(Watched {
        stream,
        phases: phases.clone(),
    });
    let service = {
        let phases = phases.clone();
        service_fn(move |mut req: Request<Incoming>| {
            phases.request_started();
            req.extensions_mut().insert(ConnectInfo(peer));
            let (router, phases) = (router.clone(), phases.clone());
            async move {
                let res =
                    match tokio::time::timeout(limits.request_timeout, router.oneshot(req)).await {
                        Ok(Ok(res)) => res,
                        Ok(Err(infallible)) => match infallible {},
                        Err(_) => request_timed_out(),
                    };
                phases.response_ready();
                Ok::<_, Infallible>(res)
            }
        })
    };
    // No hyper timer: its own header timeout stays off (see the module docs).
    let mut conn = pin!(http1::Builder::new().serve_connection(io, service));
    let mut stop = pin!(async move {
        // Err: the sender is gone, which is the signal.
        let _ = stopping.changed().await;
    });
    let mut stopped = false;
    let mut deadline = pin!(sleep_until(Instant::now()));
    let outcome = poll_fn(|cx: &mut Context<'_>| {
        if !stopped && stop.as_mut().poll(cx).is_ready() {
            stopped = true;
            // hyper finishes the request in flight, then closes; an idle one closes now.
            conn.as_mut().graceful_shutdown();
        }
        if let Poll::Ready(closed) = conn.as_mut().poll(cx) {
            return Poll::Ready(Outcome::Closed(closed));
        }
        // The phase only changes while `conn` is polled (reads, the service), so checking
        // it here, after every poll, never misses a new deadline.
        let (at, what) = match phases.current() {
            // Stopping, and no whole request head has arrived: nothing to finish.
            Phase::Head(_) if stopped => return Poll::Ready(Outcome::Stopped),
            Phase::Head(at) => (at, "request head"),
            Phase::Idle(at) => (at, "idle keep-alive"),
            Phase::Busy => return Poll::Pending,
        };
        if deadline.deadline() != at {
            deadline.as_mut().reset(at);
        }
        match deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Outcome::TimedOut(what)),
            Poll::Pending => Poll::Pending,
        }
    })
    .await;
    match outcome {
        Outcome::Closed(Ok(())) | Outcome::Stopped => {}
        Outcome::Closed(Err(e)) => tracing::debug!(%peer, error = %e, "connection failed"),
        Outcome::TimedOut(what) => tracing::debug!(%peer, what, "connection timed out"),
    }
}

/// A request that outlived its deadline: 408, and the connection is closed after it.
fn request_timed_out() -> Response {
    let mut res = Problem::request_timeout().into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_STORE));
    res
}

/// Where a connection is between requests, and until when it may stay there.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for a complete request head: since the connection opened, or since the
    /// first byte of the next request arrived.
    Head(Instant),
    /// Between requests on a kept-alive connection, nothing of the next one received.
    Idle(Instant),
    /// A request is being read and answered; the request timeout bounds it.
    Busy,
}

/// A connection's [`Phase`], moved on by its reads and its service.
struct Phases {
    phase: Mutex<Phase>,
    limits: Limits,
}

impl Phases {
    fn new(limits: Limits) -> Self {
        Phases {
            phase: Mutex::new(Phase::Head(after(limits.head_timeout))),
            limits,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn current(&self) -> Phase {
        *self.lock()
    }

    fn bytes_received(&self) {
        let mut phase = self.lock();
        if let Phase::Idle(_) = *phase {
            *phase = Phase::Head(after(self.limits.head_timeout));
        }
    }

    fn request_started(&self) {
        *self.lock() = Phase::Busy;
    }

    fn response_ready(&self) {
        *self.lock() = Phase::Idle(after(self.limits.idle_timeout));
    }
}

/// `now + duration`, saturating at a year for durations that would overflow.
fn after(duration: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(duration)
        .unwrap_or_else(|| now + Duration::from_secs(365 * 24 * 3600))
}

/// The socket, telling [`Phases`] when bytes arrive.
struct Watched {
    stream: TcpStream,
    phases: Arc<Phases>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.phases.bytes_received();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
