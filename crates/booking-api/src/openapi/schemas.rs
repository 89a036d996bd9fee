//! Schemas of the booking-core types that cross the HTTP boundary. booking-core has no
//! utoipa dependency, so each type gets a mirror here with the same JSON shape (names,
//! optional fields, `deny_unknown_fields`) and the limits its validation enforces; the
//! handlers point at them with `#[schema(value_type = ...)]` or `body = ...`. The tests in
//! `tests/openapi.rs` and the schemathesis run (`scripts/schemathesis`) check that they
//! still describe what the code sends and accepts.
#![allow(dead_code)] // fields exist for the derive only

use std::borrow::Cow;

use utoipa::{
    PartialSchema, ToSchema,
    openapi::{KnownFormat, ObjectBuilder, RefOr, Schema, SchemaFormat, Type},
};

/// A ULID in its canonical form: 26 characters of Crockford's base32, upper case.
#[derive(Debug)]
pub struct Ulid;

/// The pattern of a canonical ULID (the first character is 0-7: 128 bits).
pub const ULID_PATTERN: &str = "^[0-7][0-9A-HJKMNP-TV-Z]{25}$";

impl PartialSchema for Ulid {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "A ULID in its canonical form: 26 characters of Crockford's base32, upper case.",
            ))
            .min_length(Some(26))
            .max_length(Some(26))
            .pattern(Some(ULID_PATTERN))
            .examples(["01KB5ZQ8GQ4W3N9V7Y2X1M0PAB"])
            .into()
    }
}

impl ToSchema for Ulid {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Ulid")
    }
}

/// The ISO 4217 codes booking-core's `Currency` accepts (`tests/openapi.rs` checks the
/// list against it).
pub const CURRENCIES: [&str; 48] = [
    "AED", "ARS", "AUD", "BGN", "BHD", "BRL", "CAD", "CHF", "CLP", "CNY", "COP", "CZK", "DKK",
    "EGP", "EUR", "GBP", "HKD", "HUF", "IDR", "ILS", "INR", "ISK", "JOD", "JPY", "KRW", "KWD",
    "MAD", "MXN", "MYR", "NOK", "NZD", "OMR", "PEN", "PHP", "PLN", "RON", "SAR", "SEK", "SGD",
    "THB", "TND", "TRY", "TWD", "UAH", "USD", "UYU", "VND", "ZAR",
];

/// An upper-case ISO 4217 currency code this product supports.
#[derive(Debug)]
pub struct Currency;

impl PartialSchema for Currency {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "An upper-case ISO 4217 currency code this product supports; amounts are in \
                 its minor units (cents for EUR, yen for JPY, fils for KWD).",
            ))
            .enum_values(Some(CURRENCIES))
            .examples(["EUR"])
            .into()
    }
}

impl ToSchema for Currency {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Currency")
    }
}

/// One bad field of a request and why it was refused.
#[derive(Debug, ToSchema)]
#[schema(examples(json!({"field": "password", "reason": "must be at least 10 characters long"})))]
pub struct FieldError {
    /// The field's path in the body (`cancellation.lateRefundPercent`, `weeklyHours.mon[0].open`),
    /// a query parameter, a header (`Idempotency-Key`), `id` for the path, or `body` for the
    /// body as a whole.
    field: String,
    /// Why, in words a client developer can act on.
    reason: String,
}

/// A user's role: customers book, staff run the day, admins manage everything.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Role {
    Customer,
    Staff,
    Admin,
}

/// A reservation's status. `PENDING_PAYMENT` becomes `CONFIRMED` or `FAILED`;
/// `CONFIRMED` becomes `CANCELLED`, `COMPLETED` or `NO_SHOW`.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    PendingPayment,
    Confirmed,
    Failed,
    Cancelled,
    Completed,
    NoShow,
}

/// A payment-method token of the simulated gateway (Stripe's test tokens): `pm_card_visa`
/// succeeds, `pm_card_chargeDeclined` is declined, `pm_card_processingError` fails
/// transiently.
#[derive(Debug, ToSchema)]
pub enum PaymentMethod {
    #[schema(rename = "pm_card_visa")]
    CardVisa,
    #[schema(rename = "pm_card_chargeDeclined")]
    CardChargeDeclined,
    #[schema(rename = "pm_card_processingError")]
    CardProcessingError,
}

/// Who made a change: the booking workflow itself, or a user with the role they had.
#[derive(Debug, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Actor {
    /// The booking workflow itself.
    System,
    /// A user, with the role they had at the time.
    User {
        #[schema(value_type = Ulid)]
        id: String,
        #[schema(value_type = Role)]
        role: String,
    },
}

