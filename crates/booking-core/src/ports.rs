//! Ports: the narrow capabilities the use cases need from the outside world. Each has an
//! in-memory adapter in [`crate::memory`] and a DynamoDB one in booking-aws.

use std::{collections::BTreeMap, ops::Range};

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

use crate::{
    Error,
    catalog::Service,
    ids::{ReservationId, ServiceId, UserId},
    notify::Notification,
    payment::Payment,
    reservation::{Actor, Failure, Reservation, Status},
    settings::Settings,
    user::{Email, Role, User},
};

/// A page of results and the opaque cursor of the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// A page from up to `limit + 1` items in order: the extra one only tells that there is
    /// a next page, whose cursor `cursor` makes from the last item kept.
    pub fn from_overfetch(mut items: Vec<T>, limit: usize, cursor: impl Fn(&T) -> String) -> Self {
        let more = items.len() > limit;
        items.truncate(limit);
        let next = if more { items.last().map(cursor) } else { None };
        Page { items, next }
    }
}

impl ReservationCursor {
    /// Where a listing resumes after `r`.
    pub fn of(r: &Reservation) -> Self {
        ReservationCursor {
            start: r.start,
            id: r.id,
        }
    }

    /// The cursor that resumes after `r`, encoded.
    pub fn after(r: &Reservation) -> String {
        Self::of(r).encode()
    }
}

#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts a new user; [`Error::Conflict`] on `email` when the email is taken.
    async fn insert(&self, user: &User) -> Result<(), Error>;
    async fn get(&self, id: UserId) -> Result<Option<User>, Error>;
    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, Error>;
    /// Users in id (hence creation) order, starting after the cursor.
    async fn list(&self, after: Option<UserId>, limit: usize) -> Result<Page<User>, Error>;
    /// Gives user `id` a new role on behalf of `actor`, deciding with
    /// [`crate::user::check_role_change`] on both users as stored, in the same atomic step
    /// as the write: an actor demoted meanwhile changes nothing.
    async fn set_role(&self, actor: UserId, id: UserId, role: Role) -> Result<User, Error>;
}

/// What [`Throttle::admit`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// The attempt is counted in the window that opened at `window_start`.
    Counted(Attempt),
    /// The window that opened at `window_start` already holds `limit` attempts.
    Full { window_start: Timestamp },
}

/// One counted attempt, which [`Throttle::give_back`] can take back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub key: String,
    pub window_start: Timestamp,
}

/// How many attempts a key may make in one window, and how long a window lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: u32,
    pub window: SignedDuration,
}

/// Attempts per key in fixed windows: failed logins per (email, address) and per email,
/// registrations per address. The rules (keys, limits, windows) are
/// [`crate::accounts`]'s; a store only counts, atomically.
#[async_trait]
pub trait Throttle: Send + Sync {
    /// Counts one attempt under `key`, in one atomic step. A window opens at the first
    /// attempt after the previous one closed and lasts `quota.window`; while it is open it
    /// takes at most `quota.limit` attempts and refuses the rest with [`Admission::Full`].
    async fn admit(&self, key: &str, quota: Quota, now: Timestamp) -> Result<Admission, Error>;
    /// Takes one attempt back from the window it was counted in, if that window is still
    /// the key's current one (a later window owes it nothing).
    async fn give_back(&self, attempt: &Attempt) -> Result<(), Error>;
}

#[async_trait]
pub trait CatalogStore: Send + Sync {
    async fn insert(&self, service: &Service) -> Result<(), Error>;
    async fn get(&self, id: ServiceId) -> Result<Option<Service>, Error>;
    /// Services in id order; inactive ones only when asked for.
    async fn list(&self, include_inactive: bool) -> Result<Vec<Service>, Error>;
    /// Replaces `current` with `next`; [`Error::Conflict`] if it changed in between.
    async fn replace(&self, current: &Service, next: &Service) -> Result<(), Error>;
}

#[async_trait]
pub trait SettingsStore: Send + Sync {
    async fn get(&self) -> Result<Option<Settings>, Error>;
    async fn put(&self, settings: &Settings) -> Result<(), Error>;

    /// The settings in force: the stored ones, or the defaults until an admin saves some.
    async fn current(&self) -> Result<Settings, Error> {
        Ok(self.get().await?.unwrap_or_default())
    }
}

/// Places taken per claim unit, keyed by the unit's start instant (5-minute buckets of
/// absolute time: [`crate::availability::units`]).
pub type ClaimCounts = BTreeMap<Timestamp, u32>;

/// Which claims [`ClaimReader::claims`] counts: those on `service`'s units that start in
/// `units` (from inclusive, to exclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimQuery {
    pub service: ServiceId,
    pub units: Range<Timestamp>,
}

/// Read side of slot claims; the booking workflow writes them through [`ReservationStore`].
#[async_trait]
pub trait ClaimReader: Send + Sync {
    /// The claims `query` asks for that count at `now` (confirmed reservations and
    /// unexpired holds).
    async fn claims(&self, query: &ClaimQuery, now: Timestamp) -> Result<ClaimCounts, Error>;
}

/// Per-customer limits enforced atomically with a hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoldLimits {
    /// Unexpired PENDING_PAYMENT holds at once.
    pub max_active_holds: usize,
    /// CONFIRMED reservations that have not started yet.
    pub max_upcoming: usize,
}

/// What a hold found: a new reservation, or the one already stored under that id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    Created(Reservation),
    Existing(Reservation),
}

