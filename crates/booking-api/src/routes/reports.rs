//! `/api/reports/*` (admins only): a period's summary per service and currency, and the
//! reservations behind it as pages of JSON or as CSV.

use axum::{
    Json,
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use booking_core::{
    FieldError,
    availability::rfc3339,
    error::Problems,
    ids::{ReservationId, ServiceId, UserId},
    reports::{Ledgered, Period, RowFilter, to_csv},
    reservation::Status,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    ServicesState,
    extract::{Admin, QueryParams},
    openapi::responses::AdminOnly,
    operations::operations,
    problem::Problem,
    routes::paging::MAX_LIMIT,
    wire::{
        self,
        formats::{self, Ulid},
    },
};

/// The most rows one CSV response carries; the `Link` header points at the next ones.
pub const MAX_CSV_ROWS: u32 = 1000;

operations!(tag = "reports", ServicesState: summary, reservations);

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct SummaryQuery {
    /// The first date of the period (`YYYY-MM-DD`, business zone).
    #[param(value_type = String, format = Date, required = true)]
    from: Option<String>,
    /// The last date of the period, included; at most 366 days after `from`.
    #[param(value_type = String, format = Date, required = true)]
    to: Option<String>,
}

fn required(p: &mut Problems, field: &str, v: Option<String>) -> String {
    if v.is_none() {
        p.push(FieldError::new(field, "is required (a date YYYY-MM-DD)"));
    }
    v.unwrap_or_default()
}

/// `GET /api/reports/summary?from=YYYY-MM-DD&to=YYYY-MM-DD`: both dates included, in the
/// business zone.
#[utoipa::path(get, path = "/api/reports/summary", operation_id = "getReportSummary",
    summary = "A period's summary",
    description = "Per service and in total: the reservations starting in the period by \
        status, cancellations, no-shows, booked and open minutes, occupancy, and per currency \
        the charges, refunds and net the ledger recorded for those reservations. Admins only.",
    params(SummaryQuery),
    responses(
        (status = 200, description = "The summary.", body = wire::reports::ReportSummary),
        (status = 400, description = "`from` or `to` missing or not a date `YYYY-MM-DD`, `to` before `from` or more than 366 days after it, or an unknown parameter; every bad one is named in `errors`.", body = Problem, content_type = "application/problem+json"),
        AdminOnly,
    )
)]
pub(crate) async fn summary(
    State(state): State<ServicesState>,
    _admin: Admin,
    QueryParams(q): QueryParams<SummaryQuery>,
) -> Result<Json<wire::reports::ReportSummary>, Problem> {
    let mut p = Problems::default();
    let from = required(&mut p, "from", q.from);
    let to = required(&mut p, "to", q.to);
    p.into_result()?;
    let reports = state.reports();
    let settings = reports.catalog.settings().await?;
    let period = Period::parse(&settings, &from, &to)?;
    Ok(Json(reports.summary(&settings, &period).await?.into()))
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct RowsQuery {
    /// The first date of the period (`YYYY-MM-DD`, business zone).
    #[param(value_type = String, format = Date, required = true)]
    from: Option<String>,
    /// The last date of the period, included; at most 366 days after `from`.
    #[param(value_type = String, format = Date, required = true)]
    to: Option<String>,
    /// Only reservations in this status.
    #[param(value_type = formats::Status, required = false)]
    status: Option<String>,
    /// Only reservations of this service.
    #[param(value_type = Ulid, required = false)]
    service_id: Option<String>,
    /// `json` (the default) or `csv` (RFC 4180 with a header row).
    #[param(value_type = String, required = false, pattern = "^(json|csv)$")]
    format: Option<String>,
    /// Page size: 1 to 100 for JSON (50 when left out), 1 to 1000 for CSV (1000).
    #[param(value_type = u32, required = false, minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The `nextCursor` of the previous page (or the `Link` of a CSV page); leave it out
    /// for the first page.
    #[param(value_type = String, required = false)]
    cursor: Option<String>,
}

/// One reservation of a report: times in the business zone, amounts in minor units.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReportRow {
    #[schema(value_type = Ulid)]
    reservation_id: ReservationId,
    #[schema(value_type = formats::Status)]
    status: Status,
    #[schema(value_type = Ulid)]
    service_id: ServiceId,
    /// The service's name when it was booked.
    service_name: String,
    #[schema(value_type = Ulid)]
    customer_id: UserId,
    customer_email: String,
    customer_name: String,
    /// RFC 3339 with the business zone's offset.
    #[schema(format = DateTime)]
    start: String,
    /// RFC 3339 with the business zone's offset.
    #[schema(format = DateTime)]
    end: String,
    time_zone: String,
    #[schema(value_type = formats::Currency)]
    currency: String,
    /// The price when it was booked.
    price_minor: i64,
    /// Sum of the charges.
    #[schema(minimum = 0)]
    charged_minor: i64,
    /// Sum of the refunds.
    #[schema(minimum = 0)]
    refunded_minor: i64,
    /// Charged less refunded.
    net_minor: i64,
    /// RFC 3339 with the business zone's offset.
    #[schema(format = DateTime)]
    created_at: String,
}

impl ReportRow {
    fn new(l: &Ledgered, tz: &jiff::tz::TimeZone, tz_name: &str) -> Self {
        let r = &l.reservation;
        ReportRow {
            reservation_id: r.id,
            status: r.status,
            service_id: r.service_id,
            service_name: r.service_name.clone(),
            customer_id: r.customer_id,
            customer_email: r.customer_email.to_string(),
            customer_name: r.customer_name.clone(),
            start: rfc3339(r.start, tz),
            end: rfc3339(r.end, tz),
            time_zone: tz_name.to_owned(),
            currency: r.amount.currency.code().to_owned(),
            price_minor: r.amount.minor,
            charged_minor: l.charged_minor(),
            refunded_minor: l.refunded_minor(),
            net_minor: l.net_minor(),
            created_at: rfc3339(r.created_at, tz),
        }
    }
}

