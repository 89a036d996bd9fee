//! The capacity property, over all the stores of a family at once: whatever the sequence of
//! bookings (random starts, services of random duration, buffer and capacity) and of
//! settings changes (any slot grid, time zones of different offsets), at no instant do more
//! live reservations of a service overlap than its capacity, and availability offers
//! exactly the places left (ADR 5: claims at a fixed unit of absolute time). Written once,
//! over the ports; a family says which stores back them and how many cases to run.

use std::{cell::RefCell, collections::BTreeMap, ops::RangeInclusive, sync::Arc};

use booking_core::{
    Error,
    availability::DateRange,
    booking::{Booking, BookingConfig, BookingRequest, TaskError},
    catalog::{Catalog, NewService},
    ids::{ReservationId, ServiceId, UserId},
    memory::FixedClock,
    payment::{PaymentMethod, SimulatedGateway},
    ports::{Clock, HoldLimits, ReservationFilter},
    reservation::Reservation,
    settings::{SLOT_SIZES, SettingsDoc},
};
use jiff::{SignedDuration, Timestamp, civil::Date};
use proptest::{
    prelude::*,
    test_runner::{Config, FileFailurePersistence, TestRunner},
};

use crate::{
    Stores,
    fixtures::{unique_email, user},
};

/// Offsets of 0, +1:00, +5:30, +5:45 and -3:30 in January: a change between any two of them
/// moves the wall clock by a multiple of 15 minutes, not always of the grid.
const ZONES: [&str; 5] = [
    "UTC",
    "Europe/Madrid",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "America/St_Johns",
];
const DURATIONS: [u32; 7] = [15, 20, 30, 45, 60, 90, 120];
const BUFFERS: [u32; 5] = [0, 5, 10, 15, 30];
/// Bookings are asked for in this many 5-minute steps from [`first_start`] (two hours), so
/// that they collide whatever the zone.
const STEPS: u8 = 24;
const CUSTOMERS: usize = 3;

/// When each case starts: the day before the bookings.
fn now() -> Timestamp {
    "2030-01-06T09:00:00Z".parse().unwrap()
}

/// Monday 2030-01-07 09:00 UTC: the same local date in every zone of [`ZONES`], from 05:30
/// in St John's to 14:45 in Kathmandu.
fn first_start() -> Timestamp {
    "2030-01-07T09:00:00Z".parse().unwrap()
}

fn booking_day() -> DateRange {
    let day = Date::constant(2030, 1, 7);
    DateRange::new(day, day).unwrap()
}

#[derive(Debug, Clone, Copy)]
struct ServiceSpec {
    duration: u32,
    buffer: u32,
    capacity: u32,
}

impl ServiceSpec {
    fn block(self) -> SignedDuration {
        SignedDuration::from_mins(i64::from(self.duration + self.buffer))
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// A customer asks for the first start on the grid in force at or after step `at`;
    /// `pay` takes it through Charge and Confirm, otherwise it stays a hold.
    Book {
        service: usize,
        customer: usize,
        at: u8,
        pay: bool,
    },
    /// An admin puts settings with this grid and zone, open all day every day (refused when
    /// a service's duration is off the new grid).
    Settings { grid: usize, zone: usize },
    /// Time passes: holds (5 minutes) lapse.
    Advance(i64),
}

fn service_spec() -> impl Strategy<Value = ServiceSpec> {
    (0..DURATIONS.len(), 0..BUFFERS.len(), 1..=3u32).prop_map(|(d, b, capacity)| ServiceSpec {
        duration: DURATIONS[d],
        buffer: BUFFERS[b],
        capacity,
    })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0..2usize, 0..CUSTOMERS, 0..STEPS, any::<bool>())
            .prop_map(|(service, customer, at, pay)| Op::Book { service, customer, at, pay }),
        3 => (0..SLOT_SIZES.len(), 0..ZONES.len()).prop_map(|(grid, zone)| Op::Settings { grid, zone }),
        1 => (1..=6i64).prop_map(Op::Advance),
    ]
}

/// One case: the stores, the clock, the services as specified and the customers.
struct Case {
    stores: Stores,
    clock: Arc<FixedClock>,
    booking: Booking,
    services: Vec<(ServiceId, ServiceSpec)>,
    customers: Vec<UserId>,
}

fn settings_doc(grid: u16, zone: &str) -> SettingsDoc {
    let day = serde_json::json!([{"open": "00:00", "close": "24:00"}]);
    serde_json::from_value(serde_json::json!({
        "timeZone": zone, "slotMinutes": grid,
        "weeklyHours": {
            "mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day
        }
    }))
    .unwrap()
}

