//! `make bench`: how the report and availability paths scale, over the in-memory stores
//! (the algorithmic cost; DynamoDB's reads are docs/reports.md's subject). Prints the median
//! of several runs per case, and the cost per reservation. Figures, never asserts.
#![allow(clippy::print_stdout)] // a benchmark: its figures go to the terminal
#![allow(clippy::unwrap_used)] // a benchmark harness: a panic is a broken bench

use std::time::{Duration, Instant};

use booking_core::{
    availability::{DateRange, slots},
    catalog::{Catalog, NewService, Service},
    idempotency::{Fingerprint, IdempotencyKey},
    ids::{ReservationId, UserId},
    memory::{FixedClock, MemoryStores},
    money::Money,
    payment::{
        EntryKind, GatewayKind, LedgerEntry, Payment, PaymentLedger, PaymentMethod, PaymentStatus,
    },
    ports::{Cancellation, ClaimQuery, ClaimReader, Clock, HoldLimits, ReservationStore},
    reports::{Period, Reports, to_csv},
    reservation::{Actor, Reservation, Status, StatusChange},
    settings::{Settings, SettingsDoc},
    user::Email,
};
use jiff::{SignedDuration, Timestamp, civil::Date};

const RUNS: usize = 9;

/// How the bench cancels a quarter of its reservations: by the system, half refunded.
const BENCH_CANCELLATION: Cancellation<'static> = Cancellation {
    refund_due_minor: 2500,
    actor: Actor::System,
    reason: "bench",
};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn time<F, Fut>(mut f: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut samples = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        f().await;
        samples.push(started.elapsed());
    }
    median(samples)
}

fn catalog<'a>(stores: &'a MemoryStores, clock: &'a FixedClock) -> Catalog<'a> {
    Catalog {
        services: &*stores.catalog,
        settings: &*stores.settings,
        claims: &*stores.reservations,
        clock,
    }
}

/// A shop open 09-18 every day with one service, and `n` reservations spread over
/// December 2026 (half confirmed and charged, a quarter cancelled and refunded, the rest
/// failed).
async fn shop(n: usize) -> (MemoryStores, Settings, Service) {
    let stores = MemoryStores::default();
    let clock = FixedClock::new("2026-11-28T10:00:00Z".parse().unwrap());
    let catalog = catalog(&stores, &clock);
    let day = serde_json::json!([{"open": "09:00", "close": "18:00"}]);
    let doc: SettingsDoc = serde_json::from_value(serde_json::json!({
        "timeZone": "Europe/Madrid", "slotMinutes": 30,
        "weeklyHours": {"mon": day, "tue": day, "wed": day, "thu": day, "fri": day,
                        "sat": day, "sun": day},
    }))
    .unwrap();
    let settings = catalog.put_settings(doc).await.unwrap();
    let service = catalog
        .create(NewService {
            capacity: 1000,
            ..NewService::new("Massage", 60, 5000, "EUR")
        })
        .await
        .unwrap();
    let first: Timestamp = "2026-12-01T08:00:00Z".parse().unwrap();
    let limits = HoldLimits {
        max_active_holds: usize::MAX,
        max_upcoming: usize::MAX,
    };
    let now = clock.now();
    for i in 0..n {
        let day = i64::try_from(i % 31).unwrap();
        let hour = i64::try_from(i / 31 % 8).unwrap();
        let start = first + SignedDuration::from_hours(24 * day + hour);
        let customer = UserId::new();
        let r = Reservation {
            id: ReservationId::new(),
            customer_id: customer,
            service_id: service.id,
            service_name: service.name.clone(),
            customer_email: Email::parse(&format!("c{i}@example.com")).unwrap(),
            customer_name: format!("Customer {i}"),
            time_zone: settings.zone().clone(),
            start,
            end: start + SignedDuration::from_hours(1),
            units: vec![start, start + SignedDuration::from_mins(30)],
            status: Status::PendingPayment,
            amount: Money {
                minor: 5000,
                currency: service.currency,
            },
            payment_method: Some(PaymentMethod::visa()),
            // Authorised, so that it can be confirmed below.
            payment: Payment {
                gateway: Some(GatewayKind::Simulated),
                status: PaymentStatus::Authorized,
                authorization: Some(format!("pi_{i}")),
                charge: None,
            },
            refund_due_minor: None,
            idempotency_key: IdempotencyKey::parse("key", &format!("k{i}")).unwrap(),
            fingerprint: Fingerprint::of(service.id, start, Some(&PaymentMethod::visa())),
            hold_expires_at: now + SignedDuration::from_mins(5),
            failure: None,
            history: vec![StatusChange {
                at: now,
                from: None,
                to: Status::PendingPayment,
                actor: Actor::System,
                reason: "bench".into(),
            }],
            created_at: now,
            version: 1,
        };
        let store = &*stores.reservations;
        store.hold(&r, 1000, limits).await.unwrap();
        if i % 4 == 3 {
            store.release(r.id, None, now).await.unwrap();
            continue;
        }
        let entry = |kind, minor| LedgerEntry {
            reservation_id: r.id,
            service_id: service.id,
            kind,
            amount: booking_core::money::Money {
                minor,
                currency: service.currency,
            },
            gateway_reference: format!("ref{i}"),
            at: now,
        };
        stores
            .ledger
            .record(&entry(EntryKind::Charge, 5000))
            .await
            .unwrap();
        store.confirm(r.id, now).await.unwrap();
        if i % 4 == 2 {
            store.cancel(r.id, BENCH_CANCELLATION, now).await.unwrap();
            stores
                .ledger
                .record(&entry(EntryKind::Refund, 2500))
                .await
                .unwrap();
        }
    }
    (stores, settings, service)
}

