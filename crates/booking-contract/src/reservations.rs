//! The contract of [`ReservationStore`](booking_core::ports::ReservationStore) and
//! [`ClaimReader`](booking_core::ports::ClaimReader): holds and their claims, the
//! life cycle (confirm, release, cancel, visit outcomes), idempotency keys, listings, and the
//! races between them.

use std::time::Instant;

use booking_core::{
    Error,
    availability::MAX_CLAIM_UNITS,
    booking::FailureCode,
    ids::{ReservationId, ServiceId, UserId},
    ports::{ClaimCounts, Held, HoldLimits, ReservationCursor, ReservationFilter},
    reservation::{Actor, Failure, Reservation, Status, StatusChange},
    user::Role,
};
use jiff::{SignedDuration, Timestamp};

use crate::{
    Reservations,
    fixtures::{HOLD, at, mins, reservation, unit},
    join_all,
};

/// Limits no scenario reaches unless it sets its own.
pub const ROOMY: HoldLimits = HoldLimits {
    max_active_holds: 100,
    max_upcoming: 100,
};

/// The most units a reservation claims (booking-core's cap), as a count of [`unit`]s.
pub const MOST: i64 = MAX_CLAIM_UNITS as i64;

/// When the scenarios start: a week before the units they book.
pub fn now() -> Timestamp {
    at("2030-01-01T08:00:00Z")
}

/// The claims expected on units `k`, as the store counts them.
fn counts<const N: usize>(pairs: [(i64, u32); N]) -> ClaimCounts {
    pairs.into_iter().map(|(k, c)| (unit(k), c)).collect()
}

fn customer_actor() -> Actor {
    Actor::User {
        id: UserId::new(),
        role: Role::Customer,
    }
}

macro_rules! assert_err {
    ($result:expr, $pattern:pat) => {
        match $result {
            Err($pattern) => {}
            other => panic!("expected {}, got {other:?}", stringify!($pattern)),
        }
    };
}

/// The claims on `service`'s units in `[from, to)` that count at `now`.
async fn claimed(
    store: &dyn Reservations,
    service: ServiceId,
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
) -> ClaimCounts {
    store.claims(service, from, to, now).await.unwrap()
}

/// Holds `r` with room to spare and expects it to be created.
async fn held(store: &dyn Reservations, r: &Reservation, capacity: u32, now: Timestamp) {
    assert_eq!(
        store.hold(r, capacity, ROOMY, now).await.unwrap(),
        Held::Created(r.clone())
    );
}

pub async fn a_hold_creates_the_reservation_and_claims_each_of_its_units(store: &dyn Reservations) {
    // Given a reservation of three units
    let (customer, service) = (UserId::new(), ServiceId::new());
    let r = reservation(customer, service, 0, 3, now());

    // When it is held
    let outcome = store.hold(&r, 2, ROOMY, now()).await.unwrap();

    // Then it is stored as given, and each of its units (and no other) has one claim
    assert_eq!(outcome, Held::Created(r.clone()));
    assert_eq!(store.get(r.id).await.unwrap(), Some(r.clone()));
    assert_eq!(
        claimed(store, service, unit(-4), unit(8), now()).await,
        counts([(0, 1), (1, 1), (2, 1)])
    );
    // And other services and unknown ids know nothing of it
    assert_eq!(
        claimed(store, ServiceId::new(), unit(-4), unit(8), now()).await,
        ClaimCounts::new()
    );
    assert_eq!(store.get(ReservationId::new()).await.unwrap(), None);
}

pub async fn a_second_hold_of_the_same_id_returns_the_stored_reservation(store: &dyn Reservations) {
    // Given a held reservation that fills its unit
    let service = ServiceId::new();
    let r = reservation(UserId::new(), service, 0, 1, now());
    held(store, &r, 1, now()).await;

    // When the same id is held again, with other details, at a later time
    let mut replay = reservation(UserId::new(), service, 4, 2, now() + mins(1));
    replay.id = r.id;
    let outcome = store
        .hold(&replay, 1, ROOMY, now() + mins(1))
        .await
        .unwrap();

    // Then the stored reservation comes back, and nothing else was claimed
    assert_eq!(outcome, Held::Existing(r.clone()));
    assert_eq!(store.get(r.id).await.unwrap(), Some(r));
    assert_eq!(
        claimed(store, service, unit(0), unit(8), now()).await,
        counts([(0, 1)])
    );
}

