//! Ports: the narrow capabilities the use cases need from the outside world. Each has an
//! in-memory adapter in [`crate::memory`] and, with the AWS issue, a DynamoDB one.

use std::collections::BTreeMap;

use async_trait::async_trait;
use jiff::Timestamp;

use crate::{
    Error,
    catalog::Service,
    ids::{ServiceId, UserId},
    settings::Settings,
    user::{Email, Role, User},
};

/// A page of results and the opaque cursor of the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts a new user; [`Error::Conflict`] on `email` when the email is taken.
    async fn insert(&self, user: &User) -> Result<(), Error>;
    async fn get(&self, id: UserId) -> Result<Option<User>, Error>;
    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, Error>;
    /// Users in id (hence creation) order, starting after the cursor.
    async fn list(&self, after: Option<UserId>, limit: usize) -> Result<Page<User>, Error>;
    /// Changes a user's role; `None` when there is no such user.
    async fn set_role(&self, id: UserId, role: Role) -> Result<Option<User>, Error>;
}

/// Failed logins per email, for the brute-force limit.
#[async_trait]
pub trait LoginAttempts: Send + Sync {
    /// Failures recorded for this email strictly after `since`, oldest first.
    async fn failures_since(
        &self,
        email: &Email,
        since: Timestamp,
    ) -> Result<Vec<Timestamp>, Error>;
    async fn record_failure(&self, email: &Email, at: Timestamp) -> Result<(), Error>;
    async fn clear(&self, email: &Email) -> Result<(), Error>;
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
}

/// Places taken per slot unit (keyed by the unit's start instant).
pub type ClaimCounts = BTreeMap<Timestamp, u32>;

/// Read side of slot claims; the booking workflow writes them.
#[async_trait]
pub trait ClaimReader: Send + Sync {
    /// Live claims of a service on units starting in `[from, to)`.
    async fn claims(
        &self,
        service: ServiceId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<ClaimCounts, Error>;
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
