//! Request extractors whose every rejection is a problem+json naming the field and reason:
//! JSON bodies, query strings, ULID path segments and the authenticated caller.

use std::net::{IpAddr, SocketAddr};

use axum::{
    body::Bytes,
    extract::{
        self, ConnectInfo, FromRef, FromRequest, FromRequestParts, Path, Request,
        rejection::{BytesRejection, PathRejection},
    },
    http::{StatusCode, header, request::Parts},
};
use booking_core::{
    ids::UserId,
    user::{Role, User},
};
use serde::de::DeserializeOwned;

use crate::{
    BODY_LIMIT, jwt::TokenError, problem::Problem, routes::paging::PageQuery, state::Authn,
};

/// A JSON body: wrong content type 415, too large 413, malformed or unknown fields 400.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(Problem::unsupported_media_type());
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e: BytesRejection| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Problem::payload_too_large(BODY_LIMIT)
                } else {
                    Problem::invalid("body", "could not be read")
                }
            })?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Deserialises JSON, turning serde's message into a field path and a reason.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return Problem::invalid(
                "body",
                format!("is not valid JSON: {}", strip_position(&inner)),
            );
        }
        let (field, reason) = field_and_reason(&path, &strip_position(&inner));
        Problem::invalid(field, reason)
    })?;
    de.end().map_err(|e| {
        Problem::invalid("body", format!("is not valid JSON: {}", strip_position(&e)))
    })?;
    Ok(value)
}

fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

/// serde reports a missing or unknown field at its parent's path with the name in the
/// message; lift the name into the field path so clients get `cancellation.lateRefundPercent`.
fn field_and_reason(path: &str, msg: &str) -> (String, String) {
    let join = |name: &str| {
        if path == "." || path.is_empty() {
            name.to_owned()
        } else if path == name || path.ends_with(&format!(".{name}")) {
            // serde_path_to_error already descended into the unknown field
            path.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    for (prefix, reason) in [
        ("missing field `", "is required"),
        ("unknown field `", "is not a known field"),
    ] {
        if let Some(rest) = msg.strip_prefix(prefix)
            && let Some(name) = rest.split('`').next()
        {
            return (join(name), reason.to_owned());
        }
    }
    let field = if path == "." || path.is_empty() {
        "body".to_owned()
    } else {
        path.to_owned()
    };
    (field, msg.to_owned())
}

/// A query string deserialised into `T`; a bad parameter is a 400 naming it.
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        deserialize_query(parts.uri.query().unwrap_or_default()).map(QueryParams)
    }
}

/// A listing's query string: its page (`limit` and `cursor`, [`PageQuery`]) and its own
/// parameters `T`, each read as [`QueryParams`] reads a query.
#[derive(Debug)]
pub struct PagedQuery<T>(pub PageQuery, pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for PagedQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        let query = parts.uri.query().unwrap_or_default();
        let mut page = form_urlencoded::Serializer::new(String::new());
        let mut rest = form_urlencoded::Serializer::new(String::new());
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let part = if PageQuery::NAMES.contains(&&*name) {
                &mut page
            } else {
                &mut rest
            };
            part.append_pair(&name, &value);
        }
        let page = deserialize_query(&page.finish())?;
        Ok(PagedQuery(page, deserialize_query(&rest.finish())?))
    }
}

fn deserialize_query<T: DeserializeOwned>(query: &str) -> Result<T, Problem> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let (field, reason) = field_and_reason(&path, &e.into_inner().to_string());
        Problem::invalid(field, reason)
    })
}

/// The `{id}` segment of a path, as text. A segment that is not valid UTF-8 (`%FF`) is a
/// 400 problem like any other malformed id, where axum's `Path` would answer in plain text.
#[derive(Debug)]
pub struct PathId(pub Path<String>);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(path) => Ok(PathId(path)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => {
                Err(Problem::invalid("id", "must be a 26-character ULID"))
            }
            // A route without an `{id}` segment: a bug of ours, logged as a 500.
            Err(e) => Err(booking_core::Error::Store(Box::new(e)).into()),
        }
    }
}

/// Parses a ULID path segment into an id type via `parse`.
pub fn path_id<T>(
    Path(raw): Path<String>,
    parse: impl Fn(&str, &str) -> Result<T, booking_core::FieldError>,
) -> Result<T, Problem> {
    parse("id", &raw).map_err(|e| Problem::invalid(e.field, e.reason))
}

/// The address of the client that sent the request, from what no client can set: the
/// `requestContext.http.sourceIp` of API Gateway (the Lambda glue puts it in the request's
/// extensions as a `ClientAddr`), or the socket peer of booking-local (axum's
/// `ConnectInfo`), and, when that peer is the configured trusted proxy, the last address
/// that proxy appended to `X-Forwarded-For`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr
where
    Authn: FromRef<S>,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let state = Authn::from_ref(state);
        if let Some(addr) = parts.extensions.get::<ClientAddr>() {
            return Ok(*addr);
        }
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() else {
            // A runtime that passes no address is a wiring bug of ours: a 500, logged.
            return Err(
                booking_core::Error::Store("the request carries no client address".into()).into(),
            );
        };
        let peer = peer.ip().to_canonical();
        if state
            .trusted_proxy
            .is_some_and(|proxy| proxy.to_canonical() == peer)
        {
            return forwarded_for(&parts.headers)
                .map(ClientAddr)
                .ok_or_else(|| {
                    booking_core::Error::Store(
                        "the trusted proxy sent no valid X-Forwarded-For".into(),
                    )
                    .into()
                });
        }
        Ok(ClientAddr(peer))
    }
}

