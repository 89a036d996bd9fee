//! `/api/reservations/{id}/complete` and `.../no-show`: the outcome of a visit, which
//! staff and admins record once its start has passed.

use axum::{
    Json,
    extract::{Path, State},
};
use booking_core::{ids::ReservationId, reservation::Status};
use utoipa::IntoResponses;

use crate::{
    ReservationsState,
    extract::{Caller, PathId, StaffOrAdmin, path_id},
    openapi::responses::Signed,
    operations::operations,
    problem::Problem,
    routes::reservations::ReservationView,
    wire::formats::Ulid,
};

operations!(ReservationsState: complete, no_show);

/// What recording a visit's outcome answers, besides [`Signed`]'s.
#[derive(IntoResponses)]
// Never built: the variants describe responses; the handlers answer with `Json` and `Problem`.
#[allow(dead_code, clippy::large_enum_variant)]
enum Outcome {
    /// The reservation with its new status (or unchanged, when it already had it).
    #[response(status = 200)]
    Recorded(ReservationView),
    /// The id is not a ULID.
    #[response(status = 400, content_type = "application/problem+json")]
    BadId(Problem),
    /// Only staff and admins record visits (`/problems/forbidden`).
    #[response(status = 403, content_type = "application/problem+json")]
    NotStaff(Problem),
    /// No such reservation.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    #[doc = "The reservation is not `CONFIRMED` (or already has the other outcome); \
        `currentStatus` names its status (`/problems/not-cancellable`)."]
    #[response(status = 409, content_type = "application/problem+json")]
    NotConfirmed(Problem),
    /// Its start has not passed yet (`/problems/rule-violation` on `start`).
    #[response(status = 422, content_type = "application/problem+json")]
    TooEarly(Problem),
}

/// `POST /api/reservations/{id}/complete`: staff record that the visit took place.
#[utoipa::path(
    post,
    path = "/api/reservations/{id}/complete",
    operation_id = "completeReservation",
    tag = "reservations",
    summary = "Record that the visit took place",
    description = "Staff and admins mark a `CONFIRMED` reservation `COMPLETED` once its start \
        has passed. Repeating it answers 200 with the reservation unchanged.",
    params(("id" = Ulid, Path, description = "The reservation's id.")),
    security(("bearerAuth" = [])),
    responses(
        Outcome,
        Signed,
    )
)]
pub(crate) async fn complete(
    State(state): State<ReservationsState>,
    StaffOrAdmin(caller): StaffOrAdmin,
    PathId(id): PathId,
) -> Result<Json<ReservationView>, Problem> {
    record(&state, &caller, id, Status::Completed).await
}

/// `POST /api/reservations/{id}/no-show`: staff record that the customer did not come.
#[utoipa::path(
    post,
    path = "/api/reservations/{id}/no-show",
    operation_id = "noShowReservation",
    tag = "reservations",
    summary = "Record that the customer did not come",
    description = "Staff and admins mark a `CONFIRMED` reservation `NO_SHOW` once its start \
        has passed (no refund is made). Repeating it answers 200 with the reservation \
        unchanged.",
    params(("id" = Ulid, Path, description = "The reservation's id.")),
    security(("bearerAuth" = [])),
    responses(
        Outcome,
        Signed,
    )
)]
pub(crate) async fn no_show(
    State(state): State<ReservationsState>,
    StaffOrAdmin(caller): StaffOrAdmin,
    PathId(id): PathId,
) -> Result<Json<ReservationView>, Problem> {
    record(&state, &caller, id, Status::NoShow).await
}

async fn record(
    state: &ReservationsState,
    caller: &Caller,
    id: Path<String>,
    outcome: Status,
) -> Result<Json<ReservationView>, Problem> {
    let id = path_id(id, ReservationId::parse)?;
    let (r, ledger) = state
        .reservations()
        .record_visit(caller.viewer(), id, outcome)
        .await?;
    Ok(Json(ReservationView::new(&r, Some(&ledger))))
}
