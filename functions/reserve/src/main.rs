//! Lambda function serving `/api/reservations/*` through lambda_http.

// One thread: an instance handles one event at a time, and starts faster without workers.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let state = booking_lambda::env::Aws::load()
        .await?
        .reservations_state()
        .await?;
    booking_lambda::http::serve(booking_api::reservations_router(state)).await
}
