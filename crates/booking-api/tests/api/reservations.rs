//! Handler tests of `/api/reservations`: booking and paying in one request, idempotent
//! replays, failures mapped to HTTP, owners-only reads and cancellation with refunds.

use crate::common::{Reply, World, assert_problem, assert_problem_type, strings};
use axum::http::{Method, StatusCode};
use booking_core::{notify::NotificationEvent, user::Role};
use jiff::SignedDuration;
use serde_json::json;

/// Monday 2026-11-30, 10:00 in Madrid; "now" is Saturday 11:00, 47 hours before.
const MONDAY_10: &str = "2026-11-30T10:00:00+01:00";

struct Shop {
    w: World,
    admin: String,
    service: String,
}

impl Shop {
    /// Opening hours every day and a 60-minute service (+30 buffer) with `capacity` places,
    /// full refund until 24 h before and 50 % after.
    async fn new(capacity: u32) -> Self {
        let (w, admin) = World::open().await;
        let service = w
            .service(
                &admin,
                json!({"name": "Massage", "durationMinutes": 60, "bufferMinutes": 30,
                    "priceMinor": 5000, "currency": "EUR", "capacity": capacity,
                    "cancellation": {"fullRefundHoursBefore": 24, "lateRefundPercent": 50}}),
            )
            .await;
        Shop { w, admin, service }
    }

    async fn customer(&self, email: &str) -> String {
        self.w.user(email, Role::Customer).await.1
    }

    /// A fresh token, for after the clock moved past the first one's expiry.
    async fn token(&self, email: &str) -> String {
        let r = self.w.login(email, "a long passphrase").await;
        r.body["token"].as_str().unwrap().to_owned()
    }

    async fn book(&self, token: &str, start: &str, pm: &str, key: &str) -> Reply {
        self.w.book(token, &self.service, start, pm, key).await
    }

    /// The places left at `local_time` (`HH:MM`) on Monday 2026-11-30, if it is offered.
    async fn remaining(&self, local_time: &str) -> Option<u64> {
        let slots = offered(&self.w, &self.service, "2026-11-30").await;
        slots
            .into_iter()
            .find(|(start, _)| start[11..16] == *local_time)
            .map(|(_, remaining)| remaining)
    }
}

#[tokio::test]
async fn booking_and_paying_answers_201_with_the_confirmed_reservation() {
    let shop = Shop::new(1).await;
    let ana = shop.customer("ana@example.com").await;
    let r = shop.book(&ana, MONDAY_10, "pm_card_visa", "key-1").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["status"], "CONFIRMED");
    assert_eq!(r.body["start"], MONDAY_10);
    assert_eq!(r.body["end"], "2026-11-30T11:00:00+01:00");
    assert_eq!(
        (r.body["amountMinor"].as_i64(), r.body["currency"].as_str()),
        (Some(5000), Some("EUR"))
    );
    assert!(
        r.body["payment"]["reference"]
            .as_str()
            .unwrap()
            .starts_with("ch_")
    );
    assert_eq!(r.body["payment"]["chargedMinor"], 5000);
    assert_eq!(r.body["id"].as_str().unwrap().len(), 26);
    assert_eq!(shop.remaining("10:00").await, None);
    assert_eq!(shop.w.queue.all()[0].event, NotificationEvent::Confirmed);
}

#[tokio::test]
async fn replaying_an_idempotency_key_returns_the_same_201_and_charges_once() {
    let shop = Shop::new(1).await;
    let ana = shop.customer("ana@example.com").await;
    let first = shop.book(&ana, MONDAY_10, "pm_card_visa", "key-1").await;
    let again = shop.book(&ana, MONDAY_10, "pm_card_visa", "key-1").await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body, first.body);
    let ledger = shop
        .w
        .state
        .reservations
        .ledger
        .between(jiff::Timestamp::MIN, jiff::Timestamp::MAX);
    assert_eq!(ledger.await.unwrap().len(), 1);
    // The same key with another body is refused and changes nothing
    let other = shop
        .book(&ana, "2026-11-30T14:00:00+01:00", "pm_card_visa", "key-1")
        .await;
    assert_problem(&other, StatusCode::UNPROCESSABLE_ENTITY, None);
    assert_eq!(shop.remaining("14:00").await, Some(1));
}

