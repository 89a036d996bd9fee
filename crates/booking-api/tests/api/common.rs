//! The harness of the handler tests: the real routers over the in-memory adapters, with a
//! clock the tests move, driven in-process with tower `oneshot`.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Router,
    body::Body,
    extract::ConnectInfo,
    http::{HeaderMap, Method, Request, StatusCode, header},
};
use booking_api::{JwtConfig, app};
use booking_core::{
    accounts::{AccountsConfig, Registration},
    booking::BookingConfig,
    memory::{FixedClock, MemoryQueue},
    user::Role,
};
use booking_local::Local;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

pub const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

/// The socket peer of every request the harness sends, unless a test sets its own
/// `ConnectInfo` (booking-local's server sets the real one).
pub const PEER: ([u8; 4], u16) = ([192, 0, 2, 10], 50000);

pub struct World {
    /// The routers' states, wired as booking-local wires them.
    pub state: Local,
    pub clock: Arc<FixedClock>,
    pub queue: Arc<MemoryQueue>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The body parsed, for JSON responses (`Null` for any other kind).
    pub body: Value,
    /// The body as text, whatever its kind.
    pub text: String,
}

impl World {
    /// Given: a world whose admin created the [`haircut`] service, and that service's id.
    pub async fn with_haircut() -> (Self, String) {
        let w = World::new();
        let admin = w.admin().await;
        let service = w.service(&admin, haircut()).await;
        (w, service)
    }

    /// Given: a world open every day ([`World::open_every_day`]), and its admin's token.
    pub async fn open() -> (Self, String) {
        let w = World::new();
        let admin = w.admin().await;
        w.open_every_day(&admin).await;
        (w, admin)
    }

    pub fn new() -> Self {
        // Saturday 2026-11-28 11:00 in Madrid
        let clock = Arc::new(FixedClock::new("2026-11-28T10:00:00Z".parse().unwrap()));
        let queue = Arc::new(MemoryQueue::default());
        // With no variables set: issuer booking-api, audience booking-clients, an hour
        let jwt = JwtConfig::from_vars(|_| None, Some(SECRET.to_vec())).unwrap();
        // Tests register many accounts from one address: the throttle has its own tests.
        let accounts = AccountsConfig {
            registrations_per_hour: 100_000,
        };
        let mut state = Local::in_memory(
            std::sync::Arc::new(booking_core::payment::SimulatedGateway::default()),
            jwt,
            queue.clone(),
            BookingConfig::default(),
            0.0,
            clock.clone(),
        );
        state.auth = state.auth.with_accounts(accounts);
        World {
            state,
            clock,
            queue,
        }
    }

    pub fn app(&self) -> Router {
        let s = self.state.clone();
        app(s.auth, s.services, s.reservations)
    }

    pub async fn send_to(&self, router: Router, mut req: Request<Body>) -> Reply {
        if req.extensions().get::<ConnectInfo<SocketAddr>>().is_none() {
            req.extensions_mut()
                .insert(ConnectInfo(SocketAddr::from(PEER)));
        }
        let res = router.oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("json"));
        let body = if bytes.is_empty() || !json {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        Reply {
            status,
            headers,
            body,
            text: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        };
        self.send_to(self.app(), req.unwrap()).await
    }

    /// `GET uri` as the holder of `token`.
    pub async fn get(&self, token: &str, uri: &str) -> Reply {
        self.call(Method::GET, uri, Some(token), None).await
    }

    /// `POST uri` with no body, as the holder of `token`.
    pub async fn post(&self, token: &str, uri: &str) -> Reply {
        self.call(Method::POST, uri, Some(token), None).await
    }

    /// `POST /api/reservations/{id}/cancel` as the holder of `token`.
    pub async fn cancel(&self, token: &str, id: &str) -> Reply {
        self.post(token, &format!("/api/reservations/{id}/cancel"))
            .await
    }

    /// Asserts that `GET {path}{query}` as the holder of `token` is a 400 problem naming
    /// `field`, for each `(query, field)`.
    pub async fn assert_bad_queries(&self, token: &str, path: &str, cases: &[(&str, &str)]) {
        for (query, field) in cases {
            let uri = format!("{path}{query}");
            let r = self.get(token, &uri).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {}", r.body);
            assert_problem(&r, StatusCode::BAD_REQUEST, Some(field));
        }
    }

