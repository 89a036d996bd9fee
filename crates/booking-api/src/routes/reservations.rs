//! `/api/reservations/*`: book and pay in one request, list, read and cancel.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    routing::{get, post},
};
use booking_core::{
    availability::rfc3339,
    booking::{BookingRequest, CancelRequest, TaskError},
    error::Problems,
    ids::{ReservationId, ServiceId},
    payment::{EntryKind, LedgerEntry, PaymentMethod},
    ports::{ReservationCursor, ReservationFilter},
    reservation::{Actor, Failure, Reservation, Status, StatusChange},
    user::Role,
    workflow::Outcome,
};
use jiff::{Timestamp, tz::TimeZone};
use serde::{Deserialize, Serialize};

use crate::{
    AppState,
    extract::{Caller, JsonBody, QueryParams, path_id},
    problem::Problem,
    routes::auth::MAX_LIMIT,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/reservations", get(list).post(create))
        .route("/api/reservations/{id}", get(show))
        .route("/api/reservations/{id}/cancel", post(cancel))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewReservation {
    service_id: String,
    start: String,
    payment_method: String,
}

const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// 1 to 255 visible ASCII characters, as the IETF idempotency-key draft suggests (a UUID
/// or ULID in practice).
fn idempotency_key(headers: &HeaderMap) -> Result<String, Problem> {
    let key = headers.get(IDEMPOTENCY_KEY).ok_or_else(|| {
        Problem::invalid(
            IDEMPOTENCY_KEY,
            "is required (a unique value per booking attempt, e.g. a UUID)",
        )
    })?;
    let key = key.to_str().unwrap_or_default();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(Problem::invalid(
            IDEMPOTENCY_KEY,
            "must be 1 to 255 visible ASCII characters",
        ));
    }
    Ok(key.to_owned())
}

/// `POST /api/reservations`: validates, then runs the booking workflow (hold, charge,
/// confirm, notify) and answers with its outcome. The same Idempotency-Key with the same
/// body answers the same and charges once; with another body it is refused.
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    JsonBody(body): JsonBody<NewReservation>,
) -> Result<(StatusCode, Json<ReservationView>), Problem> {
    let key = idempotency_key(&headers);
    let mut p = Problems::default();
    let service = p.check(ServiceId::parse("serviceId", &body.service_id));
    let start = p.check(parse_instant("start", &body.start));
    let method = p.check(PaymentMethod::parse("paymentMethod", &body.payment_method));
    let key = match key {
        Ok(k) => Some(k),
        Err(problem) => return Err(problem),
    };
    p.into_result()?;
    let (Some(service), Some(start), Some(method), Some(key)) = (service, start, method, key)
    else {
        return Err(Problem::invalid("body", "is invalid"));
    };

    let ports = &state.ports;
    let fingerprint = BookingRequest::fingerprint_of(service, start, method);
    let (id, first) = ports
        .reservations
        .claim_key(caller.id(), &key, &fingerprint, ReservationId::new())
        .await?;
    if first != fingerprint {
        return Err(TaskError::InvalidRequest(format!(
            "the {IDEMPOTENCY_KEY} was already used with a different request"
        ))
        .into());
    }
    // A replay of a finished booking answers from the stored state without running again.
    let settled = ports
        .reservations
        .get(id)
        .await?
        .filter(|r| r.status != Status::PendingPayment);
    if settled.is_none() {
        let request = BookingRequest {
            reservation_id: id,
            customer_id: caller.id(),
            service_id: service,
            start,
            payment_method: method,
            idempotency_key: key,
            fingerprint,
        };
        if let Outcome::Failed(f) = ports.workflow.book(&request).await? {
            return Err(f.to_error().into());
        }
    }
    let r = ports
        .reservations
        .get(id)
        .await?
        .ok_or(booking_core::Error::NotFound("reservation"))?;
    if let (Status::Failed, Some(f)) = (r.status, &r.failure) {
        return Err(TaskError::from_failure(&f.code, &f.message).into());
    }
    let ledger = ports.ledger.entries(id).await?;
    Ok((
        StatusCode::CREATED,
        Json(ReservationView::new(&r, Some(&ledger))),
    ))
}

