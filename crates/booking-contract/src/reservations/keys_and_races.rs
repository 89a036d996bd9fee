//! Idempotency keys, and holds racing for the last place or the hold limit.

use super::*;

fn binding(id: ReservationId, fingerprint: &str) -> KeyBinding {
    KeyBinding {
        id,
        fingerprint: fingerprint.to_owned(),
    }
}

/// Runs `calls` at once, and says how long they took.
async fn at_once<F: Future>(what: &str, calls: impl Iterator<Item = F>) -> Vec<F::Output> {
    let started = Instant::now();
    let outputs = join_all(calls.collect()).await;
    eprintln!("{what}: {:?}", started.elapsed());
    outputs
}

pub async fn the_first_binding_of_an_idempotency_key_wins(store: &dyn Reservations) {
    // Given a key bound by a customer to a reservation id and a request
    let customer = UserId::new();
    let first = binding(ReservationId::new(), "fp-1");
    let bound = store.claim_key(customer, "key-1", &first).await.unwrap();

    // When the key is used again with another id and request
    let second = binding(ReservationId::new(), "fp-2");
    let again = store.claim_key(customer, "key-1", &second).await.unwrap();

    // Then both answers are the first binding
    assert_eq!(bound, first);
    assert_eq!(again, bound);
    // And the same key of another customer, or another key, binds on its own
    let other = ReservationId::new();
    for (owner, key, fingerprint) in [
        (UserId::new(), "key-1", "fp-3"),
        (customer, "key-2", "fp-4"),
    ] {
        let own = binding(other, fingerprint);
        assert_eq!(store.claim_key(owner, key, &own).await.unwrap(), own);
    }
}

pub async fn concurrent_bindings_of_one_key_agree_on_a_single_winner(store: &dyn Reservations) {
    // Given twenty requests with one key, each with its own reservation id
    let customer = UserId::new();
    let bindings: Vec<KeyBinding> = (0..20)
        .map(|i| binding(ReservationId::new(), &format!("fp-{i}")))
        .collect();

    // When they bind it at once
    let claims = bindings
        .iter()
        .map(|b| store.claim_key(customer, "race", b));
    let answers = at_once("20 concurrent claim_key calls", claims).await;

    // Then every one gets the same binding, which is one of theirs
    let answers: Vec<_> = answers.into_iter().map(Result::unwrap).collect();
    let winner = answers[0].clone();
    assert!(answers.iter().all(|a| *a == winner), "{answers:?}");
    assert!(bindings.contains(&winner), "{winner:?}");
}

pub async fn twenty_concurrent_holds_for_the_last_place_leave_exactly_one_winner(
    store: &dyn Reservations,
) {
    // Given three places on unit 0, two of them taken (one confirmed, one in payment)
    let service = ServiceId::new();
    let taken = [
        reservation(UserId::new(), service, 0, 1, now()),
        reservation(UserId::new(), service, -1, 2, now()),
    ];
    for r in &taken {
        held(store, r, 3).await;
    }
    store.confirm(taken[0].id, now()).await.unwrap();

    // When twenty customers hold units 0-1 at once
    let contenders: Vec<Reservation> = (0..20)
        .map(|_| reservation(UserId::new(), service, 0, 2, now()))
        .collect();
    let holds = contenders.iter().map(|r| store.hold(r, 3, ROOMY));
    let outcomes = at_once("20 concurrent holds for the last place", holds).await;

    // Then exactly one is created and the nineteen others find the slot unavailable
    let mut winners = Vec::new();
    for (r, outcome) in contenders.iter().zip(outcomes) {
        match outcome {
            Ok(Held::Created(created)) => {
                assert_eq!(&created, r);
                winners.push(created);
            }
            Err(Error::SlotUnavailable) => {
                assert_eq!(store.get(r.id).await.unwrap(), None);
            }
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    assert_eq!(
        store.get(winners[0].id).await.unwrap(),
        Some(winners[0].clone())
    );
    // And the unit holds exactly its capacity
    assert_eq!(
        claimed(store, service, unit(-1)..unit(2), now()).await,
        counts([(-1, 1), (0, 3), (1, 1)])
    );
}

pub async fn concurrent_holds_of_one_customer_stop_at_the_hold_limit(store: &dyn Reservations) {
    // Given a limit of three holds in payment
    let limits = HoldLimits {
        max_active_holds: 3,
        ..ROOMY
    };
    let customer = UserId::new();

    // When one customer holds ten different services at once
    let holds: Vec<Reservation> = (0..10)
        .map(|_| reservation(customer, ServiceId::new(), 0, 1, now()))
        .collect();
    let calls = holds.iter().map(|r| store.hold(r, 1, limits));
    let outcomes = at_once("10 concurrent holds of one customer", calls).await;

    // Then exactly three are created and seven exceed the limit
    let (mut created, mut refused) = (0, 0);
    for outcome in outcomes {
        match outcome {
            Ok(Held::Created(_)) => created += 1,
            Err(Error::LimitExceeded(_)) => refused += 1,
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!((created, refused), (3, 7));
}
