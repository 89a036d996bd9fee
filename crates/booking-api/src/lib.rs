//! The HTTP API: one axum router per endpoint group, shared by the Lambda functions (through
//! lambda_http) and by booking-local, so there is a single HTTP code path.

pub mod cache;
pub mod extract;
pub mod jwt;
pub mod openapi;
pub mod problem;
mod routes;
pub mod state;

use std::time::Instant;

use axum::{
    Router,
    extract::{DefaultBodyLimit, MatchedPath, Request},
    middleware::{self, Next},
    response::Response,
};

pub use jwt::{Jwt, JwtConfig};
pub use problem::Problem;
pub use state::{AuthState, Authn, ReservationsState, ServicesState};

/// Request bodies above this many bytes are refused with 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// `/api/auth/*` and `/api/users/*`: the auth function.
pub fn auth_router(state: AuthState) -> Router {
    finish(auth_routes(state))
}

/// `/api/services/*`, `/api/settings/*` and `/api/reports/*`: the services function.
pub fn services_router(state: ServicesState) -> Router {
    finish(services_routes(state))
}

/// `/api/reservations/*`: the reserve function.
pub fn reservations_router(state: ReservationsState) -> Router {
    finish(reservations_routes(state))
}

/// Every route of every area, as booking-local serves them.
pub fn app(auth: AuthState, services: ServicesState, reservations: ReservationsState) -> Router {
    finish(
        auth_routes(auth)
            .merge(services_routes(services))
            .merge(reservations_routes(reservations)),
    )
}

fn auth_routes(state: AuthState) -> Router {
    routes::auth::routes().with_state(state)
}

fn services_routes(state: ServicesState) -> Router {
    routes::catalog::routes()
        .merge(routes::reports::routes())
        .with_state(state)
}

fn reservations_routes(state: ReservationsState) -> Router {
    routes::reservations::routes()
        .merge(routes::history::routes())
        .merge(routes::visits::routes())
        .with_state(state)
}

fn finish(routes: Router) -> Router {
    routes
        .merge(routes::health())
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
