//! booking-local as a library: the demo data, the development routes and the whole router,
//! so that the binary stays short and the tests can build the same router.

pub mod demo;
pub mod dev;
pub mod server;

use axum::Router;
use booking_api::{AppState, app, openapi::openapi_router};

/// Every route booking-local serves: the API, the development routes and the description.
pub fn router(state: AppState, outbox: dev::Outbox) -> Router {
    app(state.clone())
        .merge(dev::routes(state, outbox))
        .merge(openapi_router())
}
