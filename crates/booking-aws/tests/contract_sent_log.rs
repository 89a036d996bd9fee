//! The contract of [`SentLog`], run against the in-memory and the DynamoDB adapters with
//! identical expectations. Every scenario uses its own reservations.
#![allow(clippy::unwrap_used)]

mod common;

use booking_aws::dynamo::DynamoSentLog;
use booking_core::{
    ids::ReservationId,
    notify::{MemorySentLog, NotificationEvent, SentLog},
};

async fn the_first_claim_of_a_pair_wins_and_the_next_is_refused(log: &dyn SentLog) {
    let r = ReservationId::new();
    assert!(log.claim(r, NotificationEvent::Confirmed).await.unwrap());
    assert!(!log.claim(r, NotificationEvent::Confirmed).await.unwrap());
}

async fn claims_of_other_events_or_reservations_are_independent(log: &dyn SentLog) {
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

async fn a_released_claim_can_be_claimed_again_once(log: &dyn SentLog) {
    // Given a claim whose email could not be sent, released
    let r = ReservationId::new();
    assert!(log.claim(r, NotificationEvent::Failed).await.unwrap());
    log.release(r, NotificationEvent::Failed).await.unwrap();

    // Then the redelivery claims it, and only once
    assert!(log.claim(r, NotificationEvent::Failed).await.unwrap());
    assert!(!log.claim(r, NotificationEvent::Failed).await.unwrap());
}

async fn releasing_an_unclaimed_pair_is_harmless(log: &dyn SentLog) {
    let r = ReservationId::new();
    log.release(r, NotificationEvent::Cancelled).await.unwrap();
    assert!(log.claim(r, NotificationEvent::Cancelled).await.unwrap());
}

async fn of_twenty_concurrent_claims_of_one_pair_exactly_one_wins(log: &dyn SentLog) {
    let r = ReservationId::new();
    let claims = (0..20)
        .map(|_| log.claim(r, NotificationEvent::Confirmed))
        .collect();
    let results = common::join_all(claims).await;
    let won = results
        .into_iter()
        .map(Result::unwrap)
        .filter(|w| *w)
        .count();
    assert_eq!(won, 1);
}

async fn suite(log: &dyn SentLog) {
    the_first_claim_of_a_pair_wins_and_the_next_is_refused(log).await;
    claims_of_other_events_or_reservations_are_independent(log).await;
    a_released_claim_can_be_claimed_again_once(log).await;
    releasing_an_unclaimed_pair_is_harmless(log).await;
    of_twenty_concurrent_claims_of_one_pair_exactly_one_wins(log).await;
}

#[tokio::test]
async fn memory() {
    suite(&MemorySentLog::default()).await;
}

#[tokio::test]
#[ignore = "needs the local cloud (moto): scripts/test runs it"]
async fn dynamodb() {
    suite(&DynamoSentLog::new(common::fresh_table().await)).await;
}
