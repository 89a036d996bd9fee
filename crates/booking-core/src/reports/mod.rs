//! Reports: what an admin reads about a period
//! of local dates — reservations by status, money from the ledger, occupancy — and the
//! reservation rows behind it, as JSON or as CSV.
//!
//! A period holds the reservations whose *start* falls in it (the service date), and the
//! money is what the ledger recorded for those reservations, whenever it moved: every figure
//! of a row is about the same reservations, and the rows of the CSV add up to the summary.
//! docs/reports.md explains the choice and how the reads scale.

use std::collections::{BTreeMap, HashMap};

use jiff::{Timestamp, civil::Date, tz::TimeZone};

use crate::{
    Error, FieldError,
    availability::{DateRange, local_midnight, open_minutes_on, rfc3339},
    catalog::{Catalog, Service},
    error::Problems,
    ids::{ReservationId, ServiceId},
    money::{Currency, Money},
    payment::{EntryKind, LedgerEntry, PaymentLedger},
    ports::{Page, ReservationCursor, ReservationFilter, ReservationStore},
    reservation::{Reservation, Status},
    settings::{Settings, parse_date},
};

/// The longest period one report covers.
pub const MAX_PERIOD_DAYS: i32 = 366;

/// How many reservations a summary reads from the store per request.
const SUMMARY_PAGE: usize = 1000;

/// Local dates `from..=to` in the business zone, and the instants they span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
    range: DateRange,
    /// Local midnight starting `from`.
    pub start: Timestamp,
    /// Local midnight ending `to` (exclusive).
    pub end: Timestamp,
}

impl Period {
    /// Parses `from` and `to` (YYYY-MM-DD, both included), at most [`MAX_PERIOD_DAYS`] long.
    pub fn parse(settings: &Settings, from: &str, to: &str) -> Result<Self, Error> {
        let mut p = Problems::default();
        let from = p.check(parse_date("from", from));
        let to = p.check(parse_date("to", to));
        p.into_result()?;
        let (Some(from), Some(to)) = (from, to) else {
            return Err(Error::invalid("from", "must be a date YYYY-MM-DD"));
        };
        Ok(Period::new(settings, from, to)?)
    }

    pub fn new(settings: &Settings, from: Date, to: Date) -> Result<Self, FieldError> {
        let range = DateRange::at_most(from, to, MAX_PERIOD_DAYS)?;
        let after = to
            .tomorrow()
            .map_err(|_| FieldError::new("to", "is out of range"))?;
        let tz = settings.time_zone();
        Ok(Period {
            from,
            to,
            range,
            start: local_midnight(tz, from),
            end: local_midnight(tz, after),
        })
    }

    pub fn dates(&self) -> impl Iterator<Item = Date> {
        self.range.dates()
    }
}

/// Reservations per status; every status is always present.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusCounts {
    pub pending_payment: u64,
    pub confirmed: u64,
    pub failed: u64,
    pub cancelled: u64,
    pub completed: u64,
    pub no_show: u64,
}

impl StatusCounts {
    fn add(&mut self, status: Status) {
        let n = match status {
            Status::PendingPayment => &mut self.pending_payment,
            Status::Confirmed => &mut self.confirmed,
            Status::Failed => &mut self.failed,
            Status::Cancelled => &mut self.cancelled,
            Status::Completed => &mut self.completed,
            Status::NoShow => &mut self.no_show,
        };
        *n += 1;
    }
}

/// Money of one currency that the ledger recorded for the period's reservations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revenue {
    pub currency: Currency,
    /// Sum of the charges.
    pub gross_minor: i64,
    /// Sum of the refunds.
    pub refunds_minor: i64,
    /// Gross less refunds.
    pub net_minor: i64,
    pub charges: u64,
    pub refunds: u64,
}

impl Revenue {
    fn new(currency: Currency) -> Self {
        Revenue {
            currency,
            gross_minor: 0,
            refunds_minor: 0,
            net_minor: 0,
            charges: 0,
            refunds: 0,
        }
    }
}

/// The figures of one service, or of all of them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// Reservations starting in the period, by status.
    pub reservations: StatusCounts,
    pub cancellations: u64,
    pub no_shows: u64,
    /// Minutes (start to end) of the reservations that used their place: CONFIRMED,
    /// COMPLETED and NO_SHOW.
    pub booked_minutes: u64,
    /// Open minutes of the period times the service's capacity (places × minutes).
    pub open_minutes: u64,
    /// booked / open, 0 when nothing was open; four decimals.
    pub occupancy: f64,
    /// One entry per currency, by code.
    pub revenue: Vec<Revenue>,
}

