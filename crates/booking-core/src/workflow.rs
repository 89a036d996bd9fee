//! The booking and cancellation workflows. `statemachine/*.asl.json` defines them for AWS
//! Step Functions; [`InProcessWorkflow`] runs the same tasks in the same order with the same
//! Retry and Catch for booking-local and the tests. `tests/asl_parity.rs` interprets the ASL
//! files and checks that both take the same path through the same states in every scenario.

use std::time::Duration;

use async_trait::async_trait;

use crate::{
    Error,
    booking::{
        Booking, BookingRequest, CancelRequest, ChargeOutput, HoldOutput, NotifyOutput,
        RefundOutput, ReleaseOutput, TaskError, TaskFailure,
    },
    ids::ReservationId,
    notify::Notification,
};

/// How a workflow execution ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    /// The error of the failing state (the ASL Fail state's `ErrorPath`/`CausePath`).
    Failed(TaskFailure),
}

/// Starts a workflow and waits for its end (Step Functions `StartSyncExecution`, or in-process).
#[async_trait]
pub trait Workflow: Send + Sync {
    async fn book(&self, request: &BookingRequest) -> Result<Outcome, Error>;
    async fn cancel(&self, request: &CancelRequest) -> Result<Outcome, Error>;
}

/// The task functions, as the state machine's Task states call them.
#[async_trait]
pub trait BookingTasks: Send + Sync {
    async fn hold(&self, request: &BookingRequest) -> Result<HoldOutput, TaskError>;
    async fn charge(&self, id: ReservationId) -> Result<ChargeOutput, TaskError>;
    async fn confirm(
        &self,
        id: ReservationId,
        payment_reference: &str,
    ) -> Result<NotifyOutput, TaskError>;
    async fn refund(&self, id: ReservationId) -> Result<RefundOutput, TaskError>;
    async fn release(
        &self,
        id: ReservationId,
        error: Option<&TaskFailure>,
    ) -> Result<ReleaseOutput, TaskError>;
    async fn cancel(&self, request: &CancelRequest) -> Result<NotifyOutput, TaskError>;
    /// The `sqs:sendMessage` integration.
    async fn send(&self, notification: &Notification) -> Result<(), TaskError>;
}

#[async_trait]
impl BookingTasks for Booking {
    async fn hold(&self, request: &BookingRequest) -> Result<HoldOutput, TaskError> {
        Booking::hold(self, request).await
    }
    async fn charge(&self, id: ReservationId) -> Result<ChargeOutput, TaskError> {
        Booking::charge(self, id).await
    }
    async fn confirm(
        &self,
        id: ReservationId,
        payment_reference: &str,
    ) -> Result<NotifyOutput, TaskError> {
        Booking::confirm(self, id, payment_reference).await
    }
    async fn refund(&self, id: ReservationId) -> Result<RefundOutput, TaskError> {
        Booking::refund(self, id).await
    }
    async fn release(
        &self,
        id: ReservationId,
        error: Option<&TaskFailure>,
    ) -> Result<ReleaseOutput, TaskError> {
        Booking::release(self, id, error).await
    }
    async fn cancel(&self, request: &CancelRequest) -> Result<NotifyOutput, TaskError> {
        Booking::cancel(self, request).await
    }
    async fn send(&self, notification: &Notification) -> Result<(), TaskError> {
        Booking::send(self, notification).await
    }
}

/// One ASL `Retry` entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retrier {
    pub errors: &'static [&'static str],
    pub interval_seconds: u64,
    pub max_attempts: u32,
    pub backoff_rate: f64,
}

/// Lambda service errors plus timeouts: every task is idempotent, so a task that timed out
/// (perhaps after its write) is safe to run again, and must be, or a committed Confirm would
/// be compensated as if it had failed.
pub const RETRYABLE_TASK_ERRORS: &[&str] = &[
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "States.Timeout",
];

const LAMBDA: Retrier = Retrier {
    errors: RETRYABLE_TASK_ERRORS,
    interval_seconds: 1,
    max_attempts: 3,
    backoff_rate: 2.0,
};
const STORE: Retrier = Retrier {
    errors: &["StoreUnavailable"],
    interval_seconds: 1,
    max_attempts: 3,
    backoff_rate: 2.0,
};
const PAYMENT: Retrier = Retrier {
    errors: &["PaymentTransient"],
    interval_seconds: 1,
    max_attempts: 2,
    backoff_rate: 2.0,
};
const QUEUE: Retrier = Retrier {
    errors: &["States.ALL"],
    interval_seconds: 1,
    max_attempts: 3,
    backoff_rate: 2.0,
};

