//! Property tests: whatever the sequence of holds, charges, confirms, refunds, releases,
//! expiries, cancellations and whole bookings, and in whatever order the tasks run (the
//! state machine runs them at least once), no slot unit ever holds more customers than its
//! capacity, and the ledger always agrees with the reservations.
#![allow(clippy::unwrap_used)] // a test harness: a panic is a failed test

mod common;

use std::collections::HashMap;

use booking_core::{
    booking::{CancelRequest, TaskFailure},
    ids::{ReservationId, ServiceId, UserId},
    payment::{EntryKind, PaymentMethod},
    ports::{ClaimQuery, ClaimReader, Clock, ReservationFilter, ReservationStore},
    reservation::{Actor, Reservation, Status},
    user::Role,
    workflow::Workflow,
};
use common::World;
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
const METHODS: [PaymentMethod; 3] = [
    PaymentMethod::CardVisa,
    PaymentMethod::CardChargeDeclined,
    PaymentMethod::CardProcessingError,
];

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
    Charge(usize),
    Confirm(usize),
    Refund(usize),
    Release(usize),
    Cancel {
        reservation: usize,
        by_admin: bool,
    },
    Advance(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..4usize, 0..4usize, 0..3usize).prop_map(|(customer, start, method)| Op::Book { customer, start, method }),
        3 => (0..4usize, 0..4usize, 0..3usize).prop_map(|(customer, start, method)| Op::Hold { customer, start, method }),
        2 => any::<usize>().prop_map(Op::Charge),
        2 => any::<usize>().prop_map(Op::Confirm),
        1 => any::<usize>().prop_map(Op::Refund),
        1 => any::<usize>().prop_map(Op::Release),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(reservation, by_admin)| Op::Cancel { reservation, by_admin }),
        1 => (0..400i64).prop_map(Op::Advance),
    ]
}

struct Model {
    w: World,
    service: ServiceId,
    capacity: u32,
    customers: Vec<UserId>,
    ids: Vec<ReservationId>,
}

impl Model {
    fn pick(&self, i: usize) -> Option<ReservationId> {
        (!self.ids.is_empty()).then(|| self.ids[i % self.ids.len()])
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
                self.ids.push(req.reservation_id);
                if matches!(op, Op::Book { .. }) {
                    self.w.workflow().book(&req).await.unwrap();
                } else {
                    let _ = b.hold(&req).await;
                }
            }
            Op::Charge(i) => {
                if let Some(id) = self.pick(i) {
                    let _ = b.charge(id).await;
                }
            }
            Op::Confirm(i) => {
                if let Some(id) = self.pick(i) {
                    let entries = self.w.stores.ledger.all();
                    let reference = entries
                        .iter()
                        .find(|e| e.reservation_id == id && e.kind == EntryKind::Charge)
                        .map_or("ch_none".to_owned(), |e| e.gateway_reference.clone());
                    let _ = b.confirm(id, &reference).await;
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

    /// Every reservation's ledger entries agree with its status, at any moment.
    async fn check_ledger(&self) -> Result<(), TestCaseError> {
        let entries = self.w.stores.ledger.all();
        for r in self.all().await {
            let mine = |kind| {
                entries
                    .iter()
                    .filter(|e| e.reservation_id == r.id && e.kind == kind)
                    .collect::<Vec<_>>()
            };
            let (charges, refunds) = (mine(EntryKind::Charge), mine(EntryKind::Refund));
            prop_assert!(
                charges.len() <= 1 && refunds.len() <= 1,
                "money moved twice for {}",
                r.id
            );
            if let Some(c) = charges.first() {
                prop_assert_eq!(c.amount, r.amount);
            }
            if let Some(refund) = refunds.first() {
                prop_assert!(!charges.is_empty(), "a refund without a charge");
                prop_assert!(refund.amount.minor <= charges[0].amount.minor);
                if r.status == Status::Cancelled {
                    prop_assert_eq!(Some(refund.amount.minor), r.refund_due_minor);
                }
            }
            if r.status == Status::Confirmed {
                prop_assert!(
                    charges.len() == 1 && refunds.is_empty(),
                    "{:?} confirmed without exactly its charge",
                    r.id
                );
            }
        }
        Ok(())
    }

    /// Lets every hold lapse and runs the compensations the workflows would, then checks
    /// that what the ledger kept is exactly what the reservations say was sold.
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
                    b.refund(r.id).await.unwrap();
                }
                Status::Cancelled => {
                    b.release(r.id, None).await.unwrap();
                    b.refund(r.id).await.unwrap();
                }
                Status::Failed => {
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
        let sold: i64 = self
            .all()
            .await
            .iter()
            .map(|r| match r.status {
                Status::Confirmed => r.amount.minor,
                Status::Cancelled => r.amount.minor - r.refund_due_minor.unwrap_or(0),
                Status::PendingPayment => panic!("{} still pending after settling", r.id),
                _ => 0,
            })
            .sum();
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
            let mut m = Model { w, service, capacity, customers, ids: Vec::new() };
            for op in &ops {
                m.apply(op).await;
                m.check_capacity().await?;
                m.check_ledger().await?;
            }
            m.settle_and_check_totals().await
        })?;
    }
}
