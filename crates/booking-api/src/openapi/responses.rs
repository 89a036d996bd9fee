//! The problem responses operations share (`components.responses`), for
//! `responses((status = 401, response = Unauthorized), ...)`. A leaf: it imports nothing
//! else of this crate, so route modules and the description both use it.

use std::collections::BTreeMap;

use utoipa::{
    IntoResponses, ToResponse,
    openapi::{
        self, ContentBuilder, HeaderBuilder, ObjectBuilder, Ref, RefOr, ResponseBuilder, Type,
    },
};

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

/// A response header named `name` whose value `schema` describes.
fn header(
    name: &'static str,
    schema: ObjectBuilder,
    description: &str,
) -> (&'static str, openapi::Header) {
    let header = HeaderBuilder::new()
        .schema(schema)
        .description(Some(description));
    (name, header.build())
}

fn www_authenticate() -> (&'static str, openapi::Header) {
    let schema = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^Bearer$"));
    header("WWW-Authenticate", schema, "Always `Bearer`.")
}

fn retry_after() -> (&'static str, openapi::Header) {
    let schema = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1));
    header(
        "Retry-After",
        schema,
        "Seconds to wait before trying again.",
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

/// Declares a set of the shared responses above, listed in an operation's `responses(...)`
/// beside its own (`responses((status = 200, ...), AdminBody)`).
macro_rules! response_sets {
    ($($(#[$doc:meta])* $name:ident => [$($status:literal $response:ident),+];)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<openapi::Response>> {
                BTreeMap::from([$((
                    $status.to_owned(),
                    RefOr::Ref(Ref::from_response_name(stringify!($response))),
                )),+])
            }
        }
    )*};
}

response_sets! {
    /// An operation that takes a bearer token.
    Signed => ["401" Unauthorized, "500" InternalError];
    /// An operation that takes a bearer token and a JSON body.
    SignedBody => ["401" Unauthorized, "413" PayloadTooLarge, "415" UnsupportedMediaType,
        "500" InternalError];
    /// An admin-only operation.
    AdminOnly => ["401" Unauthorized, "403" Forbidden, "500" InternalError];
    /// An admin-only operation with a JSON body.
    AdminBody => ["401" Unauthorized, "403" Forbidden, "413" PayloadTooLarge,
        "415" UnsupportedMediaType, "500" InternalError];
    /// An operation that hashes a password from its JSON body (register, login).
    PasswordBody => ["413" PayloadTooLarge, "415" UnsupportedMediaType, "500" InternalError,
        "503" HashingBusy];
}