#[tokio::test]
async fn a_taken_slot_is_409() {
    let shop = Shop::new(1).await;
    let ana = shop.customer("ana@example.com").await;
    let bob = shop.customer("bob@example.com").await;
    assert_eq!(
        shop.book(&ana, MONDAY_10, "pm_card_visa", "a").await.status,
        StatusCode::CREATED
    );
    let r = shop.book(&bob, MONDAY_10, "pm_card_visa", "b").await;
    assert_problem_type(&r, StatusCode::CONFLICT, "slot-unavailable");
    // A start whose buffer overlaps the booking is taken too
    let overlap = shop
        .book(&bob, "2026-11-30T09:30:00+01:00", "pm_card_visa", "c")
        .await;
    assert_problem(&overlap, StatusCode::CONFLICT, None);
}

#[tokio::test]
async fn a_declined_card_is_402_frees_the_slot_and_sends_a_failure_notice() {
    let shop = Shop::new(1).await;
    let ana = shop.customer("ana@example.com").await;
    let r = shop
        .book(&ana, MONDAY_10, "pm_card_chargeDeclined", "k")
        .await;
    assert_problem(&r, StatusCode::PAYMENT_REQUIRED, None);
    assert_eq!(shop.remaining("10:00").await, Some(1));
    assert_eq!(shop.w.queue.all()[0].event, NotificationEvent::Failed);
    // Replaying the key answers the same without a second notice
    let again = shop
        .book(&ana, MONDAY_10, "pm_card_chargeDeclined", "k")
        .await;
    assert_eq!(again.body, r.body);
    assert_eq!(shop.w.queue.all().len(), 1);
}

#[tokio::test]
async fn a_processing_error_that_outlasts_the_retries_is_503_and_releases_the_slot() {
    let shop = Shop::new(1).await;
    let ana = shop.customer("ana@example.com").await;
    let r = shop
        .book(&ana, MONDAY_10, "pm_card_processingError", "k")
        .await;
    assert_problem(&r, StatusCode::SERVICE_UNAVAILABLE, None);
    assert!(r.headers.contains_key("retry-after"));
    assert_eq!(shop.remaining("10:00").await, Some(1));
}

#[tokio::test]
async fn bad_requests_are_400_and_rule_violations_422_and_neither_holds_anything() {
    let shop = Shop::new(1).await;
    let ana = shop.customer("ana@example.com").await;
    let r = shop.book(&ana, MONDAY_10, "4242424242424242", "k1").await;
    assert_problem(&r, StatusCode::BAD_REQUEST, Some("paymentMethod"));
    let r = shop.book(&ana, "monday at ten", "pm_card_visa", "k2").await;
    assert_problem(&r, StatusCode::BAD_REQUEST, Some("start"));
    let r = shop
        .book(&ana, "2026-11-30T10:00:00", "pm_card_visa", "k2b")
        .await;
    assert_problem(&r, StatusCode::BAD_REQUEST, Some("start"));
    for (start, why) in [
        ("2026-11-30T13:30:00+01:00", "opening hours"),
        ("2026-11-30T10:10:00+01:00", "slot grid"),
        ("2026-11-27T10:00:00+01:00", "past"),
        ("2027-06-01T10:00:00+02:00", "days ahead"),
    ] {
        let r = shop.book(&ana, start, "pm_card_visa", start).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, Some("start"));
        assert!(
            r.body["errors"][0]["reason"]
                .as_str()
                .unwrap()
                .contains(why),
            "{}",
            r.body
        );
    }
    let ghost = shop
        .w
        .book(
            &ana,
            &booking_core::ids::ServiceId::new().to_string(),
            MONDAY_10,
            "pm_card_visa",
            "k3",
        )
        .await;
    assert_problem(&ghost, StatusCode::UNPROCESSABLE_ENTITY, Some("serviceId"));
    assert_eq!(shop.remaining("10:00").await, Some(1));
    assert!(shop.w.queue.all().is_empty());
}

