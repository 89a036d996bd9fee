//! Lambda function running the reserve tasks of the booking workflows (Hold, Confirm,
//! Release, Cancel) for Step Functions. In-memory stores until the AWS issue lands.

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let tasks = booking_aws::task::tasks_from_env()?;
    let tasks = &tasks;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| {
        booking_aws::task::reserve(tasks, event)
    }))
    .await
}
