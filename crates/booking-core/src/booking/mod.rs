//! The booking workflow's tasks (Hold, Authorize, Confirm, Capture, Void, Refund, Release,
//! Revoke, Cancel). Each is
//! idempotent, because Step Functions runs tasks at least once and clients retry: run twice
//! with the same input, a task changes nothing more and returns the same result.

mod config;
mod errors;
mod messages;

pub use config::*;
pub use errors::*;
pub use messages::*;

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use crate::{
    availability::check_start,
    ids::ReservationId,
    money::Money,
    notify::{Notification, NotificationEvent},
    payment::{
        Authorization, EntryKind, LedgerEntry, Payment, PaymentError, PaymentGateway,
        PaymentLedger, PaymentStatus, Prepayment,
    },
    ports::{Cancellation, CatalogStore, Clock, Held, ReservationStore, SettingsStore, UserStore},
    reservation::{Actor, Failure, Reservation, Status, StatusChange},
    user::Role,
};

/// The ports the tasks need, and no queue: Confirm, Release and Cancel return their
/// notification, and the workflow sends it. Cheap to clone.
#[derive(Clone)]
pub struct Booking {
    pub reservations: Arc<dyn ReservationStore>,
    pub ledger: Arc<dyn PaymentLedger>,
    pub gateway: Arc<dyn PaymentGateway>,
    pub services: Arc<dyn CatalogStore>,
    pub settings: Arc<dyn SettingsStore>,
    pub users: Arc<dyn UserStore>,
    pub clock: Arc<dyn Clock>,
    pub config: BookingConfig,
}

