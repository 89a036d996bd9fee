//! The composition root of the Lambda functions: configuration read once per cold start
//! from the environment (names as in template.yaml), SDK clients built once, and the ports
//! wired to their AWS adapters. Endpoints come from the standard `AWS_ENDPOINT_URL` /
//! `AWS_ENDPOINT_URL_<SERVICE>` variables, so the local cloud needs no special code path.

use std::sync::Arc;

use anyhow::Context;
use aws_config::{BehaviorVersion, SdkConfig};
use booking_api::{AppState, JwtConfig, Ports};
use booking_core::{
    Error,
    accounts::AccountsConfig,
    booking::{Booking, BookingConfig, BookingRequest, CancelRequest},
    notify::Notification,
    payment::SimulatedGateway,
    ports::{NotificationQueue, SystemClock},
    workflow::{Outcome, Workflow},
};

use crate::{
    dynamo::{
        DynamoCatalog, DynamoLedger, DynamoReservations, DynamoSentLog, DynamoSettings,
        DynamoThrottle, DynamoUsers, Table,
    },
    secrets,
    ses::SesMailer,
    sfn::StepFunctionsWorkflow,
    sqs::SqsQueue,
};

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn required(name: &str) -> anyhow::Result<String> {
    var(name).with_context(|| format!("{name} is not set (template.yaml sets it)"))
}

/// The SDK configuration and the booking table.
pub struct Aws {
    pub sdk: SdkConfig,
    pub table: Table,
}

/// The SDK configuration from the standard sources (environment, profile, the Lambda role),
/// with the HTTPS client of [`crate::tls`] (rustls on ring, AWS's roots compiled in).
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(crate::tls::aws_http_client())
        .load()
        .await
}

impl Aws {
    pub async fn load() -> anyhow::Result<Self> {
        let sdk = sdk_config().await;
        let table = Table::new(aws_sdk_dynamodb::Client::new(&sdk), required("TABLE_NAME")?);
        Ok(Aws { sdk, table })
    }

    fn queue(&self) -> Arc<dyn NotificationQueue> {
        match var("NOTIFY_QUEUE_URL") {
            Some(url) => Arc::new(SqsQueue::new(&self.sdk, url)),
            None => Arc::new(NoQueue),
        }
    }

    /// The workflow tasks over DynamoDB and the simulated payment gateway.
    pub fn booking(&self) -> anyhow::Result<Booking> {
        let reservations = Arc::new(DynamoReservations::new(self.table.clone()));
        Ok(Booking {
            reservations,
            ledger: Arc::new(DynamoLedger::new(self.table.clone())),
            gateway: Arc::new(SimulatedGateway::default()),
            services: Arc::new(DynamoCatalog::new(self.table.clone())),
            settings: Arc::new(DynamoSettings::new(self.table.clone())),
            users: Arc::new(DynamoUsers::new(self.table.clone())),
            queue: self.queue(),
            clock: Arc::new(SystemClock),
            config: BookingConfig::from_vars(var).map_err(anyhow::Error::msg)?,
        })
    }

    /// The HTTP functions' state: the JWT secret (`JWT_SECRET`, or else from Secrets Manager
    /// by `JWT_SECRET_ARN`), every store on DynamoDB, the Step Functions workflow.
    pub async fn http_state(&self) -> anyhow::Result<AppState> {
        let secret = match secrets::jwt_secret_arn(var) {
            Some(arn) => Some(
                secrets::fetch(&self.sdk, &arn)
                    .await
                    .context("reading the JWT secret")?,
            ),
            None => None,
        };
        let jwt = JwtConfig::from_vars(var, secret)?;
        let reservations = Arc::new(DynamoReservations::new(self.table.clone()));
        let workflow: Arc<dyn Workflow> = match (
            var("BOOKING_STATE_MACHINE_ARN"),
            var("CANCEL_STATE_MACHINE_ARN"),
        ) {
            (Some(book), Some(cancel)) => {
                Arc::new(StepFunctionsWorkflow::new(&self.sdk, book, cancel))
            }
            _ => Arc::new(NoWorkflow),
        };
        let ports = Ports {
            users: Arc::new(DynamoUsers::new(self.table.clone())),
            throttle: Arc::new(DynamoThrottle::new(self.table.clone())),
            catalog: Arc::new(DynamoCatalog::new(self.table.clone())),
            settings: Arc::new(DynamoSettings::new(self.table.clone())),
            reservations: reservations.clone(),
            claims: reservations,
            ledger: Arc::new(DynamoLedger::new(self.table.clone())),
            clock: Arc::new(SystemClock),
            workflow,
        };
        let accounts = AccountsConfig::from_vars(var).map_err(anyhow::Error::msg)?;
        Ok(AppState::new(ports, jwt).with_accounts(accounts))
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

/// For functions that never send notifications themselves (the state machine does).
struct NoQueue;

#[async_trait::async_trait]
impl NotificationQueue for NoQueue {
    async fn send(&self, _: &Notification) -> Result<(), Error> {
        Err(crate::dynamo::store_err(anyhow::anyhow!(
            "NOTIFY_QUEUE_URL is not set"
        )))
    }
}

/// For HTTP functions that start no workflow (auth, services).
struct NoWorkflow;

#[async_trait::async_trait]
impl Workflow for NoWorkflow {
    async fn book(&self, _: &BookingRequest) -> Result<Outcome, Error> {
        Err(crate::dynamo::store_err(anyhow::anyhow!(
            "BOOKING_STATE_MACHINE_ARN is not set"
        )))
    }

    async fn cancel(&self, _: &CancelRequest) -> Result<Outcome, Error> {
        Err(crate::dynamo::store_err(anyhow::anyhow!(
            "CANCEL_STATE_MACHINE_ARN is not set"
        )))
    }
}
