//! The HTTP API: one axum router per endpoint group, shared by the Lambda functions (through
//! lambda_http) and by booking-local, so there is a single HTTP code path.

pub mod cache;
pub mod extract;
pub mod jwt;
pub mod openapi;
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
use utoipa_axum::router::OpenApiRouter;

pub use jwt::{Jwt, JwtConfig};
pub use problem::Problem;
pub use state::{AuthState, Authn, ReservationsState, ServicesState};

/// Request bodies above this many bytes are refused with 413.
pub const BODY_LIMIT: usize = 64 * 1024;

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

// Each area's operations, declared once: the routers above serve them and [`openapi`]
// describes them.

fn auth_routes() -> OpenApiRouter<AuthState> {
    routes::auth::routes()
}

fn services_routes() -> OpenApiRouter<ServicesState> {
    routes::catalog::routes().merge(routes::reports::routes())
}

fn reservations_routes() -> OpenApiRouter<ReservationsState> {
    routes::reservations::routes()
        .merge(routes::history::routes())
        .merge(routes::visits::routes())
}

/// The description of every area's operations, health included.
fn operations() -> [utoipa::openapi::OpenApi; 4] {
    [
        routes::health::<()>().into_openapi(),
        auth_routes().into_openapi(),
        services_routes().into_openapi(),
        reservations_routes().into_openapi(),
    ]
}

fn finish(routes: OpenApiRouter) -> Router {
    let (routes, _) = routes.merge(routes::health()).split_for_parts();
    routes
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
