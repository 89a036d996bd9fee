//! `/api/auth/*` (register, login, me) and `/api/users/*` (admin user management).

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post, put},
};
use booking_core::{
    accounts::{Credentials, Registration},
    ids::UserId,
    user::{Role, User},
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{
    AppState,
    extract::{Admin, Caller, JsonBody, QueryParams, path_id},
    problem::Problem,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/auth/register", post(register))
        .route("/api/auth/login", post(login))
        .route("/api/auth/me", get(me))
        .route("/api/users", get(list_users))
        .route("/api/users/{id}/role", put(set_role))
}

/// A user as clients see it: never the password hash.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    id: UserId,
    email: String,
    name: String,
    role: Role,
    created_at: Timestamp,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        UserView {
            id: u.id,
            email: u.email.to_string(),
            name: u.name,
            role: u.role,
            created_at: u.created_at,
        }
    }
}

async fn register(
    State(state): State<AppState>,
    JsonBody(reg): JsonBody<Registration>,
) -> Result<(StatusCode, Json<UserView>), Problem> {
    let user = state.accounts().register(reg).await?;
    tracing::info!(user_id = %user.id, "user registered");
    Ok((StatusCode::CREATED, Json(user.into())))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LoginResponse {
    token: String,
    token_type: &'static str,
    expires_at: Timestamp,
    user: UserView,
}

async fn login(
    State(state): State<AppState>,
    JsonBody(creds): JsonBody<Credentials>,
) -> Result<Json<LoginResponse>, Problem> {
    let user = state.accounts().login(creds).await?;
    let (token, expires_at) = state
        .jwt
        .issue(&user, state.ports.clock.now())
        .map_err(|e| booking_core::Error::Store(Box::new(e)))?;
    Ok(Json(LoginResponse {
        token,
        token_type: "Bearer",
        expires_at,
        user: user.into(),
    }))
}

async fn me(caller: Caller) -> Json<UserView> {
    Json(caller.0.into())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageQuery {
    limit: Option<u32>,
    cursor: Option<String>,
}

/// Page size when the client names none, and the most it may ask for.
const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 100;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserPage {
    items: Vec<UserView>,
    next_cursor: Option<String>,
}

async fn list_users(
    State(state): State<AppState>,
    _: Admin,
    QueryParams(q): QueryParams<PageQuery>,
) -> Result<Json<UserPage>, Problem> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Problem::invalid("limit", "must be between 1 and 100"));
    }
    let after = match q.cursor.as_deref() {
        Some(c) => Some(
            UserId::parse("cursor", c)
                .map_err(|e| Problem::invalid(e.field, "is not a cursor this API returned"))?,
        ),
        None => None,
    };
    let page = state.accounts().list(after, limit as usize).await?;
    Ok(Json(UserPage {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleChange {
    role: String,
}

async fn set_role(
    State(state): State<AppState>,
    Admin(admin): Admin,
    id: Path<String>,
    JsonBody(body): JsonBody<RoleChange>,
) -> Result<Json<UserView>, Problem> {
    let id = path_id(id, UserId::parse)?;
    let role = Role::parse("role", &body.role).map_err(|e| Problem::invalid(e.field, e.reason))?;
    let user = state.accounts().set_role(admin.id(), id, role).await?;
    tracing::info!(admin_id = %admin.id(), user_id = %user.id, role = role.as_str(), "role changed");
    Ok(Json(user.into()))
}
