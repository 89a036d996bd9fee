//! `GET /api/health`: liveness for local scripts and load balancers; touches no store.

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::operations::operations;

operations!(tag = "health", (): health_check);

/// Liveness.
///
/// Answers as soon as the process serves requests; touches no store.
#[utoipa::path(get, path = "/api/health", operation_id = "getHealth",
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
