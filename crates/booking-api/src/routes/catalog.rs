//! `/api/services/*`: the catalog and each service's availability.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
};
use booking_core::{availability::DateRange, ids::ServiceId, settings::parse_date, user::Role};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    ServicesState,
    extract::{Admin, Caller, JsonBody, PathId, QueryParams, path_id},
    openapi::responses::{AdminBody, AdminOnly, InternalError},
    operations::operations,
    problem::Problem,
    wire::{self, formats::Ulid},
};

operations!(tag = "services", ServicesState: list, create, show, update, deactivate, availability);

type Service = wire::catalog::Service;

fn is_admin(caller: &Option<Caller>) -> bool {
    caller.as_ref().is_some_and(|c| c.role() == Role::Admin)
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Also list inactive services; needs an admin token.
    #[serde(default)]
    #[param(default = false)]
    include_inactive: bool,
}

/// The catalog in name order.
#[derive(Serialize, ToSchema)]
pub(crate) struct ServiceList {
    items: Vec<Service>,
}

/// List the catalog.
///
/// Public: active services only. An admin token may add `includeInactive=true`.
#[utoipa::path(get, path = "/api/services", operation_id = "listServices",
    params(ListQuery),
    security((), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The services, by name.", body = ServiceList),
        (status = 400, description = "`includeInactive` is not `true` or `false`, or an unknown query parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A token was sent and is not valid, or `includeInactive=true` came without a token.", body = Problem, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "Always `Bearer`."))),
        (status = 403, description = "`includeInactive=true` with a token that is not an admin's.", body = Problem, content_type = "application/problem+json"),
        (status = 500, response = InternalError),
    )
)]
pub(crate) async fn list(
    State(state): State<ServicesState>,
    caller: Option<Caller>,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<ServiceList>, Problem> {
    if q.include_inactive {
        match &caller {
            None => {
                return Err(Problem::unauthorized(
                    "includeInactive needs an admin token",
                ));
            }
            Some(c) => c.require(&[Role::Admin])?,
        }
    }
    let items = state.catalog().list(q.include_inactive).await?;
    let items = items.into_iter().map(Into::into).collect();
    Ok(Json(ServiceList { items }))
}

/// A service by id.
///
/// Inactive services are found only with an admin token.
#[utoipa::path(get, path = "/api/services/{id}", operation_id = "getService",
    params(("id" = Ulid, Path, description = "The service's id.")),
    security((), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The service.", body = wire::catalog::Service),
        (status = 400, description = "The id is not a ULID.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "A token was sent and is not valid.", body = Problem, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "Always `Bearer`."))),
        (status = 404, description = "No such service (or it is inactive and the caller is not an admin).", body = Problem, content_type = "application/problem+json"),
        (status = 500, response = InternalError),
    )
)]
pub(crate) async fn show(
    State(state): State<ServicesState>,
    caller: Option<Caller>,
    PathId(id): PathId,
) -> Result<Json<Service>, Problem> {
    let id = path_id(id, ServiceId::parse)?;
    Ok(Json(
        state.catalog().get(id, is_admin(&caller)).await?.into(),
    ))
}

/// Create a service (admin).
#[utoipa::path(post, path = "/api/services", operation_id = "createService",
    request_body = wire::catalog::NewService,
    responses(
        (status = 201, description = "The service was created.", body = wire::catalog::Service,
            headers(("Location" = String, description = "`/api/services/{id}` of the new service."))),
        (status = 400, description = "Fields break the catalog's rules (each is named in `errors`; `durationMinutes` must be a multiple of the settings' `slotMinutes`), the JSON is malformed or has an unknown field.", body = Problem, content_type = "application/problem+json"),
        AdminBody,
    )
)]
pub(crate) async fn create(
    State(state): State<ServicesState>,
    Admin(admin): Admin,
    JsonBody(new): JsonBody<wire::catalog::NewService>,
) -> Result<(StatusCode, HeaderMap, Json<Service>), Problem> {
    let service = state.catalog().create(new.into()).await?;
    tracing::info!(admin_id = %admin.id(), service_id = %service.id, "service created");
    let mut headers = HeaderMap::new();
    if let Ok(loc) = HeaderValue::from_str(&format!("/api/services/{}", service.id)) {
        headers.insert(header::LOCATION, loc);
    }
    Ok((StatusCode::CREATED, headers, Json(service.into())))
}

