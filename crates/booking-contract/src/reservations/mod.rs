//! The contract of [`ReservationStore`](booking_core::ports::ReservationStore) and
//! [`ClaimReader`](booking_core::ports::ClaimReader): holds and their claims, the
//! life cycle (confirm, release, cancel, visit outcomes), idempotency keys, listings, and the
//! races between them.

use std::{fmt, ops::Range, time::Instant};

use booking_core::{
    Error,
    availability::MAX_CLAIM_UNITS,
    booking::FailureCode,
    ids::{ReservationId, ServiceId, UserId},
    ports::{
        Cancellation, ClaimCounts, ClaimQuery, Held, HoldLimits, KeyBinding, ReservationCursor,
        ReservationFilter, Visit,
    },
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
pub(crate) fn counts<const N: usize>(pairs: [(i64, u32); N]) -> ClaimCounts {
    pairs.into_iter().map(|(k, c)| (unit(k), c)).collect()
}

pub(crate) fn customer_actor() -> Actor {
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

/// Expects a change the life cycle refuses: from status `from` to `to`.
#[track_caller]
pub(crate) fn assert_illegal<T: fmt::Debug>(outcome: Result<T, Error>, from: &str, to: &str) {
    match outcome {
        Err(Error::IllegalTransition { from: f, to: t }) if (f, t) == (from, to) => {}
        other => panic!("expected {from} -> {to} to be refused, got {other:?}"),
    }
}

/// The claims on `service`'s units starting in `units` that count at `now`.
pub(crate) async fn claimed(
    store: &dyn Reservations,
    service: ServiceId,
    units: Range<Timestamp>,
    now: Timestamp,
) -> ClaimCounts {
    let query = ClaimQuery { service, units };
    store.claims(&query, now).await.unwrap()
}

/// Holds `r` with room to spare and expects it to be created.
pub(crate) async fn held(store: &dyn Reservations, r: &Reservation, capacity: u32) {
    assert_eq!(
        store.hold(r, capacity, ROOMY).await.unwrap(),
        Held::Created(r.clone())
    );
}

/// Holds `r` on one place per unit under `limits` and expects it to be created.
pub(crate) async fn held_under(store: &dyn Reservations, r: &Reservation, limits: HoldLimits) {
    assert_eq!(
        store.hold(r, 1, limits).await.unwrap(),
        Held::Created(r.clone())
    );
}

/// The reason of a hold refused for a customer's limit.
pub(crate) fn limit_reason(outcome: Result<Held, Error>) -> String {
    match outcome {
        Err(Error::LimitExceeded(reason)) => reason,
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
}

/// Given: a new customer's hold of units `first..first + count`, made at [`now`], on a new
/// service with `capacity` places per unit.
pub(crate) async fn a_hold(
    store: &dyn Reservations,
    first: i64,
    count: i64,
    capacity: u32,
) -> Reservation {
    let r = reservation(UserId::new(), ServiceId::new(), first, count, now());
    held(store, &r, capacity).await;
    r
}

/// Given: [`a_hold`] (its payment authorised), confirmed at [`now`].
pub(crate) async fn a_booking(
    store: &dyn Reservations,
    first: i64,
    count: i64,
    capacity: u32,
) -> Reservation {
    let r = a_hold(store, first, count, capacity).await;
    store.confirm(r.id, now()).await.unwrap()
}

/// A cancellation by `actor` for a change of plans, with `refund_due_minor` due.
pub(crate) fn cancellation(refund_due_minor: i64, actor: Actor) -> Cancellation<'static> {
    Cancellation {
        refund_due_minor,
        actor,
        reason: "changed plans",
    }
}

mod holds;
mod keys_and_races;
mod life_cycle;
mod listings;
mod payments;

pub use holds::*;
pub use keys_and_races::*;
pub use life_cycle::*;
pub use listings::*;
pub use payments::*;
