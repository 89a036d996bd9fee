//! In-memory adapters for every port: the embedded default and the handler tests use them.
//! Each holds its state behind one mutex, which makes every operation atomic, as the
//! conditional writes of the DynamoDB adapters are.

use std::{
    collections::{BTreeMap, HashMap},
    ops::Bound,
    sync::{Arc, Mutex, MutexGuard},
};

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

use crate::{
    Error,
    booking::{Booking, BookingConfig},
    catalog::Service,
    ids::{ReservationId, ServiceId, UserId},
    notify::Notification,
    payment::{LedgerEntry, PaymentLedger, SimulatedGateway},
    ports::{
        Admission, Attempt, CatalogStore, ClaimCounts, ClaimReader, Clock, Held, HoldLimits,
        NotificationQueue, Page, ReservationCursor, ReservationFilter, ReservationStore,
        SettingsStore, Throttle, UserStore,
    },
    reservation::{Actor, Failure, Reservation, Status},
    settings::Settings,
    user::{Email, Role, User, check_role_change},
};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind; keep serving it.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Default)]
pub struct MemoryUsers {
    inner: Mutex<(BTreeMap<UserId, User>, HashMap<Email, UserId>)>,
}

#[async_trait]
impl UserStore for MemoryUsers {
    async fn insert(&self, user: &User) -> Result<(), Error> {
        let mut g = lock(&self.inner);
        if g.1.contains_key(&user.email) {
            return Err(Error::Conflict {
                field: "email",
                reason: "is already registered".into(),
            });
        }
        g.1.insert(user.email.clone(), user.id);
        g.0.insert(user.id, user.clone());
        Ok(())
    }

    async fn get(&self, id: UserId) -> Result<Option<User>, Error> {
        Ok(lock(&self.inner).0.get(&id).cloned())
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, Error> {
        let g = lock(&self.inner);
        Ok(g.1.get(email).and_then(|id| g.0.get(id)).cloned())
    }

    async fn list(&self, after: Option<UserId>, limit: usize) -> Result<Page<User>, Error> {
        let g = lock(&self.inner);
        let lower = after.map_or(Bound::Unbounded, Bound::Excluded);
        let items: Vec<User> =
            g.0.range((lower, Bound::Unbounded))
                .take(limit + 1)
                .map(|(_, u)| u.clone())
                .collect();
        Ok(Page::from_overfetch(items, limit, |u| u.id.to_string()))
    }

    async fn set_role(&self, actor: UserId, id: UserId, role: Role) -> Result<User, Error> {
        let mut g = lock(&self.inner);
        let target = g.0.get(&id).ok_or(Error::NotFound("user"))?;
        check_role_change(g.0.get(&actor), target)?;
        let user = g.0.get_mut(&id).ok_or(Error::NotFound("user"))?;
        user.role = role;
        Ok(user.clone())
    }
}

/// Attempt counters in memory: (window start, window end, count) per key. Keys whose
/// window has closed are dropped as the map grows, so it stays bounded by the keys active
/// within one window.
#[derive(Default)]
pub struct MemoryThrottle {
    inner: Mutex<ThrottleInner>,
}

#[derive(Default)]
struct ThrottleInner {
    windows: HashMap<String, (Timestamp, Timestamp, u32)>,
    /// The size at which closed windows are swept next: twice what the last sweep left, so
    /// sweeping costs O(1) per attempt on average however many keys are open.
    sweep_at: usize,
}

const THROTTLE_MIN_SWEEP: usize = 4096;

#[async_trait]
impl Throttle for MemoryThrottle {
    async fn admit(
        &self,
        key: &str,
        limit: u32,
        window: SignedDuration,
        now: Timestamp,
    ) -> Result<Admission, Error> {
        let mut g = lock(&self.inner);
        if g.windows.len() >= g.sweep_at.max(THROTTLE_MIN_SWEEP) {
            g.windows.retain(|_, (_, end, _)| *end > now);
            g.sweep_at = g.windows.len() * 2;
        }
        let entry = g.windows.entry(key.to_owned()).or_insert((now, now, 0));
        if entry.1 <= now {
            *entry = (now, crate::availability::plus(now, window), 0);
        }
        if entry.2 >= limit {
            return Ok(Admission::Full {
                window_start: entry.0,
            });
        }
        entry.2 += 1;
        Ok(Admission::Counted(Attempt {
            key: key.to_owned(),
            window_start: entry.0,
        }))
    }

