//! The booking workflow end to end over the in-memory adapters: the in-process runner
//! drives the real tasks, as booking-local does.
#![allow(clippy::unwrap_used)] // a test harness: a panic is a failed test

mod common;

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use booking_core::{
    booking::{
        AuthorizeOutput, Booking, BookingConfig, BookingRequest, CancelRequest, FailureCode,
        FailureKind, HoldOutput, NotifyOutput, RefundOutput, ReleaseOutput, TaskError, TaskFailure,
        VoidOutput,
    },
    ids::{ReservationId, ServiceId, UserId},
    memory::FixedClock,
    money::Money,
    notify::NotificationEvent,
    payment::{
        Authorization, EntryKind, GatewayKind, PaymentError, PaymentGateway, PaymentMethod,
        PaymentStatus, SimulatedGateway,
    },
    ports::{HoldLimits, ReservationStore},
    reservation::{Actor, Reservation, Status},
    user::Role,
    workflow::{BookingTasks, Outcome, Workflow},
};
use common::{AT_VENUE, AUTHENTICATION, DECLINED, PROCESSING_ERROR, VISA, World, paths};
use jiff::{SignedDuration, Timestamp};

const TUESDAY_10: &str = "2026-12-01T09:00:00Z"; // 10:00 in Madrid

/// A service with one place, and a new customer's request for it on Tuesday at 10:00.
async fn one_place(w: &World, pm: &str) -> (ServiceId, BookingRequest) {
    let svc = w.service(1).await;
    let req = w.request(w.customer().await, svc, TUESDAY_10, pm);
    (svc, req)
}

/// Runs the booking of `req` and expects it to fail with `error` along `path`.
async fn assert_book_fails(w: &World, req: &BookingRequest, error: &str, path: &[&str]) {
    let (outcome, trace) = w.workflow().book_traced(req).await;
    assert_eq!(failed_with(&outcome), error, "{trace:?}");
    assert_eq!(trace, path);
}

/// A world with a one-place service and a customer: the world, the service, the customer.
async fn a_customer_of_one_place() -> (World, ServiceId, UserId) {
    let w = World::new().await;
    let svc = w.service(1).await;
    let customer = w.customer().await;
    (w, svc, customer)
}

/// `customer`'s card booking of `svc` at `start`, run and confirmed.
async fn booked(w: &World, customer: UserId, svc: ServiceId, start: &str) -> BookingRequest {
    let req = w.request(customer, svc, start, VISA);
    let outcome = w.workflow().book(&req).await.unwrap();
    assert_eq!(outcome, Outcome::Succeeded, "{start}");
    req
}

/// The cancellation of `req`'s reservation by the user `id` acting as `role`.
fn cancel_by(req: &BookingRequest, id: UserId, role: Role) -> CancelRequest {
    CancelRequest {
        reservation_id: req.reservation_id,
        actor: Actor::User { id, role },
    }
}

fn failed_with(outcome: &Outcome) -> &str {
    match outcome {
        Outcome::Failed(f) => &f.error,
        Outcome::ActionRequired { .. } => "ActionRequired",
        Outcome::Succeeded => "Succeeded",
    }
}

/// Then: `r`'s authorisation was voided and nothing taken, the slot at [`TUESDAY_10`] is
/// free again, and the failure (only it) was announced.
async fn assert_voided_and_free(w: &World, r: &Reservation, svc: ServiceId) {
    assert_eq!(r.payment.status, PaymentStatus::Voided);
    assert_eq!(r.payment.charge, None);
    assert!(w.stores.ledger.all().is_empty());
    assert_eq!(w.remaining_at(svc, TUESDAY_10).await, Some(1));
    let events: Vec<_> = w.queue.all().into_iter().map(|n| n.event).collect();
    assert_eq!(events, [NotificationEvent::Failed]);
}

/// The ledger's entries of `id`, as (kind, amount).
fn money_of(w: &World, id: ReservationId) -> Vec<(EntryKind, i64)> {
    w.stores
        .ledger
        .all()
        .iter()
        .filter(|e| e.reservation_id == id)
        .map(|e| (e.kind, e.amount.minor))
        .collect()
}