/// The Retry list of each Task state, exactly as in the ASL files.
pub fn retriers(state: &str) -> &'static [Retrier] {
    match state {
        "Charge" | "Refund" | "RefundByPolicy" => &[LAMBDA, STORE, PAYMENT],
        "SendConfirmation" | "SendFailure" | "SendCancellation" => &[QUEUE],
        _ => &[LAMBDA, STORE],
    }
}

/// Runs the workflows in this process over any [`BookingTasks`].
pub struct InProcessWorkflow<T> {
    tasks: T,
    /// Multiplies the ASL retry intervals: 1.0 waits as Step Functions would, 0.0 not at all.
    time_scale: f64,
}

impl<T: BookingTasks> InProcessWorkflow<T> {
    pub fn new(tasks: T, time_scale: f64) -> Self {
        InProcessWorkflow { tasks, time_scale }
    }

    /// Runs `f` under the state's Retry list; returns its last error once retries run out.
    async fn attempt<O, F, Fut>(
        &self,
        trace: &mut Vec<String>,
        state: &str,
        mut f: F,
    ) -> Result<O, TaskError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<O, TaskError>>,
    {
        let rules = retriers(state);
        let mut used = vec![0u32; rules.len()];
        loop {
            trace.push(state.to_owned());
            let err = match f().await {
                Ok(out) => return Ok(out),
                Err(e) => e,
            };
            let rule = rules
                .iter()
                .position(|r| r.errors.contains(&err.name()) || r.errors.contains(&"States.ALL"));
            let Some(i) = rule.filter(|i| used[*i] < rules[*i].max_attempts) else {
                return Err(err);
            };
            let wait = rules[i].interval_seconds as f64
                * rules[i].backoff_rate.powi(used[i] as i32)
                * self.time_scale;
            used[i] += 1;
            tracing::warn!(
                state,
                error = err.name(),
                attempt = used[i],
                "retrying task"
            );
            if wait > 0.0 {
                tokio::time::sleep(Duration::from_secs_f64(wait)).await;
            }
        }
    }

    /// `statemachine/booking.asl.json`, step by step; returns the outcome and the states
    /// entered (each attempt of a retried state once).
    pub async fn book_traced(&self, req: &BookingRequest) -> (Outcome, Vec<String>) {
        let mut trace = Vec::new();
        let id = req.reservation_id;
        let failed = |trace: &mut Vec<String>, state: &str, e: TaskFailure| {
            trace.push(state.to_owned());
            Outcome::Failed(e)
        };
        if let Err(e) = self
            .attempt(&mut trace, "Hold", || self.tasks.hold(req))
            .await
        {
            return (failed(&mut trace, "BookingRejected", e.failure()), trace);
        }
        let error = match self
            .attempt(&mut trace, "Charge", || self.tasks.charge(id))
            .await
        {
            Err(e) => e.failure(),
            Ok(charge) => {
                let reference = charge.payment_reference;
                match self
                    .attempt(&mut trace, "Confirm", || self.tasks.confirm(id, &reference))
                    .await
                {
                    Ok(out) => {
                        // A lost confirmation email must not undo a paid booking: the Catch
                        // of SendConfirmation still ends in Booked.
                        let _ = self
                            .attempt(&mut trace, "SendConfirmation", || {
                                self.tasks.send(&out.notification)
                            })
                            .await;
                        trace.push("Booked".into());
                        return (Outcome::Succeeded, trace);
                    }
                    Err(e) => e.failure(),
                }
            }
        };
        // Compensation: Release first (the reservation becomes FAILED atomically, so nothing
        // can confirm it any more), then Refund whatever it was charged. A Release that fails
        // (the reservation is CONFIRMED after all) refunds nothing.
        let release = self.attempt(&mut trace, "Release", || {
            self.tasks.release(id, Some(&error))
        });
        if let Ok(out) = release.await {
            let _ = self
                .attempt(&mut trace, "Refund", || self.tasks.refund(id))
                .await;
            // The ASL's HasFailureNotice Choice: no notice (a cancelled reservation) sends nothing.
            if let Some(n) = out.notification {
                let _ = self
                    .attempt(&mut trace, "SendFailure", || self.tasks.send(&n))
                    .await;
            }
        }
        (failed(&mut trace, "BookingFailed", error), trace)
    }

