//! Listings and claim counts, and the largest reservation a service claims.

use super::*;

pub async fn listings_are_ordered_filtered_and_paged_to_the_end(store: &dyn Reservations) {
    // Given reservations of two customers on two services, three of them at the same start,
    // in every status a store produces
    let (c1, c2) = (UserId::new(), UserId::new());
    let (s1, s2) = (ServiceId::new(), ServiceId::new());
    let specs = [
        (c1, s1, 0),
        (c2, s1, 0),
        (c1, s2, 0),
        (c1, s1, 2),
        (c2, s2, 3),
        (c1, s2, 4),
        (c2, s1, 5),
        (c1, s1, 6),
        (c1, s1, 8),
    ];
    let mut ids = Vec::new();
    for (customer, service, first) in specs {
        let r = reservation(customer, service, first, 1, now());
        held(store, &r, 10).await;
        ids.push(r.id);
    }
    for i in [3, 5, 8] {
        store.confirm(ids[i], now()).await.unwrap();
    }
    store.release(ids[4], None, now()).await.unwrap();
    store
        .cancel(ids[5], cancellation(0, customer_actor()), now())
        .await
        .unwrap();
    let mut all = Vec::new();
    for id in &ids {
        all.push(store.get(*id).await.unwrap().unwrap());
    }
    all.sort_by_key(|r| (r.start, r.id));

    // When each filter is listed page by page, with several page sizes
    let filters = [
        ReservationFilter::default(),
        ReservationFilter {
            customer: Some(c1),
            ..Default::default()
        },
        ReservationFilter {
            service: Some(s1),
            ..Default::default()
        },
        ReservationFilter {
            customer: Some(c1),
            service: Some(s1),
            ..Default::default()
        },
        ReservationFilter {
            status: Some(Status::Confirmed),
            ..Default::default()
        },
        ReservationFilter {
            customer: Some(c1),
            status: Some(Status::PendingPayment),
            ..Default::default()
        },
        ReservationFilter {
            service: Some(s2),
            status: Some(Status::Cancelled),
            ..Default::default()
        },
        ReservationFilter {
            from: Some(unit(2)),
            ..Default::default()
        },
        ReservationFilter {
            to: Some(unit(5)),
            ..Default::default()
        },
        ReservationFilter {
            customer: Some(c1),
            from: Some(unit(0) + SignedDuration::from_millis(1)),
            to: Some(unit(6)),
            ..Default::default()
        },
        ReservationFilter {
            service: Some(s1),
            from: Some(unit(5)),
            to: Some(unit(9)),
            ..Default::default()
        },
        ReservationFilter {
            from: Some(unit(6)),
            to: Some(unit(6)),
            ..Default::default()
        },
        ReservationFilter {
            customer: Some(UserId::new()),
            ..Default::default()
        },
    ];
    for filter in &filters {
        let expected: Vec<&Reservation> = all
            .iter()
            .filter(|r| filter.customer.is_none_or(|c| r.customer_id == c))
            .filter(|r| filter.service.is_none_or(|s| r.service_id == s))
            .filter(|r| filter.status.is_none_or(|s| r.status == s))
            .filter(|r| filter.from.is_none_or(|t| r.start >= t))
            .filter(|r| filter.to.is_none_or(|t| r.start < t))
            .collect();
        for limit in [1, 2, 3, 100] {
            let mut seen = Vec::new();
            let mut after = None;
            loop {
                let page = store.list(filter, after, limit).await.unwrap();
                assert!(page.items.len() <= limit);
                seen.extend(page.items.clone());
                match page.next {
                    // Then every page but the last is full and says where the next begins
                    Some(next) => {
                        assert_eq!(page.items.len(), limit, "{filter:?}");
                        after = Some(ReservationCursor::decode(&next).unwrap());
                    }
                    None => break,
                }
            }
            // And together the pages hold exactly the matches, in order, once each
            let seen: Vec<&Reservation> = seen.iter().collect();
            assert_eq!(seen, expected, "{filter:?}, {limit} per page");
        }
    }
    // And a cursor before `from` resumes at `from`, a cursor past `to` finds nothing, and a
    // page of none says nothing about more
    let from_unit_4 = ReservationFilter {
        from: Some(unit(4)),
        ..Default::default()
    };
    let first = ReservationCursor::of(&all[0]);
    let page = store.list(&from_unit_4, Some(first), 100).await.unwrap();
    let starts: Vec<Timestamp> = page.items.iter().map(|r| r.start).collect();
    assert_eq!(starts, [unit(4), unit(5), unit(6), unit(8)]);
    let to_unit_6 = ReservationFilter {
        to: Some(unit(6)),
        ..Default::default()
    };
    let last = ReservationCursor::of(&all[8]);
    let page = store.list(&to_unit_6, Some(last), 100).await.unwrap();
    assert_eq!(page.items, []);
    let none = store
        .list(&ReservationFilter::default(), None, 0)
        .await
        .unwrap();
    assert_eq!((none.items.len(), none.next), (0, None));
}