impl std::fmt::Debug for Booking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Booking")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Booking {
    async fn reservation(&self, id: ReservationId) -> Result<Reservation, TaskError> {
        self.reservations
            .get(id)
            .await?
            .ok_or_else(|| TaskError::NotFound(format!("reservation {id} not found")))
    }

    async fn charge_entry(
        &self,
        id: ReservationId,
        kind: EntryKind,
    ) -> Result<Option<LedgerEntry>, TaskError> {
        Ok(self
            .ledger
            .entries(id)
            .await?
            .into_iter()
            .find(|e| e.kind == kind))
    }

    /// Enters what the gateway moved for `r` in the ledger, which keeps the first entry of
    /// each kind: a replay gets that one back.
    async fn enter(
        &self,
        r: &Reservation,
        kind: EntryKind,
        amount: Money,
        gateway_reference: String,
        at: Timestamp,
    ) -> Result<LedgerEntry, TaskError> {
        let entry = LedgerEntry {
            reservation_id: r.id,
            service_id: r.service_id,
            kind,
            amount,
            gateway_reference,
            at,
        };
        Ok(self.ledger.record(&entry).await?)
    }

    /// Hold: checks the rules, then creates the PENDING_PAYMENT reservation and claims its
    /// slot units in one atomic write. A replay returns the stored reservation (or its
    /// recorded failure).
    #[tracing::instrument(skip_all, fields(reservation_id = %req.reservation_id))]
    pub async fn hold(&self, req: &BookingRequest) -> Result<HoldOutput, TaskError> {
        let now = self.clock.now();
        if let Some(existing) = self.reservations.get(req.reservation_id).await? {
            return replay(existing, req);
        }
        let rule = |field: &str, reason: &str| TaskError::RuleViolation {
            field: field.into(),
            reason: reason.into(),
        };
        let service = self
            .services
            .get(req.service_id)
            .await?
            .ok_or_else(|| rule("serviceId", "does not exist"))?;
        if !service.active {
            return Err(rule(
                "serviceId",
                "is not bookable: the service is inactive",
            ));
        }
        match (service.prepayment, &req.payment_method) {
            (Prepayment::Required, None) => {
                return Err(rule(
                    "paymentMethod",
                    "is required: the service is paid online when booked",
                ));
            }
            (Prepayment::None, Some(_)) => {
                return Err(rule(
                    "paymentMethod",
                    "must be left out: the service is paid at the venue",
                ));
            }
            _ => {}
        }
        let customer = self
            .users
            .get(req.customer_id)
            .await?
            .ok_or_else(|| TaskError::InvalidRequest("unknown customer".into()))?;
        let settings = self.settings.current().await?;
        let (end, units) = check_start(&settings, &service, req.start, now)?;
        let actor = Actor::User {
            id: customer.id,
            role: customer.role,
        };
        let reservation = Reservation {
            id: req.reservation_id,
            customer_id: customer.id,
            service_id: service.id,
            service_name: service.name.clone(),
            customer_email: customer.email.clone(),
            customer_name: customer.name.clone(),
            time_zone: settings.zone().clone(),
            start: req.start,
            end,
            units,
            status: Status::PendingPayment,
            amount: Money {
                minor: service.price_minor,
                currency: service.currency,
            },
            payment_method: req.payment_method.clone(),
            payment: Payment::new(service.prepayment),
            refund_due_minor: None,
            idempotency_key: req.idempotency_key.clone(),
            fingerprint: req.fingerprint.clone(),
            hold_expires_at: now + self.config.hold_ttl,
            failure: None,
            history: vec![StatusChange {
                at: now,
                from: None,
                to: Status::PendingPayment,
                actor,
                reason: "slot held for payment".into(),
            }],
            created_at: now,
            version: 1,
        };
        let held = self
            .reservations
            .hold(&reservation, service.capacity, self.config.limits)
            .await?;
        match held {
            Held::Created(r) => {
                tracing::info!(service_id = %r.service_id, "slot held");
                Ok(hold_output(&r))
            }
            Held::Existing(r) => replay(r, req),
        }
    }

    /// Authorize: holds the price on the customer's card, once: the first run asks the
    /// gateway for an authorisation and records it on the reservation; a later run (a
    /// retry, the client's replay after 3-D Secure) asks the gateway where that one stands.
    /// Only while the hold is live.
    #[tracing::instrument(skip_all, fields(reservation_id = %id))]
    pub async fn authorize(&self, id: ReservationId) -> Result<AuthorizeOutput, TaskError> {
        let r = self.reservation(id).await?;
        if r.status == Status::Confirmed {
            // A replay that finds a concurrent run further on: nothing to ask again.
            return Ok(authorized());
        }
        if r.status != Status::PendingPayment || self.clock.now() >= r.hold_expires_at {
            return Err(TaskError::HoldExpired(format!(
                "the hold lapsed before payment (status {})",
                r.status.as_str()
            )));
        }
        let answer = match &r.payment.authorization {
            Some(reference) => self.gateway.authorization(id, reference).await?,
            None => {
                let method = r.payment_method.as_ref().ok_or_else(|| {
                    TaskError::InvalidRequest("the reservation has no payment method".into())
                })?;
                self.gateway.authorize(id, r.amount, method).await?
            }
        };
        let (status, reference, client_secret) = match answer {
            Authorization::Authorized { reference } => (PaymentStatus::Authorized, reference, None),
            Authorization::ActionRequired {
                reference,
                client_secret,
            } => (
                PaymentStatus::RequiresAction,
                reference,
                Some(client_secret),
            ),
        };
        let next = Payment {
            gateway: Some(self.gateway.kind()),
            status,
            authorization: Some(reference.clone()),
            charge: None,
        };
        let stored = match self.reservations.record_payment(id, &next).await {
            Ok(stored) => stored,
            Err(crate::Error::Conflict { .. }) => {
                // Another run recorded its own authorisation first (only a gateway that
                // ignores idempotency keys makes a second one): release ours, go on with it.
                self.gateway.void(id, &reference).await?;
                tracing::warn!(released = %reference, "a concurrent authorisation was recorded first");
                return Box::pin(self.authorize(id)).await;
            }
            Err(e) => return Err(e.into()),
        };
        match (stored.payment.status, client_secret) {
            (PaymentStatus::RequiresAction, Some(client_secret)) => {
                tracing::info!("the card asks for authentication");
                Ok(AuthorizeOutput {
                    status: AuthorizeStatus::RequiresAction,
                    client_secret: Some(client_secret),
                })
            }
            // Authorised now, or by a concurrent run after the customer authenticated.
            _ => {
                tracing::info!(amount_minor = r.amount.minor, "authorised");
                Ok(authorized())
            }
        }
    }

    /// Confirm: PENDING_PAYMENT -> CONFIRMED while the hold is live, once the payment is
    /// authorised or due at the venue (the store checks both in its write).
    #[tracing::instrument(skip_all, fields(reservation_id = %id))]
    pub async fn confirm(&self, id: ReservationId) -> Result<NotifyOutput, TaskError> {
        let r = self.reservations.confirm(id, self.clock.now()).await?;
        tracing::info!("confirmed");
        Ok(NotifyOutput {
            notification: notification(&r, NotificationEvent::Confirmed, None),
        })
    }

    /// Capture: takes the authorised amount of a CONFIRMED reservation and enters the
    /// charge in the ledger, once: the ledger is consulted first and the gateway's capture
    /// is idempotent per reservation. Returns the confirmation message with the charge.
    #[tracing::instrument(skip_all, fields(reservation_id = %id))]
    pub async fn capture(&self, id: ReservationId) -> Result<NotifyOutput, TaskError> {
        let r = self.reservation(id).await?;
        let entry = match self.charge_entry(id, EntryKind::Charge).await? {
            Some(entry) => entry,
            None => {
                if r.status != Status::Confirmed {
                    return Err(TaskError::InvalidRequest(format!(
                        "a {} reservation is not captured",
                        r.status.as_str()
                    )));
                }
                let authorization = r.payment.authorization.as_deref().ok_or_else(|| {
                    TaskError::InvalidRequest("no authorisation is recorded".into())
                })?;
                let charge = self.gateway.capture(id, authorization).await?;
                let entry = self
                    .enter(&r, EntryKind::Charge, r.amount, charge, self.clock.now())
                    .await?;
                tracing::info!(amount_minor = entry.amount.minor, "captured");
                entry
            }
        };
        let captured = Payment {
            status: PaymentStatus::Captured,
            charge: Some(entry.gateway_reference),
            ..r.payment.clone()
        };
        let r = self.reservations.record_payment(id, &captured).await?;
        Ok(NotifyOutput {
            notification: notification(&r, NotificationEvent::Confirmed, None),
        })
    }

    /// Void: releases the uncaptured authorisation of a reservation that will not take
    /// place (FAILED or CANCELLED), so nothing reaches the customer's statement. Nothing to
    /// do when none was made or the money was captured (Refund gives that back); a live
    /// reservation's authorisation is never touched.
    #[tracing::instrument(skip_all, fields(reservation_id = %id))]
    pub async fn void(&self, id: ReservationId) -> Result<VoidOutput, TaskError> {
        let r = self.reservation(id).await?;
        let open = matches!(
            r.payment.status,
            PaymentStatus::RequiresAction | PaymentStatus::Authorized
        );
        let (true, Some(authorization)) = (open, &r.payment.authorization) else {
            return Ok(VoidOutput { voided: false });
        };
        if !matches!(r.status, Status::Failed | Status::Cancelled) {
            return Err(TaskError::InvalidRequest(format!(
                "the authorisation of a {} reservation is not voided",
                r.status.as_str()
            )));
        }
        if self.charge_entry(id, EntryKind::Charge).await?.is_some() {
            return Ok(VoidOutput { voided: false });
        }
        match self.gateway.void(id, authorization).await {
            Ok(()) => {}
            // A failed authorisation (declined, authentication failed) holds nothing.
            Err(PaymentError::Declined(m)) => tracing::info!(reason = %m, "nothing to void"),
            Err(e) => return Err(e.into()),
        }
        let voided = Payment {
            status: PaymentStatus::Voided,
            ..r.payment.clone()
        };
        self.reservations.record_payment(id, &voided).await?;
        tracing::info!("authorisation voided");
        Ok(VoidOutput { voided: true })
    }

    /// Revoke: a capture that failed for good (the authorisation expired or was
    /// cancelled) turns the CONFIRMED reservation FAILED by the system, frees its place and
    /// yields the failure message; Void then releases what the authorisation still holds.
    /// Logged at error level: an operator should know (the workflow-failure alarm counts
    /// the execution too).
    #[tracing::instrument(skip_all, fields(reservation_id = %id))]
    pub async fn revoke(
        &self,
        id: ReservationId,
        error: &TaskFailure,
    ) -> Result<ReleaseOutput, TaskError> {
        if self.charge_entry(id, EntryKind::Charge).await?.is_some() {
            return Err(TaskError::InvalidRequest(
                "the payment was captured: the reservation stands".into(),
            ));
        }
        let failure = Failure {
            code: FailureCode::parse(&error.error),
            message: error.message(),
        };
        let r = self
            .reservations
            .revoke(id, failure, self.clock.now())
            .await?;
        tracing::error!(error = %error.error, "capture failed after confirmation: reservation revoked");
        let reason = r.failure.as_ref().map(|f| customer_reason(&f.code));
        Ok(ReleaseOutput {
            notification: Some(notification(&r, NotificationEvent::Failed, reason)),
        })
    }

    /// Refund: gives back what is due once: everything charged when a booking failed after
    /// the charge, the policy's amount when it was cancelled. Nothing when nothing was charged.
    #[tracing::instrument(skip_all, fields(reservation_id = %id))]
    pub async fn refund(&self, id: ReservationId) -> Result<RefundOutput, TaskError> {
        let Some(charge) = self.charge_entry(id, EntryKind::Charge).await? else {
            return Ok(RefundOutput {
                refunded_minor: 0,
                refund_reference: None,
            });
        };
        if let Some(done) = self.charge_entry(id, EntryKind::Refund).await? {
            return Ok(RefundOutput {
                refunded_minor: done.amount.minor,
                refund_reference: Some(done.gateway_reference),
            });
        }
        let r = self.reservation(id).await?;
        let due = match r.status {
            Status::Cancelled => r.refund_due_minor.unwrap_or(0).min(charge.amount.minor),
            Status::Failed => charge.amount.minor,
            // Release first: a refund must never race a Confirm of the same reservation.
            Status::PendingPayment => {
                return Err(TaskError::InvalidRequest(
                    "a reservation in payment is released before it is refunded".into(),
                ));
            }
            other => {
                return Err(TaskError::InvalidRequest(format!(
                    "a {} reservation is not refunded",
                    other.as_str()
                )));
            }
        };
        if due <= 0 {
            return Ok(RefundOutput {
                refunded_minor: 0,
                refund_reference: None,
            });
        }
        let amount = Money {
            minor: due,
            currency: charge.amount.currency,
        };
        let reference = self
            .gateway
            .refund(id, &charge.gateway_reference, amount)
            .await?;
        let entry = self
            .enter(&r, EntryKind::Refund, amount, reference, self.clock.now())
            .await?;
        tracing::info!(amount_minor = entry.amount.minor, "refunded");
        Ok(RefundOutput {
            refunded_minor: entry.amount.minor,
            refund_reference: Some(entry.gateway_reference),
        })
    }

    /// Release: frees the slot; a booking that failed becomes FAILED with its error and
    /// yields the failure notification.
    #[tracing::instrument(skip_all, fields(reservation_id = %id))]
    pub async fn release(
        &self,
        id: ReservationId,
        error: Option<&TaskFailure>,
    ) -> Result<ReleaseOutput, TaskError> {
        let failure = error.map(|e| Failure {
            code: FailureCode::parse(&e.error),
            message: e.message(),
        });
        let r = self
            .reservations
            .release(id, failure, self.clock.now())
            .await?;
        tracing::info!(status = r.status.as_str(), "released");
        let notification = (r.status == Status::Failed).then(|| {
            let reason = r.failure.as_ref().map(|f| customer_reason(&f.code));
            notification(&r, NotificationEvent::Failed, reason)
        });
        Ok(ReleaseOutput { notification })
    }

    /// Cancel: CONFIRMED -> CANCELLED before the start, with the refund the service's policy
    /// grants (in full when the business cancels). A replay returns the same result.
    #[tracing::instrument(skip_all, fields(reservation_id = %req.reservation_id))]
    pub async fn cancel(&self, req: &CancelRequest) -> Result<NotifyOutput, TaskError> {
        let r = self.reservation(req.reservation_id).await?;
        if r.status == Status::Cancelled {
            return Ok(NotifyOutput {
                notification: notification(&r, NotificationEvent::Cancelled, None),
            });
        }
        if r.status != Status::Confirmed {
            return Err(TaskError::NotCancellable(format!(
                "a {} reservation cannot be cancelled",
                r.status.as_str()
            )));
        }
        let now = self.clock.now();
        if now >= r.start {
            return Err(TaskError::NotCancellable(
                "the appointment has already started".into(),
            ));
        }
        // What was taken, or what the authorisation will take: a capture may still land
        // after this cancellation (it runs beside it), and the refund due must cover it.
        let charged = match self.charge_entry(r.id, EntryKind::Charge).await? {
            Some(e) => e.amount.minor,
            None if r.payment.status == PaymentStatus::Authorized => r.amount.minor,
            None => 0,
        };
        let policy = self
            .services
            .get(r.service_id)
            .await?
            .map(|s| s.cancellation)
            .unwrap_or_default();
        let by_business = matches!(
            req.actor,
            Actor::User {
                role: Role::Admin | Role::Staff,
                ..
            } | Actor::System
        );
        let notice = r.start.duration_since(now);
        let full = by_business
            || notice >= SignedDuration::from_hours(i64::from(policy.full_refund_hours_before));
        let refund = if full {
            charged
        } else {
            charged * i64::from(policy.late_refund_percent) / 100
        };
        let reason = if by_business {
            "cancelled by the business"
        } else {
            "cancelled by the customer"
        };
        let cancellation = Cancellation {
            refund_due_minor: refund,
            actor: req.actor,
            reason,
        };
        let r = self.reservations.cancel(r.id, cancellation, now).await?;
        tracing::info!(refund_minor = refund, "cancelled");
        Ok(NotifyOutput {
            notification: notification(&r, NotificationEvent::Cancelled, None),
        })
    }
}

