//! Registration, login and its limits, tokens and roles.

use std::sync::Arc;

use crate::common::{World, assert_problem, haircut};
use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use booking_api::{Jwt, JwtConfig, auth_router};
use booking_core::{ports::Clock, user::Role};
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
    for (email, password, field) in [
        ("b@example.com", "short", "password"),
        (
            "longer.name@example.com",
            "longer.name@example.com",
            "password",
        ),
        ("nope", "a long passphrase", "email"),
    ] {
        let r = register_as(&w, email, password).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{email} {password}: {}",
            r.body
        );
        assert_problem(&r, StatusCode::BAD_REQUEST, Some(field));
    }
}

/// A registration of B, with this email and password.
async fn register_as(w: &World, email: &str, password: &str) -> crate::common::Reply {
    let body = json!({"email": email, "password": password, "name": "B"});
    w.call(Method::POST, "/api/auth/register", None, Some(body))
        .await
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
        // When it is posted
        let r = register_as(&w, "b@example.com", password).await;
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
) -> crate::common::Reply {
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

/// Ana's login from the socket peer `peer`, with `forwarded_for` as its X-Forwarded-For.
async fn login_from(
    w: &World,
    peer: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> crate::common::Reply {
    let body = json!({"email": "ana@example.com", "password": password});
    let headers: Vec<_> = forwarded_for
        .map(|xff| ("x-forwarded-for", xff))
        .into_iter()
        .collect();
    post_from(w, peer, "/api/auth/login", body, &headers).await
}

/// Five wrong passwords for Ana from the socket peer `peer`, the `i`th claiming
/// `forwarded_for(i)`: each is a plain 401.
async fn five_failed_logins(w: &World, peer: &str, forwarded_for: impl Fn(u8) -> Option<String>) {
    for i in 0..5 {
        let xff = forwarded_for(i);
        let r = login_from(w, peer, "wrong password", xff.as_deref()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{i}: {}", r.body);
    }
}

#[tokio::test]
async fn failed_logins_lock_one_address_not_the_owner_everywhere() {
    // Given five wrong passwords for Ana from one address
    let w = World::new();
    w.register("ana@example.com").await;
    five_failed_logins(&w, "198.51.100.7", |_| None).await;
    // Then that address is refused even with the right password
    let r = login_from(&w, "198.51.100.7", "a long passphrase", None).await;
    assert_problem(&r, StatusCode::TOO_MANY_REQUESTS, None);
    // And Ana signs in from her own address
    let r = login_from(&w, "203.0.113.20", "a long passphrase", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn a_forged_forwarded_for_does_not_change_the_client_address() {
    // Given five failures from one address, each claiming another in X-Forwarded-For
    let w = World::new();
    w.register("ana@example.com").await;
    five_failed_logins(&w, "198.51.100.7", |i| Some(format!("10.0.0.{i}"))).await;
    // Then the socket peer is what counted: it is locked out, whatever it claims
    let r = login_from(&w, "198.51.100.7", "a long passphrase", Some("10.0.0.99")).await;
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
    five_failed_logins(&w, "127.0.0.1", |i| {
        Some(format!("10.0.0.{i}, 198.51.100.7"))
    })
    .await;
    // Then that client is locked out and another client through the same proxy is not
    let r = login_from(&w, "127.0.0.1", "a long passphrase", Some("198.51.100.7")).await;
    assert_problem(&r, StatusCode::TOO_MANY_REQUESTS, None);
    let r = login_from(&w, "127.0.0.1", "a long passphrase", Some("203.0.113.20")).await;
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
    let other = JwtConfig::from_vars(|_| None, Some(vec![9; 32])).unwrap();
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
        &jsonwebtoken::EncodingKey::from_secret(crate::common::SECRET),
    )
    .unwrap();
    // When it is presented now, then it is refused as not valid yet
    let early = w.get(&token, "/api/auth/me").await;
    assert_problem(&early, StatusCode::UNAUTHORIZED, None);
    assert_eq!(early.body["detail"], "the token is not valid yet");
    // When the clock reaches its nbf, then it is accepted
    w.clock.advance(SignedDuration::from_mins(1));
    let on_time = w.get(&token, "/api/auth/me").await;
    assert_eq!(on_time.status, StatusCode::OK, "{}", on_time.body);
    assert_eq!(on_time.body["id"], id.as_str());
}

// ---------- roles ----------

#[tokio::test]
async fn a_customer_token_on_admin_routes_is_403() {
    let (w, id) = World::with_haircut().await;
    let customer = w.customer().await;
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

/// The admin holding `admin` gives the user `id` the role `role`.
async fn set_role(w: &World, admin: &str, id: &str, role: &str) -> crate::common::Reply {
    let uri = format!("/api/users/{id}/role");
    let body = json!({ "role": role });
    w.call(Method::PUT, &uri, Some(admin), Some(body)).await
}

#[tokio::test]
async fn a_role_change_takes_effect_on_the_existing_token() {
    let w = World::new();
    let admin = w.admin().await;
    let (cust_id, customer) = w.user("staffer@example.com", Role::Customer).await;
    assert_eq!(
        w.get(&customer, "/api/users").await.status,
        StatusCode::FORBIDDEN
    );
    let r = set_role(&w, &admin, &cust_id, "admin").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["role"], "admin");
    assert_eq!(w.get(&customer, "/api/users").await.status, StatusCode::OK);
    let bad = set_role(&w, &admin, &cust_id, "root").await;
    assert_problem(&bad, StatusCode::BAD_REQUEST, Some("role"));
    let nobody = booking_core::ids::UserId::new().to_string();
    let missing = set_role(&w, &admin, &nobody, "staff").await;
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
        let r = w.get(&admin, &uri).await;
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
    let bad = [
        ("limit=101", "limit"),
        ("limit=0", "limit"),
        ("limit=ten", "limit"),
        ("cursor=zzz", "cursor"),
    ];
    w.assert_bad_queries(&admin, "/api/users?", &bad).await;
}
