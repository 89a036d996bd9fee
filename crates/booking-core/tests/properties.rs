//! Property tests: whatever the sequence of holds, authorisations, confirms, captures,
//! voids, refunds, releases, revocations, expiries, cancellations, whole bookings and their
//! replays, and in whatever order the tasks run (the state machine runs them at least
//! once), no slot unit ever holds more customers than its capacity, and the ledger always
//! agrees with the reservations and their payments.
#![allow(clippy::unwrap_used)] // a test harness: a panic is a failed test

mod common;

use std::collections::HashMap;

use booking_core::{
    booking::{BookingRequest, CancelRequest, TaskFailure},
    ids::{ReservationId, ServiceId, UserId},
    payment::{EntryKind, PaymentStatus},
    ports::{ClaimQuery, ClaimReader, Clock, ReservationFilter, ReservationStore},
    reservation::{Actor, Reservation, Status},
    user::Role,
    workflow::Workflow,
};
use common::{AUTHENTICATION, DECLINED, PROCESSING_ERROR, VISA, World};
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

/// Tuesday 2026-12-01 from 10:00 in Madrid, every 30 minutes: a 60-minute service with a
/// 30-minute buffer claims three units, so neighbouring starts compete for units.
const STARTS: [&str; 4] = [
    "2026-12-01T09:00:00Z",
    "2026-12-01T09:30:00Z",
    "2026-12-01T10:00:00Z",
    "2026-12-01T10:30:00Z",
];
const METHODS: [&str; 4] = [VISA, DECLINED, PROCESSING_ERROR, AUTHENTICATION];

#[derive(Debug, Clone)]
enum Op {
    Book {
        customer: usize,
        start: usize,
        method: usize,
    },
    Hold {
        customer: usize,
        start: usize,
        method: usize,
    },
    /// The whole booking workflow again for an earlier request (the client's replay, after
    /// 3-D Secure say).
    Replay(usize),
    Authorize(usize),
    Confirm(usize),
    Capture(usize),
    Void(usize),
    Refund(usize),
    Release(usize),
    Revoke(usize),
    Cancel {
        reservation: usize,
        by_admin: bool,
    },
    Advance(i64),
}

fn op() -> impl Strategy<Value = Op> {
    // Cards that can be authorised are likelier, so that later steps have work to do.
    let method = || prop_oneof![3 => Just(0usize), 1 => Just(1), 1 => Just(2), 2 => Just(3)];
    let request = move || (0..4usize, 0..4usize, method());
    prop_oneof![
        3 => request().prop_map(|(customer, start, method)| Op::Book { customer, start, method }),
        3 => request().prop_map(|(customer, start, method)| Op::Hold { customer, start, method }),
        2 => any::<usize>().prop_map(Op::Replay),
        2 => any::<usize>().prop_map(Op::Authorize),
        2 => any::<usize>().prop_map(Op::Confirm),
        2 => any::<usize>().prop_map(Op::Capture),
        1 => any::<usize>().prop_map(Op::Void),
        1 => any::<usize>().prop_map(Op::Refund),
        1 => any::<usize>().prop_map(Op::Release),
        1 => any::<usize>().prop_map(Op::Revoke),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(reservation, by_admin)| Op::Cancel { reservation, by_admin }),
        1 => (0..400i64).prop_map(Op::Advance),
    ]
}

struct Model {
    w: World,
    service: ServiceId,
    capacity: u32,
    customers: Vec<UserId>,
    requests: Vec<BookingRequest>,
}

impl Model {
    fn pick_request(&self, i: usize) -> Option<&BookingRequest> {
        (!self.requests.is_empty()).then(|| &self.requests[i % self.requests.len()])
    }

    fn pick(&self, i: usize) -> Option<ReservationId> {
        self.pick_request(i).map(|r| r.reservation_id)
    }

    async fn all(&self) -> Vec<Reservation> {
        let page = self
            .w
            .stores
            .reservations
            .list(&ReservationFilter::default(), None, 10_000)
            .await
            .unwrap();
        page.items
    }

