//! Lambda function serving `/api/reservations/*` through lambda_http.
//!
//! Until the AWS issue lands the stores are in memory and the workflow runs in process:
//! every warm instance has its own data. The router is the production one.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let state = booking_api::lambda_state()?;
    lambda_http::run(booking_api::reservations_router(state)).await
}
