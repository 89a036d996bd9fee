//! Services as `/api/services` exchanges them, and the free slots of one.

use booking_core::{availability, catalog, payment};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::formats::{Currency, Ulid};

/// How much of the price a customer's cancellation refunds. A cancellation by staff or an
/// admin refunds in full.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancellationPolicy {
    /// Cancelling at least this many hours before the start refunds everything.
    #[schema(minimum = 0, maximum = 8760)]
    full_refund_hours_before: u32,
    /// Percentage refunded when cancelling later than that (but before the start).
    #[schema(minimum = 0, maximum = 100)]
    late_refund_percent: u8,
}

impl From<catalog::CancellationPolicy> for CancellationPolicy {
    fn from(c: catalog::CancellationPolicy) -> Self {
        CancellationPolicy {
            full_refund_hours_before: c.full_refund_hours_before,
            late_refund_percent: c.late_refund_percent,
        }
    }
}

impl From<CancellationPolicy> for catalog::CancellationPolicy {
    fn from(c: CancellationPolicy) -> Self {
        catalog::CancellationPolicy {
            full_refund_hours_before: c.full_refund_hours_before,
            late_refund_percent: c.late_refund_percent,
        }
    }
}

impl Default for CancellationPolicy {
    fn default() -> Self {
        catalog::CancellationPolicy::default().into()
    }
}

/// How a service is paid: online when booked (`required`: a payment method is authorised,
/// then captured once the booking is confirmed), or at the venue (`none`: no payment
/// method, no money moves online, cancellations refund nothing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Prepayment {
    #[default]
    Required,
    None,
}

impl From<payment::Prepayment> for Prepayment {
    fn from(p: payment::Prepayment) -> Self {
        match p {
            payment::Prepayment::Required => Prepayment::Required,
            payment::Prepayment::None => Prepayment::None,
        }
    }
}

impl From<Prepayment> for payment::Prepayment {
    fn from(p: Prepayment) -> Self {
        match p {
            Prepayment::Required => payment::Prepayment::Required,
            Prepayment::None => payment::Prepayment::None,
        }
    }
}

/// A bookable service of the catalog.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    #[schema(value_type = Ulid)]
    id: String,
    name: String,
    description: String,
    /// A multiple of the settings' `slotMinutes`.
    #[schema(minimum = 5, maximum = 450)]
    duration_minutes: u32,
    /// Time blocked after each appointment (cleaning, notes); not sold. With
    /// `durationMinutes`, at most 450 minutes in all.
    #[schema(minimum = 0, maximum = 240, multiple_of = 5)]
    buffer_minutes: u32,
    /// The price in the currency's minor units (cents for EUR).
    #[schema(minimum = 0, maximum = 10000000000.0)]
    price_minor: i64,
    #[schema(value_type = Currency)]
    currency: &'static str,
    /// Customers served at once in the same slot.
    #[schema(minimum = 1, maximum = 1000)]
    capacity: u32,
    #[schema(minimum = 0, maximum = 525_600)]
    min_notice_minutes: u32,
    #[schema(minimum = 1, maximum = 730)]
    max_advance_days: u32,
    cancellation: CancellationPolicy,
    prepayment: Prepayment,
    /// Inactive services are not listed publicly nor bookable; they are never deleted.
    active: bool,
    #[schema(value_type = String, format = DateTime)]
    created_at: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    updated_at: jiff::Timestamp,
}