/// The simulated gateway, failing the next captures as it is told: a capture that fails
/// for good (the authorisation expired at the issuer, say), which the simulated gateway
/// itself never does.
#[derive(Debug, Default)]
struct FailingCaptures {
    gateway: SimulatedGateway,
    failures: Mutex<VecDeque<PaymentError>>,
}

impl FailingCaptures {
    /// The real tasks of `w` over this gateway, failing the first captures with `failures`.
    fn booking(w: &World, failures: impl IntoIterator<Item = PaymentError>) -> Booking {
        let gateway = FailingCaptures {
            gateway: SimulatedGateway::default(),
            failures: Mutex::new(failures.into_iter().collect()),
        };
        Booking {
            gateway: Arc::new(gateway),
            ..w.booking.clone()
        }
    }
}

#[async_trait]
impl PaymentGateway for FailingCaptures {
    fn kind(&self) -> GatewayKind {
        self.gateway.kind()
    }
    async fn authorize(
        &self,
        reservation: ReservationId,
        amount: Money,
        method: &PaymentMethod,
    ) -> Result<Authorization, PaymentError> {
        self.gateway.authorize(reservation, amount, method).await
    }
    async fn authorization(
        &self,
        reservation: ReservationId,
        reference: &str,
    ) -> Result<Authorization, PaymentError> {
        self.gateway.authorization(reservation, reference).await
    }
    async fn capture(
        &self,
        reservation: ReservationId,
        authorization: &str,
    ) -> Result<String, PaymentError> {
        let failure = self.failures.lock().unwrap().pop_front();
        match failure {
            Some(e) => Err(e),
            None => self.gateway.capture(reservation, authorization).await,
        }
    }
    async fn void(
        &self,
        reservation: ReservationId,
        authorization: &str,
    ) -> Result<(), PaymentError> {
        self.gateway.void(reservation, authorization).await
    }
    async fn refund(
        &self,
        reservation: ReservationId,
        charge: &str,
        amount: Money,
    ) -> Result<String, PaymentError> {
        self.gateway.refund(reservation, charge, amount).await
    }
}

/// The real tasks, with the clock moved on by `lapse` right after Authorize: the hold
/// lapses between Authorize and Confirm of one execution.
struct LapseAfterAuthorize {
    booking: Booking,
    clock: Arc<FixedClock>,
    lapse: SignedDuration,
}

#[async_trait]
impl BookingTasks for LapseAfterAuthorize {
    async fn hold(&self, request: &BookingRequest) -> Result<HoldOutput, TaskError> {
        self.booking.hold(request).await
    }
    async fn authorize(&self, id: ReservationId) -> Result<AuthorizeOutput, TaskError> {
        let out = self.booking.authorize(id).await;
        self.clock.advance(self.lapse);
        out
    }
    async fn confirm(&self, id: ReservationId) -> Result<NotifyOutput, TaskError> {
        self.booking.confirm(id).await
    }
    async fn capture(&self, id: ReservationId) -> Result<NotifyOutput, TaskError> {
        self.booking.capture(id).await
    }
    async fn void(&self, id: ReservationId) -> Result<VoidOutput, TaskError> {
        self.booking.void(id).await
    }
    async fn refund(&self, id: ReservationId) -> Result<RefundOutput, TaskError> {
        self.booking.refund(id).await
    }
    async fn release(
        &self,
        id: ReservationId,
        error: Option<&TaskFailure>,
    ) -> Result<ReleaseOutput, TaskError> {
        self.booking.release(id, error).await
    }
    async fn revoke(
        &self,
        id: ReservationId,
        error: &TaskFailure,
    ) -> Result<ReleaseOutput, TaskError> {
        self.booking.revoke(id, error).await
    }
    async fn cancel(&self, request: &CancelRequest) -> Result<NotifyOutput, TaskError> {
        self.booking.cancel(request).await
    }
}

