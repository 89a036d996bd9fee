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
    password::{self, Memory, Password, PasswordHash},
    ports::{Admission, Attempt, Clock, Page, Throttle, UserStore},
    user::{Email, Role, User, parse_name},
};

/// Failed logins allowed per (email, client address) within [`LOGIN_WINDOW`].
pub const MAX_FAILURES_PER_ADDRESS: u32 = 5;
/// Failed logins allowed per email from all addresses together within [`LOGIN_WINDOW`]:
/// a guess spread over many addresses.
pub const MAX_FAILURES_PER_EMAIL: u32 = 50;
pub const LOGIN_WINDOW: SignedDuration = SignedDuration::from_mins(15);
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
pub struct Registration {
    pub email: String,
    pub password: String,
    pub name: String,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("name", &self.name)
            .finish()
    }
}

/// An email and password to log in with.
pub struct Credentials {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .finish()
    }
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
        let attempt = self
            .admit(
                format!("register#{}", client.to_canonical()),
                self.config.registrations_per_hour,
                REGISTRATION_WINDOW,
            )
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
        if creds.password.is_empty() {
            return Err(Error::invalid("password", "is required"));
        }
        if creds.password.len() > 1024 {
            return Err(Error::InvalidCredentials);
        }
        let pair = self
            .admit(
                format!("login#{email}#{}", client.to_canonical()),
                MAX_FAILURES_PER_ADDRESS,
                LOGIN_WINDOW,
            )
            .await?;
        let whole = match self
            .admit(
                format!("login#{email}"),
                MAX_FAILURES_PER_EMAIL,
                LOGIN_WINDOW,
            )
            .await
        {
            Ok(a) => a,
            Err(e) => {
                self.throttle.give_back(&pair).await?;
                return Err(e);
            }
        };
        let outcome = self.check_password(&email, creds.password).await;
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
    async fn admit(
        &self,
        key: String,
        limit: u32,
        window: SignedDuration,
    ) -> Result<Attempt, Error> {
        let now = self.clock.now();
        match self.throttle.admit(&key, limit, window, now).await? {
            Admission::Counted(attempt) => Ok(attempt),
            Admission::Full { window_start } => Err(Error::TooManyAttempts {
                retry_after_secs: retry_after(window_start, window, now),
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
        .and_then(|e| p.check(Password::parse(&reg.password, e)));
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
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::memory::{FixedClock, MemoryThrottle, MemoryUsers};

    struct World {
        users: MemoryUsers,
        throttle: MemoryThrottle,
        hashing: HashPool,
        clock: FixedClock,
    }

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const AWAY: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 7));

    impl World {
        fn new() -> Self {
            World {
                users: MemoryUsers::default(),
                throttle: MemoryThrottle::default(),
                hashing: HashPool::new(2, std::time::Duration::from_secs(30)),
                clock: FixedClock::new("2026-11-28T10:00:00Z".parse().unwrap()),
            }
        }
        fn accounts(&self) -> Accounts<'_> {
            Accounts {
                users: &self.users,
                throttle: &self.throttle,
                hashing: &self.hashing,
                clock: &self.clock,
                config: AccountsConfig::default(),
            }
        }
        /// A world where Ana has registered.
        async fn with_ana() -> Self {
            let w = World::new();
            w.register_ana().await;
            w
        }
        /// `n` wrong passwords from `from`, whatever they are answered.
        async fn fail(&self, n: usize, from: IpAddr) {
            for _ in 0..n {
                let _ = self.login("wrong password", from).await;
            }
        }
        async fn register_ana(&self) -> User {
            self.register("ana@example.com", HOME).await.unwrap()
        }
        async fn register(&self, email: &str, from: IpAddr) -> Result<User, Error> {
            self.accounts().register(reg(email), from).await
        }
        async fn login(&self, password: &str, from: IpAddr) -> Result<User, Error> {
            self.accounts()
                .login(creds("ana@example.com", password), from)
                .await
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

    fn retry_after(r: Result<User, Error>) -> u64 {
        match r {
            Err(Error::TooManyAttempts { retry_after_secs }) => retry_after_secs,
            other => panic!("expected TooManyAttempts, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_registered_customer_can_log_in_with_any_email_case() {
        let w = World::new();
        let user = w.register("Ana@Example.com", HOME).await.unwrap();
        assert_eq!(user.role, Role::Customer);
        let again = w
            .accounts()
            .login(creds("ANA@example.COM", "a long passphrase"), HOME)
            .await
            .unwrap();
        assert_eq!(again.id, user.id);
    }

    #[tokio::test]
    async fn a_duplicate_email_is_a_conflict() {
        let w = World::with_ana().await;
        let err = w.register("ANA@example.com", HOME).await.unwrap_err();
        assert!(matches!(err, Error::Conflict { field: "email", .. }));
    }

    #[tokio::test]
    async fn unknown_email_and_wrong_password_fail_alike() {
        let w = World::with_ana().await;
        let wrong = w.login("not the one!", HOME).await.unwrap_err();
        let unknown = w
            .accounts()
            .login(creds("bob@example.com", "not the one!"), HOME)
            .await
            .unwrap_err();
        assert!(matches!(wrong, Error::InvalidCredentials));
        assert!(matches!(unknown, Error::InvalidCredentials));
    }

    #[tokio::test]
    async fn five_failures_lock_the_address_until_the_window_closes() {
        // Given five failures from one address, one minute apart
        let w = World::with_ana().await;
        for _ in 0..5 {
            let _ = w.login("wrong password", HOME).await;
            w.clock.advance(SignedDuration::from_mins(1));
        }
        // When the right password is tried from that address
        // Then it is refused until 15 minutes after the first failure
        assert_eq!(retry_after(w.login("a long passphrase", HOME).await), 600);
        // And once that window closes the right password works again
        w.clock.advance(SignedDuration::from_mins(10));
        assert!(w.login("a long passphrase", HOME).await.is_ok());
    }

    #[tokio::test]
    async fn failures_from_one_address_do_not_lock_the_owner_out_elsewhere() {
        // Given five wrong passwords from one address
        let w = World::with_ana().await;
        w.fail(5, AWAY).await;
        assert!(retry_after(w.login("a long passphrase", AWAY).await) > 0);
        // Then the owner still signs in from another address
        assert!(w.login("a long passphrase", HOME).await.is_ok());
    }

    #[tokio::test]
    async fn fifty_failures_across_addresses_lock_the_email_everywhere() {
        // Given 50 wrong passwords for one email from 50 addresses
        let w = World::with_ana().await;
        for i in 0..50u32 {
            let from = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            let err = w.login("wrong password", from).await.unwrap_err();
            assert!(matches!(err, Error::InvalidCredentials), "{i}: {err:?}");
        }
        // Then the email is refused from any address, the right password included
        assert_eq!(retry_after(w.login("a long passphrase", HOME).await), 900);
        // And the refused attempt did not use up the address's own allowance
        w.clock.advance(LOGIN_WINDOW);
        assert!(w.login("a long passphrase", HOME).await.is_ok());
    }

    #[tokio::test]
    async fn a_success_gives_back_its_own_attempt_and_nothing_else() {
        // Given four failures from one address
        let w = World::with_ana().await;
        w.fail(4, HOME).await;
        // When the owner signs in, twice
        assert!(w.login("a long passphrase", HOME).await.is_ok());
        assert!(w.login("a long passphrase", HOME).await.is_ok());
        // Then the four failures still count: one more, and the address is locked
        let _ = w.login("wrong password", HOME).await;
        assert!(retry_after(w.login("a long passphrase", HOME).await) > 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_burst_of_guesses_is_counted_as_it_arrives() {
        // Given a registered email and both hashing slots busy, so nothing is judged yet
        let w = Arc::new(World::with_ana().await);
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let hold = Arc::new(Mutex::new(hold));
        let blockers: Vec<_> = (0..2)
            .map(|_| {
                let (w, hold) = (w.clone(), hold.clone());
                tokio::spawn(async move {
                    w.hashing
                        .run(move |_| hold.lock().is_ok_and(|h| h.recv().is_ok()))
                        .await
                })
            })
            .collect();
        while w.hashing.running() < 2 {
            tokio::task::yield_now().await;
        }
        // When 29 wrong passwords and the right one arrive at once from one address
        let mut tries = tokio::task::JoinSet::new();
        for i in 0..30 {
            let w = w.clone();
            let password = if i == 17 {
                "a long passphrase"
            } else {
                "wrong password"
            };
            tries.spawn(async move { w.login(password, HOME).await });
        }
        // Then 25 are refused while the first five still wait for a slot
        let refused_early = tokio::time::timeout(std::time::Duration::from_secs(30), async {
            let mut refused = 0;
            while refused < 25 {
                match tries.join_next().await {
                    Some(Ok(Err(Error::TooManyAttempts { .. }))) => refused += 1,
                    other => panic!("a guess finished before any was judged: {other:?}"),
                }
            }
        })
        .await;
        assert!(refused_early.is_ok(), "guesses were not refused on arrival");
        // And once hashing resumes exactly the five counted ones are judged
        release.send(()).unwrap();
        release.send(()).unwrap();
        for b in blockers {
            assert!(b.await.unwrap().unwrap());
        }
        let mut judged = 0;
        while let Some(r) = tries.join_next().await {
            assert!(!matches!(r.unwrap(), Err(Error::TooManyAttempts { .. })));
            judged += 1;
        }
        assert_eq!(judged, 5);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_hashes_run_at_once_than_the_pool_has_slots() {
        // Given a pool of two slots and 64 logins for unknown emails from 64 addresses
        let w = Arc::new(World::new());
        let tries = (0..64u32).map(|i| {
            let w = w.clone();
            tokio::spawn(async move {
                let from = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
                let email = format!("nobody{i}@example.com");
                w.accounts()
                    .login(creds(&email, "some password"), from)
                    .await
            })
        });
        for t in tries.collect::<Vec<_>>() {
            assert!(matches!(t.await.unwrap(), Err(Error::InvalidCredentials)));
        }
        // Then every one was verified, never more than two at the same time
        assert!(w.hashing.peak() <= 2, "peak {}", w.hashing.peak());
    }

    #[tokio::test]
    async fn a_login_shed_for_want_of_a_hashing_slot_counts_for_nothing() {
        // Given a pool whose only slot is taken and that sheds at once
        let mut w = World::new();
        w.hashing = HashPool::new(1, std::time::Duration::ZERO);
        w.register_ana().await;
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let w = Arc::new(w);
        let busy = {
            let w = w.clone();
            tokio::spawn(async move { w.hashing.run(move |_| hold.recv()).await })
        };
        while w.hashing.running() == 0 {
            tokio::task::yield_now().await;
        }
        // When ten logins arrive while it is busy
        for _ in 0..10 {
            let err = w.login("wrong password", HOME).await.unwrap_err();
            assert!(matches!(err, Error::Busy { .. }), "{err:?}");
        }
        release.send(()).unwrap();
        busy.await.unwrap().unwrap().unwrap();
        // Then none of them was counted against the address
        assert!(w.login("a long passphrase", HOME).await.is_ok());
    }

    #[tokio::test]
    async fn registrations_are_throttled_per_address() {
        // Given the default of 20 registrations per address per hour
        let w = World::new();
        for i in 0..20 {
            w.register(&format!("u{i}@example.com"), HOME)
                .await
                .unwrap();
        }
        // Then the 21st from that address waits for the hour to pass
        let err = w.register("late@example.com", HOME).await.unwrap_err();
        assert!(matches!(
            err,
            Error::TooManyAttempts {
                retry_after_secs: 3600
            }
        ));
        // And another address is not affected
        assert!(w.register("late@example.com", AWAY).await.is_ok());
    }

    #[test]
    fn the_registration_limit_comes_from_the_environment() {
        assert_eq!(
            AccountsConfig::from_vars(|_| None).unwrap(),
            AccountsConfig::default()
        );
        let set = AccountsConfig::from_vars(|k| {
            (k == "BOOKING_REGISTRATIONS_PER_HOUR").then(|| "500".into())
        });
        assert_eq!(set.unwrap().registrations_per_hour, 500);
        let bad = AccountsConfig::from_vars(|_| Some("0".into())).unwrap_err();
        assert!(bad.contains("BOOKING_REGISTRATIONS_PER_HOUR"));
    }

    #[tokio::test]
    async fn only_a_current_admin_changes_roles_and_never_their_own() {
        // Given an admin and a customer
        let w = World::new();
        let admin = w
            .accounts()
            .create_account(reg("admin@example.com"), Role::Admin)
            .await
            .unwrap();
        let u = w.register("ana@example.com", HOME).await.unwrap();
        // Then the admin cannot change their own role, a customer cannot change any
        assert!(matches!(
            w.accounts().set_role(admin.id, admin.id, Role::Staff).await,
            Err(Error::Conflict { field: "id", .. })
        ));
        assert!(matches!(
            w.accounts().set_role(u.id, admin.id, Role::Customer).await,
            Err(Error::Forbidden)
        ));
        // And the admin promotes the customer
        let staff = w.accounts().set_role(admin.id, u.id, Role::Staff).await;
        assert!(matches!(staff, Ok(u) if u.role == Role::Staff));
        assert!(matches!(
            w.accounts()
                .set_role(admin.id, UserId::new(), Role::Staff)
                .await,
            Err(Error::NotFound("user"))
        ));
    }
}