    /// `statemachine/cancel.asl.json`: Cancel -> Release -> Refund -> SendCancellation.
    pub async fn cancel_traced(&self, req: &CancelRequest) -> (Outcome, Vec<String>) {
        let mut trace = Vec::new();
        let id = req.reservation_id;
        let fail = |trace: &mut Vec<String>, state: &str, e: TaskError| {
            trace.push(state.to_owned());
            Outcome::Failed(e.failure())
        };
        let out = match self
            .attempt(&mut trace, "Cancel", || self.tasks.cancel(req))
            .await
        {
            Ok(out) => out,
            Err(e) => return (fail(&mut trace, "CancelRejected", e), trace),
        };
        if let Err(e) = self
            .attempt(&mut trace, "ReleaseSlot", || self.tasks.release(id, None))
            .await
        {
            return (fail(&mut trace, "CancelFailed", e), trace);
        }
        if let Err(e) = self
            .attempt(&mut trace, "RefundByPolicy", || self.tasks.refund(id))
            .await
        {
            return (fail(&mut trace, "CancelFailed", e), trace);
        }
        let _ = self
            .attempt(&mut trace, "SendCancellation", || {
                self.tasks.send(&out.notification)
            })
            .await;
        trace.push("Cancelled".into());
        (Outcome::Succeeded, trace)
    }
}

#[async_trait]
impl<T: BookingTasks> Workflow for InProcessWorkflow<T> {
    async fn book(&self, request: &BookingRequest) -> Result<Outcome, Error> {
        Ok(self.book_traced(request).await.0)
    }

    async fn cancel(&self, request: &CancelRequest) -> Result<Outcome, Error> {
        Ok(self.cancel_traced(request).await.0)
    }
}

/// The input of the reserve task function: one Task state's Parameters in the ASL files.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(
    tag = "action",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ReserveTask {
    Hold {
        request: BookingRequest,
    },
    Confirm {
        reservation_id: ReservationId,
        payment_reference: String,
    },
    Release {
        reservation_id: ReservationId,
        error: Option<TaskFailure>,
    },
    Cancel {
        request: CancelRequest,
    },
}

/// The input of the pay task function.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(
    tag = "action",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum PayTask {
    Charge { reservation_id: ReservationId },
    Refund { reservation_id: ReservationId },
}

fn to_value<T: serde::Serialize>(out: T) -> Result<serde_json::Value, TaskError> {
    serde_json::to_value(out).map_err(|e| TaskError::InvalidRequest(e.to_string()))
}

/// Runs one reserve task and returns its output as the state machine receives it.
pub async fn run_reserve_task(
    tasks: &dyn BookingTasks,
    task: &ReserveTask,
) -> Result<serde_json::Value, TaskError> {
    match task {
        ReserveTask::Hold { request } => to_value(tasks.hold(request).await?),
        ReserveTask::Confirm {
            reservation_id,
            payment_reference,
        } => to_value(tasks.confirm(*reservation_id, payment_reference).await?),
        ReserveTask::Release {
            reservation_id,
            error,
        } => to_value(tasks.release(*reservation_id, error.as_ref()).await?),
        ReserveTask::Cancel { request } => to_value(tasks.cancel(request).await?),
    }
}

/// Runs one pay task and returns its output as the state machine receives it.
pub async fn run_pay_task(
    tasks: &dyn BookingTasks,
    task: &PayTask,
) -> Result<serde_json::Value, TaskError> {
    match task {
        PayTask::Charge { reservation_id } => to_value(tasks.charge(*reservation_id).await?),
        PayTask::Refund { reservation_id } => to_value(tasks.refund(*reservation_id).await?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_inputs_read_the_asl_parameters() {
        let release: ReserveTask = serde_json::from_value(serde_json::json!({
            "action": "release", "reservationId": "01KB0000000000000000000000",
            "error": {"Error": "PaymentDeclined", "Cause": "{\"errorType\":\"PaymentDeclined\",\"errorMessage\":\"no\"}"}
        }))
        .unwrap();
        let ReserveTask::Release { error: Some(e), .. } = release else {
            panic!("{release:?}")
        };
        assert_eq!(
            (e.error.as_str(), e.message().as_str()),
            ("PaymentDeclined", "no")
        );
        let charge: PayTask = serde_json::from_value(serde_json::json!({
            "action": "charge", "reservationId": "01KB0000000000000000000000"
        }))
        .unwrap();
        assert!(matches!(charge, PayTask::Charge { .. }));
        assert!(serde_json::from_value::<PayTask>(serde_json::json!({"action": "steal"})).is_err());
    }
}
