//! The HTTP API: one axum router per endpoint group, shared by the Lambda functions (through
//! lambda_http) and by booking-local, so there is a single HTTP code path.

pub mod cache;
pub mod extract;
pub mod jwt;
pub mod openapi;
mod operations;
pub mod problem;
mod routes;
pub mod state;
pub mod wire;

use std::time::Instant;

use axum::{
    Router,
    extract::{DefaultBodyLimit, MatchedPath, Request},
    middleware::{self, Next},
    response::Response,
};

pub use jwt::{Jwt, JwtConfig};
pub use problem::Problem;
pub use state::{AuthState, Authn, PaymentsConfig, ReservationsState, ServicesState};

/// Request bodies above this many bytes are refused with 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// A function's areas, listed once: `$routes()` merges their routers and `$described()`
/// lists their descriptions, for [`openapi`]. Two functions, so that a Lambda links no
/// description code (a table holding both would keep it).
macro_rules! areas {
    ($routes:ident, $described:ident, $state:ty: $($area:ident),+) => {
        fn $routes() -> Router<$state> {
            Router::new()$(.merge(routes::$area::routes()))+
        }

        fn $described() -> impl Iterator<Item = utoipa::openapi::OpenApi> {
            [$(routes::$area::described as fn() -> utoipa::openapi::OpenApi),+]
                .into_iter()
                .map(|described| described())
        }
    };
}

areas!(auth_routes, auth_described, AuthState: auth);
areas!(services_routes, services_described, ServicesState: catalog, settings, reports, payments);
areas!(reservations_routes, reservations_described, ReservationsState: reservations, history, visits);

/// `/api/auth/*` and `/api/users/*`: the auth function.
pub fn auth_router(state: AuthState) -> Router {
    finish(auth_routes().with_state(state))
}

/// `/api/services/*`, `/api/settings/*` and `/api/reports/*`: the services function.
pub fn services_router(state: ServicesState) -> Router {
    finish(services_routes().with_state(state))
}

/// `/api/reservations/*`: the reserve function.
pub fn reservations_router(state: ReservationsState) -> Router {
    finish(reservations_routes().with_state(state))
}

/// Every route of every area, as booking-local serves them.
pub fn app(auth: AuthState, services: ServicesState, reservations: ReservationsState) -> Router {
    finish(
        auth_routes()
            .with_state(auth)
            .merge(services_routes().with_state(services))
            .merge(reservations_routes().with_state(reservations)),
    )
}

/// The description of every area's operations, health included.
fn operations() -> impl Iterator<Item = utoipa::openapi::OpenApi> {
    std::iter::once(routes::health::described())
        .chain(auth_described())
        .chain(services_described())
        .chain(reservations_described())
}

fn finish(routes: Router) -> Router {
    routes
        .merge(routes::health::routes())
        .fallback(|| async { Problem::not_found("route") })
        .method_not_allowed_fallback(|| async { Problem::method_not_allowed() })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(cache::cache_control))
        .layer(middleware::from_fn(log_request))
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
