//! `/api/services/*` (catalog and availability) and `/api/settings`.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    routing::get,
};
use booking_core::{
    availability::{DateRange, Slot},
    catalog::{NewService, Service, ServicePatch},
    ids::ServiceId,
    settings::{Settings, SettingsDoc, parse_date},
    user::Role,
};
use serde::{Deserialize, Serialize};

use crate::{
    AppState,
    extract::{Admin, JsonBody, MaybeCaller, QueryParams, path_id},
    problem::Problem,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/services", get(list).post(create))
        .route(
            "/api/services/{id}",
            get(show).patch(update).delete(deactivate),
        )
        .route("/api/services/{id}/availability", get(availability))
        .route("/api/settings", get(settings).put(put_settings))
}

fn is_admin(caller: &MaybeCaller) -> bool {
    caller.0.as_ref().is_some_and(|c| c.role() == Role::Admin)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListQuery {
    #[serde(default)]
    include_inactive: bool,
}

#[derive(Serialize)]
struct ServiceList {
    items: Vec<Service>,
}

async fn list(
    State(state): State<AppState>,
    caller: MaybeCaller,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<ServiceList>, Problem> {
    if q.include_inactive {
        match &caller.0 {
            None => {
                return Err(Problem::unauthorized(
                    "includeInactive needs an admin token",
                ));
            }
            Some(c) => c.require(&[Role::Admin])?,
        }
    }
    let items = state.catalog().list(q.include_inactive).await?;
    Ok(Json(ServiceList { items }))
}

async fn show(
    State(state): State<AppState>,
    caller: MaybeCaller,
    id: Path<String>,
) -> Result<Json<Service>, Problem> {
    let id = path_id(id, ServiceId::parse)?;
    Ok(Json(state.catalog().get(id, is_admin(&caller)).await?))
}

async fn create(
    State(state): State<AppState>,
    Admin(admin): Admin,
    JsonBody(new): JsonBody<NewService>,
) -> Result<(StatusCode, HeaderMap, Json<Service>), Problem> {
    let service = state.catalog().create(new).await?;
    tracing::info!(admin_id = %admin.id(), service_id = %service.id, "service created");
    let mut headers = HeaderMap::new();
    if let Ok(loc) = HeaderValue::from_str(&format!("/api/services/{}", service.id)) {
        headers.insert(header::LOCATION, loc);
    }
    Ok((StatusCode::CREATED, headers, Json(service)))
}

async fn update(
    State(state): State<AppState>,
    Admin(admin): Admin,
    id: Path<String>,
    JsonBody(patch): JsonBody<ServicePatch>,
) -> Result<Json<Service>, Problem> {
    let id = path_id(id, ServiceId::parse)?;
    let service = state.catalog().update(id, patch).await?;
    tracing::info!(admin_id = %admin.id(), service_id = %id, "service updated");
    Ok(Json(service))
}

async fn deactivate(
    State(state): State<AppState>,
    Admin(admin): Admin,
    id: Path<String>,
) -> Result<Json<Service>, Problem> {
    let id = path_id(id, ServiceId::parse)?;
    let service = state.catalog().deactivate(id).await?;
    tracing::info!(admin_id = %admin.id(), service_id = %id, "service deactivated");
    Ok(Json(service))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Availability {
    service_id: ServiceId,
    time_zone: String,
    from: String,
    to: String,
    slots: Vec<Slot>,
}

async fn availability(
    State(state): State<AppState>,
    id: Path<String>,
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
        slots,
    }))
}

async fn settings(State(state): State<AppState>) -> Result<Json<Settings>, Problem> {
    Ok(Json(state.catalog().settings().await?))
}

async fn put_settings(
    State(state): State<AppState>,
    Admin(admin): Admin,
    JsonBody(doc): JsonBody<SettingsDoc>,
) -> Result<Json<Settings>, Problem> {
    let settings = state.catalog().put_settings(doc).await?;
    tracing::info!(admin_id = %admin.id(), "settings replaced");
    Ok(Json(settings))
}
