//! Route handlers by area. Handlers only decode input, call booking-core and encode output.

pub mod auth;
pub mod catalog;
pub mod reservations;

use axum::{Json, Router, routing::get};
use serde_json::{Value, json};

use crate::AppState;

/// `GET /api/health`: liveness for local scripts and load balancers; touches no store.
pub fn health() -> Router<AppState> {
    Router::new().route(
        "/api/health",
        get(|| async { Json::<Value>(json!({"status": "ok"})) }),
    )
}
