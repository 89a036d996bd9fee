//! Handler tests of the reports (`/api/reports/*`), a customer's history and the visit
//! outcomes: figures that add up to the ledger to the cent, CSV that a spreadsheet reads,
//! and the role checks.

use std::collections::BTreeMap;

use crate::common::{World, assert_problem};
use axum::http::{Method, StatusCode, header};
use booking_core::{payment::EntryKind, ports::ReservationFilter, reservation::Status, user::Role};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

const PASSWORD: &str = "a long passphrase";
/// Covers every start the tests book (now is 2026-11-28 11:00 in Madrid).
const WHOLE: &str = "from=2026-11-28&to=2026-12-31";

/// A small deterministic generator (xorshift64*), so a failing mix can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

struct Shop {
    w: World,
    admin: String,
    /// (id, capacity, minutes)
    services: Vec<(String, u64, i64)>,
}

impl Shop {
    /// Open 09-13 and 14-18 every day (30-minute slots, Madrid); three services in two
    /// currencies.
    async fn new() -> Self {
        let (w, admin) = World::open().await;
        let mut services = Vec::new();
        for (body, capacity, minutes) in [
            (
                json!({"name": "Massage", "durationMinutes": 60, "bufferMinutes": 30,
                    "priceMinor": 5000, "currency": "EUR", "capacity": 2,
                    "cancellation": {"fullRefundHoursBefore": 48, "lateRefundPercent": 50}}),
                2,
                60,
            ),
            (
                json!({"name": "Nails", "durationMinutes": 30, "priceMinor": 1999,
                    "currency": "EUR", "cancellation": {"fullRefundHoursBefore": 72,
                    "lateRefundPercent": 33}}),
                1,
                30,
            ),
            (
                json!({"name": "Yoga", "durationMinutes": 60, "priceMinor": 1500,
                    "currency": "USD", "capacity": 3}),
                3,
                60,
            ),
        ] {
            services.push((w.service(&admin, body).await, capacity, minutes));
        }
        Shop { w, admin, services }
    }