/// The last address in the last `X-Forwarded-For` header: the one the proxy appended.
/// Anything before it was sent by the client and proves nothing.
fn forwarded_for(headers: &axum::http::HeaderMap) -> Option<IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().next_back()?;
    let addr = last.to_str().ok()?.rsplit(',').next()?.trim();
    addr.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// The caller, authenticated by a bearer token and re-read from the user store, so a
/// deleted account or a changed role takes effect at once rather than at token expiry.
#[derive(Debug, Clone)]
pub struct Caller(pub User);

impl Caller {
    pub fn id(&self) -> UserId {
        self.0.id
    }

    pub fn role(&self) -> Role {
        self.0.role
    }

    /// The caller as the reservation use cases see them.
    pub fn viewer(&self) -> booking_core::reservations::Viewer {
        booking_core::reservations::Viewer {
            id: self.0.id,
            role: self.0.role,
        }
    }

    pub fn require(&self, allowed: &[Role]) -> Result<(), Problem> {
        if allowed.contains(&self.0.role) {
            Ok(())
        } else {
            Err(Problem::forbidden())
        }
    }
}

fn bearer(parts: &Parts) -> Option<Result<&str, Problem>> {
    let value = parts.headers.get(header::AUTHORIZATION)?;
    let token = value.to_str().ok().and_then(|v| {
        let (scheme, token) = v.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    });
    Some(
        token.ok_or_else(|| {
            Problem::unauthorized("the Authorization header must be `Bearer <token>`")
        }),
    )
}

async fn authenticate(state: &Authn, token: &str) -> Result<Caller, Problem> {
    let now = state.clock.now();
    let id = state.jwt.verify(token, now).map_err(|e| match e {
        TokenError::Expired => Problem::unauthorized("the token has expired"),
        TokenError::Invalid => Problem::unauthorized("the token is invalid"),
        TokenError::NotYetValid => Problem::unauthorized("the token is not valid yet"),
    })?;
    let user = state.users.get(id).await?;
    user.map(Caller)
        .ok_or_else(|| Problem::unauthorized("the token's user no longer exists"))
}

impl<S: Send + Sync> FromRequestParts<S> for Caller
where
    Authn: FromRef<S>,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        <Self as extract::OptionalFromRequestParts<S>>::from_request_parts(parts, state)
            .await?
            .ok_or_else(|| Problem::unauthorized("a bearer token is required"))
    }
}

/// `Option<Caller>`: no Authorization header is fine, a bad one is still a 401.
impl<S: Send + Sync> extract::OptionalFromRequestParts<S> for Caller
where
    Authn: FromRef<S>,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Option<Self>, Problem> {
        match bearer(parts) {
            None => Ok(None),
            Some(token) => authenticate(&Authn::from_ref(state), token?)
                .await
                .map(Some),
        }
    }
}

/// Declares an extractor for a caller whose current role is one of `roles`; anyone else
/// gets 403.
macro_rules! role_extractor {
    ($($(#[$doc:meta])* $name:ident => [$($role:expr),+];)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name(pub Caller);

        impl<S: Send + Sync> FromRequestParts<S> for $name
        where
            Authn: FromRef<S>,
        {
            type Rejection = Problem;

            async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
                let caller = Caller::from_request_parts(parts, state).await?;
                caller.require(&[$($role),+])?;
                Ok($name(caller))
            }
        }
    )*};
}

role_extractor! {
    /// A caller whose current role is admin.
    Admin => [Role::Admin];
    /// A caller whose current role is staff or admin (visits, any customer's history).
    StaffOrAdmin => [Role::Staff, Role::Admin];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_the_last_address_the_proxy_appended() {
        let mut h = axum::http::HeaderMap::new();
        assert_eq!(forwarded_for(&h), None);
        h.append("x-forwarded-for", "6.6.6.6, 203.0.113.9".parse().unwrap());
        assert_eq!(forwarded_for(&h), Some("203.0.113.9".parse().unwrap()));
        h.append("x-forwarded-for", " ::ffff:198.51.100.4 ".parse().unwrap());
        assert_eq!(forwarded_for(&h), Some("198.51.100.4".parse().unwrap()));
        h.append("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(forwarded_for(&h), None);
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Inner,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Inner {
        late_percent: u8,
    }

    fn field_of(json: &str) -> (String, String) {
        let p = parse_json::<Outer>(json.as_bytes()).unwrap_err();
        let v = serde_json::to_value(&p).unwrap();
        (
            v["errors"][0]["field"].as_str().unwrap().to_owned(),
            v["errors"][0]["reason"].as_str().unwrap().to_owned(),
        )
    }

    #[test]
    fn json_errors_name_the_field() {
        assert_eq!(field_of(r#"{"inner": {"latePercent": 1}}"#).0, "name");
        assert_eq!(
            field_of(r#"{"name": "a", "inner": {}}"#),
            ("inner.latePercent".into(), "is required".into())
        );
        assert_eq!(
            field_of(r#"{"name": "a", "inner": {"latePercent": 1, "x": 2}}"#).0,
            "inner.x"
        );
        assert_eq!(
            field_of(r#"{"name": "a", "inner": {"latePercent": 300}}"#).0,
            "inner.latePercent"
        );
        assert_eq!(field_of(r#"{"name": "a""#).0, "body");
        assert_eq!(
            field_of(r#"{"name": "a", "inner": {"latePercent": 1}} trailing"#).0,
            "body"
        );
    }
}
