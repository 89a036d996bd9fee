//! Reservations, their slot unit claims and the idempotency keys in memory.

use std::{collections::HashMap, sync::Mutex};

use async_trait::async_trait;
use jiff::Timestamp;

use crate::{
    Error,
    holds::decide_hold,
    ids::{ReservationId, ServiceId, UserId},
    payment::Payment,
    ports::{
        Cancellation, ClaimCounts, ClaimQuery, ClaimReader, Held, HoldLimits, KeyBinding, Page,
        ReservationCursor, ReservationFilter, ReservationStore, Visit,
    },
    reservation::{Failure, LimitCount, Reservation},
    sync::lock,
};

#[derive(Debug, Default)]
struct ReservationsInner {
    by_id: HashMap<ReservationId, Reservation>,
    /// Which reservations claim each (service, unit); whether a claim counts depends on
    /// the reservation's status and hold expiry at the time of asking.
    claims: HashMap<(ServiceId, Timestamp), Vec<ReservationId>>,
    keys: HashMap<(UserId, String), KeyBinding>,
}

impl ReservationsInner {
    fn live_claims(&self, service: ServiceId, unit: Timestamp, now: Timestamp) -> u32 {
        let holders = self
            .claims
            .get(&(service, unit))
            .map_or(&[][..], Vec::as_slice);
        let live = holders
            .iter()
            .filter(|id| self.by_id.get(id).is_some_and(|r| r.occupies(now)));
        u32::try_from(live.count()).unwrap_or(u32::MAX)
    }

    fn free_claims(&mut self, r: &Reservation) {
        for unit in &r.units {
            if let Some(holders) = self.claims.get_mut(&(r.service_id, *unit)) {
                holders.retain(|id| *id != r.id);
                if holders.is_empty() {
                    self.claims.remove(&(r.service_id, *unit));
                }
            }
        }
    }

    fn get_mut(&mut self, id: ReservationId) -> Result<&mut Reservation, Error> {
        self.by_id
            .get_mut(&id)
            .ok_or(Error::NotFound("reservation"))
    }
}

impl MemoryReservations {
    /// Applies one of [`Reservation`]'s own changes to the stored `id` and returns it as
    /// it is after (unchanged when the change changed nothing).
    fn change<T>(
        &self,
        id: ReservationId,
        change: impl FnOnce(&mut Reservation) -> Result<T, Error>,
    ) -> Result<Reservation, Error> {
        let mut g = lock(&self.inner);
        let r = g.get_mut(id)?;
        change(r)?;
        Ok(r.clone())
    }

    /// [`Self::change`], then frees the reservation's claims (release, revoke), in the same
    /// lock.
    fn change_and_free<T>(
        &self,
        id: ReservationId,
        change: impl FnOnce(&mut Reservation) -> Result<T, Error>,
    ) -> Result<Reservation, Error> {
        let mut g = lock(&self.inner);
        let r = g.get_mut(id)?;
        change(r)?;
        let r = r.clone();
        g.free_claims(&r);
        Ok(r)
    }
}

/// Reservations and slot claims in memory; one mutex makes each operation atomic, as the
/// DynamoDB adapter's transactions are.
#[derive(Debug, Default)]
pub struct MemoryReservations {
    inner: Mutex<ReservationsInner>,
}

#[async_trait]
impl ReservationStore for MemoryReservations {
    async fn claim_key(
        &self,
        customer: UserId,
        key: &str,
        binding: &KeyBinding,
    ) -> Result<KeyBinding, Error> {
        let mut g = lock(&self.inner);
        Ok(g.keys
            .entry((customer, key.to_owned()))
            .or_insert_with(|| binding.clone())
            .clone())
    }

    async fn hold(
        &self,
        reservation: &Reservation,
        capacity: u32,
        limits: HoldLimits,
    ) -> Result<Held, Error> {
        let now = reservation.created_at;
        let mut g = lock(&self.inner);
        if let Some(existing) = g.by_id.get(&reservation.id) {
            return Ok(Held::Existing(existing.clone()));
        }
        let mine = g
            .by_id
            .values()
            .filter(|r| r.customer_id == reservation.customer_id);
        let (mut holds, mut upcoming) = (0, 0);
        for r in mine {
            match r.limit_count() {
                Some(LimitCount::Hold(until)) if now < until => holds += 1,
                Some(LimitCount::Upcoming(until)) if now < until => upcoming += 1,
                _ => {}
            }
        }
        let service = reservation.service_id;
        let claims = reservation
            .units
            .iter()
            .map(|u| g.live_claims(service, *u, now));
        decide_hold(limits, holds, upcoming, claims, capacity)?;
        for unit in &reservation.units {
            g.claims
                .entry((service, *unit))
                .or_default()
                .push(reservation.id);
        }
        g.by_id.insert(reservation.id, reservation.clone());
        Ok(Held::Created(reservation.clone()))
    }

    async fn get(&self, id: ReservationId) -> Result<Option<Reservation>, Error> {
        Ok(lock(&self.inner).by_id.get(&id).cloned())
    }

    async fn confirm(&self, id: ReservationId, now: Timestamp) -> Result<Reservation, Error> {
        self.change(id, |r| r.confirm(now))
    }

    async fn revoke(
        &self,
        id: ReservationId,
        failure: Failure,
        now: Timestamp,
    ) -> Result<Reservation, Error> {
        self.change_and_free(id, |r| r.revoke(failure, now))
    }

    async fn record_payment(
        &self,
        id: ReservationId,
        payment: &Payment,
    ) -> Result<Reservation, Error> {
        self.change(id, |r| r.record_payment(payment))
    }

    async fn release(
        &self,
        id: ReservationId,
        failure: Option<Failure>,
        now: Timestamp,
    ) -> Result<Reservation, Error> {
        self.change_and_free(id, |r| r.fail_for_release(failure, now))
    }

    async fn cancel(
        &self,
        id: ReservationId,
        c: Cancellation<'_>,
        now: Timestamp,
    ) -> Result<Reservation, Error> {
        self.change(id, |r| r.cancel(c.refund_due_minor, c.actor, c.reason, now))
    }

    async fn record_visit(
        &self,
        id: ReservationId,
        visit: Visit,
        now: Timestamp,
    ) -> Result<Reservation, Error> {
        self.change(id, |r| r.record_visit(visit.outcome, visit.actor, now))
    }

    async fn list(
        &self,
        filter: &ReservationFilter,
        after: Option<ReservationCursor>,
        limit: usize,
    ) -> Result<Page<Reservation>, Error> {
        let g = lock(&self.inner);
        let mut items: Vec<&Reservation> = g
            .by_id
            .values()
            .filter(|r| filter.selects(r, after))
            .collect();
        items.sort_unstable_by_key(|r| (r.start, r.id));
        // Clone only what the page needs (and the one more that tells there is a next).
        let items = items
            .into_iter()
            .take(limit.saturating_add(1))
            .cloned()
            .collect();
        Ok(Page::from_overfetch(items, limit, ReservationCursor::after))
    }
}

#[async_trait]
impl ClaimReader for MemoryReservations {
    async fn claims(&self, query: &ClaimQuery, now: Timestamp) -> Result<ClaimCounts, Error> {
        let g = lock(&self.inner);
        Ok(g.claims
            .keys()
            .filter(|(s, t)| *s == query.service && query.units.contains(t))
            .map(|(_, t)| (*t, g.live_claims(query.service, *t, now)))
            .filter(|(_, n)| *n > 0)
            .collect())
    }
}
