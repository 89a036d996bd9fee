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
    payment::PaymentMethod,
    ports::{ReservationStore, UserStore},
    reservation::Status,
    settings::SettingsDoc,
    user::{Email, Role, User},
    workflow::InProcessWorkflow,
};
use jiff::Timestamp;

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
        InProcessWorkflow::new(self.booking.clone(), self.queue.clone(), 0.0)
    }

    pub async fn service(&self, capacity: u32) -> ServiceId {
        let new = NewService {
            buffer_minutes: 30,
            capacity,
            cancellation: CancellationPolicy {
                full_refund_hours_before: 24,
                late_refund_percent: 50,
            },
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
        pm: PaymentMethod,
    ) -> BookingRequest {
        let start: Timestamp = start.parse().unwrap();
        BookingRequest {
            reservation_id: ReservationId::new(),
            customer_id: customer,
            service_id: service,
            start,
            payment_method: pm,
            idempotency_key: IdempotencyKey::parse("key", &ReservationId::new().to_string())
                .unwrap(),
            fingerprint: BookingRequest::fingerprint_of(service, start, pm),
        }
    }

    pub async fn status(&self, id: ReservationId) -> Status {
        self.stores
            .reservations
            .get(id)
            .await
            .unwrap()
            .unwrap()
            .status
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
