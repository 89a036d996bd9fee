//! One run of a workflow over scripted tasks, through the ASL interpreter (behind a Lambda
//! service) or the in-process runner, and what it did in comparable form.

use std::sync::{Arc, Mutex};

use booking_core::{
    booking::{BookingRequest, CancelRequest},
    idempotency::IdempotencyKey,
    ids::{ReservationId, ServiceId, UserId},
    payment::PaymentMethod,
    reservation::Actor,
    workflow::{InProcessWorkflow, Outcome, booking_state_machine},
};

use crate::{
    lambda::LambdaService,
    scripted::{ScriptedTasks, Step, at},
};

/// How a run ended, in comparable form.
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    Succeeded,
    /// Ended in AwaitingAuthentication, with the client secret for the challenge.
    ActionRequired(String),
    /// The failure's error name and human message.
    Failed(String, String),
}

/// How a run ended and what it did, in comparable form.
#[derive(Debug, PartialEq, Eq)]
pub struct Run {
    pub trace: Vec<String>,
    pub outcome: End,
    /// The tasks' calls with their arguments, the reservation's id written `R`.
    pub calls: Vec<String>,
}

pub fn run(
    outcome: Outcome,
    trace: Vec<String>,
    tasks_calls: &Arc<Mutex<Vec<String>>>,
    id: ReservationId,
) -> Run {
    let outcome = match outcome {
        Outcome::Succeeded => End::Succeeded,
        Outcome::ActionRequired { client_secret } => {
            End::ActionRequired(client_secret.replace(&id.to_string(), "R"))
        }
        Outcome::Failed(f) => End::Failed(f.error.clone(), f.message()),
    };
    Run {
        trace,
        outcome,
        calls: tasks_calls
            .lock()
            .unwrap()
            .iter()
            .map(|c| c.replace(&id.to_string(), "R"))
            .collect(),
    }
}

/// A typed trace as the interpreter's names.
fn names(trace: &[impl ToString]) -> Vec<String> {
    trace.iter().map(ToString::to_string).collect()
}

pub fn booking_request() -> BookingRequest {
    let service_id = ServiceId::new();
    let start = at("2030-03-01T10:00:00Z");
    BookingRequest {
        reservation_id: ReservationId::new(),
        customer_id: UserId::new(),
        service_id,
        start,
        payment_method: Some(PaymentMethod::visa()),
        idempotency_key: IdempotencyKey::parse("key", "key-1").unwrap(),
        fingerprint: BookingRequest::fingerprint_of(
            service_id,
            start,
            Some(&PaymentMethod::visa()),
        ),
    }
}

pub fn cancel_request() -> CancelRequest {
    CancelRequest {
        reservation_id: ReservationId::new(),
        actor: Actor::System,
    }
}

/// Books through Step Functions' Lambda service: the booking file run over
/// [`LambdaService`], so that scripted `LambdaFault`s happen.
pub async fn book_via_lambda(req: &BookingRequest, script: &[(&'static str, Step)]) -> Run {
    let tasks = LambdaService(ScriptedTasks::new(script));
    let input = serde_json::to_value(req).unwrap();
    let execution = booking_state_machine().run(input, &tasks, 0.0).await;
    let outcome = match execution.output {
        Ok(output) => Outcome::succeeded(&output),
        Err(failure) => Outcome::Failed(failure),
    };
    run(outcome, execution.trace, &tasks.0.calls, req.reservation_id)
}

pub async fn book_in_process(req: &BookingRequest, script: &[(&'static str, Step)]) -> Run {
    let tasks = ScriptedTasks::new(script);
    let calls = Arc::clone(&tasks.calls);
    let (outcome, trace) = InProcessWorkflow::new(tasks.clone(), Arc::new(tasks), 0.0)
        .book_traced(req)
        .await;
    run(outcome, names(&trace), &calls, req.reservation_id)
}

/// Books through the in-process runner, which executes `statemachine/booking.asl.json`.
pub async fn book(script: &[(&'static str, Step)]) -> Run {
    book_in_process(&booking_request(), script).await
}

/// Cancels through the in-process runner, which executes `statemachine/cancel.asl.json`.
pub async fn cancel(script: &[(&'static str, Step)]) -> Run {
    let tasks = ScriptedTasks::new(script);
    let calls = Arc::clone(&tasks.calls);
    let req = cancel_request();
    let (outcome, trace) = InProcessWorkflow::new(tasks.clone(), Arc::new(tasks), 0.0)
        .cancel_traced(&req)
        .await;
    run(outcome, names(&trace), &calls, req.reservation_id)
}

/// Expects the run to have gone through `trace` and failed with `error`.
#[track_caller]
pub fn assert_failed<T: std::fmt::Debug>(run: &Run, trace: T, error: &str)
where
    Vec<String>: PartialEq<T>,
{
    assert_eq!(run.trace, trace, "{run:?}");
    assert_eq!(failed(run), error);
}

pub fn failed(run: &Run) -> &str {
    match &run.outcome {
        End::Failed(error, _) => error,
        _ => panic!("did not fail: {run:?}"),
    }
}

/// Expects the run to have gone through `trace` and succeeded.
#[track_caller]
pub fn assert_booked<T: std::fmt::Debug>(run: &Run, trace: T)
where
    Vec<String>: PartialEq<T>,
{
    assert_eq!(run.trace, trace, "{run:?}");
    assert_eq!(run.outcome, End::Succeeded, "{run:?}");
}

/// Expects the run's calls, in order, to be `calls`.
#[track_caller]
pub fn assert_calls(run: &Run, calls: &[&str]) {
    assert_eq!(run.calls, calls, "{run:?}");
}

pub fn repeat(action: &'static str, step: Step, times: usize) -> Vec<(&'static str, Step)> {
    vec![(action, step); times]
}
