//! Holds: their claims, capacity, expiry and the per-customer limits.

use super::*;

pub async fn a_hold_creates_the_reservation_and_claims_each_of_its_units(store: &dyn Reservations) {
    // Given a reservation of three units
    let (customer, service) = (UserId::new(), ServiceId::new());
    let r = reservation(customer, service, 0, 3, now());

    // When it is held
    let outcome = store.hold(&r, 2, ROOMY).await.unwrap();

    // Then it is stored as given, and each of its units (and no other) has one claim
    assert_eq!(outcome, Held::Created(r.clone()));
    assert_eq!(store.get(r.id).await.unwrap(), Some(r.clone()));
    assert_eq!(
        claimed(store, service, unit(-4)..unit(8), now()).await,
        counts([(0, 1), (1, 1), (2, 1)])
    );
    // And other services and unknown ids know nothing of it
    assert_eq!(
        claimed(store, ServiceId::new(), unit(-4)..unit(8), now()).await,
        ClaimCounts::new()
    );
    assert_eq!(store.get(ReservationId::new()).await.unwrap(), None);
}

pub async fn a_second_hold_of_the_same_id_returns_the_stored_reservation(store: &dyn Reservations) {
    // Given a held reservation that fills its unit
    let r = a_hold(store, 0, 1, 1).await;
    let service = r.service_id;

    // When the same id is held again, with other details, at a later time
    let mut replay = reservation(UserId::new(), service, 4, 2, now() + mins(1));
    replay.id = r.id;
    let outcome = store.hold(&replay, 1, ROOMY).await.unwrap();

    // Then the stored reservation comes back, and nothing else was claimed
    assert_eq!(outcome, Held::Existing(r.clone()));
    assert_eq!(store.get(r.id).await.unwrap(), Some(r));
    assert_eq!(
        claimed(store, service, unit(0)..unit(8), now()).await,
        counts([(0, 1)])
    );
}

pub async fn a_unit_takes_as_many_live_holds_as_its_capacity(store: &dyn Reservations) {
    // Given two places per unit, and holds on units 0-1 and 1-2
    let service = ServiceId::new();
    let hold = |first, count| reservation(UserId::new(), service, first, count, now());
    held(store, &hold(0, 2), 2).await;
    held(store, &hold(1, 2), 2).await;

    // When a third hold needs the full unit 1, or units 0 and 2 where 2 is full after 2-3
    let on_full_unit = store.hold(&hold(1, 1), 2, ROOMY).await;
    held(store, &hold(2, 2), 2).await;
    let half_full = store.hold(&hold(0, 3), 2, ROOMY).await;

    // Then both are refused, all or nothing, and each unit has at most two claims
    assert_err!(on_full_unit, Error::SlotUnavailable);
    assert_err!(half_full, Error::SlotUnavailable);
    assert_eq!(
        claimed(store, service, unit(0)..unit(8), now()).await,
        counts([(0, 1), (1, 2), (2, 2), (3, 1)])
    );
}

pub async fn overlapping_holds_collide_only_on_their_shared_unit(store: &dyn Reservations) {
    // Given one place per unit and a hold on units 1, 2 and 3
    let service = ServiceId::new();
    let hold = |first, count| reservation(UserId::new(), service, first, count, now());
    held(store, &hold(1, 3), 1).await;

    // When holds on units 3-4 and then 4-5 come in
    let on_3_and_4 = store.hold(&hold(3, 2), 1, ROOMY).await;
    let on_4_and_5 = hold(4, 2);
    let second = store.hold(&on_4_and_5, 1, ROOMY).await.unwrap();

    // Then the first is refused without claiming unit 4, which the second gets
    assert_err!(on_3_and_4, Error::SlotUnavailable);
    assert_eq!(second, Held::Created(on_4_and_5));
    assert_eq!(
        claimed(store, service, unit(0)..unit(8), now()).await,
        counts([(1, 1), (2, 1), (3, 1), (4, 1), (5, 1)])
    );
}

