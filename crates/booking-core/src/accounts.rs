//! Accounts: registration, login with a brute-force limit, and role management (the PoC's
//! `Usuario` and `Login`).

use jiff::SignedDuration;
use serde::Deserialize;

use crate::{
    Error,
    error::Problems,
    ids::UserId,
    password::{self, Password, PasswordHash},
    ports::{Clock, LoginAttempts, Page, UserStore},
    user::{Email, Role, User, parse_name},
};

/// Failures allowed per email within [`LOCKOUT_WINDOW`] before logins are refused.
pub const MAX_FAILURES: usize = 5;
pub const LOCKOUT_WINDOW: SignedDuration = SignedDuration::from_mins(15);

/// The body of `POST /api/auth/register`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    pub email: String,
    pub password: String,
    pub name: String,
}

/// The body of `POST /api/auth/login`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// The account use cases, over the ports they need.
pub struct Accounts<'a> {
    pub users: &'a dyn UserStore,
    pub attempts: &'a dyn LoginAttempts,
    pub clock: &'a dyn Clock,
}

impl Accounts<'_> {
    /// Creates a customer account. Validation and the duplicate check come before the
    /// (expensive) hash; the store's unique-email write settles races.
    pub async fn register(&self, reg: Registration) -> Result<User, Error> {
        let mut p = Problems::default();
        let email = p.check(Email::parse(&reg.email));
        let name = p.check(parse_name("name", &reg.name));
        let password = email
            .as_ref()
            .and_then(|e| p.check(Password::parse(&reg.password, e)));
        p.into_result()?;
        let (Some(email), Some(name), Some(password)) = (email, name, password) else {
            return Err(Error::invalid("email", "is invalid"));
        };
        if self.users.find_by_email(&email).await?.is_some() {
            return Err(email_taken());
        }
        let password_hash = hash_off_thread(password).await?;
        let user = User {
            id: UserId::new(),
            email,
            name,
            role: Role::Customer,
            password_hash,
            created_at: self.clock.now(),
        };
        self.users.insert(&user).await?;
        Ok(user)
    }

    /// Checks credentials. Unknown emails and wrong passwords fail alike and cost the same
    /// argon2 verification; after [`MAX_FAILURES`] failures in [`LOCKOUT_WINDOW`] the email
    /// is refused until the oldest of them ages out.
    pub async fn login(&self, creds: Credentials) -> Result<User, Error> {
        let email = Email::parse(&creds.email)?;
        if creds.password.is_empty() {
            return Err(Error::invalid("password", "is required"));
        }
        if creds.password.len() > 1024 {
            return Err(Error::InvalidCredentials);
        }
        let now = self.clock.now();
        let failures = self
            .attempts
            .failures_since(&email, now - LOCKOUT_WINDOW)
            .await?;
        if failures.len() >= MAX_FAILURES {
            let frees_at = failures[failures.len() - MAX_FAILURES] + LOCKOUT_WINDOW;
            let secs = (frees_at - now).as_secs().max(1);
            return Err(Error::TooManyAttempts {
                retry_after_secs: secs.unsigned_abs(),
            });
        }
        let user = self.users.find_by_email(&email).await?;
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        let ok = verify_off_thread(creds.password, stored).await?;
        match user {
            Some(user) if ok => {
                self.attempts.clear(&email).await?;
                Ok(user)
            }
            _ => {
                self.attempts.record_failure(&email, now).await?;
                Err(Error::InvalidCredentials)
            }
        }
    }

    pub async fn get(&self, id: UserId) -> Result<User, Error> {
        self.users.get(id).await?.ok_or(Error::NotFound("user"))
    }

    pub async fn list(&self, after: Option<UserId>, limit: usize) -> Result<Page<User>, Error> {
        self.users.list(after, limit).await
    }

    /// Changes a user's role. Admins cannot change their own, so the last admin cannot
    /// lock everyone out by accident.
    pub async fn set_role(&self, actor: UserId, id: UserId, role: Role) -> Result<User, Error> {
        if actor == id {
            return Err(Error::Conflict {
                field: "id",
                reason: "you cannot change your own role".into(),
            });
        }
        self.users
            .set_role(id, role)
            .await?
            .ok_or(Error::NotFound("user"))
    }
}

fn email_taken() -> Error {
    Error::Conflict {
        field: "email",
        reason: "is already registered".into(),
    }
}