/// One status change in a reservation's history.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusChange {
    #[schema(format = DateTime)]
    at: String,
    /// The status before; `null` for the first entry (the hold).
    #[schema(value_type = Option<Status>, required = true)]
    from: Option<String>,
    #[schema(value_type = Status)]
    to: String,
    actor: Actor,
    reason: String,
}

/// Why a booking failed: the workflow error's stable name (`PaymentDeclined`,
/// `SlotUnavailable`, ...) and a message.
#[derive(Debug, ToSchema)]
pub struct Failure {
    code: String,
    message: String,
}

/// How much of the price a customer's cancellation refunds. A cancellation by staff or an
/// admin refunds in full.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancellationPolicy {
    /// Cancelling at least this many hours before the start refunds everything.
    #[schema(minimum = 0, maximum = 8760)]
    full_refund_hours_before: u32,
    /// Percentage refunded when cancelling later than that (but before the start).
    #[schema(minimum = 0, maximum = 100)]
    late_refund_percent: u8,
}

/// A bookable service of the catalog.
#[derive(Debug, ToSchema)]
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
    currency: String,
    /// Customers served at once in the same slot.
    #[schema(minimum = 1, maximum = 1000)]
    capacity: u32,
    #[schema(minimum = 0, maximum = 525_600)]
    min_notice_minutes: u32,
    #[schema(minimum = 1, maximum = 730)]
    max_advance_days: u32,
    cancellation: CancellationPolicy,
    /// Inactive services are not listed publicly nor bookable; they are never deleted.
    active: bool,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// The body of `POST /api/services`. Optional fields take the defaults shown.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(examples(json!({
    "name": "Massage", "description": "Relaxing, 60 minutes.", "durationMinutes": 60,
    "bufferMinutes": 15, "priceMinor": 4500, "currency": "EUR", "capacity": 1,
    "minNoticeMinutes": 120, "maxAdvanceDays": 60,
    "cancellation": {"fullRefundHoursBefore": 24, "lateRefundPercent": 50}
})))]
#[derive(Debug)]
pub struct NewService {
    /// 1 to 100 characters after trimming, no control characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
    )]
    name: String,
    /// At most 2000 characters after trimming.
    #[serde(default)]
    #[schema(default = "", max_length = 2000)]
    description: String,
    /// 5 to 450, and a multiple of the settings' `slotMinutes`.
    #[schema(minimum = 5, maximum = 450)]
    duration_minutes: u32,
    /// A multiple of 5 up to 240; `durationMinutes + bufferMinutes` is at most 450 (a 400
    /// naming `bufferMinutes` otherwise).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 240, multiple_of = 5, default = 0)]
    buffer_minutes: u32,
    /// In the currency's minor units.
    #[schema(minimum = 0, maximum = 10000000000.0)]
    price_minor: i64,
    #[schema(value_type = Currency)]
    currency: String,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 1000, default = 1)]
    capacity: u32,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 525_600, default = 0)]
    min_notice_minutes: u32,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 730, default = 90)]
    max_advance_days: u32,
    /// Defaults to a full refund until 24 hours before, nothing after.
    #[serde(default)]
    cancellation: CancellationPolicy,
    #[serde(default)]
    #[schema(default = true)]
    active: bool,
}

/// The body of `PATCH /api/services/{id}`: only the fields present change, with the rules
/// of `NewService`. `null` is the same as leaving a field out.
#[derive(Debug, ToSchema)]
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
    active: Option<bool>,
}

/// One opening interval of a day: `open` before `close`, both on the slot grid.
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"open": "09:00", "close": "13:00"})))]
pub struct Interval {
    #[schema(pattern = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")]
    open: String,
    #[schema(pattern = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")]
    close: String,
}

/// Opening intervals per weekday (at most 8 a day, not overlapping; breaks are the gaps).
/// A day left out is closed; responses always list all seven.
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeeklyHours {
    #[serde(default)]
    #[schema(max_items = 8)]
    mon: Vec<Interval>,
    #[serde(default)]
    #[schema(max_items = 8)]
    tue: Vec<Interval>,
    #[serde(default)]
    #[schema(max_items = 8)]
    wed: Vec<Interval>,
    #[serde(default)]
    #[schema(max_items = 8)]
    thu: Vec<Interval>,
    #[serde(default)]
    #[schema(max_items = 8)]
    fri: Vec<Interval>,
    #[serde(default)]
    #[schema(max_items = 8)]
    sat: Vec<Interval>,
    #[serde(default)]
    #[schema(max_items = 8)]
    sun: Vec<Interval>,
}

