//! Payments: payment-method tokens, the gateway port with a simulated
//! gateway, and the append-only ledger that records every movement of money.

use std::{collections::HashMap, sync::Mutex};

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{
    Error, FieldError,
    ids::{ReservationId, ServiceId},
    money::Money,
};

/// A payment-method token. The simulated gateway understands Stripe's test tokens; a
/// real gateway adapter would accept its own token format here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PaymentMethod {
    #[serde(rename = "pm_card_visa")]
    CardVisa,
    #[serde(rename = "pm_card_chargeDeclined")]
    CardChargeDeclined,
    #[serde(rename = "pm_card_processingError")]
    CardProcessingError,
}

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 3] = [
        PaymentMethod::CardVisa,
        PaymentMethod::CardChargeDeclined,
        PaymentMethod::CardProcessingError,
    ];

    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        match s {
            "pm_card_visa" => Ok(PaymentMethod::CardVisa),
            "pm_card_chargeDeclined" => Ok(PaymentMethod::CardChargeDeclined),
            "pm_card_processingError" => Ok(PaymentMethod::CardProcessingError),
            _ => Err(FieldError::new(
                field,
                "must be a payment method token: pm_card_visa, pm_card_chargeDeclined or pm_card_processingError",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::CardVisa => "pm_card_visa",
            PaymentMethod::CardChargeDeclined => "pm_card_chargeDeclined",
            PaymentMethod::CardProcessingError => "pm_card_processingError",
        }
    }
}

/// How a gateway call can fail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// Final: the issuer said no.
    #[error("declined: {0}")]
    Declined(String),
    /// Worth retrying: the gateway or the network failed.
    #[error("transient: {0}")]
    Transient(String),
    /// The gateway refused the request itself (a bad key, an unknown object): retrying
    /// does not help, and the customer's card is not at fault.
    #[error("gateway: {0}")]
    Platform(String),
}

/// Which gateway moved a reservation's money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GatewayKind {
    /// [`SimulatedGateway`]: Stripe's test tokens, no money moves.
    Simulated,
    /// Stripe (booking-stripe).
    Stripe,
}

/// What an authorisation left on the customer's payment method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization {
    /// The amount is held, awaiting a capture or a void; `reference` names the
    /// authorisation at the gateway (a Stripe PaymentIntent).
    Authorized { reference: String },
    /// The customer must authenticate first (3-D Secure), in the browser with
    /// `client_secret`; the authorisation `reference` is then retried.
    ActionRequired {
        reference: String,
        client_secret: String,
    },
}

/// Moves money in two steps: an authorisation holds the amount on the customer's payment
/// method, a capture takes it (a void releases it), a refund gives part or all of a capture
/// back. Every call is idempotent per reservation and step (the gateway derives its keys
/// from them): a retried call answers what the first did and moves nothing more.
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    /// Which gateway this is.
    fn kind(&self) -> GatewayKind;
    async fn authorize(
        &self,
        reservation: ReservationId,
        amount: Money,
        method: PaymentMethod,
    ) -> Result<Authorization, PaymentError>;
    /// Takes the whole authorised amount; answers the charge's reference.
    async fn capture(
        &self,
        reservation: ReservationId,
        authorization: &str,
    ) -> Result<String, PaymentError>;
    /// Releases an uncaptured authorisation.
    async fn void(
        &self,
        reservation: ReservationId,
        authorization: &str,
    ) -> Result<(), PaymentError>;
    /// Refunds `amount` of the charge `charge`; answers the refund's reference.
    async fn refund(
        &self,
        reservation: ReservationId,
        charge: &str,
        amount: Money,
    ) -> Result<String, PaymentError>;
}

/// The default gateway: behaves like Stripe's test mode for the three tokens, and never
/// asks for authentication.
#[derive(Debug, Default)]
pub struct SimulatedGateway {
    done: Mutex<HashMap<(ReservationId, &'static str), String>>,
}

impl SimulatedGateway {
    /// The reference `step` of `reservation` made the first time, made now if it is.
    fn once(&self, reservation: ReservationId, step: &'static str, prefix: &str) -> String {
        let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
        done.entry((reservation, step))
            .or_insert_with(|| format!("{prefix}_{}", ulid::Ulid::generate()))
            .clone()
    }
}

#[async_trait]
impl PaymentGateway for SimulatedGateway {
    fn kind(&self) -> GatewayKind {
        GatewayKind::Simulated
    }

