//! What each router is given: one state per endpoint group, holding only the ports its
//! handlers use, so a function wired without a port fails to compile rather than answering
//! 500. The parts every router shares (who the caller is, the clock) sit in [`Authn`], which
//! the extractors take from any state through `FromRef`.

use std::{net::IpAddr, sync::Arc};

use axum::extract::FromRef;
use booking_core::{
    accounts::{Accounts, AccountsConfig},
    catalog::Catalog,
    hashing::HashPool,
    payment::{GatewayKind, PaymentLedger},
    ports::{
        CatalogStore, ClaimReader, Clock, ReservationStore, SettingsStore, Throttle, UserStore,
    },
    reports::Reports,
    reservations::Reservations,
    workflow::Workflow,
};

use crate::jwt::{Jwt, JwtConfig};

/// Authentication: verifies bearer tokens and re-reads their user, so a role change or a
/// deleted account takes effect at once; the clock the tokens are checked against; and the
/// proxy whose `X-Forwarded-For` names the client.
#[derive(Clone)]
pub struct Authn {
    pub jwt: Arc<Jwt>,
    pub users: Arc<dyn UserStore>,
    pub clock: Arc<dyn Clock>,
    /// The reverse proxy in front of booking-local (`BOOKING_TRUSTED_PROXY`); `None`
    /// trusts no header.
    pub trusted_proxy: Option<IpAddr>,
}

impl Authn {
    pub fn new(jwt: JwtConfig, users: Arc<dyn UserStore>, clock: Arc<dyn Clock>) -> Self {
        Authn {
            jwt: Arc::new(Jwt::new(jwt)),
            users,
            clock,
            trusted_proxy: None,
        }
    }
}

/// The auth function's state: `/api/auth/*` and `/api/users/*`.
#[derive(Clone)]
pub struct AuthState {
    pub authn: Authn,
    pub throttle: Arc<dyn Throttle>,
    /// The process's password-hashing slots.
    pub hashing: Arc<HashPool>,
    pub accounts: AccountsConfig,
}

impl AuthState {
    /// The state with a hashing slot per core and the default account settings.
    pub fn new(authn: Authn, throttle: Arc<dyn Throttle>) -> Self {
        AuthState {
            authn,
            throttle,
            hashing: Arc::new(HashPool::per_core()),
            accounts: AccountsConfig::default(),
        }
    }

    pub fn with_accounts(mut self, config: AccountsConfig) -> Self {
        self.accounts = config;
        self
    }

    pub fn with_hashing(mut self, pool: HashPool) -> Self {
        self.hashing = Arc::new(pool);
        self
    }

    pub fn accounts(&self) -> Accounts<'_> {
        Accounts {
            users: &*self.authn.users,
            throttle: &*self.throttle,
            hashing: &self.hashing,
            clock: &*self.authn.clock,
            config: self.accounts,
        }
    }
}

/// What the browser needs to pay (`GET /api/payments/config`): which gateway is active and,
/// with Stripe, the publishable key and where Stripe.js is loaded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentsConfig {
    pub gateway: GatewayKind,
    /// `pk_...`; `None` with the simulated gateway.
    pub publishable_key: Option<String>,
    /// `None` with the simulated gateway.
    pub js_url: Option<String>,
}

impl PaymentsConfig {
    /// Where Stripe.js is served from.
    pub const STRIPE_JS_URL: &'static str = "https://js.stripe.com/v3/";

    /// The simulated gateway's: nothing for the browser to load.
    pub fn simulated() -> Self {
        PaymentsConfig {
            gateway: GatewayKind::Simulated,
            publishable_key: None,
            js_url: None,
        }
    }

    /// For `gateway`: with Stripe, `STRIPE_PUBLISHABLE_KEY` (required, `pk_...`) and
    /// `STRIPE_JS_URL` (https, or http on the loopback for an emulator; Stripe's by
    /// default). The error names the variable.
    pub fn from_vars(
        gateway: GatewayKind,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        if gateway == GatewayKind::Simulated {
            return Ok(Self::simulated());
        }
        let key = var("STRIPE_PUBLISHABLE_KEY")
            .ok_or("STRIPE_PUBLISHABLE_KEY is required with the Stripe gateway")?;
        if !key.starts_with("pk_") || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err("STRIPE_PUBLISHABLE_KEY must be a pk_... key".into());
        }
        let js_url = var("STRIPE_JS_URL").unwrap_or_else(|| Self::STRIPE_JS_URL.into());
        let local = ["http://127.0.0.1:", "http://localhost:"]
            .iter()
            .any(|p| js_url.starts_with(p));
        if !js_url.starts_with("https://") && !local {
            return Err("STRIPE_JS_URL must be an https URL (or http on the loopback)".into());
        }
        Ok(PaymentsConfig {
            gateway,
            publishable_key: Some(key),
            js_url: Some(js_url),
        })
    }
}

