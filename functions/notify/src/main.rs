//! Lambda function consuming the notifications queue (SQS, `ReportBatchItemFailures`):
//! renders each notification and sends it with SES, at most once per (reservation, event)
//! thanks to the sent log in DynamoDB.

// One thread: an instance handles one event at a time, and starts faster without workers.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    booking_lambda::notify::notify().await
}