    async fn apply(&mut self, op: &Op) {
        let b = &self.w.booking;
        // The tasks' errors are the point: a task run out of order must refuse, not corrupt.
        match *op {
            Op::Book {
                customer,
                start,
                method,
            }
            | Op::Hold {
                customer,
                start,
                method,
            } => {
                let req = self.w.request(
                    self.customers[customer],
                    self.service,
                    STARTS[start],
                    METHODS[method],
                );
                if matches!(op, Op::Book { .. }) {
                    self.w.workflow().book(&req).await.unwrap();
                } else {
                    let _ = b.hold(&req).await;
                }
                self.requests.push(req);
            }
            Op::Replay(i) => {
                if let Some(req) = self.pick_request(i) {
                    self.w.workflow().book(req).await.unwrap();
                }
            }
            Op::Authorize(i) => {
                if let Some(id) = self.pick(i) {
                    let _ = b.authorize(id).await;
                }
            }
            Op::Confirm(i) => {
                if let Some(id) = self.pick(i) {
                    let _ = b.confirm(id).await;
                }
            }
            Op::Capture(i) => {
                if let Some(id) = self.pick(i) {
                    let _ = b.capture(id).await;
                }
            }
            Op::Void(i) => {
                if let Some(id) = self.pick(i) {
                    let _ = b.void(id).await;
                }
            }
            Op::Refund(i) => {
                if let Some(id) = self.pick(i) {
                    let _ = b.refund(id).await;
                }
            }
            Op::Release(i) => {
                if let Some(id) = self.pick(i) {
                    let _ = b.release(id, None).await;
                }
            }
            Op::Revoke(i) => {
                if let Some(id) = self.pick(i) {
                    let lapsed = TaskFailure {
                        error: "PaymentDeclined".into(),
                        cause: "the authorisation lapsed".into(),
                    };
                    let _ = b.revoke(id, &lapsed).await;
                }
            }
            Op::Cancel {
                reservation,
                by_admin,
            } => {
                if let Some(id) = self.pick(reservation) {
                    let actor = if by_admin {
                        Actor::User {
                            id: UserId::new(),
                            role: Role::Admin,
                        }
                    } else {
                        let owner = self
                            .w
                            .stores
                            .reservations
                            .get(id)
                            .await
                            .unwrap()
                            .map(|r| r.customer_id);
                        Actor::User {
                            id: owner.unwrap_or_else(UserId::new),
                            role: Role::Customer,
                        }
                    };
                    self.w
                        .workflow()
                        .cancel(&CancelRequest {
                            reservation_id: id,
                            actor,
                        })
                        .await
                        .unwrap();
                }
            }
            Op::Advance(minutes) => self.w.clock.advance(SignedDuration::from_mins(minutes)),
        }
    }

    /// No unit over capacity, as the stored reservations and as availability see it.
    async fn check_capacity(&self) -> Result<(), TestCaseError> {
        let now = self.w.clock.now();
        let mut per_unit: HashMap<Timestamp, u32> = HashMap::new();
        for r in self.all().await.iter().filter(|r| r.occupies(now)) {
            for u in &r.units {
                *per_unit.entry(*u).or_default() += 1;
            }
        }
        for (unit, n) in &per_unit {
            prop_assert!(
                *n <= self.capacity,
                "{n} customers in unit {unit}, capacity {}",
                self.capacity
            );
        }
        let every_unit = ClaimQuery {
            service: self.service,
            units: Timestamp::MIN..Timestamp::MAX,
        };
        let claims = self
            .w
            .stores
            .reservations
            .claims(&every_unit, now)
            .await
            .unwrap();
        for (unit, n) in claims {
            prop_assert!(n <= self.capacity, "claims say {n} in unit {unit}");
            prop_assert_eq!(Some(&n), per_unit.get(&unit));
        }
        Ok(())
    }

