//! Handler tests of the auth, users, services and settings routes.
#![allow(clippy::unwrap_used)] // a test harness: a panic is a failed test

mod common;

use std::sync::Arc;

use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use booking_api::{Jwt, JwtConfig, auth_router, services_router};
use booking_core::{ids::ServiceId, ports::Clock, user::Role};
use common::{World, assert_problem, haircut};
use jiff::SignedDuration;
use serde_json::json;

// ---------- registration and login ----------

#[tokio::test]
async fn registering_returns_the_customer_without_secrets() {
    let w = World::new();
    let r = w.register("Ana@Example.com").await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["email"], "ana@example.com");
    assert_eq!(r.body["role"], "customer");
    assert!(r.body.get("passwordHash").is_none() && r.body.get("password").is_none());
    assert_eq!(r.body["id"].as_str().unwrap().len(), 26);
}

#[tokio::test]
async fn a_duplicate_email_is_409_and_weak_passwords_are_400() {
    let w = World::new();
    w.register("ana@example.com").await;
    assert_problem(
        &w.register("ANA@example.com").await,
        StatusCode::CONFLICT,
        Some("email"),
    );
    let short = w
        .call(
            Method::POST,
            "/api/auth/register",
            None,
            Some(json!({"email": "b@example.com", "password": "short", "name": "B"})),
        )
        .await;
    assert_problem(&short, StatusCode::BAD_REQUEST, Some("password"));
    let same = w.call(Method::POST, "/api/auth/register", None, Some(json!({"email": "longer.name@example.com", "password": "longer.name@example.com", "name": "B"}))).await;
    assert_problem(&same, StatusCode::BAD_REQUEST, Some("password"));
    let bad_email = w
        .call(
            Method::POST,
            "/api/auth/register",
            None,
            Some(json!({"email": "nope", "password": "a long passphrase", "name": "B"})),
        )
        .await;
    assert_problem(&bad_email, StatusCode::BAD_REQUEST, Some("email"));
}

