//! Lambda function consuming the notifications queue (SQS, `ReportBatchItemFailures`):
//! renders each notification and sends it with SES, at most once per (reservation, event)
//! thanks to the sent log in DynamoDB.

use lambda_runtime::{Error, service_fn};

// One thread: an instance handles one event at a time, and starts faster without workers.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let (mailer, sent) = booking_lambda::env::Aws::load().await?.notifier()?;
    let (mailer, sent) = (&mailer, &sent);
    lambda_runtime::run(service_fn(move |event| notify::handle(event, mailer, sent))).await
}