#[tokio::test]
async fn a_paid_booking_is_authorised_confirmed_captured_once_and_announced() {
    // Given a service with one place
    let w = World::new().await;
    let (svc, req) = one_place(&w, VISA).await;
    // When the workflow runs
    let (outcome, trace) = w.workflow().book_traced(&req).await;
    // Then it is confirmed through every state and captured once
    assert_eq!(outcome, Outcome::Succeeded);
    assert_eq!(trace, paths::BOOKED);
    let r = w.reservation(req.reservation_id).await;
    assert_eq!(r.status, Status::Confirmed);
    assert_eq!(r.payment.gateway, Some(GatewayKind::Simulated));
    assert_eq!(r.payment.status, PaymentStatus::Captured);
    assert!(
        r.payment
            .authorization
            .as_deref()
            .unwrap()
            .starts_with("pi_")
    );
    let charge = r.payment.charge.clone().unwrap();
    assert!(charge.starts_with("ch_"));
    assert_eq!(r.end, "2026-12-01T10:00:00Z".parse::<Timestamp>().unwrap());
    assert_eq!(
        r.units.len(),
        18,
        "60 minutes + 30 buffer in 5-minute claim units"
    );
    // And the ledger holds that one charge, and the confirmation queued names it
    let ledger = w.stores.ledger.all();
    assert_eq!(ledger.len(), 1);
    assert_eq!(
        (ledger[0].kind, ledger[0].amount.minor),
        (EntryKind::Charge, 5000)
    );
    assert_eq!(ledger[0].gateway_reference, charge);
    let sent = w.queue.all();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].event, NotificationEvent::Confirmed);
    assert_eq!(sent[0].payment_reference.as_deref(), Some(charge.as_str()));
    // And the slot and the ones its buffer touches are gone from availability
    assert_eq!(w.remaining_at(svc, TUESDAY_10).await, None);
    assert_eq!(w.remaining_at(svc, "2026-12-01T10:30:00Z").await, Some(1));
}

#[tokio::test]
async fn running_the_same_booking_twice_captures_once() {
    // Given a booking that went through
    let w = World::new().await;
    let (_, req) = one_place(&w, VISA).await;
    assert_eq!(w.workflow().book(&req).await.unwrap(), Outcome::Succeeded);
    // When it is run again (the client's replay)
    let (outcome, trace) = w.workflow().book_traced(&req).await;
    // Then it succeeds along the same path without moving money again
    assert_eq!(outcome, Outcome::Succeeded);
    assert_eq!(trace, paths::BOOKED);
    assert_eq!(
        money_of(&w, req.reservation_id),
        [(EntryKind::Charge, 5000)]
    );
    assert_eq!(w.status(req.reservation_id).await, Status::Confirmed);
    let charges: Vec<_> = w
        .queue
        .all()
        .into_iter()
        .map(|n| n.payment_reference)
        .collect();
    assert_eq!(charges.len(), 2);
    assert_eq!(charges[0], charges[1], "the same charge both times");
}

#[tokio::test]
async fn a_declined_card_frees_the_slot_and_announces_the_failure() {
    // Given a card the issuer declines
    let w = World::new().await;
    let (svc, req) = one_place(&w, DECLINED).await;
    // When it is booked, then Authorize fails and the compensations run
    assert_book_fails(&w, &req, "PaymentDeclined", paths::FAILED_AT_AUTHORIZE).await;
    // And the reservation failed with nothing authorised or taken, and the slot is free
    let r = w.reservation(req.reservation_id).await;
    assert_eq!(r.status, Status::Failed);
    assert_eq!(
        r.failure.unwrap().code,
        FailureCode::Task(FailureKind::PaymentDeclined)
    );
    assert_eq!(r.payment.status, PaymentStatus::Pending);
    assert_eq!((r.payment.authorization, r.payment.charge), (None, None));
    assert!(w.stores.ledger.all().is_empty());
    assert_eq!(w.queue.all()[0].event, NotificationEvent::Failed);
    assert_eq!(w.remaining_at(svc, TUESDAY_10).await, Some(1));
    // And a replay fails the same way at Hold, without notifying again
    assert_book_fails(&w, &req, "PaymentDeclined", paths::REJECTED_AT_HOLD).await;
    assert_eq!(w.queue.all().len(), 1);
}

