//! booking-local as a library: its wiring (every store in memory, the in-process workflow),
//! the demo data, the development routes and the whole router, so that the binary stays
//! short and the tests can build the same router.

pub mod demo;
pub mod dev;
pub mod server;

use std::sync::Arc;

use axum::Router;
use booking_api::{
    AuthState, Authn, JwtConfig, PaymentsConfig, ReservationsState, ServicesState, app,
    openapi::openapi_router,
};
use booking_core::{
    booking::BookingConfig,
    memory::{MemoryStores, MemoryThrottle},
    payment::{PaymentGateway, SimulatedGateway},
    ports::{Clock, NotificationQueue},
    workflow::InProcessWorkflow,
};

/// The state of every router booking-local serves.
#[derive(Debug, Clone)]
pub struct Local {
    pub auth: AuthState,
    pub services: ServicesState,
    pub reservations: ReservationsState,
}

impl Local {
    /// Every port on its in-memory adapter, money moved by `gateway` (the simulated one,
    /// or Stripe when booking-local is given a key: [`gateway`]) and the in-process
    /// workflow, which puts its notifications on `queue`. `retry_time_scale` multiplies the
    /// state machine's retry intervals (1.0 waits as Step Functions would; tests pass 0.0).
    pub fn in_memory(
        gateway: Arc<dyn PaymentGateway>,
        jwt: JwtConfig,
        queue: Arc<dyn NotificationQueue>,
        config: BookingConfig,
        retry_time_scale: f64,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let stores = MemoryStores::default();
        let authn = Authn::new(jwt, stores.users.clone(), clock.clone());
        let payments = PaymentsConfig {
            gateway: gateway.kind(),
            ..PaymentsConfig::simulated()
        };
        let mut booking = stores.booking(clock, config);
        booking.gateway = gateway;
        Local {
            auth: AuthState::new(authn.clone(), Arc::new(MemoryThrottle::default())),
            services: ServicesState {
                authn: authn.clone(),
                catalog: stores.catalog,
                settings: stores.settings,
                claims: stores.reservations.clone(),
                reservations: stores.reservations.clone(),
                ledger: stores.ledger.clone(),
                payments,
            },
            reservations: ReservationsState {
                authn,
                reservations: stores.reservations,
                ledger: stores.ledger,
                workflow: Arc::new(InProcessWorkflow::new(booking, queue, retry_time_scale)),
            },
        }
    }
}

impl Local {
    /// What `GET /api/payments/config` tells the browser (the publishable key and Stripe.js
    /// with Stripe); [`Local::in_memory`] gives only the gateway's name.
    pub fn with_payments(mut self, payments: PaymentsConfig) -> Self {
        self.services.payments = payments;
        self
    }

    /// Trusts `X-Forwarded-For` from `proxy` on every router.
    pub fn with_trusted_proxy(mut self, proxy: Option<std::net::IpAddr>) -> Self {
        for authn in [
            &mut self.auth.authn,
            &mut self.services.authn,
            &mut self.reservations.authn,
        ] {
            authn.trusted_proxy = proxy;
        }
        self
    }
}

/// The payment gateway the environment asks for: Stripe when `STRIPE_SECRET_KEY` is set
/// (at `STRIPE_API_BASE`, Stripe's API by default), the simulated gateway otherwise.
pub fn gateway(
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Arc<dyn PaymentGateway>, booking_stripe::StripeError> {
    Ok(match var("STRIPE_SECRET_KEY") {
        Some(key) => Arc::new(booking_stripe::StripeGateway::connect(
            key,
            var("STRIPE_API_BASE"),
        )?),
        None => Arc::new(SimulatedGateway::default()),
    })
}

/// Every route booking-local serves: the API, the development routes and the description.
pub fn router(local: &Local, outbox: dev::Outbox) -> Router {
    app(
        local.auth.clone(),
        local.services.clone(),
        local.reservations.clone(),
    )
    .merge(dev::routes(local.services.clone(), outbox))
    .merge(openapi_router())
}
