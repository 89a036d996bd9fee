//! The life cycle after a hold: confirm, release, cancel, visit outcomes, and their races.

use super::*;

pub async fn a_live_hold_is_confirmed_and_confirming_again_changes_nothing(
    store: &dyn Reservations,
) {
    // Given a hold on the only place of units 0-1
    let r = a_hold(store, 0, 2, 1).await;
    let service = r.service_id;

    // When it is confirmed before it lapses, and confirmed again after
    let when = now() + HOLD - SignedDuration::from_millis(1);
    let confirmed = store.confirm(r.id, when).await.unwrap();
    let again = store.confirm(r.id, now() + mins(60)).await.unwrap();

    // Then it is CONFIRMED, and the replay changed nothing
    assert_eq!(confirmed.status, Status::Confirmed);
    assert_eq!(confirmed.version, 2);
    assert_eq!(
        confirmed.history.last().unwrap(),
        &StatusChange {
            at: when,
            from: Some(Status::PendingPayment),
            to: Status::Confirmed,
            actor: Actor::System,
            reason: "payment authorised".into(),
        }
    );
    assert_eq!(again, confirmed);
    assert_eq!(store.get(r.id).await.unwrap(), Some(confirmed));
    // And its claims count long after the hold would have lapsed
    let next_day = now() + SignedDuration::from_hours(24);
    assert_eq!(
        claimed(store, service, unit(0)..unit(4), next_day).await,
        counts([(0, 1), (1, 1)])
    );
    let late = reservation(UserId::new(), service, 1, 1, next_day);
    assert_err!(store.hold(&late, 1, ROOMY).await, Error::SlotUnavailable);
}

pub async fn a_lapsed_hold_cannot_be_confirmed(store: &dyn Reservations) {
    // Given a hold
    let r = a_hold(store, 0, 1, 1).await;

    // When the confirmation comes as it lapses
    let outcome = store.confirm(r.id, now() + HOLD).await;

    // Then it is refused and the reservation is unchanged
    assert_err!(outcome, Error::HoldExpired);
    assert_eq!(store.get(r.id).await.unwrap(), Some(r));
    // And unknown reservations are not found by any change
    let unknown = ReservationId::new();
    assert_err!(
        store.confirm(unknown, now()).await,
        Error::NotFound("reservation")
    );
    assert_err!(
        store.release(unknown, None, now()).await,
        Error::NotFound("reservation")
    );
    assert_err!(
        store
            .cancel(unknown, cancellation(0, customer_actor()), now())
            .await,
        Error::NotFound("reservation")
    );
}

pub async fn releasing_a_pending_hold_fails_it_and_frees_its_units(store: &dyn Reservations) {
    // Given a hold on the only place of units 0-1
    let r = a_hold(store, 0, 2, 1).await;
    let service = r.service_id;

    // When it is released with a failure, and released again
    let failure = Failure {
        code: FailureCode::parse("PaymentDeclined"),
        message: "the card was declined".into(),
    };
    let when = now() + mins(1);
    let released = store
        .release(r.id, Some(failure.clone()), when)
        .await
        .unwrap();
    let again = store.release(r.id, None, now() + mins(2)).await.unwrap();

    // Then it FAILED with that failure, once, and its units are free
    assert_eq!(released.status, Status::Failed);
    assert_eq!(released.failure, Some(failure));
    assert_eq!(released.version, 2);
    assert_eq!(
        released.history.last().unwrap(),
        &StatusChange {
            at: when,
            from: Some(Status::PendingPayment),
            to: Status::Failed,
            actor: Actor::System,
            reason: "the card was declined".into(),
        }
    );
    assert_eq!(again, released);
    assert_eq!(store.get(r.id).await.unwrap(), Some(released));
    assert_eq!(
        claimed(store, service, unit(0)..unit(4), when).await,
        ClaimCounts::new()
    );
    let next = reservation(UserId::new(), service, 1, 1, when);
    held(store, &next, 1).await;
    // And a failed reservation can be neither confirmed nor cancelled
    assert_illegal(store.confirm(r.id, when).await, "FAILED", "CONFIRMED");
    assert_illegal(
        store
            .cancel(r.id, cancellation(0, customer_actor()), when)
            .await,
        "FAILED",
        "CANCELLED",
    );
    // And a release without a failure says "released"
    let plain = reservation(UserId::new(), ServiceId::new(), 0, 1, now());
    held(store, &plain, 1).await;
    let plain = store.release(plain.id, None, when).await.unwrap();
    assert_eq!(plain.failure, None);
    assert_eq!(plain.history.last().unwrap().reason, "released");
}