pub async fn a_unit_takes_as_many_live_holds_as_its_capacity(store: &dyn Reservations) {
    // Given two places per unit, and holds on units 0-1 and 1-2
    let service = ServiceId::new();
    let hold = |first, count| reservation(UserId::new(), service, first, count, now());
    held(store, &hold(0, 2), 2, now()).await;
    held(store, &hold(1, 2), 2, now()).await;

    // When a third hold needs the full unit 1, or units 0 and 2 where 2 is full after 2-3
    let on_full_unit = store.hold(&hold(1, 1), 2, ROOMY, now()).await;
    held(store, &hold(2, 2), 2, now()).await;
    let half_full = store.hold(&hold(0, 3), 2, ROOMY, now()).await;

    // Then both are refused, all or nothing, and each unit has at most two claims
    assert_err!(on_full_unit, Error::SlotUnavailable);
    assert_err!(half_full, Error::SlotUnavailable);
    assert_eq!(
        claimed(store, service, unit(0), unit(8), now()).await,
        counts([(0, 1), (1, 2), (2, 2), (3, 1)])
    );
}

pub async fn overlapping_holds_collide_only_on_their_shared_unit(store: &dyn Reservations) {
    // Given one place per unit and a hold on units 1, 2 and 3
    let service = ServiceId::new();
    let hold = |first, count| reservation(UserId::new(), service, first, count, now());
    held(store, &hold(1, 3), 1, now()).await;

    // When holds on units 3-4 and then 4-5 come in
    let on_3_and_4 = store.hold(&hold(3, 2), 1, ROOMY, now()).await;
    let on_4_and_5 = hold(4, 2);
    let second = store.hold(&on_4_and_5, 1, ROOMY, now()).await.unwrap();

    // Then the first is refused without claiming unit 4, which the second gets
    assert_err!(on_3_and_4, Error::SlotUnavailable);
    assert_eq!(second, Held::Created(on_4_and_5));
    assert_eq!(
        claimed(store, service, unit(0), unit(8), now()).await,
        counts([(1, 1), (2, 1), (3, 1), (4, 1), (5, 1)])
    );
}

pub async fn an_expired_hold_no_longer_counts(store: &dyn Reservations) {
    // Given one place per unit, held at `now` for five minutes
    let (customer, service) = (UserId::new(), ServiceId::new());
    let first = reservation(customer, service, 0, 1, now());
    held(store, &first, 1, now()).await;

    // When another customer tries a moment before the hold lapses, and when it lapses
    let just_before = now() + HOLD - SignedDuration::from_millis(1);
    let early = reservation(UserId::new(), service, 0, 1, just_before);
    let early_outcome = store.hold(&early, 1, ROOMY, just_before).await;
    let lapsed_at = now() + HOLD;
    let late = reservation(UserId::new(), service, 0, 1, lapsed_at);
    let late_outcome = store.hold(&late, 1, ROOMY, lapsed_at).await.unwrap();

    // Then only the second gets the place, and only its claim counts
    assert_err!(early_outcome, Error::SlotUnavailable);
    assert_eq!(late_outcome, Held::Created(late.clone()));
    assert_eq!(
        claimed(store, service, unit(0), unit(1), lapsed_at).await,
        counts([(0, 1)])
    );
    // And the lapsed hold no longer counts against its customer's limit either
    let one_hold = HoldLimits {
        max_active_holds: 1,
        max_upcoming: 10,
    };
    let elsewhere = reservation(customer, ServiceId::new(), 0, 1, now() + mins(1));
    assert_err!(
        store.hold(&elsewhere, 1, one_hold, now() + mins(1)).await,
        Error::LimitExceeded(_)
    );
    let later = reservation(customer, ServiceId::new(), 0, 1, lapsed_at);
    assert_eq!(
        store.hold(&later, 1, one_hold, lapsed_at).await.unwrap(),
        Held::Created(later.clone())
    );
}

