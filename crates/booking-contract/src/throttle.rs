//! The contract of [`Throttle`]: fixed windows that take their limit of attempts, give one
//! back on request, and count concurrent attempts exactly; and the login use case over it.

use booking_core::{
    Error,
    accounts::{Accounts, AccountsConfig, Credentials, Registration},
    hashing::HashPool,
    memory::FixedClock,
    ports::{Admission, Attempt, Quota, Throttle, UserStore},
};
use jiff::{SignedDuration, Timestamp};

use crate::{fixtures::at, join_all};

const WINDOW: SignedDuration = SignedDuration::from_mins(15);

/// When the scenarios' first window opens.
fn t0() -> Timestamp {
    at("2026-11-28T10:00:00Z")
}

fn unique_key(name: &str) -> String {
    format!("test#{name}#{}", ulid::Ulid::generate())
}

/// One attempt under `key` at `now`, `limit` of them per [`WINDOW`].
async fn admit(store: &dyn Throttle, key: &str, limit: u32, now: Timestamp) -> Admission {
    let quota = Quota {
        limit,
        window: WINDOW,
    };
    store.admit(key, quota, now).await.unwrap()
}

/// [`admit`], expecting the attempt to be counted.
async fn counted(store: &dyn Throttle, key: &str, limit: u32, now: Timestamp) -> Attempt {
    match admit(store, key, limit, now).await {
        Admission::Counted(attempt) => attempt,
        Admission::Full { window_start } => panic!("refused, window of {window_start}"),
    }
}

pub async fn a_window_takes_the_limit_and_refuses_the_rest(store: &dyn Throttle) {
    // Given a key and a window that opens with its first attempt
    let key = unique_key("limit");
    for i in 0..3 {
        let a = counted(store, &key, 3, t0() + SignedDuration::from_secs(i)).await;
        // Then every attempt is counted in the window that opened first
        assert_eq!(a.window_start, t0());
        assert_eq!(a.key, key);
    }
    // And once the limit is reached, the rest are refused, naming when the window opened
    let later = t0() + SignedDuration::from_mins(14);
    let full = Admission::Full { window_start: t0() };
    assert_eq!(admit(store, &key, 3, later).await, full);
}

pub async fn a_closed_window_gives_way_to_a_new_one(store: &dyn Throttle) {
    // Given a full window
    let key = unique_key("close");
    for _ in 0..2 {
        counted(store, &key, 2, t0()).await;
    }
    // When it has closed (exactly at its end)
    let t1 = t0() + WINDOW;
    let a = counted(store, &key, 2, t1).await;
    // Then a new window opens with this attempt in it
    assert_eq!(a.window_start, t1);
    counted(store, &key, 2, t1).await;
    let full = Admission::Full { window_start: t1 };
    assert_eq!(admit(store, &key, 2, t1).await, full);
}

pub async fn giving_back_frees_one_place_of_the_same_window_only(store: &dyn Throttle) {
    // Given a full window of two
    let key = unique_key("back");
    let first = counted(store, &key, 2, t0()).await;
    counted(store, &key, 2, t0()).await;
    // When one attempt is given back
    store.give_back(&first).await.unwrap();
    // Then exactly one more is counted
    counted(store, &key, 2, t0()).await;
    let full = admit(store, &key, 2, t0()).await;
    assert!(matches!(full, Admission::Full { .. }), "{full:?}");
    // And an attempt of a window that has closed gives nothing to the next one
    let t1 = t0() + WINDOW;
    counted(store, &key, 2, t1).await;
    counted(store, &key, 2, t1).await;
    store.give_back(&first).await.unwrap();
    let full = admit(store, &key, 2, t1).await;
    assert!(matches!(full, Admission::Full { .. }), "{full:?}");
}

pub async fn giving_back_never_goes_below_zero(store: &dyn Throttle) {
    // Given one counted attempt, given back twice
    let key = unique_key("zero");
    let a = counted(store, &key, 1, t0()).await;
    store.give_back(&a).await.unwrap();
    store.give_back(&a).await.unwrap();
    // Then the window still takes only its limit
    counted(store, &key, 1, t0()).await;
    let full = admit(store, &key, 1, t0()).await;
    assert!(matches!(full, Admission::Full { .. }), "{full:?}");
}

pub async fn keys_are_counted_apart(store: &dyn Throttle) {
    let (ana, bea) = (unique_key("ana"), unique_key("bea"));
    counted(store, &ana, 1, t0()).await;
    counted(store, &bea, 1, t0()).await;
    let full = admit(store, &ana, 1, t0()).await;
    assert!(matches!(full, Admission::Full { .. }), "{full:?}");
}

pub async fn of_thirty_attempts_at_once_exactly_the_limit_is_counted(store: &dyn Throttle) {
    for round in 0..3 {
        // Given a key with no window yet, and a closed window on another
        let fresh = unique_key("burst");
        let stale = unique_key("stale");
        counted(store, &stale, 5, t0()).await;
        let t1 = t0() + WINDOW + SignedDuration::from_secs(1);

        // When thirty attempts arrive at once on each
        for key in [&fresh, &stale] {
            let results = join_all((0..30).map(|_| admit(store, key, 5, t1)).collect()).await;

            // Then exactly five are counted, all in one new window, and the rest refused
            let counted: Vec<_> = results
                .iter()
                .filter_map(|r| match r {
                    Admission::Counted(a) => Some(a.window_start),
                    Admission::Full { .. } => None,
                })
                .collect();
            assert_eq!(counted.len(), 5, "round {round}: {results:?}");
            assert!(
                counted.iter().all(|s| *s == t1),
                "round {round}: {counted:?}"
            );
        }
    }
}

pub async fn of_thirty_guesses_at_once_from_one_address_five_are_judged(
    store: &dyn Throttle,
    users: &dyn UserStore,
) {
    // Given a registered email and the login use case over these stores
    let clock = FixedClock::new(at("2026-11-28T10:00:00Z"));
    let hashing = HashPool::new(2, std::time::Duration::from_secs(60));
    let accounts = Accounts {
        users,
        throttle: store,
        hashing: &hashing,
        clock: &clock,
        config: AccountsConfig::default(),
    };
    let email = format!("burst.{}@example.com", ulid::Ulid::generate());
    let reg = Registration {
        email: email.clone(),
        password: "a long passphrase".into(),
        name: "Ana".into(),
    };
    let from: std::net::IpAddr = "198.51.100.7".parse().unwrap();
    accounts.register(reg, from).await.unwrap();

    // When 29 wrong passwords and the right one arrive at once from one address
    let tries = (0..30)
        .map(|i| {
            let password = if i == 29 {
                "a long passphrase"
            } else {
                "wrong password"
            };
            let creds = Credentials {
                email: email.clone(),
                password: password.into(),
            };
            accounts.login(creds, from)
        })
        .collect();
    let results = join_all(tries).await;

    // Then only five were judged; the other 25 were refused on arrival
    let refused = results
        .iter()
        .filter(|r| matches!(r, Err(Error::TooManyAttempts { .. })))
        .count();
    assert_eq!((30 - refused, refused), (5, 25), "{results:?}");
}