pub async fn claim_counts_show_the_live_claims_in_the_window_only(store: &dyn Reservations) {
    // Given, on one service: a hold on units 0-1 (until 9 minutes from now), a confirmed
    // reservation on 1-2, a released one on 2, a hold on 3 (until 13 minutes from now); and
    // a hold on unit 1 of another service
    let service = ServiceId::new();
    let pending = reservation(UserId::new(), service, 0, 2, now() + mins(4));
    let confirmed = reservation(UserId::new(), service, 1, 2, now());
    let released = reservation(UserId::new(), service, 2, 1, now());
    let later = reservation(UserId::new(), service, 3, 1, now() + mins(8));
    held(store, &pending, 5).await;
    held(store, &confirmed, 5).await;
    held(store, &released, 5).await;
    held(store, &later, 5).await;
    held(
        store,
        &reservation(UserId::new(), ServiceId::new(), 1, 1, now()),
        5,
    )
    .await;
    store.confirm(confirmed.id, now()).await.unwrap();
    store.release(released.id, None, now()).await.unwrap();

    // When the claims are read for windows and times, then each window counts the claims
    // that count at that time, and omits free units
    let t = now() + mins(8);
    let (lapsed, all_lapsed) = (now() + mins(10), now() + mins(13));
    for (units, at, expected) in [
        (
            unit(0)..unit(4),
            t,
            counts([(0, 1), (1, 2), (2, 1), (3, 1)]),
        ),
        (unit(1)..unit(2), t, counts([(1, 2)])),
        (
            unit(0) + SignedDuration::from_nanos(1)..unit(3),
            t,
            counts([(1, 2), (2, 1)]),
        ),
        (unit(1)..unit(1), t, ClaimCounts::new()),
        (unit(4)..unit(0), t, ClaimCounts::new()),
        // And once the first hold lapses, only the others count
        (unit(0)..unit(4), lapsed, counts([(1, 1), (2, 1), (3, 1)])),
        (unit(0)..unit(4), all_lapsed, counts([(1, 1), (2, 1)])),
    ] {
        let got = claimed(store, service, units.clone(), at).await;
        assert_eq!(got, expected, "{units:?} at {at}");
    }
}

pub async fn a_reservation_of_the_most_units_a_service_claims_is_held_and_confirmed(
    store: &dyn Reservations,
) {
    // Given a reservation of as many units as the longest service claims
    let service = ServiceId::new();
    let most = reservation(UserId::new(), service, 0, MOST, now());

    // When it is held and confirmed
    let outcome = store.hold(&most, 1, ROOMY).await.unwrap();
    let confirmed = store.confirm(most.id, now()).await.unwrap();

    // Then every unit is claimed
    assert_eq!(outcome, Held::Created(most));
    assert_eq!(confirmed.status, Status::Confirmed);
    let claimed = claimed(store, service, unit(0)..unit(200), now()).await;
    assert_eq!(claimed.len(), MAX_CLAIM_UNITS);
    assert!(claimed.values().all(|c| *c == 1));
}
