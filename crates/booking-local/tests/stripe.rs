//! booking-local paying through Stripe: its router over the in-memory stores with the
//! gateway `STRIPE_SECRET_KEY` and `STRIPE_API_BASE` select, against localstripe, which
//! `scripts/test stripe` starts on loopback. Ignored in a plain `cargo test`.
#![allow(clippy::unwrap_used)] // a test harness: a panic is a failed test

use std::sync::Arc;

use axum::{
    Router,
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use booking_api::JwtConfig;
use booking_core::{booking::BookingConfig, payment::GatewayKind, ports::SystemClock};
use booking_local::{Local, demo, dev, router};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tower::ServiceExt;

const KEY: &str = "sk_test_booking_local";

fn base() -> String {
    std::env::var("STRIPE_API_BASE").expect("STRIPE_API_BASE (scripts/test stripe sets it)")
}

async fn send(
    router: &Router,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Value,
) -> (StatusCode, Value) {
    let peer = std::net::SocketAddr::from(([127, 0, 0, 1], 40000));
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .header("Idempotency-Key", "stripe-booking-1");
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let body = if body.is_null() {
        Body::empty()
    } else {
        Body::from(body.to_string())
    };
    let mut req = req.body(body).unwrap();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// `GET path` on localstripe, as an operator reading the Stripe dashboard would.
async fn stripe_get(path: &str) -> Value {
    let base = base();
    let addr = base.strip_prefix("http://").unwrap().trim_end_matches('/');
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {KEY}\r\nConnection: close\r\n\r\n"
    );
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    serde_json::from_str(answer.split_once("\r\n\r\n").unwrap().1).unwrap()
}

#[tokio::test]
#[ignore = "needs localstripe (scripts/test stripe)"]
async fn a_booking_with_stripe_configured_is_paid_through_stripe() {
    // Given booking-local with a Stripe key, as its main builds it
    let var = |k: &str| match k {
        "STRIPE_SECRET_KEY" => Some(KEY.to_owned()),
        "STRIPE_API_BASE" => Some(base()),
        _ => None,
    };
    let gateway = booking_local::gateway(&var).unwrap();
    assert_eq!(gateway.kind(), GatewayKind::Stripe);
    let outbox = dev::Outbox::default();
    let jwt = JwtConfig::from_vars(|_| None, Some(vec![7; 32])).unwrap();
    let local = Local::in_memory(
        gateway,
        jwt,
        Arc::new(outbox.clone()),
        BookingConfig::default(),
        0.0,
        Arc::new(SystemClock),
    );
    let accounts = demo::seed(&local, &|_| None).await.unwrap();
    let app = router(&local, outbox);
    let (_, email, password) = accounts
        .iter()
        .find(|(role, _, _)| *role == "customer")
        .unwrap();
    let (status, login) = send(
        &app,
        Method::POST,
        "/api/auth/login",
        None,
        json!({"email": email, "password": password}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{login}");
    let token = login["token"].as_str().unwrap();

    // And a free slot of the first service within the coming week
    let (_, services) = send(&app, Method::GET, "/api/services", None, Value::Null).await;
    let service = &services["items"][0];
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let (from, to) = (
        today.tomorrow().unwrap(),
        today.checked_add(jiff::Span::new().days(8)).unwrap(),
    );
    let uri = format!(
        "/api/services/{}/availability?from={from}&to={to}",
        service["id"].as_str().unwrap()
    );
    let (status, availability) = send(&app, Method::GET, &uri, None, Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{availability}");
    let start = availability["slots"][0]["start"].as_str().unwrap();

    // When the customer books it with Stripe's test card token
    let (status, booked) = send(
        &app,
        Method::POST,
        "/api/reservations",
        Some(token),
        json!({"serviceId": service["id"], "start": start, "paymentMethod": "pm_card_visa"}),
    )
    .await;

    // Then it is confirmed, paid by a Stripe charge
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    assert_eq!(booked["status"], "CONFIRMED");
    let charge = booked["payment"]["reference"].as_str().unwrap();
    assert!(charge.starts_with("ch_"), "{booked}");
    // And in Stripe, the reservation's PaymentIntent is captured for the service's price
    let id = booked["id"].as_str().unwrap();
    let intents = stripe_get("/v1/payment_intents").await;
    let intent = intents["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|pi| pi["metadata"]["reservationId"] == id)
        .unwrap_or_else(|| panic!("no PaymentIntent for {id}: {intents}"));
    assert_eq!(intent["status"], "succeeded");
    assert_eq!(intent["amount"], service["priceMinor"]);
    assert_eq!(intent["capture_method"], "manual");
}
