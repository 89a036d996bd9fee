//! The OpenAPI 3.1 description of the HTTP API, generated from the handlers'
//! `#[utoipa::path]` annotations and the schemas of their request and response types (the
//! booking-core ones are mirrored in [`schemas`]). `openapi.json` at the repository root is
//! [`openapi_json`]'s output, kept current by `tests/openapi.rs`; booking-local serves it at
//! `GET /api/openapi.json` ([`openapi_router`]).

pub mod schemas;

use std::{fmt, sync::LazyLock};

use axum::{
    Router,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde::{
    Deserialize, Deserializer, Serialize, Serializer,
    de::{MapAccess, SeqAccess, Visitor},
    ser::{SerializeMap, SerializeSeq},
};
use utoipa::{
    Modify, OpenApi, ToResponse,
    openapi::{
        self, ContentBuilder, HeaderBuilder, ObjectBuilder, Ref, RefOr, ResponseBuilder, Type,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

use crate::{Problem, routes};

/// The name of the bearer-token security scheme operations refer to.
pub const BEARER_AUTH: &str = "bearerAuth";

const DESCRIPTION: &str = "\
Appointment booking for a small service business: a catalog of services with opening hours \
and free slots, customer accounts, booking with payment in one request, cancellation with \
refunds by policy.

**Authentication.** `POST /api/auth/login` returns a JWT; send it as \
`Authorization: Bearer <token>`. Operations with the `bearerAuth` requirement answer 401 \
without a valid token (missing, malformed, tampered, wrongly signed, not yet valid or \
expired, or its user deleted) and 403 when the caller's current role does not allow them; operations that take \
an optional token (both no security and `bearerAuth` listed) answer 401 to an invalid one. \
Roles are re-read on every request, so a change takes effect at once.

**Errors.** Every error is an RFC 9457 problem (`application/problem+json`, schema \
`Problem`); a validation error names each bad field and why in `errors`. A 500 says nothing \
of its cause; the server log has it. Unknown routes answer 404 and known routes called with \
another method 405, both as problems.

**Requests.** JSON bodies must be sent as `application/json` (else 415), be at most 64 KiB \
(else 413) and hold only the documented fields (`additionalProperties: false`; an unknown \
field is a 400). Operations with query parameters refuse unknown ones with a 400 too.

**Values.** Ids are ULIDs. Instants are RFC 3339: `createdAt`, `expiresAt` and history times \
in UTC, slot and reservation times with the business time zone's offset at that instant. \
Dates are `YYYY-MM-DD` in the business time zone. Money is an integer of minor units plus an \
ISO 4217 code (`\"priceMinor\": 2500, \"currency\": \"EUR\"` is 25.00 EUR).

**Lists** are cursor-paginated: pass the `nextCursor` of a page as `cursor` for the next; it \
is `null` on the last page.

**Caching.** Every response carries `Cache-Control`. It is `no-store` for anything sent with \
an `Authorization` header, for every error, and for every operation but four: without a \
token, `listServices`, `getService` and `getSettings` answer `public, max-age=60` and \
`getAvailability` answers `no-cache` (a cache must ask again each time, so a booking shows \
at once); those four add `Vary: Authorization`.";

/// The description: every operation of the HTTP API, its schemas and security scheme.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "booking API",
        version = env!("CARGO_PKG_VERSION"),
        description = DESCRIPTION,
        license(name = "MIT"),
    ),
    paths(
        routes::health_check,
        serve_openapi,
        routes::auth::register,
        routes::auth::login,
        routes::auth::me,
        routes::auth::list_users,
        routes::auth::set_role,
        routes::catalog::list,
        routes::catalog::create,
        routes::catalog::show,
        routes::catalog::update,
        routes::catalog::deactivate,
        routes::catalog::availability,
        routes::catalog::settings,
        routes::catalog::put_settings,
        routes::reservations::create,
        routes::reservations::list,
        routes::reservations::show,
        routes::reservations::cancel,
        routes::history::history,
        routes::visits::complete,
        routes::visits::no_show,
        routes::reports::summary,
        routes::reports::reservations,
    ),
    components(
        schemas(
            schemas::Problem,
            schemas::FieldError,
            schemas::Ulid,
            schemas::Role,
            schemas::PaymentMethod,
            schemas::Status,
            schemas::Actor,
            schemas::StatusChange,
            schemas::Failure,
            schemas::CancellationPolicy,
            schemas::Service,
            schemas::NewService,
            schemas::ServicePatch,
            schemas::Settings,
            schemas::SlotMinutes,
            schemas::WeeklyHours,
            schemas::Interval,
            schemas::Slot,
            schemas::Registration,
            schemas::Credentials,
            routes::Health,
            routes::auth::UserView,
            routes::auth::LoginResponse,
            routes::auth::UserPage,
            routes::auth::RoleChange,
            routes::catalog::ServiceList,
            routes::catalog::Availability,
            routes::reservations::NewReservation,
            routes::reservations::ReservationView,
            routes::reservations::PaymentView,
            routes::reservations::RefundView,
            routes::reservations::ReservationPage,
        ),
        responses(Unauthorized, Forbidden, PayloadTooLarge, UnsupportedMediaType, InternalError, HashingBusy),
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "health", description = "Liveness."),
        (name = "meta", description = "This description."),
        (name = "auth", description = "Accounts: registration, login, the signed-in user, and user management (admin)."),
        (name = "services", description = "The catalog of services and their free slots."),
        (name = "settings", description = "The business settings: time zone, slot grid, opening hours, closed dates."),
        (name = "reservations", description = "Booking and paying, listing, reading and cancelling reservations; a customer's history; the outcome of a visit (staff)."),
        (name = "reports", description = "Reports (admin): a period's summary, and its reservations as JSON or CSV."),
    )
)]
struct ApiDoc;