#[tokio::test]
async fn a_processing_error_is_retried_then_the_slot_is_released() {
    let w = World::new().await;
    let (svc, req) = one_place(&w, PROCESSING_ERROR).await;
    assert_book_fails(
        &w,
        &req,
        "PaymentTransient",
        paths::FAILED_AFTER_AUTHORIZE_RETRIES,
    )
    .await;
    assert_eq!(w.remaining_at(svc, TUESDAY_10).await, Some(1));
    assert!(w.stores.ledger.all().is_empty());
}

#[tokio::test]
async fn a_hold_that_expires_before_authorisation_asks_the_card_for_nothing() {
    // Given a hold that lapses right away
    let config = BookingConfig {
        hold_ttl: SignedDuration::ZERO,
        ..BookingConfig::default()
    };
    let w = World::with_config(config).await;
    let (_, req) = one_place(&w, VISA).await;
    // When it is booked, then Authorize refuses to hold money for it
    assert_book_fails(&w, &req, "HoldExpired", paths::FAILED_AT_AUTHORIZE).await;
    let r = w.reservation(req.reservation_id).await;
    assert_eq!(r.status, Status::Failed);
    assert_eq!(r.payment.status, PaymentStatus::Pending);
    assert_eq!(r.payment.authorization, None);
    assert!(w.stores.ledger.all().is_empty());
}

#[tokio::test]
async fn a_hold_that_expires_between_authorisation_and_confirmation_is_voided() {
    // Given a card authorised on a hold that lapses right after
    let w = World::new().await;
    let (svc, req) = one_place(&w, VISA).await;
    let tasks = LapseAfterAuthorize {
        booking: w.booking.clone(),
        clock: w.clock.clone(),
        lapse: SignedDuration::from_mins(6),
    };
    // When the workflow runs
    let (outcome, trace) = w.workflow_over(tasks).book_traced(&req).await;
    // Then Confirm fails, the authorisation is released and nothing is taken
    assert_eq!(failed_with(&outcome), "HoldExpired");
    assert_eq!(trace, paths::FAILED_AT_CONFIRM);
    let r = w.reservation(req.reservation_id).await;
    assert_eq!(r.status, Status::Failed);
    assert!(r.payment.authorization.is_some());
    // And nothing was taken, the slot is free and the failure announced
    assert_voided_and_free(&w, &r, svc).await;
}

#[tokio::test]
async fn a_card_that_asks_for_3d_secure_keeps_the_place_until_the_replay_books_it() {
    // Given a card that asks the customer to authenticate
    let w = World::new().await;
    let (svc, req) = one_place(&w, AUTHENTICATION).await;
    // When the booking runs
    let (outcome, trace) = w.workflow().book_traced(&req).await;
    // Then it ends awaiting authentication, with the client secret of the authorisation
    assert_eq!(trace, paths::AWAITING_AUTHENTICATION);
    let r = w.reservation(req.reservation_id).await;
    let authorization = r.payment.authorization.clone().unwrap();
    let Outcome::ActionRequired { client_secret } = outcome else {
        panic!("{outcome:?}");
    };
    assert!(
        client_secret.starts_with(&format!("{authorization}_secret")),
        "{client_secret}"
    );
    // And the reservation is held in payment, its place kept, nothing taken or sent
    assert_eq!(r.status, Status::PendingPayment);
    assert_eq!(r.payment.status, PaymentStatus::RequiresAction);
    assert_eq!(w.remaining_at(svc, TUESDAY_10).await, None);
    assert!(w.stores.ledger.all().is_empty());
    assert!(w.queue.all().is_empty());

    // When the customer has authenticated and the client replays the request
    let (outcome, trace) = w.workflow().book_traced(&req).await;
    // Then the booking goes through and is captured once
    assert_eq!(outcome, Outcome::Succeeded);
    assert_eq!(trace, paths::BOOKED);
    let r = w.reservation(req.reservation_id).await;
    assert_eq!(r.status, Status::Confirmed);
    assert_eq!(r.payment.status, PaymentStatus::Captured);
    assert_eq!(r.payment.authorization, Some(authorization));
    assert_eq!(
        money_of(&w, req.reservation_id),
        [(EntryKind::Charge, 5000)]
    );
    // And a further replay takes nothing more
    assert_eq!(w.workflow().book(&req).await.unwrap(), Outcome::Succeeded);
    assert_eq!(w.stores.ledger.all().len(), 1);
}

