//! Route handlers by area. Handlers only decode input, call booking-core and encode output.

pub mod auth;
pub mod catalog;
pub mod history;
pub mod paging;
pub mod reports;
pub mod reservations;
pub mod visits;

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// `GET /api/health`: liveness for local scripts and load balancers; touches no store.
pub fn health<S: Clone + Send + Sync + 'static>() -> OpenApiRouter<S> {
    OpenApiRouter::new().routes(routes!(health_check))
}

/// Liveness.
///
/// Answers as soon as the process serves requests; touches no store.
#[utoipa::path(
    get,
    path = "/api/health",
    operation_id = "getHealth",
    tag = "health",
    responses(
        (status = 200, description = "The process is up.", body = Health,
            example = json!({"status": "ok"})),
    )
)]
pub(crate) async fn health_check() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The body of `GET /api/health`.
#[derive(Serialize, ToSchema)]
pub(crate) struct Health {
    /// Always `ok`.
    #[schema(value_type = String, pattern = "^ok$")]
    status: &'static str,
}