impl Figures {
    /// Counts a reservation starting in the period and the money recorded for it.
    fn add(&mut self, l: &Ledgered) {
        let r = &l.reservation;
        self.reservations.add(r.status);
        match r.status {
            Status::Cancelled => self.cancellations += 1,
            Status::NoShow => self.no_shows += 1,
            _ => {}
        }
        if matches!(
            r.status,
            Status::Confirmed | Status::Completed | Status::NoShow
        ) {
            let mins = r.end.duration_since(r.start).as_mins();
            self.booked_minutes += u64::try_from(mins).unwrap_or(0);
        }
        for e in &l.entries {
            let revenue = match self
                .revenue
                .iter()
                .position(|v| v.currency == e.amount.currency)
            {
                Some(i) => &mut self.revenue[i],
                None => {
                    self.revenue.push(Revenue::new(e.amount.currency));
                    let last = self.revenue.len() - 1;
                    &mut self.revenue[last]
                }
            };
            match e.kind {
                EntryKind::Charge => {
                    revenue.gross_minor += e.amount.minor;
                    revenue.charges += 1;
                }
                EntryKind::Refund => {
                    revenue.refunds_minor += e.amount.minor;
                    revenue.refunds += 1;
                }
            }
        }
    }

    /// The derived figures, once everything is added: net amounts, occupancy, order.
    fn finish(&mut self, open_minutes: u64) {
        self.open_minutes = open_minutes;
        self.occupancy = if open_minutes == 0 {
            0.0
        } else {
            // Four decimals: enough for a percentage with two, and stable in JSON.
            let ratio = self.booked_minutes as f64 / open_minutes as f64;
            (ratio * 10_000.0).round() / 10_000.0
        };
        for r in &mut self.revenue {
            r.net_minor = r.gross_minor - r.refunds_minor;
        }
        self.revenue.sort_by_key(|r| r.currency.code());
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceSummary {
    pub service_id: ServiceId,
    pub service_name: String,
    pub figures: Figures,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub from: Date,
    pub to: Date,
    pub time_zone: String,
    /// Services by name: every active one, and any other with reservations in the period.
    pub services: Vec<ServiceSummary>,
    pub totals: Figures,
}

/// A reservation with the money the ledger recorded for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ledgered {
    pub reservation: Reservation,
    pub entries: Vec<LedgerEntry>,
}

impl Ledgered {
    fn sum(&self, kind: EntryKind) -> i64 {
        self.entries
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.amount.minor)
            .sum()
    }

    pub fn charged_minor(&self) -> i64 {
        self.sum(EntryKind::Charge)
    }

    pub fn refunded_minor(&self) -> i64 {
        self.sum(EntryKind::Refund)
    }

    /// What the business kept: charged less refunded.
    pub fn net_minor(&self) -> i64 {
        self.charged_minor() - self.refunded_minor()
    }
}

/// Attaches to each reservation its ledger entries (oldest first), with one batched read.
pub async fn with_ledger(
    ledger: &dyn PaymentLedger,
    reservations: Vec<Reservation>,
) -> Result<Vec<Ledgered>, Error> {
    let ids: Vec<ReservationId> = reservations.iter().map(|r| r.id).collect();
    let mut by_id: HashMap<ReservationId, Vec<LedgerEntry>> = HashMap::new();
    for e in ledger.entries_of(&ids).await? {
        by_id.entry(e.reservation_id).or_default().push(e);
    }
    Ok(reservations
        .into_iter()
        .map(|r| {
            let mut entries = by_id.remove(&r.id).unwrap_or_default();
            entries.sort_by_key(|e| (e.at, e.kind == EntryKind::Refund));
            Ledgered {
                reservation: r,
                entries,
            }
        })
        .collect())
}

/// Which rows a report lists, besides the period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowFilter {
    pub status: Option<Status>,
    pub service: Option<ServiceId>,
}

/// The report use cases: the catalog's services and settings, with the reservations and
/// the ledger's entries of a period.
pub struct Reports<'a> {
    pub catalog: Catalog<'a>,
    pub reservations: &'a dyn ReservationStore,
    pub ledger: &'a dyn PaymentLedger,
}