async fn run() {
    println!("median of {RUNS} runs, in-memory stores, one service open 9 h a day");
    for n in [1_000, 10_000, 50_000] {
        let (stores, settings, service) = shop(n).await;
        let clock = FixedClock::new("2026-11-28T10:00:00Z".parse().unwrap());
        let reports = Reports {
            catalog: catalog(&stores, &clock),
            reservations: &*stores.reservations,
            ledger: &*stores.ledger,
        };
        let december = Period::new(
            &settings,
            Date::constant(2026, 12, 1),
            Date::constant(2026, 12, 31),
        )
        .unwrap();
        let summary = time(|| async {
            let s = reports.summary(&settings, &december).await.unwrap();
            assert_eq!(
                s.totals.reservations.confirmed
                    + s.totals.reservations.cancelled
                    + s.totals.reservations.failed,
                n as u64
            );
        })
        .await;
        let per = summary.as_secs_f64() * 1e9 / n as f64;
        println!(
            "summary of a month, {n:>6} reservations: {:>9.2} ms  ({per:>6.0} ns per reservation)",
            summary.as_secs_f64() * 1000.0
        );

        let page = reports
            .rows(&december, Default::default(), None, 1000)
            .await
            .unwrap();
        let tz = settings.time_zone();
        let csv = time(|| async {
            let text = to_csv(&page.items, tz, settings.time_zone_name());
            assert!(text.len() > 1000);
        })
        .await;
        let rows_page = time(|| async {
            let p = reports
                .rows(&december, Default::default(), None, 1000)
                .await
                .unwrap();
            assert_eq!(p.items.len(), 1000);
        })
        .await;
        println!(
            "  a CSV page of 1000 rows: read {:.2} ms, render {:.2} ms",
            rows_page.as_secs_f64() * 1000.0,
            csv.as_secs_f64() * 1000.0
        );

        let query = ClaimQuery {
            service: service.id,
            units: "2026-11-30T00:00:00Z".parse().unwrap().."2027-01-02T00:00:00Z".parse().unwrap(),
        };
        let now: Timestamp = "2026-11-28T10:00:00Z".parse().unwrap();
        let claims = stores.reservations.claims(&query, now).await.unwrap();
        let range =
            DateRange::new(Date::constant(2026, 12, 1), Date::constant(2026, 12, 31)).unwrap();
        let avail = time(|| async {
            let s = slots(&settings, &service, range, now, &claims);
            assert!(!s.is_empty());
        })
        .await;
        println!(
            "  availability of the month (31 days, 18 starts a day): {:.3} ms",
            avail.as_secs_f64() * 1000.0
        );
    }
}

fn main() {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(run());
}
