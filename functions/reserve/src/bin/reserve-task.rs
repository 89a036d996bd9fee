//! Lambda function running the reserve tasks of the booking workflows (Hold, Confirm,
//! Release, Cancel) for Step Functions, over DynamoDB.

// One thread: an instance handles one event at a time, and starts faster without workers.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    booking_lambda::task::reserve().await
}
