//! Configuration read once per cold start from the environment (names as in template.yaml),
//! SDK clients built once, and each function's state wired to the AWS adapters: only the
//! ports that function uses.

use std::sync::Arc;

use anyhow::Context;
use aws_config::SdkConfig;
use booking_api::{AuthState, Authn, JwtConfig, PaymentsConfig, ReservationsState, ServicesState};
use booking_aws::{
    dynamo::{
        DynamoCatalog, DynamoLedger, DynamoReservations, DynamoSentLog, DynamoSettings,
        DynamoThrottle, DynamoUsers, Table,
    },
    secrets,
    ses::SesMailer,
    sfn::StepFunctionsWorkflow,
};
use booking_core::{
    accounts::AccountsConfig,
    booking::{Booking, BookingConfig},
    payment::{GatewayKind, PaymentGateway},
    ports::{Clock, SystemClock},
};

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn required(name: &str) -> anyhow::Result<String> {
    var(name).with_context(|| format!("{name} is not set (template.yaml sets it)"))
}

/// `PAYMENT_GATEWAY`: required, so that a stack never runs on the simulated gateway
/// without saying so (template.yaml sets it from its `PaymentGateway` parameter).
fn gateway_kind() -> anyhow::Result<GatewayKind> {
    let name = required("PAYMENT_GATEWAY")?;
    GatewayKind::parse("PAYMENT_GATEWAY", &name)
        .map_err(|e| anyhow::anyhow!("PAYMENT_GATEWAY {}", e.reason))
}

/// The gateway the pay functions are to build, read once per cold start.
pub enum GatewayChoice {
    Simulated,
    /// The secret key (`STRIPE_SECRET_KEY`, or the secret `STRIPE_SECRET_ARN` names,
    /// fetched only then) and `STRIPE_API_BASE` when set (an emulator's).
    Stripe {
        secret_key: String,
        api_base: Option<String>,
    },
}

impl std::fmt::Debug for GatewayChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GatewayChoice::Simulated => f.write_str("Simulated"),
            GatewayChoice::Stripe { api_base, .. } => f
                .debug_struct("Stripe")
                .field("secret_key", &"<redacted>")
                .field("api_base", api_base)
                .finish(),
        }
    }
}

/// The SDK configuration and the booking table.
#[derive(Debug)]
pub struct Aws {
    pub sdk: SdkConfig,
    pub table: Table,
}

impl Aws {
    pub async fn load() -> anyhow::Result<Self> {
        let sdk = booking_aws::env::sdk_config().await;
        let table = Table::new(aws_sdk_dynamodb::Client::new(&sdk), required("TABLE_NAME")?);
        Ok(Aws { sdk, table })
    }

    fn clock() -> Arc<dyn Clock> {
        Arc::new(SystemClock)
    }

    /// Who the caller is: the JWT key from `JWT_SECRET` when it is set, otherwise from
    /// Secrets Manager (`JWT_SECRET_ARN`, fetched only then), and the users on DynamoDB.
    async fn authn(&self) -> anyhow::Result<Authn> {
        let secret = match secrets::jwt_secret_arn(var) {
            Some(arn) => Some(
                secrets::fetch(&self.sdk, &arn)
                    .await
                    .context("reading the JWT secret")?,
            ),
            None => None,
        };
        let jwt = JwtConfig::from_vars(var, secret)?;
        let users = Arc::new(DynamoUsers::new(self.table.clone()));
        Ok(Authn::new(jwt, users, Self::clock()))
    }

    /// The auth function's state: users, the throttle and the account settings.
    pub async fn auth_state(&self) -> anyhow::Result<AuthState> {
        let throttle = Arc::new(DynamoThrottle::new(self.table.clone()));
        let accounts = AccountsConfig::from_vars(var).map_err(anyhow::Error::msg)?;
        Ok(AuthState::new(self.authn().await?, throttle).with_accounts(accounts))
    }

    /// The services function's state: the catalog, settings, claims and the reports' reads.
    pub async fn services_state(&self) -> anyhow::Result<ServicesState> {
        let reservations = Arc::new(DynamoReservations::new(self.table.clone()));
        Ok(ServicesState {
            authn: self.authn().await?,
            catalog: Arc::new(DynamoCatalog::new(self.table.clone())),
            settings: Arc::new(DynamoSettings::new(self.table.clone())),
            claims: reservations.clone(),
            reservations,
            ledger: Arc::new(DynamoLedger::new(self.table.clone())),
            payments: PaymentsConfig::from_vars(gateway_kind()?, var)
                .map_err(anyhow::Error::msg)?,
        })
    }

    /// The pay functions' gateway, as `PAYMENT_GATEWAY` and the Stripe variables say.
    pub async fn gateway_choice(&self) -> anyhow::Result<GatewayChoice> {
        Ok(match gateway_kind()? {
            GatewayKind::Simulated => GatewayChoice::Simulated,
            GatewayKind::Stripe => {
                let secret_key = match (var("STRIPE_SECRET_KEY"), var("STRIPE_SECRET_ARN")) {
                    (Some(key), _) => key,
                    (None, Some(arn)) => String::from_utf8(
                        secrets::fetch(&self.sdk, &arn)
                            .await
                            .context("reading the Stripe secret key")?,
                    )
                    .context("the Stripe secret key is not UTF-8")?,
                    (None, None) => anyhow::bail!(
                        "PAYMENT_GATEWAY is stripe: set STRIPE_SECRET_KEY or STRIPE_SECRET_ARN"
                    ),
                };
                GatewayChoice::Stripe {
                    secret_key: secret_key.trim().to_owned(),
                    api_base: var("STRIPE_API_BASE"),
                }
            }
        })
    }

    /// The reserve function's state: reservations, the ledger and the Step Functions
    /// workflow (`BOOKING_STATE_MACHINE_ARN`, `CANCEL_STATE_MACHINE_ARN`).
    pub async fn reservations_state(&self) -> anyhow::Result<ReservationsState> {
        let workflow = StepFunctionsWorkflow::new(
            &self.sdk,
            required("BOOKING_STATE_MACHINE_ARN")?,
            required("CANCEL_STATE_MACHINE_ARN")?,
        );
        Ok(ReservationsState {
            authn: self.authn().await?,
            reservations: Arc::new(DynamoReservations::new(self.table.clone())),
            ledger: Arc::new(DynamoLedger::new(self.table.clone())),
            workflow: Arc::new(workflow),
        })
    }

    /// The workflow tasks over DynamoDB and `gateway` (the reserve tasks move no money and
    /// are given the simulated one); no queue, since the state machine sends the
    /// notifications the tasks return.
    pub fn booking(&self, gateway: Arc<dyn PaymentGateway>) -> anyhow::Result<Booking> {
        Ok(Booking {
            reservations: Arc::new(DynamoReservations::new(self.table.clone())),
            ledger: Arc::new(DynamoLedger::new(self.table.clone())),
            gateway,
            services: Arc::new(DynamoCatalog::new(self.table.clone())),
            settings: Arc::new(DynamoSettings::new(self.table.clone())),
            users: Arc::new(DynamoUsers::new(self.table.clone())),
            clock: Self::clock(),
            config: BookingConfig::from_vars(var).map_err(anyhow::Error::msg)?,
        })
    }

    /// The notify function's adapters: SES from `SENDER_EMAIL`, the sent log in DynamoDB.
    pub fn notifier(&self) -> anyhow::Result<(SesMailer, DynamoSentLog)> {
        let sender = required("SENDER_EMAIL")?;
        Ok((
            SesMailer::new(&self.sdk, sender),
            DynamoSentLog::new(self.table.clone()),
        ))
    }
}