/// An Idempotency-Key's binding: the reservation it books and the fingerprint of the
/// request it was first used with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBinding {
    pub id: ReservationId,
    pub fingerprint: String,
}

/// A cancellation of a CONFIRMED reservation: the refund the policy grants, who cancels and
/// why (the reason goes into the history).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancellation<'a> {
    pub refund_due_minor: i64,
    pub actor: Actor,
    pub reason: &'a str,
}

/// The outcome of a visit (COMPLETED or NO_SHOW) and who records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visit {
    pub outcome: Status,
    pub actor: Actor,
}

/// Which reservations to list; all filters combine, `from`/`to` bound the start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReservationFilter {
    pub customer: Option<UserId>,
    pub status: Option<Status>,
    pub service: Option<ServiceId>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

impl ReservationFilter {
    /// Whether a listing by this filter, resumed `after` a cursor, returns `r`: the exact
    /// rule both stores page by (DynamoDB's key conditions and filters select a superset on
    /// whole milliseconds, and this trims it).
    pub fn selects(&self, r: &Reservation, after: Option<ReservationCursor>) -> bool {
        self.customer.is_none_or(|c| r.customer_id == c)
            && self.status.is_none_or(|s| r.status == s)
            && self.service.is_none_or(|s| r.service_id == s)
            && self.from.is_none_or(|t| r.start >= t)
            && self.to.is_none_or(|t| r.start < t)
            && after.is_none_or(|c| (r.start, r.id) > (c.start, c.id))
    }
}

/// Where a reservation listing resumes: after this (start, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReservationCursor {
    pub start: Timestamp,
    pub id: ReservationId,
}

impl ReservationCursor {
    pub fn encode(&self) -> String {
        format!("{}_{}", self.start.as_millisecond(), self.id)
    }

    pub fn decode(s: &str) -> Option<Self> {
        let (ms, id) = s.split_once('_')?;
        Some(ReservationCursor {
            start: Timestamp::from_millisecond(ms.parse().ok()?).ok()?,
            id: ReservationId::parse("cursor", id).ok()?,
        })
    }
}

/// Reservations and their slot claims. Every method is atomic; none is check-then-insert.
#[async_trait]
pub trait ReservationStore: Send + Sync {
    /// Binds a customer's Idempotency-Key to `binding`, first writer wins; returns the
    /// binding that stands (an earlier one, if any).
    async fn claim_key(
        &self,
        customer: UserId,
        key: &str,
        binding: &KeyBinding,
    ) -> Result<KeyBinding, Error>;
    /// Creates `reservation` (PENDING_PAYMENT) and claims every one of its units, all or
    /// nothing: [`Error::SlotUnavailable`] when a unit already has `capacity` live claims,
    /// [`Error::LimitExceeded`] past `limits`. An existing id returns [`Held::Existing`].
    /// Claims and holds count as they stand when the reservation is made (`created_at`).
    async fn hold(
        &self,
        reservation: &Reservation,
        capacity: u32,
        limits: HoldLimits,
    ) -> Result<Held, Error>;
    async fn get(&self, id: ReservationId) -> Result<Option<Reservation>, Error>;
    /// PENDING_PAYMENT -> CONFIRMED while the hold is live ([`Error::HoldExpired`] after)
    /// and the payment is authorised or due at the venue ([`Reservation::confirm`]); a
    /// CONFIRMED reservation is returned unchanged.
    async fn confirm(&self, id: ReservationId, now: Timestamp) -> Result<Reservation, Error>;
    /// CONFIRMED -> FAILED by the system when its capture failed for good, freeing the
    /// claims ([`Reservation::revoke`]); a FAILED reservation is returned unchanged.
    async fn revoke(
        &self,
        id: ReservationId,
        failure: Failure,
        now: Timestamp,
    ) -> Result<Reservation, Error>;
    /// Moves the reservation's payment forward ([`Reservation::record_payment`]): the same
    /// or an earlier step changes nothing; another authorisation than the recorded one is
    /// an [`Error::Conflict`]. Returns the reservation as stored.
    async fn record_payment(
        &self,
        id: ReservationId,
        payment: &Payment,
    ) -> Result<Reservation, Error>;
    /// Frees the claims; a PENDING_PAYMENT reservation becomes FAILED with `failure`.
    /// Idempotent; refused for CONFIRMED ones (cancel them instead).
    async fn release(
        &self,
        id: ReservationId,
        failure: Option<Failure>,
        now: Timestamp,
    ) -> Result<Reservation, Error>;
    /// CONFIRMED -> CANCELLED with the refund the policy grants.
    async fn cancel(
        &self,
        id: ReservationId,
        cancellation: Cancellation<'_>,
        now: Timestamp,
    ) -> Result<Reservation, Error>;
    /// CONFIRMED -> COMPLETED or NO_SHOW after the start, by
    /// [`Reservation::record_visit`]'s rules; the same outcome again returns it unchanged.
    async fn record_visit(
        &self,
        id: ReservationId,
        visit: Visit,
        now: Timestamp,
    ) -> Result<Reservation, Error>;
    /// Reservations ordered by (start, id), after the cursor.
    async fn list(
        &self,
        filter: &ReservationFilter,
        after: Option<ReservationCursor>,
        limit: usize,
    ) -> Result<Page<Reservation>, Error>;
}

/// Where the workflow puts notifications (SQS in production).
#[async_trait]
pub trait NotificationQueue: Send + Sync {
    async fn send(&self, notification: &Notification) -> Result<(), Error>;
}

/// The current instant, injected so rules that depend on "now" are testable.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}