/// One page of a report's reservations.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReportPage {
    #[schema(format = Date)]
    from: String,
    #[schema(format = Date)]
    to: String,
    /// The business's IANA time zone, which the dates and times are in.
    time_zone: String,
    /// By start.
    items: Vec<ReportRow>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    #[schema(required = true)]
    next_cursor: Option<String>,
}

/// `GET /api/reports/reservations`: the reservations starting in the period, by start;
/// `format=csv` answers `text/csv` (RFC 4180) with a `Link: <...>; rel="next"` header
/// while more rows follow.
#[utoipa::path(get, path = "/api/reports/reservations", operation_id = "getReportReservations",
    summary = "A period's reservations, as JSON or CSV",
    description = "The reservations starting in the period, by start, with what was charged \
        and refunded. `format=csv` answers RFC 4180 CSV for a spreadsheet: a header row \
        (`reservation_id,status,service_id,service,customer_id,customer_email,customer_name,\
        start,end,time_zone,currency,price,charged,refunded,net,created_at`), CRLF line ends, \
        times in the business zone, amounts as decimals of the currency; a `Link` header with \
        `rel=\"next\"` points at the next page while more rows follow. Admins only.",
    params(RowsQuery),
    responses(
        (status = 200, description = "A page of rows: JSON, or CSV with `format=csv`.",
            content(
                (ReportPage = "application/json"),
                (String = "text/csv"),
            )),
        (status = 400, description = "A bad query parameter (`from`/`to` missing or not dates, more than 366 days apart, an unknown `status` or `format`, `serviceId` not a ULID, `limit` out of range, a `cursor` this API did not return, an unknown parameter); every bad one is named in `errors`.", body = Problem, content_type = "application/problem+json"),
        AdminOnly,
    )
)]
pub(crate) async fn reservations(
    State(state): State<ServicesState>,
    _admin: Admin,
    QueryParams(q): QueryParams<RowsQuery>,
) -> Result<Response, Problem> {
    let rows = RowsRequest::parse(q)?;
    let reports = state.reports();
    let settings = reports.catalog.settings().await?;
    let period = Period::parse(&settings, &rows.from, &rows.to)?;
    let page = reports
        .rows(&period, rows.filter, rows.after, rows.limit)
        .await?;
    let (tz, tz_name) = (settings.time_zone(), settings.time_zone_name());
    if rows.csv {
        return Ok(csv_page(&rows, &period, &page, tz, tz_name));
    }
    Ok(Json(ReportPage {
        from: period.from.to_string(),
        to: period.to.to_string(),
        time_zone: tz_name.to_owned(),
        items: page
            .items
            .iter()
            .map(|l| ReportRow::new(l, tz, tz_name))
            .collect(),
        next_cursor: page.next,
    })
    .into_response())
}

/// A report listing's query, checked: every bad parameter is named at once.
struct RowsRequest {
    q: RowsQuery,
    from: String,
    to: String,
    csv: bool,
    filter: RowFilter,
    after: Option<booking_core::ports::ReservationCursor>,
    limit: usize,
}

impl RowsRequest {
    fn parse(q: RowsQuery) -> Result<Self, Problem> {
        let mut p = Problems::default();
        let from = required(&mut p, "from", q.from.clone());
        let to = required(&mut p, "to", q.to.clone());
        let csv = match q.format.as_deref() {
            None | Some("json") => false,
            Some("csv") => true,
            Some(_) => {
                p.push(FieldError::new("format", "must be json or csv"));
                false
            }
        };
        let (max, default) = if csv {
            (MAX_CSV_ROWS, MAX_CSV_ROWS)
        } else {
            (MAX_LIMIT, 50)
        };
        let (limit, after) =
            super::paging::reservations(&mut p, q.limit, q.cursor.as_deref(), default, max);
        let status = p.optional("status", q.status.as_deref(), Status::parse);
        let service = p.optional("serviceId", q.service_id.as_deref(), ServiceId::parse);
        p.into_result()?;
        Ok(RowsRequest {
            q,
            from,
            to,
            csv,
            filter: RowFilter { status, service },
            after,
            limit,
        })
    }

    /// The query of the next CSV page, for its `Link` header.
    fn next_link(&self, cursor: &str) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("from", &self.from)
            .append_pair("to", &self.to);
        if let Some(s) = &self.q.status {
            query.append_pair("status", s);
        }
        if let Some(s) = &self.q.service_id {
            query.append_pair("serviceId", s);
        }
        query
            .append_pair("format", "csv")
            .append_pair("limit", &self.limit.to_string())
            .append_pair("cursor", cursor);
        format!(
            "</api/reports/reservations?{}>; rel=\"next\"",
            query.finish()
        )
    }
}

/// A page of the report as CSV, named for its period, with a `Link` to the next page.
fn csv_page(
    rows: &RowsRequest,
    period: &Period,
    page: &booking_core::ports::Page<Ledgered>,
    tz: &jiff::tz::TimeZone,
    tz_name: &str,
) -> Response {
    let mut res = to_csv(&page.items, tz, tz_name).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8; header=present"),
    );
    let filename = format!(
        "attachment; filename=\"reservations-{}-{}.csv\"",
        period.from, period.to
    );
    if let Ok(v) = HeaderValue::from_str(&filename) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Some(next) = &page.next
        && let Ok(v) = HeaderValue::from_str(&rows.next_link(next))
    {
        h.insert(header::LINK, v);
    }
    res
}
