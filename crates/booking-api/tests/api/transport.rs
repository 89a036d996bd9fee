//! Transport limits (body size, content type, methods), routing per function, and caching.

use crate::common::{World, assert_problem, haircut};
use axum::{
    Router,
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use booking_api::{auth_router, reservations_router, services_router};
use booking_core::ids::ServiceId;
use serde_json::json;

// ---------- transport limits ----------

#[tokio::test]
async fn malformed_oversized_and_mistyped_bodies_are_refused() {
    let w = World::new();
    let malformed = w
        .raw(
            Method::POST,
            "/api/auth/login",
            "application/json",
            r#"{"email": "#,
        )
        .await;
    assert_problem(&malformed, StatusCode::BAD_REQUEST, Some("body"));
    let big = format!(
        r#"{{"email": "a@example.com", "password": "{}", "name": "x"}}"#,
        "x".repeat(70 * 1024)
    );
    let r = w
        .raw(Method::POST, "/api/auth/register", "application/json", big)
        .await;
    assert_problem(&r, StatusCode::PAYLOAD_TOO_LARGE, None);
    let text = w
        .raw(Method::POST, "/api/auth/login", "text/plain", "{}")
        .await;
    assert_problem(&text, StatusCode::UNSUPPORTED_MEDIA_TYPE, None);
    let unknown = w
        .raw(
            Method::POST,
            "/api/auth/login",
            "application/json",
            r#"{"email": "a@example.com", "password": "x", "admin": true}"#,
        )
        .await;
    assert_problem(&unknown, StatusCode::BAD_REQUEST, Some("admin"));
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems_too() {
    let w = World::new();
    assert_problem(
        &w.call(Method::GET, "/api/nope", None, None).await,
        StatusCode::NOT_FOUND,
        None,
    );
    assert_problem(
        &w.call(Method::DELETE, "/api/settings", None, None).await,
        StatusCode::METHOD_NOT_ALLOWED,
        None,
    );
    assert_eq!(
        w.call(Method::GET, "/api/health", None, None).await.body,
        json!({"status": "ok"})
    );
}

#[tokio::test]
async fn each_function_serves_only_its_own_routes() {
    let w = World::new();
    let auth = || auth_router(w.state.auth.clone());
    let services = || services_router(w.state.services.clone());
    let reserve = || reservations_router(w.state.reservations.clone());
    let cases: [(&str, Router, &str, StatusCode); 6] = [
        ("auth", auth(), "/api/services", StatusCode::NOT_FOUND),
        ("auth", auth(), "/api/auth/me", StatusCode::UNAUTHORIZED),
        ("services", services(), "/api/services", StatusCode::OK),
        (
            "services",
            services(),
            "/api/auth/me",
            StatusCode::NOT_FOUND,
        ),
        (
            "reserve",
            reserve(),
            "/api/reservations",
            StatusCode::UNAUTHORIZED,
        ),
        ("reserve", reserve(), "/api/services", StatusCode::NOT_FOUND),
    ];
    for (function, router, path, expected) in cases {
        let get = Request::builder().uri(path).body(Body::empty()).unwrap();
        let status = w.send_to(router, get).await.status;
        assert_eq!(status, expected, "{function} GET {path}");
    }
}

// ---------- caching ----------

/// The `Cache-Control` of a reply, or "(none)".
fn cache_control(r: &crate::common::Reply) -> &str {
    r.headers
        .get(header::CACHE_CONTROL)
        .map_or("(none)", |v| v.to_str().unwrap())
}

#[tokio::test]
async fn every_answer_that_depends_on_the_caller_says_no_store() {
    // Given an admin, a customer with a booking, and a service
    let (w, admin) = World::open().await;
    let customer = w.customer().await;
    let service = w.service(&admin, haircut()).await;
    let monday = "2026-11-30T10:00:00+01:00";
    let booked = w
        .book(&customer, &service, monday, "pm_card_visa", "key-1")
        .await;
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.body);
    let reservation = booked.body["id"].as_str().unwrap().to_owned();
    let period = "from=2026-11-28&to=2026-12-31";

    // When each personal route is called (and the registration and login themselves)
    let mut replies = vec![
        ("register", w.register("new@example.com").await),
        (
            "login",
            w.login("customer@example.com", "a long passphrase").await,
        ),
        ("booking", booked),
    ];
    for (what, token, uri) in [
        ("me", &customer, "/api/auth/me".to_owned()),
        ("users", &admin, "/api/users".to_owned()),
        ("reservations", &customer, "/api/reservations".to_owned()),
        (
            "a reservation",
            &customer,
            format!("/api/reservations/{reservation}"),
        ),
        ("history", &customer, "/api/reservations/history".to_owned()),
        (
            "the summary",
            &admin,
            format!("/api/reports/summary?{period}"),
        ),
        (
            "the report",
            &admin,
            format!("/api/reports/reservations?{period}"),
        ),
        (
            "the CSV report",
            &admin,
            format!("/api/reports/reservations?{period}&format=csv"),
        ),
    ] {
        replies.push((what, w.get(token, &uri).await));
    }

    // Then every answer says no-store
    for (what, r) in &replies {
        assert!(r.status.is_success(), "{what}: {} {}", r.status, r.body);
        assert_eq!(cache_control(r), "no-store", "{what}");
    }
}

#[tokio::test]
async fn errors_and_health_say_no_store() {
    // Given a service
    let (w, service) = World::with_haircut().await;

    // When requests fail in each way (wrong login, no token, bad input, unknown service,
    // route or method), and when health is asked
    let replies = [
        w.login("admin@example.com", "wrong password").await,
        w.call(Method::GET, "/api/auth/me", None, None).await,
        w.raw(Method::POST, "/api/auth/login", "application/json", "{")
            .await,
        w.call(
            Method::GET,
            &format!("/api/services/{}", ServiceId::new()),
            None,
            None,
        )
        .await,
        w.call(
            Method::GET,
            &format!("/api/services/{service}/availability?from=tomorrow"),
            None,
            None,
        )
        .await,
        w.call(Method::GET, "/api/nope", None, None).await,
        w.call(Method::DELETE, "/api/settings", None, None).await,
        w.call(Method::GET, "/api/health", None, None).await,
    ];

    // Then none of them may be stored
    for r in &replies {
        assert_eq!(cache_control(r), "no-store", "{} {}", r.status, r.text);
    }
}

/// The catalogue, one service of it and the settings: public, read with or without a token.
fn catalogue_routes(service: &str) -> [String; 3] {
    [
        "/api/services".to_owned(),
        format!("/api/services/{service}"),
        "/api/settings".to_owned(),
    ]
}

#[tokio::test]
async fn anonymous_catalogue_answers_may_be_cached_briefly_and_availability_is_revalidated() {
    // Given a service
    let (w, service) = World::with_haircut().await;

    // When the catalogue, a service and the settings are read without a token
    for uri in catalogue_routes(&service) {
        let r = w.call(Method::GET, &uri, None, None).await;
        // Then any cache may keep them for a minute, apart from token holders' answers
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert_eq!(cache_control(&r), "public, max-age=60", "{uri}");
        assert_eq!(r.headers[header::VARY], "Authorization", "{uri}");
    }

    // When availability is read without a token
    let uri = format!("/api/services/{service}/availability?from=2026-11-30&to=2026-11-30");
    let r = w.call(Method::GET, &uri, None, None).await;
    // Then a cache must ask again every time, so a booking shows at once
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(cache_control(&r), "no-cache");
}

#[tokio::test]
async fn the_same_catalogue_request_with_a_token_says_no_store() {
    // Given a service and a customer
    let (w, service) = World::with_haircut().await;
    let customer = w.customer().await;

    // When the public routes are read with a token
    let availability =
        format!("/api/services/{service}/availability?from=2026-11-30&to=2026-11-30");
    for uri in catalogue_routes(&service).into_iter().chain([availability]) {
        let r = w.get(&customer, &uri).await;
        // Then the answer is the caller's and is not stored
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert_eq!(cache_control(&r), "no-store", "{uri}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_guesses_at_once_from_one_address_judge_only_five() {
    // Given Ana's account
    let w = World::new();
    w.register("ana@example.com").await;
    // When 29 wrong passwords and the right one arrive at once from one address
    let mut tries = tokio::task::JoinSet::new();
    for i in 0..30 {
        let password = if i == 29 {
            "a long passphrase"
        } else {
            "wrong password"
        };
        let body = json!({"email": "ana@example.com", "password": password});
        let mut req = Request::builder()
            .method(Method::POST)
            .uri("/api/auth/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let peer = std::net::SocketAddr::from(([198, 51, 100, 7], 40000));
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        let app = w.app();
        tries.spawn(async move { tower::ServiceExt::oneshot(app, req).await.unwrap().status() });
    }
    let statuses = tries.join_all().await;
    // Then 25 are refused on arrival and only five are judged at all
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(refused, 25, "{statuses:?}");
}
