//! The booking and cancellation workflows. `statemachine/*.asl.json` defines them, once:
//! AWS Step Functions runs them in production, and [`InProcessWorkflow`] executes the same
//! files with the [`asl`] interpreter for booking-local and the tests, calling the task
//! functions in this process. Nothing here repeats a state, a Retry or a Catch.

use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use serde_json::{Value, json};

use crate::{
    Error,
    asl::{self, AslError, State, StateMachine},
    booking::{
        AuthorizeOutput, AuthorizeStatus, Booking, BookingRequest, CancelRequest, HoldOutput,
        NotifyOutput, RefundOutput, ReleaseOutput, TaskError, TaskFailure, VoidOutput,
    },
    ids::ReservationId,
    notify::Notification,
    ports::NotificationQueue,
};

/// How a workflow execution ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    /// The booking ended waiting for the customer to authenticate (3-D Secure): the
    /// reservation is PENDING_PAYMENT, its hold keeps the place, and the client completes
    /// the challenge with `client_secret` and then repeats its request.
    ActionRequired {
        client_secret: String,
    },
    /// The error of the failing state (the ASL Fail state's `ErrorPath`/`CausePath`).
    Failed(TaskFailure),
}

impl Outcome {
    /// A successful execution's outcome from its output: [`Outcome::ActionRequired`] when
    /// Authorize asked for authentication (`$.authorize`), [`Outcome::Succeeded`] otherwise.
    pub fn succeeded(output: &Value) -> Self {
        let authorize = output
            .get("authorize")
            .and_then(|a| serde_json::from_value::<AuthorizeOutput>(a.clone()).ok());
        match authorize {
            Some(AuthorizeOutput {
                status: AuthorizeStatus::RequiresAction,
                client_secret: Some(client_secret),
            }) => Outcome::ActionRequired { client_secret },
            _ => Outcome::Succeeded,
        }
    }
}

/// Starts a workflow and waits for its end (Step Functions `StartSyncExecution`, or in-process).
#[async_trait]
pub trait Workflow: Send + Sync {
    async fn book(&self, request: &BookingRequest) -> Result<Outcome, Error>;
    async fn cancel(&self, request: &CancelRequest) -> Result<Outcome, Error>;
}

/// The task functions, as the state machine's Task states call them. The queue Tasks are
/// not among them: Step Functions sends those messages itself, and the in-process runner
/// sends them to the queue it is given ([`InProcessWorkflow::new`]).
#[async_trait]
pub trait BookingTasks: Send + Sync {
    async fn hold(&self, request: &BookingRequest) -> Result<HoldOutput, TaskError>;
    async fn authorize(&self, id: ReservationId) -> Result<AuthorizeOutput, TaskError>;
    async fn confirm(&self, id: ReservationId) -> Result<NotifyOutput, TaskError>;
    async fn capture(&self, id: ReservationId) -> Result<NotifyOutput, TaskError>;
    async fn void(&self, id: ReservationId) -> Result<VoidOutput, TaskError>;
    async fn refund(&self, id: ReservationId) -> Result<RefundOutput, TaskError>;
    async fn release(
        &self,
        id: ReservationId,
        error: Option<&TaskFailure>,
    ) -> Result<ReleaseOutput, TaskError>;
    async fn revoke(
        &self,
        id: ReservationId,
        error: &TaskFailure,
    ) -> Result<ReleaseOutput, TaskError>;
    async fn cancel(&self, request: &CancelRequest) -> Result<NotifyOutput, TaskError>;
}

#[async_trait]
impl BookingTasks for Booking {
    async fn hold(&self, request: &BookingRequest) -> Result<HoldOutput, TaskError> {
        Booking::hold(self, request).await
    }
    async fn authorize(&self, id: ReservationId) -> Result<AuthorizeOutput, TaskError> {
        Booking::authorize(self, id).await
    }
    async fn confirm(&self, id: ReservationId) -> Result<NotifyOutput, TaskError> {
        Booking::confirm(self, id).await
    }
    async fn capture(&self, id: ReservationId) -> Result<NotifyOutput, TaskError> {
        Booking::capture(self, id).await
    }
    async fn void(&self, id: ReservationId) -> Result<VoidOutput, TaskError> {
        Booking::void(self, id).await
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
    async fn revoke(
        &self,
        id: ReservationId,
        error: &TaskFailure,
    ) -> Result<ReleaseOutput, TaskError> {
        Booking::revoke(self, id, error).await
    }
    async fn cancel(&self, request: &CancelRequest) -> Result<NotifyOutput, TaskError> {
        Booking::cancel(self, request).await
    }
}

/// The names of a state machine's states, one variant per state of its ASL file.
pub trait StateNames: Sized + Copy + 'static {
    const ALL: &'static [Self];
    fn as_str(self) -> &'static str;

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| s.as_str() == name)
    }
}

