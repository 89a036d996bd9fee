//! The booking workflow end to end over the in-memory adapters: the in-process runner
//! drives the real tasks, as booking-local does.
#![allow(clippy::unwrap_used)] // a test harness: a panic is a failed test

mod common;

use std::sync::Arc;

use booking_core::{
    booking::{BookingConfig, BookingRequest, CancelRequest},
    ids::{ServiceId, UserId},
    notify::NotificationEvent,
    payment::{EntryKind, PaymentMethod},
    ports::{HoldLimits, ReservationStore},
    reservation::{Actor, Status},
    user::Role,
    workflow::{Outcome, Workflow},
};
use common::{World, paths};
use jiff::{SignedDuration, Timestamp};

const TUESDAY_10: &str = "2026-12-01T09:00:00Z"; // 10:00 in Madrid

/// A service with one place, and a new customer's request for it on Tuesday at 10:00.
async fn one_place(w: &World, pm: PaymentMethod) -> (ServiceId, BookingRequest) {
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
    let req = w.request(customer, svc, start, PaymentMethod::CardVisa);
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
        Outcome::Succeeded => "Succeeded",
    }
}

#[tokio::test]
async fn a_paid_booking_is_confirmed_charged_once_and_announced() {
    // Given a service with one place
    let w = World::new().await;
    let (svc, req) = one_place(&w, PaymentMethod::CardVisa).await;
    // When the workflow runs
    let (outcome, trace) = w.workflow().book_traced(&req).await;
    // Then it is confirmed through every state, charged once and a confirmation is queued
    assert_eq!(outcome, Outcome::Succeeded);
    assert_eq!(trace, paths::BOOKED);
    let r = w
        .stores
        .reservations
        .get(req.reservation_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.status, Status::Confirmed);
    assert!(r.payment_reference.as_deref().unwrap().starts_with("ch_"));
    assert_eq!(r.end, "2026-12-01T10:00:00Z".parse::<Timestamp>().unwrap());
    assert_eq!(
        r.units.len(),
        18,
        "60 minutes + 30 buffer in 5-minute claim units"
    );
    assert_eq!(w.stores.ledger.all().len(), 1);
    assert_eq!(w.queue.all()[0].event, NotificationEvent::Confirmed);
    // And the slot and the ones its buffer touches are gone from availability
    assert_eq!(w.remaining_at(svc, TUESDAY_10).await, None);
    assert_eq!(w.remaining_at(svc, "2026-12-01T10:30:00Z").await, Some(1));
}

#[tokio::test]
async fn running_the_same_booking_twice_charges_once() {
    let w = World::new().await;
    let (_, req) = one_place(&w, PaymentMethod::CardVisa).await;
    assert_eq!(w.workflow().book(&req).await.unwrap(), Outcome::Succeeded);
    assert_eq!(w.workflow().book(&req).await.unwrap(), Outcome::Succeeded);
    assert_eq!(w.stores.ledger.all().len(), 1);
    assert_eq!(w.status(req.reservation_id).await, Status::Confirmed);
}

#[tokio::test]
async fn a_declined_card_frees_the_slot_and_announces_the_failure() {
    let w = World::new().await;
    let (svc, req) = one_place(&w, PaymentMethod::CardChargeDeclined).await;
    assert_book_fails(&w, &req, "PaymentDeclined", paths::FAILED_AT_CHARGE).await;
    assert_eq!(w.status(req.reservation_id).await, Status::Failed);
    assert!(w.stores.ledger.all().is_empty());
    assert_eq!(w.queue.all()[0].event, NotificationEvent::Failed);
    assert_eq!(w.remaining_at(svc, TUESDAY_10).await, Some(1));
    // A replay fails the same way without charging or notifying again
    assert_eq!(
        failed_with(&w.workflow().book(&req).await.unwrap()),
        "PaymentDeclined"
    );
    assert_eq!(w.queue.all().len(), 1);
}

