//! Who may keep a copy of an answer: the one `Cache-Control` rule of the API, applied to
//! every response by [`cache_control`].
//!
//! Anything that depends on the caller (a token, an account, reservations, history,
//! reports, registration and login) and every error is `no-store`. Only the public
//! catalogue and its availability, asked for without a token, may be kept:
//!
//! - `GET /api/services`, `GET /api/services/{id}` and `GET /api/settings`:
//!   `public, max-age=60`. They change when an admin edits the catalogue, and a visitor
//!   seeing an old price or description for a minute is harmless: bookings are priced and
//!   checked by the server at the time they are made. Admins send a token, so they always
//!   see their own change at once.
//! - `GET /api/services/{id}/availability`: `no-cache`, so a cache must ask again every
//!   time. Availability changes with every booking, and the person who just booked must
//!   see their slot taken at once, not a minute later.
//!
//! Public answers carry `Vary: Authorization`, so a shared cache never hands the anonymous
//! copy to a request with a token (whose answer may differ: an admin also sees inactive
//! services).

use axum::{
    extract::{MatchedPath, Request},
    http::{HeaderValue, Method, header},
    middleware::Next,
    response::Response,
};

/// What every answer says unless the table below allows more; also for answers made
/// outside the routers (booking-local's 408).
pub const NO_STORE: &str = "no-store";

const CATALOGUE: &str = "public, max-age=60";
const AVAILABILITY: &str = "no-cache";

/// The routes (as their templates) whose anonymous, successful GET answers may be kept.
const PUBLIC: [(&str, &str); 4] = [
    ("/api/services", CATALOGUE),
    ("/api/services/{id}", CATALOGUE),
    ("/api/settings", CATALOGUE),
    ("/api/services/{id}/availability", AVAILABILITY),
];

/// Middleware: sets `Cache-Control` (and `Vary` on public answers) on every response,
/// replacing whatever a handler set, so the rule above is the only one.
pub async fn cache_control(req: Request, next: Next) -> Response {
    let public = if (req.method() == Method::GET || req.method() == Method::HEAD)
        && !req.headers().contains_key(header::AUTHORIZATION)
    {
        req.extensions().get::<MatchedPath>().and_then(|route| {
            PUBLIC
                .iter()
                .find(|(template, _)| *template == route.as_str())
                .map(|&(_, value)| value)
        })
    } else {
        None
    };
    let mut res = next.run(req).await;
    let public = public.filter(|_| res.status().is_success());
    let headers = res.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(public.unwrap_or(NO_STORE)),
    );
    if public.is_some() {
        headers.insert(header::VARY, HeaderValue::from_static("Authorization"));
    }
    res
}
