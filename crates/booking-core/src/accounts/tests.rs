//! Tests of [`super`].

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

#[test]
fn a_password_never_shows_in_debug_output() {
    let reg = reg("ada@example.com");
    let creds = creds("ada@example.com", "a long passphrase");
    for shown in [format!("{reg:?}"), format!("{creds:?}")] {
        assert!(!shown.contains("passphrase"), "{shown}");
        assert!(
            shown.contains("<redacted>") && shown.contains("ada@example.com"),
            "{shown}"
        );
    }
}