#[tokio::test]
async fn a_processing_error_is_retried_then_the_slot_is_released() {
    let w = World::new().await;
    let (svc, req) = one_place(&w, PaymentMethod::CardProcessingError).await;
    assert_book_fails(
        &w,
        &req,
        "PaymentTransient",
        paths::FAILED_AFTER_CHARGE_RETRIES,
    )
    .await;
    assert_eq!(w.remaining_at(svc, TUESDAY_10).await, Some(1));
}

#[tokio::test]
async fn a_hold_that_expires_before_payment_is_refunded_and_released() {
    // Given a hold that lapses right away
    let config = BookingConfig {
        hold_ttl: SignedDuration::ZERO,
        ..BookingConfig::default()
    };
    let w = World::with_config(config).await;
    let (_, req) = one_place(&w, PaymentMethod::CardVisa).await;
    // When it is booked, then Charge refuses to take money for it
    assert_book_fails(&w, &req, "HoldExpired", paths::FAILED_AT_CHARGE).await;
    assert!(w.stores.ledger.all().is_empty());
}

#[tokio::test]
async fn a_hold_that_expires_between_charge_and_confirm_is_refunded() {
    // Given a charge that succeeded on a hold which then lapses
    let w = World::new().await;
    let (_, req) = one_place(&w, PaymentMethod::CardVisa).await;
    w.booking.hold(&req).await.unwrap();
    w.booking.charge(req.reservation_id).await.unwrap();
    w.clock.advance(SignedDuration::from_mins(6));
    // When the workflow carries on (a retry of the same execution)
    // Then confirmation fails, the money comes back in full and the slot is free
    assert_book_fails(&w, &req, "HoldExpired", paths::FAILED_AT_CONFIRM).await;
    let kinds: Vec<_> = w
        .stores
        .ledger
        .all()
        .iter()
        .map(|e| (e.kind, e.amount.minor))
        .collect();
    assert_eq!(
        kinds,
        [(EntryKind::Charge, 5000), (EntryKind::Refund, 5000)]
    );
    assert_eq!(w.status(req.reservation_id).await, Status::Failed);
}

#[tokio::test]
async fn an_expired_hold_never_blocks_a_new_booking() {
    let w = World::new().await;
    let (svc, first) = one_place(&w, PaymentMethod::CardVisa).await;
    w.booking.hold(&first).await.unwrap();
    assert_eq!(w.remaining_at(svc, TUESDAY_10).await, None, "held");
    w.clock.advance(SignedDuration::from_mins(5));
    assert_eq!(
        w.remaining_at(svc, TUESDAY_10).await,
        Some(1),
        "expired holds are not shown as booked"
    );
    booked(&w, w.customer().await, svc, TUESDAY_10).await;
    // And the late first booking cannot be confirmed any more
    assert_eq!(
        failed_with(&w.workflow().book(&first).await.unwrap()),
        "HoldExpired"
    );
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
            let req = w.request(customer, svc, TUESDAY_10, PaymentMethod::CardVisa);
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
        let req = w.request(customer, svc, start, PaymentMethod::CardVisa);
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
    let req = w.request(customer, svc, TUESDAY_10, PaymentMethod::CardVisa);
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
    let hold = w.request(c, svc, "2026-12-01T08:00:00Z", PaymentMethod::CardVisa);
    w.booking.hold(&hold).await.unwrap();
    let second = w.request(c, svc, "2026-12-01T13:00:00Z", PaymentMethod::CardVisa);
    assert_eq!(
        failed_with(&w.workflow().book(&second).await.unwrap()),
        "LimitExceeded"
    );
    w.booking.release(hold.reservation_id, None).await.unwrap();
    for start in ["2026-12-01T08:00:00Z", "2026-12-01T13:00:00Z"] {
        booked(&w, c, svc, start).await;
    }
    let third = w.request(c, svc, "2026-12-02T08:00:00Z", PaymentMethod::CardVisa);
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
    assert_eq!(w.status(early.reservation_id).await, Status::Cancelled);
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
