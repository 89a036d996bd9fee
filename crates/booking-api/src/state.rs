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
    payment::PaymentLedger,
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

/// The services function's state: the catalog, settings and availability, and the reports.
#[derive(Clone)]
pub struct ServicesState {
    pub authn: Authn,
    pub catalog: Arc<dyn CatalogStore>,
    pub settings: Arc<dyn SettingsStore>,
    pub claims: Arc<dyn ClaimReader>,
    pub reservations: Arc<dyn ReservationStore>,
    pub ledger: Arc<dyn PaymentLedger>,
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