fn parse_instant(field: &str, s: &str) -> Result<Timestamp, booking_core::FieldError> {
    s.parse::<Timestamp>().map_err(|_| {
        booking_core::FieldError::new(
            field,
            "must be an RFC 3339 date-time with an offset, e.g. 2026-12-01T10:00:00+01:00",
        )
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListQuery {
    status: Option<String>,
    service_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReservationPage {
    items: Vec<ReservationView>,
    next_cursor: Option<String>,
}

/// `GET /api/reservations`: customers see their own; staff and admins see everyone's.
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<ReservationPage>, Problem> {
    let mut p = Problems::default();
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_LIMIT).contains(&limit) {
        p.push(booking_core::FieldError::new(
            "limit",
            "must be between 1 and 100",
        ));
    }
    let status = q
        .status
        .as_deref()
        .and_then(|s| p.check(Status::parse("status", s)));
    let service = q
        .service_id
        .as_deref()
        .and_then(|s| p.check(ServiceId::parse("serviceId", s)));
    let from = q
        .from
        .as_deref()
        .and_then(|s| p.check(parse_instant("from", s)));
    let to =
        q.to.as_deref()
            .and_then(|s| p.check(parse_instant("to", s)));
    let after = q.cursor.as_deref().and_then(|c| {
        p.check(ReservationCursor::decode(c).ok_or_else(|| {
            booking_core::FieldError::new("cursor", "is not a cursor this API returned")
        }))
    });
    p.into_result()?;
    let customer = (caller.role() == Role::Customer).then(|| caller.id());
    let filter = ReservationFilter {
        customer,
        status,
        service,
        from,
        to,
    };
    let page = state
        .ports
        .reservations
        .list(&filter, after, limit as usize)
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

/// The reservation if the caller may see it: its customer, staff or an admin. Anyone else
/// learns nothing, not even that it exists.
async fn visible(
    state: &AppState,
    caller: &Caller,
    id: ReservationId,
) -> Result<Reservation, Problem> {
    match state.ports.reservations.get(id).await? {
        Some(r) if r.customer_id == caller.id() || caller.role() != Role::Customer => Ok(r),
        _ => Err(Problem::not_found("reservation")),
    }
}

async fn show(
    State(state): State<AppState>,
    caller: Caller,
    id: Path<String>,
) -> Result<Json<ReservationView>, Problem> {
    let id = path_id(id, ReservationId::parse)?;
    let r = visible(&state, &caller, id).await?;
    let ledger = state.ports.ledger.entries(id).await?;
    Ok(Json(ReservationView::new(&r, Some(&ledger))))
}

/// `POST /api/reservations/{id}/cancel`: runs the cancellation workflow (cancel, free the
/// slot, refund by policy, notify). Repeating it changes nothing more.
async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    id: Path<String>,
) -> Result<Json<ReservationView>, Problem> {
    let id = path_id(id, ReservationId::parse)?;
    visible(&state, &caller, id).await?;
    let request = CancelRequest {
        reservation_id: id,
        actor: Actor::User {
            id: caller.id(),
            role: caller.role(),
        },
    };
    if let Outcome::Failed(f) = state.ports.workflow.cancel(&request).await? {
        return Err(f.to_error().into());
    }
    let r = visible(&state, &caller, id).await?;
    let ledger = state.ports.ledger.entries(id).await?;
    Ok(Json(ReservationView::new(&r, Some(&ledger))))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PaymentView {
    method: &'static str,
    reference: Option<String>,
    charged_minor: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RefundView {
    amount_minor: i64,
    reference: Option<String>,
    at: Option<Timestamp>,
}

/// A reservation as clients see it, times with the business zone's offset.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservationView {
    id: ReservationId,
    status: Status,
    customer_id: String,
    service_id: ServiceId,
    service_name: String,
    start: String,
    end: String,
    time_zone: String,
    amount_minor: i64,
    currency: String,
    payment: PaymentView,
    /// What a cancellation refunds (or refunded), from the ledger when it is known.
    refund: Option<RefundView>,
    failure: Option<Failure>,
    history: Vec<StatusChange>,
    created_at: Timestamp,
}

impl ReservationView {
    fn new(r: &Reservation, ledger: Option<&[LedgerEntry]>) -> Self {
        let tz = TimeZone::get(&r.time_zone).unwrap_or(TimeZone::UTC);
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
            time_zone: r.time_zone.clone(),
            amount_minor: r.amount_minor,
            currency: r.currency.code().to_owned(),
            payment: PaymentView {
                method: r.payment_method.as_str(),
                reference: r.payment_reference.clone(),
                // Without the ledger at hand (lists), a payment reference means the charge
                // of the full price went through: Confirm requires it.
                charged_minor: match (ledger, &r.payment_reference) {
                    (Some(_), _) => charge.map(|e| e.amount.minor),
                    (None, Some(_)) => Some(r.amount_minor),
                    (None, None) => None,
                },
            },
            refund,
            failure: r.failure.clone(),
            history: r.history.clone(),
            created_at: r.created_at,
        }
    }
}