    async fn give_back(&self, attempt: &Attempt) -> Result<(), Error> {
        let mut g = lock(&self.inner);
        if let Some((start, _, count)) = g.windows.get_mut(&attempt.key)
            && *start == attempt.window_start
        {
            *count = count.saturating_sub(1);
        }
        Ok(())
    }
}

#[derive(Default)]
pub struct MemoryCatalog {
    inner: Mutex<BTreeMap<ServiceId, Service>>,
}

#[async_trait]
impl CatalogStore for MemoryCatalog {
    async fn insert(&self, service: &Service) -> Result<(), Error> {
        let mut g = lock(&self.inner);
        if g.contains_key(&service.id) {
            return Err(Error::Conflict {
                field: "id",
                reason: "already exists".into(),
            });
        }
        g.insert(service.id, service.clone());
        Ok(())
    }

    async fn get(&self, id: ServiceId) -> Result<Option<Service>, Error> {
        Ok(lock(&self.inner).get(&id).cloned())
    }

    async fn list(&self, include_inactive: bool) -> Result<Vec<Service>, Error> {
        Ok(lock(&self.inner)
            .values()
            .filter(|s| include_inactive || s.active)
            .cloned()
            .collect())
    }

    async fn replace(&self, current: &Service, next: &Service) -> Result<(), Error> {
        let mut g = lock(&self.inner);
        match g.get_mut(&current.id) {
            Some(stored) if stored == current => {
                *stored = next.clone();
                Ok(())
            }
            Some(_) => Err(Error::Conflict {
                field: "id",
                reason: "the service changed meanwhile; read it again and retry".into(),
            }),
            None => Err(Error::NotFound("service")),
        }
    }
}

#[derive(Default)]
pub struct MemorySettings {
    inner: Mutex<Option<Settings>>,
}

#[async_trait]
impl SettingsStore for MemorySettings {
    async fn get(&self) -> Result<Option<Settings>, Error> {
        Ok(lock(&self.inner).clone())
    }

    async fn put(&self, settings: &Settings) -> Result<(), Error> {
        *lock(&self.inner) = Some(settings.clone());
        Ok(())
    }
}

#[derive(Default)]
struct ReservationsInner {
    by_id: HashMap<ReservationId, Reservation>,
    /// Which reservations claim each (service, unit); whether a claim counts depends on
    /// the reservation's status and hold expiry at the time of asking.
    claims: HashMap<(ServiceId, Timestamp), Vec<ReservationId>>,
    keys: HashMap<(UserId, String), (ReservationId, String)>,
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

/// Reservations and slot claims in memory; one mutex makes each operation atomic, as the
/// DynamoDB adapter's transactions are.
#[derive(Default)]
pub struct MemoryReservations {
    inner: Mutex<ReservationsInner>,
}

#[async_trait]
impl ReservationStore for MemoryReservations {
    async fn claim_key(
        &self,
        customer: UserId,
        key: &str,
        fingerprint: &str,
        id: ReservationId,
    ) -> Result<(ReservationId, String), Error> {
        let mut g = lock(&self.inner);
        Ok(g.keys
            .entry((customer, key.to_owned()))
            .or_insert_with(|| (id, fingerprint.to_owned()))
            .clone())
    }

    async fn hold(
        &self,
        reservation: &Reservation,
        capacity: u32,
        limits: HoldLimits,
        now: Timestamp,
    ) -> Result<Held, Error> {
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
            match r.status {
                Status::PendingPayment if r.occupies(now) => holds += 1,
                Status::Confirmed if r.start > now => upcoming += 1,
                _ => {}
            }
        }
        if holds >= limits.max_active_holds {
            return Err(Error::LimitExceeded(format!(
                "at most {} bookings may be in payment at once",
                limits.max_active_holds
            )));
        }
        if upcoming >= limits.max_upcoming {
            return Err(Error::LimitExceeded(format!(
                "at most {} upcoming reservations per customer",
                limits.max_upcoming
            )));
        }
        let service = reservation.service_id;
        if reservation
            .units
            .iter()
            .any(|u| g.live_claims(service, *u, now) >= capacity)
        {
            return Err(Error::SlotUnavailable);
        }
        for unit in &reservation.units {
            let holders = g.claims.entry((service, *unit)).or_default();
            // Drop claims of reservations that no longer occupy the unit as we go.
            holders.push(reservation.id);
        }
        g.by_id.insert(reservation.id, reservation.clone());
        Ok(Held::Created(reservation.clone()))
    }

