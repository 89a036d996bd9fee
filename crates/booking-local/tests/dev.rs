//! The development routes (`/api/dev/outbox`, `/api/dev/ledger`) are for admins only: they
//! show every email and every movement of money.
#![allow(clippy::unwrap_used)] // a test harness: a panic is a failed test

use std::sync::Arc;

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Method, Request, StatusCode, header},
};
use booking_api::JwtConfig;
use booking_core::{booking::BookingConfig, ports::SystemClock};
use booking_local::{Local, demo, dev, router};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// booking-local's router over fresh in-memory state with the demo accounts.
async fn local() -> Router {
    let outbox = dev::Outbox::default();
    let jwt = JwtConfig::from_vars(|_| None, Some(vec![7; 32])).unwrap();
    let queue = Arc::new(outbox.clone());
    let local = Local::in_memory(
        std::sync::Arc::new(booking_core::payment::SimulatedGateway::default()),
        jwt,
        queue,
        BookingConfig::default(),
        0.0,
        Arc::new(SystemClock),
    );
    demo::seed(&local, &|_| None).await.unwrap();
    router(&local, outbox)
}

/// Sends a request from a loopback peer (what booking-local's server attaches) and returns
/// the status, the headers and the JSON body.
async fn send(router: &Router, mut req: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    let peer = std::net::SocketAddr::from(([127, 0, 0, 1], 40000));
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    let res = router.clone().oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, serde_json::from_slice(&bytes).unwrap())
}

/// Logs a demo account in and returns its token.
async fn token(router: &Router, email: &str, password: &str) -> String {
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"email": email, "password": password}).to_string(),
        ))
        .unwrap();
    let (status, _, body) = send(router, req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

async fn get(router: &Router, uri: &str, token: Option<&str>) -> (StatusCode, HeaderMap, Value) {
    let mut req = Request::builder().uri(uri);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    send(router, req.body(Body::empty()).unwrap()).await
}

/// Asserts that a response is a problem (RFC 9457) of this status.
fn assert_problem(response: &(StatusCode, HeaderMap, Value), expected: StatusCode, uri: &str) {
    let (status, headers, body) = response;
    assert_eq!(*status, expected, "{uri}: {body}");
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/problem+json",
        "{uri}"
    );
    assert_eq!(body["status"], expected.as_u16(), "{uri}");
}

#[tokio::test]
async fn the_outbox_and_the_ledger_are_for_admins_only() {
    // Given booking-local with its demo admin and customer signed in
    let router = local().await;
    let admin = token(&router, "admin@example.com", "change-me-admin-123").await;
    let customer = token(&router, "customer@example.com", "change-me-customer-123").await;

    for uri in ["/api/dev/outbox", "/api/dev/ledger"] {
        // When they are read without a token, Then it is a 401 problem
        let anonymous = get(&router, uri, None).await;
        assert_problem(&anonymous, StatusCode::UNAUTHORIZED, uri);

        // When a customer reads them, Then it is a 403 problem
        let by_customer = get(&router, uri, Some(&customer)).await;
        assert_problem(&by_customer, StatusCode::FORBIDDEN, uri);

        // When an admin reads them, Then they are the JSON lists, which no cache may keep
        let (status, headers, body) = get(&router, uri, Some(&admin)).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/json", "{uri}");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store", "{uri}");
        assert!(body.is_array(), "{uri}: {body}");
    }
}
