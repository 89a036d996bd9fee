//! The harness of the workflow tests: the real tasks over the in-memory adapters, a clock
//! the tests move, and the in-process runner with no retry waits.
#![allow(clippy::unwrap_used, dead_code)] // a test harness: a panic is a failed test

pub mod paths;

use std::sync::Arc;

use booking_core::{
    booking::{Booking, BookingConfig, BookingRequest},
    catalog::{CancellationPolicy, Catalog, NewService},
    idempotency::IdempotencyKey,
    ids::{ReservationId, ServiceId, UserId},
    memory::{FixedClock, MemoryQueue, MemoryStores},
    password::PasswordHash,
    payment::{PaymentMethod, Prepayment},
    ports::{ReservationStore, UserStore},
    reservation::{Reservation, Status},
    settings::SettingsDoc,
    user::{Email, Role, User},
    workflow::{BookingTasks, InProcessWorkflow},
};
use jiff::Timestamp;

/// Stripe's test tokens, as the simulated gateway answers them; `AT_VENUE`: none.
pub const VISA: &str = "pm_card_visa";
pub const DECLINED: &str = "pm_card_chargeDeclined";
pub const PROCESSING_ERROR: &str = "pm_card_processingError";
pub const AUTHENTICATION: &str = "pm_card_authenticationRequired";
pub const AT_VENUE: &str = "";

pub struct World {
    pub booking: Booking,
    /// The stores `booking` runs over.
    pub stores: MemoryStores,
    pub queue: Arc<MemoryQueue>,
    pub clock: Arc<FixedClock>,
}

impl World {
    pub async fn new() -> Self {
        Self::with_config(BookingConfig::default()).await
    }

    pub async fn with_config(config: BookingConfig) -> Self {
        // Monday 2026-11-30 08:00 in Madrid
        let clock = Arc::new(FixedClock::new("2026-11-30T07:00:00Z".parse().unwrap()));
        let stores = MemoryStores::default();
        let booking = stores.booking(clock.clone(), config);
        let w = World {
            booking,
            stores,
            queue: Arc::new(MemoryQueue::default()),
            clock,
        };
        let day = serde_json::json!([{"open": "09:00", "close": "13:00"}, {"open": "14:00", "close": "18:00"}]);
        let doc: SettingsDoc = serde_json::from_value(serde_json::json!({
            "timeZone": "Europe/Madrid", "slotMinutes": 30,
            "weeklyHours": {"mon": day, "tue": day, "wed": day, "thu": day, "fri": day}
        }))
        .unwrap();
        w.catalog_uc().put_settings(doc).await.unwrap();
        w
    }

    pub fn catalog_uc(&self) -> Catalog<'_> {
        Catalog {
            services: &*self.stores.catalog,
            settings: &*self.stores.settings,
            claims: &*self.stores.reservations,
            clock: &*self.clock,
        }
    }

    pub fn workflow(&self) -> InProcessWorkflow<Booking> {
        self.workflow_over(self.booking.clone())
    }

    /// The runner over other tasks (the real ones with a gateway double, say), sending to
    /// this world's queue.
    pub fn workflow_over<T: BookingTasks>(&self, tasks: T) -> InProcessWorkflow<T> {
        InProcessWorkflow::new(tasks, self.queue.clone(), 0.0)
    }

    /// A 60-minute service (30-minute buffer, 50.00 EUR, full refund up to 24 h before,
    /// half after) with `capacity` places, paid online when booked.
    pub async fn service(&self, capacity: u32) -> ServiceId {
        self.service_paid(capacity, Prepayment::Required).await
    }

    /// The same service, paid at the venue: booked without a payment method.
    pub async fn venue_service(&self, capacity: u32) -> ServiceId {
        self.service_paid(capacity, Prepayment::None).await
    }

    async fn service_paid(&self, capacity: u32, prepayment: Prepayment) -> ServiceId {
        let new = NewService {
            buffer_minutes: 30,
            capacity,
            cancellation: CancellationPolicy {
                full_refund_hours_before: 24,
                late_refund_percent: 50,
            },
            prepayment,
            ..NewService::new("Massage", 60, 5000, "EUR")
        };
        self.catalog_uc().create(new).await.unwrap().id
    }

    pub async fn customer(&self) -> UserId {
        let id = UserId::new();
        self.stores
            .users
            .insert(&User {
                id,
                email: Email::parse(&format!("c{id}@example.com").to_lowercase()).unwrap(),
                name: "Customer".into(),
                role: Role::Customer,
                password_hash: PasswordHash::from_phc("x".into()),
                created_at: Timestamp::UNIX_EPOCH,
            })
            .await
            .unwrap();
        id
    }

    pub fn request(
        &self,
        customer: UserId,
        service: ServiceId,
        start: &str,
        pm: &str,
    ) -> BookingRequest {
        let start: Timestamp = start.parse().unwrap();
        let pm = (!pm.is_empty()).then(|| PaymentMethod::parse("paymentMethod", pm).unwrap());
        BookingRequest {
            reservation_id: ReservationId::new(),
            customer_id: customer,
            service_id: service,
            start,
            fingerprint: BookingRequest::fingerprint_of(service, start, pm.as_ref()),
            payment_method: pm,
            idempotency_key: IdempotencyKey::parse("key", &ReservationId::new().to_string())
                .unwrap(),
        }
    }

    pub async fn reservation(&self, id: ReservationId) -> Reservation {
        self.stores.reservations.get(id).await.unwrap().unwrap()
    }

    pub async fn status(&self, id: ReservationId) -> Status {
        self.reservation(id).await.status
    }

    pub async fn remaining_at(&self, service: ServiceId, start: &str) -> Option<u32> {
        let range = booking_core::availability::DateRange::new(
            jiff::civil::Date::constant(2026, 12, 1),
            jiff::civil::Date::constant(2026, 12, 1),
        )
        .unwrap();
        let (_, slots) = self
            .catalog_uc()
            .availability(service, range)
            .await
            .unwrap();
        let at: Timestamp = start.parse().unwrap();
        slots.iter().find(|s| s.start == at).map(|s| s.remaining)
    }
}
