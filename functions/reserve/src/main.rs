//! Lambda function serving `/api/reservations/*` through lambda_http.
//!
//! Until the AWS issue lands the stores are in memory and the workflow runs in process:
//! every warm instance has its own data. The router is the production one.

use std::sync::Arc;

use booking_api::{AppState, JwtConfig, Ports, reservations_router};
use booking_core::memory::MemoryQueue;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let jwt = JwtConfig::from_vars(|k| std::env::var(k).ok(), None)?;
    let state = AppState::new(Ports::in_memory(Arc::new(MemoryQueue::default()), 1.0), jwt);
    lambda_http::run(reservations_router(state)).await
}