/// Runs argon2 on the blocking pool so one login does not stall other requests.
pub async fn hash_off_thread(password: Password) -> Result<PasswordHash, Error> {
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|e| Error::Store(Box::new(e)))?
}

async fn verify_off_thread(candidate: String, stored: Option<PasswordHash>) -> Result<bool, Error> {
    tokio::task::spawn_blocking(move || match stored {
        Some(hash) => password::verify(&candidate, &hash),
        None => {
            password::verify_dummy(&candidate);
            false
        }
    })
    .await
    .map_err(|e| Error::Store(Box::new(e)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::{FixedClock, MemoryLoginAttempts, MemoryUsers};

    struct World {
        users: MemoryUsers,
        attempts: MemoryLoginAttempts,
        clock: FixedClock,
    }

    impl World {
        fn new() -> Self {
            World {
                users: MemoryUsers::default(),
                attempts: MemoryLoginAttempts::default(),
                clock: FixedClock::new("2026-11-28T10:00:00Z".parse().unwrap()),
            }
        }
        fn accounts(&self) -> Accounts<'_> {
            Accounts {
                users: &self.users,
                attempts: &self.attempts,
                clock: &self.clock,
            }
        }
    }

    fn reg(email: &str) -> Registration {
        Registration {
            email: email.into(),
            password: "a long passphrase".into(),
            name: "Ana".into(),
        }
    }

    fn creds(email: &str, password: &str) -> Credentials {
        Credentials {
            email: email.into(),
            password: password.into(),
        }
    }

    #[tokio::test]
    async fn a_registered_customer_can_log_in_with_any_email_case() {
        let w = World::new();
        let user = w.accounts().register(reg("Ana@Example.com")).await.unwrap();
        assert_eq!(user.role, Role::Customer);
        let again = w
            .accounts()
            .login(creds("ANA@example.COM", "a long passphrase"))
            .await
            .unwrap();
        assert_eq!(again.id, user.id);
    }

    #[tokio::test]
    async fn a_duplicate_email_is_a_conflict() {
        let w = World::new();
        w.accounts().register(reg("ana@example.com")).await.unwrap();
        let err = w
            .accounts()
            .register(reg("ANA@example.com"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Conflict { field: "email", .. }));
    }

    #[tokio::test]
    async fn unknown_email_and_wrong_password_fail_alike() {
        let w = World::new();
        w.accounts().register(reg("ana@example.com")).await.unwrap();
        let wrong = w
            .accounts()
            .login(creds("ana@example.com", "not the one!"))
            .await
            .unwrap_err();
        let unknown = w
            .accounts()
            .login(creds("bob@example.com", "not the one!"))
            .await
            .unwrap_err();
        assert!(matches!(wrong, Error::InvalidCredentials));
        assert!(matches!(unknown, Error::InvalidCredentials));
    }

    #[tokio::test]
    async fn five_failures_lock_the_email_until_the_oldest_ages_out() {
        // Given five failures one minute apart
        let w = World::new();
        w.accounts().register(reg("ana@example.com")).await.unwrap();
        for _ in 0..5 {
            let _ = w
                .accounts()
                .login(creds("ana@example.com", "wrong password"))
                .await;
            w.clock.advance(SignedDuration::from_mins(1));
        }
        // When the right password is tried
        let err = w
            .accounts()
            .login(creds("ana@example.com", "a long passphrase"))
            .await
            .unwrap_err();
        // Then it is refused, retry after the first failure leaves the 15-minute window
        match err {
            Error::TooManyAttempts { retry_after_secs } => assert_eq!(retry_after_secs, 10 * 60),
            other => panic!("expected TooManyAttempts, got {other:?}"),
        }
        // And once that happens the right password works again
        w.clock.advance(SignedDuration::from_mins(10));
        assert!(
            w.accounts()
                .login(creds("ana@example.com", "a long passphrase"))
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn an_admin_cannot_change_their_own_role() {
        let w = World::new();
        let u = w.accounts().register(reg("ana@example.com")).await.unwrap();
        assert!(
            w.accounts()
                .set_role(u.id, u.id, Role::Admin)
                .await
                .is_err()
        );
        let other = UserId::new();
        assert!(
            matches!(w.accounts().set_role(other, u.id, Role::Staff).await, Ok(u) if u.role == Role::Staff)
        );
    }
}
