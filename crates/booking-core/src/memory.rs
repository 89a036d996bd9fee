//! In-memory adapters for every port: the embedded default and the handler tests use them.
//! Each holds its state behind one mutex, which makes every operation atomic, as the
//! conditional writes of the DynamoDB adapters are.

use std::{
    collections::{BTreeMap, HashMap},
    ops::Bound,
    sync::{Mutex, MutexGuard},
};

use async_trait::async_trait;
use jiff::Timestamp;

use crate::{
    Error,
    catalog::Service,
    ids::{ServiceId, UserId},
    ports::{
        CatalogStore, ClaimCounts, ClaimReader, Clock, LoginAttempts, Page, SettingsStore,
        UserStore,
    },
    settings::Settings,
    user::{Email, Role, User},
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
        let mut items: Vec<User> =
            g.0.range((lower, Bound::Unbounded))
                .take(limit + 1)
                .map(|(_, u)| u.clone())
                .collect();
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|u| u.id.to_string())
        } else {
            None
        };
        Ok(Page { items, next })
    }

    async fn set_role(&self, id: UserId, role: Role) -> Result<Option<User>, Error> {
        let mut g = lock(&self.inner);
        Ok(g.0.get_mut(&id).map(|u| {
            u.role = role;
            u.clone()
        }))
    }
}

#[derive(Default)]
pub struct MemoryLoginAttempts {
    inner: Mutex<HashMap<Email, Vec<Timestamp>>>,
}

#[async_trait]
impl LoginAttempts for MemoryLoginAttempts {
    async fn failures_since(
        &self,
        email: &Email,
        since: Timestamp,
    ) -> Result<Vec<Timestamp>, Error> {
        let g = lock(&self.inner);
        Ok(g.get(email)
            .map(|v| v.iter().copied().filter(|t| *t > since).collect())
            .unwrap_or_default())
    }

    async fn record_failure(&self, email: &Email, at: Timestamp) -> Result<(), Error> {
        let mut g = lock(&self.inner);
        let list = g.entry(email.clone()).or_default();
        list.push(at);
        // Only the recent past matters; keep the list from growing without bound.
        if list.len() > 64 {
            list.drain(..list.len() - 64);
        }
        Ok(())
    }

    async fn clear(&self, email: &Email) -> Result<(), Error> {
        lock(&self.inner).remove(email);
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

/// Slot claims held in memory; the booking workflow adds to it.
#[derive(Default)]
pub struct MemoryClaims {
    inner: Mutex<BTreeMap<(ServiceId, Timestamp), u32>>,
}

impl MemoryClaims {
    /// Adds `n` claims on one unit (used by tests until the booking workflow lands).
    pub fn add(&self, service: ServiceId, unit: Timestamp, n: u32) {
        *lock(&self.inner).entry((service, unit)).or_default() += n;
    }
}

#[async_trait]
impl ClaimReader for MemoryClaims {
    async fn claims(
        &self,
        service: ServiceId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<ClaimCounts, Error> {
        let g = lock(&self.inner);
        Ok(g.range((service, from)..(service, to))
            .map(|((_, t), n)| (*t, *n))
            .collect())
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