/// What a replayed Hold returns: the same key with another request is refused; a failed
/// booking fails again the same way; anything else carries on (every later task is
/// idempotent too).
fn replay(existing: Reservation, req: &BookingRequest) -> Result<HoldOutput, TaskError> {
    if existing.fingerprint != req.fingerprint || existing.customer_id != req.customer_id {
        return Err(TaskError::InvalidRequest(
            "the Idempotency-Key was already used with a different request".into(),
        ));
    }
    if let (Status::Failed, Some(f)) = (existing.status, &existing.failure) {
        return Err(f.to_error());
    }
    Ok(hold_output(&existing))
}

fn hold_output(r: &Reservation) -> HoldOutput {
    HoldOutput {
        reservation_id: r.id,
        hold_expires_at: r.hold_expires_at,
        prepaid: r.payment.online(),
    }
}

fn authorized() -> AuthorizeOutput {
    AuthorizeOutput {
        status: AuthorizeStatus::Authorized,
        client_secret: None,
    }
}

/// Why a booking failed, in words for the customer's email.
fn customer_reason(code: &FailureCode) -> String {
    match code {
        FailureCode::Task(FailureKind::PaymentDeclined) => {
            "your card was declined; no money was taken".into()
        }
        FailureCode::Task(FailureKind::PaymentTransient) => {
            "the payment could not be processed; no money was taken".into()
        }
        FailureCode::Task(FailureKind::HoldExpired) => {
            "the slot was held for too long before payment completed; any payment has been refunded"
                .into()
        }
        _ => "the booking could not be completed; any payment has been refunded".into(),
    }
}