    /// Every reservation's ledger entries agree with its status and its payment, at any
    /// moment.
    async fn check_ledger(&self) -> Result<(), TestCaseError> {
        use PaymentStatus::{Authorized, Captured, Pending, RequiresAction, Voided};
        let entries = self.w.stores.ledger.all();
        for r in self.all().await {
            let mine = |kind| {
                entries
                    .iter()
                    .filter(|e| e.reservation_id == r.id && e.kind == kind)
                    .collect::<Vec<_>>()
            };
            let (charges, refunds) = (mine(EntryKind::Charge), mine(EntryKind::Refund));
            let (id, status, payment) = (r.id, r.status, r.payment.status);
            prop_assert!(
                charges.len() <= 1 && refunds.len() <= 1,
                "money moved twice for {}",
                id
            );
            let charge = charges.first();
            if let Some(c) = charge {
                prop_assert_eq!(c.amount, r.amount);
                // Money is taken only once confirmed, and a captured booking is never
                // revoked or released: a charge never belongs to a FAILED reservation.
                prop_assert!(
                    matches!(
                        status,
                        Status::Confirmed | Status::Cancelled | Status::Completed | Status::NoShow
                    ),
                    "{} is {:?} with a charge",
                    id,
                    status
                );
                prop_assert_eq!(r.payment.charge.as_ref(), Some(&c.gateway_reference));
            }
            // The payment says captured exactly when the ledger holds the charge.
            prop_assert_eq!(
                payment == Captured,
                charge.is_some(),
                "{}: {:?}",
                id,
                payment
            );
            if let Some(refund) = refunds.first() {
                let Some(c) = charge else {
                    return Err(TestCaseError::fail(format!(
                        "{id}: a refund without a charge"
                    )));
                };
                prop_assert!(refund.amount.minor <= c.amount.minor);
                if status == Status::Cancelled {
                    prop_assert_eq!(Some(refund.amount.minor), r.refund_due_minor);
                }
            }
            if status == Status::Cancelled {
                // What the policy grants is a share of the price: of what was taken, or of
                // what a capture landing beside the cancellation would take (a refund never
                // exceeds the charge: checked above).
                let due = r.refund_due_minor.unwrap_or(0);
                prop_assert!(
                    (0..=r.amount.minor).contains(&due),
                    "{}: {} due of {}",
                    id,
                    due,
                    r.amount.minor
                );
            }
            match status {
                // Confirmed once authorised; captured or not yet (between Confirm and Capture).
                Status::Confirmed => prop_assert!(
                    matches!(payment, Authorized | Captured) && refunds.is_empty(),
                    "{} confirmed with payment {:?} and {} refunds",
                    id,
                    payment,
                    refunds.len()
                ),
                Status::PendingPayment => prop_assert!(
                    matches!(payment, Pending | RequiresAction | Authorized),
                    "{} in payment with payment {:?}",
                    id,
                    payment
                ),
                _ => {}
            }
            // A void releases only the authorisation of a booking that will not take place.
            if payment == Voided {
                prop_assert!(
                    matches!(status, Status::Failed | Status::Cancelled),
                    "{} voided while {:?}",
                    id,
                    status
                );
            }
        }
        Ok(())
    }

    /// Lets every hold lapse and runs the steps the workflows would (the compensations, and
    /// the capture a confirmed booking is due), then checks that what the ledger kept is
    /// exactly what the reservations say was sold, and that no authorisation is left open.
    async fn settle_and_check_totals(&self) -> Result<(), TestCaseError> {
        self.w.clock.advance(SignedDuration::from_mins(10));
        let b = &self.w.booking;
        let expired = TaskFailure {
            error: "HoldExpired".into(),
            cause: "the hold lapsed".into(),
        };
        for r in self.all().await {
            match r.status {
                Status::PendingPayment => {
                    b.release(r.id, Some(&expired)).await.unwrap();
                    b.void(r.id).await.unwrap();
                    b.refund(r.id).await.unwrap();
                }
                Status::Confirmed if r.payment.status == PaymentStatus::Authorized => {
                    b.capture(r.id).await.unwrap();
                }
                Status::Cancelled => {
                    b.release(r.id, None).await.unwrap();
                    b.void(r.id).await.unwrap();
                    b.refund(r.id).await.unwrap();
                }
                Status::Failed => {
                    b.void(r.id).await.unwrap();
                    b.refund(r.id).await.unwrap();
                }
                _ => {}
            }
        }
        let net: i64 = self
            .w
            .stores
            .ledger
            .all()
            .iter()
            .map(|e| {
                if e.kind == EntryKind::Charge {
                    e.amount.minor
                } else {
                    -e.amount.minor
                }
            })
            .sum();
        let mut sold = 0;
        for r in self.all().await {
            let (id, payment) = (r.id, r.payment.status);
            prop_assert!(
                !matches!(
                    payment,
                    PaymentStatus::Authorized | PaymentStatus::RequiresAction
                ),
                "{} is {:?} with an open authorisation after settling",
                id,
                r.status
            );
            sold += match r.status {
                Status::Confirmed => {
                    prop_assert_eq!(payment, PaymentStatus::Captured, "{}", id);
                    r.amount.minor
                }
                Status::Cancelled if payment == PaymentStatus::Captured => {
                    r.amount.minor - r.refund_due_minor.unwrap_or(0)
                }
                Status::PendingPayment => panic!("{id} still pending after settling"),
                _ => 0,
            };
        }
        prop_assert_eq!(net, sold);
        self.check_ledger().await
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn capacity_and_money_hold_under_any_sequence(
        capacity in 1..=3u32,
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        rt.block_on(async {
            let w = World::new().await;
            let service = w.service(capacity).await;
            let mut customers = Vec::new();
            for _ in 0..4 {
                customers.push(w.customer().await);
            }
            let mut m = Model { w, service, capacity, customers, requests: Vec::new() };
            for op in &ops {
                m.apply(op).await;
                m.check_capacity().await?;
                m.check_ledger().await?;
            }
            m.settle_and_check_totals().await
        })?;
    }
}