    async fn token(&self, email: &str) -> String {
        let r = self.w.login(email, PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["token"].as_str().unwrap().to_owned()
    }
}

/// Every ledger entry there is, by service id.
async fn ledger_by_service(w: &World) -> BTreeMap<String, Vec<(EntryKind, i64, String)>> {
    let all = w
        .state
        .services
        .ledger
        .between(
            Timestamp::UNIX_EPOCH,
            "2100-01-01T00:00:00Z".parse().unwrap(),
        )
        .await
        .unwrap();
    let mut out: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for e in all {
        out.entry(e.service_id.to_string()).or_default().push((
            e.kind,
            e.amount.minor,
            e.amount.currency.code().to_owned(),
        ));
    }
    out
}

fn money(fig: &Value, currency: &str) -> (i64, i64, i64) {
    let rev = fig["revenue"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["currency"] == currency);
    rev.map_or((0, 0, 0), |r| {
        (
            r["grossMinor"].as_i64().unwrap(),
            r["refundsMinor"].as_i64().unwrap(),
            r["netMinor"].as_i64().unwrap(),
        )
    })
}

#[tokio::test]
async fn a_random_mix_of_bookings_and_cancellations_adds_up_to_the_ledger_to_the_cent() {
    for seed in [0x9E37_79B9_7F4A_7C15_u64, 42, 2026] {
        let shop = Shop::new().await;
        let mut rng = Rng(seed);
        let mut customers = Vec::new();
        for i in 0..6 {
            let email = format!("c{i}@example.com");
            shop.w.user(&email, Role::Customer).await;
            customers.push(email);
        }

        // Given forty operations: bookings on random services, days and times with mostly
        // good cards, cancellations by customers (refunds by policy) and by the admin (in
        // full), and the clock moving on between them
        // Tokens live an hour and the clock moves on: every call logs in afresh.
        let mut booked: Vec<(String, String)> = Vec::new(); // (reservation id, email)
        for op in 0..40 {
            match rng.below(10) {
                0..=6 => {
                    let (service, _, _) = &shop.services[rng.below(3) as usize];
                    let day = 1 + rng.below(9);
                    let minute = [9 * 60, 10 * 60, 11 * 60, 14 * 60, 15 * 60, 16 * 60 + 30]
                        [rng.below(6) as usize];
                    let start = format!(
                        "2026-12-{day:02}T{:02}:{:02}:00+01:00",
                        minute / 60,
                        minute % 60
                    );
                    let pm = match rng.below(10) {
                        0 => "pm_card_chargeDeclined",
                        1 => "pm_card_processingError",
                        _ => "pm_card_visa",
                    };
                    let who = &customers[rng.below(customers.len() as u64) as usize];
                    let token = shop.token(who).await;
                    let r = shop
                        .w
                        .book(&token, service, &start, pm, &format!("k{seed}-{op}"))
                        .await;
                    if r.status == StatusCode::CREATED {
                        booked.push((r.body["id"].as_str().unwrap().to_owned(), who.clone()));
                    } else {
                        assert!(
                            [402, 409, 422, 429, 503].contains(&r.status.as_u16()),
                            "{}",
                            r.body
                        );
                    }
                }
                7 | 8 if !booked.is_empty() => {
                    let (id, email) = booked.swap_remove(rng.below(booked.len() as u64) as usize);
                    let who = if rng.below(3) == 0 {
                        "admin@example.com"
                    } else {
                        &email
                    };
                    let token = shop.token(who).await;
                    let r = shop.w.cancel(&token, &id).await;
                    // Nobody cancels once the start has passed
                    if r.status != StatusCode::OK {
                        assert_problem(&r, StatusCode::CONFLICT, None);
                        booked.push((id, email));
                    }
                }
                _ => shop.w.clock.advance(SignedDuration::from_mins(
                    i64::try_from(rng.below(36 * 60)).unwrap(),
                )),
            }
        }
        // And, once every start has passed, some visits marked COMPLETED or NO_SHOW
        shop.w.clock.advance(SignedDuration::from_hours(24 * 40));
        let admin = shop.token("admin@example.com").await;
        for (i, (id, _)) in booked.iter().enumerate() {
            let action = ["complete", "no-show", "leave"][i % 3];
            if action != "leave" {
                let r = shop
                    .w
                    .post(&admin, &format!("/api/reservations/{id}/{action}"))
                    .await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            }
        }

        // When the admin reads the summary of a period holding every start
        let r = shop
            .w
            .get(&admin, &format!("/api/reports/summary?{WHOLE}"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let s = &r.body;

        // Then each service's money equals what the ledger recorded for it, to the cent
        let ledger = ledger_by_service(&shop.w).await;
        let services = s["services"].as_array().unwrap();
        assert_eq!(services.len(), 3, "{s}");
        for svc in services {
            let id = svc["serviceId"].as_str().unwrap();
            let entries = ledger.get(id).cloned().unwrap_or_default();
            for currency in ["EUR", "USD"] {
                let sum = |kind| {
                    entries
                        .iter()
                        .filter(|(k, _, c)| *k == kind && c == currency)
                        .map(|(_, m, _)| m)
                        .sum::<i64>()
                };
                let (gross, refunds) = (sum(EntryKind::Charge), sum(EntryKind::Refund));
                assert_eq!(
                    money(svc, currency),
                    (gross, refunds, gross - refunds),
                    "seed {seed}, {currency}, {svc}"
                );
            }
        }
        // And the totals are the ledger's, per currency
        let all: Vec<_> = ledger.values().flatten().collect();
        for currency in ["EUR", "USD"] {
            let sum = |kind| {
                all.iter()
                    .filter(|(k, _, c)| *k == kind && c == currency)
                    .map(|(_, m, _)| m)
                    .sum::<i64>()
            };
            let (gross, refunds) = (sum(EntryKind::Charge), sum(EntryKind::Refund));
            assert!(
                gross > 0,
                "seed {seed}: the mix charged nothing in {currency}"
            );
            assert_eq!(
                money(&s["totals"], currency),
                (gross, refunds, gross - refunds)
            );
        }

        // And the counts by status, cancellations, no-shows and booked minutes are the
        // store's
        let stored = shop
            .w
            .state
            .services
            .reservations
            .list(&ReservationFilter::default(), None, 1000)
            .await
            .unwrap()
            .items;
        let count = |st: Status| stored.iter().filter(|r| r.status == st).count() as u64;
        for st in Status::ALL {
            assert_eq!(
                s["totals"]["reservations"][st.as_str()],
                count(st),
                "{st:?}"
            );
        }
        assert_eq!(s["totals"]["cancellations"], count(Status::Cancelled));
        assert_eq!(s["totals"]["noShows"], count(Status::NoShow));
        assert!(count(Status::Cancelled) > 0 && count(Status::Completed) > 0);
        let mut booked_minutes = 0;
        let mut open_minutes = 0;
        for (id, capacity, minutes) in &shop.services {
            let used = stored
                .iter()
                .filter(|r| r.service_id.to_string() == *id)
                .filter(|r| {
                    matches!(
                        r.status,
                        Status::Confirmed | Status::Completed | Status::NoShow
                    )
                })
                .count() as i64
                * minutes;
            let svc = services.iter().find(|v| v["serviceId"] == *id).unwrap();
            assert_eq!(svc["bookedMinutes"], used);
            // 34 days open 8 hours, times the places
            assert_eq!(svc["openMinutes"], 34 * 480 * capacity);
            booked_minutes += used;
            open_minutes += 34 * 480 * capacity;
        }
        assert_eq!(s["totals"]["bookedMinutes"], booked_minutes);
        assert_eq!(s["totals"]["openMinutes"], open_minutes);
        let occupancy = s["totals"]["occupancy"].as_f64().unwrap();
        assert!((occupancy - booked_minutes as f64 / open_minutes as f64).abs() < 1e-4);

        // And the report's rows, page after page, add up to the same totals
        let (mut gross, mut net, mut rows) = (0, 0, 0);
        let mut uri = format!("/api/reports/reservations?{WHOLE}&limit=7");
        loop {
            let page = shop.w.get(&admin, &uri).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
            for row in page.body["items"].as_array().unwrap() {
                if row["currency"] == "EUR" {
                    gross += row["chargedMinor"].as_i64().unwrap();
                    net += row["netMinor"].as_i64().unwrap();
                }
                rows += 1;
            }
            match page.body["nextCursor"].as_str() {
                Some(c) => uri = format!("/api/reports/reservations?{WHOLE}&limit=7&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(rows, stored.len());
        let (eur_gross, _, eur_net) = money(&s["totals"], "EUR");
        assert_eq!((gross, net), (eur_gross, eur_net));
    }
}

/// A minimal RFC 4180 reader: rows of fields, quotes undone.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field, mut quoted, mut chars) =
        (Vec::new(), String::new(), false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "a CR outside quotes ends a row");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && row.is_empty(),
        "the last row ends with CRLF"
    );
    rows
}

#[tokio::test]
async fn the_csv_report_has_a_header_row_local_times_and_decimal_amounts() {
    // Given a booking by a customer whose name needs quoting, later cancelled late (50 %
    // back), and a booking by one whose name looks like a formula
    let shop = Shop::new().await;
    let w = &shop.w;
    let register = |email: &'static str, name: &'static str| async move {
        let r = w
            .call(
                Method::POST,
                "/api/auth/register",
                None,
                Some(json!({"email": email, "password": PASSWORD, "name": name})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    };
    register("ann@example.com", "O'Brien, \"Ann\"").await;
    register("eve@example.com", "=HYPERLINK(\"http://x\")").await;
    let (ann, eve) = (
        shop.token("ann@example.com").await,
        shop.token("eve@example.com").await,
    );
    let massage = shop.services[0].0.clone();
    let yoga = shop.services[2].0.clone();
    let a_id = w
        .booked(&ann, &massage, "2026-11-30T10:00:00+01:00", "a")
        .await;
    w.booked(&eve, &yoga, "2026-12-01T16:30:00+01:00", "e")
        .await;
    let c = shop.w.cancel(&ann, &a_id).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);

    // When the admin downloads the CSV
    let admin = shop.admin.clone();
    let r = shop
        .w
        .get(
            &admin,
            &format!("/api/reports/reservations?{WHOLE}&format=csv"),
        )
        .await;

    // Then it is CSV with a header row, one row per reservation by start, times in Madrid
    // and amounts as decimals
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.headers[header::CONTENT_TYPE],
        "text/csv; charset=utf-8; header=present"
    );
    assert!(
        r.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("reservations-2026-11-28-2026-12-31.csv")
    );
    assert!(r.headers.get(header::LINK).is_none());
    let rows = parse_csv(&r.text);
    // The header row is the public contract, spelled out here rather than taken from
    // booking-core's CSV_COLUMNS, so that renaming a column fails this test.
    assert_eq!(
        rows[0].join(","),
        "reservation_id,status,service_id,service,customer_id,customer_email,customer_name,\
         start,end,time_zone,currency,price,charged,refunded,net,created_at"
    );
    assert_eq!(rows.len(), 3);
    let (first, second) = (&rows[1], &rows[2]);
    assert_eq!(first[0], a_id);
    assert_eq!(first[1], "CANCELLED");
    assert_eq!(first[2], massage);
    assert_eq!(first[3], "Massage");
    assert_eq!(first[5], "ann@example.com");
    assert_eq!(first[6], "O'Brien, \"Ann\"");
    assert_eq!(first[7], "2026-11-30T10:00:00+01:00");
    assert_eq!(first[8], "2026-11-30T11:00:00+01:00");
    assert_eq!(first[9], "Europe/Madrid");
    // 47 hours before the start: inside the 48-hour window, so half back
    assert_eq!(&first[10..15], ["EUR", "50.00", "50.00", "25.00", "25.00"]);
    assert_eq!(first[15], "2026-11-28T11:00:00+01:00");
    assert_eq!(second[1], "CONFIRMED");
    assert_eq!(second[6], "'=HYPERLINK(\"http://x\")");
    assert_eq!(second[7], "2026-12-01T16:30:00+01:00");
    assert_eq!(&second[10..15], ["USD", "15.00", "15.00", "0.00", "15.00"]);
    // And the raw text quotes the name with doubled quotes and ends rows with CRLF
    assert!(r.text.contains(",\"O'Brien, \"\"Ann\"\"\","), "{}", r.text);
    assert!(r.text.ends_with("\r\n"));

    // And a page of one row links to the next page, which holds the other row
    let one = shop
        .w
        .get(
            &admin,
            &format!("/api/reports/reservations?{WHOLE}&format=csv&limit=1"),
        )
        .await;
    assert_eq!(parse_csv(&one.text)[1..], rows[1..2]);
    let link = one.headers[header::LINK].to_str().unwrap().to_owned();
    let next = link
        .strip_prefix('<')
        .and_then(|l| l.strip_suffix(">; rel=\"next\""))
        .unwrap();
    assert!(next.starts_with("/api/reports/reservations?from=2026-11-28&to=2026-12-31"));
    let two = shop.w.get(&admin, next).await;
    assert_eq!(two.status, StatusCode::OK, "{}", two.text);
    assert_eq!(parse_csv(&two.text)[1..], rows[2..]);
    assert!(two.headers.get(header::LINK).is_none());

    // And filters by status and service apply to the CSV as to JSON
    let only = shop
        .w
        .get(
            &admin,
            &format!(
                "/api/reports/reservations?{WHOLE}&format=csv&status=CONFIRMED&serviceId={yoga}"
            ),
        )
        .await;
    assert_eq!(parse_csv(&only.text)[1..], rows[2..]);
}

#[tokio::test]
async fn report_routes_refuse_customers_and_staff_and_want_a_token() {
    let shop = Shop::new().await;
    let customer = shop.w.customer().await;
    let staff = shop.w.user("staff@example.com", Role::Staff).await.1;
    for uri in [
        format!("/api/reports/summary?{WHOLE}"),
        format!("/api/reports/reservations?{WHOLE}"),
        format!("/api/reports/reservations?{WHOLE}&format=csv"),
    ] {
        for token in [&customer, &staff] {
            assert_problem(&shop.w.get(token, &uri).await, StatusCode::FORBIDDEN, None);
        }
        let anonymous = shop.w.call(Method::GET, &uri, None, None).await;
        assert_problem(&anonymous, StatusCode::UNAUTHORIZED, None);
        assert_eq!(shop.w.get(&shop.admin, &uri).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn bad_report_queries_name_the_field() {
    let shop = Shop::new().await;
    let admin = &shop.admin;
    let summary = [
        ("to=2026-12-01", "from"),
        ("from=2026-12-01", "to"),
        ("from=2026-12-02&to=2026-12-01", "to"),
        ("from=2026-01-01&to=2027-01-02", "to"),
        ("from=01/12/2026&to=2026-12-01", "from"),
        ("from=2026-12-01&to=2026-12-31&x=1", "x"),
    ];
    let w = &shop.w;
    w.assert_bad_queries(admin, "/api/reports/summary?", &summary)
        .await;
    let listing = [
        ("format=xml", "format"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("format=csv&limit=1001", "limit"),
        ("status=DONE", "status"),
        ("serviceId=42", "serviceId"),
        ("cursor=nope", "cursor"),
    ];
    let path = format!("/api/reports/reservations?{WHOLE}&");
    w.assert_bad_queries(admin, &path, &listing).await;
}

#[tokio::test]
async fn a_customer_reads_their_history_with_payments_and_local_times() {
    // Given Ana's booking on Monday (cancelled late: half refunded) and on Tuesday, and
    // Bob's booking
    let shop = Shop::new().await;
    let (ana_id, ana) = shop.w.user("ana@example.com", Role::Customer).await;
    let (bob_id, bob) = shop.w.user("bob@example.com", Role::Customer).await;
    let massage = shop.services[0].0.clone();
    let monday_id = shop
        .w
        .booked(&ana, &massage, "2026-11-30T10:00:00+01:00", "1")
        .await;
    shop.w.cancel(&ana, &monday_id).await;
    for (token, start, key) in [
        (&ana, "2026-12-01T14:00:00+01:00", "2"),
        (&bob, "2026-12-01T15:00:00+01:00", "3"),
    ] {
        shop.w.booked(token, &massage, start, key).await;
    }

    // When Ana reads her history
    let r = shop.w.get(&ana, "/api/reservations/history").await;

    // Then she sees her two reservations, by start, with times in UTC and in Madrid and
    // every payment and refund
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["customerId"], ana_id);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let first = &items[0];
    assert_eq!(first["id"], monday_id);
    assert_eq!(first["status"], "CANCELLED");
    assert_eq!(first["start"], "2026-11-30T09:00:00Z");
    assert_eq!(first["startLocal"], "2026-11-30T10:00:00+01:00");
    assert_eq!(first["endLocal"], "2026-11-30T11:00:00+01:00");
    assert_eq!(first["upcoming"], true);
    assert_eq!(first["chargedMinor"], 5000);
    assert_eq!(first["refundedMinor"], 2500);
    let payments = first["payments"].as_array().unwrap();
    assert_eq!(payments.len(), 2);
    assert_eq!(payments[0]["kind"], "charge");
    assert_eq!(payments[0]["amountMinor"], 5000);
    assert_eq!(payments[0]["atLocal"], "2026-11-28T11:00:00+01:00");
    assert_eq!(payments[1]["kind"], "refund");
    assert_eq!(payments[1]["amountMinor"], 2500);
    assert_eq!(items[1]["status"], "CONFIRMED");
    assert_eq!(items[1]["startLocal"], "2026-12-01T14:00:00+01:00");

    // And after Monday, `when=past` and `when=upcoming` split them
    shop.w.clock.advance(SignedDuration::from_hours(60));
    let ana = shop.token("ana@example.com").await;
    let past = shop
        .w
        .get(&ana, "/api/reservations/history?when=past")
        .await;
    assert_eq!(past.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(past.body["items"][0]["upcoming"], false);
    let upcoming = shop
        .w
        .get(&ana, "/api/reservations/history?when=upcoming")
        .await;
    assert_eq!(upcoming.body["items"][0]["status"], "CONFIRMED");
    assert_eq!(upcoming.body["items"][0]["upcoming"], true);
    // And pages of one follow the cursor
    let page = shop.w.get(&ana, "/api/reservations/history?limit=1").await;
    let cursor = page.body["nextCursor"].as_str().unwrap();
    let rest = shop
        .w
        .get(
            &ana,
            &format!("/api/reservations/history?limit=1&cursor={cursor}"),
        )
        .await;
    assert_eq!(rest.body["items"][0]["status"], "CONFIRMED");
    assert!(rest.body["nextCursor"].is_null());

    // And she cannot read Bob's, while staff can
    let theirs = format!("/api/reservations/history?customerId={bob_id}");
    assert_problem(
        &shop.w.get(&ana, &theirs).await,
        StatusCode::FORBIDDEN,
        None,
    );
    let staff = shop.w.user("staff@example.com", Role::Staff).await.1;
    let r = shop.w.get(&staff, &theirs).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["customerId"], bob_id);
    // And bad parameters name the field
    let bad = [
        ("when=soon", "when"),
        ("customerId=x", "customerId"),
        ("limit=0", "limit"),
    ];
    let path = "/api/reservations/history?";
    shop.w.assert_bad_queries(&ana, path, &bad).await;
}

#[tokio::test]
async fn staff_mark_visits_after_the_start_and_illegal_changes_are_409_with_the_status() {
    // Given a confirmed Monday 10:00 booking and a cancelled one
    let shop = Shop::new().await;
    let ana = shop.w.customer().await;
    let staff = shop.w.user("staff@example.com", Role::Staff).await.1;
    let massage = shop.services[0].0.clone();
    let kept = shop
        .w
        .booked(&ana, &massage, "2026-11-30T10:00:00+01:00", "k")
        .await;
    let gone = shop
        .w
        .booked(&ana, &massage, "2026-11-30T15:00:00+01:00", "g")
        .await;
    shop.w.cancel(&ana, &gone).await;

    // When staff mark it before the start: refused as a rule on start, unchanged
    let complete = format!("/api/reservations/{kept}/complete");
    assert_problem(
        &shop.w.post(&staff, &complete).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("start"),
    );
    // And a customer may not mark visits at all
    assert_problem(
        &shop.w.post(&ana, &complete).await,
        StatusCode::FORBIDDEN,
        None,
    );

    // When the start has passed, staff mark it COMPLETED, and again (no change)
    shop.w.clock.advance(SignedDuration::from_hours(48));
    let staff = shop.token("staff@example.com").await;
    let r = shop.w.post(&staff, &complete).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "COMPLETED");
    let last = r.body["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["to"], "COMPLETED");
    assert_eq!(last["actor"]["role"], "staff");
    let again = shop.w.post(&staff, &complete).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body, r.body);

    // Then NO_SHOW on it, or either outcome on the cancelled one, is 409 naming the status
    let r = shop
        .w
        .post(&staff, &format!("/api/reservations/{kept}/no-show"))
        .await;
    assert_problem(&r, StatusCode::CONFLICT, None);
    assert_eq!(r.body["currentStatus"], "COMPLETED");
    let r = shop
        .w
        .post(&staff, &format!("/api/reservations/{gone}/no-show"))
        .await;
    assert_problem(&r, StatusCode::CONFLICT, None);
    assert_eq!(r.body["currentStatus"], "CANCELLED");
    // And unknown or malformed ids are 404 / 400
    assert_problem(
        &shop
            .w
            .post(
                &staff,
                "/api/reservations/01KB00000000000000000000AA/complete",
            )
            .await,
        StatusCode::NOT_FOUND,
        None,
    );
    assert_problem(
        &shop.w.post(&staff, "/api/reservations/nope/no-show").await,
        StatusCode::BAD_REQUEST,
        Some("id"),
    );
}