#[tokio::test]
async fn an_offset_beyond_23_59_is_400_naming_start_and_books_nothing() {
    // Given a free Monday 10:00 in Madrid (09:00 UTC)
    let shop = Shop::new(1).await;
    let ana = shop.customer("ana@example.com").await;
    // When it is asked for as Tuesday 10:00 at +25:00, the same instant by jiff's reading
    let r = shop
        .book(&ana, "2026-12-01T10:00:00+25:00", "pm_card_visa", "k1")
        .await;
    // Then that is a 400 on `start`, and nothing was held, charged or sent
    assert_problem(&r, StatusCode::BAD_REQUEST, Some("start"));
    assert!(
        r.body["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("+23:59"),
        "{}",
        r.body
    );
    assert_eq!(shop.remaining("10:00").await, Some(1));
    let mine = shop.w.get(&ana, "/api/reservations").await;
    assert_eq!(mine.body["items"], json!([]), "{}", mine.body);
    assert!(shop.w.queue.all().is_empty());
    // And the list's bounds are read by the same rule
    let bad = [
        ("from=2026-12-01T10:00:00%2B25:00", "from"),
        ("to=2026-12-01T10:00:00-24:00", "to"),
    ];
    shop.w
        .assert_bad_queries(&ana, "/api/reservations?", &bad)
        .await;
}

#[tokio::test]
async fn the_idempotency_key_is_required_and_bounded() {
    let shop = Shop::new(1).await;
    let ana = shop.customer("ana@example.com").await;
    let body =
        json!({"serviceId": shop.service, "start": MONDAY_10, "paymentMethod": "pm_card_visa"});
    let r = shop
        .w
        .call(Method::POST, "/api/reservations", Some(&ana), Some(body))
        .await;
    assert_problem(&r, StatusCode::BAD_REQUEST, Some("Idempotency-Key"));
    let r = shop
        .book(&ana, MONDAY_10, "pm_card_visa", &"k".repeat(256))
        .await;
    assert_problem(&r, StatusCode::BAD_REQUEST, Some("Idempotency-Key"));
    let anonymous = shop
        .w
        .call(Method::POST, "/api/reservations", None, None)
        .await;
    assert_problem(&anonymous, StatusCode::UNAUTHORIZED, None);
}

#[tokio::test]
async fn customers_see_only_their_own_reservations() {
    let shop = Shop::new(2).await;
    let ana = shop.customer("ana@example.com").await;
    let bob = shop.customer("bob@example.com").await;
    let a = shop.book(&ana, MONDAY_10, "pm_card_visa", "a").await;
    let b = shop.book(&bob, MONDAY_10, "pm_card_visa", "b").await;
    let (a_id, b_id) = (
        a.body["id"].as_str().unwrap(),
        b.body["id"].as_str().unwrap(),
    );

    let mine = shop.w.get(&ana, "/api/reservations").await;
    assert_eq!(strings(&mine.body["items"], "id"), [a_id]);
    let theirs = shop.w.get(&ana, &format!("/api/reservations/{b_id}")).await;
    assert_problem(&theirs, StatusCode::NOT_FOUND, None);
    let cancel = shop.w.cancel(&ana, b_id).await;
    assert_problem(&cancel, StatusCode::NOT_FOUND, None);

    let all = shop
        .w
        .get(&shop.admin, "/api/reservations?status=CONFIRMED&limit=1")
        .await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 1);
    let cursor = all.body["nextCursor"].as_str().unwrap();
    let next = shop
        .w
        .get(
            &shop.admin,
            &format!("/api/reservations?status=CONFIRMED&limit=1&cursor={cursor}"),
        )
        .await;
    assert_eq!(next.body["items"].as_array().unwrap().len(), 1);
    assert_ne!(next.body["items"][0]["id"], all.body["items"][0]["id"]);
    assert_eq!(next.body["nextCursor"], serde_json::Value::Null);
    let (_, staff) = shop.w.user("staff@example.com", Role::Staff).await;
    let seen = shop
        .w
        .get(&staff, &format!("/api/reservations/{b_id}"))
        .await;
    assert_eq!(seen.status, StatusCode::OK);

    for bad in [
        "status=confirmed",
        "limit=101",
        "from=yesterday",
        "cursor=x",
        "serviceId=1",
    ] {
        let r = shop
            .w
            .get(&shop.admin, &format!("/api/reservations?{bad}"))
            .await;
        assert_problem(&r, StatusCode::BAD_REQUEST, None);
    }
}

#[tokio::test]
async fn cancelling_refunds_by_policy_frees_the_slot_and_is_idempotent() {
    let shop = Shop::new(1).await;
    let ana = shop.customer("ana@example.com").await;
    let booked = shop.book(&ana, MONDAY_10, "pm_card_visa", "k").await;
    let id = booked.body["id"].as_str().unwrap();
    // 47 hours before: full refund
    let r = shop.w.cancel(&ana, id).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "CANCELLED");
    assert_eq!(r.body["refund"]["amountMinor"], 5000);
    assert!(
        r.body["refund"]["reference"]
            .as_str()
            .unwrap()
            .starts_with("re_")
    );
    assert_eq!(shop.remaining("10:00").await, Some(1));
    let again = shop.w.cancel(&ana, id).await;
    assert_eq!(again.body, r.body);
    let events: Vec<_> = shop.w.queue.all().iter().map(|n| n.event).collect();
    assert_eq!(events[0], NotificationEvent::Confirmed);
    assert_eq!(events[1], NotificationEvent::Cancelled);

    // Late (inside 24 h): half back
    let late = shop.book(&ana, MONDAY_10, "pm_card_visa", "k2").await;
    shop.w.clock.advance(SignedDuration::from_hours(30));
    let ana = shop.token("ana@example.com").await;
    let r = shop.w.cancel(&ana, late.body["id"].as_str().unwrap()).await;
    assert_eq!(r.body["refund"]["amountMinor"], 2500, "{}", r.body);
}

