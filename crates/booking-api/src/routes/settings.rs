//! `/api/settings`: the business's time zone, slot grid, opening hours and closed dates.

use axum::{Json, extract::State};

use crate::{
    ServicesState,
    extract::{Admin, JsonBody},
    openapi::responses::{AdminBody, InternalError},
    operations::operations,
    problem::Problem,
    wire,
};

operations!(tag = "settings", ServicesState: settings, put_settings);

type Settings = wire::settings::Settings;

/// The business settings.
///
/// Public: time zone, slot grid, weekly opening hours and closed dates.
#[utoipa::path(get, path = "/api/settings", operation_id = "getSettings",
    responses(
        (status = 200, description = "The settings.", body = wire::settings::Settings),
        (status = 500, response = InternalError),
    )
)]
pub(crate) async fn settings(
    State(state): State<ServicesState>,
) -> Result<Json<Settings>, Problem> {
    Ok(Json(state.catalog().settings().await?.into()))
}

/// Replace the business settings (admin).
///
/// The whole document: days left out are closed. Refused when an existing service's
/// duration is not a multiple of the new `slotMinutes`.
#[utoipa::path(put, path = "/api/settings", operation_id = "putSettings",
    request_body = wire::settings::Settings,
    responses(
        (status = 200, description = "The new settings.", body = wire::settings::Settings),
        (status = 400, description = "Fields are invalid (unknown time zone, a slot size not in the list, intervals off the grid, overlapping or with `close` not after `open`, a bad date; each is named in `errors`), an existing service is off the new grid, the JSON is malformed or has an unknown field.", body = Problem, content_type = "application/problem+json"),
        AdminBody,
    )
)]
pub(crate) async fn put_settings(
    State(state): State<ServicesState>,
    Admin(admin): Admin,
    JsonBody(doc): JsonBody<Settings>,
) -> Result<Json<Settings>, Problem> {
    let settings = state.catalog().put_settings(doc.into()).await?;
    tracing::info!(admin_id = %admin.id(), "settings replaced");
    Ok(Json(settings.into()))
}
