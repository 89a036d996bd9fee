//! Lambda function serving `/api/reservations/*` through lambda_http.

// One thread: an instance handles one event at a time, and starts faster without workers.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    booking_lambda::http::reservations().await
}