#[tokio::test]
async fn a_3d_secure_replay_after_the_hold_expired_voids_the_authorisation() {
    // Given a booking awaiting authentication whose hold then lapses
    let w = World::new().await;
    let (svc, req) = one_place(&w, AUTHENTICATION).await;
    let outcome = w.workflow().book(&req).await.unwrap();
    assert!(
        matches!(outcome, Outcome::ActionRequired { .. }),
        "{outcome:?}"
    );
    w.clock.advance(SignedDuration::from_mins(6));
    // When the client replays the request
    // Then Authorize refuses, the reservation fails and its authorisation is released
    assert_book_fails(&w, &req, "HoldExpired", paths::FAILED_AT_AUTHORIZE).await;
    let r = w.reservation(req.reservation_id).await;
    assert_eq!(r.status, Status::Failed);
    assert_eq!(r.payment.status, PaymentStatus::Voided);
    assert!(w.stores.ledger.all().is_empty());
    assert_eq!(w.remaining_at(svc, TUESDAY_10).await, Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_replays_after_3d_secure_capture_once() {
    // Given a booking awaiting authentication
    let w = Arc::new(World::new().await);
    let (_, req) = one_place(&w, AUTHENTICATION).await;
    let outcome = w.workflow().book(&req).await.unwrap();
    assert!(
        matches!(outcome, Outcome::ActionRequired { .. }),
        "{outcome:?}"
    );
    // When, once the customer has authenticated, 20 replays of it run at once (the
    // client's retries, the webhook consumer)
    let replays: Vec<_> = (0..20)
        .map(|_| {
            let (w, req) = (w.clone(), req.clone());
            tokio::spawn(async move { w.workflow().book(&req).await.unwrap() })
        })
        .collect();
    let mut outcomes = Vec::new();
    for replay in replays {
        outcomes.push(replay.await.unwrap());
    }
    // Then every one succeeds and the money is taken exactly once
    assert!(
        outcomes.iter().all(|o| *o == Outcome::Succeeded),
        "{outcomes:?}"
    );
    assert_eq!(
        money_of(&w, req.reservation_id),
        [(EntryKind::Charge, 5000)]
    );
    let r = w.reservation(req.reservation_id).await;
    assert_eq!(r.status, Status::Confirmed);
    assert_eq!(r.payment.status, PaymentStatus::Captured);
    assert_eq!(
        r.payment.charge.as_deref(),
        Some(w.stores.ledger.all()[0].gateway_reference.as_str())
    );
}

#[tokio::test]
async fn a_service_paid_at_the_venue_is_booked_and_cancelled_without_moving_money() {
    // Given a service paid at the venue
    let w = World::new().await;
    let svc = w.venue_service(1).await;
    let customer = w.customer().await;
    let req = w.request(customer, svc, "2026-12-02T09:00:00Z", AT_VENUE);
    // When it is booked without a payment method
    let (outcome, trace) = w.workflow().book_traced(&req).await;
    // Then it is confirmed without any payment state, and nothing reaches the gateway
    assert_eq!(outcome, Outcome::Succeeded);
    assert_eq!(trace, paths::BOOKED_AT_VENUE);
    let r = w.reservation(req.reservation_id).await;
    assert_eq!(r.status, Status::Confirmed);
    assert_eq!(r.payment.status, PaymentStatus::AtVenue);
    assert_eq!(r.payment.gateway, None);
    assert_eq!((r.payment.authorization, r.payment.charge), (None, None));
    assert!(w.stores.ledger.all().is_empty());
    let sent = w.queue.all();
    assert_eq!(sent[0].event, NotificationEvent::Confirmed);
    assert_eq!(sent[0].payment_reference, None);
    // When the customer cancels it
    let (outcome, trace) = w
        .workflow()
        .cancel_traced(&cancel_by(&req, customer, Role::Customer))
        .await;
    // Then it is cancelled with nothing to void or refund
    assert_eq!(outcome, Outcome::Succeeded);
    assert_eq!(trace, paths::CANCELLED);
    let r = w.reservation(req.reservation_id).await;
    assert_eq!(r.status, Status::Cancelled);
    assert_eq!(r.refund_due_minor, Some(0));
    assert_eq!(r.payment.status, PaymentStatus::AtVenue);
    assert!(w.stores.ledger.all().is_empty());
    assert_eq!(w.queue.all()[1].refund_minor, Some(0));
}

#[tokio::test]
async fn a_payment_method_is_required_exactly_when_the_service_is_paid_online() {
    let w = World::new().await;
    let customer = w.customer().await;
    for (svc, pm) in [
        (w.service(1).await, AT_VENUE),
        (w.venue_service(1).await, VISA),
    ] {
        // Given a prepaid service booked without a payment method, or a venue one with one
        let req = w.request(customer, svc, TUESDAY_10, pm);
        // When it is booked
        let (outcome, trace) = w.workflow().book_traced(&req).await;
        // Then Hold refuses it on paymentMethod and holds nothing
        let Outcome::Failed(f) = &outcome else {
            panic!("{outcome:?}");
        };
        assert_eq!(f.error, "RuleViolation", "{pm:?}");
        assert!(f.message().starts_with("paymentMethod: "), "{f:?}");
        assert_eq!(trace, paths::REJECTED_AT_HOLD);
        assert!(
            w.stores
                .reservations
                .get(req.reservation_id)
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn a_capture_that_fails_for_good_revokes_the_booking_and_voids_the_authorisation() {
    // Given a gateway that refuses the capture of an authorised card
    let w = World::new().await;
    let (svc, req) = one_place(&w, VISA).await;
    let expired = PaymentError::Declined("the authorisation expired".into());
    let booking = FailingCaptures::booking(&w, [expired]);
    // When the workflow runs
    let (outcome, trace) = w.workflow_over(booking).book_traced(&req).await;
    // Then the confirmed reservation is revoked with Capture's error and nothing is taken
    assert_eq!(failed_with(&outcome), "PaymentDeclined");
    assert_eq!(trace, paths::FAILED_AT_CAPTURE);
    let r = w.reservation(req.reservation_id).await;
    assert_eq!(r.status, Status::Failed);
    let last = r.history.last().unwrap();
    assert_eq!(
        (last.from, last.to, last.actor),
        (Some(Status::Confirmed), Status::Failed, Actor::System)
    );
    assert_eq!(
        r.failure.as_ref().unwrap().code,
        FailureCode::Task(FailureKind::PaymentDeclined)
    );
    // And nothing was taken, the place is free again, and only the failure was announced
    assert_voided_and_free(&w, &r, svc).await;
}

#[tokio::test]
async fn a_transient_capture_error_is_retried_and_the_booking_captured_once() {
    // Given a gateway whose first capture fails transiently
    let w = World::new().await;
    let (_, req) = one_place(&w, VISA).await;
    let busy = PaymentError::Transient("the gateway timed out".into());
    let booking = FailingCaptures::booking(&w, [busy]);
    // When the workflow runs
    let (outcome, trace) = w.workflow_over(booking).book_traced(&req).await;
    // Then Capture is retried and the booking captured once
    assert_eq!(outcome, Outcome::Succeeded);
    assert_eq!(
        trace,
        paths::states("Hold Authorize Confirm Capture Capture SendConfirmation Booked")
    );
    assert_eq!(
        money_of(&w, req.reservation_id),
        [(EntryKind::Charge, 5000)]
    );
    assert_eq!(
        w.reservation(req.reservation_id).await.payment.status,
        PaymentStatus::Captured
    );
}

#[tokio::test]
async fn a_booking_cancelled_before_its_capture_is_voided_and_never_charged() {
    // Given a booking confirmed on an authorisation not yet captured
    let (w, svc, customer) = a_customer_of_one_place().await;
    let req = w.request(customer, svc, "2026-12-02T09:00:00Z", VISA);
    w.booking.hold(&req).await.unwrap();
    w.booking.authorize(req.reservation_id).await.unwrap();
    w.booking.confirm(req.reservation_id).await.unwrap();
    // When it is cancelled
    let (outcome, trace) = w
        .workflow()
        .cancel_traced(&cancel_by(&req, customer, Role::Customer))
        .await;
    // Then the authorisation is released and nothing is refunded, as nothing was taken;
    // the refund due is the policy's share of the price, should a capture land beside it
    assert_eq!(outcome, Outcome::Succeeded);
    assert_eq!(trace, paths::CANCELLED);
    let r = w.reservation(req.reservation_id).await;
    assert_eq!(r.status, Status::Cancelled);
    assert_eq!(r.payment.status, PaymentStatus::Voided);
    assert!(r.refund_due_minor.is_some_and(|due| due > 0), "{r:?}");
    // And a late capture of it is refused
    let late = w.booking.capture(req.reservation_id).await.unwrap_err();
    assert_eq!(late.name(), "InvalidRequest", "{late}");
    assert!(w.stores.ledger.all().is_empty());
}

#[tokio::test]
async fn an_expired_hold_never_blocks_a_new_booking() {
    let w = World::new().await;
    let (svc, first) = one_place(&w, VISA).await;
    w.booking.hold(&first).await.unwrap();
    assert_eq!(w.remaining_at(svc, TUESDAY_10).await, None, "held");
    w.clock.advance(SignedDuration::from_mins(5));
    assert_eq!(
        w.remaining_at(svc, TUESDAY_10).await,
        Some(1),
        "expired holds are not shown as booked"
    );
    booked(&w, w.customer().await, svc, TUESDAY_10).await;
    // And the late first booking cannot be authorised any more
    assert_book_fails(&w, &first, "HoldExpired", paths::FAILED_AT_AUTHORIZE).await;
}

#[tokio::test]
async fn fifty_concurrent_bookings_for_the_last_place_have_one_winner() {
    // Given a capacity-2 service with one place already taken
    let w = Arc::new(World::new().await);
    let svc = w.service(2).await;
    booked(&w, w.customer().await, svc, TUESDAY_10).await;
    // When 50 customers book the same start at once
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let w = w.clone();
        let customer = w.customer().await;
        tasks.push(tokio::spawn(async move {
            let req = w.request(customer, svc, TUESDAY_10, VISA);
            w.workflow().book(&req).await.unwrap()
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    // Then exactly one wins and the others find the slot taken
    let won = outcomes
        .iter()
        .filter(|o| **o == Outcome::Succeeded)
        .count();
    let lost = outcomes
        .iter()
        .filter(|o| failed_with(o) == "SlotUnavailable")
        .count();
    assert_eq!((won, lost), (1, 49));
    assert_eq!(w.stores.ledger.all().len(), 2);
}

#[tokio::test]
async fn rule_violations_hold_nothing() {
    let (w, svc, customer) = a_customer_of_one_place().await;
    for start in [
        "2026-11-30T06:00:00Z",
        "2026-12-01T09:10:00Z",
        "2026-12-06T09:00:00Z",
    ] {
        let req = w.request(customer, svc, start, VISA);
        let (outcome, trace) = w.workflow().book_traced(&req).await;
        assert_eq!(failed_with(&outcome), "RuleViolation", "{start}");
        assert_eq!(trace, paths::REJECTED_AT_HOLD);
        assert!(
            w.stores
                .reservations
                .get(req.reservation_id)
                .await
                .unwrap()
                .is_none()
        );
    }
    // An inactive service is not bookable either
    w.catalog_uc().deactivate(svc).await.unwrap();
    let req = w.request(customer, svc, TUESDAY_10, VISA);
    assert_eq!(
        failed_with(&w.workflow().book(&req).await.unwrap()),
        "RuleViolation"
    );
}

#[tokio::test]
async fn a_customer_cannot_pile_up_holds_or_upcoming_reservations() {
    let config = BookingConfig {
        limits: HoldLimits {
            max_active_holds: 1,
            max_upcoming: 2,
        },
        ..BookingConfig::default()
    };
    let w = World::with_config(config).await;
    let svc = w.service(5).await;
    let c = w.customer().await;
    let hold = w.request(c, svc, "2026-12-01T08:00:00Z", VISA);
    w.booking.hold(&hold).await.unwrap();
    let second = w.request(c, svc, "2026-12-01T13:00:00Z", VISA);
    assert_eq!(
        failed_with(&w.workflow().book(&second).await.unwrap()),
        "LimitExceeded"
    );
    w.booking.release(hold.reservation_id, None).await.unwrap();
    for start in ["2026-12-01T08:00:00Z", "2026-12-01T13:00:00Z"] {
        booked(&w, c, svc, start).await;
    }
    let third = w.request(c, svc, "2026-12-02T08:00:00Z", VISA);
    assert_eq!(
        failed_with(&w.workflow().book(&third).await.unwrap()),
        "LimitExceeded"
    );
}

#[tokio::test]
async fn cancelling_refunds_by_policy_and_frees_the_slot() {
    let (w, svc, customer) = a_customer_of_one_place().await;
    // Early: more than 24 h before -> full refund
    let early = booked(&w, customer, svc, "2026-12-02T09:00:00Z").await;
    let cancel = cancel_by(&early, customer, Role::Customer);
    let (outcome, trace) = w.workflow().cancel_traced(&cancel).await;
    assert_eq!(outcome, Outcome::Succeeded);
    assert_eq!(trace, paths::CANCELLED);
    let r = w.reservation(early.reservation_id).await;
    assert_eq!(r.status, Status::Cancelled);
    assert_eq!(
        r.payment.status,
        PaymentStatus::Captured,
        "a captured payment is refunded, not voided"
    );
    // Late: inside 24 h -> 50 %
    let late = booked(&w, customer, svc, TUESDAY_10).await;
    w.clock.advance(SignedDuration::from_hours(3)); // 23 h before the start
    let cancel_late = cancel_by(&late, customer, Role::Customer);
    assert_eq!(
        w.workflow().cancel(&cancel_late).await.unwrap(),
        Outcome::Succeeded
    );
    // Replaying a cancellation refunds nothing more
    assert_eq!(
        w.workflow().cancel(&cancel_late).await.unwrap(),
        Outcome::Succeeded
    );
    let refunds: Vec<_> = w
        .stores
        .ledger
        .all()
        .iter()
        .filter(|e| e.kind == EntryKind::Refund)
        .map(|e| e.amount.minor)
        .collect();
    assert_eq!(refunds, [5000, 2500]);
    assert_eq!(w.remaining_at(svc, TUESDAY_10).await, Some(1));
    let cancelled = w
        .queue
        .all()
        .into_iter()
        .filter(|n| n.event == NotificationEvent::Cancelled)
        .count();
    assert_eq!(
        cancelled, 3,
        "the replay queues again; the notify worker sends once per event"
    );
}

#[tokio::test]
async fn the_business_cancels_with_a_full_refund_but_nobody_cancels_a_started_visit() {
    let (w, svc, customer) = a_customer_of_one_place().await;
    let req = booked(&w, customer, svc, TUESDAY_10).await;
    let by_admin = cancel_by(&req, UserId::new(), Role::Admin);
    assert_eq!(
        w.workflow().cancel(&by_admin).await.unwrap(),
        Outcome::Succeeded
    );
    assert_eq!(w.stores.ledger.all().last().unwrap().amount.minor, 5000);

    let later = booked(&w, customer, svc, "2026-12-01T13:00:00Z").await;
    w.clock.advance(SignedDuration::from_hours(40));
    let too_late = cancel_by(&later, customer, Role::Customer);
    let (outcome, trace) = w.workflow().cancel_traced(&too_late).await;
    assert_eq!(failed_with(&outcome), "NotCancellable");
    assert_eq!(trace, paths::CANCEL_REJECTED);
}
