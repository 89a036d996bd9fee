//! Lambda function consuming the notifications queue (SQS, `ReportBatchItemFailures`).
//!
//! Until the AWS issue lands, the Mailer is `MemoryOutbox` and the SentLog `MemorySentLog`:
//! emails are kept in memory rather than sent, and each warm instance deduplicates on its own.
//! The SES and DynamoDB adapters replace them then; the handler does not change.

use booking_core::notify::{MemoryOutbox, MemorySentLog};
use lambda_runtime::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let (mailer, sent) = (MemoryOutbox::default(), MemorySentLog::default());
    let (mailer, sent) = (&mailer, &sent);
    lambda_runtime::run(service_fn(move |event| notify::handle(event, mailer, sent))).await
}