impl Case {
    async fn new(stores: Stores, specs: &[ServiceSpec]) -> Self {
        let clock = Arc::new(FixedClock::new(now()));
        let booking = Booking {
            reservations: stores.reservations.clone(),
            ledger: stores.ledger.clone(),
            gateway: Arc::new(SimulatedGateway::default()),
            services: stores.catalog.clone(),
            settings: stores.settings.clone(),
            users: stores.users.clone(),
            clock: clock.clone(),
            config: BookingConfig {
                hold_ttl: SignedDuration::from_mins(5),
                limits: HoldLimits {
                    max_active_holds: 100,
                    max_upcoming: 100,
                },
            },
        };
        let mut case = Case {
            stores,
            clock,
            booking,
            services: Vec::new(),
            customers: Vec::new(),
        };
        // The finest grid first, so that every specified service can be created.
        case.catalog()
            .put_settings(settings_doc(5, "UTC"))
            .await
            .unwrap();
        for spec in specs {
            let new = NewService {
                buffer_minutes: spec.buffer,
                capacity: spec.capacity,
                ..NewService::new("Service", spec.duration, 1000, "EUR")
            };
            let service = case.catalog().create(new).await.unwrap();
            case.services.push((service.id, *spec));
        }
        for _ in 0..CUSTOMERS {
            let customer = user(&unique_email("customer"));
            case.stores.users.insert(&customer).await.unwrap();
            case.customers.push(customer.id);
        }
        case
    }

    fn catalog(&self) -> Catalog<'_> {
        Catalog {
            services: &*self.stores.catalog,
            settings: &*self.stores.settings,
            claims: &*self.stores.reservations,
            clock: &*self.clock,
        }
    }

    /// The first start on the grid of the settings in force at or after `t`.
    async fn on_grid(&self, t: Timestamp) -> Timestamp {
        let settings = self.catalog().settings().await.unwrap();
        let offset = i64::from(settings.time_zone().to_offset(t).seconds());
        let step = i64::from(settings.slot_minutes()) * 60;
        let reading = t.as_second() + offset;
        Timestamp::from_second(reading + (-reading).rem_euclid(step) - offset).unwrap()
    }

    /// The reservations of `service` that occupy their time now, as `[start, start + block)`.
    async fn live(&self, service: ServiceId) -> Vec<(Timestamp, Timestamp)> {
        let now = self.clock.now();
        let filter = ReservationFilter {
            service: Some(service),
            ..ReservationFilter::default()
        };
        let page = self
            .stores
            .reservations
            .list(&filter, None, 1000)
            .await
            .unwrap();
        let block = self.spec(service).block();
        page.items
            .iter()
            .filter(|r: &&Reservation| r.occupies(now))
            .map(|r| (r.start, r.start + block))
            .collect()
    }

    fn spec(&self, service: ServiceId) -> ServiceSpec {
        self.services
            .iter()
            .find(|(id, _)| *id == service)
            .unwrap()
            .1
    }

    /// Applies `op`; says what came of it, for the tally.
    async fn apply(&self, op: &Op) -> Result<&'static str, TestCaseError> {
        let outcome = match *op {
            Op::Book {
                service,
                customer,
                at,
                pay,
            } => {
                let (service, spec) = self.services[service % self.services.len()];
                let start = self
                    .on_grid(first_start() + SignedDuration::from_mins(5 * i64::from(at)))
                    .await;
                let method = PaymentMethod::visa();
                let req = BookingRequest {
                    reservation_id: ReservationId::new(),
                    customer_id: self.customers[customer],
                    service_id: service,
                    start,
                    fingerprint: BookingRequest::fingerprint_of(service, start, Some(&method)),
                    payment_method: Some(method),
                    idempotency_key: booking_core::idempotency::IdempotencyKey::parse(
                        "key",
                        &ReservationId::new().to_string(),
                    )
                    .unwrap(),
                };
                let busiest = busiest(&self.live(service).await, start, start + spec.block());
                match self.booking.hold(&req).await {
                    Ok(_) if pay => {
                        let id = req.reservation_id;
                        self.booking.authorize(id).await.unwrap();
                        self.booking.confirm(id).await.unwrap();
                        self.booking.capture(id).await.unwrap();
                        "booked and paid"
                    }
                    Ok(_) => "held",
                    // Refused only when it would have overlapped a full instant
                    Err(TaskError::SlotUnavailable(_)) => {
                        prop_assert!(
                            busiest >= spec.capacity,
                            "{start} refused with {busiest} of {} places taken",
                            spec.capacity
                        );
                        "refused as full"
                    }
                    Err(e) => return Err(TestCaseError::fail(format!("booking {start}: {e:?}"))),
                }
            }
            Op::Settings { grid, zone } => {
                match self
                    .catalog()
                    .put_settings(settings_doc(SLOT_SIZES[grid], ZONES[zone]))
                    .await
                {
                    Ok(_) => "settings changed",
                    Err(Error::Invalid(_)) => "settings change refused",
                    Err(e) => return Err(TestCaseError::fail(format!("settings: {e:?}"))),
                }
            }
            Op::Advance(minutes) => {
                self.clock.advance(SignedDuration::from_mins(minutes));
                "time passed"
            }
        };
        Ok(outcome)
    }

    /// No instant holds more live reservations than the capacity, and every start that
    /// availability offers has exactly the places that the live reservations leave.
    async fn check(&self) -> Result<(), TestCaseError> {
        for (service, spec) in &self.services {
            let live = self.live(*service).await;
            for (start, end) in &live {
                let n = busiest(&live, *start, *end);
                prop_assert!(
                    n <= spec.capacity,
                    "{n} reservations at once from {start}, capacity {}: {live:?}",
                    spec.capacity
                );
            }
            let (_, slots) = self
                .catalog()
                .availability(*service, booking_day())
                .await
                .unwrap();
            for slot in &slots {
                let taken = busiest(&live, slot.start, slot.start + spec.block());
                prop_assert_eq!(
                    slot.remaining,
                    spec.capacity.saturating_sub(taken),
                    "availability offers {} at {}",
                    slot.remaining,
                    slot.start
                );
            }
        }
        Ok(())
    }
}

