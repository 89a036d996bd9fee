//! Accounts: registration, login with brute-force limits, and role management.
//!
//! The limits count attempts as they arrive, before any hashing, through the [`Throttle`]
//! port, so a burst cannot run more guesses than the limit allows whatever its timing:
//! failed logins per (email, client address) and per email across all addresses, and
//! registrations per client address.

use std::net::IpAddr;

use jiff::{SignedDuration, Timestamp};

use crate::{
    Error,
    error::Problems,
    hashing::HashPool,
    ids::UserId,
    password::{self, Memory, Password, PasswordHash, Secret},
    ports::{Admission, Attempt, Clock, Page, Quota, Throttle, UserStore},
    user::{Email, Role, User, parse_name},
};

/// Failed logins allowed per (email, client address) within [`LOGIN_WINDOW`].
pub const MAX_FAILURES_PER_ADDRESS: u32 = 5;
/// Failed logins allowed per email from all addresses together within [`LOGIN_WINDOW`]:
/// a guess spread over many addresses.
pub const MAX_FAILURES_PER_EMAIL: u32 = 50;
pub const LOGIN_WINDOW: SignedDuration = SignedDuration::from_mins(15);
/// Failed logins per (email, client address).
const PER_ADDRESS: Quota = Quota {
    limit: MAX_FAILURES_PER_ADDRESS,
    window: LOGIN_WINDOW,
};
/// Failed logins per email.
const PER_EMAIL: Quota = Quota {
    limit: MAX_FAILURES_PER_EMAIL,
    window: LOGIN_WINDOW,
};
/// Registrations are counted per client address in windows of this length.
pub const REGISTRATION_WINDOW: SignedDuration = SignedDuration::from_hours(1);

/// Account settings read once per process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountsConfig {
    /// Registrations one client address may make per [`REGISTRATION_WINDOW`].
    pub registrations_per_hour: u32,
}

impl Default for AccountsConfig {
    fn default() -> Self {
        AccountsConfig {
            registrations_per_hour: 20,
        }
    }
}

impl AccountsConfig {
    /// Reads `BOOKING_REGISTRATIONS_PER_HOUR` (1..=1000000, default 20) through `var`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        const NAME: &str = "BOOKING_REGISTRATIONS_PER_HOUR";
        let registrations_per_hour = match var(NAME) {
            None => AccountsConfig::default().registrations_per_hour,
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=1_000_000).contains(n))
                .ok_or_else(|| format!("{NAME} must be a whole number in 1..=1000000"))?,
        };
        Ok(AccountsConfig {
            registrations_per_hour,
        })
    }
}

/// A new account as a client asks for it, before it is checked.
#[derive(Debug)]
pub struct Registration {
    pub email: String,
    pub password: Secret,
    pub name: String,
}

/// An email and password to log in with.
#[derive(Debug)]
pub struct Credentials {
    pub email: String,
    pub password: Secret,
}

/// The account use cases, over the ports they need.
pub struct Accounts<'a> {
    pub users: &'a dyn UserStore,
    pub throttle: &'a dyn Throttle,
    pub hashing: &'a HashPool,
    pub clock: &'a dyn Clock,
    pub config: AccountsConfig,
}

