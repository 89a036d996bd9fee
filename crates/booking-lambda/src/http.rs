//! The HTTP functions' glue to lambda_http: every request carries the client address that
//! API Gateway saw (`requestContext.http.sourceIp`) as booking-api's `ClientAddr`, so the
//! throttles count what no client can set.

use std::net::IpAddr;

use axum::{Router, extract::Request, middleware};
use booking_api::extract::ClientAddr;
use lambda_http::{Error, RequestExt, request::RequestContext};

use crate::env::Aws;

/// The auth function: `/api/auth/*` and `/api/users/*`.
pub async fn auth() -> Result<(), Error> {
    let aws = start().await?;
    serve(booking_api::auth_router(aws.auth_state().await?)).await
}

/// The services function: `/api/services/*`, `/api/settings/*` and `/api/reports/*`.
pub async fn services() -> Result<(), Error> {
    let aws = start().await?;
    serve(booking_api::services_router(aws.services_state().await?)).await
}

/// The reserve function: `/api/reservations/*`.
pub async fn reservations() -> Result<(), Error> {
    let aws = start().await?;
    serve(booking_api::reservations_router(
        aws.reservations_state().await?,
    ))
    .await
}

/// Tracing on, and the AWS configuration read once per cold start.
async fn start() -> anyhow::Result<Aws> {
    lambda_http::tracing::init_default_subscriber();
    Aws::load().await
}

/// Serves `router` as this Lambda function's handler.
async fn serve(router: Router) -> Result<(), Error> {
    lambda_http::run(with_client_addr(router)).await
}

/// `router` with each request's [`ClientAddr`] taken from its API Gateway context. A
/// request without one (an invocation that did not come through API Gateway) gets none,
/// and the routes that need it answer 500.
pub fn with_client_addr(router: Router) -> Router {
    router.layer(middleware::map_request(|mut req: Request| async move {
        if let Some(ip) = source_ip(&req) {
            req.extensions_mut().insert(ClientAddr(ip.to_canonical()));
        }
        req
    }))
}

fn source_ip(req: &Request) -> Option<IpAddr> {
    let ip = match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(c) => c.http.source_ip.as_deref(),
        #[allow(unreachable_patterns)] // other event kinds, if a feature enables them
        _ => None,
    };
    ip?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    use axum::{body::Body, routing::get};
    use tower::ServiceExt;

    async fn seen(req: Request) -> String {
        let app = with_client_addr(Router::new().route(
            "/",
            get(
                |req: Request| async move { format!("{:?}", req.extensions().get::<ClientAddr>()) },
            ),
        ));
        let res = app.oneshot(req).await.unwrap();
        let body = axum::body::to_bytes(res.into_body(), 1024).await.unwrap();
        String::from_utf8(body.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn the_client_address_is_api_gateways_source_ip() {
        // Given the request of an HTTP API v2 event from 203.0.113.7
        let event = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../events/services-list.json"
        ))
        .unwrap();
        let mut req: Request = lambda_http::request::from_str(&event)
            .unwrap()
            .map(|b| Body::from(b.to_vec()));
        *req.uri_mut() = "/".parse().unwrap();
        // Then the handler sees that address, and a forged header changes nothing
        req.headers_mut()
            .insert("x-forwarded-for", "10.0.0.1".parse().unwrap());
        assert_eq!(seen(req).await, "Some(ClientAddr(203.0.113.7))");
        // And a request without an API Gateway context has none
        assert_eq!(seen(Request::new(Body::empty())).await, "None");
    }
}