#[tokio::test]
async fn blank_and_common_passwords_are_400_saying_why_and_register_no_one() {
    let w = World::new();
    for (password, why) in [
        (
            "          ",
            "must not be only spaces or control characters",
        ),
        (
            "\t\t\t\t\t\u{1}\u{2}\u{3}\u{7f}\n",
            "must not be only spaces or control characters",
        ),
        ("1234567890", "is too common"),
        ("QWERTYUIOP", "is too common"),
    ] {
        // Given a registration whose password is blank or on the common-password list
        let body = json!({"email": "b@example.com", "password": password, "name": "B"});
        // When it is posted
        let r = w
            .call(Method::POST, "/api/auth/register", None, Some(body))
            .await;
        // Then it is a 400 naming the password and why
        assert_problem(&r, StatusCode::BAD_REQUEST, Some("password"));
        assert_eq!(r.body["errors"][0]["reason"], why, "{password:?}");
    }
    // And no account was made: the email is still free
    assert_eq!(
        w.register("b@example.com").await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn login_returns_a_bearer_token_that_me_accepts() {
    let w = World::new();
    w.register("ana@example.com").await;
    let r = w.login("ana@example.com", "a long passphrase").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["tokenType"], "Bearer");
    assert_eq!(r.body["expiresAt"], "2026-11-28T11:00:00Z");
    assert_eq!(r.body["user"]["email"], "ana@example.com");
    let me = w
        .call(Method::GET, "/api/auth/me", r.body["token"].as_str(), None)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["email"], "ana@example.com");
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_401() {
    let w = World::new();
    w.register("ana@example.com").await;
    let wrong = w.login("ana@example.com", "wrong password").await;
    let unknown = w.login("nobody@example.com", "wrong password").await;
    assert_problem(&wrong, StatusCode::UNAUTHORIZED, None);
    assert_eq!(wrong.body, unknown.body);
}

#[tokio::test]
async fn the_sixth_failed_login_within_15_minutes_is_429_with_retry_after() {
    let w = World::new();
    w.register("ana@example.com").await;
    for _ in 0..5 {
        assert_eq!(
            w.login("ana@example.com", "wrong password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let locked = w.login("ana@example.com", "a long passphrase").await;
    assert_problem(&locked, StatusCode::TOO_MANY_REQUESTS, None);
    assert_eq!(locked.headers[header::RETRY_AFTER], "900");
    w.clock.advance(SignedDuration::from_mins(15));
    assert_eq!(
        w.login("ana@example.com", "a long passphrase").await.status,
        StatusCode::OK
    );
}

/// `POST path` with a JSON body from the socket peer `peer`, carrying `headers`.
async fn post_from(
    w: &World,
    peer: &str,
    path: &str,
    body: serde_json::Value,
    headers: &[(&str, &str)],
) -> common::Reply {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut req = req.body(Body::from(body.to_string())).unwrap();
    let addr: std::net::SocketAddr = format!("{peer}:40000").parse().unwrap();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(addr));
    w.send_to(w.app(), req).await
}

/// Ana's login from the socket peer `peer`.
async fn login_from(
    w: &World,
    peer: &str,
    password: &str,
    headers: &[(&str, &str)],
) -> common::Reply {
    let body = json!({"email": "ana@example.com", "password": password});
    post_from(w, peer, "/api/auth/login", body, headers).await
}

#[tokio::test]
async fn failed_logins_lock_one_address_not_the_owner_everywhere() {
    // Given five wrong passwords for Ana from one address
    let w = World::new();
    w.register("ana@example.com").await;
    for _ in 0..5 {
        let r = login_from(&w, "198.51.100.7", "wrong password", &[]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // Then that address is refused even with the right password
    let r = login_from(&w, "198.51.100.7", "a long passphrase", &[]).await;
    assert_problem(&r, StatusCode::TOO_MANY_REQUESTS, None);
    // And Ana signs in from her own address
    let r = login_from(&w, "203.0.113.20", "a long passphrase", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn a_forged_forwarded_for_does_not_change_the_client_address() {
    // Given five failures from one address, each claiming another in X-Forwarded-For
    let w = World::new();
    w.register("ana@example.com").await;
    for i in 0..5 {
        let forged = format!("10.0.0.{i}");
        let r = login_from(
            &w,
            "198.51.100.7",
            "wrong password",
            &[("x-forwarded-for", &forged)],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // Then the socket peer is what counted: it is locked out, whatever it claims
    let r = login_from(
        &w,
        "198.51.100.7",
        "a long passphrase",
        &[("x-forwarded-for", "10.0.0.99")],
    )
    .await;
    assert_problem(&r, StatusCode::TOO_MANY_REQUESTS, None);
}

#[tokio::test]
async fn behind_the_trusted_proxy_the_client_is_the_address_it_appended() {
    // Given booking-local behind a reverse proxy at 127.0.0.1
    let mut w = World::new();
    w.state = w
        .state
        .clone()
        .with_trusted_proxy(Some("127.0.0.1".parse().unwrap()));
    w.register("ana@example.com").await;
    // When five failures arrive through it for one client, each with a forged prefix
    for i in 0..5 {
        let xff = format!("10.0.0.{i}, 198.51.100.7");
        let r = login_from(
            &w,
            "127.0.0.1",
            "wrong password",
            &[("x-forwarded-for", &xff)],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // Then that client is locked out and another client through the same proxy is not
    let r = login_from(
        &w,
        "127.0.0.1",
        "a long passphrase",
        &[("x-forwarded-for", "198.51.100.7")],
    )
    .await;
    assert_problem(&r, StatusCode::TOO_MANY_REQUESTS, None);
    let r = login_from(
        &w,
        "127.0.0.1",
        "a long passphrase",
        &[("x-forwarded-for", "203.0.113.20")],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn registrations_beyond_the_hourly_limit_are_429_with_retry_after() {
    // Given a limit of three registrations per address per hour
    let mut w = World::new();
    let config = booking_core::accounts::AccountsConfig {
        registrations_per_hour: 3,
    };
    w.state.auth = w.state.auth.clone().with_accounts(config);
    let reg = |i: u32| {
        json!({"email": format!("u{i}@example.com"),
        "password": "a long passphrase", "name": "U"})
    };
    for i in 0..3 {
        let r = post_from(&w, "198.51.100.7", "/api/auth/register", reg(i), &[]).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    // Then the fourth from that address waits an hour, and creates no account
    let r = post_from(&w, "198.51.100.7", "/api/auth/register", reg(3), &[]).await;
    assert_problem(&r, StatusCode::TOO_MANY_REQUESTS, None);
    assert_eq!(r.headers[header::RETRY_AFTER], "3600");
    let login = post_from(
        &w,
        "203.0.113.20",
        "/api/auth/login",
        json!({"email": "u3@example.com", "password": "a long passphrase"}),
        &[],
    )
    .await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
    // And another address still registers
    let r = post_from(&w, "203.0.113.20", "/api/auth/register", reg(3), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

#[tokio::test]
async fn a_login_that_finds_every_hashing_slot_busy_is_503_with_retry_after() {
    // Given a pool of one slot that sheds at once, its slot held
    let mut w = World::new();
    w.register("ana@example.com").await;
    w.state.auth = w
        .state
        .auth
        .clone()
        .with_hashing(booking_core::hashing::HashPool::new(
            1,
            std::time::Duration::ZERO,
        ));
    let (release, hold) = std::sync::mpsc::channel::<()>();
    let hashing = w.state.auth.hashing.clone();
    let busy = tokio::spawn(async move { hashing.run(move |_| hold.recv()).await });
    while w.state.auth.hashing.running() == 0 {
        tokio::task::yield_now().await;
    }
    // When Ana logs in
    let r = w.login("ana@example.com", "a long passphrase").await;
    // Then she is told to come back in a second
    assert_problem(&r, StatusCode::SERVICE_UNAVAILABLE, None);
    assert_eq!(r.headers[header::RETRY_AFTER], "1");
    release.send(()).unwrap();
    busy.await.unwrap().unwrap().unwrap();
    assert_eq!(
        w.login("ana@example.com", "a long passphrase").await.status,
        StatusCode::OK
    );
}

// ---------- tokens ----------

#[tokio::test]
async fn missing_malformed_tampered_and_expired_tokens_are_401() {
    let w = World::new();
    let token = w.customer().await;
    let me = |t: Option<String>| {
        let w = &w;
        async move {
            let mut req = Request::builder().uri("/api/auth/me");
            if let Some(t) = t {
                req = req.header(header::AUTHORIZATION, t);
            }
            w.send_to(w.app(), req.body(Body::empty()).unwrap()).await
        }
    };
    let none = me(None).await;
    assert_problem(&none, StatusCode::UNAUTHORIZED, None);
    assert_eq!(none.headers[header::WWW_AUTHENTICATE], "Bearer");
    assert_problem(
        &me(Some(format!("Basic {token}"))).await,
        StatusCode::UNAUTHORIZED,
        None,
    );
    assert_problem(
        &me(Some("Bearer garbage".into())).await,
        StatusCode::UNAUTHORIZED,
        None,
    );
    let mut tampered = token.clone();
    tampered.pop();
    tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
    assert_problem(
        &me(Some(format!("Bearer {tampered}"))).await,
        StatusCode::UNAUTHORIZED,
        None,
    );
    let payload = token.split('.').nth(1).unwrap();
    let none_alg = format!("Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
    assert_problem(&me(Some(none_alg)).await, StatusCode::UNAUTHORIZED, None);
    assert_eq!(
        me(Some(format!("bearer {token}"))).await.status,
        StatusCode::OK
    );
    w.clock.advance(SignedDuration::from_hours(1));
    let expired = me(Some(format!("Bearer {token}"))).await;
    assert_problem(&expired, StatusCode::UNAUTHORIZED, None);
    assert_eq!(expired.body["detail"], "the token has expired");
}

#[tokio::test]
async fn a_token_signed_with_another_secret_is_401() {
    // Given a valid token for an existing user
    let w = World::new();
    let token = w.customer().await;
    let me = |state: booking_api::AuthState| {
        let req = Request::builder()
            .uri("/api/auth/me")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        w.send_to(auth_router(state), req)
    };
    assert_eq!(me(w.state.auth.clone()).await.status, StatusCode::OK);
    // When the same stores sit behind a different secret, the token no longer verifies
    let other = JwtConfig::new(
        vec![9; 32],
        "booking-api".into(),
        "booking-clients".into(),
        SignedDuration::from_hours(1),
    )
    .unwrap();
    let mut stranger = w.state.auth.clone();
    stranger.authn.jwt = Arc::new(Jwt::new(other));
    assert_problem(&me(stranger).await, StatusCode::UNAUTHORIZED, None);
}

#[tokio::test]
async fn a_token_whose_nbf_is_in_the_future_is_401_until_the_clock_reaches_it() {
    // Given a token signed with our secret for an existing user, valid one minute from now
    let w = World::new();
    let (id, _) = w.user("ana@example.com", Role::Customer).await;
    let now = w.clock.now();
    let nbf = now + SignedDuration::from_mins(1);
    let claims = json!({
        "sub": id, "role": "customer", "iss": "booking-api", "aud": "booking-clients",
        "iat": now.as_second(), "nbf": nbf.as_second(),
        "exp": (now + SignedDuration::from_hours(1)).as_second(),
    });
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(common::SECRET),
    )
    .unwrap();
    // When it is presented now, then it is refused as not valid yet
    let early = w
        .call(Method::GET, "/api/auth/me", Some(&token), None)
        .await;
    assert_problem(&early, StatusCode::UNAUTHORIZED, None);
    assert_eq!(early.body["detail"], "the token is not valid yet");
    // When the clock reaches its nbf, then it is accepted
    w.clock.advance(SignedDuration::from_mins(1));
    let on_time = w
        .call(Method::GET, "/api/auth/me", Some(&token), None)
        .await;
    assert_eq!(on_time.status, StatusCode::OK, "{}", on_time.body);
    assert_eq!(on_time.body["id"], id.as_str());
}

// ---------- roles ----------

#[tokio::test]
async fn a_customer_token_on_admin_routes_is_403() {
    let w = World::new();
    let admin = w.admin().await;
    let customer = w.customer().await;
    let id = w.service(&admin, haircut()).await;
    for (method, uri, body) in [
        (Method::POST, "/api/services".to_owned(), Some(haircut())),
        (
            Method::PATCH,
            format!("/api/services/{id}"),
            Some(json!({"priceMinor": 1})),
        ),
        (Method::DELETE, format!("/api/services/{id}"), None),
        (Method::GET, "/api/users".to_owned(), None),
        (
            Method::PUT,
            format!("/api/users/{}/role", booking_core::ids::UserId::new()),
            Some(json!({"role": "admin"})),
        ),
        (
            Method::PUT,
            "/api/settings".to_owned(),
            Some(json!({"timeZone": "UTC", "slotMinutes": 15, "weeklyHours": {}})),
        ),
        (
            Method::GET,
            "/api/services?includeInactive=true".to_owned(),
            None,
        ),
    ] {
        let r = w
            .call(method.clone(), &uri, Some(&customer), body.clone())
            .await;
        assert_problem(&r, StatusCode::FORBIDDEN, None);
        let anonymous = w.call(method, &uri, None, body).await;
        assert_problem(&anonymous, StatusCode::UNAUTHORIZED, None);
    }
}

#[tokio::test]
async fn a_role_change_takes_effect_on_the_existing_token() {
    let w = World::new();
    let admin = w.admin().await;
    let (cust_id, customer) = w.user("staffer@example.com", Role::Customer).await;
    assert_eq!(
        w.call(Method::GET, "/api/users", Some(&customer), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = w
        .call(
            Method::PUT,
            &format!("/api/users/{cust_id}/role"),
            Some(&admin),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["role"], "admin");
    assert_eq!(
        w.call(Method::GET, "/api/users", Some(&customer), None)
            .await
            .status,
        StatusCode::OK
    );
    let bad = w
        .call(
            Method::PUT,
            &format!("/api/users/{cust_id}/role"),
            Some(&admin),
            Some(json!({"role": "root"})),
        )
        .await;
    assert_problem(&bad, StatusCode::BAD_REQUEST, Some("role"));
    let missing = w
        .call(
            Method::PUT,
            &format!("/api/users/{}/role", booking_core::ids::UserId::new()),
            Some(&admin),
            Some(json!({"role": "staff"})),
        )
        .await;
    assert_problem(&missing, StatusCode::NOT_FOUND, None);
}

#[tokio::test]
async fn users_are_listed_page_by_page() {
    let w = World::new();
    let admin = w.admin().await;
    for i in 0..4 {
        w.register(&format!("u{i}@example.com")).await;
    }
    let mut seen = Vec::new();
    let mut uri = "/api/users?limit=2".to_owned();
    loop {
        let r = w.call(Method::GET, &uri, Some(&admin), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let items = r.body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(
            items
                .iter()
                .map(|u| u["email"].as_str().unwrap().to_owned()),
        );
        match r.body["nextCursor"].as_str() {
            Some(c) => uri = format!("/api/users?limit=2&cursor={c}"),
            None => break,
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5);
    assert_problem(
        &w.call(Method::GET, "/api/users?limit=101", Some(&admin), None)
            .await,
        StatusCode::BAD_REQUEST,
        Some("limit"),
    );
    assert_problem(
        &w.call(Method::GET, "/api/users?limit=0", Some(&admin), None)
            .await,
        StatusCode::BAD_REQUEST,
        Some("limit"),
    );
    assert_problem(
        &w.call(Method::GET, "/api/users?limit=ten", Some(&admin), None)
            .await,
        StatusCode::BAD_REQUEST,
        Some("limit"),
    );
    assert_problem(
        &w.call(Method::GET, "/api/users?cursor=zzz", Some(&admin), None)
            .await,
        StatusCode::BAD_REQUEST,
        Some("cursor"),
    );
}

// ---------- services ----------

#[tokio::test]
async fn an_admin_creates_updates_and_deactivates_a_service() {
    let w = World::new();
    let admin = w.admin().await;
    let r = w
        .call(Method::POST, "/api/services", Some(&admin), Some(haircut()))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.headers[header::LOCATION], format!("/api/services/{id}"));
    assert_eq!(r.body["capacity"], 1);

    let p = w
        .call(
            Method::PATCH,
            &format!("/api/services/{id}"),
            Some(&admin),
            Some(json!({"priceMinor": 3000, "capacity": 2})),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert_eq!(
        (p.body["priceMinor"].as_i64(), p.body["capacity"].as_i64()),
        (Some(3000), Some(2))
    );
    assert_eq!(p.body["createdAt"], r.body["createdAt"]);

    let d = w
        .call(
            Method::DELETE,
            &format!("/api/services/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(d.body["active"], false);

    let public = w.call(Method::GET, "/api/services", None, None).await;
    assert_eq!(public.body["items"].as_array().unwrap().len(), 0);
    assert_problem(
        &w.call(Method::GET, &format!("/api/services/{id}"), None, None)
            .await,
        StatusCode::NOT_FOUND,
        None,
    );
    let all = w
        .call(
            Method::GET,
            "/api/services?includeInactive=true",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(all.body["items"][0]["id"], id.as_str());
    assert_eq!(
        w.call(
            Method::GET,
            &format!("/api/services/{id}"),
            Some(&admin),
            None
        )
        .await
        .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_overflowing_service_id_is_400_and_a_lower_case_one_finds_the_service() {
    // Given a service
    let w = World::new();
    let admin = w.admin().await;
    let id = w.service(&admin, haircut()).await;
    // When it is asked for by `8` + the last 25 characters of its id (the same 128 bits
    // once the overflow is dropped)
    let alias = w
        .call(
            Method::GET,
            &format!("/api/services/8{}", &id[1..]),
            None,
            None,
        )
        .await;
    // Then that is a 400 naming the id, not the service
    assert_problem(&alias, StatusCode::BAD_REQUEST, Some("id"));
    // When it is asked for by its id in lower case
    let lower = w
        .call(
            Method::GET,
            &format!("/api/services/{}", id.to_ascii_lowercase()),
            None,
            None,
        )
        .await;
    // Then it is found and its id comes back in the canonical upper case
    assert_eq!(lower.status, StatusCode::OK, "{}", lower.body);
    assert_eq!(lower.body["id"], id.to_ascii_uppercase().as_str());
}

#[tokio::test]
async fn invalid_services_are_rejected_field_by_field() {
    let w = World::new();
    let admin = w.admin().await;
    let r = w
        .call(
            Method::POST,
            "/api/services",
            Some(&admin),
            Some(json!({
                "name": "", "durationMinutes": 7, "priceMinor": 10, "currency": "EURO"
            })),
        )
        .await;
    assert_problem(&r, StatusCode::BAD_REQUEST, Some("name"));
    let fields: Vec<_> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "durationMinutes", "currency"]);
    let unknown = w.call(Method::POST, "/api/services", Some(&admin), Some(json!({
        "name": "X", "durationMinutes": 30, "priceMinor": 10, "currency": "EUR", "colour": "red"
    }))).await;
    assert_problem(&unknown, StatusCode::BAD_REQUEST, Some("colour"));
    let missing = w
        .call(
            Method::POST,
            "/api/services",
            Some(&admin),
            Some(json!({"name": "X"})),
        )
        .await;
    assert_problem(&missing, StatusCode::BAD_REQUEST, Some("durationMinutes"));
    let negative = w
        .call(
            Method::POST,
            "/api/services",
            Some(&admin),
            Some(json!({
                "name": "X", "durationMinutes": -30, "priceMinor": 10, "currency": "EUR"
            })),
        )
        .await;
    assert_problem(&negative, StatusCode::BAD_REQUEST, Some("durationMinutes"));
    let bad_id = w
        .call(
            Method::PATCH,
            "/api/services/123",
            Some(&admin),
            Some(json!({})),
        )
        .await;
    assert_problem(&bad_id, StatusCode::BAD_REQUEST, Some("id"));
    let ghost = w
        .call(
            Method::PATCH,
            &format!("/api/services/{}", ServiceId::new()),
            Some(&admin),
            Some(json!({})),
        )
        .await;
    assert_problem(&ghost, StatusCode::NOT_FOUND, None);
    assert_eq!(
        w.call(
            Method::GET,
            "/api/services?includeInactive=true",
            Some(&admin),
            None
        )
        .await
        .body["items"],
        json!([])
    );
}

#[tokio::test]
async fn a_service_blocks_at_most_450_minutes_with_its_buffer() {
    // Given an admin, on the default 15-minute grid
    let w = World::new();
    let admin = w.admin().await;
    let create = |duration: u32, buffer: u32| {
        w.call(
            Method::POST,
            "/api/services",
            Some(&admin),
            Some(json!({"name": "Long", "durationMinutes": duration,
                "bufferMinutes": buffer, "priceMinor": 10, "currency": "EUR"})),
        )
    };
    let reason = |r: &common::Reply| r.body["errors"][0]["reason"].as_str().unwrap().to_owned();

    // When services of 450 + 5, 450 + 0, 480 + 0 and 480 + 15 minutes are created
    let over = create(450, 5).await;
    let most = create(450, 0).await;
    let long = create(480, 0).await;
    let longer = create(480, 15).await;

    // Then 450 in all is accepted; past it the buffer is named, with the sum's limit
    assert_eq!(most.status, StatusCode::CREATED, "{}", most.body);
    assert_problem(&over, StatusCode::BAD_REQUEST, Some("bufferMinutes"));
    assert!(
        reason(&over).contains("at most 450 minutes"),
        "{}",
        over.body
    );
    // And a duration over 450 on its own is refused by name
    for r in [&long, &longer] {
        assert_problem(r, StatusCode::BAD_REQUEST, Some("durationMinutes"));
        assert!(reason(r).contains("450"), "{}", r.body);
        assert_eq!(r.body["errors"].as_array().unwrap().len(), 1, "{}", r.body);
    }

    // When the 450-minute service is patched to a 5-minute buffer, or a shorter one to a
    // 480-minute duration or to 450 + 15
    let uri = |id: &str| format!("/api/services/{id}");
    let most_id = most.body["id"].as_str().unwrap();
    let buffer_5 = Some(json!({"bufferMinutes": 5}));
    let buffered = w
        .call(Method::PATCH, &uri(most_id), Some(&admin), buffer_5)
        .await;
    let short = w.service(&admin, haircut()).await;
    let to_480 = Some(json!({"durationMinutes": 480}));
    let lengthened = w
        .call(Method::PATCH, &uri(&short), Some(&admin), to_480)
        .await;
    let to_465 = Some(json!({"durationMinutes": 450, "bufferMinutes": 15}));
    let both = w
        .call(Method::PATCH, &uri(&short), Some(&admin), to_465)
        .await;

    // Then each is refused naming the same field as on creation, and nothing changed
    assert_problem(&buffered, StatusCode::BAD_REQUEST, Some("bufferMinutes"));
    assert_problem(
        &lengthened,
        StatusCode::BAD_REQUEST,
        Some("durationMinutes"),
    );
    assert_problem(&both, StatusCode::BAD_REQUEST, Some("bufferMinutes"));
    let stored = w
        .call(Method::GET, &format!("/api/services/{short}"), None, None)
        .await;
    assert_eq!(stored.body["durationMinutes"], 60, "{}", stored.body);
    assert_eq!(stored.body["bufferMinutes"], 0, "{}", stored.body);
}

// ---------- availability and settings ----------

#[tokio::test]
async fn availability_lists_local_starts_and_honours_claims() {
    let w = World::new();
    let admin = w.admin().await;
    w.open_every_day(&admin).await;
    let id = w
        .service(
            &admin,
            json!({"name": "Massage", "durationMinutes": 60, "bufferMinutes": 30,
        "priceMinor": 5000, "currency": "EUR", "capacity": 2}),
        )
        .await;
    let uri = format!("/api/services/{id}/availability?from=2026-11-30&to=2026-11-30");
    let r = w.call(Method::GET, &uri, None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["timeZone"], "Europe/Madrid");
    let starts: Vec<_> = r.body["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start"].as_str().unwrap().to_owned())
        .collect();
    // 09:00..11:30 fit before 13:00 with the buffer, 14:00..16:30 before 18:00
    assert_eq!(starts.len(), 12);
    assert_eq!(starts[0], "2026-11-30T09:00:00+01:00");
    assert_eq!(r.body["slots"][0]["end"], "2026-11-30T10:00:00+01:00");
    assert_eq!(r.body["slots"][0]["remaining"], 2);

    // Given two bookings of the 10:00 start, starts whose units overlap it disappear
    for email in ["one@example.com", "two@example.com"] {
        let (_, token) = w.user(email, Role::Customer).await;
        let r = w
            .book(
                &token,
                &id,
                "2026-11-30T10:00:00+01:00",
                "pm_card_visa",
                email,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let r = w.call(Method::GET, &uri, None, None).await;
    let starts: Vec<_> = r.body["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start"].as_str().unwrap()[11..16].to_owned())
        .collect();
    // 10:00 + 60 + 30 blocks 10:00-11:30: every start overlapping it is full
    assert_eq!(starts.len(), 7);
    for gone in ["09:00", "09:30", "10:00", "10:30", "11:00"] {
        assert!(
            !starts.contains(&gone.to_owned()),
            "{gone} should be full: {starts:?}"
        );
    }
    assert_eq!(starts[0], "11:30");
}

#[tokio::test]
async fn availability_rejects_bad_ranges_and_unknown_services() {
    let w = World::new();
    let admin = w.admin().await;
    let id = w.service(&admin, haircut()).await;
    let get = |q: String| {
        let w = &w;
        async move { w.call(Method::GET, &q, None, None).await }
    };
    assert_problem(
        &get(format!("/api/services/{id}/availability?from=2026-12-01")).await,
        StatusCode::BAD_REQUEST,
        Some("to"),
    );
    assert_problem(
        &get(format!(
            "/api/services/{id}/availability?from=2026-12-01&to=2027-01-05"
        ))
        .await,
        StatusCode::BAD_REQUEST,
        Some("to"),
    );
    assert_problem(
        &get(format!(
            "/api/services/{id}/availability?from=01/12/2026&to=2026-12-02"
        ))
        .await,
        StatusCode::BAD_REQUEST,
        Some("from"),
    );
    assert_problem(
        &get(format!(
            "/api/services/{}/availability?from=2026-12-01&to=2026-12-02",
            ServiceId::new()
        ))
        .await,
        StatusCode::NOT_FOUND,
        None,
    );
    // Default settings have no opening hours: valid request, nothing bookable.
    let r = get(format!(
        "/api/services/{id}/availability?from=2026-12-01&to=2026-12-07"
    ))
    .await;
    assert_eq!(
        (r.status, r.body["slots"].clone()),
        (StatusCode::OK, json!([]))
    );
}

#[tokio::test]
async fn settings_are_public_to_read_and_validated_on_write() {
    let w = World::new();
    let admin = w.admin().await;
    let r = w.call(Method::GET, "/api/settings", None, None).await;
    assert_eq!(
        (r.status, r.body["timeZone"].clone()),
        (StatusCode::OK, json!("UTC"))
    );
    w.open_every_day(&admin).await;
    let r = w.call(Method::GET, "/api/settings", None, None).await;
    assert_eq!(
        r.body["weeklyHours"]["sun"][1],
        json!({"open": "14:00", "close": "18:00"})
    );
    let bad = w.call(Method::PUT, "/api/settings", Some(&admin), Some(json!({
        "timeZone": "Europe/Nowhere", "slotMinutes": 30, "weeklyHours": {"mon": [{"open": "18:00", "close": "09:00"}]}
    }))).await;
    assert_problem(&bad, StatusCode::BAD_REQUEST, Some("timeZone"));
    assert_eq!(bad.body["errors"][1]["field"], "weeklyHours.mon[0].close");
    // A grid that an existing service does not fit is refused
    w.service(
        &admin,
        json!({"name": "Quick", "durationMinutes": 30, "priceMinor": 1, "currency": "EUR"}),
    )
    .await;
    let coarse = w
        .call(
            Method::PUT,
            "/api/settings",
            Some(&admin),
            Some(json!({
                "timeZone": "UTC", "slotMinutes": 60, "weeklyHours": {}
            })),
        )
        .await;
    assert_problem(&coarse, StatusCode::BAD_REQUEST, Some("slotMinutes"));
    assert_eq!(
        w.call(Method::GET, "/api/settings", None, None).await.body["slotMinutes"],
        30
    );
}

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
    let get = |path: &str| Request::builder().uri(path).body(Body::empty()).unwrap();
    assert_eq!(
        w.send_to(auth_router(w.state.auth.clone()), get("/api/services"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        w.send_to(auth_router(w.state.auth.clone()), get("/api/auth/me"))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        w.send_to(
            services_router(w.state.services.clone()),
            get("/api/services")
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        w.send_to(
            services_router(w.state.services.clone()),
            get("/api/auth/me")
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

// ---------- caching ----------

/// The `Cache-Control` of a reply, or "(none)".
fn cache_control(r: &common::Reply) -> &str {
    r.headers
        .get(header::CACHE_CONTROL)
        .map_or("(none)", |v| v.to_str().unwrap())
}

#[tokio::test]
async fn every_answer_that_depends_on_the_caller_says_no_store() {
    // Given an admin, a customer with a booking, and a service
    let w = World::new();
    let admin = w.admin().await;
    w.open_every_day(&admin).await;
    let customer = w.customer().await;
    let service = w.service(&admin, haircut()).await;
    let booked = w
        .book(
            &customer,
            &service,
            "2026-11-30T10:00:00+01:00",
            "pm_card_visa",
            "key-1",
        )
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
        replies.push((what, w.call(Method::GET, &uri, Some(token), None).await));
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
    let w = World::new();
    let admin = w.admin().await;
    let service = w.service(&admin, haircut()).await;

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

#[tokio::test]
async fn anonymous_catalogue_answers_may_be_cached_briefly_and_availability_is_revalidated() {
    // Given a service
    let w = World::new();
    let admin = w.admin().await;
    let service = w.service(&admin, haircut()).await;

    // When the catalogue, a service and the settings are read without a token
    for uri in [
        "/api/services".to_owned(),
        format!("/api/services/{service}"),
        "/api/settings".to_owned(),
    ] {
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
    let w = World::new();
    let admin = w.admin().await;
    let customer = w.customer().await;
    let service = w.service(&admin, haircut()).await;

    // When the public routes are read with a token
    for uri in [
        "/api/services".to_owned(),
        format!("/api/services/{service}"),
        "/api/settings".to_owned(),
        format!("/api/services/{service}/availability?from=2026-11-30&to=2026-11-30"),
    ] {
        let r = w.call(Method::GET, &uri, Some(&customer), None).await;
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