macro_rules! state_names {
    ($(#[$doc:meta])* $name:ident { $($state:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($state),+
        }

        impl StateNames for $name {
            const ALL: &'static [Self] = &[$($name::$state),+];

            fn as_str(self) -> &'static str {
                match self {
                    $($name::$state => stringify!($state)),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

state_names!(
    /// The states of `statemachine/booking.asl.json`, which defines them.
    BookingState {
        Hold,
        IsPrepaid,
        Authorize,
        IsAuthorized,
        AwaitingAuthentication,
        Confirm,
        IsCaptureDue,
        Capture,
        SendConfirmation,
        Booked,
        Release,
        Revoke,
        Void,
        Refund,
        HasFailureNotice,
        SendFailure,
        BookingFailed,
        BookingRejected,
    }
);

state_names!(
    /// The states of `statemachine/cancel.asl.json`, which defines them.
    CancelState {
        Cancel,
        ReleaseSlot,
        VoidUncaptured,
        RefundByPolicy,
        SendCancellation,
        Cancelled,
        CancelRejected,
        CancelFailed,
    }
);

/// The definitions the runner executes, parsed once per process and checked by
/// [`check_resources`] and [`check_states`] as well: a file the runner cannot execute, or
/// whose states are not the ones its enum names, fails at start-up.
static BOOKING: LazyLock<StateMachine> = LazyLock::new(|| {
    definition::<BookingState>(
        "booking.asl.json",
        include_str!("../../../../statemachine/booking.asl.json"),
    )
});
static CANCEL: LazyLock<StateMachine> = LazyLock::new(|| {
    definition::<CancelState>(
        "cancel.asl.json",
        include_str!("../../../../statemachine/cancel.asl.json"),
    )
});

fn definition<S: StateNames>(file: &str, json: &str) -> StateMachine {
    StateMachine::parse(json)
        .and_then(|m| {
            check_resources(&m)
                .and_then(|()| check_states::<S>(&m))
                .map(|()| m)
        })
        .unwrap_or_else(|e| panic!("statemachine/{file}: {e}"))
}

/// The machine's states are exactly those `S` names.
pub fn check_states<S: StateNames>(machine: &StateMachine) -> Result<(), AslError> {
    if let Some(name) = machine.states.keys().find(|n| S::parse(n).is_none()) {
        return Err(AslError::new(format!(
            "state {name} has no name in the code"
        )));
    }
    if let Some(missing) = S::ALL
        .iter()
        .find(|s| !machine.states.contains_key(s.as_str()))
    {
        return Err(AslError::new(format!("no state {}", missing.as_str())));
    }
    Ok(())
}

/// `statemachine/booking.asl.json`, as the in-process runner executes it.
pub fn booking_state_machine() -> &'static StateMachine {
    &BOOKING
}

/// `statemachine/cancel.asl.json`, as the in-process runner executes it.
pub fn cancel_state_machine() -> &'static StateMachine {
    &CANCEL
}

/// The Task Resources of the ASL files: the two task functions under the names SAM's
/// `DefinitionSubstitutions` fill in, and the queue under its service integration.
pub const RESERVE_TASK_FUNCTION: &str = "${ReserveTaskFunctionArn}";
pub const PAY_TASK_FUNCTION: &str = "${PayTaskFunctionArn}";
pub const SQS_SEND_MESSAGE: &str = "arn:aws:states:::sqs:sendMessage";

/// Every Task of the machine calls a Resource [`run_resource`] knows.
pub fn check_resources(machine: &StateMachine) -> Result<(), AslError> {
    for (name, state) in &machine.states {
        if let State::Task(t) = state
            && ![RESERVE_TASK_FUNCTION, PAY_TASK_FUNCTION, SQS_SEND_MESSAGE]
                .contains(&t.resource.as_str())
        {
            return Err(AslError::new(format!(
                "state {name}: no task behind the Resource {}",
                t.resource
            )));
        }
    }
    Ok(())
}

/// The `sqs:sendMessage` Parameters; the queue is the one the runner was given, whatever
/// `QueueUrl` says.
#[derive(serde::Deserialize)]
struct SendMessage {
    #[serde(rename = "MessageBody")]
    message_body: Notification,
}

fn from_value<T: serde::de::DeserializeOwned>(input: Value) -> Result<T, TaskError> {
    serde_json::from_value(input).map_err(|e| TaskError::InvalidRequest(e.to_string()))
}

/// Runs one Task state's Resource in this process with its resolved Parameters, as the
/// task function (or the queue integration) receives them, so a Parameters block the
/// function cannot read fails here as it would on AWS.
pub async fn run_resource(
    tasks: &dyn BookingTasks,
    queue: &dyn NotificationQueue,
    resource: &str,
    input: Value,
) -> Result<Value, TaskError> {
    match resource {
        RESERVE_TASK_FUNCTION => run_reserve_task(tasks, &from_value(input)?).await,
        PAY_TASK_FUNCTION => run_pay_task(tasks, &from_value(input)?).await,
        SQS_SEND_MESSAGE => {
            let message: SendMessage = from_value(input)?;
            queue.send(&message.message_body).await?;
            Ok(json!({}))
        }
        other => Err(TaskError::InvalidRequest(format!(
            "no task behind the Resource {other}"
        ))),
    }
}

/// The [`asl::Resources`] of the in-process runner: the task functions, called directly,
/// and the queue.
struct LocalTasks<'a> {
    tasks: &'a dyn BookingTasks,
    queue: &'a dyn NotificationQueue,
}

#[async_trait]
impl asl::Resources for LocalTasks<'_> {
    async fn invoke(&self, _: &str, resource: &str, input: Value) -> Result<Value, TaskFailure> {
        run_resource(self.tasks, self.queue, resource, input)
            .await
            .map_err(|e| e.failure())
    }
}

