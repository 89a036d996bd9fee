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
}

/// Moves money. Both calls are idempotent on `idempotency_key`: a retried call returns the
/// first call's reference and moves nothing more.
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    async fn charge(
        &self,
        idempotency_key: &str,
        amount: Money,
        method: PaymentMethod,
    ) -> Result<String, PaymentError>;
    async fn refund(
        &self,
        idempotency_key: &str,
        charge_reference: &str,
        amount: Money,
    ) -> Result<String, PaymentError>;
}

/// The default gateway: behaves like Stripe's test mode for the three tokens.
#[derive(Debug, Default)]
pub struct SimulatedGateway {
    done: Mutex<HashMap<String, String>>,
}

impl SimulatedGateway {
    fn once(&self, key: &str, prefix: &str) -> String {
        let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
        done.entry(key.to_owned())
            .or_insert_with(|| format!("{prefix}_{}", ulid::Ulid::generate()))
            .clone()
    }
}

#[async_trait]
impl PaymentGateway for SimulatedGateway {
    async fn charge(
        &self,
        idempotency_key: &str,
        _amount: Money,
        method: PaymentMethod,
    ) -> Result<String, PaymentError> {
        match method {
            PaymentMethod::CardVisa => Ok(self.once(idempotency_key, "ch")),
            PaymentMethod::CardChargeDeclined => {
                Err(PaymentError::Declined("your card was declined".into()))
            }
            PaymentMethod::CardProcessingError => Err(PaymentError::Transient(
                "the card processor did not answer".into(),
            )),
        }
    }

    async fn refund(
        &self,
        idempotency_key: &str,
        _charge_reference: &str,
        _amount: Money,
    ) -> Result<String, PaymentError> {
        Ok(self.once(idempotency_key, "re"))
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

    #[tokio::test]
    async fn the_simulated_gateway_follows_the_test_tokens() {
        let g = SimulatedGateway::default();
        let a = g
            .charge("k1", eur(100), PaymentMethod::CardVisa)
            .await
            .unwrap();
        assert!(a.starts_with("ch_"));
        assert_eq!(
            g.charge("k1", eur(100), PaymentMethod::CardVisa)
                .await
                .unwrap(),
            a
        );
        assert_ne!(
            g.charge("k2", eur(100), PaymentMethod::CardVisa)
                .await
                .unwrap(),
            a
        );
        assert!(matches!(
            g.charge("k3", eur(1), PaymentMethod::CardChargeDeclined)
                .await,
            Err(PaymentError::Declined(_))
        ));
        assert!(matches!(
            g.charge("k4", eur(1), PaymentMethod::CardProcessingError)
                .await,
            Err(PaymentError::Transient(_))
        ));
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