    async fn get(&self, id: ReservationId) -> Result<Option<Reservation>, Error> {
        Ok(lock(&self.inner).by_id.get(&id).cloned())
    }

    async fn confirm(
        &self,
        id: ReservationId,
        payment_reference: &str,
        now: Timestamp,
    ) -> Result<Reservation, Error> {
        let mut g = lock(&self.inner);
        let r = g.get_mut(id)?;
        if r.status == Status::Confirmed {
            return Ok(r.clone());
        }
        if r.status == Status::PendingPayment && now >= r.hold_expires_at {
            return Err(Error::HoldExpired);
        }
        r.transition(Status::Confirmed, now, Actor::System, "payment captured")?;
        r.payment_reference = Some(payment_reference.to_owned());
        Ok(r.clone())
    }

    async fn release(
        &self,
        id: ReservationId,
        failure: Option<Failure>,
        now: Timestamp,
    ) -> Result<Reservation, Error> {
        let mut g = lock(&self.inner);
        let r = g.get_mut(id)?;
        r.fail_for_release(failure, now)?;
        let r = r.clone();
        g.free_claims(&r);
        Ok(r)
    }

    async fn cancel(
        &self,
        id: ReservationId,
        refund_due_minor: i64,
        actor: Actor,
        reason: &str,
        now: Timestamp,
    ) -> Result<Reservation, Error> {
        let mut g = lock(&self.inner);
        let r = g.get_mut(id)?;
        r.transition(Status::Cancelled, now, actor, reason)?;
        r.refund_due_minor = Some(refund_due_minor);
        Ok(r.clone())
    }

    async fn record_visit(
        &self,
        id: ReservationId,
        outcome: Status,
        actor: Actor,
        now: Timestamp,
    ) -> Result<Reservation, Error> {
        let mut g = lock(&self.inner);
        let r = g.get_mut(id)?;
        r.record_visit(outcome, actor, now)?;
        Ok(r.clone())
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
            .filter(|r| filter.customer.is_none_or(|c| r.customer_id == c))
            .filter(|r| filter.status.is_none_or(|s| r.status == s))
            .filter(|r| filter.service.is_none_or(|s| r.service_id == s))
            .filter(|r| filter.from.is_none_or(|t| r.start >= t))
            .filter(|r| filter.to.is_none_or(|t| r.start < t))
            .filter(|r| after.is_none_or(|c| (r.start, r.id) > (c.start, c.id)))
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
    async fn claims(
        &self,
        service: ServiceId,
        from: Timestamp,
        to: Timestamp,
        now: Timestamp,
    ) -> Result<ClaimCounts, Error> {
        let g = lock(&self.inner);
        Ok(g.claims
            .keys()
            .filter(|(s, t)| *s == service && *t >= from && *t < to)
            .map(|(_, t)| (*t, g.live_claims(service, *t, now)))
            .filter(|(_, n)| *n > 0)
            .collect())
    }
}

/// The append-only ledger in memory.
#[derive(Default)]
pub struct MemoryLedger {
    inner: Mutex<Vec<LedgerEntry>>,
}

impl MemoryLedger {
    /// Every entry, oldest first (for tests and reports).
    pub fn all(&self) -> Vec<LedgerEntry> {
        lock(&self.inner).clone()
    }
}

#[async_trait]
impl PaymentLedger for MemoryLedger {
    async fn record(&self, entry: &LedgerEntry) -> Result<LedgerEntry, Error> {
        let mut g = lock(&self.inner);
        if let Some(e) = g
            .iter()
            .find(|e| e.reservation_id == entry.reservation_id && e.kind == entry.kind)
        {
            return Ok(e.clone());
        }
        g.push(entry.clone());
        Ok(entry.clone())
    }

