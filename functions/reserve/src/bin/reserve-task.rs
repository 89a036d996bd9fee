//! Lambda function running the reserve tasks of the booking workflows (Hold, Confirm,
//! Release, Cancel) for Step Functions. In-memory stores until the AWS issue lands.

use std::sync::Arc;

use booking_core::{
    booking::BookingConfig,
    memory::{MemoryQueue, MemoryStores},
    ports::SystemClock,
};
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let queue = Arc::new(MemoryQueue::default());
    let tasks =
        MemoryStores::default().booking(queue, Arc::new(SystemClock), BookingConfig::default());
    let tasks = &tasks;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| {
        booking_aws::task::reserve(tasks, event)
    }))
    .await
}