impl From<catalog::Service> for Service {
    fn from(s: catalog::Service) -> Self {
        Service {
            id: s.id.to_string(),
            name: s.name,
            description: s.description,
            duration_minutes: s.duration_minutes,
            buffer_minutes: s.buffer_minutes,
            price_minor: s.price_minor,
            currency: s.currency.code(),
            capacity: s.capacity,
            min_notice_minutes: s.min_notice_minutes,
            max_advance_days: s.max_advance_days,
            cancellation: s.cancellation.into(),
            prepayment: s.prepayment.into(),
            active: s.active,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// The value of each optional field a client leaves out: booking-core's, from
/// `NewService::new`, for serde and for the schema's `default`s alike.
macro_rules! defaults {
    ($($field:ident: $ty:ty),+) => {$(
        fn $field() -> $ty {
            catalog::NewService::new("", 0, 0, "").$field
        }
    )+};
}

defaults!(
    description: String,
    buffer_minutes: u32,
    capacity: u32,
    min_notice_minutes: u32,
    max_advance_days: u32,
    active: bool
);

/// The body of `POST /api/services`. Optional fields take the defaults shown.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(examples(json!({
    "name": "Massage", "description": "Relaxing, 60 minutes.", "durationMinutes": 60,
    "bufferMinutes": 15, "priceMinor": 4500, "currency": "EUR", "capacity": 1,
    "minNoticeMinutes": 120, "maxAdvanceDays": 60,
    "cancellation": {"fullRefundHoursBefore": 24, "lateRefundPercent": 50}
})))]
pub struct NewService {
    /// 1 to 100 characters after trimming, no control characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
    )]
    name: String,
    /// At most 2000 characters after trimming.
    #[serde(default = "description")]
    #[schema(default = description, max_length = 2000)]
    description: String,
    /// 5 to 450, and a multiple of the settings' `slotMinutes`.
    #[schema(minimum = 5, maximum = 450)]
    duration_minutes: u32,
    /// A multiple of 5 up to 240; `durationMinutes + bufferMinutes` is at most 450 (a 400
    /// naming `bufferMinutes` otherwise).
    #[serde(default = "buffer_minutes")]
    #[schema(minimum = 0, maximum = 240, multiple_of = 5, default = buffer_minutes)]
    buffer_minutes: u32,
    /// In the currency's minor units.
    #[schema(minimum = 0, maximum = 10000000000.0)]
    price_minor: i64,
    #[schema(value_type = Currency)]
    currency: String,
    #[serde(default = "capacity")]
    #[schema(minimum = 1, maximum = 1000, default = capacity)]
    capacity: u32,
    #[serde(default = "min_notice_minutes")]
    #[schema(minimum = 0, maximum = 525_600, default = min_notice_minutes)]
    min_notice_minutes: u32,
    #[serde(default = "max_advance_days")]
    #[schema(minimum = 1, maximum = 730, default = max_advance_days)]
    max_advance_days: u32,
    /// Defaults to a full refund until 24 hours before, nothing after.
    #[serde(default)]
    cancellation: CancellationPolicy,
    /// Defaults to `required`.
    #[serde(default)]
    prepayment: Prepayment,
    #[serde(default = "active")]
    #[schema(default = active)]
    active: bool,
}

impl From<NewService> for catalog::NewService {
    fn from(n: NewService) -> Self {
        catalog::NewService {
            name: n.name,
            description: n.description,
            duration_minutes: n.duration_minutes,
            buffer_minutes: n.buffer_minutes,
            price_minor: n.price_minor,
            currency: n.currency,
            capacity: n.capacity,
            min_notice_minutes: n.min_notice_minutes,
            max_advance_days: n.max_advance_days,
            cancellation: n.cancellation.into(),
            prepayment: n.prepayment.into(),
            active: n.active,
        }
    }
}

/// The body of `PATCH /api/services/{id}`: only the fields present change, with the rules
/// of `NewService`. `null` is the same as leaving a field out.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(examples(json!({"priceMinor": 5000})))]
pub struct ServicePatch {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
    )]
    name: Option<String>,
    #[schema(max_length = 2000)]
    description: Option<String>,
    #[schema(minimum = 5, maximum = 450)]
    duration_minutes: Option<u32>,
    #[schema(minimum = 0, maximum = 240, multiple_of = 5)]
    buffer_minutes: Option<u32>,
    #[schema(minimum = 0, maximum = 10000000000.0)]
    price_minor: Option<i64>,
    #[schema(value_type = Option<Currency>)]
    currency: Option<String>,
    #[schema(minimum = 1, maximum = 1000)]
    capacity: Option<u32>,
    #[schema(minimum = 0, maximum = 525_600)]
    min_notice_minutes: Option<u32>,
    #[schema(minimum = 1, maximum = 730)]
    max_advance_days: Option<u32>,
    cancellation: Option<CancellationPolicy>,
    prepayment: Option<Prepayment>,
    active: Option<bool>,
}

impl From<ServicePatch> for catalog::ServicePatch {
    fn from(p: ServicePatch) -> Self {
        catalog::ServicePatch {
            name: p.name,
            description: p.description,
            duration_minutes: p.duration_minutes,
            buffer_minutes: p.buffer_minutes,
            price_minor: p.price_minor,
            currency: p.currency,
            capacity: p.capacity,
            min_notice_minutes: p.min_notice_minutes,
            max_advance_days: p.max_advance_days,
            cancellation: p.cancellation.map(Into::into),
            prepayment: p.prepayment.map(Into::into),
            active: p.active,
        }
    }
}

/// A bookable start with how many more customers it can take; times carry the business
/// zone's offset at that instant.
#[derive(Debug, Serialize, ToSchema)]
pub struct Slot {
    #[schema(format = DateTime, examples("2026-12-01T09:00:00+01:00"))]
    start: String,
    #[schema(format = DateTime, examples("2026-12-01T09:30:00+01:00"))]
    end: String,
    #[schema(minimum = 0)]
    remaining: u32,
}

impl From<availability::Slot> for Slot {
    fn from(s: availability::Slot) -> Self {
        Slot {
            start: availability::rfc3339(s.start, &s.tz),
            end: availability::rfc3339(s.end, &s.tz),
            remaining: s.remaining,
        }
    }
}
