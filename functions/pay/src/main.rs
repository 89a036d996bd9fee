//! Lambda function running the pay tasks of the booking workflows (Authorize, Capture, Void,
//! Refund) over the payment gateway `PAYMENT_GATEWAY` names (Stripe, or the simulated one
//! for a staging stack) and the DynamoDB ledger. Only the functions that pay link the
//! Stripe client.

use std::sync::Arc;

use booking_core::payment::{PaymentGateway, SimulatedGateway};
use booking_lambda::env::GatewayChoice;

// One thread: an instance handles one event at a time, and starts faster without workers.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    booking_lambda::task::pay(gateway).await
}

fn gateway(choice: GatewayChoice) -> anyhow::Result<Arc<dyn PaymentGateway>> {
    Ok(match choice {
        GatewayChoice::Simulated => Arc::new(SimulatedGateway::default()),
        GatewayChoice::Stripe {
            secret_key,
            api_base,
        } => Arc::new(booking_stripe::StripeGateway::connect(
            secret_key, api_base,
        )?),
    })
}
