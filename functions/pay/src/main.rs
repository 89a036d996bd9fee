//! Lambda function running the pay tasks of the booking workflows (Charge, Refund) over the
//! simulated payment gateway and the DynamoDB ledger.

// One thread: an instance handles one event at a time, and starts faster without workers.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    booking_lambda::task::pay().await
}
