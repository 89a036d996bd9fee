//! The contract of [`Throttle`]: fixed windows that take their limit of attempts, give one
//! back on request, and count concurrent attempts exactly; and the login use case over it.

use booking_core::{
    Error,
    accounts::{Accounts, AccountsConfig, Credentials, Registration},
    hashing::HashPool,
    memory::FixedClock,
    ports::{Admission, Attempt, Throttle, UserStore},
};
use jiff::SignedDuration;

use crate::{fixtures::at, join_all};

const WINDOW: SignedDuration = SignedDuration::from_mins(15);

fn unique_key(name: &str) -> String {
    format!("test#{name}#{}", ulid::Ulid::generate())
}

fn counted(a: Admission) -> Attempt {
    match a {
        Admission::Counted(attempt) => attempt,
        Admission::Full { window_start } => panic!("refused, window of {window_start}"),
    }
}

pub async fn a_window_takes_the_limit_and_refuses_the_rest(store: &dyn Throttle) {
    // Given a key and a window that opens with its first attempt
    let key = unique_key("limit");
    let t0 = at("2026-11-28T10:00:00Z");
    for i in 0..3 {
        let now = t0 + SignedDuration::from_secs(i);
        let a = counted(store.admit(&key, 3, WINDOW, now).await.unwrap());
        // Then every attempt is counted in the window that opened first
        assert_eq!(a.window_start, t0);
        assert_eq!(a.key, key);
    }
    // And once the limit is reached, the rest are refused, naming when the window opened
    let later = t0 + SignedDuration::from_mins(14);
    assert_eq!(
        store.admit(&key, 3, WINDOW, later).await.unwrap(),
        Admission::Full { window_start: t0 }
    );
}

pub async fn a_closed_window_gives_way_to_a_new_one(store: &dyn Throttle) {
    // Given a full window
    let key = unique_key("close");
    let t0 = at("2026-11-28T10:00:00Z");
    for _ in 0..2 {
        counted(store.admit(&key, 2, WINDOW, t0).await.unwrap());
    }
    // When it has closed (exactly at its end)
    let t1 = t0 + WINDOW;
    let a = counted(store.admit(&key, 2, WINDOW, t1).await.unwrap());
    // Then a new window opens with this attempt in it
    assert_eq!(a.window_start, t1);
    counted(store.admit(&key, 2, WINDOW, t1).await.unwrap());
    assert_eq!(
        store.admit(&key, 2, WINDOW, t1).await.unwrap(),
        Admission::Full { window_start: t1 }
    );
}

pub async fn giving_back_frees_one_place_of_the_same_window_only(store: &dyn Throttle) {
    // Given a full window of two
    let key = unique_key("back");
    let t0 = at("2026-11-28T10:00:00Z");
    let first = counted(store.admit(&key, 2, WINDOW, t0).await.unwrap());
    counted(store.admit(&key, 2, WINDOW, t0).await.unwrap());
    // When one attempt is given back
    store.give_back(&first).await.unwrap();
    // Then exactly one more is counted
    counted(store.admit(&key, 2, WINDOW, t0).await.unwrap());
    assert!(matches!(
        store.admit(&key, 2, WINDOW, t0).await.unwrap(),
        Admission::Full { .. }
    ));
    // And an attempt of a window that has closed gives nothing to the next one
    let t1 = t0 + WINDOW;
    counted(store.admit(&key, 2, WINDOW, t1).await.unwrap());
    counted(store.admit(&key, 2, WINDOW, t1).await.unwrap());
    store.give_back(&first).await.unwrap();
    assert!(matches!(
        store.admit(&key, 2, WINDOW, t1).await.unwrap(),
        Admission::Full { .. }
    ));
}

pub async fn giving_back_never_goes_below_zero(store: &dyn Throttle) {
    // Given one counted attempt, given back twice
    let key = unique_key("zero");
    let t0 = at("2026-11-28T10:00:00Z");
    let a = counted(store.admit(&key, 1, WINDOW, t0).await.unwrap());
    store.give_back(&a).await.unwrap();
    store.give_back(&a).await.unwrap();
    // Then the window still takes only its limit
    counted(store.admit(&key, 1, WINDOW, t0).await.unwrap());
    assert!(matches!(
        store.admit(&key, 1, WINDOW, t0).await.unwrap(),
        Admission::Full { .. }
    ));
}

pub async fn keys_are_counted_apart(store: &dyn Throttle) {
    let (ana, bea) = (unique_key("ana"), unique_key("bea"));
    let t0 = at("2026-11-28T10:00:00Z");
    counted(store.admit(&ana, 1, WINDOW, t0).await.unwrap());
    counted(store.admit(&bea, 1, WINDOW, t0).await.unwrap());
    assert!(matches!(
        store.admit(&ana, 1, WINDOW, t0).await.unwrap(),
        Admission::Full { .. }
    ));
}

pub async fn of_thirty_attempts_at_once_exactly_the_limit_is_counted(store: &dyn Throttle) {
    for round in 0..3 {
        // Given a key with no window yet, and a closed window on another
        let fresh = unique_key("burst");
        let stale = unique_key("stale");
        let t0 = at("2026-11-28T10:00:00Z");
        counted(store.admit(&stale, 5, WINDOW, t0).await.unwrap());
        let t1 = t0 + WINDOW + SignedDuration::from_secs(1);

        // When thirty attempts arrive at once on each
        for key in [&fresh, &stale] {
            let results =
                join_all((0..30).map(|_| store.admit(key, 5, WINDOW, t1)).collect()).await;

            // Then exactly five are counted, all in one new window, and the rest refused
            let counted: Vec<_> = results
                .iter()
                .filter_map(|r| match r.as_ref().unwrap() {
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
