//! `/api/reservations/*`: book and pay in one request, list, read and cancel.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use booking_core::{
    availability::rfc3339,
    error::Problems,
    idempotency::IdempotencyKey,
    ids::{ReservationId, ServiceId},
    payment::{EntryKind, GatewayKind, LedgerEntry, PaymentMethod},
    ports::{ReservationCursor, ReservationFilter},
    reservation::{Reservation, Status},
    reservations::{Booked, NewBooking},
    time::parse_instant,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    ReservationsState,
    extract::{Caller, JsonBody, PagedQuery, PathId, path_id},
    openapi::responses::{Signed, SignedBody},
    operations::operations,
    problem::Problem,
    routes::paging::PageQuery,
    wire::{
        self,
        formats::{self, Ulid},
    },
};

operations!(tag = "reservations", ReservationsState: list, create, show, cancel);

/// The body of `POST /api/reservations`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(examples(json!({
    "serviceId": "01KB5ZQ8GQ4W3N9V7Y2X1M0PAB",
    "start": "2026-12-01T10:00:00+01:00",
    "paymentMethod": "pm_card_visa"
})))]
pub(crate) struct NewReservation {
    /// An active service.
    #[schema(value_type = Ulid)]
    service_id: String,
    /// The start, RFC 3339 with an offset within ±23:59: one of the service's free slots (see its
    /// availability).
    #[schema(format = DateTime)]
    start: String,
    /// The card to pay with: required when the service is paid online
    /// (`prepayment: required`), left out when it is paid at the venue (a 422 names
    /// `paymentMethod` otherwise).
    #[schema(value_type = Option<formats::PaymentMethod>)]
    payment_method: Option<String>,
}

const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// The `Idempotency-Key` header, read by [`IdempotencyKey::parse`] (whose rule it is).
fn idempotency_key(headers: &HeaderMap) -> Result<IdempotencyKey, Problem> {
    let key = headers.get(IDEMPOTENCY_KEY).ok_or_else(|| {
        Problem::invalid(
            IDEMPOTENCY_KEY,
            "is required (a unique value per booking attempt, e.g. a UUID)",
        )
    })?;
    let key = key.to_str().unwrap_or_default();
    IdempotencyKey::parse(IDEMPOTENCY_KEY, key).map_err(|e| Problem::validation(vec![e]))
}

