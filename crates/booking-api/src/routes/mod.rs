//! Route handlers by area. Handlers only decode input, call booking-core and encode output.

pub mod auth;
pub mod catalog;
pub mod history;
pub mod reports;
pub mod reservations;

use axum::{Json, Router, routing::get};
use serde::Serialize;
use utoipa::ToSchema;

/// `GET /api/health`: liveness for local scripts and load balancers; touches no store.
pub fn health() -> Router {
    Router::new().route("/api/health", get(health_check))
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

/// The `limit` (`default` when left out, 1 to `max`) and `cursor` of a reservation listing;
/// each bad one is added to `p`, naming the parameter.
pub(crate) fn reservation_page(
    p: &mut booking_core::error::Problems,
    limit: Option<u32>,
    cursor: Option<&str>,
    default: u32,
    max: u32,
) -> (usize, Option<booking_core::ports::ReservationCursor>) {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        p.push(booking_core::FieldError::new(
            "limit",
            format!("must be between 1 and {max}"),
        ));
    }
    let after = cursor.and_then(|c| {
        p.check(
            booking_core::ports::ReservationCursor::decode(c).ok_or_else(|| {
                booking_core::FieldError::new("cursor", "is not a cursor this API returned")
            }),
        )
    });
    (limit as usize, after)
}