    async fn entries(&self, reservation: ReservationId) -> Result<Vec<LedgerEntry>, Error> {
        Ok(lock(&self.inner)
            .iter()
            .filter(|e| e.reservation_id == reservation)
            .cloned()
            .collect())
    }

    async fn entries_of(&self, reservations: &[ReservationId]) -> Result<Vec<LedgerEntry>, Error> {
        let wanted: std::collections::HashSet<&ReservationId> = reservations.iter().collect();
        Ok(lock(&self.inner)
            .iter()
            .filter(|e| wanted.contains(&e.reservation_id))
            .cloned()
            .collect())
    }

    async fn between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<LedgerEntry>, Error> {
        Ok(lock(&self.inner)
            .iter()
            .filter(|e| e.at >= from && e.at < to)
            .cloned()
            .collect())
    }
}

/// A queue that keeps what was sent, for tests.
#[derive(Default)]
pub struct MemoryQueue {
    inner: Mutex<Vec<Notification>>,
}

impl MemoryQueue {
    pub fn sent(&self) -> Vec<Notification> {
        lock(&self.inner).clone()
    }
}

#[async_trait]
impl NotificationQueue for MemoryQueue {
    async fn send(&self, notification: &Notification) -> Result<(), Error> {
        lock(&self.inner).push(notification.clone());
        Ok(())
    }
}

/// One of each in-memory store, wired together: the embedded default's whole storage.
#[derive(Default, Clone)]
pub struct MemoryStores {
    pub users: Arc<MemoryUsers>,
    pub catalog: Arc<MemoryCatalog>,
    pub settings: Arc<MemorySettings>,
    pub reservations: Arc<MemoryReservations>,
    pub ledger: Arc<MemoryLedger>,
}

impl MemoryStores {
    /// The workflow tasks over these stores and the simulated payment gateway.
    pub fn booking(&self, clock: Arc<dyn Clock>, config: BookingConfig) -> Booking {
        Booking {
            reservations: self.reservations.clone(),
            ledger: self.ledger.clone(),
            gateway: Arc::new(SimulatedGateway::default()),
            services: self.catalog.clone(),
            settings: self.settings.clone(),
            users: self.users.clone(),
            clock,
            config,
        }
    }
}

/// A clock that stands still until moved; for tests.
pub struct FixedClock(Mutex<Timestamp>);

impl FixedClock {
    pub fn new(at: Timestamp) -> Self {
        FixedClock(Mutex::new(at))
    }

    pub fn advance(&self, by: jiff::SignedDuration) {
        let mut g = lock(&self.0);
        *g = crate::availability::plus(*g, by);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *lock(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::password::PasswordHash;

    fn user(email: &str) -> User {
        User {
            id: UserId::new(),
            email: Email::parse(email).unwrap(),
            name: "N".into(),
            role: Role::Customer,
            password_hash: PasswordHash::from_phc("x".into()),
            created_at: Timestamp::UNIX_EPOCH,
        }
    }

    #[tokio::test]
    async fn a_second_user_with_the_same_email_is_rejected() {
        let store = MemoryUsers::default();
        store.insert(&user("a@example.com")).await.unwrap();
        let err = store.insert(&user("a@example.com")).await.unwrap_err();
        assert!(matches!(err, Error::Conflict { field: "email", .. }));
    }

    #[tokio::test]
    async fn pages_follow_the_cursor_to_the_end() {
        let store = MemoryUsers::default();
        for i in 0..5 {
            store
                .insert(&user(&format!("u{i}@example.com")))
                .await
                .unwrap();
        }
        let p1 = store.list(None, 2).await.unwrap();
        assert_eq!(p1.items.len(), 2);
        let after = UserId::parse("cursor", p1.next.as_deref().unwrap()).unwrap();
        let p2 = store.list(Some(after), 2).await.unwrap();
        let after = UserId::parse("cursor", p2.next.as_deref().unwrap()).unwrap();
        let p3 = store.list(Some(after), 2).await.unwrap();
        assert_eq!(p3.items.len(), 1);
        assert_eq!(p3.next, None);
        let mut all: Vec<_> = [p1.items, p2.items, p3.items]
            .concat()
            .into_iter()
            .map(|u| u.id)
            .collect();
        all.dedup();
        assert_eq!(all.len(), 5);
    }
}