pub async fn a_confirmed_reservation_cannot_be_released(store: &dyn Reservations) {
    // Given a confirmed reservation
    let confirmed = a_booking(store, 0, 1, 1).await;

    // When it is released
    let outcome = store.release(confirmed.id, None, now()).await;

    // Then that is refused, and it keeps its place
    assert_illegal(outcome, "CONFIRMED", "released");
    assert_eq!(
        store.get(confirmed.id).await.unwrap(),
        Some(confirmed.clone())
    );
    assert_eq!(
        claimed(store, confirmed.service_id, unit(0)..unit(1), now()).await,
        counts([(0, 1)])
    );
}

pub async fn cancelling_a_confirmed_reservation_frees_its_units(store: &dyn Reservations) {
    // Given a confirmed reservation on the only place of units 0-2
    let r = a_booking(store, 0, 3, 1).await;
    let service = r.service_id;

    // When it is cancelled with a partial refund
    let actor = customer_actor();
    let when = now() + mins(10);
    let cancelled = store
        .cancel(r.id, cancellation(1250, actor), when)
        .await
        .unwrap();

    // Then it is CANCELLED with the refund due, and its units are free
    assert_eq!(cancelled.status, Status::Cancelled);
    assert_eq!(cancelled.refund_due_minor, Some(1250));
    assert_eq!(cancelled.version, 3);
    assert_eq!(
        cancelled.history.last().unwrap(),
        &StatusChange {
            at: when,
            from: Some(Status::Confirmed),
            to: Status::Cancelled,
            actor,
            reason: "changed plans".into(),
        }
    );
    assert_eq!(store.get(r.id).await.unwrap(), Some(cancelled.clone()));
    assert_eq!(
        claimed(store, service, unit(0)..unit(4), when).await,
        ClaimCounts::new()
    );
    let next = reservation(UserId::new(), service, 2, 1, when);
    held(store, &next, 1).await;
    // And it cannot be cancelled again, while releasing it changes nothing
    assert_illegal(
        store.cancel(r.id, cancellation(0, actor), when).await,
        "CANCELLED",
        "CANCELLED",
    );
    assert_eq!(store.release(r.id, None, when).await.unwrap(), cancelled);
    assert_eq!(store.get(r.id).await.unwrap(), Some(cancelled));
    // And a reservation still in payment cannot be cancelled
    assert_illegal(
        store.cancel(next.id, cancellation(0, actor), when).await,
        "PENDING_PAYMENT",
        "CANCELLED",
    );
}

pub async fn a_visit_is_recorded_once_its_start_has_passed(store: &dyn Reservations) {
    // Given a confirmed reservation of units 0-1 and a pending one
    let r = a_booking(store, 0, 2, 2).await;
    let service = r.service_id;
    let pending = reservation(UserId::new(), service, 0, 1, now());
    held(store, &pending, 2).await;
    let staff = Actor::User {
        id: UserId::new(),
        role: Role::Staff,
    };
    let visit = |outcome| Visit {
        outcome,
        actor: staff,
    };

    // When staff mark it before its start, it is refused and unchanged
    match store
        .record_visit(r.id, visit(Status::Completed), unit(0) - mins(1))
        .await
    {
        Err(Error::Rule { field: "start", .. }) => {}
        other => panic!("expected a rule violation on start, got {other:?}"),
    }
    assert_eq!(
        store.get(r.id).await.unwrap().unwrap().status,
        Status::Confirmed
    );

    // When they mark it COMPLETED after its start
    let when = unit(1);
    let done = store
        .record_visit(r.id, visit(Status::Completed), when)
        .await
        .unwrap();

    // Then it is COMPLETED, with who and when in its history, and stored so
    assert_eq!(done.status, Status::Completed);
    assert_eq!(done.version, 3);
    assert_eq!(
        done.history.last().unwrap(),
        &StatusChange {
            at: when,
            from: Some(Status::Confirmed),
            to: Status::Completed,
            actor: staff,
            reason: "the visit took place".into(),
        }
    );
    assert_eq!(store.get(r.id).await.unwrap(), Some(done.clone()));
    // And recording it again changes nothing, while NO_SHOW is now illegal
    assert_eq!(
        store
            .record_visit(r.id, visit(Status::Completed), when + mins(5))
            .await
            .unwrap(),
        done
    );
    assert_illegal(
        store.record_visit(r.id, visit(Status::NoShow), when).await,
        "COMPLETED",
        "NO_SHOW",
    );
    // And a reservation that never got confirmed cannot get a visit outcome
    assert_illegal(
        store
            .record_visit(pending.id, visit(Status::NoShow), when)
            .await,
        "PENDING_PAYMENT",
        "NO_SHOW",
    );
    assert_err!(
        store
            .record_visit(ReservationId::new(), visit(Status::NoShow), when)
            .await,
        Error::NotFound(_)
    );
    assert_eq!(store.get(r.id).await.unwrap(), Some(done));
}

