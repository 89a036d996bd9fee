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

/// A payment-method token: a Stripe PaymentMethod id (`pm_...`, what Stripe.js creates
/// in the browser) or one of Stripe's test tokens (`pm_card_visa`, ...), which are also
/// what the [`SimulatedGateway`] understands.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PaymentMethod(String);

impl PaymentMethod {
    /// Stripe's test tokens, as the simulated gateway answers them: authorised; declined;
    /// failing transiently; asking for 3-D Secure (authenticated once asked again).
    pub const TEST_TOKENS: [&'static str; 4] = [
        "pm_card_visa",
        "pm_card_chargeDeclined",
        "pm_card_processingError",
        "pm_card_authenticationRequired",
    ];
    /// The longest token accepted (Stripe's ids are far shorter).
    const MAX_LEN: usize = 100;

    /// `pm_` then 1 to 97 ASCII letters, digits or underscores.
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let body = s.strip_prefix("pm_").unwrap_or_default();
        let ok = !body.is_empty()
            && s.len() <= Self::MAX_LEN
            && body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if ok {
            Ok(PaymentMethod(s.to_owned()))
        } else {
            Err(FieldError::new(
                field,
                "must be a payment method id: pm_ then letters, digits or underscores (at most 100 characters), such as pm_card_visa",
            ))
        }
    }

    /// Stripe's test token of a good card.
    pub fn visa() -> Self {
        PaymentMethod("pm_card_visa".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for PaymentMethod {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::error::deserialize_parsed(d, |s| PaymentMethod::parse("paymentMethod", s))
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

impl GatewayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GatewayKind::Simulated => "simulated",
            GatewayKind::Stripe => "stripe",
        }
    }

    /// `stripe` or `simulated`; `field` names the input in errors.
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        [GatewayKind::Stripe, GatewayKind::Simulated]
            .into_iter()
            .find(|g| g.as_str() == s)
            .ok_or_else(|| FieldError::new(field, "must be stripe or simulated"))
    }
}

/// Whether a service is paid online when it is booked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Prepayment {
    /// Booking takes a payment method: authorised, then captured once confirmed.
    #[default]
    Required,
    /// Paid at the venue: no payment method, no money moves online.
    None,
}

impl Prepayment {
    pub const ALL: [Prepayment; 2] = [Prepayment::Required, Prepayment::None];

    pub fn as_str(self) -> &'static str {
        match self {
            Prepayment::Required => "required",
            Prepayment::None => "none",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        Prepayment::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| FieldError::new(field, "must be required or none"))
    }
}

/// Where a reservation's payment stands at the gateway. Money itself is the ledger's:
/// this is what the saga and the sweeper need to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Paid at the venue: nothing happens online.
    AtVenue,
    /// Nothing asked of the gateway yet.
    Pending,
    /// The customer must authenticate (3-D Secure) before the amount is held.
    RequiresAction,
    /// The amount is held on the card, not yet taken.
    Authorized,
    /// Taken: the ledger holds the charge.
    Captured,
    /// The authorisation was released (or failed): nothing was taken.
    Voided,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 6] = [
        PaymentStatus::AtVenue,
        PaymentStatus::Pending,
        PaymentStatus::RequiresAction,
        PaymentStatus::Authorized,
        PaymentStatus::Captured,
        PaymentStatus::Voided,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::AtVenue => "at_venue",
            PaymentStatus::Pending => "pending",
            PaymentStatus::RequiresAction => "requires_action",
            PaymentStatus::Authorized => "authorized",
            PaymentStatus::Captured => "captured",
            PaymentStatus::Voided => "voided",
        }
    }

    /// The payment's life cycle only goes forward: a late or repeated step (a replay that
    /// read the gateway before the customer authenticated, say) changes nothing.
    pub fn can_become(self, to: PaymentStatus) -> bool {
        use PaymentStatus::*;
        matches!(
            (self, to),
            (Pending, RequiresAction | Authorized | Voided)
                | (RequiresAction, Authorized | Voided)
                | (Authorized, Captured | Voided)
                // The gateway's capture wins over a void it did not take (localstripe
                // captures a cancelled PaymentIntent): the money was taken.
                | (Voided, Captured)
        )
    }
}

/// A reservation's payment: which gateway, where it stands, and the gateway's references.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    /// The gateway that took (or is taking) the money; `None` until the authorisation, and
    /// for a payment at the venue.
    pub gateway: Option<GatewayKind>,
    pub status: PaymentStatus,
    /// The authorisation at the gateway (a Stripe PaymentIntent), once asked for.
    pub authorization: Option<String>,
    /// The capture's reference (a Stripe charge), once taken.
    pub charge: Option<String>,
}

impl Payment {
    /// A new reservation's payment under `prepayment`.
    pub fn new(prepayment: Prepayment) -> Self {
        Payment {
            gateway: None,
            status: match prepayment {
                Prepayment::Required => PaymentStatus::Pending,
                Prepayment::None => PaymentStatus::AtVenue,
            },
            authorization: None,
            charge: None,
        }
    }

    /// Whether the money is taken online.
    pub fn online(&self) -> bool {
        self.status != PaymentStatus::AtVenue
    }

