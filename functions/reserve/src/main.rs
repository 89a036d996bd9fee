//! Lambda function serving `/api/reservations/*` through lambda_http.

// One thread: an instance handles one event at a time, and starts faster without workers.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let state = booking_aws::env::Aws::load().await?.http_state().await?;
    booking_aws::http::serve(booking_api::reservations_router(state)).await
}