    async fn authorize(
        &self,
        reservation: ReservationId,
        _amount: Money,
        method: PaymentMethod,
    ) -> Result<Authorization, PaymentError> {
        match method {
            PaymentMethod::CardVisa => Ok(Authorization::Authorized {
                reference: self.once(reservation, "authorize", "pi"),
            }),
            PaymentMethod::CardChargeDeclined => {
                Err(PaymentError::Declined("your card was declined".into()))
            }
            PaymentMethod::CardProcessingError => Err(PaymentError::Transient(
                "the card processor did not answer".into(),
            )),
        }
    }

    async fn capture(&self, reservation: ReservationId, _: &str) -> Result<String, PaymentError> {
        Ok(self.once(reservation, "capture", "ch"))
    }

    async fn void(&self, _: ReservationId, _: &str) -> Result<(), PaymentError> {
        Ok(())
    }

    async fn refund(
        &self,
        reservation: ReservationId,
        _charge: &str,
        _amount: Money,
    ) -> Result<String, PaymentError> {
        Ok(self.once(reservation, "refund", "re"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    Charge,
    Refund,
}

/// One movement of money; never changed or deleted once written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntry {
    pub reservation_id: ReservationId,
    /// The reservation's service: the ledger alone can then say what each service took in
    /// over a span of time (`between`), without reading reservations.
    pub service_id: ServiceId,
    pub kind: EntryKind,
    pub amount: Money,
    pub gateway_reference: String,
    pub at: Timestamp,
}

/// The append-only ledger, idempotent per (reservation, kind).
#[async_trait]
pub trait PaymentLedger: Send + Sync {
    /// Appends `entry` unless one of its kind exists for the reservation; returns the
    /// stored entry either way.
    async fn record(&self, entry: &LedgerEntry) -> Result<LedgerEntry, Error>;
    async fn entries(&self, reservation: ReservationId) -> Result<Vec<LedgerEntry>, Error>;
    /// The entries of several reservations at once (a page of a list), in no particular
    /// order; ids without entries contribute nothing.
    async fn entries_of(&self, reservations: &[ReservationId]) -> Result<Vec<LedgerEntry>, Error>;
    /// Entries written in `[from, to)`, oldest first.
    async fn between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<LedgerEntry>, Error>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn eur(minor: i64) -> Money {
        Money {
            minor,
            currency: Currency::parse("c", "EUR").unwrap(),
        }
    }

    fn id(n: u8) -> ReservationId {
        ReservationId::parse("id", &format!("01KB5ZQ8GQ4W3N9V7Y2X1M0P{n:02}")).unwrap()
    }

    #[tokio::test]
    async fn the_simulated_gateway_follows_the_test_tokens() {
        let g = SimulatedGateway::default();
        // A good card is authorised, once per reservation however often it is asked
        let first = g
            .authorize(id(1), eur(100), PaymentMethod::CardVisa)
            .await
            .unwrap();
        let Authorization::Authorized { reference } = &first else {
            panic!("{first:?}");
        };
        assert!(reference.starts_with("pi_"));
        let again = g
            .authorize(id(1), eur(100), PaymentMethod::CardVisa)
            .await
            .unwrap();
        assert_eq!(again, first);
        let other = g
            .authorize(id(2), eur(100), PaymentMethod::CardVisa)
            .await
            .unwrap();
        assert_ne!(other, first);
        // And its capture and refund are made once each
        let charge = g.capture(id(1), reference).await.unwrap();
        assert!(charge.starts_with("ch_"));
        assert_eq!(g.capture(id(1), reference).await.unwrap(), charge);
        let refund = g.refund(id(1), &charge, eur(40)).await.unwrap();
        assert!(refund.starts_with("re_"));
        assert_eq!(g.refund(id(1), &charge, eur(40)).await.unwrap(), refund);
        assert_eq!(g.void(id(2), "pi_x").await, Ok(()));
        // The other tokens decline, or fail transiently
        assert!(matches!(
            g.authorize(id(3), eur(1), PaymentMethod::CardChargeDeclined)
                .await,
            Err(PaymentError::Declined(_))
        ));
        assert!(matches!(
            g.authorize(id(4), eur(1), PaymentMethod::CardProcessingError)
                .await,
            Err(PaymentError::Transient(_))
        ));
        assert_eq!(g.kind(), GatewayKind::Simulated);
    }

    #[test]
    fn unknown_tokens_are_rejected() {
        assert!(PaymentMethod::parse("paymentMethod", "4242424242424242").is_err());
        assert_eq!(
            PaymentMethod::parse("paymentMethod", "pm_card_visa").unwrap(),
            PaymentMethod::CardVisa
        );
    }
}