/// `POST /api/reservations`: validates, then runs the booking workflow (hold, charge,
/// confirm, notify) and answers with its outcome. The same Idempotency-Key with the same
/// body answers the same and charges once; with another body it is refused.
#[utoipa::path(post, path = "/api/reservations", operation_id = "createReservation",
    summary = "Book and pay.",
    description = "Holds the slot, authorises the payment method, confirms and captures, in \
        one request; it answers once the booking is confirmed or has failed and been undone \
        (a failed booking releases the place and voids or refunds what was authorised or \
        taken). A service paid at the venue takes no payment method and moves no money. A \
        card that asks for 3-D Secure answers 202 (see below).\n\n\
        Retrying with the same `Idempotency-Key` and body answers the same and never charges \
        twice; the same key with another body is refused with 422.",
    params(
        ("Idempotency-Key" = String, Header, description = "One unique value per booking attempt (a UUID, say): 1 to 255 visible ASCII characters.",
            min_length = 1, max_length = 255, pattern = "^[!-~]{1,255}$"),
    ),
    request_body = NewReservation,
    responses(
        (status = 201, description = "Booked: `CONFIRMED`, with the payment (captured, or `at_venue`).", body = ReservationView),
        (status = 202, description = "The card asks for 3-D Secure: the reservation is `PENDING_PAYMENT`, its hold keeps the place until `holdExpiresAt`, and `payment` is `requires_action` with its `clientSecret`. Complete the challenge with Stripe.js, then repeat this request with the same `Idempotency-Key` and body: 201 once authenticated, 402 if authentication failed, 409 `hold-expired` if the hold lapsed meanwhile (the authorisation is then voided).", body = ReservationView),
        (status = 400, description = "A field is invalid (`serviceId` not a ULID, `start` not RFC 3339 with an offset within ±23:59, `paymentMethod` not a `pm_` id), the `Idempotency-Key` header is missing or malformed, the JSON is malformed or has an unknown field.", body = Problem, content_type = "application/problem+json"),
        (status = 402, description = "The card was declined (`/problems/payment-declined`); the place was released.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No place left at that start (`/problems/slot-unavailable`), or the hold expired before the payment went through (`/problems/hold-expired`).", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The booking breaks a rule (`/problems/rule-violation`: off the slot grid, outside opening hours, in the past, inside the notice, beyond the advance limit, an unknown or inactive service, a `paymentMethod` missing for a service paid online or given for one paid at the venue; `errors[0].field` is `start`, `serviceId` or `paymentMethod`), or the `Idempotency-Key` was used with a different request (`/problems/invalid-request`).", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many bookings in payment at once or upcoming for this customer (`/problems/limit-exceeded`).", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The payment processor (or storage) kept failing after the retries (`/problems/temporarily-unavailable`); the place was released.", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again."))),
        SignedBody,
    )
)]
pub(crate) async fn create(
    State(state): State<ReservationsState>,
    caller: Caller,
    headers: HeaderMap,
    JsonBody(body): JsonBody<NewReservation>,
) -> Result<(StatusCode, Json<ReservationView>), Problem> {
    let mut p = Problems::default();
    let service = p.check(ServiceId::parse("serviceId", &body.service_id));
    let start = p.check(parse_instant("start", &body.start));
    let method = p.optional(
        "paymentMethod",
        body.payment_method.as_deref(),
        PaymentMethod::parse,
    );
    let idempotency_key = idempotency_key(&headers)?;
    p.into_result()?;
    let (Some(service), Some(start)) = (service, start) else {
        return Err(Problem::invalid("body", "is invalid"));
    };
    let new = NewBooking {
        service,
        start,
        method,
        idempotency_key,
    };
    Ok(match state.reservations().book(caller.id(), new).await? {
        Booked::Done((r, ledger)) => (
            StatusCode::CREATED,
            Json(ReservationView::new(&r, Some(&ledger))),
        ),
        Booked::ActionRequired {
            reservation,
            client_secret,
        } => {
            let mut view = ReservationView::new(&reservation, Some(&[]));
            view.payment.client_secret = Some(client_secret);
            (StatusCode::ACCEPTED, Json(view))
        }
    })
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Only reservations in this status.
    #[param(value_type = formats::Status, required = false)]
    status: Option<String>,
    /// Only reservations of this service.
    #[param(value_type = Ulid, required = false)]
    service_id: Option<String>,
    /// Only reservations starting at or after this instant (RFC 3339 with an offset).
    #[param(value_type = String, format = DateTime, required = false)]
    from: Option<String>,
    /// Only reservations starting before this instant (RFC 3339 with an offset).
    #[param(value_type = String, format = DateTime, required = false)]
    to: Option<String>,
}

impl ListQuery {
    /// The filter, cursor and page size; every bad parameter is named at once.
    fn parse(
        self,
        page: &PageQuery,
    ) -> Result<(ReservationFilter, Option<ReservationCursor>, usize), Problem> {
        let mut p = Problems::default();
        let (limit, after) = page.reservations(&mut p);
        let status = p.optional("status", self.status.as_deref(), Status::parse);
        let service = p.optional("serviceId", self.service_id.as_deref(), ServiceId::parse);
        let from = p.optional("from", self.from.as_deref(), parse_instant);
        let to = p.optional("to", self.to.as_deref(), parse_instant);
        p.into_result()?;
        let filter = ReservationFilter {
            customer: None,
            status,
            service,
            from,
            to,
        };
        Ok((filter, after, limit))
    }
}

/// One page of reservations.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReservationPage {
    items: Vec<ReservationView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    #[schema(required = true)]
    next_cursor: Option<String>,
}