debug_by_name!(Reports<'_>);

impl Reports<'_> {
    /// The period's summary per service and in total.
    pub async fn summary(&self, settings: &Settings, period: &Period) -> Result<Summary, Error> {
        let services: BTreeMap<ServiceId, Service> = self
            .catalog
            .services
            .list(true)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let mut per: BTreeMap<ServiceId, (String, Figures)> = services
            .values()
            .filter(|s| s.active)
            .map(|s| (s.id, (s.name.clone(), Figures::default())))
            .collect();

        let filter = ReservationFilter {
            from: Some(period.start),
            to: Some(period.end),
            ..ReservationFilter::default()
        };
        let mut totals = Figures::default();
        let mut after = None;
        loop {
            let page = self.reservations.list(&filter, after, SUMMARY_PAGE).await?;
            for l in with_ledger(self.ledger, page.items).await? {
                let r = &l.reservation;
                figures_of(&mut per, &services, r.service_id, &r.service_name).add(&l);
                totals.add(&l);
            }
            match page.next.as_deref().and_then(ReservationCursor::decode) {
                Some(c) => after = Some(c),
                None => break,
            }
        }

        let open_minutes: u64 = period
            .dates()
            .map(|d| u64::try_from(open_minutes_on(settings, d)).unwrap_or(0))
            .sum();
        let mut total_open = 0;
        let mut out: Vec<ServiceSummary> = per
            .into_iter()
            .map(|(id, (name, mut figures))| {
                let capacity = services.get(&id).map_or(0, |s| u64::from(s.capacity));
                figures.finish(open_minutes * capacity);
                total_open += figures.open_minutes;
                ServiceSummary {
                    service_id: id,
                    service_name: name,
                    figures,
                }
            })
            .collect();
        totals.finish(total_open);
        out.sort_by(|a, b| {
            (a.service_name.as_str(), a.service_id).cmp(&(b.service_name.as_str(), b.service_id))
        });
        Ok(Summary {
            from: period.from,
            to: period.to,
            time_zone: settings.time_zone_name().to_owned(),
            services: out,
            totals,
        })
    }

    /// The reservations starting in the period, by (start, id), with their money.
    pub async fn rows(
        &self,
        period: &Period,
        filter: RowFilter,
        after: Option<ReservationCursor>,
        limit: usize,
    ) -> Result<Page<Ledgered>, Error> {
        let filter = ReservationFilter {
            status: filter.status,
            service: filter.service,
            from: Some(period.start),
            to: Some(period.end),
            customer: None,
        };
        let page = self.reservations.list(&filter, after, limit).await?;
        Ok(Page {
            items: with_ledger(self.ledger, page.items).await?,
            next: page.next,
        })
    }
}

/// The figures of a service, added on first sight under its catalog name (or the name the
/// reservation kept).
fn figures_of<'a>(
    per: &'a mut BTreeMap<ServiceId, (String, Figures)>,
    services: &BTreeMap<ServiceId, Service>,
    id: ServiceId,
    snapshot: &str,
) -> &'a mut Figures {
    &mut per
        .entry(id)
        .or_insert_with(|| {
            let name = services.get(&id).map_or(snapshot, |s| s.name.as_str());
            (name.to_owned(), Figures::default())
        })
        .1
}

/// The CSV columns, in order.
pub const CSV_COLUMNS: [&str; 16] = [
    "reservation_id",
    "status",
    "service_id",
    "service",
    "customer_id",
    "customer_email",
    "customer_name",
    "start",
    "end",
    "time_zone",
    "currency",
    "price",
    "charged",
    "refunded",
    "net",
    "created_at",
];

/// RFC 4180 CSV: a header row, then one row per reservation, CRLF line ends, fields quoted
/// when they hold a comma, a quote or a line break. Times are RFC 3339 in the business
/// zone (`tz`), amounts decimals of the currency. A text cell that a spreadsheet would run
/// as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) gets a leading `'`.
pub fn to_csv(rows: &[Ledgered], tz: &TimeZone, tz_name: &str) -> String {
    let mut out = String::new();
    push_row(&mut out, CSV_COLUMNS.iter().map(|c| (*c).to_owned()));
    for row in rows {
        let r = &row.reservation;
        let money = |minor| {
            Money {
                minor,
                currency: r.amount.currency,
            }
            .to_decimal_string()
        };
        push_row(
            &mut out,
            [
                r.id.to_string(),
                r.status.as_str().to_owned(),
                r.service_id.to_string(),
                text(&r.service_name),
                r.customer_id.to_string(),
                text(r.customer_email.as_str()),
                text(&r.customer_name),
                rfc3339(r.start, tz),
                rfc3339(r.end, tz),
                tz_name.to_owned(),
                r.amount.currency.code().to_owned(),
                money(r.amount.minor),
                money(row.charged_minor()),
                money(row.refunded_minor()),
                money(row.net_minor()),
                rfc3339(r.created_at, tz),
            ],
        );
    }
    out
}

/// Defuses spreadsheet formulas in free text (OWASP "CSV injection").
fn text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

fn push_row(out: &mut String, fields: impl IntoIterator<Item = String>) {
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if f.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&f);
        }
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests;
