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

operations!(tag = "reservations", ReservationsState: complete, no_show);

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

/// Declares the operation that records one outcome of a visit: `POST $path`, answering
/// [`Outcome`] for staff and admins.
macro_rules! outcome {
    ($(#[$doc:meta])* $handler:ident, $outcome:expr, $path:tt, $id:tt, $summary:tt, $description:tt) => {
        $(#[$doc])*
        #[utoipa::path(post, path = $path, operation_id = $id,
            summary = $summary,
            description = $description,
            params(("id" = Ulid, Path, description = "The reservation's id.")),
                    responses(Outcome, Signed)
        )]
        pub(crate) async fn $handler(
            State(state): State<ReservationsState>,
            StaffOrAdmin(caller): StaffOrAdmin,
            PathId(id): PathId,
        ) -> Result<Json<ReservationView>, Problem> {
            record(&state, &caller, id, $outcome).await
        }
    };
}

outcome!(
    /// `POST /api/reservations/{id}/complete`: staff record that the visit took place.
    complete,
    Status::Completed,
    "/api/reservations/{id}/complete",
    "completeReservation",
    "Record that the visit took place",
    "Staff and admins mark a `CONFIRMED` reservation `COMPLETED` once its start has passed. \
        Repeating it answers 200 with the reservation unchanged."
);

outcome!(
    /// `POST /api/reservations/{id}/no-show`: staff record that the customer did not come.
    no_show,
    Status::NoShow,
    "/api/reservations/{id}/no-show",
    "noShowReservation",
    "Record that the customer did not come",
    "Staff and admins mark a `CONFIRMED` reservation `NO_SHOW` once its start has passed \
        (no refund is made). Repeating it answers 200 with the reservation unchanged."
);

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