/// The queue message for a reservation.
pub fn notification(
    r: &Reservation,
    event: NotificationEvent,
    reason: Option<String>,
) -> Notification {
    Notification {
        event,
        reservation_id: r.id,
        customer_email: r.customer_email.clone(),
        customer_name: r.customer_name.clone(),
        service_name: r.service_name.clone(),
        start: r.start,
        end: r.end,
        time_zone: r.time_zone.name().to_owned(),
        amount_minor: r.amount.minor,
        currency: r.amount.currency.code().to_owned(),
        payment_reference: r.payment.charge.clone(),
        refund_minor: (event == NotificationEvent::Cancelled)
            .then_some(r.refund_due_minor.unwrap_or(0)),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_comes_from_the_environment_with_defaults() {
        let none = BookingConfig::from_vars(|_| None).unwrap();
        assert_eq!(none, BookingConfig::default());
        let set = BookingConfig::from_vars(|k| match k {
            "BOOKING_HOLD_TTL_SECONDS" => Some("120".into()),
            "BOOKING_MAX_UPCOMING" => Some("4".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(set.hold_ttl, SignedDuration::from_mins(2));
        assert_eq!(
            (set.limits.max_active_holds, set.limits.max_upcoming),
            (3, 4)
        );
        let bad =
            BookingConfig::from_vars(|k| (k == "BOOKING_MAX_ACTIVE_HOLDS").then(|| "0".into()));
        assert!(bad.unwrap_err().contains("BOOKING_MAX_ACTIVE_HOLDS"));
    }

    #[test]
    fn failure_kinds_are_serialised_by_their_asl_names() {
        for kind in FailureKind::ALL {
            // Given each kind, then serde, as_str and parse agree, and its error has that kind
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
            assert_eq!(FailureKind::parse(kind.as_str()), Some(kind));
            assert_eq!(FailureCode::parse(kind.as_str()), FailureCode::Task(kind));
            assert_eq!(kind.error("start: m".into()).kind(), kind);
        }
        let platform = FailureCode::parse("States.Timeout");
        assert_eq!(platform, FailureCode::Platform("States.Timeout".into()));
        assert_eq!(serde_json::to_value(&platform).unwrap(), "States.Timeout");
    }

    #[test]
    fn platform_errors_are_not_blamed_on_the_client() {
        let e = TaskFailure {
            error: "States.Timeout".into(),
            cause: "took too long".into(),
        };
        assert_eq!(e.to_error().name(), "ServiceUnavailable");
        let known = TaskFailure {
            error: "PaymentDeclined".into(),
            cause: "no".into(),
        };
        assert_eq!(known.to_error(), TaskError::PaymentDeclined("no".into()));
        let rule = TaskFailure {
            error: "RuleViolation".into(),
            cause: "start: is in the past".into(),
        };
        assert_eq!(
            rule.to_error(),
            TaskError::RuleViolation {
                field: "start".into(),
                reason: "is in the past".into()
            }
        );
    }
}
