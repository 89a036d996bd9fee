//! The summary of `GET /api/reports/summary`.

use booking_core::reports;
use serde::Serialize;
use utoipa::ToSchema;

use super::formats::{Currency, Ulid};

/// Reservations per status; every status is always present.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub struct StatusCounts {
    pending_payment: u64,
    confirmed: u64,
    failed: u64,
    cancelled: u64,
    completed: u64,
    no_show: u64,
}

impl From<reports::StatusCounts> for StatusCounts {
    fn from(c: reports::StatusCounts) -> Self {
        StatusCounts {
            pending_payment: c.pending_payment,
            confirmed: c.confirmed,
            failed: c.failed,
            cancelled: c.cancelled,
            completed: c.completed,
            no_show: c.no_show,
        }
    }
}

/// Money of one currency the ledger recorded for the period's reservations, in minor units.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Revenue {
    #[schema(value_type = Currency)]
    currency: &'static str,
    /// Sum of the charges.
    #[schema(value_type = u64)]
    gross_minor: i64,
    /// Sum of the refunds.
    #[schema(value_type = u64)]
    refunds_minor: i64,
    /// Gross less refunds.
    net_minor: i64,
    /// How many charges.
    charges: u64,
    /// How many refunds.
    refunds: u64,
}

impl From<reports::Revenue> for Revenue {
    fn from(r: reports::Revenue) -> Self {
        Revenue {
            currency: r.currency.code(),
            gross_minor: r.gross_minor,
            refunds_minor: r.refunds_minor,
            net_minor: r.net_minor,
            charges: r.charges,
            refunds: r.refunds,
        }
    }
}

/// The figures of one service, or of all of them.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    /// Reservations starting in the period, by status.
    reservations: StatusCounts,
    /// The `CANCELLED` count.
    cancellations: u64,
    /// The `NO_SHOW` count.
    no_shows: u64,
    /// Start-to-end minutes of the `CONFIRMED`, `COMPLETED` and `NO_SHOW` reservations.
    booked_minutes: u64,
    /// Open minutes of the period (opening hours, breaks and closed dates, daylight-saving
    /// aware) times the capacity.
    open_minutes: u64,
    /// `bookedMinutes / openMinutes`, four decimals; 0 when nothing was open.
    #[schema(minimum = 0)]
    occupancy: f64,
    /// One entry per currency, by code.
    revenue: Vec<Revenue>,
}

impl From<reports::Figures> for Figures {
    fn from(f: reports::Figures) -> Self {
        Figures {
            reservations: f.reservations.into(),
            cancellations: f.cancellations,
            no_shows: f.no_shows,
            booked_minutes: f.booked_minutes,
            open_minutes: f.open_minutes,
            occupancy: f.occupancy,
            revenue: f.revenue.into_iter().map(Into::into).collect(),
        }
    }
}

/// One service's figures.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSummary {
    #[schema(value_type = Ulid)]
    service_id: String,
    /// Its name in the catalog (or when it was booked, for a service no longer listed).
    service_name: String,
    #[serde(flatten)]
    figures: Figures,
}

/// A period's summary: reservations starting in it, by service and in total, with the money
/// the ledger recorded for them.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportSummary {
    #[schema(format = Date)]
    from: String,
    #[schema(format = Date)]
    to: String,
    /// The business's IANA time zone, which the dates are in.
    time_zone: String,
    /// By name: every active service, and any other with reservations in the period.
    services: Vec<ServiceSummary>,
    totals: Figures,
}

impl From<reports::Summary> for ReportSummary {
    fn from(s: reports::Summary) -> Self {
        ReportSummary {
            from: s.from.to_string(),
            to: s.to.to_string(),
            time_zone: s.time_zone,
            services: s
                .services
                .into_iter()
                .map(|s| ServiceSummary {
                    service_id: s.service_id.to_string(),
                    service_name: s.service_name,
                    figures: s.figures.into(),
                })
                .collect(),
            totals: s.totals.into(),
        }
    }
}
