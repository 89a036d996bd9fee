//! `/api/reservations/history`: a customer's past and upcoming reservations with their
//! money.

use axum::{Json, extract::State};
use booking_core::{
    availability::rfc3339,
    error::Problems,
    ids::{ReservationId, ServiceId, UserId},
    payment::EntryKind,
    reports::Ledgered,
    reservation::Status,
    reservations::When,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    ReservationsState,
    extract::{Caller, PagedQuery},
    openapi::responses::Signed,
    operations::operations,
    problem::Problem,
    routes::paging::PageQuery,
    wire::{
        self,
        formats::{self, Ulid},
    },
};

operations!(tag = "reservations", ReservationsState: history);

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct HistoryQuery {
    /// `upcoming`: starts from now on; `past`: starts before now; both when left out.
    #[param(value_type = String, required = false, pattern = "^(upcoming|past)$")]
    when: Option<String>,
    /// Whose history: staff and admins may name any user, a customer only themselves (403
    /// otherwise); the caller when left out.
    #[param(value_type = Ulid, required = false)]
    customer_id: Option<String>,
}

/// A movement of money the ledger recorded for a reservation.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HistoryPayment {
    /// `charge` or `refund`.
    #[schema(value_type = String, pattern = "^(charge|refund)$")]
    kind: EntryKind,
    #[schema(minimum = 0)]
    amount_minor: i64,
    #[schema(value_type = formats::Currency)]
    currency: String,
    /// The gateway's reference.
    reference: String,
    /// UTC.
    #[schema(value_type = String, format = DateTime)]
    at: Timestamp,
    /// The same instant with the business zone's offset.
    #[schema(format = DateTime)]
    at_local: String,
}

/// One reservation of a customer's history: its times in UTC and in the business zone,
/// and every movement of money the ledger recorded for it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HistoryItem {
    #[schema(value_type = Ulid)]
    id: ReservationId,
    #[schema(value_type = formats::Status)]
    status: Status,
    #[schema(value_type = Ulid)]
    service_id: ServiceId,
    /// The service's name when it was booked.
    service_name: String,
    /// The business's IANA time zone when it was booked.
    time_zone: String,
    /// UTC.
    #[schema(value_type = String, format = DateTime)]
    start: Timestamp,
    /// UTC (the buffer not included).
    #[schema(value_type = String, format = DateTime)]
    end: Timestamp,
    /// `start` with the business zone's offset.
    #[schema(format = DateTime)]
    start_local: String,
    /// `end` with the business zone's offset.
    #[schema(format = DateTime)]
    end_local: String,
    /// Whether the start is still to come.
    upcoming: bool,
    /// The price when it was booked, in minor units.
    amount_minor: i64,
    #[schema(value_type = formats::Currency)]
    currency: String,
    /// Sum of the charges, in minor units.
    #[schema(minimum = 0)]
    charged_minor: i64,
    /// Sum of the refunds, in minor units.
    #[schema(minimum = 0)]
    refunded_minor: i64,
    /// Every charge and refund, oldest first.
    payments: Vec<HistoryPayment>,
    /// Why the booking failed; `null` unless `FAILED`.
    #[schema(required = true)]
    failure: Option<wire::reservation::Failure>,
    /// UTC.
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
    /// `createdAt` with the business zone's offset.
    #[schema(format = DateTime)]
    created_at_local: String,
}

impl HistoryItem {
    fn new(l: &Ledgered, now: Timestamp) -> Self {
        let r = &l.reservation;
        let tz = r.time_zone.time_zone().clone();
        HistoryItem {
            id: r.id,
            status: r.status,
            service_id: r.service_id,
            service_name: r.service_name.clone(),
            time_zone: r.time_zone.name().to_owned(),
            start: r.start,
            end: r.end,
            start_local: rfc3339(r.start, &tz),
            end_local: rfc3339(r.end, &tz),
            upcoming: r.start >= now,
            amount_minor: r.amount.minor,
            currency: r.amount.currency.code().to_owned(),
            charged_minor: l.charged_minor(),
            refunded_minor: l.refunded_minor(),
            payments: l
                .entries
                .iter()
                .map(|e| HistoryPayment {
                    kind: e.kind,
                    amount_minor: e.amount.minor,
                    currency: e.amount.currency.code().to_owned(),
                    reference: e.gateway_reference.clone(),
                    at: e.at,
                    at_local: rfc3339(e.at, &tz),
                })
                .collect(),
            failure: r.failure.as_ref().map(Into::into),
            created_at: r.created_at,
            created_at_local: rfc3339(r.created_at, &tz),
        }
    }
}

/// One page of a customer's history.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HistoryPage {
    /// Whose history this is.
    #[schema(value_type = Ulid)]
    customer_id: UserId,
    /// By start, oldest first.
    items: Vec<HistoryItem>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    #[schema(required = true)]
    next_cursor: Option<String>,
}

/// `GET /api/reservations/history`: the caller's reservations (or, for staff and admins,
/// any customer's), by start, each with its payments and refunds.
#[utoipa::path(get, path = "/api/reservations/history", operation_id = "getReservationHistory",
    summary = "A customer's history",
    description = "Past and upcoming reservations of the caller (or, for staff and admins, of \
        `customerId`), by start, each with its times in UTC and in the business zone and \
        every payment and refund the ledger recorded for it.",
    params(HistoryQuery, PageQuery),
    responses(
        (status = 200, description = "A page of the history.", body = HistoryPage),
        (status = 400, description = "A bad query parameter (`when` not `upcoming` or `past`, `customerId` not a ULID, `limit` outside 1..100, a `cursor` this API did not return, an unknown parameter); every bad one is named in `errors`.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A customer asked for another user's history (`/problems/forbidden`).", body = Problem, content_type = "application/problem+json"),
        Signed,
    )
)]
pub(crate) async fn history(
    State(state): State<ReservationsState>,
    caller: Caller,
    PagedQuery(page, q): PagedQuery<HistoryQuery>,
) -> Result<Json<HistoryPage>, Problem> {
    let (customer, when, after, limit) = q.parse(&page)?;
    let (customer, now, page) = state
        .reservations()
        .history(caller.viewer(), customer, when, after, limit)
        .await?;
    let items = page.items.iter().map(|l| HistoryItem::new(l, now));
    Ok(Json(HistoryPage {
        customer_id: customer,
        items: items.collect(),
        next_cursor: page.next,
    }))
}

type Parsed = (
    Option<UserId>,
    Option<When>,
    Option<booking_core::ports::ReservationCursor>,
    usize,
);

impl HistoryQuery {
    /// Whose history, which part of it and which page; every bad parameter is named at once.
    fn parse(self, page: &PageQuery) -> Result<Parsed, Problem> {
        let mut p = Problems::default();
        let (limit, after) = page.reservations(&mut p);
        let when = p.optional("when", self.when.as_deref(), When::parse);
        let customer = p.optional("customerId", self.customer_id.as_deref(), UserId::parse);
        p.into_result()?;
        Ok((customer, when, after, limit))
    }
}