/// The services function's state: the catalog, settings and availability, the reports,
/// and what the browser needs to pay.
#[derive(Clone)]
pub struct ServicesState {
    pub authn: Authn,
    pub catalog: Arc<dyn CatalogStore>,
    pub settings: Arc<dyn SettingsStore>,
    pub claims: Arc<dyn ClaimReader>,
    pub reservations: Arc<dyn ReservationStore>,
    pub ledger: Arc<dyn PaymentLedger>,
    pub payments: PaymentsConfig,
}

impl ServicesState {
    pub fn catalog(&self) -> Catalog<'_> {
        Catalog {
            services: &*self.catalog,
            settings: &*self.settings,
            claims: &*self.claims,
            clock: &*self.authn.clock,
        }
    }

    pub fn reports(&self) -> Reports<'_> {
        Reports {
            catalog: self.catalog(),
            reservations: &*self.reservations,
            ledger: &*self.ledger,
        }
    }
}

/// The reserve function's state: booking, listing, cancelling, history and visits.
#[derive(Clone)]
pub struct ReservationsState {
    pub authn: Authn,
    pub reservations: Arc<dyn ReservationStore>,
    pub ledger: Arc<dyn PaymentLedger>,
    /// Step Functions on AWS, the in-process runner in booking-local.
    pub workflow: Arc<dyn Workflow>,
}

impl ReservationsState {
    pub fn reservations(&self) -> Reservations<'_> {
        Reservations {
            store: &*self.reservations,
            ledger: &*self.ledger,
            workflow: &*self.workflow,
            clock: &*self.authn.clock,
        }
    }
}

/// The states hold ports as trait objects: their `Debug` names the settings, not the ports.
macro_rules! debug_without_ports {
    ($($state:ty => [$($field:ident),*]),*) => {$(
        impl std::fmt::Debug for $state {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($state))
                    $(.field(stringify!($field), &self.$field))*
                    .finish_non_exhaustive()
            }
        }
    )*};
}

debug_without_ports!(
    Authn => [jwt, trusted_proxy],
    AuthState => [authn, hashing, accounts],
    ServicesState => [authn],
    ReservationsState => [authn]
);

macro_rules! authn_from {
    ($($state:ty),*) => {$(
        impl FromRef<$state> for Authn {
            fn from_ref(state: &$state) -> Authn {
                state.authn.clone()
            }
        }
    )*};
}

authn_from!(AuthState, ServicesState, ReservationsState);

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(set: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            set.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn the_payments_config_follows_the_gateway() {
        // Given the simulated gateway, then the browser loads nothing
        assert_eq!(
            PaymentsConfig::from_vars(GatewayKind::Simulated, vars(&[])),
            Ok(PaymentsConfig::simulated())
        );
        // Given Stripe, then the publishable key is required and Stripe.js is Stripe's
        let stripe = GatewayKind::Stripe;
        let missing = PaymentsConfig::from_vars(stripe, vars(&[])).unwrap_err();
        assert!(missing.contains("STRIPE_PUBLISHABLE_KEY"), "{missing}");
        let config =
            PaymentsConfig::from_vars(stripe, vars(&[("STRIPE_PUBLISHABLE_KEY", "pk_test_1")]))
                .unwrap();
        assert_eq!(
            config.js_url.as_deref(),
            Some(PaymentsConfig::STRIPE_JS_URL)
        );
        // And a secret key or a plain-http URL elsewhere than the loopback is refused
        let secret = vars(&[("STRIPE_PUBLISHABLE_KEY", "sk_test_1")]);
        assert!(PaymentsConfig::from_vars(stripe, secret).is_err());
        let http = vars(&[
            ("STRIPE_PUBLISHABLE_KEY", "pk_test_1"),
            ("STRIPE_JS_URL", "http://js.example.com/v3/"),
        ]);
        assert!(
            PaymentsConfig::from_vars(stripe, http)
                .unwrap_err()
                .contains("STRIPE_JS_URL")
        );
        let emulator = vars(&[
            ("STRIPE_PUBLISHABLE_KEY", "pk_test_1"),
            ("STRIPE_JS_URL", "http://127.0.0.1:8420/js.stripe.com/v3/"),
        ]);
        assert!(PaymentsConfig::from_vars(stripe, emulator).is_ok());
    }
}
