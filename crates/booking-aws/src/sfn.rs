//! The Workflow port on AWS Step Functions: StartSyncExecution of the Express state machines
//! (statemachine/*.asl.json), waiting for the outcome.

use async_trait::async_trait;
use aws_sdk_sfn::{
    Client,
    config::{
        ConfigBag, Intercept, RuntimeComponents, interceptors::BeforeTransmitInterceptorContextMut,
    },
    types::SyncExecutionStatus,
};
use booking_core::{
    Error,
    booking::{BookingRequest, CancelRequest, TaskFailure},
    workflow::{Outcome, Workflow},
};

use crate::dynamo::store_err;

/// How long the reserve function waits for an execution: under its 28 s Lambda timeout
/// (template.yaml), so that an overrun is a clean 503 rather than a killed function. The
/// states' retry budget (docs/workflows.md) fits inside it.
pub const WAIT: std::time::Duration = std::time::Duration::from_secs(25);

/// Runs the booking and cancellation state machines synchronously.
#[derive(Debug)]
pub struct StepFunctionsWorkflow {
    client: Client,
    booking_arn: String,
    cancel_arn: String,
}

impl StepFunctionsWorkflow {
    /// `sdk` carries the region, credentials and any `AWS_ENDPOINT_URL(_SFN)` override.
    pub fn new(sdk: &aws_config::SdkConfig, booking_arn: String, cancel_arn: String) -> Self {
        let config = aws_sdk_sfn::config::Builder::from(sdk)
            .interceptor(LocalSyncHost)
            .build();
        StepFunctionsWorkflow {
            client: Client::from_conf(config),
            booking_arn,
            cancel_arn,
        }
    }

    async fn run(&self, arn: &str, input: String) -> Result<Outcome, Error> {
        let call = self
            .client
            .start_sync_execution()
            .state_machine_arn(arn)
            .input(input)
            .send();
        let Ok(out) = tokio::time::timeout(WAIT, call).await else {
            // The execution goes on (Express runs up to five minutes) and finishes what it
            // started; the client's replay with the same Idempotency-Key finds the result.
            tracing::warn!(wait_s = WAIT.as_secs(), "the workflow outlasted the wait");
            return Ok(Outcome::Failed(TaskFailure {
                error: "States.Timeout".into(),
                cause: "the workflow is still running: repeat the request for its result".into(),
            }));
        };
        let out =
            out.map_err(|e| store_err(anyhow::Error::new(e).context("StartSyncExecution")))?;
        Ok(match out.status() {
            SyncExecutionStatus::Succeeded => {
                let output = out.output().unwrap_or("{}");
                let output = serde_json::from_str(output).unwrap_or_default();
                Outcome::succeeded(&output)
            }
            SyncExecutionStatus::TimedOut => Outcome::Failed(TaskFailure {
                error: "States.Timeout".into(),
                cause: "the workflow did not finish in time".into(),
            }),
            _ => Outcome::Failed(TaskFailure {
                error: out.error().unwrap_or("States.Runtime").to_owned(),
                cause: out.cause().unwrap_or_default().to_owned(),
            }),
        })
    }
}

#[async_trait]
impl Workflow for StepFunctionsWorkflow {
    async fn book(&self, request: &BookingRequest) -> Result<Outcome, Error> {
        let input = serde_json::to_string(request).map_err(store_err)?;
        self.run(&self.booking_arn, input).await
    }

    async fn cancel(&self, request: &CancelRequest) -> Result<Outcome, Error> {
        let input = serde_json::to_string(request).map_err(store_err)?;
        self.run(&self.cancel_arn, input).await
    }
}

/// The SDK sends StartSyncExecution to `sync-<endpoint host>`. Against AWS that is the right
/// host; against a local endpoint (`sync-127.0.0.1`) it does not resolve. This drops the
/// prefix when what follows it is an IP address or `localhost`, and only then.
#[derive(Debug)]
struct LocalSyncHost;

impl Intercept for LocalSyncHost {
    fn name(&self) -> &'static str {
        "LocalSyncHost"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), aws_sdk_sfn::error::BoxError> {
        let uri = context.request().uri().to_owned();
        if let Some(fixed) = strip_local_sync_prefix(&uri) {
            context.request_mut().set_uri(fixed)?;
        }
        Ok(())
    }
}

fn strip_local_sync_prefix(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    let host_and_rest = rest.strip_prefix("sync-")?;
    let host = host_and_rest.split(['/', ':']).next()?;
    let local = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok();
    local.then(|| format!("{scheme}://{host_and_rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sync_prefix_is_dropped_only_for_local_hosts() {
        assert_eq!(
            strip_local_sync_prefix("http://sync-127.0.0.1:8083/").as_deref(),
            Some("http://127.0.0.1:8083/")
        );
        assert_eq!(
            strip_local_sync_prefix("http://sync-localhost:8083").as_deref(),
            Some("http://localhost:8083")
        );
        assert_eq!(
            strip_local_sync_prefix("https://sync-states.us-east-1.amazonaws.com/"),
            None
        );
        assert_eq!(strip_local_sync_prefix("http://127.0.0.1:8083/"), None);
    }
}
