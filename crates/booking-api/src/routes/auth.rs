//! `/api/auth/*` (register, login, me) and `/api/users/*` (admin user management).

use axum::{Json, extract::State, http::StatusCode};
use booking_core::{
    ids::UserId,
    user::{Role, User},
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    AuthState,
    extract::{Admin, Caller, ClientAddr, JsonBody, PathId, QueryParams, path_id},
    openapi::responses::{AdminBody, AdminOnly, PasswordBody, Signed},
    operations::operations,
    problem::Problem,
    routes::paging::PageQuery,
    wire::{
        self,
        formats::{self, Ulid},
    },
};

operations!(tag = "auth", AuthState: register, login, me, list_users, set_role);

/// A user as clients see it: never the password hash.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    #[schema(value_type = Ulid)]
    id: UserId,
    /// In lower case.
    email: String,
    name: String,
    #[schema(value_type = formats::Role)]
    role: Role,
    /// UTC.
    #[schema(value_type = String, format = DateTime)]
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

/// Register a customer account.
///
/// Every new account is a customer; an admin promotes it with `PUT /api/users/{id}/role`.
#[utoipa::path(post, path = "/api/auth/register", operation_id = "register",
    request_body = wire::accounts::Registration,
    responses(
        (status = 201, description = "The account was created.", body = UserView),
        (status = 400, description = "A field is invalid (email, a password under 10 characters, only spaces or control characters, equal to the email or one of the 1,000 most common passwords, name), the JSON is malformed or has an unknown field.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The email is already registered (`/problems/conflict`, `errors[0].field` is `email`).", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many registrations from this client address within the hour (`BOOKING_REGISTRATIONS_PER_HOUR`, default 20; `/problems/too-many-attempts`).", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until this address may register again (at least 1)."))),
        PasswordBody,
    )
)]
pub(crate) async fn register(
    State(state): State<AuthState>,
    ClientAddr(client): ClientAddr,
    JsonBody(reg): JsonBody<wire::accounts::Registration>,
) -> Result<(StatusCode, Json<UserView>), Problem> {
    let user = state.accounts().register(reg.into(), client).await?;
    tracing::info!(user_id = %user.id, "user registered");
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// A signed-in session: a bearer token and who it is for.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LoginResponse {
    /// A JWT (HS256) to send as `Authorization: Bearer <token>`.
    token: String,
    #[schema(value_type = String, pattern = "^Bearer$")]
    token_type: &'static str,
    /// When the token stops being accepted (UTC).
    #[schema(value_type = String, format = DateTime)]
    expires_at: Timestamp,
    user: UserView,
}

/// Log in with email and password.
///
/// Unknown emails and wrong passwords fail alike. Attempts are counted as they arrive: after
/// 5 failures for one email from one client address within 15 minutes, that address is
/// refused for that email with 429 until the window closes; after 50 from all addresses,
/// the email is refused everywhere. A successful login takes back only its own attempt.
#[utoipa::path(post, path = "/api/auth/login", operation_id = "login",
    request_body = wire::accounts::Credentials,
    responses(
        (status = 200, description = "Signed in.", body = LoginResponse),
        (status = 400, description = "The email is malformed, the password is empty, the JSON is malformed or has an unknown field.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unknown email or wrong password (deliberately indistinguishable).", body = Problem, content_type = "application/problem+json",
            headers(("WWW-Authenticate" = String, description = "Always `Bearer`."))),
        (status = 429, description = "Too many failed logins: 5 for this email from this client address, or 50 for this email from all addresses, within 15 minutes (`/problems/too-many-attempts`).", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until a login for this email is accepted again (at least 1)."))),
        PasswordBody,
    )
)]
pub(crate) async fn login(
    State(state): State<AuthState>,
    ClientAddr(client): ClientAddr,
    JsonBody(creds): JsonBody<wire::accounts::Credentials>,
) -> Result<Json<LoginResponse>, Problem> {
    let user = state.accounts().login(creds.into(), client).await?;
    let (token, expires_at) = state
        .authn
        .jwt
        .issue(&user, state.authn.clock.now())
        .map_err(|e| booking_core::Error::Store(Box::new(e)))?;
    Ok(Json(LoginResponse {
        token,
        token_type: "Bearer",
        expires_at,
        user: user.into(),
    }))
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/auth/me", operation_id = "getMe",
    responses(
        (status = 200, description = "The caller's account.", body = UserView),
        Signed,
    )
)]
pub(crate) async fn me(caller: Caller) -> Json<UserView> {
    Json(caller.0.into())
}

/// One page of users, oldest first.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserPage {
    items: Vec<UserView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    #[schema(required = true)]
    next_cursor: Option<String>,
}

/// List users (admin).
#[utoipa::path(get, path = "/api/users", operation_id = "listUsers",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of users.", body = UserPage),
        (status = 400, description = "A bad query parameter: `limit` outside 1..100, a `cursor` this API did not return, or an unknown parameter.", body = Problem, content_type = "application/problem+json"),
        AdminOnly,
    )
)]
pub(crate) async fn list_users(
    State(state): State<AuthState>,
    _: Admin,
    QueryParams(page): QueryParams<PageQuery>,
) -> Result<Json<UserPage>, Problem> {
    let mut p = booking_core::error::Problems::default();
    let (limit, after) = page.users(&mut p);
    p.into_result()?;
    let page = state.accounts().list(after, limit).await?;
    Ok(Json(UserPage {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next,
    }))
}

/// The body of `PUT /api/users/{id}/role`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"role": "staff"})))]
pub(crate) struct RoleChange {
    #[schema(value_type = formats::Role)]
    role: String,
}

/// Change a user's role (admin).
///
/// The change takes effect at once, also for tokens already issued. Admins cannot change
/// their own role.
#[utoipa::path(put, path = "/api/users/{id}/role", operation_id = "setUserRole",
    params(("id" = Ulid, Path, description = "The user's id.")),
    request_body = RoleChange,
    responses(
        (status = 200, description = "The user with the new role.", body = UserView),
        (status = 400, description = "The id is not a ULID, the role is not `customer`, `staff` or `admin`, the JSON is malformed or has an unknown field.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An admin tried to change their own role (`/problems/conflict`).", body = Problem, content_type = "application/problem+json"),
        AdminBody,
    )
)]
pub(crate) async fn set_role(
    State(state): State<AuthState>,
    Admin(admin): Admin,
    PathId(id): PathId,
    JsonBody(body): JsonBody<RoleChange>,
) -> Result<Json<UserView>, Problem> {
    let id = path_id(id, UserId::parse)?;
    let role = Role::parse("role", &body.role).map_err(|e| Problem::invalid(e.field, e.reason))?;
    let user = state.accounts().set_role(admin.id(), id, role).await?;
    tracing::info!(admin_id = %admin.id(), user_id = %user.id, role = role.as_str(), "role changed");
    Ok(Json(user.into()))
}