/// Change some fields of a service (admin).
///
/// Only the fields sent change; the result must satisfy the same rules as a new service.
#[utoipa::path(patch, path = "/api/services/{id}", operation_id = "updateService",
    params(("id" = Ulid, Path, description = "The service's id.")),
    request_body = wire::catalog::ServicePatch,
    responses(
        (status = 200, description = "The updated service.", body = wire::catalog::Service),
        (status = 400, description = "The id is not a ULID, fields break the catalog's rules, the JSON is malformed or has an unknown field.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such service.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The service changed meanwhile; read it again and retry (`/problems/conflict`).", body = Problem, content_type = "application/problem+json"),
        AdminBody,
    )
)]
pub(crate) async fn update(
    State(state): State<ServicesState>,
    Admin(admin): Admin,
    PathId(id): PathId,
    JsonBody(patch): JsonBody<wire::catalog::ServicePatch>,
) -> Result<Json<Service>, Problem> {
    let id = path_id(id, ServiceId::parse)?;
    let service = state.catalog().update(id, patch.into()).await?;
    tracing::info!(admin_id = %admin.id(), service_id = %id, "service updated");
    Ok(Json(service.into()))
}

/// Deactivate a service (admin).
///
/// Services are never deleted (history keeps pointing at them): this takes it off the
/// public catalog and stops new bookings. Deactivating an inactive service changes nothing.
#[utoipa::path(delete, path = "/api/services/{id}", operation_id = "deactivateService",
    params(("id" = Ulid, Path, description = "The service's id.")),
    responses(
        (status = 200, description = "The service, with `active: false`.", body = wire::catalog::Service),
        (status = 400, description = "The id is not a ULID.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such service.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The service changed meanwhile; retry (`/problems/conflict`).", body = Problem, content_type = "application/problem+json"),
        AdminOnly,
    )
)]
pub(crate) async fn deactivate(
    State(state): State<ServicesState>,
    Admin(admin): Admin,
    PathId(id): PathId,
) -> Result<Json<Service>, Problem> {
    let id = path_id(id, ServiceId::parse)?;
    let service = state.catalog().deactivate(id).await?;
    tracing::info!(admin_id = %admin.id(), service_id = %id, "service deactivated");
    Ok(Json(service.into()))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct RangeQuery {
    /// The first local date, `YYYY-MM-DD`, in the business's time zone.
    #[param(value_type = String, format = Date, required = true)]
    from: Option<String>,
    /// The last local date, inclusive: not before `from`, at most 31 days after it.
    #[param(value_type = String, format = Date, required = true)]
    to: Option<String>,
}

/// The free slots of a service in a date range.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Availability {
    #[schema(value_type = Ulid)]
    service_id: ServiceId,
    /// The business's IANA time zone; the slots carry its offset.
    time_zone: String,
    #[schema(format = Date)]
    from: String,
    #[schema(format = Date)]
    to: String,
    /// Bookable starts in time order.
    slots: Vec<wire::catalog::Slot>,
}

/// Free slots of an active service.
///
/// Public. Every start the service could be booked at in the range (opening hours, slot
/// grid, notice, advance limit, capacity), with the places left.
#[utoipa::path(get, path = "/api/services/{id}/availability", operation_id = "getAvailability",
    params(("id" = Ulid, Path, description = "The service's id."), RangeQuery),
    responses(
        (status = 200, description = "The bookable starts.", body = Availability),
        (status = 400, description = "The id is not a ULID; `from` or `to` is missing or not a date `YYYY-MM-DD`, `to` is before `from` or more than 31 days after it; an unknown query parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such active service.", body = Problem, content_type = "application/problem+json"),
        (status = 500, response = InternalError),
    )
)]
pub(crate) async fn availability(
    State(state): State<ServicesState>,
    PathId(id): PathId,
    QueryParams(q): QueryParams<RangeQuery>,
) -> Result<Json<Availability>, Problem> {
    let id = path_id(id, ServiceId::parse)?;
    let date = |field: &str, v: Option<String>| -> Result<_, Problem> {
        let v = v.ok_or_else(|| Problem::invalid(field, "is required (YYYY-MM-DD)"))?;
        parse_date(field, &v).map_err(|e| Problem::invalid(e.field, e.reason))
    };
    let (from, to) = (date("from", q.from)?, date("to", q.to)?);
    let range = DateRange::new(from, to).map_err(|e| Problem::invalid(e.field, e.reason))?;
    let (settings, slots) = state.catalog().availability(id, range).await?;
    Ok(Json(Availability {
        service_id: id,
        time_zone: settings.time_zone_name().to_owned(),
        from: from.to_string(),
        to: to.to_string(),
        slots: slots.into_iter().map(Into::into).collect(),
    }))
}