#[tokio::test]
async fn a_started_or_failed_reservation_cannot_be_cancelled() {
    let shop = Shop::new(1).await;
    let ana = shop.customer("ana@example.com").await;
    let failed = shop
        .book(&ana, MONDAY_10, "pm_card_chargeDeclined", "k1")
        .await;
    assert_eq!(failed.status, StatusCode::PAYMENT_REQUIRED);
    let booked = shop.book(&ana, MONDAY_10, "pm_card_visa", "k2").await;
    shop.w.clock.advance(SignedDuration::from_hours(48));
    let ana = shop.token("ana@example.com").await;
    let r = shop
        .w
        .cancel(&ana, booked.body["id"].as_str().unwrap())
        .await;
    assert_problem_type(&r, StatusCode::CONFLICT, "not-cancellable");
}

#[tokio::test]
async fn both_passes_of_the_repeated_autumn_hour_are_bookable_and_different_slots() {
    // Given Madrid open on Sundays 01:00-04:00, across the hour 2027-10-31 repeats, and a
    // 30-minute service with one place
    let w = World::new();
    let admin = w.admin().await;
    w.put_settings(
        &admin,
        json!({"timeZone": "Europe/Madrid", "slotMinutes": 30,
            "weeklyHours": {"sun": [{"open": "01:00", "close": "04:00"}]}}),
    )
    .await;
    let service = w
        .service(
            &admin,
            json!({"name": "Night shift", "durationMinutes": 30, "priceMinor": 2000,
                "currency": "EUR", "capacity": 1, "maxAdvanceDays": 730}),
        )
        .await;
    let free = || async {
        let slots = offered(&w, &service, "2027-10-31").await;
        slots
            .into_iter()
            .map(|(start, _)| start)
            .collect::<Vec<_>>()
    };
    // Then the four real hours offer eight starts, 02:00 and 02:30 with each offset
    let before = free().await;
    assert_eq!(before.len(), 8, "{before:?}");
    let first = "2027-10-31T02:30:00+02:00";
    let second = "2027-10-31T02:30:00+01:00";
    assert!(before.iter().any(|s| s == first) && before.iter().any(|s| s == second));
    // When Ana books 02:30 after the clocks went back
    let ana = w.user("ana@example.com", Role::Customer).await.1;
    let r = w.book(&ana, &service, second, "pm_card_visa", "a").await;
    // Then it is confirmed at that instant, and the first 02:30 is still free
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["status"], "CONFIRMED");
    assert_eq!(r.body["start"], second);
    assert_eq!(r.body["end"], "2027-10-31T03:00:00+01:00");
    let after_one = free().await;
    assert!(!after_one.iter().any(|s| s == second), "{after_one:?}");
    assert!(after_one.iter().any(|s| s == first), "{after_one:?}");
    // And Bob books the first 02:30 on the same one-place service
    let bob = w.user("bob@example.com", Role::Customer).await.1;
    let r = w.book(&bob, &service, first, "pm_card_visa", "b").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["start"], first);
    assert_eq!(r.body["end"], "2027-10-31T02:00:00+01:00");
    assert_eq!(free().await.len(), 6);
}

/// Madrid open 09:00-18:00 every day on a `slot`-minute grid, and a service of `duration`
/// minutes (no buffer) with two places; returns the world, the admin and the service.
async fn two_places(slot: u16, duration: u32) -> (World, String, String) {
    let w = World::new();
    let admin = w.admin().await;
    put_hours(&w, &admin, "Europe/Madrid", slot).await;
    let service = w
        .service(
            &admin,
            json!({"name": "Class", "durationMinutes": duration, "priceMinor": 2000,
                "currency": "EUR", "capacity": 2}),
        )
        .await;
    (w, admin, service)
}