pub async fn holds_in_payment_are_limited_per_customer(store: &dyn Reservations) {
    // Given a limit of two holds in payment, and a customer with two
    let limits = HoldLimits {
        max_active_holds: 2,
        max_upcoming: 10,
    };
    let customer = UserId::new();
    let mine = |k| reservation(customer, ServiceId::new(), k, 1, now());
    let (a, b, c) = (mine(0), mine(1), mine(2));
    for r in [&a, &b] {
        assert_eq!(
            store.hold(r, 1, limits, now()).await.unwrap(),
            Held::Created(r.clone())
        );
    }

    // When the customer holds a third, and another customer holds one
    let third = store.hold(&c, 1, limits, now()).await;
    let other = reservation(UserId::new(), ServiceId::new(), 0, 1, now());
    let others = store.hold(&other, 1, limits, now()).await.unwrap();

    // Then the third is refused with the limit's reason, and the other customer is not
    match third {
        Err(Error::LimitExceeded(reason)) => {
            assert_eq!(reason, "at most 2 bookings may be in payment at once")
        }
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
    assert_eq!(others, Held::Created(other));
    // And once a hold is released, the third fits
    store.release(a.id, None, now()).await.unwrap();
    assert_eq!(
        store.hold(&c, 1, limits, now()).await.unwrap(),
        Held::Created(c.clone())
    );
}

pub async fn upcoming_reservations_are_limited_per_customer(store: &dyn Reservations) {
    // Given a limit of one upcoming reservation, and a customer with one confirmed
    let limits = HoldLimits {
        max_active_holds: 5,
        max_upcoming: 1,
    };
    let customer = UserId::new();
    let first = reservation(customer, ServiceId::new(), 0, 1, now());
    store.hold(&first, 1, limits, now()).await.unwrap();
    store.confirm(first.id, "ch_1", now()).await.unwrap();

    // When the customer holds another before and after the first one's start
    let before = reservation(customer, ServiceId::new(), 4, 1, now());
    let refused = store.hold(&before, 1, limits, now()).await;
    let after_start = unit(0) + mins(1);
    let after = reservation(customer, ServiceId::new(), 4, 1, after_start);
    let accepted = store.hold(&after, 1, limits, after_start).await.unwrap();

    // Then only the second is accepted: a started reservation is no longer upcoming
    match refused {
        Err(Error::LimitExceeded(reason)) => {
            assert_eq!(reason, "at most 1 upcoming reservations per customer")
        }
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
    assert_eq!(accepted, Held::Created(after));

    // And a cancellation frees its place in the limit
    let someone = UserId::new();
    let booked = reservation(someone, ServiceId::new(), 0, 1, now());
    store.hold(&booked, 1, limits, now()).await.unwrap();
    store.confirm(booked.id, "ch_2", now()).await.unwrap();
    let next = reservation(someone, ServiceId::new(), 2, 1, now());
    assert_err!(
        store.hold(&next, 1, limits, now()).await,
        Error::LimitExceeded(_)
    );
    store
        .cancel(booked.id, 2500, customer_actor(), "changed plans", now())
        .await
        .unwrap();
    assert_eq!(
        store.hold(&next, 1, limits, now()).await.unwrap(),
        Held::Created(next.clone())
    );
}

pub async fn a_live_hold_is_confirmed_and_confirming_again_changes_nothing(
    store: &dyn Reservations,
) {
    // Given a hold on the only place of units 0-1
    let service = ServiceId::new();
    let r = reservation(UserId::new(), service, 0, 2, now());
    held(store, &r, 1, now()).await;

    // When it is confirmed before it lapses, and confirmed again after
    let when = now() + HOLD - SignedDuration::from_millis(1);
    let confirmed = store.confirm(r.id, "ch_1", when).await.unwrap();
    let again = store.confirm(r.id, "ch_2", now() + mins(60)).await.unwrap();

    // Then it is CONFIRMED with the first payment reference, and the replay changed nothing
    assert_eq!(confirmed.status, Status::Confirmed);
    assert_eq!(confirmed.payment_reference.as_deref(), Some("ch_1"));
    assert_eq!(confirmed.version, 2);
    assert_eq!(
        confirmed.history.last().unwrap(),
        &StatusChange {
            at: when,
            from: Some(Status::PendingPayment),
            to: Status::Confirmed,
            actor: Actor::System,
            reason: "payment captured".into(),
        }
    );
    assert_eq!(again, confirmed);
    assert_eq!(store.get(r.id).await.unwrap(), Some(confirmed));
    // And its claims count long after the hold would have lapsed
    let next_day = now() + SignedDuration::from_hours(24);
    assert_eq!(
        claimed(store, service, unit(0), unit(4), next_day).await,
        counts([(0, 1), (1, 1)])
    );
    let late = reservation(UserId::new(), service, 1, 1, next_day);
    assert_err!(
        store.hold(&late, 1, ROOMY, next_day).await,
        Error::SlotUnavailable
    );
}

pub async fn a_lapsed_hold_cannot_be_confirmed(store: &dyn Reservations) {
    // Given a hold
    let r = reservation(UserId::new(), ServiceId::new(), 0, 1, now());
    held(store, &r, 1, now()).await;

    // When the confirmation comes as it lapses
    let outcome = store.confirm(r.id, "ch_1", now() + HOLD).await;

    // Then it is refused and the reservation is unchanged
    assert_err!(outcome, Error::HoldExpired);
    assert_eq!(store.get(r.id).await.unwrap(), Some(r));
    // And unknown reservations are not found by any change
    let unknown = ReservationId::new();
    assert_err!(
        store.confirm(unknown, "ch", now()).await,
        Error::NotFound("reservation")
    );
    assert_err!(
        store.release(unknown, None, now()).await,
        Error::NotFound("reservation")
    );
    assert_err!(
        store
            .cancel(unknown, 0, customer_actor(), "no", now())
            .await,
        Error::NotFound("reservation")
    );
}

pub async fn releasing_a_pending_hold_fails_it_and_frees_its_units(store: &dyn Reservations) {
    // Given a hold on the only place of units 0-1
    let service = ServiceId::new();
    let r = reservation(UserId::new(), service, 0, 2, now());
    held(store, &r, 1, now()).await;

    // When it is released with a failure, and released again
    let failure = Failure {
        code: FailureCode::parse("PaymentDeclined"),
        message: "the card was declined".into(),
    };
    let when = now() + mins(1);
    let released = store
        .release(r.id, Some(failure.clone()), when)
        .await
        .unwrap();
    let again = store.release(r.id, None, now() + mins(2)).await.unwrap();

    // Then it FAILED with that failure, once, and its units are free
    assert_eq!(released.status, Status::Failed);
    assert_eq!(released.failure, Some(failure));
    assert_eq!(released.version, 2);
    assert_eq!(
        released.history.last().unwrap(),
        &StatusChange {
            at: when,
            from: Some(Status::PendingPayment),
            to: Status::Failed,
            actor: Actor::System,
            reason: "the card was declined".into(),
        }
    );
    assert_eq!(again, released);
    assert_eq!(store.get(r.id).await.unwrap(), Some(released));
    assert_eq!(
        claimed(store, service, unit(0), unit(4), when).await,
        ClaimCounts::new()
    );
    let next = reservation(UserId::new(), service, 1, 1, when);
    assert_eq!(
        store.hold(&next, 1, ROOMY, when).await.unwrap(),
        Held::Created(next.clone())
    );
    // And a failed reservation can be neither confirmed nor cancelled
    assert_err!(
        store.confirm(r.id, "ch_1", when).await,
        Error::IllegalTransition {
            from: "FAILED",
            to: "CONFIRMED"
        }
    );
    assert_err!(
        store.cancel(r.id, 0, customer_actor(), "no", when).await,
        Error::IllegalTransition {
            from: "FAILED",
            to: "CANCELLED"
        }
    );
    // And a release without a failure says "released"
    let plain = reservation(UserId::new(), ServiceId::new(), 0, 1, now());
    held(store, &plain, 1, now()).await;
    let plain = store.release(plain.id, None, when).await.unwrap();
    assert_eq!(plain.failure, None);
    assert_eq!(plain.history.last().unwrap().reason, "released");
}

pub async fn a_confirmed_reservation_cannot_be_released(store: &dyn Reservations) {
    // Given a confirmed reservation
    let service = ServiceId::new();
    let r = reservation(UserId::new(), service, 0, 1, now());
    held(store, &r, 1, now()).await;
    let confirmed = store.confirm(r.id, "ch_1", now()).await.unwrap();

    // When it is released
    let outcome = store.release(r.id, None, now()).await;

    // Then that is refused, and it keeps its place
    assert_err!(
        outcome,
        Error::IllegalTransition {
            from: "CONFIRMED",
            to: "released"
        }
    );
    assert_eq!(store.get(r.id).await.unwrap(), Some(confirmed));
    assert_eq!(
        claimed(store, service, unit(0), unit(1), now()).await,
        counts([(0, 1)])
    );
}

pub async fn cancelling_a_confirmed_reservation_frees_its_units(store: &dyn Reservations) {
    // Given a confirmed reservation on the only place of units 0-2
    let service = ServiceId::new();
    let r = reservation(UserId::new(), service, 0, 3, now());
    held(store, &r, 1, now()).await;
    store.confirm(r.id, "ch_1", now()).await.unwrap();

    // When it is cancelled with a partial refund
    let actor = customer_actor();
    let when = now() + mins(10);
    let cancelled = store
        .cancel(r.id, 1250, actor, "changed plans", when)
        .await
        .unwrap();

    // Then it is CANCELLED with the refund due, and its units are free
    assert_eq!(cancelled.status, Status::Cancelled);
    assert_eq!(cancelled.refund_due_minor, Some(1250));
    assert_eq!(cancelled.payment_reference.as_deref(), Some("ch_1"));
    assert_eq!(cancelled.version, 3);
    assert_eq!(
        cancelled.history.last().unwrap(),
        &StatusChange {
            at: when,
            from: Some(Status::Confirmed),
            to: Status::Cancelled,
            actor,
            reason: "changed plans".into(),
        }
    );
    assert_eq!(store.get(r.id).await.unwrap(), Some(cancelled.clone()));
    assert_eq!(
        claimed(store, service, unit(0), unit(4), when).await,
        ClaimCounts::new()
    );
    let next = reservation(UserId::new(), service, 2, 1, when);
    assert_eq!(
        store.hold(&next, 1, ROOMY, when).await.unwrap(),
        Held::Created(next.clone())
    );
    // And it cannot be cancelled again, while releasing it changes nothing
    assert_err!(
        store.cancel(r.id, 0, actor, "again", when).await,
        Error::IllegalTransition {
            from: "CANCELLED",
            to: "CANCELLED"
        }
    );
    assert_eq!(store.release(r.id, None, when).await.unwrap(), cancelled);
    assert_eq!(store.get(r.id).await.unwrap(), Some(cancelled));
    // And a reservation still in payment cannot be cancelled
    assert_err!(
        store.cancel(next.id, 0, actor, "no", when).await,
        Error::IllegalTransition {
            from: "PENDING_PAYMENT",
            to: "CANCELLED"
        }
    );
}

pub async fn a_visit_is_recorded_once_its_start_has_passed(store: &dyn Reservations) {
    // Given a confirmed reservation of units 0-1 and a pending one
    let service = ServiceId::new();
    let r = reservation(UserId::new(), service, 0, 2, now());
    held(store, &r, 2, now()).await;
    store.confirm(r.id, "ch_1", now()).await.unwrap();
    let pending = reservation(UserId::new(), service, 0, 1, now());
    held(store, &pending, 2, now()).await;
    let staff = Actor::User {
        id: UserId::new(),
        role: Role::Staff,
    };

    // When staff mark it before its start, it is refused and unchanged
    match store
        .record_visit(r.id, Status::Completed, staff, unit(0) - mins(1))
        .await
    {
        Err(Error::Rule { field: "start", .. }) => {}
        other => panic!("expected a rule violation on start, got {other:?}"),
    }
    assert_eq!(
        store.get(r.id).await.unwrap().unwrap().status,
        Status::Confirmed
    );

    // When they mark it COMPLETED after its start
    let when = unit(1);
    let done = store
        .record_visit(r.id, Status::Completed, staff, when)
        .await
        .unwrap();

    // Then it is COMPLETED, with who and when in its history, and stored so
    assert_eq!(done.status, Status::Completed);
    assert_eq!(done.version, 3);
    assert_eq!(
        done.history.last().unwrap(),
        &StatusChange {
            at: when,
            from: Some(Status::Confirmed),
            to: Status::Completed,
            actor: staff,
            reason: "the visit took place".into(),
        }
    );
    assert_eq!(store.get(r.id).await.unwrap(), Some(done.clone()));
    // And recording it again changes nothing, while NO_SHOW is now illegal
    assert_eq!(
        store
            .record_visit(r.id, Status::Completed, staff, when + mins(5))
            .await
            .unwrap(),
        done
    );
    assert_err!(
        store.record_visit(r.id, Status::NoShow, staff, when).await,
        Error::IllegalTransition {
            from: "COMPLETED",
            to: "NO_SHOW"
        }
    );
    // And a reservation that never got confirmed cannot get a visit outcome
    assert_err!(
        store
            .record_visit(pending.id, Status::NoShow, staff, when)
            .await,
        Error::IllegalTransition {
            from: "PENDING_PAYMENT",
            to: "NO_SHOW"
        }
    );
    assert_err!(
        store
            .record_visit(ReservationId::new(), Status::NoShow, staff, when)
            .await,
        Error::NotFound(_)
    );
    assert_eq!(store.get(r.id).await.unwrap(), Some(done));
}

pub async fn concurrent_visit_outcomes_leave_exactly_one(store: &dyn Reservations) {
    // Given a confirmed reservation whose start has passed
    let r = reservation(UserId::new(), ServiceId::new(), 0, 1, now());
    held(store, &r, 1, now()).await;
    store.confirm(r.id, "ch_1", now()).await.unwrap();
    let staff = Actor::User {
        id: UserId::new(),
        role: Role::Admin,
    };

    // When five staff mark it COMPLETED and five NO_SHOW at once
    let when = unit(2);
    let calls = (0..10)
        .map(|i| {
            let outcome = if i % 2 == 0 {
                Status::Completed
            } else {
                Status::NoShow
            };
            store.record_visit(r.id, outcome, staff, when)
        })
        .collect();
    let results = join_all(calls).await;

    // Then one outcome is stored; every call of that outcome succeeds with it, and every
    // call of the other is refused naming it
    let stored = store.get(r.id).await.unwrap().unwrap();
    assert!(matches!(stored.status, Status::Completed | Status::NoShow));
    assert_eq!(stored.version, 3, "one change only: {:?}", stored.history);
    for (i, result) in results.into_iter().enumerate() {
        let wanted = if i % 2 == 0 {
            Status::Completed
        } else {
            Status::NoShow
        };
        match result {
            Ok(got) => {
                assert_eq!(wanted, stored.status);
                assert_eq!(got, stored);
            }
            Err(Error::IllegalTransition { from, .. }) => {
                assert_ne!(wanted, stored.status);
                assert_eq!(from, stored.status.as_str());
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
}

pub async fn a_confirm_racing_a_release_leaves_one_consistent_outcome(store: &dyn Reservations) {
    // Given ten holds, each on the only place of its own unit
    let service = ServiceId::new();
    let holds: Vec<Reservation> = (0..10)
        .map(|k| reservation(UserId::new(), service, k, 1, now()))
        .collect();
    for r in &holds {
        held(store, r, 1, now()).await;
    }

    // When each is confirmed and released at the same time
    let when = now() + mins(1);
    let confirms = holds.iter().map(|r| store.confirm(r.id, "ch", when));
    let releases = holds.iter().map(|r| store.release(r.id, None, when));
    let (confirmed, released) =
        tokio::join!(join_all(confirms.collect()), join_all(releases.collect()),);

    // Then for each exactly one of the two succeeded, the other was refused by the life
    // cycle, and the stored status and the claims agree with the winner
    for ((r, confirm), release) in holds.iter().zip(confirmed).zip(released) {
        let stored = store.get(r.id).await.unwrap().unwrap();
        let claimed = claimed(store, service, r.start, r.end, when).await;
        match (confirm, release) {
            (
                Ok(c),
                Err(Error::IllegalTransition {
                    from: "CONFIRMED", ..
                }),
            ) => {
                assert_eq!(stored, c);
                assert_eq!(claimed.values().sum::<u32>(), 1);
            }
            (Err(Error::IllegalTransition { from: "FAILED", .. }), Ok(f)) => {
                assert_eq!(stored, f);
                assert_eq!(claimed, ClaimCounts::new());
            }
            other => panic!("unexpected outcomes {other:?}"),
        }
    }
}

pub async fn the_first_binding_of_an_idempotency_key_wins(store: &dyn Reservations) {
    // Given a key bound by a customer to a reservation id and a request
    let (customer, first) = (UserId::new(), ReservationId::new());
    let bound = store
        .claim_key(customer, "key-1", "fp-1", first)
        .await
        .unwrap();

    // When the key is used again with another id and request
    let again = store
        .claim_key(customer, "key-1", "fp-2", ReservationId::new())
        .await
        .unwrap();

    // Then both answers are the first binding
    assert_eq!(bound, (first, "fp-1".to_owned()));
    assert_eq!(again, bound);
    // And the same key of another customer, or another key, binds on its own
    let other = ReservationId::new();
    assert_eq!(
        store
            .claim_key(UserId::new(), "key-1", "fp-3", other)
            .await
            .unwrap(),
        (other, "fp-3".to_owned())
    );
    assert_eq!(
        store
            .claim_key(customer, "key-2", "fp-4", other)
            .await
            .unwrap(),
        (other, "fp-4".to_owned())
    );
}

pub async fn concurrent_bindings_of_one_key_agree_on_a_single_winner(store: &dyn Reservations) {
    // Given twenty requests with one key, each with its own reservation id
    let customer = UserId::new();
    let ids: Vec<ReservationId> = (0..20).map(|_| ReservationId::new()).collect();
    let fingerprints: Vec<String> = (0..20).map(|i| format!("fp-{i}")).collect();

    // When they bind it at once
    let started = Instant::now();
    let answers = join_all(
        ids.iter()
            .zip(&fingerprints)
            .map(|(id, fp)| store.claim_key(customer, "race", fp, *id))
            .collect(),
    )
    .await;
    eprintln!("20 concurrent claim_key calls: {:?}", started.elapsed());

    // Then every one gets the same binding, which is one of theirs
    let answers: Vec<_> = answers.into_iter().map(Result::unwrap).collect();
    let winner = answers[0].clone();
    assert!(answers.iter().all(|a| *a == winner), "{answers:?}");
    let i = ids.iter().position(|id| *id == winner.0).unwrap();
    assert_eq!(winner.1, fingerprints[i]);
}

pub async fn twenty_concurrent_holds_for_the_last_place_leave_exactly_one_winner(
    store: &dyn Reservations,
) {
    // Given three places on unit 0, two of them taken (one confirmed, one in payment)
    let service = ServiceId::new();
    let taken = [
        reservation(UserId::new(), service, 0, 1, now()),
        reservation(UserId::new(), service, -1, 2, now()),
    ];
    for r in &taken {
        held(store, r, 3, now()).await;
    }
    store.confirm(taken[0].id, "ch_0", now()).await.unwrap();

    // When twenty customers hold units 0-1 at once
    let contenders: Vec<Reservation> = (0..20)
        .map(|_| reservation(UserId::new(), service, 0, 2, now()))
        .collect();
    let started = Instant::now();
    let outcomes = join_all(
        contenders
            .iter()
            .map(|r| store.hold(r, 3, ROOMY, now()))
            .collect(),
    )
    .await;
    eprintln!(
        "20 concurrent holds for the last place: {:?}",
        started.elapsed()
    );

    // Then exactly one is created and the nineteen others find the slot unavailable
    let mut winners = Vec::new();
    for (r, outcome) in contenders.iter().zip(outcomes) {
        match outcome {
            Ok(Held::Created(created)) => {
                assert_eq!(&created, r);
                winners.push(created);
            }
            Err(Error::SlotUnavailable) => {
                assert_eq!(store.get(r.id).await.unwrap(), None);
            }
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    assert_eq!(
        store.get(winners[0].id).await.unwrap(),
        Some(winners[0].clone())
    );
    // And the unit holds exactly its capacity
    assert_eq!(
        claimed(store, service, unit(-1), unit(2), now()).await,
        counts([(-1, 1), (0, 3), (1, 1)])
    );
}

pub async fn concurrent_holds_of_one_customer_stop_at_the_hold_limit(store: &dyn Reservations) {
    // Given a limit of three holds in payment
    let limits = HoldLimits {
        max_active_holds: 3,
        max_upcoming: 10,
    };
    let customer = UserId::new();

    // When one customer holds ten different services at once
    let holds: Vec<Reservation> = (0..10)
        .map(|_| reservation(customer, ServiceId::new(), 0, 1, now()))
        .collect();
    let started = Instant::now();
    let outcomes = join_all(
        holds
            .iter()
            .map(|r| store.hold(r, 1, limits, now()))
            .collect(),
    )
    .await;
    eprintln!(
        "10 concurrent holds of one customer: {:?}",
        started.elapsed()
    );

    // Then exactly three are created and seven exceed the limit
    let (mut created, mut refused) = (0, 0);
    for outcome in outcomes {
        match outcome {
            Ok(Held::Created(_)) => created += 1,
            Err(Error::LimitExceeded(_)) => refused += 1,
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!((created, refused), (3, 7));
}

pub async fn listings_are_ordered_filtered_and_paged_to_the_end(store: &dyn Reservations) {
    // Given reservations of two customers on two services, three of them at the same start,
    // in every status a store produces
    let (c1, c2) = (UserId::new(), UserId::new());
    let (s1, s2) = (ServiceId::new(), ServiceId::new());
    let specs = [
        (c1, s1, 0),
        (c2, s1, 0),
        (c1, s2, 0),
        (c1, s1, 2),
        (c2, s2, 3),
        (c1, s2, 4),
        (c2, s1, 5),
        (c1, s1, 6),
        (c1, s1, 8),
    ];
    let mut ids = Vec::new();
    for (customer, service, first) in specs {
        let r = reservation(customer, service, first, 1, now());
        held(store, &r, 10, now()).await;
        ids.push(r.id);
    }
    for i in [3, 5, 8] {
        store.confirm(ids[i], "ch", now()).await.unwrap();
    }
    store.release(ids[4], None, now()).await.unwrap();
    store
        .cancel(ids[5], 0, customer_actor(), "no", now())
        .await
        .unwrap();
    let mut all = Vec::new();
    for id in &ids {
        all.push(store.get(*id).await.unwrap().unwrap());
    }
    all.sort_by_key(|r| (r.start, r.id));

    // When each filter is listed page by page, with several page sizes
    let filters = [
        ReservationFilter::default(),
        ReservationFilter {
            customer: Some(c1),
            ..Default::default()
        },
        ReservationFilter {
            service: Some(s1),
            ..Default::default()
        },
        ReservationFilter {
            customer: Some(c1),
            service: Some(s1),
            ..Default::default()
        },
        ReservationFilter {
            status: Some(Status::Confirmed),
            ..Default::default()
        },
        ReservationFilter {
            customer: Some(c1),
            status: Some(Status::PendingPayment),
            ..Default::default()
        },
        ReservationFilter {
            service: Some(s2),
            status: Some(Status::Cancelled),
            ..Default::default()
        },
        ReservationFilter {
            from: Some(unit(2)),
            ..Default::default()
        },
        ReservationFilter {
            to: Some(unit(5)),
            ..Default::default()
        },
        ReservationFilter {
            customer: Some(c1),
            from: Some(unit(0) + SignedDuration::from_millis(1)),
            to: Some(unit(6)),
            ..Default::default()
        },
        ReservationFilter {
            service: Some(s1),
            from: Some(unit(5)),
            to: Some(unit(9)),
            ..Default::default()
        },
        ReservationFilter {
            from: Some(unit(6)),
            to: Some(unit(6)),
            ..Default::default()
        },
        ReservationFilter {
            customer: Some(UserId::new()),
            ..Default::default()
        },
    ];
    for filter in &filters {
        let expected: Vec<&Reservation> = all
            .iter()
            .filter(|r| filter.customer.is_none_or(|c| r.customer_id == c))
            .filter(|r| filter.service.is_none_or(|s| r.service_id == s))
            .filter(|r| filter.status.is_none_or(|s| r.status == s))
            .filter(|r| filter.from.is_none_or(|t| r.start >= t))
            .filter(|r| filter.to.is_none_or(|t| r.start < t))
            .collect();
        for limit in [1, 2, 3, 100] {
            let mut seen = Vec::new();
            let mut after = None;
            loop {
                let page = store.list(filter, after, limit).await.unwrap();
                assert!(page.items.len() <= limit);
                seen.extend(page.items.clone());
                match page.next {
                    // Then every page but the last is full and says where the next begins
                    Some(next) => {
                        assert_eq!(page.items.len(), limit, "{filter:?}");
                        after = Some(ReservationCursor::decode(&next).unwrap());
                    }
                    None => break,
                }
            }
            // And together the pages hold exactly the matches, in order, once each
            let seen: Vec<&Reservation> = seen.iter().collect();
            assert_eq!(seen, expected, "{filter:?}, {limit} per page");
        }
    }
    // And a cursor before `from` resumes at `from`, a cursor past `to` finds nothing, and a
    // page of none says nothing about more
    let first = ReservationCursor {
        start: all[0].start,
        id: all[0].id,
    };
    let from_unit_4 = ReservationFilter {
        from: Some(unit(4)),
        ..Default::default()
    };
    let page = store.list(&from_unit_4, Some(first), 100).await.unwrap();
    let starts: Vec<Timestamp> = page.items.iter().map(|r| r.start).collect();
    assert_eq!(starts, [unit(4), unit(5), unit(6), unit(8)]);
    let last = ReservationCursor {
        start: all[8].start,
        id: all[8].id,
    };
    let to_unit_6 = ReservationFilter {
        to: Some(unit(6)),
        ..Default::default()
    };
    assert_eq!(
        store.list(&to_unit_6, Some(last), 100).await.unwrap().items,
        []
    );
    let none = store
        .list(&ReservationFilter::default(), None, 0)
        .await
        .unwrap();
    assert_eq!((none.items.len(), none.next), (0, None));
}

pub async fn claim_counts_show_the_live_claims_in_the_window_only(store: &dyn Reservations) {
    // Given, on one service: a hold on units 0-1 (until 9 minutes from now), a confirmed
    // reservation on 1-2, a released one on 2, a hold on 3 (until 13 minutes from now); and
    // a hold on unit 1 of another service
    let service = ServiceId::new();
    let pending = reservation(UserId::new(), service, 0, 2, now() + mins(4));
    let confirmed = reservation(UserId::new(), service, 1, 2, now());
    let released = reservation(UserId::new(), service, 2, 1, now());
    let later = reservation(UserId::new(), service, 3, 1, now() + mins(8));
    held(store, &pending, 5, now() + mins(4)).await;
    held(store, &confirmed, 5, now()).await;
    held(store, &released, 5, now()).await;
    held(store, &later, 5, now() + mins(8)).await;
    held(
        store,
        &reservation(UserId::new(), ServiceId::new(), 1, 1, now()),
        5,
        now(),
    )
    .await;
    store.confirm(confirmed.id, "ch", now()).await.unwrap();
    store.release(released.id, None, now()).await.unwrap();

    // When the claims are read for windows and times
    let claims = |from, to, now| store.claims(service, from, to, now);
    let t = now() + mins(8);

    // Then each window counts the claims that count at that time, and omits free units
    assert_eq!(
        claims(unit(0), unit(4), t).await.unwrap(),
        counts([(0, 1), (1, 2), (2, 1), (3, 1)])
    );
    assert_eq!(claims(unit(1), unit(2), t).await.unwrap(), counts([(1, 2)]));
    assert_eq!(
        claims(unit(0) + SignedDuration::from_nanos(1), unit(3), t)
            .await
            .unwrap(),
        counts([(1, 2), (2, 1)])
    );
    assert_eq!(
        claims(unit(1), unit(1), t).await.unwrap(),
        ClaimCounts::new()
    );
    assert_eq!(
        claims(unit(4), unit(0), t).await.unwrap(),
        ClaimCounts::new()
    );
    // And once the first hold lapses, only the others count
    let lapsed = now() + mins(10);
    assert_eq!(
        claims(unit(0), unit(4), lapsed).await.unwrap(),
        counts([(1, 1), (2, 1), (3, 1)])
    );
    let all_lapsed = now() + mins(13);
    assert_eq!(
        claims(unit(0), unit(4), all_lapsed).await.unwrap(),
        counts([(1, 1), (2, 1)])
    );
}

pub async fn a_reservation_of_the_most_units_a_service_claims_is_held_and_confirmed(
    store: &dyn Reservations,
) {
    // Given a reservation of as many units as the longest service claims
    let service = ServiceId::new();
    let most = reservation(UserId::new(), service, 0, MOST, now());

    // When it is held and confirmed
    let outcome = store.hold(&most, 1, ROOMY, now()).await.unwrap();
    let confirmed = store.confirm(most.id, "ch", now()).await.unwrap();

    // Then every unit is claimed
    assert_eq!(outcome, Held::Created(most));
    assert_eq!(confirmed.status, Status::Confirmed);
    let claimed = claimed(store, service, unit(0), unit(200), now()).await;
    assert_eq!(claimed.len(), MAX_CLAIM_UNITS);
    assert!(claimed.values().all(|c| *c == 1));
}