/// Adds the `bearerAuth` scheme: the JWT that `POST /api/auth/login` returns.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER_AUTH,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The `token` of `POST /api/auth/login` (HS256), valid until its \
                         `expiresAt`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// A problem+json response with the shared `Problem` schema.
fn problem_response(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/problem+json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build(),
    )
}

/// Declares a reusable problem response (`components.responses`) for `response = Name`.
macro_rules! problem_responses {
    ($($(#[$doc:meta])* $name:ident => $description:expr $(, header $header:expr)?;)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;

        impl<'r> ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<openapi::Response>) {
                #[allow(unused_mut)]
                let mut response = problem_response($description);
                $(let (name, header) = $header; response = response.header(name, header);)?
                (stringify!($name), response.build().into())
            }
        }
    )*};
}

fn www_authenticate() -> (&'static str, openapi::Header) {
    (
        "WWW-Authenticate",
        HeaderBuilder::new()
            .schema(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some("^Bearer$")),
            )
            .description(Some("Always `Bearer`."))
            .build(),
    )
}

problem_responses! {
    /// 401 from an operation that requires a bearer token.
    Unauthorized => "The bearer token is missing, malformed, tampered with, wrongly signed, \
        not yet valid (`nbf`) or expired, or its user no longer exists \
        (`/problems/unauthorized`).",
        header www_authenticate();
    /// 403 from an admin-only operation.
    Forbidden => "The token is valid, but the caller's role does not allow this operation \
        (`/problems/forbidden`).";
    /// 413 from an operation with a JSON body.
    PayloadTooLarge => "The body is over 64 KiB (`/problems/payload-too-large`).";
    /// 415 from an operation with a JSON body.
    UnsupportedMediaType => "The body is not sent as `application/json` \
        (`/problems/unsupported-media-type`).";
    /// 500: a fault on the server's side (storage failed); the log has the cause.
    InternalError => "A fault on our side, such as a storage failure; the body says nothing \
        more (`/problems/internal`).";
    /// 503 from an operation that hashes a password (register, login).
    HashingBusy => "Every password-hashing slot stayed busy for 2 seconds; nothing was done \
        (`/problems/temporarily-unavailable`).",
        header retry_after();
}

fn retry_after() -> (&'static str, openapi::Header) {
    (
        "Retry-After",
        HeaderBuilder::new()
            .schema(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1)),
            )
            .description(Some("Seconds to wait before trying again."))
            .build(),
    )
}