/// `GET /api/reservations`: customers see their own; staff and admins see everyone's.
#[utoipa::path(get, path = "/api/reservations", operation_id = "listReservations",
    summary = "List reservations.",
    description = "A customer sees their own; staff and admins see everyone's. Filters \
        combine; `from` and `to` bound the start.",
    params(ListQuery, PageQuery),
    responses(
        (status = 200, description = "A page of reservations.", body = ReservationPage),
        (status = 400, description = "A bad query parameter (an unknown `status`, `serviceId` not a ULID, `from`/`to` not RFC 3339 with an offset within ±23:59, `limit` outside 1..100, a `cursor` this API did not return, an unknown parameter); every bad one is named in `errors`.", body = Problem, content_type = "application/problem+json"),
        Signed,
    )
)]
pub(crate) async fn list(
    State(state): State<ReservationsState>,
    caller: Caller,
    PagedQuery(page, q): PagedQuery<ListQuery>,
) -> Result<Json<ReservationPage>, Problem> {
    let (filter, after, limit) = q.parse(&page)?;
    let page = state
        .reservations()
        .list(caller.viewer(), filter, after, limit)
        .await?;
    Ok(Json(ReservationPage {
        items: page
            .items
            .iter()
            .map(|r| ReservationView::new(r, None))
            .collect(),
        next_cursor: page.next,
    }))
}

/// A reservation, with its payment, refund and history.
#[utoipa::path(get, path = "/api/reservations/{id}", operation_id = "getReservation",
    summary = "Read a reservation.",
    description = "Its customer, staff and admins may read it; anyone else gets 404.",
    params(("id" = Ulid, Path, description = "The reservation's id.")),
    responses(
        (status = 200, description = "The reservation.", body = ReservationView),
        (status = 400, description = "The id is not a ULID.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such reservation, or another customer's.", body = Problem, content_type = "application/problem+json"),
        Signed,
    )
)]
pub(crate) async fn show(
    State(state): State<ReservationsState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<ReservationView>, Problem> {
    let id = path_id(id, ReservationId::parse)?;
    let (r, ledger) = state.reservations().get(caller.viewer(), id).await?;
    Ok(Json(ReservationView::new(&r, Some(&ledger))))
}

/// `POST /api/reservations/{id}/cancel`: runs the cancellation workflow (cancel, free the
/// slot, refund by policy, notify). Repeating it changes nothing more.
#[utoipa::path(post, path = "/api/reservations/{id}/cancel", operation_id = "cancelReservation",
    summary = "Cancel a reservation.",
    description = "Cancels a `CONFIRMED` reservation before its start, frees the place and \
        refunds by the service's policy (in full when staff or an admin cancels). Its \
        customer, staff and admins may cancel it; anyone else gets 404. Cancelling again \
        answers the same and refunds nothing more.",
    params(("id" = Ulid, Path, description = "The reservation's id.")),
    responses(
        (status = 200, description = "The reservation, `CANCELLED`, with its `refund`.", body = ReservationView),
        (status = 400, description = "The id is not a ULID.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such reservation, or another customer's.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The reservation is not `CONFIRMED` (pending, failed, completed) or has already started (`/problems/not-cancellable`).", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The refund or storage kept failing after the retries (`/problems/temporarily-unavailable`).", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again."))),
        Signed,
    )
)]
pub(crate) async fn cancel(
    State(state): State<ReservationsState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<ReservationView>, Problem> {
    let id = path_id(id, ReservationId::parse)?;
    let (r, ledger) = state.reservations().cancel(caller.viewer(), id).await?;
    Ok(Json(ReservationView::new(&r, Some(&ledger))))
}

/// How a reservation is paid.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PaymentView {
    /// `null` when paid at the venue.
    #[schema(value_type = Option<formats::PaymentMethod>, required = true)]
    method: Option<String>,
    /// The gateway that took (or is taking) the money; `null` before the authorisation
    /// and when paid at the venue.
    #[schema(value_type = Option<formats::Gateway>, required = true)]
    gateway: Option<&'static str>,
    #[schema(value_type = formats::PaymentStatus)]
    status: &'static str,
    /// The authorisation at the gateway (a Stripe PaymentIntent id), once asked for.
    #[schema(required = true)]
    authorization: Option<String>,
    /// The gateway's charge reference, once captured.
    #[schema(required = true)]
    reference: Option<String>,
    /// What was charged, in minor units; `null` until captured.
    #[schema(required = true)]
    charged_minor: Option<i64>,
    /// Only in a 202 answer: what Stripe.js completes the 3-D Secure challenge with
    /// (`stripe.handleNextAction({clientSecret})`), before the client repeats its request
    /// with the same `Idempotency-Key`.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
}

