//! Lambda function running the pay tasks of the booking workflows (Charge, Refund) over the
//! simulated payment gateway and the DynamoDB ledger.

use lambda_runtime::{LambdaEvent, service_fn};

// One thread: an instance handles one event at a time, and starts faster without workers.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let tasks = booking_lambda::env::Aws::load().await?.booking()?;
    let tasks = &tasks;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| {
        booking_lambda::task::pay(tasks, event)
    }))
    .await
}
