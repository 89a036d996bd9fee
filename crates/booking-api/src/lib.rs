//! The HTTP API: one axum router per endpoint group, shared by the Lambda functions (through
//! lambda_http) and by booking-local, so there is a single HTTP code path.

pub mod cache;
pub mod extract;
pub mod jwt;
pub mod openapi;
pub mod problem;
mod routes;

use std::{net::IpAddr, sync::Arc, time::Instant};

use axum::{
    Router,
    extract::{DefaultBodyLimit, MatchedPath, Request},
    middleware::{self, Next},
    response::Response,
};
use booking_core::{
    accounts::{Accounts, AccountsConfig},
    booking::BookingConfig,
    catalog::Catalog,
    hashing::HashPool,
    memory::{MemoryStores, MemoryThrottle},
    payment::PaymentLedger,
    ports::{
        CatalogStore, ClaimReader, Clock, NotificationQueue, ReservationStore, SettingsStore,
        SystemClock, Throttle, UserStore,
    },
    reports::Reports,
    workflow::{InProcessWorkflow, Workflow},
};

pub use jwt::{Jwt, JwtConfig};
pub use problem::Problem;

/// Request bodies above this many bytes are refused with 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The adapters behind every port, chosen once at start-up.
pub struct Ports {
    pub users: Arc<dyn UserStore>,
    pub throttle: Arc<dyn Throttle>,
    pub catalog: Arc<dyn CatalogStore>,
    pub settings: Arc<dyn SettingsStore>,
    pub reservations: Arc<dyn ReservationStore>,
    pub claims: Arc<dyn ClaimReader>,
    pub ledger: Arc<dyn PaymentLedger>,
    pub clock: Arc<dyn Clock>,
    pub workflow: Arc<dyn Workflow>,
}

impl Ports {
    /// In-memory adapters, the simulated payment gateway and the in-process workflow, which
    /// puts its notifications on `queue`. `retry_time_scale` multiplies the state machine's
    /// retry intervals (1.0 waits as Step Functions would; tests pass 0.0).
    pub fn in_memory(
        queue: Arc<dyn NotificationQueue>,
        config: BookingConfig,
        retry_time_scale: f64,
    ) -> Self {
        Self::in_memory_with_clock(queue, config, retry_time_scale, Arc::new(SystemClock))
    }

    pub fn in_memory_with_clock(
        queue: Arc<dyn NotificationQueue>,
        config: BookingConfig,
        retry_time_scale: f64,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let stores = MemoryStores::default();
        let booking = stores.booking(queue, clock.clone(), config);
        Ports {
            users: stores.users,
            throttle: Arc::new(MemoryThrottle::default()),
            catalog: stores.catalog,
            settings: stores.settings,
            reservations: stores.reservations.clone(),
            claims: stores.reservations,
            ledger: stores.ledger,
            clock,
            workflow: Arc::new(InProcessWorkflow::new(booking, retry_time_scale)),
        }
    }
}

/// Everything a handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub ports: Arc<Ports>,
    pub jwt: Arc<Jwt>,
    /// The process's password-hashing slots.
    pub hashing: Arc<HashPool>,
    pub accounts: AccountsConfig,
    /// The reverse proxy in front of booking-local (`BOOKING_TRUSTED_PROXY`), whose
    /// `X-Forwarded-For` names the client; `None` trusts no header.
    pub trusted_proxy: Option<IpAddr>,
}

impl AppState {
    /// The state with a hashing slot per core, the default account settings and no
    /// trusted proxy; the `with_*` methods change those.
    pub fn new(ports: Ports, jwt: JwtConfig) -> Self {
        AppState {
            ports: Arc::new(ports),
            jwt: Arc::new(Jwt::new(jwt)),
            hashing: Arc::new(HashPool::per_core()),
            accounts: AccountsConfig::default(),
            trusted_proxy: None,
        }
    }

    pub fn with_accounts(mut self, config: AccountsConfig) -> Self {
        self.accounts = config;
        self
    }

    pub fn with_hashing(mut self, pool: HashPool) -> Self {
        self.hashing = Arc::new(pool);
        self
    }

    pub fn with_trusted_proxy(mut self, proxy: Option<IpAddr>) -> Self {
        self.trusted_proxy = proxy;
        self
    }

    pub fn accounts(&self) -> Accounts<'_> {
        Accounts {
            users: &*self.ports.users,
            throttle: &*self.ports.throttle,
            hashing: &self.hashing,
            clock: &*self.ports.clock,
            config: self.accounts,
        }
    }

    pub fn catalog(&self) -> Catalog<'_> {
        Catalog {
            services: &*self.ports.catalog,
            settings: &*self.ports.settings,
            claims: &*self.ports.claims,
            clock: &*self.ports.clock,
        }
    }

    pub fn reports(&self) -> Reports<'_> {
        Reports {
            catalog: &*self.ports.catalog,
            settings: &*self.ports.settings,
            reservations: &*self.ports.reservations,
            ledger: &*self.ports.ledger,
        }
    }
}

/// `/api/auth/*` and `/api/users/*`: the auth function.
pub fn auth_router(state: AppState) -> Router {
    finish(routes::auth::routes(), state)
}

/// `/api/services/*`, `/api/settings/*` and `/api/reports/*`: the services function.
pub fn services_router(state: AppState) -> Router {
    finish(
        routes::catalog::routes().merge(routes::reports::routes()),
        state,
    )
}

/// `/api/reservations/*`: the reserve function.
pub fn reservations_router(state: AppState) -> Router {
    finish(
        routes::reservations::routes().merge(routes::history::routes()),
        state,
    )
}

/// Every route of every area, as booking-local serves them.
pub fn app(state: AppState) -> Router {
    let routes = routes::auth::routes()
        .merge(routes::catalog::routes())
        .merge(routes::reports::routes())
        .merge(routes::reservations::routes())
        .merge(routes::history::routes());
    finish(routes, state)
}

fn finish(routes: Router<AppState>, state: AppState) -> Router {
    routes
        .merge(routes::health())
        .fallback(|| async { Problem::not_found("route") })
        .method_not_allowed_fallback(|| async { Problem::method_not_allowed() })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(cache::cache_control))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// One structured log line per request: route template (never the raw path with ids or
/// query), status and latency. Headers are not logged: they carry tokens.
async fn log_request(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let res = next.run(req).await;
    tracing::info!(
        %method,
        route,
        status = res.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    res
}