/// What a cancellation refunds: due (`reference` and `at` null) or refunded.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RefundView {
    #[schema(minimum = 0)]
    amount_minor: i64,
    /// The gateway's refund reference, once refunded.
    #[schema(required = true)]
    reference: Option<String>,
    /// When it was refunded (UTC).
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    at: Option<Timestamp>,
}

/// A reservation as clients see it, times with the business zone's offset.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReservationView {
    #[schema(value_type = Ulid)]
    id: ReservationId,
    #[schema(value_type = formats::Status)]
    status: Status,
    #[schema(value_type = Ulid)]
    customer_id: String,
    #[schema(value_type = Ulid)]
    service_id: ServiceId,
    /// The service's name when it was booked.
    service_name: String,
    /// RFC 3339 with the business zone's offset.
    #[schema(format = DateTime)]
    start: String,
    /// RFC 3339 with the business zone's offset (the buffer not included).
    #[schema(format = DateTime)]
    end: String,
    /// The business's IANA time zone when it was booked.
    time_zone: String,
    /// The price when it was booked, in minor units.
    amount_minor: i64,
    #[schema(value_type = formats::Currency)]
    currency: String,
    payment: PaymentView,
    /// Until when the place is held while `PENDING_PAYMENT` (UTC); `null` otherwise.
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    hold_expires_at: Option<Timestamp>,
    /// What a cancellation refunds (or refunded), from the ledger when it is known.
    #[schema(required = true)]
    refund: Option<RefundView>,
    /// Why the booking failed; `null` unless `FAILED`.
    #[schema(required = true)]
    failure: Option<wire::reservation::Failure>,
    /// Every status change, oldest first.
    history: Vec<wire::reservation::StatusChange>,
    /// UTC.
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
}

impl ReservationView {
    pub(crate) fn new(r: &Reservation, ledger: Option<&[LedgerEntry]>) -> Self {
        let tz = r.time_zone.time_zone().clone();
        let entry = |kind| ledger.and_then(|l| l.iter().find(|e| e.kind == kind));
        let charge = entry(EntryKind::Charge);
        let refund = match (entry(EntryKind::Refund), r.refund_due_minor) {
            (Some(e), _) => Some(RefundView {
                amount_minor: e.amount.minor,
                reference: Some(e.gateway_reference.clone()),
                at: Some(e.at),
            }),
            (None, Some(due)) => Some(RefundView {
                amount_minor: due,
                reference: None,
                at: None,
            }),
            (None, None) => None,
        };
        ReservationView {
            id: r.id,
            status: r.status,
            customer_id: r.customer_id.to_string(),
            service_id: r.service_id,
            service_name: r.service_name.clone(),
            start: rfc3339(r.start, &tz),
            end: rfc3339(r.end, &tz),
            time_zone: r.time_zone.name().to_owned(),
            amount_minor: r.amount.minor,
            currency: r.amount.currency.code().to_owned(),
            payment: PaymentView {
                method: r.payment_method.as_ref().map(|m| m.as_str().to_owned()),
                gateway: r.payment.gateway.map(GatewayKind::as_str),
                status: r.payment.status.as_str(),
                authorization: r.payment.authorization.clone(),
                reference: r.payment.charge.clone(),
                // Without the ledger at hand (lists), a charge reference means the capture
                // of the full price went through: Capture records it with the charge.
                charged_minor: match (ledger, &r.payment.charge) {
                    (Some(_), _) => charge.map(|e| e.amount.minor),
                    (None, Some(_)) => Some(r.amount.minor),
                    (None, None) => None,
                },
                client_secret: None,
            },
            hold_expires_at: (r.status == Status::PendingPayment).then_some(r.hold_expires_at),
            refund,
            failure: r.failure.as_ref().map(Into::into),
            history: r.history.iter().map(Into::into).collect(),
            created_at: r.created_at,
        }
    }
}
