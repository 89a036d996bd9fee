//! The OpenAPI 3.1 description of the HTTP API. Each operation is declared once, by its
//! handler's `#[utoipa::path]` and registered with `routes!` in its area's router
//! (`crate::routes`), so what is served and what is described cannot drift; the schemas
//! come from the `crate::wire` types the handlers exchange. `openapi.json` at the repository
//! root is [`openapi_json`]'s output, kept current by a test; booking-local serves it at
//! `GET /api/openapi.json` ([`openapi_router`]).

mod ordered;
pub mod responses;

use std::sync::LazyLock;

use axum::{
    Router,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use utoipa::{
    Modify, OpenApi,
    openapi::{
        self,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};
use utoipa_axum::{router::OpenApiRouter, routes};

use self::{
    ordered::Ordered,
    responses::{
        Forbidden, HashingBusy, InternalError, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
    },
};
use crate::Problem;

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
    components(
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
        (name = "payments", description = "What the browser needs to pay: the active gateway and, with Stripe, the publishable key and Stripe.js."),
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

/// The description as utoipa builds it: this module's parts and every area's operations.
/// Its response headers lack `required: true`, which utoipa 5 cannot express;
/// [`openapi_json`] adds it.
pub fn openapi() -> openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for part in crate::operations() {
        doc.merge(part);
    }
    doc.merge(openapi_routes().into_openapi());
    doc
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

static OPENAPI_JSON: LazyLock<String> = LazyLock::new(openapi_json);

/// This description, as JSON.
///
/// Served by booking-local (the Lambda functions do not route it); the same document is
/// `openapi.json` in the repository.
#[utoipa::path(get, path = "/api/openapi.json", operation_id = "getOpenApi", tag = "meta",
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
    let (router, _) = openapi_routes().split_for_parts();
    router.method_not_allowed_fallback(|| async { Problem::method_not_allowed() })
}

fn openapi_routes() -> OpenApiRouter {
    OpenApiRouter::new().routes(routes!(serve_openapi))
}