    /// Applies the gateway's `next` word on this payment: a step forward in the life cycle
    /// (true), nothing for the same or an earlier step (false). An authorisation other than
    /// the recorded one is refused ([`Error::Conflict`]): the first one recorded stands.
    pub fn advance(&mut self, next: &Payment) -> Result<bool, Error> {
        if let (Some(mine), Some(theirs)) = (&self.authorization, &next.authorization)
            && mine != theirs
        {
            return Err(Error::Conflict {
                field: "payment.authorization",
                reason: format!("{mine} is recorded, not {theirs}"),
            });
        }
        if !self.status.can_become(next.status) {
            return Ok(false);
        }
        self.status = next.status;
        self.gateway = next.gateway.or(self.gateway);
        self.authorization = next.authorization.clone().or(self.authorization.take());
        self.charge = next.charge.clone().or(self.charge.take());
        Ok(true)
    }
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
        method: &PaymentMethod,
    ) -> Result<Authorization, PaymentError>;
    /// The authorisation `reference` as it stands now (once the customer has authenticated,
    /// say): [`Authorization::Authorized`] also when it has been captured since; an
    /// authorisation that failed or was voided is [`PaymentError::Declined`].
    async fn authorization(
        &self,
        reservation: ReservationId,
        reference: &str,
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

/// The default gateway: behaves like Stripe's test mode for its test tokens
/// ([`PaymentMethod::TEST_TOKENS`]) and declines any other payment method. A card that
/// asks for 3-D Secure counts as authenticated once its authorisation is asked for again
/// (the replay of the booking request), since there is no challenge to take here.
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

    /// The reference `step` of `reservation` made, if it was.
    fn made(&self, reservation: ReservationId, step: &'static str) -> Option<String> {
        let done = self.done.lock().unwrap_or_else(|p| p.into_inner());
        done.get(&(reservation, step)).cloned()
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
        method: &PaymentMethod,
    ) -> Result<Authorization, PaymentError> {
        match method.as_str() {
            "pm_card_visa" => Ok(Authorization::Authorized {
                reference: self.once(reservation, "authorize", "pi"),
            }),
            "pm_card_authenticationRequired" => {
                let reference = self.once(reservation, "authorize", "pi");
                Ok(Authorization::ActionRequired {
                    client_secret: format!("{reference}_secret_simulated"),
                    reference,
                })
            }
            "pm_card_chargeDeclined" => {
                Err(PaymentError::Declined("your card was declined".into()))
            }
            "pm_card_processingError" => Err(PaymentError::Transient(
                "the card processor did not answer".into(),
            )),
            _ => Err(PaymentError::Declined(
                "the simulated gateway knows only Stripe's test tokens (pm_card_visa, ...)".into(),
            )),
        }
    }

    async fn authorization(
        &self,
        reservation: ReservationId,
        reference: &str,
    ) -> Result<Authorization, PaymentError> {
        match self.made(reservation, "authorize") {
            Some(made) if made == reference => Ok(Authorization::Authorized { reference: made }),
            _ => Err(PaymentError::Platform(format!(
                "no authorisation {reference} for reservation {reservation}"
            ))),
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
            .authorize(id(1), eur(100), &PaymentMethod::visa())
            .await
            .unwrap();
        let Authorization::Authorized { reference } = &first else {
            panic!("{first:?}");
        };
        assert!(reference.starts_with("pi_"));
        let again = g
            .authorize(id(1), eur(100), &PaymentMethod::visa())
            .await
            .unwrap();
        assert_eq!(again, first);
        let other = g
            .authorize(id(2), eur(100), &PaymentMethod::visa())
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
            g.authorize(id(3), eur(1), &token("pm_card_chargeDeclined"))
                .await,
            Err(PaymentError::Declined(_))
        ));
        assert!(matches!(
            g.authorize(id(4), eur(1), &token("pm_card_processingError"))
                .await,
            Err(PaymentError::Transient(_))
        ));
        // Another payment method is declined; 3-D Secure passes when asked again
        assert!(matches!(
            g.authorize(id(5), eur(1), &token("pm_1PxYz")).await,
            Err(PaymentError::Declined(_))
        ));
        let challenged = g
            .authorize(id(6), eur(1), &token("pm_card_authenticationRequired"))
            .await
            .unwrap();
        let Authorization::ActionRequired {
            reference,
            client_secret,
        } = challenged
        else {
            panic!("{challenged:?}");
        };
        assert!(client_secret.starts_with(&reference));
        assert_eq!(
            g.authorization(id(6), &reference).await,
            Ok(Authorization::Authorized { reference })
        );
        assert!(matches!(
            g.authorization(id(7), "pi_unknown").await,
            Err(PaymentError::Platform(_))
        ));
        assert_eq!(g.kind(), GatewayKind::Simulated);
    }

    fn token(s: &str) -> PaymentMethod {
        PaymentMethod::parse("paymentMethod", s).unwrap()
    }

    #[test]
    fn payment_methods_are_stripe_ids() {
        for good in ["pm_card_visa", "pm_1PxYzAbC2dEf3GhI", "pm_a"] {
            assert_eq!(token(good).as_str(), good);
        }
        let long = format!("pm_{}", "a".repeat(98));
        for bad in [
            "4242424242424242",
            "pm_",
            "card_visa",
            "pm_a|b",
            "pm_é",
            long.as_str(),
        ] {
            let e = PaymentMethod::parse("paymentMethod", bad).unwrap_err();
            assert_eq!(e.field, "paymentMethod", "{bad}");
        }
        let read: PaymentMethod = serde_json::from_str("\"pm_card_visa\"").unwrap();
        assert_eq!(read, PaymentMethod::visa());
        assert!(serde_json::from_str::<PaymentMethod>("\"visa\"").is_err());
    }
}
