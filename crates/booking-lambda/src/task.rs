//! Workflow task functions on Lambda: the event is one Task state's Parameters, the result
//! its output, and an error carries the task error's stable name as Lambda's `errorType`,
//! which is what the state machine's Retry and Catch match on.

use std::sync::Arc;

use booking_core::{
    booking::{Booking, TaskError},
    payment::{PaymentGateway, SimulatedGateway},
    workflow::{BookingTasks, PayTask, ReserveTask, run_pay_task, run_reserve_task},
};
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::env::{Aws, GatewayChoice};

/// A task error as Lambda reports it: `{"errorType": "PaymentDeclined", "errorMessage": ...}`.
#[derive(Debug)]
pub struct TaskFailed(pub TaskError);

impl From<TaskFailed> for Diagnostic {
    fn from(TaskFailed(e): TaskFailed) -> Self {
        Diagnostic {
            error_type: e.name().to_owned(),
            error_message: e.to_string(),
        }
    }
}

/// The reserve task function (Hold, Confirm, Release, Revoke, Cancel): it moves no money.
pub async fn reserve() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let aws = Aws::load().await?;
    serve::<ReserveTask>(aws.booking(Arc::new(SimulatedGateway::default()))?).await
}

/// The pay task function (Authorize, Capture, Void, Refund) over the gateway `build` makes
/// of the configured choice (functions/pay links the Stripe client; this crate does not).
pub async fn pay(
    build: impl FnOnce(GatewayChoice) -> anyhow::Result<Arc<dyn PaymentGateway>>,
) -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let aws = Aws::load().await?;
    let gateway = build(aws.gateway_choice().await?)?;
    tracing::info!(gateway = gateway.kind().as_str(), "payments");
    serve::<PayTask>(aws.booking(gateway)?).await
}

/// One Task state's Parameters, run against the workflow tasks.
trait Task: DeserializeOwned + Send {
    fn run(&self, tasks: &dyn BookingTasks) -> impl Future<Output = Result<Value, TaskError>>;
}

impl Task for ReserveTask {
    fn run(&self, tasks: &dyn BookingTasks) -> impl Future<Output = Result<Value, TaskError>> {
        run_reserve_task(tasks, self)
    }
}

impl Task for PayTask {
    fn run(&self, tasks: &dyn BookingTasks) -> impl Future<Output = Result<Value, TaskError>> {
        run_pay_task(tasks, self)
    }
}

/// A task function's life: the tasks built once per cold start, then events.
async fn serve<T: Task + 'static>(tasks: Booking) -> Result<(), lambda_runtime::Error> {
    let tasks = &tasks;
    lambda_runtime::run(service_fn(move |event| handle::<T>(tasks, event))).await
}

async fn handle<T: Task>(
    tasks: &dyn BookingTasks,
    event: LambdaEvent<T>,
) -> Result<Value, TaskFailed> {
    let result = event.payload.run(tasks).await;
    log_outcome(&event.context.request_id, &result);
    result.map_err(TaskFailed)
}

fn log_outcome(request_id: &str, result: &Result<Value, TaskError>) {
    if let Err(e) = result {
        tracing::warn!(request_id, error = e.name(), message = %e, "task failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_error_becomes_a_diagnostic_named_after_it() {
        let d = Diagnostic::from(TaskFailed(TaskError::PaymentDeclined("no".into())));
        assert_eq!(
            (d.error_type.as_str(), d.error_message.as_str()),
            ("PaymentDeclined", "no")
        );
    }
}

#[cfg(test)]
mod event_files {
    use booking_core::workflow::{PayTask, ReserveTask};

    fn events(prefix: &str) -> Vec<(String, String)> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events");
        let mut out: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
            .map(|p| {
                (
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn every_task_event_file_is_a_valid_task_input() {
        let reserve = events("reserve-task-");
        let pay = events("pay-task-");
        assert_eq!((reserve.len(), pay.len()), (5, 4));
        for (path, json) in reserve {
            serde_json::from_str::<ReserveTask>(&json).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
        for (path, json) in pay {
            serde_json::from_str::<PayTask>(&json).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }
}