/// The business settings, as `GET /api/settings` answers and `PUT /api/settings` replaces
/// them whole: the time zone every rule is evaluated in, the slot grid, the weekly opening
/// hours and the closed dates.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(examples(json!({
    "timeZone": "Europe/Madrid", "slotMinutes": 15,
    "weeklyHours": {
        "mon": [{"open": "09:00", "close": "13:00"}, {"open": "14:00", "close": "19:00"}],
        "tue": [], "wed": [], "thu": [], "fri": [],
        "sat": [{"open": "10:00", "close": "14:00"}], "sun": []
    },
    "closedDates": ["2026-12-25"]
})))]
#[derive(Debug)]
pub struct Settings {
    /// An IANA time zone name such as `Europe/Madrid`.
    #[schema(examples("Europe/Madrid"))]
    time_zone: String,
    /// One of 5, 10, 15, 20, 30, 60; every service's duration must be a multiple of it.
    #[schema(value_type = SlotMinutes)]
    slot_minutes: u16,
    weekly_hours: WeeklyHours,
    /// Dates `YYYY-MM-DD` the business is closed, at most 1000; always present in responses.
    #[serde(default)]
    #[schema(schema_with = closed_dates)]
    closed_dates: Vec<String>,
}

fn closed_dates() -> utoipa::openapi::Array {
    utoipa::openapi::ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))),
        )
        .max_items(Some(1000))
        .description(Some(
            "Dates `YYYY-MM-DD` the business is closed, at most 1000; always present in responses.",
        ))
        .build()
}

/// The slot grid in minutes: one of 5, 10, 15, 20, 30, 60 (sizes that divide an hour).
#[derive(Debug)]
pub struct SlotMinutes;

impl PartialSchema for SlotMinutes {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .description(Some(
                "The slot grid in minutes: one of 5, 10, 15, 20, 30, 60 (sizes that divide an \
                 hour). Every service's duration must be a multiple of it.",
            ))
            .enum_values(Some([5, 10, 15, 20, 30, 60]))
            .into()
    }
}

impl ToSchema for SlotMinutes {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("SlotMinutes")
    }
}

/// A bookable start with how many more customers it can take; times carry the business
/// zone's offset at that instant.
#[derive(Debug, ToSchema)]
pub struct Slot {
    #[schema(format = DateTime, examples("2026-12-01T09:00:00+01:00"))]
    start: String,
    #[schema(format = DateTime, examples("2026-12-01T09:30:00+01:00"))]
    end: String,
    #[schema(minimum = 0)]
    remaining: u32,
}

/// The body of `POST /api/auth/register`.
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"email": "ana@example.com", "password": "a long passphrase", "name": "Ana"})))]
pub struct Registration {
    /// Stored in lower case; at most 254 characters.
    #[schema(format = Email, max_length = 254)]
    email: String,
    /// At least 10 characters, at most 1024 bytes, not only spaces or control characters,
    /// not the email address, not one of the 1,000 most common passwords (any case).
    #[schema(min_length = 10)]
    password: String,
    /// 1 to 100 characters after trimming, no control characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
    )]
    name: String,
}

/// The body of `POST /api/auth/login`.
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"email": "ana@example.com", "password": "a long passphrase"})))]
pub struct Credentials {
    #[schema(format = Email, max_length = 254)]
    email: String,
    #[schema(min_length = 1)]
    password: String,
}

/// An error, as RFC 9457 `application/problem+json`. A validation error names each bad
/// field and why.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(examples(json!({
    "type": "/problems/validation-error",
    "title": "The request is invalid",
    "status": 400,
    "detail": "password: must be at least 10 characters long",
    "errors": [{"field": "password", "reason": "must be at least 10 characters long"}]
})))]
#[derive(Debug)]
pub struct Problem {
    /// The kind of problem, a path under `/problems/`: `validation-error`, `unauthorized`,
    /// `forbidden`, `not-found`, `conflict`, `too-many-attempts`, `payload-too-large`,
    /// `unsupported-media-type`, `rule-violation`, `slot-unavailable`, `hold-expired`,
    /// `payment-declined`, `limit-exceeded`, `invalid-request`, `not-cancellable`,
    /// `temporarily-unavailable`, `internal`, ...
    #[serde(rename = "type")]
    #[schema(
        pattern = "^/problems/[a-z-]+$",
        examples("/problems/validation-error")
    )]
    kind: String,
    /// A short summary of the kind of problem.
    title: String,
    /// The HTTP status code.
    #[schema(minimum = 400, maximum = 599)]
    status: u16,
    /// What went wrong in this occurrence; for a validation error, `field: reason` of each
    /// bad field, joined by `; `.
    detail: String,
    /// Each bad field (validation errors and rule violations); absent when there are none.
    #[serde(default)]
    #[schema(min_items = 1)]
    errors: Vec<FieldError>,
    /// A reservation's status when it refused a change (409); absent otherwise.
    #[schema(value_type = Status, required = false)]
    current_status: Option<String>,
}
