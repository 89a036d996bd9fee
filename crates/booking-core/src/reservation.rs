//! Reservations: a customer's claim on a service at a time, its
//! status life cycle and the audit trail of every change.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{
    Error,
    booking::{FailureCode, TaskError},
    idempotency::{Fingerprint, IdempotencyKey},
    ids::{ReservationId, ServiceId, UserId},
    money::Money,
    payment::{Payment, PaymentMethod},
    time::Zone,
    user::{Email, Role},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// Slot held while the payment runs; lapses at `hold_expires_at`.
    PendingPayment,
    Confirmed,
    /// The booking did not go through (declined card, expired hold, ...).
    Failed,
    Cancelled,
    /// The visit took place (marked by staff after the start).
    Completed,
    NoShow,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::PendingPayment,
        Status::Confirmed,
        Status::Failed,
        Status::Cancelled,
        Status::Completed,
        Status::NoShow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::PendingPayment => "PENDING_PAYMENT",
            Status::Confirmed => "CONFIRMED",
            Status::Failed => "FAILED",
            Status::Cancelled => "CANCELLED",
            Status::Completed => "COMPLETED",
            Status::NoShow => "NO_SHOW",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, crate::FieldError> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
        .ok_or_else(|| {
            crate::FieldError::new(
                field,
                "must be one of PENDING_PAYMENT, CONFIRMED, FAILED, CANCELLED, COMPLETED, NO_SHOW",
            )
        })
    }

    /// The legal life cycle; everything else is refused.
    pub fn can_become(self, to: Status) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (PendingPayment, Confirmed)
                | (PendingPayment, Failed)
                | (Confirmed, Failed)
                | (Confirmed, Cancelled)
                | (Confirmed, Completed)
                | (Confirmed, NoShow)
        )
    }
}

/// How long a reservation's claims count against capacity ([`Reservation::occupancy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occupancy {
    /// Failed or cancelled: its claims count for nothing.
    Nothing,
    /// Held in payment: until this instant (exclusive), the hold's expiry.
    Until(Timestamp),
    /// Confirmed, or a visit that took place or was missed.
    ForGood,
}