/// Runs the workflows in this process over any [`BookingTasks`], by executing the ASL files
/// themselves: their states, Parameters, Retry and Catch are the only definition.
pub struct InProcessWorkflow<T> {
    tasks: T,
    /// Where the `sqs:sendMessage` states send: on AWS the state machine sends them itself,
    /// so only this runner, not the task functions, holds a queue.
    queue: Arc<dyn NotificationQueue>,
    /// Multiplies the ASL retry intervals: 1.0 waits as Step Functions would, 0.0 not at all.
    time_scale: f64,
}

debug_by_name!(InProcessWorkflow<T>);

impl<T: BookingTasks> InProcessWorkflow<T> {
    pub fn new(tasks: T, queue: Arc<dyn NotificationQueue>, time_scale: f64) -> Self {
        // Parsed here, at start-up, rather than in the first request.
        LazyLock::force(&BOOKING);
        LazyLock::force(&CANCEL);
        InProcessWorkflow {
            tasks,
            queue,
            time_scale,
        }
    }

    async fn execute<S: StateNames>(
        &self,
        machine: &StateMachine,
        input: Result<Value, serde_json::Error>,
    ) -> (Outcome, Vec<S>) {
        let input = match input {
            Ok(input) => input,
            Err(e) => {
                let failure = TaskError::InvalidRequest(e.to_string()).failure();
                return (Outcome::Failed(failure), Vec::new());
            }
        };
        let resources = LocalTasks {
            tasks: &self.tasks,
            queue: &*self.queue,
        };
        let run = machine.run(input, &resources, self.time_scale).await;
        let outcome = match run.output {
            Ok(output) => Outcome::succeeded(&output),
            Err(failure) => Outcome::Failed(failure),
        };
        // Every name parses: check_states held when the machine was loaded.
        let trace = run.trace.iter().filter_map(|name| S::parse(name)).collect();
        (outcome, trace)
    }

    /// Runs `statemachine/booking.asl.json`; returns the outcome and the states entered
    /// (each attempt of a retried Task once; Choice states are left out).
    pub async fn book_traced(&self, req: &BookingRequest) -> (Outcome, Vec<BookingState>) {
        self.execute(&BOOKING, serde_json::to_value(req)).await
    }

    /// Runs `statemachine/cancel.asl.json`, traced as [`Self::book_traced`].
    pub async fn cancel_traced(&self, req: &CancelRequest) -> (Outcome, Vec<CancelState>) {
        self.execute(&CANCEL, serde_json::to_value(req)).await
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
    },
    Release {
        reservation_id: ReservationId,
        error: Option<TaskFailure>,
    },
    Revoke {
        reservation_id: ReservationId,
        error: TaskFailure,
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
    Authorize { reservation_id: ReservationId },
    Capture { reservation_id: ReservationId },
    Void { reservation_id: ReservationId },
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
        ReserveTask::Confirm { reservation_id } => to_value(tasks.confirm(*reservation_id).await?),
        ReserveTask::Release {
            reservation_id,
            error,
        } => to_value(tasks.release(*reservation_id, error.as_ref()).await?),
        ReserveTask::Revoke {
            reservation_id,
            error,
        } => to_value(tasks.revoke(*reservation_id, error).await?),
        ReserveTask::Cancel { request } => to_value(tasks.cancel(request).await?),
    }
}

/// Runs one pay task and returns its output as the state machine receives it.
pub async fn run_pay_task(
    tasks: &dyn BookingTasks,
    task: &PayTask,
) -> Result<serde_json::Value, TaskError> {
    match task {
        PayTask::Authorize { reservation_id } => to_value(tasks.authorize(*reservation_id).await?),
        PayTask::Capture { reservation_id } => to_value(tasks.capture(*reservation_id).await?),
        PayTask::Void { reservation_id } => to_value(tasks.void(*reservation_id).await?),
        PayTask::Refund { reservation_id } => to_value(tasks.refund(*reservation_id).await?),
    }
}

#[cfg(test)]
mod tests;