pub async fn an_expired_hold_no_longer_counts(store: &dyn Reservations) {
    // Given one place per unit, held at `now` for five minutes
    let (customer, service) = (UserId::new(), ServiceId::new());
    let first = reservation(customer, service, 0, 1, now());
    held(store, &first, 1).await;

    // When another customer tries a moment before the hold lapses, and when it lapses
    let just_before = now() + HOLD - SignedDuration::from_millis(1);
    let early = reservation(UserId::new(), service, 0, 1, just_before);
    let early_outcome = store.hold(&early, 1, ROOMY).await;
    let lapsed_at = now() + HOLD;
    let late = reservation(UserId::new(), service, 0, 1, lapsed_at);
    let late_outcome = store.hold(&late, 1, ROOMY).await.unwrap();

    // Then only the second gets the place, and only its claim counts
    assert_err!(early_outcome, Error::SlotUnavailable);
    assert_eq!(late_outcome, Held::Created(late.clone()));
    assert_eq!(
        claimed(store, service, unit(0)..unit(1), lapsed_at).await,
        counts([(0, 1)])
    );
    // And the lapsed hold no longer counts against its customer's limit either
    let one_hold = HoldLimits {
        max_active_holds: 1,
        ..ROOMY
    };
    let elsewhere = reservation(customer, ServiceId::new(), 0, 1, now() + mins(1));
    assert_err!(
        store.hold(&elsewhere, 1, one_hold).await,
        Error::LimitExceeded(_)
    );
    let later = reservation(customer, ServiceId::new(), 0, 1, lapsed_at);
    held_under(store, &later, one_hold).await;
}

pub async fn holds_in_payment_are_limited_per_customer(store: &dyn Reservations) {
    // Given a limit of two holds in payment, and a customer with two
    let limits = HoldLimits {
        max_active_holds: 2,
        ..ROOMY
    };
    let customer = UserId::new();
    let mine = |k| reservation(customer, ServiceId::new(), k, 1, now());
    let (a, b, c) = (mine(0), mine(1), mine(2));
    for r in [&a, &b] {
        held_under(store, r, limits).await;
    }

    // When the customer holds a third, and another customer holds one
    let third = store.hold(&c, 1, limits).await;
    let other = reservation(UserId::new(), ServiceId::new(), 0, 1, now());
    let others = store.hold(&other, 1, limits).await.unwrap();

    // Then the third is refused with the limit's reason, and the other customer is not
    assert_eq!(
        limit_reason(third),
        "at most 2 bookings may be in payment at once"
    );
    assert_eq!(others, Held::Created(other));
    // And once a hold is released, the third fits
    store.release(a.id, None, now()).await.unwrap();
    held_under(store, &c, limits).await;
}

pub async fn upcoming_reservations_are_limited_per_customer(store: &dyn Reservations) {
    // Given a limit of one upcoming reservation, and a customer with one confirmed
    let limits = HoldLimits {
        max_upcoming: 1,
        ..ROOMY
    };
    let customer = a_booking(store, 0, 1, 1).await.customer_id;

    // When the customer holds another before and after the first one's start
    let before = reservation(customer, ServiceId::new(), 4, 1, now());
    let refused = store.hold(&before, 1, limits).await;
    let after_start = unit(0) + mins(1);
    let after = reservation(customer, ServiceId::new(), 4, 1, after_start);
    let accepted = store.hold(&after, 1, limits).await.unwrap();

    // Then only the second is accepted: a started reservation is no longer upcoming
    assert_eq!(
        limit_reason(refused),
        "at most 1 upcoming reservations per customer"
    );
    assert_eq!(accepted, Held::Created(after));

    // And a cancellation frees its place in the limit
    let booked = a_booking(store, 0, 1, 1).await;
    let next = reservation(booked.customer_id, ServiceId::new(), 2, 1, now());
    assert_err!(store.hold(&next, 1, limits).await, Error::LimitExceeded(_));
    store
        .cancel(booked.id, cancellation(2500, customer_actor()), now())
        .await
        .unwrap();
    held_under(store, &next, limits).await;
}