    pub async fn raw(
        &self,
        method: Method,
        uri: &str,
        content_type: &str,
        body: impl Into<Body>,
    ) -> Reply {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, content_type)
            .body(body.into())
            .unwrap();
        self.send_to(self.app(), req).await
    }

    pub async fn register(&self, email: &str) -> Reply {
        self.call(
            Method::POST,
            "/api/auth/register",
            None,
            Some(json!({"email": email, "password": "a long passphrase", "name": "Test User"})),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await
    }

    /// Registers a user with `role` and returns (id, token): customers through the API,
    /// others as booking-local seeds its demo admin.
    pub async fn user(&self, email: &str, role: Role) -> (String, String) {
        let id = if role == Role::Customer {
            let r = self.register(email).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            r.body["id"].as_str().unwrap().to_owned()
        } else {
            let reg = Registration {
                email: email.into(),
                password: "a long passphrase".into(),
                name: "Test User".into(),
            };
            let user = self.state.auth.accounts().create_account(reg, role).await;
            user.unwrap().id.to_string()
        };
        let token = self.login(email, "a long passphrase").await.body["token"]
            .as_str()
            .unwrap()
            .to_owned();
        (id, token)
    }

    pub async fn admin(&self) -> String {
        self.user("admin@example.com", Role::Admin).await.1
    }

    pub async fn customer(&self) -> String {
        self.user("customer@example.com", Role::Customer).await.1
    }

    /// `POST /api/reservations` with an Idempotency-Key.
    pub async fn book(
        &self,
        token: &str,
        service: &str,
        start: &str,
        pm: &str,
        key: &str,
    ) -> Reply {
        let body = json!({"serviceId": service, "start": start, "paymentMethod": pm});
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/reservations")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", key)
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send_to(self.app(), req).await
    }

    /// A card booking that must be confirmed (201); returns the reservation's id.
    pub async fn booked(&self, token: &str, service: &str, start: &str, key: &str) -> String {
        let r = self.book(token, service, start, "pm_card_visa", key).await;
        assert_eq!(r.status, StatusCode::CREATED, "{start}: {}", r.body);
        r.body["id"].as_str().unwrap().to_owned()
    }

    /// Saves the business settings as `admin`, expecting 200.
    pub async fn put_settings(&self, admin: &str, settings: Value) {
        let r = self
            .call(Method::PUT, "/api/settings", Some(admin), Some(settings))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }

    pub async fn open_every_day(&self, admin: &str) {
        let day = json!([{"open": "09:00", "close": "13:00"}, {"open": "14:00", "close": "18:00"}]);
        self.put_settings(admin, json!({
            "timeZone": "Europe/Madrid", "slotMinutes": 30,
            "weeklyHours": {"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day}
        })).await;
    }

    pub async fn service(&self, admin: &str, body: Value) -> String {
        let r = self
            .call(Method::POST, "/api/services", Some(admin), Some(body))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["id"].as_str().unwrap().to_owned()
    }
}

pub fn haircut() -> Value {
    json!({"name": "Haircut", "durationMinutes": 60, "priceMinor": 2500, "currency": "EUR"})
}

/// The string `field` of every item of the JSON array `list`.
pub fn strings<'a>(list: &'a Value, field: &str) -> Vec<&'a str> {
    let items = list.as_array().unwrap().iter();
    items.map(|item| item[field].as_str().unwrap()).collect()
}

/// [`assert_problem`] of the problem type `/problems/<kind>`.
pub fn assert_problem_type(r: &Reply, status: StatusCode, kind: &str) {
    assert_problem(r, status, None);
    assert_eq!(r.body["type"], format!("/problems/{kind}"), "{}", r.body);
}

pub fn assert_problem(r: &Reply, status: StatusCode, field: Option<&str>) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
    assert_eq!(r.body["status"], status.as_u16());
    assert!(
        r.body["title"].is_string() && r.body["detail"].is_string(),
        "{}",
        r.body
    );
    if let Some(f) = field {
        assert_eq!(r.body["errors"][0]["field"], f, "{}", r.body);
        assert!(
            r.body["errors"][0]["reason"]
                .as_str()
                .is_some_and(|s| !s.is_empty())
        );
    }
}