/// The most of `intervals` that overlap at one instant of `[from, to)`.
fn busiest(intervals: &[(Timestamp, Timestamp)], from: Timestamp, to: Timestamp) -> u32 {
    // The count only rises at a start, so the busiest instant is `from` or some start.
    let at = |t: Timestamp| intervals.iter().filter(|(s, e)| *s <= t && t < *e).count();
    let peaks = intervals
        .iter()
        .map(|(s, _)| *s)
        .filter(|s| from < *s && *s < to)
        .chain([from]);
    let most = peaks.map(at).max().unwrap_or(0);
    u32::try_from(most).unwrap()
}

/// How much of the property a family runs: `cases` cases of a number of operations in
/// `ops` each. A remote store affords fewer than memory does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyRun {
    pub cases: u32,
    pub ops: RangeInclusive<usize>,
}

impl PropertyRun {
    /// 256 cases of up to 20 operations: what the in-memory stores run in every `cargo test`.
    pub fn thorough() -> Self {
        PropertyRun {
            cases: 256,
            ops: 1..=20,
        }
    }
}

/// Whatever the sequence of bookings and settings changes, at no instant do more live
/// reservations of a service overlap than its capacity, and availability offers exactly the
/// places left. Runs `run.cases` cases, every case on stores of its own from `fresh`.
pub fn no_sequence_of_bookings_and_settings_changes_overfills_a_slot<F, Fut>(
    fresh: F,
    run: PropertyRun,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = Stores>,
{
    // One runtime for the whole run: SDK clients keep connections on the runtime they met.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = Config {
        cases: run.cases,
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        max_shrink_iters: 256,
        ..Config::default()
    };
    let strategy = (
        proptest::collection::vec(service_spec(), 1..=2),
        proptest::collection::vec(op(), run.ops),
    );
    let mut runner = TestRunner::new(config);
    // What the cases did, to tell a property that held from one that tested nothing.
    let tally = RefCell::new(BTreeMap::<&str, u32>::new());
    let outcome = runner.run(&strategy, |(specs, ops)| {
        *tally.borrow_mut().entry("cases").or_default() += 1;
        rt.block_on(async {
            let case = Case::new(fresh().await, &specs).await;
            case.check().await?;
            for op in &ops {
                let what = case.apply(op).await?;
                *tally.borrow_mut().entry(what).or_default() += 1;
                case.check().await?;
            }
            Ok(())
        })
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
    eprintln!("capacity held: {:?}", tally.borrow());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The property's own yardstick, checked on its own.
    #[test]
    fn the_busiest_instant_counts_only_intervals_that_overlap_it() {
        // Given [0, 30), [15, 45) and [30, 60) minutes after the first start
        let t = |m: i64| first_start() + SignedDuration::from_mins(m);
        let intervals = [(t(0), t(30)), (t(15), t(45)), (t(30), t(60))];
        // Then two overlap at most, anywhere; one alone before 15 or from 45; none at 60
        assert_eq!(busiest(&intervals, t(0), t(60)), 2);
        assert_eq!(busiest(&intervals, t(0), t(15)), 1);
        assert_eq!(busiest(&intervals, t(45), t(60)), 1);
        assert_eq!(busiest(&intervals, t(60), t(90)), 0);
        assert_eq!(busiest(&intervals, t(-30), t(1)), 1);
    }
}
