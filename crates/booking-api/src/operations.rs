//! One declaration per operation: a handler with its `#[utoipa::path]`, listed once in its
//! area's [`operations!`]. That list is both what the area's router serves and what the
//! description says, so the two cannot drift; the router is built from each handler's path
//! and methods alone, and the description (schemas and all) only when it is asked for, so a
//! Lambda's cold start builds none of it.

use axum::{Router, handler::Handler, routing::MethodRouter};
use utoipa::{
    ToResponse,
    openapi::{OpenApi, Ref, RefOr, path::Operation, security::SecurityRequirement},
};
use utoipa_axum::PathItemExt;

use crate::openapi::responses::Unauthorized;

/// An area's operations: `operations!(tag = "area", State: handler_a, handler_b);` expands
/// to `pub fn routes() -> Router<State>` and `pub fn described() -> utoipa::openapi::OpenApi`,
/// whose operations all carry the area's tag.
macro_rules! operations {
    (tag = $tag:literal, $state:ty: $($handler:ident),+ $(,)?) => {
        /// This area's operations, as a router.
        pub fn routes() -> axum::Router<$state> {
            let router = axum::Router::new();
            $(
                let router = utoipa_axum::paste! {
                    $crate::operations::serve::<[<__path_ $handler>], _, _, _>(router, $handler)
                };
            )+
            router
        }

        /// This area's operations, as OpenAPI paths and schemas.
        pub fn described() -> utoipa::openapi::OpenApi {
            let api = utoipa_axum::router::OpenApiRouter::<$state>::new()
                $(.routes(utoipa_axum::routes!($handler)))+
                .into_openapi();
            $crate::operations::tagged(api, $tag)
        }
    };
}

pub(crate) use operations;

/// `api` with every operation tagged `tag`, and every operation that answers the shared
/// [`Unauthorized`](crate::openapi::responses::Unauthorized) response (the 401 of an
/// operation that requires a bearer token) marked as requiring one, unless it says
/// otherwise.
pub(crate) fn tagged(mut api: OpenApi, tag: &str) -> OpenApi {
    for item in api.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            operation.tags = Some(vec![tag.to_owned()]);
            if operation.security.is_none() && needs_bearer(operation) {
                let bearer = SecurityRequirement::new("bearerAuth", Vec::<String>::new());
                operation.security = Some(vec![bearer]);
            }
        }
    }
    api
}

fn needs_bearer(operation: &Operation) -> bool {
    let (name, _) = <Unauthorized as ToResponse<'_>>::response();
    matches!(
        operation.responses.responses.get("401"),
        Some(RefOr::Ref(r)) if *r == Ref::from_response_name(name)
    )
}

/// Adds `handler` to `router` at the path and methods its description `P` names.
pub(crate) fn serve<P, H, T, S>(router: Router<S>, handler: H) -> Router<S>
where
    P: utoipa::Path,
    H: Handler<T, S>,
    T: 'static,
    S: Clone + Send + Sync + 'static,
{
    let methods = P::methods()
        .into_iter()
        .fold(MethodRouter::new(), |methods, method| {
            methods.on(method.to_method_filter(), handler.clone())
        });
    router.route(&P::path(), methods)
}
