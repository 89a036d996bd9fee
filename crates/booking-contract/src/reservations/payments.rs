//! The payment recorded on a reservation (gateway state, not money): it only moves
//! forward, keeps its first authorisation, gates the confirmation, and a capture that fails
//! for good revokes the booking.

use booking_core::payment::{GatewayKind, Payment, PaymentStatus, Prepayment};

use super::*;
use crate::fixtures::authorized;

/// Given: a hold whose payment nothing has been asked of yet.
async fn an_unpaid_hold(store: &dyn Reservations) -> Reservation {
    let mut r = reservation(UserId::new(), ServiceId::new(), 0, 2, now());
    r.payment = Payment::new(Prepayment::Required);
    held(store, &r, 1).await;
    r
}

fn moved(payment: &Payment, status: PaymentStatus) -> Payment {
    Payment {
        status,
        ..payment.clone()
    }
}

pub async fn a_hold_is_confirmed_only_once_its_payment_is_authorised(store: &dyn Reservations) {
    // Given a hold whose card has not been authorised
    let r = an_unpaid_hold(store).await;

    // When it is confirmed, then that is refused and nothing changed
    assert_err!(
        store.confirm(r.id, now()).await,
        Error::Conflict {
            field: "payment",
            ..
        }
    );
    assert_eq!(store.get(r.id).await.unwrap(), Some(r.clone()));

    // When the authorisation is recorded, then the confirmation goes through
    store
        .record_payment(r.id, &authorized("pi_1"))
        .await
        .unwrap();
    let confirmed = store.confirm(r.id, now()).await.unwrap();
    assert_eq!(confirmed.status, Status::Confirmed);
    assert_eq!(confirmed.payment, authorized("pi_1"));

    // And a hold paid at the venue is confirmed without any payment
    let mut venue = reservation(UserId::new(), ServiceId::new(), 4, 1, now());
    venue.payment = Payment::new(Prepayment::None);
    venue.payment_method = None;
    held(store, &venue, 1).await;
    let confirmed = store.confirm(venue.id, now()).await.unwrap();
    assert_eq!(
        (confirmed.status, confirmed.payment.status),
        (Status::Confirmed, PaymentStatus::AtVenue)
    );
}

pub async fn a_payment_only_moves_forward_and_keeps_its_first_authorisation(
    store: &dyn Reservations,
) {
    // Given a hold, and its card asking for authentication
    let r = an_unpaid_hold(store).await;
    let challenged = Payment {
        gateway: Some(GatewayKind::Stripe),
        status: PaymentStatus::RequiresAction,
        authorization: Some("pi_1".into()),
        charge: None,
    };
    let stored = store.record_payment(r.id, &challenged).await.unwrap();
    assert_eq!(
        (stored.payment.clone(), stored.version),
        (challenged.clone(), 2)
    );

    // When the authorisation is recorded, then a late word from before it changes nothing
    let authorised = moved(&challenged, PaymentStatus::Authorized);
    let stored = store.record_payment(r.id, &authorised).await.unwrap();
    assert_eq!(
        (stored.payment.clone(), stored.version),
        (authorised.clone(), 3)
    );
    let late = store.record_payment(r.id, &challenged).await.unwrap();
    assert_eq!(late, stored);
    let again = store.record_payment(r.id, &authorised).await.unwrap();
    assert_eq!(again, stored);

    // And another authorisation than the recorded one is refused
    let other = Payment {
        authorization: Some("pi_2".into()),
        ..authorised.clone()
    };
    assert_err!(
        store.record_payment(r.id, &other).await,
        Error::Conflict {
            field: "payment.authorization",
            ..
        }
    );

    // When it is captured, then the charge is kept and nothing moves it back
    let captured = Payment {
        status: PaymentStatus::Captured,
        charge: Some("ch_1".into()),
        ..authorised.clone()
    };
    let stored = store.record_payment(r.id, &captured).await.unwrap();
    assert_eq!(stored.payment, captured);
    let voided = store
        .record_payment(r.id, &moved(&authorised, PaymentStatus::Voided))
        .await
        .unwrap();
    assert_eq!(voided, stored);
    assert_eq!(store.get(r.id).await.unwrap(), Some(stored));
    assert_err!(
        store
            .record_payment(ReservationId::new(), &authorised)
            .await,
        Error::NotFound("reservation")
    );
}

pub async fn of_ten_concurrent_authorisations_the_first_recorded_stands(store: &dyn Reservations) {
    // Given a hold
    let r = an_unpaid_hold(store).await;

    // When ten different authorisations are recorded at once
    let payments: Vec<Payment> = (0..10).map(|i| authorized(&format!("pi_{i}"))).collect();
    let outcomes = join_all(
        payments
            .iter()
            .map(|p| store.record_payment(r.id, p))
            .collect(),
    )
    .await;

    // Then exactly one is stored, the others are refused, and the store agrees
    let winners: Vec<Reservation> = outcomes
        .into_iter()
        .filter_map(|o| match o {
            Ok(stored) => Some(stored),
            Err(Error::Conflict { .. }) => None,
            Err(e) => panic!("unexpected {e:?}"),
        })
        .collect();
    assert_eq!(winners.len(), 1, "{winners:?}");
    assert_eq!(store.get(r.id).await.unwrap().as_ref(), winners.first());
    assert_eq!(winners[0].version, 2);
}

pub async fn a_capture_that_failed_revokes_the_booking_and_frees_its_units(
    store: &dyn Reservations,
) {
    // Given a confirmed booking of units 0-1 whose capture then failed
    let r = a_booking(store, 0, 2, 1).await;
    let failure = Failure {
        code: FailureCode::parse("PaymentDeclined"),
        message: "the authorisation expired".into(),
    };

    // When it is revoked, and revoked again
    let when = now() + mins(2);
    let revoked = store.revoke(r.id, failure.clone(), when).await.unwrap();
    let again = store
        .revoke(r.id, failure.clone(), when + mins(1))
        .await
        .unwrap();

    // Then it is FAILED by the system with the failure, its units are free, and the second
    // revoke changed nothing
    assert_eq!(revoked.status, Status::Failed);
    assert_eq!(revoked.failure, Some(failure.clone()));
    assert_eq!(
        revoked.history.last().unwrap(),
        &StatusChange {
            at: when,
            from: Some(Status::Confirmed),
            to: Status::Failed,
            actor: Actor::System,
            reason: "the authorisation expired".into(),
        }
    );
    assert_eq!(again, revoked);
    assert_eq!(
        claimed(store, r.service_id, unit(0)..unit(4), when).await,
        ClaimCounts::new()
    );
    let next = reservation(UserId::new(), r.service_id, 0, 2, when);
    held(store, &next, 1).await;

    // And neither a pending hold nor a captured booking is revoked
    let pending = a_hold(store, 8, 1, 1).await;
    assert_illegal(
        store.revoke(pending.id, failure.clone(), when).await,
        "PENDING_PAYMENT",
        "revoked",
    );
    let captured = a_booking(store, 10, 1, 1).await;
    let taken = Payment {
        status: PaymentStatus::Captured,
        charge: Some("ch_1".into()),
        ..captured.payment.clone()
    };
    let captured = store.record_payment(captured.id, &taken).await.unwrap();
    assert_illegal(
        store.revoke(captured.id, failure, when).await,
        "CONFIRMED",
        "revoked",
    );
    assert_eq!(store.get(captured.id).await.unwrap(), Some(captured));
}