/// The description as utoipa builds it. Its response headers lack `required: true`, which
/// utoipa 5 cannot express; [`openapi_json`] adds it.
pub fn openapi() -> openapi::OpenApi {
    ApiDoc::openapi()
}

/// The description as pretty JSON, in a stable order, with a trailing newline: what
/// `openapi.json` holds and `GET /api/openapi.json` serves. Every response header it
/// documents is always sent, so each is marked `required: true`.
pub fn openapi_json() -> String {
    let json = serde_json::to_string(&openapi()).unwrap_or_default();
    let mut doc: Ordered = serde_json::from_str(&json).unwrap_or(Ordered::Null);
    require_response_headers(&mut doc);
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}

/// Sets `required: true` on every header of every response, inline or in components.
fn require_response_headers(doc: &mut Ordered) {
    if let Some(paths) = doc.get_mut("paths") {
        for (_, item) in paths.entries_mut() {
            for (_, operation) in item.entries_mut() {
                if let Some(responses) = operation.get_mut("responses") {
                    require_headers(responses);
                }
            }
        }
    }
    if let Some(responses) = doc
        .get_mut("components")
        .and_then(|c| c.get_mut("responses"))
    {
        require_headers(responses);
    }
}

fn require_headers(responses: &mut Ordered) {
    for (_, response) in responses.entries_mut() {
        if let Some(headers) = response.get_mut("headers") {
            for (_, header) in headers.entries_mut() {
                if let Ordered::Object(fields) = header {
                    fields.retain(|(k, _)| k != "required");
                    fields.push(("required".into(), Ordered::Bool(true)));
                }
            }
        }
    }
}

/// JSON that keeps its object keys in document order (serde_json's `Value` sorts them
/// unless its `preserve_order` feature is on, which would change it for the whole
/// workspace).
#[derive(Debug, Clone, PartialEq)]
enum Ordered {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
}

impl Ordered {
    fn get_mut(&mut self, key: &str) -> Option<&mut Ordered> {
        match self {
            Ordered::Object(fields) => fields.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn entries_mut(&mut self) -> impl Iterator<Item = (&String, &mut Ordered)> {
        let fields = match self {
            Ordered::Object(fields) => fields.as_mut_slice(),
            _ => &mut [],
        };
        fields.iter_mut().map(|(k, v)| (&*k, v))
    }
}

impl Serialize for Ordered {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Ordered::Null => s.serialize_unit(),
            Ordered::Bool(b) => s.serialize_bool(*b),
            Ordered::Number(n) => n.serialize(s),
            Ordered::String(v) => s.serialize_str(v),
            Ordered::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Ordered::Object(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Ordered, E> {
                Ok(Ordered::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Ordered, E> {
                Ok(Ordered::Number(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Ordered, E> {
                Ok(Ordered::Number(v.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Ordered, E> {
                serde_json::Number::from_f64(v)
                    .map(Ordered::Number)
                    .ok_or_else(|| E::custom("a non-finite number"))
            }
            fn visit_str<E>(self, v: &str) -> Result<Ordered, E> {
                Ok(Ordered::String(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Ordered, E> {
                Ok(Ordered::String(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Ordered::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut fields = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    fields.push(entry);
                }
                Ok(Ordered::Object(fields))
            }
        }
        d.deserialize_any(V)
    }
}

static OPENAPI_JSON: LazyLock<String> = LazyLock::new(openapi_json);

/// This description, as JSON.
///
/// Served by booking-local (the Lambda functions do not route it); the same document is
/// `openapi.json` in the repository.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    operation_id = "getOpenApi",
    tag = "meta",
    responses(
        (status = 200, description = "This OpenAPI 3.1 description.", body = Object,
            content_type = "application/json"),
    )
)]
async fn serve_openapi() -> Response {
    let mut res = OPENAPI_JSON.as_str().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

/// `GET /api/openapi.json`, no authentication: for booking-local (and any other host that
/// wants to publish the description).
pub fn openapi_router() -> Router {
    Router::new()
        .route("/api/openapi.json", get(serve_openapi))
        .method_not_allowed_fallback(|| async { Problem::method_not_allowed() })
}
