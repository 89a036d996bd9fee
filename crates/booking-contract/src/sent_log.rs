//! The contract of [`SentLog`]: each (reservation, event) is claimed once, so that an email
//! is sent once, and a released claim can be taken again.

use booking_core::{
    ids::ReservationId,
    notify::{NotificationEvent, SentLog},
};

use crate::join_all;

pub async fn the_first_claim_of_a_pair_wins_and_the_next_is_refused(log: &dyn SentLog) {
    let r = ReservationId::new();
    assert!(log.claim(r, NotificationEvent::Confirmed).await.unwrap());
    assert!(!log.claim(r, NotificationEvent::Confirmed).await.unwrap());
}

pub async fn claims_of_other_events_or_reservations_are_independent(log: &dyn SentLog) {
    // Given a claimed (reservation, event)
    let r = ReservationId::new();
    assert!(log.claim(r, NotificationEvent::Confirmed).await.unwrap());

    // Then the same reservation's other events and another reservation's same event are free
    assert!(log.claim(r, NotificationEvent::Cancelled).await.unwrap());
    assert!(log.claim(r, NotificationEvent::Failed).await.unwrap());
    let other = ReservationId::new();
    assert!(
        log.claim(other, NotificationEvent::Confirmed)
            .await
            .unwrap()
    );
}

pub async fn a_released_claim_can_be_claimed_again_once(log: &dyn SentLog) {
    // Given a claim whose email could not be sent, released
    let r = ReservationId::new();
    assert!(log.claim(r, NotificationEvent::Failed).await.unwrap());
    log.release(r, NotificationEvent::Failed).await.unwrap();

    // Then the redelivery claims it, and only once
    assert!(log.claim(r, NotificationEvent::Failed).await.unwrap());
    assert!(!log.claim(r, NotificationEvent::Failed).await.unwrap());
}

pub async fn releasing_an_unclaimed_pair_is_harmless(log: &dyn SentLog) {
    let r = ReservationId::new();
    log.release(r, NotificationEvent::Cancelled).await.unwrap();
    assert!(log.claim(r, NotificationEvent::Cancelled).await.unwrap());
}

pub async fn of_twenty_concurrent_claims_of_one_pair_exactly_one_wins(log: &dyn SentLog) {
    let r = ReservationId::new();
    let claims = (0..20)
        .map(|_| log.claim(r, NotificationEvent::Confirmed))
        .collect();
    let results = join_all(claims).await;
    let won = results
        .into_iter()
        .map(Result::unwrap)
        .filter(|w| *w)
        .count();
    assert_eq!(won, 1);
}
