//! Lambda function serving the auth routes of the booking API through lambda_http.
//!
//! Until the AWS issue lands, the stores are the in-memory adapters: every warm instance has
//! its own data. The router, validation, auth and error mapping are the production ones.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let state = booking_api::lambda_state()?;
    lambda_http::run(booking_api::auth_router(state)).await
}
