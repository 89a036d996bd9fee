//! `GET /api/payments/config`: what the browser needs to pay, public.

use axum::{Json, extract::State};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{ServicesState, operations::operations, wire::formats};

operations!(tag = "payments", ServicesState: payments_config);

/// The payment configuration.
///
/// Public: which gateway takes the payments and, with Stripe, the publishable key and
/// where to load Stripe.js from (the page creates the `pm_...` payment method with them).
#[utoipa::path(get, path = "/api/payments/config", operation_id = "getPaymentsConfig",
    responses(
        (status = 200, description = "The payment configuration.", body = PaymentsConfig,
            example = json!({"gateway": "stripe", "publishableKey": "pk_live_...", "jsUrl": "https://js.stripe.com/v3/"})),
    )
)]
pub(crate) async fn payments_config(State(state): State<ServicesState>) -> Json<PaymentsConfig> {
    let c = &state.payments;
    Json(PaymentsConfig {
        gateway: c.gateway.as_str(),
        publishable_key: c.publishable_key.clone(),
        js_url: c.js_url.clone(),
    })
}

/// The body of `GET /api/payments/config`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PaymentsConfig {
    #[schema(value_type = formats::Gateway)]
    gateway: &'static str,
    /// Stripe's publishable key (`pk_...`); `null` with the simulated gateway.
    #[schema(required = true)]
    publishable_key: Option<String>,
    /// Where to load Stripe.js from; `null` with the simulated gateway.
    #[schema(required = true)]
    js_url: Option<String>,
}
