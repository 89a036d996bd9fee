//! Users and the throttle's attempt counters in memory.

use std::{
    collections::{BTreeMap, HashMap},
    ops::Bound,
    sync::Mutex,
};

use async_trait::async_trait;
use jiff::Timestamp;

use crate::{
    Error,
    ids::UserId,
    ports::{Admission, Attempt, Page, Quota, Throttle, UserStore},
    sync::lock,
    user::{Email, Role, User, check_role_change},
};

#[derive(Debug, Default)]
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
#[derive(Debug, Default)]
pub struct MemoryThrottle {
    inner: Mutex<ThrottleInner>,
}

#[derive(Debug, Default)]
struct ThrottleInner {
    windows: HashMap<String, (Timestamp, Timestamp, u32)>,
    /// The size at which closed windows are swept next: twice what the last sweep left, so
    /// sweeping costs O(1) per attempt on average however many keys are open.
    sweep_at: usize,
}

const THROTTLE_MIN_SWEEP: usize = 4096;

#[async_trait]
impl Throttle for MemoryThrottle {
    async fn admit(&self, key: &str, quota: Quota, now: Timestamp) -> Result<Admission, Error> {
        let mut g = lock(&self.inner);
        if g.windows.len() >= g.sweep_at.max(THROTTLE_MIN_SWEEP) {
            g.windows.retain(|_, (_, end, _)| *end > now);
            g.sweep_at = g.windows.len() * 2;
        }
        let entry = g.windows.entry(key.to_owned()).or_insert((now, now, 0));
        if entry.1 <= now {
            *entry = (now, crate::availability::plus(now, quota.window), 0);
        }
        if entry.2 >= quota.limit {
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
