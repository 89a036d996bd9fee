//! The contract of [`LoginAttempts`], run against the in-memory and the DynamoDB adapters
//! with identical expectations. Every scenario uses its own emails.
#![allow(clippy::unwrap_used)]

mod common;

use booking_aws::dynamo::DynamoLoginAttempts;
use booking_core::{memory::MemoryLoginAttempts, ports::LoginAttempts, user::Email};
use jiff::{SignedDuration, Timestamp};

fn unique_email(name: &str) -> Email {
    Email::parse(&format!("{name}.{}@example.com", ulid::Ulid::generate())).unwrap()
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

async fn failures_come_back_oldest_first_and_only_strictly_after_since(store: &dyn LoginAttempts) {
    // Given four failures, two of them half a millisecond apart
    let email = unique_email("ana");
    let times = [
        at("2026-11-28T10:00:00Z"),
        at("2026-11-28T10:00:01Z"),
        at("2026-11-28T10:00:02Z"),
        at("2026-11-28T10:00:02.0005Z"),
    ];
    for t in times {
        store.record_failure(&email, t).await.unwrap();
    }

    // Then each window holds exactly the failures strictly after its start, oldest first
    let since = |t: Timestamp| store.failures_since(&email, t);
    assert_eq!(since(at("2026-11-28T09:59:59Z")).await.unwrap(), times);
    assert_eq!(since(times[0]).await.unwrap(), times[1..]);
    assert_eq!(since(times[2]).await.unwrap(), times[3..]);
    assert_eq!(
        since(times[2] + SignedDuration::from_micros(499))
            .await
            .unwrap(),
        times[3..]
    );
    assert_eq!(since(times[3]).await.unwrap(), []);
    assert_eq!(since(at("2026-11-28T11:00:00Z")).await.unwrap(), []);
}

async fn an_email_without_failures_has_none(store: &dyn LoginAttempts) {
    let email = unique_email("clean");
    let failures = store
        .failures_since(&email, Timestamp::UNIX_EPOCH)
        .await
        .unwrap();
    assert_eq!(failures, []);
}

async fn failures_of_one_email_do_not_count_for_another(store: &dyn LoginAttempts) {
    // Given a failure for one email
    let (ana, bea) = (unique_email("ana"), unique_email("bea"));
    store
        .record_failure(&ana, at("2026-11-28T10:00:00Z"))
        .await
        .unwrap();

    // Then the other has none
    let since = at("2026-11-28T09:00:00Z");
    assert_eq!(store.failures_since(&bea, since).await.unwrap(), []);
    assert_eq!(store.failures_since(&ana, since).await.unwrap().len(), 1);
}

async fn clearing_forgets_every_failure_of_that_email_only(store: &dyn LoginAttempts) {
    // Given thirty failures of one email (more than one delete batch) and one of another
    let (ana, bea) = (unique_email("ana"), unique_email("bea"));
    let start = at("2026-11-28T10:00:00Z");
    for i in 0..30 {
        let t = start + SignedDuration::from_secs(i);
        store.record_failure(&ana, t).await.unwrap();
    }
    store.record_failure(&bea, start).await.unwrap();

    // When the first logs in successfully
    store.clear(&ana).await.unwrap();

    // Then her failures are gone, the other's stay, and new failures count again
    let since = at("2026-11-28T09:00:00Z");
    assert_eq!(store.failures_since(&ana, since).await.unwrap(), []);
    assert_eq!(store.failures_since(&bea, since).await.unwrap(), [start]);
    let later = at("2026-11-28T12:00:00Z");
    store.record_failure(&ana, later).await.unwrap();
    assert_eq!(store.failures_since(&ana, since).await.unwrap(), [later]);
}

async fn clearing_an_email_without_failures_is_harmless(store: &dyn LoginAttempts) {
    store.clear(&unique_email("none")).await.unwrap();
}

async fn suite(store: &dyn LoginAttempts) {
    failures_come_back_oldest_first_and_only_strictly_after_since(store).await;
    an_email_without_failures_has_none(store).await;
    failures_of_one_email_do_not_count_for_another(store).await;
    clearing_forgets_every_failure_of_that_email_only(store).await;
    clearing_an_email_without_failures_is_harmless(store).await;
}

#[tokio::test]
async fn memory() {
    suite(&MemoryLoginAttempts::default()).await;
}

#[tokio::test]
#[ignore = "needs the local cloud (moto): scripts/test runs it"]
async fn dynamodb() {
    suite(&DynamoLoginAttempts::new(common::fresh_table().await)).await;
}
