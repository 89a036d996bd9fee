//! A thin Stripe client of our own: the PaymentIntent calls the booking saga makes
//! (authorise with manual capture, retrieve, capture, void) and refunds, form-encoded with a
//! pinned `Stripe-Version`, reading only the fields it uses; the webhook signature check;
//! and a trust store of the roots Stripe's domains chain to, compiled in. It links neither
//! the AWS SDK nor a Stripe SDK (async-stripe's release candidates pull 116 crates, and
//! their strict models cannot parse the local emulator's answers), only the hyper + rustls
//! stack the functions already carry.

mod client;
mod error;
mod gateway;
mod intent;
pub mod tls;
pub mod webhook;

pub use client::{API_BASE, Authorize, Config, STRIPE_VERSION, Stripe};
pub use error::StripeError;
pub use gateway::StripeGateway;
pub use intent::{IntentStatus, LastPaymentError, PaymentIntent, Refund};