/// Which per-customer limit a reservation counts against, and until when (exclusive):
/// [`Reservation::limit_count`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitCount {
    /// An active hold, until it expires.
    Hold(Timestamp),
    /// An upcoming reservation, until it starts.
    Upcoming(Timestamp),
}

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Actor {
    /// The booking workflow itself.
    System,
    User {
        id: UserId,
        role: Role,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusChange {
    pub at: Timestamp,
    pub from: Option<Status>,
    pub to: Status,
    pub actor: Actor,
    pub reason: String,
}

/// Why a booking failed: the workflow error's stable name and a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    pub code: FailureCode,
    pub message: String,
}

impl Failure {
    /// The error the booking failed with, for a replay to answer with again.
    pub fn to_error(&self) -> TaskError {
        self.code.error(self.message.clone())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reservation {
    pub id: ReservationId,
    pub customer_id: UserId,
    pub service_id: ServiceId,
    /// Snapshots taken at hold time, so history and emails do not change with the catalog.
    pub service_name: String,
    pub customer_email: Email,
    pub customer_name: String,
    pub time_zone: Zone,
    pub start: Timestamp,
    pub end: Timestamp,
    /// Start instants of every claim unit it takes (duration plus buffer, in 5-minute
    /// buckets of absolute time: [`crate::availability::units`]).
    pub units: Vec<Timestamp>,
    pub status: Status,
    /// Stored and sent as `amountMinor` and `currency`.
    #[serde(flatten, with = "amount_fields")]
    pub amount: Money,
    /// `None` for a service paid at the venue.
    pub payment_method: Option<PaymentMethod>,
    /// Where the payment stands at the gateway (the ledger records the money).
    pub payment: Payment,
    /// Set by a cancellation: what the policy gives back.
    pub refund_due_minor: Option<i64>,
    pub idempotency_key: IdempotencyKey,
    /// The request the idempotency key was first used with.
    pub fingerprint: Fingerprint,
    pub hold_expires_at: Timestamp,
    pub failure: Option<Failure>,
    pub history: Vec<StatusChange>,
    pub created_at: Timestamp,
    /// Incremented by every change; adapters use it for optimistic concurrency.
    pub version: u64,
}

/// A reservation's price as its document has always spelt it: `amountMinor` and
/// `currency` beside the other fields.
mod amount_fields {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::money::{Currency, Money};

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Fields {
        amount_minor: i64,
        currency: Currency,
    }

    pub fn serialize<S: Serializer>(m: &Money, s: S) -> Result<S::Ok, S::Error> {
        let (amount_minor, currency) = (m.minor, m.currency);
        Fields {
            amount_minor,
            currency,
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
        let f = Fields::deserialize(d)?;
        Ok(Money {
            minor: f.amount_minor,
            currency: f.currency,
        })
    }
}

impl Reservation {
    /// How long this reservation's claims count against capacity: confirmed ones (and
    /// visits that took place or were missed) for good, pending ones until their hold
    /// expires, failed and cancelled ones not at all. The in-memory store asks
    /// [`Reservation::occupies`]; the DynamoDB store writes it into each claim item.
    pub fn occupancy(&self) -> Occupancy {
        match self.status {
            Status::Confirmed | Status::Completed | Status::NoShow => Occupancy::ForGood,
            Status::PendingPayment => Occupancy::Until(self.hold_expires_at),
            Status::Failed | Status::Cancelled => Occupancy::Nothing,
        }
    }

    /// Whether this reservation's claims count against capacity at `now`.
    pub fn occupies(&self, now: Timestamp) -> bool {
        match self.occupancy() {
            Occupancy::ForGood => true,
            Occupancy::Until(until) => now < until,
            Occupancy::Nothing => false,
        }
    }

    /// What this reservation counts as against its customer's
    /// [`HoldLimits`](crate::ports::HoldLimits), and until when (exclusive): a hold in
    /// payment until it expires, a confirmed reservation until it starts, anything else
    /// never. Both stores count by it ([`crate::holds::decide_hold`] takes the counts).
    pub fn limit_count(&self) -> Option<LimitCount> {
        match self.status {
            Status::PendingPayment => Some(LimitCount::Hold(self.hold_expires_at)),
            Status::Confirmed => Some(LimitCount::Upcoming(self.start)),
            _ => None,
        }
    }

    /// The status side of a confirmation: PENDING_PAYMENT becomes CONFIRMED while the hold
    /// is live (true: changed), once its payment is authorised (or due at the venue);
    /// [`Error::HoldExpired`] from the hold's expiry on; a CONFIRMED reservation stays as it
    /// is (false), so a retried confirmation is harmless; other statuses are an
    /// [`Error::IllegalTransition`]. Both stores use it.
    pub fn confirm(&mut self, now: Timestamp) -> Result<bool, Error> {
        use crate::payment::PaymentStatus::{AtVenue, Authorized};
        if self.status == Status::Confirmed {
            return Ok(false);
        }
        if self.status == Status::PendingPayment && now >= self.hold_expires_at {
            return Err(Error::HoldExpired);
        }
        if self.status == Status::PendingPayment
            && !matches!(self.payment.status, Authorized | AtVenue)
        {
            return Err(Error::Conflict {
                field: "payment",
                reason: format!(
                    "is {}: a reservation is confirmed once its payment is authorised",
                    self.payment.status.as_str()
                ),
            });
        }
        let reason = match self.payment.status {
            AtVenue => "confirmed, to be paid at the venue",
            _ => "payment authorised",
        };
        self.transition(Status::Confirmed, now, Actor::System, reason)?;
        Ok(true)
    }

    /// The status side of a capture that failed for good: CONFIRMED becomes FAILED by the
    /// system with `failure` (true); FAILED stays as it is (false). A payment that was
    /// captured is never revoked, nor is any other status ([`Error::IllegalTransition`]).
    /// Both stores use it, and free the claims with it.
    pub fn revoke(&mut self, failure: Failure, now: Timestamp) -> Result<bool, Error> {
        if self.status == Status::Failed {
            return Ok(false);
        }
        if self.status != Status::Confirmed
            || self.payment.status == crate::payment::PaymentStatus::Captured
        {
            return Err(Error::IllegalTransition {
                from: self.status.as_str(),
                to: "revoked",
            });
        }
        let reason = failure.message.clone();
        self.transition(Status::Failed, now, Actor::System, reason)?;
        self.failure = Some(failure);
        Ok(true)
    }

    /// Records the gateway's word on the payment ([`Payment::advance`]): true when it moved
    /// forward; the version moves with it.
    pub fn record_payment(&mut self, next: &Payment) -> Result<bool, Error> {
        let changed = self.payment.advance(next)?;
        if changed {
            self.version += 1;
        }
        Ok(changed)
    }

    /// The status side of a cancellation: CONFIRMED becomes CANCELLED with the refund the
    /// policy grants; any other status is an [`Error::IllegalTransition`]. Both stores use
    /// it; from then on the reservation occupies nothing.
    pub fn cancel(
        &mut self,
        refund_due_minor: i64,
        actor: Actor,
        reason: &str,
        now: Timestamp,
    ) -> Result<(), Error> {
        self.transition(Status::Cancelled, now, actor, reason)?;
        self.refund_due_minor = Some(refund_due_minor);
        Ok(())
    }

    /// The status side of a release: PENDING_PAYMENT becomes FAILED with `failure` (true:
    /// changed); FAILED and CANCELLED stay as they are (false); a reservation that holds its
    /// slot for good (CONFIRMED, COMPLETED, NO_SHOW) cannot be released. Both stores use it.
    pub fn fail_for_release(
        &mut self,
        failure: Option<Failure>,
        now: Timestamp,
    ) -> Result<bool, Error> {
        match self.status {
            Status::Confirmed | Status::Completed | Status::NoShow => {
                Err(Error::IllegalTransition {
                    from: self.status.as_str(),
                    to: "released",
                })
            }
            Status::PendingPayment => {
                let reason = failure
                    .as_ref()
                    .map_or("released".into(), |f| f.message.clone());
                self.transition(Status::Failed, now, Actor::System, reason)?;
                self.failure = failure;
                Ok(true)
            }
            Status::Failed | Status::Cancelled => Ok(false),
        }
    }

    /// Staff record the outcome of a visit (COMPLETED or NO_SHOW) once its start has passed.
    /// Recording the outcome it already has changes nothing (false), so a retried request is
    /// harmless; any other status is an [`Error::IllegalTransition`] naming the current one,
    /// and a start still to come is an [`Error::Rule`] on `start`. Both stores use it.
    pub fn record_visit(
        &mut self,
        outcome: Status,
        actor: Actor,
        now: Timestamp,
    ) -> Result<bool, Error> {
        if !matches!(outcome, Status::Completed | Status::NoShow) {
            return Err(Error::IllegalTransition {
                from: self.status.as_str(),
                to: outcome.as_str(),
            });
        }
        if self.status == outcome {
            return Ok(false);
        }
        if !self.status.can_become(outcome) {
            return Err(Error::IllegalTransition {
                from: self.status.as_str(),
                to: outcome.as_str(),
            });
        }
        if now < self.start {
            return Err(Error::Rule {
                field: "start",
                reason: format!(
                    "has not passed yet: the visit can be marked {} from {} on",
                    outcome.as_str(),
                    self.start
                ),
            });
        }
        let reason = match outcome {
            Status::Completed => "the visit took place",
            _ => "the customer did not come",
        };
        self.transition(outcome, now, actor, reason)?;
        Ok(true)
    }

    /// Moves to `to` if the life cycle allows it, recording who and why.
    pub fn transition(
        &mut self,
        to: Status,
        at: Timestamp,
        actor: Actor,
        reason: impl Into<String>,
    ) -> Result<(), Error> {
        if !self.status.can_become(to) {
            return Err(Error::IllegalTransition {
                from: self.status.as_str(),
                to: to.as_str(),
            });
        }
        self.history.push(StatusChange {
            at,
            from: Some(self.status),
            to,
            actor,
            reason: reason.into(),
        });
        self.status = to;
        self.version += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_documented_transitions_are_legal() {
        use Status::*;
        let all = Status::ALL;
        let legal: Vec<_> = all
            .iter()
            .flat_map(|a| all.iter().map(move |b| (*a, *b)))
            .filter(|(a, b)| a.can_become(*b))
            .collect();
        assert_eq!(
            legal,
            [
                (PendingPayment, Confirmed),
                (PendingPayment, Failed),
                (Confirmed, Failed),
                (Confirmed, Cancelled),
                (Confirmed, Completed),
                (Confirmed, NoShow)
            ]
        );
    }

    #[test]
    fn the_stored_document_keeps_its_shape() {
        // Given a failed reservation, its typed fields set
        let at: Timestamp = "2030-01-07T09:00:00Z".parse().unwrap();
        let service = ServiceId::parse("s", "01KB2Z8Q0000000000000000S1").unwrap();
        let r = Reservation {
            id: ReservationId::parse("r", "01KB2Z8Q0000000000000000R1").unwrap(),
            customer_id: UserId::parse("c", "01KB2Z8Q0000000000000000C1").unwrap(),
            service_id: service,
            service_name: "Haircut".into(),
            customer_email: Email::parse("ada@example.com").unwrap(),
            customer_name: "Ada".into(),
            time_zone: Zone::parse("timeZone", "Europe/Madrid").unwrap(),
            start: at,
            end: at,
            units: vec![at],
            status: Status::Failed,
            amount: Money {
                minor: 2500,
                currency: crate::money::Currency::parse("currency", "EUR").unwrap(),
            },
            payment_method: Some(PaymentMethod::visa()),
            payment: Payment {
                gateway: Some(crate::payment::GatewayKind::Stripe),
                status: crate::payment::PaymentStatus::Voided,
                authorization: Some("pi_1".into()),
                charge: None,
            },
            refund_due_minor: None,
            idempotency_key: IdempotencyKey::parse("key", "key-1").unwrap(),
            fingerprint: Fingerprint::of(service, at, Some(&PaymentMethod::visa())),
            hold_expires_at: at,
            failure: Some(Failure {
                code: FailureCode::parse("States.Timeout"),
                message: "took too long".into(),
            }),
            history: Vec::new(),
            created_at: at,
            version: 2,
        };

        // When it is serialised, then the JSON is the one docs/dynamodb.md and the API show
        let json = serde_json::to_string(&r).unwrap();
        let t = "\"2030-01-07T09:00:00Z\"";
        let expected = format!(
            "{{\"id\":\"01KB2Z8Q0000000000000000R1\",\"customerId\":\"01KB2Z8Q0000000000000000C1\",\
             \"serviceId\":\"01KB2Z8Q0000000000000000S1\",\"serviceName\":\"Haircut\",\
             \"customerEmail\":\"ada@example.com\",\"customerName\":\"Ada\",\
             \"timeZone\":\"Europe/Madrid\",\"start\":{t},\"end\":{t},\"units\":[{t}],\
             \"status\":\"FAILED\",\"amountMinor\":2500,\"currency\":\"EUR\",\
             \"paymentMethod\":\"pm_card_visa\",\"payment\":{{\"gateway\":\"stripe\",\"status\":\"voided\",\
             \"authorization\":\"pi_1\",\"charge\":null}},\"refundDueMinor\":null,\
             \"idempotencyKey\":\"key-1\",\"fingerprint\":\"01KB2Z8Q0000000000000000S1|1894006800000|pm_card_visa\",\
             \"holdExpiresAt\":{t},\"failure\":{{\"code\":\"States.Timeout\",\"message\":\"took too long\"}},\
             \"history\":[],\"createdAt\":{t},\"version\":2}}"
        );
        assert_eq!(json, expected);

        // And it reads back as it was
        assert_eq!(serde_json::from_str::<Reservation>(&json).unwrap(), r);
    }

    #[test]
    fn a_recorded_failure_answers_a_replay_with_the_same_error() {
        let failure = |code: &str, message: &str| Failure {
            code: FailureCode::parse(code),
            message: message.into(),
        };
        assert_eq!(
            failure("PaymentDeclined", "no").to_error(),
            TaskError::PaymentDeclined("no".into())
        );
        assert_eq!(
            failure("RuleViolation", "start: is in the past").to_error(),
            TaskError::RuleViolation {
                field: "start".into(),
                reason: "is in the past".into()
            }
        );
        assert_eq!(
            failure("States.Timeout", "took too long").to_error(),
            TaskError::ServiceUnavailable("States.Timeout: took too long".into())
        );
        let json = serde_json::to_value(failure("HoldExpired", "late")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "HoldExpired", "message": "late"})
        );
    }

    #[test]
    fn statuses_parse_from_their_wire_names() {
        assert_eq!(Status::parse("status", "NO_SHOW").unwrap(), Status::NoShow);
        assert!(Status::parse("status", "confirmed").is_err());
        assert_eq!(
            serde_json::to_value(Status::PendingPayment).unwrap(),
            "PENDING_PAYMENT"
        );
    }
}
