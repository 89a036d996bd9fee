//! Lambda function serving the services routes of the booking API through lambda_http.
//!
//! Until the AWS issue lands, the stores are the in-memory adapters: every warm instance has
//! its own data. The router, validation, auth and error mapping are the production ones.

use std::sync::Arc;

use booking_api::{AppState, JwtConfig, Ports, services_router};
use booking_core::memory::MemoryQueue;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let jwt = JwtConfig::from_vars(|k| std::env::var(k).ok(), None)?;
    let state = AppState::new(Ports::in_memory(Arc::new(MemoryQueue::default()), 1.0), jwt);
    lambda_http::run(services_router(state)).await
}