pub async fn concurrent_visit_outcomes_leave_exactly_one(store: &dyn Reservations) {
    // Given a confirmed reservation whose start has passed
    let r = a_booking(store, 0, 1, 1).await;
    let staff = Actor::User {
        id: UserId::new(),
        role: Role::Admin,
    };
    let visit = |outcome| Visit {
        outcome,
        actor: staff,
    };

    // When five staff mark it COMPLETED and five NO_SHOW at once
    let when = unit(2);
    let calls = (0..10)
        .map(|i| {
            let outcome = if i % 2 == 0 {
                Status::Completed
            } else {
                Status::NoShow
            };
            store.record_visit(r.id, visit(outcome), when)
        })
        .collect();
    let results = join_all(calls).await;

    // Then one outcome is stored; every call of that outcome succeeds with it, and every
    // call of the other is refused naming it
    let stored = store.get(r.id).await.unwrap().unwrap();
    assert!(matches!(stored.status, Status::Completed | Status::NoShow));
    assert_eq!(stored.version, 3, "one change only: {:?}", stored.history);
    for (i, result) in results.into_iter().enumerate() {
        let wanted = if i % 2 == 0 {
            Status::Completed
        } else {
            Status::NoShow
        };
        match result {
            Ok(got) => {
                assert_eq!(wanted, stored.status);
                assert_eq!(got, stored);
            }
            Err(Error::IllegalTransition { from, .. }) => {
                assert_ne!(wanted, stored.status);
                assert_eq!(from, stored.status.as_str());
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
}

pub async fn a_confirm_racing_a_release_leaves_one_consistent_outcome(store: &dyn Reservations) {
    // Given ten holds, each on the only place of its own unit
    let service = ServiceId::new();
    let holds: Vec<Reservation> = (0..10)
        .map(|k| reservation(UserId::new(), service, k, 1, now()))
        .collect();
    for r in &holds {
        held(store, r, 1).await;
    }

    // When each is confirmed and released at the same time
    let when = now() + mins(1);
    let confirms = holds.iter().map(|r| store.confirm(r.id, when));
    let releases = holds.iter().map(|r| store.release(r.id, None, when));
    let (confirmed, released) =
        tokio::join!(join_all(confirms.collect()), join_all(releases.collect()),);

    // Then for each exactly one of the two succeeded, the other was refused by the life
    // cycle, and the stored status and the claims agree with the winner
    for ((r, confirm), release) in holds.iter().zip(confirmed).zip(released) {
        let stored = store.get(r.id).await.unwrap().unwrap();
        let claimed = claimed(store, service, r.start..r.end, when).await;
        match (confirm, release) {
            (
                Ok(c),
                Err(Error::IllegalTransition {
                    from: "CONFIRMED", ..
                }),
            ) => {
                assert_eq!(stored, c);
                assert_eq!(claimed.values().sum::<u32>(), 1);
            }
            (Err(Error::IllegalTransition { from: "FAILED", .. }), Ok(f)) => {
                assert_eq!(stored, f);
                assert_eq!(claimed, ClaimCounts::new());
            }
            other => panic!("unexpected outcomes {other:?}"),
        }
    }
}