async fn put_hours(w: &World, admin: &str, zone: &str, slot: u16) {
    let day = json!([{"open": "09:00", "close": "18:00"}]);
    w.put_settings(
        admin,
        json!({"timeZone": zone, "slotMinutes": slot, "weeklyHours": {
            "mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day
        }}),
    )
    .await;
}

/// The starts availability offers on `day`, with their places left.
async fn offered(w: &World, service: &str, day: &str) -> Vec<(String, u64)> {
    let uri = format!("/api/services/{service}/availability?from={day}&to={day}");
    let r = w.call(Method::GET, &uri, None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let start = s["start"].as_str().unwrap().to_owned();
            (start, s["remaining"].as_u64().unwrap())
        })
        .collect()
}

/// Two customers take both places of `service` on Monday at 10:00.
async fn fill_at_monday_10(w: &World, service: &str) {
    for (email, key) in [("ana@example.com", "a"), ("bob@example.com", "b")] {
        let token = w.user(email, Role::Customer).await.1;
        w.booked(&token, service, MONDAY_10, key).await;
    }
}

/// A third customer asks for `start`.
async fn third_customer_books(w: &World, service: &str, start: &str) -> Reply {
    let carla = w.user("carla@example.com", Role::Customer).await.1;
    w.book(&carla, service, start, "pm_card_visa", "c").await
}

/// A change of the business's grid or zone after a slot filled up: the full places must
/// stay full on the new grid.
struct Regrid {
    case: &'static str,
    /// The grid, then the class's length, before the change, in minutes.
    slot: u16,
    duration: u32,
    /// The hours' zone and grid after the change.
    zone: &'static str,
    new_slot: u16,
    /// What the third customer asks for, in the new zone.
    asked: &'static str,
    /// The new zone's offset, the starts that overlap the two taken places (not offered)
    /// and the starts on either side (offered in full).
    offset: &'static str,
    overlapping: &'static [&'static str],
    either_side: (&'static str, &'static str),
}

#[tokio::test]
async fn a_finer_grid_or_a_zone_change_off_the_grid_does_not_reopen_a_full_slot() {
    let cases = [
        // A 15-minute class on a 15-minute grid, moved to a 5-minute grid: 10:05-10:20
        // overlaps the two from 10:00 to 10:15
        Regrid {
            case: "finer grid",
            slot: 15,
            duration: 15,
            zone: "Europe/Madrid",
            new_slot: 5,
            asked: "2026-11-30T10:05:00+01:00",
            offset: "+01:00",
            overlapping: &["09:50", "09:55", "10:00", "10:05", "10:10"],
            either_side: ("09:45", "10:15"),
        },
        // An hour-long class on a 30-minute grid in Madrid (10:00 is 09:00-10:00 UTC), moved
        // to Kathmandu (+05:45, 4:45 ahead: off the 30-minute grid), open 09:00-18:00 there:
        // 15:00 is 09:15-10:15 UTC
        Regrid {
            case: "zone change off the grid",
            slot: 30,
            duration: 60,
            zone: "Asia/Kathmandu",
            new_slot: 30,
            asked: "2026-11-30T15:00:00+05:45",
            offset: "+05:45",
            overlapping: &["14:00", "14:30", "15:00", "15:30"],
            either_side: ("13:30", "16:00"),
        },
    ];
    for c in cases {
        // Given a class with two places, both taken on Monday at 10:00 in Madrid
        let (w, admin, service) = two_places(c.slot, c.duration).await;
        fill_at_monday_10(&w, &service).await;

        // When the admin changes the hours and a third customer asks for a start that
        // overlaps the taken ones
        put_hours(&w, &admin, c.zone, c.new_slot).await;
        let r = third_customer_books(&w, &service, c.asked).await;

        // Then that is 409 slot-unavailable
        assert_problem(&r, StatusCode::CONFLICT, None);
        assert_eq!(
            r.body["type"], "/problems/slot-unavailable",
            "{}: {}",
            c.case, r.body
        );
        // And availability offers nothing that overlaps them, and the starts around them in
        // full
        let slots = offered(&w, &service, "2026-11-30").await;
        let at = |t: &str| {
            let start = format!("2026-11-30T{t}:00{}", c.offset);
            slots.iter().find(|(s, _)| *s == start).map(|(_, n)| *n)
        };
        for t in c.overlapping {
            assert_eq!(at(t), None, "{}: {t} is offered: {slots:?}", c.case);
        }
        let (before, after) = c.either_side;
        assert_eq!(
            (at(before), at(after)),
            (Some(2), Some(2)),
            "{}: {slots:?}",
            c.case
        );
    }
}