debug_by_name!(Accounts<'_>);

impl Accounts<'_> {
    /// Creates a customer account for a request from `client`, which may register
    /// [`AccountsConfig::registrations_per_hour`] times per hour.
    pub async fn register(&self, reg: Registration, client: IpAddr) -> Result<User, Error> {
        let (email, name, password) = validate(&reg)?;
        let quota = Quota {
            limit: self.config.registrations_per_hour,
            window: REGISTRATION_WINDOW,
        };
        let attempt = self
            .admit(format!("register#{}", client.to_canonical()), quota)
            .await?;
        let created = self.create(email, name, password, Role::Customer).await;
        if matches!(created, Err(Error::Busy { .. })) {
            // Shed before any work: it was not a registration.
            self.throttle.give_back(&attempt).await?;
        }
        created
    }

    /// Creates an account with `role`, unthrottled: for start-up seeding and operator
    /// tools, never for a request.
    pub async fn create_account(&self, reg: Registration, role: Role) -> Result<User, Error> {
        let (email, name, password) = validate(&reg)?;
        self.create(email, name, password, role).await
    }

    /// The duplicate check comes before the (expensive) hash; the store's unique-email
    /// write settles races.
    async fn create(
        &self,
        email: Email,
        name: String,
        password: Password,
        role: Role,
    ) -> Result<User, Error> {
        if self.users.find_by_email(&email).await?.is_some() {
            return Err(email_taken());
        }
        let password_hash = self
            .hashing
            .run(move |memory| password::hash(&password, memory))
            .await??;
        let user = User {
            id: UserId::new(),
            email,
            name,
            role,
            password_hash,
            created_at: self.clock.now(),
        };
        self.users.insert(&user).await?;
        Ok(user)
    }

    /// Checks credentials from `client`. The attempt is counted for (email, client) and for
    /// the email before it waits for a hashing slot; a success gives back its own attempt
    /// and nothing else. Unknown emails and wrong passwords fail alike and cost the same
    /// argon2 verification.
    pub async fn login(&self, creds: Credentials, client: IpAddr) -> Result<User, Error> {
        let email = Email::parse(&creds.email)?;
        if creds.password.expose().is_empty() {
            return Err(Error::invalid("password", "is required"));
        }
        if creds.password.expose().len() > 1024 {
            return Err(Error::InvalidCredentials);
        }
        let pair = self
            .admit(
                format!("login#{email}#{}", client.to_canonical()),
                PER_ADDRESS,
            )
            .await?;
        let whole = match self.admit(format!("login#{email}"), PER_EMAIL).await {
            Ok(a) => a,
            Err(e) => {
                self.throttle.give_back(&pair).await?;
                return Err(e);
            }
        };
        let outcome = self
            .check_password(&email, creds.password.into_inner())
            .await;
        if !matches!(outcome, Err(Error::InvalidCredentials)) {
            // A success, or a request shed or failed before its password was judged.
            self.throttle.give_back(&pair).await?;
            self.throttle.give_back(&whole).await?;
        }
        outcome
    }

    async fn check_password(&self, email: &Email, candidate: String) -> Result<User, Error> {
        let user = self.users.find_by_email(email).await?;
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        let ok = self
            .hashing
            .run(move |memory| verify(&candidate, stored.as_ref(), memory))
            .await?;
        match user {
            Some(user) if ok => Ok(user),
            _ => Err(Error::InvalidCredentials),
        }
    }

    /// Counts one attempt under `key`; a full window is a 429 until it closes.
    async fn admit(&self, key: String, quota: Quota) -> Result<Attempt, Error> {
        let now = self.clock.now();
        match self.throttle.admit(&key, quota, now).await? {
            Admission::Counted(attempt) => Ok(attempt),
            Admission::Full { window_start } => Err(Error::TooManyAttempts {
                retry_after_secs: retry_after(window_start, quota.window, now),
            }),
        }
    }

    pub async fn get(&self, id: UserId) -> Result<User, Error> {
        self.users.get(id).await?.ok_or(Error::NotFound("user"))
    }

    pub async fn list(&self, after: Option<UserId>, limit: usize) -> Result<Page<User>, Error> {
        self.users.list(after, limit).await
    }

    /// Changes a user's role on behalf of `actor`; the store applies
    /// [`crate::user::check_role_change`] atomically with the write.
    pub async fn set_role(&self, actor: UserId, id: UserId, role: Role) -> Result<User, Error> {
        self.users.set_role(actor, id, role).await
    }
}

/// Whole seconds until a window that opened at `start` closes, at least 1.
fn retry_after(start: Timestamp, window: SignedDuration, now: Timestamp) -> u64 {
    let left = crate::availability::plus(start, window).duration_since(now);
    let secs = left.as_secs() + i64::from(left.subsec_nanos() > 0);
    u64::try_from(secs.max(1)).unwrap_or(1)
}

fn validate(reg: &Registration) -> Result<(Email, String, Password), Error> {
    let mut p = Problems::default();
    let email = p.check(Email::parse(&reg.email));
    let name = p.check(parse_name("name", &reg.name));
    let password = email
        .as_ref()
        .and_then(|e| p.check(Password::parse(reg.password.expose(), e)));
    p.into_result()?;
    match (email, name, password) {
        (Some(email), Some(name), Some(password)) => Ok((email, name, password)),
        _ => Err(Error::invalid("email", "is invalid")),
    }
}

fn email_taken() -> Error {
    Error::Conflict {
        field: "email",
        reason: "is already registered".into(),
    }
}

/// A verification against the stored hash, or against a dummy one for unknown emails, so
/// that the time taken does not tell which emails are registered.
fn verify(candidate: &str, stored: Option<&PasswordHash>, memory: &mut Memory) -> bool {
    match stored {
        Some(hash) => password::verify(candidate, hash, memory),
        None => {
            password::verify_dummy(candidate, memory);
            false
        }
    }
}

#[cfg(test)]
mod tests;
