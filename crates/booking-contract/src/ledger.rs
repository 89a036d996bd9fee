//! The contract of [`PaymentLedger`]: one entry per reservation and kind, whatever the
//! retries, and the entries read back by reservation and by time.

use booking_core::{
    ids::{ReservationId, ServiceId},
    money::Money,
    payment::{EntryKind, LedgerEntry, PaymentLedger},
};
use jiff::{SignedDuration, Timestamp};

use crate::{
    fixtures::{at, eur},
    join_all,
};

fn entry(reservation: ReservationId, kind: EntryKind, at: Timestamp, minor: i64) -> LedgerEntry {
    LedgerEntry {
        reservation_id: reservation,
        service_id: ServiceId::new(),
        kind,
        amount: Money {
            minor,
            currency: eur(),
        },
        gateway_reference: format!("ref_{}", ulid::Ulid::generate()),
        at,
    }
}

pub async fn recorded_entries_are_returned_and_listed_by_reservation(store: &dyn PaymentLedger) {
    // Given a charge and, later, its refund
    let r = ReservationId::new();
    let charge = entry(r, EntryKind::Charge, at("2026-11-28T10:00:00.5Z"), 2500);
    let refund = entry(r, EntryKind::Refund, at("2026-11-28T11:00:00Z"), 1250);

    // When both are recorded
    assert_eq!(store.record(&charge).await.unwrap(), charge);
    assert_eq!(
        store.entries(r).await.unwrap(),
        std::slice::from_ref(&charge)
    );
    assert_eq!(store.record(&refund).await.unwrap(), refund);

    // Then the reservation lists both, oldest first, and another lists nothing
    assert_eq!(store.entries(r).await.unwrap(), [charge, refund]);
    assert_eq!(store.entries(ReservationId::new()).await.unwrap(), []);
}

pub async fn a_second_record_of_the_same_kind_returns_the_first_entry_unchanged(
    store: &dyn PaymentLedger,
) {
    // Given a recorded charge
    let r = ReservationId::new();
    let first = entry(r, EntryKind::Charge, at("2026-11-28T10:00:00Z"), 2500);
    store.record(&first).await.unwrap();

    // When a retried step records another charge for the reservation
    let retry = entry(r, EntryKind::Charge, at("2026-11-28T10:00:05Z"), 9999);
    let stored = store.record(&retry).await.unwrap();

    // Then the first entry is returned and stays the only charge
    assert_eq!(stored, first);
    assert_eq!(store.entries(r).await.unwrap(), [first]);
}

pub async fn of_ten_concurrent_records_of_one_kind_one_is_stored_and_all_return_it(
    store: &dyn PaymentLedger,
) {
    // Given ten different charges for one reservation
    let r = ReservationId::new();
    let base = at("2026-11-28T10:00:00Z");
    let candidates: Vec<LedgerEntry> = (0..10)
        .map(|i| {
            let t = base + SignedDuration::from_millis(i);
            entry(r, EntryKind::Charge, t, 1000 + i)
        })
        .collect();

    // When they are all recorded at once
    let results = join_all(candidates.iter().map(|e| store.record(e)).collect()).await;

    // Then every call returns the same entry, one of the candidates, and it is the only one
    let results: Vec<LedgerEntry> = results.into_iter().map(Result::unwrap).collect();
    let winner = results[0].clone();
    assert!(results.iter().all(|e| *e == winner), "{results:?}");
    assert!(candidates.contains(&winner));
    assert_eq!(store.entries(r).await.unwrap(), [winner]);
}

pub async fn between_takes_entries_from_from_inclusive_to_to_exclusive_oldest_first(
    store: &dyn PaymentLedger,
) {
    // Given five entries (of five reservations) in a window no other scenario writes in,
    // two of them half a millisecond apart
    let times = [
        at("2031-03-01T10:00:00Z"),
        at("2031-03-01T10:00:01Z"),
        at("2031-03-01T10:00:02Z"),
        at("2031-03-01T10:00:02.0005Z"),
        at("2031-03-01T10:00:03Z"),
    ];
    let entries: Vec<LedgerEntry> = times
        .iter()
        .map(|t| entry(ReservationId::new(), EntryKind::Charge, *t, 2500))
        .collect();
    for e in &entries {
        store.record(e).await.unwrap();
    }

    // Then each window holds exactly the entries in [from, to), oldest first
    let between = |from: Timestamp, to: Timestamp| store.between(from, to);
    assert_eq!(between(times[0], times[4]).await.unwrap(), entries[..4]);
    assert_eq!(
        between(times[0], times[4] + SignedDuration::from_nanos(1))
            .await
            .unwrap(),
        entries
    );
    assert_eq!(between(times[1], times[2]).await.unwrap(), entries[1..2]);
    let quarter_ms = SignedDuration::from_micros(250);
    assert_eq!(
        between(times[2] + quarter_ms, times[4]).await.unwrap(),
        entries[3..4]
    );
    assert_eq!(between(times[2], times[3]).await.unwrap(), entries[2..3]);
    // And empty or reversed windows, or windows outside, hold nothing
    assert_eq!(between(times[1], times[1]).await.unwrap(), []);
    assert_eq!(between(times[4], times[0]).await.unwrap(), []);
    assert_eq!(
        between(at("2031-03-01T09:00:00Z"), times[0]).await.unwrap(),
        []
    );
}

pub async fn entries_of_returns_every_entry_of_the_reservations_asked_for(
    store: &dyn PaymentLedger,
) {
    // Given three reservations: one charged and refunded, one charged, one without entries,
    // and 60 more charged ones (more than one BatchGetItem takes)
    let (a, b, none) = (
        ReservationId::new(),
        ReservationId::new(),
        ReservationId::new(),
    );
    let t = at("2026-11-28T12:00:00Z");
    let a_charge = entry(a, EntryKind::Charge, t, 2500);
    let a_refund = entry(
        a,
        EntryKind::Refund,
        t + SignedDuration::from_secs(60),
        1000,
    );
    let b_charge = entry(b, EntryKind::Charge, t, 1200);
    for e in [&a_charge, &a_refund, &b_charge] {
        store.record(e).await.unwrap();
    }
    let many: Vec<LedgerEntry> = (0..60)
        .map(|i| entry(ReservationId::new(), EntryKind::Charge, t, 100 + i))
        .collect();
    for e in &many {
        store.record(e).await.unwrap();
    }

    // When their entries are asked for at once
    let sorted = |mut v: Vec<LedgerEntry>| {
        v.sort_by_key(|e| (e.reservation_id, e.at));
        v
    };
    let got = sorted(store.entries_of(&[a, none, b]).await.unwrap());

    // Then exactly theirs come back, whatever the order
    assert_eq!(
        got,
        sorted(vec![a_charge.clone(), a_refund.clone(), b_charge.clone()])
    );
    let ids: Vec<ReservationId> = many.iter().map(|e| e.reservation_id).collect();
    assert_eq!(sorted(store.entries_of(&ids).await.unwrap()), sorted(many));
    assert_eq!(store.entries_of(&[]).await.unwrap(), []);
    assert_eq!(store.entries_of(&[none]).await.unwrap(), []);
}
