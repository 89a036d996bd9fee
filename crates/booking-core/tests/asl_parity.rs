//! The workflows' one definition is `statemachine/*.asl.json`: AWS Step Functions runs the
//! files, and so does [`InProcessWorkflow`], through `booking_core::asl`. These tests check
//! that the files are ones the runner executes in full (every state, field and Resource
//! supported), the project's rules for them (a catch-all and a timeout on every Task, only
//! the three substitutions, the docs' retry table), and, over scripted task outcomes, that
//! every scenario takes the path through the states it must: a retried Task once per
//! attempt, the tasks called with the right arguments (the JSON paths carry the payment
//! reference, the original error and the right notification), the right end.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    collections::{BTreeSet, HashMap, VecDeque},
    fmt::Write as _,
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use booking_core::{
    Error,
    asl::{self, State, StateMachine},
    booking::{
        BookingRequest, CancelRequest, ChargeOutput, HoldOutput, NotifyOutput, RefundOutput,
        ReleaseOutput, TaskError, TaskFailure,
    },
    idempotency::IdempotencyKey,
    ids::{ReservationId, ServiceId, UserId},
    notify::{Notification, NotificationEvent},
    payment::PaymentMethod,
    ports::NotificationQueue,
    reservation::Actor,
    user::Email,
    workflow::{
        BookingTasks, InProcessWorkflow, Outcome, SQS_SEND_MESSAGE, booking_state_machine,
        cancel_state_machine, check_resources, run_resource,
    },
};
use jiff::Timestamp;
use serde_json::{Value, json};

const BOOKING_ASL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../statemachine/booking.asl.json"
);
const CANCEL_ASL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../statemachine/cancel.asl.json"
);
const WORKFLOWS_MD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/workflows.md");

/// What the Lambda service raises before a function runs, and `States.Timeout`: every task
/// is idempotent, so each must be retried (a Confirm that committed and then timed out must
/// run again, not be compensated as if it had failed).
const LAMBDA_SERVICE_ERRORS: &[&str] = &[
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "States.Timeout",
];

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn load(path: &str) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn machines() -> [(&'static str, &'static StateMachine); 2] {
    [
        ("booking", booking_state_machine()),
        ("cancel", cancel_state_machine()),
    ]
}

// ---------------------------------------------------------------------------------------
// Scripted tasks
// ---------------------------------------------------------------------------------------

/// What one call of a task does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Returns a plausible output.
    Ok,
    /// Release only: succeeds without a failure notification (the reservation was not FAILED).
    OkWithoutNotice,
    /// The task function fails with this error name (a [`TaskError`]).
    Fails(&'static str),
    /// The Lambda service fails before the function runs (`Lambda.ServiceException`, ...).
    /// Only the ASL interpreter has a Lambda service; the runner calls functions directly.
    LambdaFault(&'static str),
}

use Step::{Fails, LambdaFault, OkWithoutNotice};

/// The [`BookingTasks`] and the [`NotificationQueue`], their outcomes scripted per action
/// (hold, charge, confirm, refund, release, cancel, send); a call with nothing scripted
/// succeeds. Every call is logged with its arguments. Clones share the script and the log.
#[derive(Clone)]
struct ScriptedTasks {
    script: Arc<Mutex<HashMap<&'static str, VecDeque<Step>>>>,
    calls: Arc<Mutex<Vec<String>>>,
}

impl ScriptedTasks {
    fn new(script: &[(&'static str, Step)]) -> Self {
        let mut queues: HashMap<&'static str, VecDeque<Step>> = HashMap::new();
        for (action, step) in script {
            queues.entry(action).or_default().push_back(*step);
        }
        ScriptedTasks {
            script: Arc::new(Mutex::new(queues)),
            calls: Arc::default(),
        }
    }

    fn next(&self, action: &str) -> Step {
        self.script
            .lock()
            .unwrap()
            .get_mut(action)
            .and_then(VecDeque::pop_front)
            .unwrap_or(Step::Ok)
    }

    /// Takes the next step of `action` when it is a Lambda service fault.
    fn lambda_fault(&self, action: &str) -> Option<&'static str> {
        let mut script = self.script.lock().unwrap();
        let queue = script.get_mut(action)?;
        match queue.front() {
            Some(LambdaFault(name)) => {
                let name = *name;
                queue.pop_front();
                Some(name)
            }
            _ => None,
        }
    }

    /// Logs the call, then plays the script: `Ok(true)` for a plain success, `Ok(false)` for
    /// a success without notice.
    fn play(&self, action: &'static str, call: String) -> Result<bool, TaskError> {
        self.calls.lock().unwrap().push(call);
        match self.next(action) {
            Step::Ok => Ok(true),
            OkWithoutNotice => Ok(false),
            Fails(name) => Err(task_error(name)),
            LambdaFault(name) => {
                panic!("{action}: the in-process runner has no Lambda service to raise {name}")
            }
        }
    }
}

/// The [`TaskError`] whose `name()` is `name`.
fn task_error(name: &str) -> TaskError {
    let e = TaskFailure {
        error: name.to_owned(),
        cause: format!("start: scripted {name}"),
    }
    .to_error();
    assert_eq!(e.name(), name, "no TaskError is named {name}");
    e
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn notice(id: ReservationId, event: NotificationEvent) -> Notification {
    Notification {
        event,
        reservation_id: id,
        customer_email: Email::parse("ana@example.com").unwrap(),
        customer_name: "Ana".into(),
        service_name: "Haircut".into(),
        start: at("2030-03-01T10:00:00Z"),
        end: at("2030-03-01T10:30:00Z"),
        time_zone: "Europe/Madrid".into(),
        amount_minor: 2500,
        currency: "EUR".into(),
        payment_reference: (event != NotificationEvent::Failed).then(|| format!("ch_{id}")),
        refund_minor: (event == NotificationEvent::Cancelled).then_some(2500),
        reason: (event == NotificationEvent::Failed).then(|| "your card was declined".into()),
    }
}

fn describe(error: Option<&TaskFailure>) -> String {
    error.map_or("no error".into(), |e| {
        format!("{} ({})", e.error, e.message())
    })
}

#[async_trait]
impl BookingTasks for ScriptedTasks {
    async fn hold(&self, request: &BookingRequest) -> Result<HoldOutput, TaskError> {
        let id = request.reservation_id;
        self.play("hold", format!("hold {id} key={}", request.idempotency_key))?;
        Ok(HoldOutput {
            reservation_id: id,
            hold_expires_at: at("2030-02-01T09:05:00Z"),
        })
    }

    async fn charge(&self, id: ReservationId) -> Result<ChargeOutput, TaskError> {
        self.play("charge", format!("charge {id}"))?;
        Ok(ChargeOutput {
            payment_reference: format!("ch_{id}"),
        })
    }

    async fn confirm(
        &self,
        id: ReservationId,
        payment_reference: &str,
    ) -> Result<NotifyOutput, TaskError> {
        self.play("confirm", format!("confirm {id} with {payment_reference}"))?;
        Ok(NotifyOutput {
            notification: notice(id, NotificationEvent::Confirmed),
        })
    }

    async fn refund(&self, id: ReservationId) -> Result<RefundOutput, TaskError> {
        self.play("refund", format!("refund {id}"))?;
        Ok(RefundOutput {
            refunded_minor: 2500,
            refund_reference: Some(format!("re_{id}")),
        })
    }

    async fn release(
        &self,
        id: ReservationId,
        error: Option<&TaskFailure>,
    ) -> Result<ReleaseOutput, TaskError> {
        let with_notice = self.play("release", format!("release {id}: {}", describe(error)))?;
        Ok(ReleaseOutput {
            notification: with_notice.then(|| notice(id, NotificationEvent::Failed)),
        })
    }

    async fn cancel(&self, request: &CancelRequest) -> Result<NotifyOutput, TaskError> {
        let id = request.reservation_id;
        self.play("cancel", format!("cancel {id} by {:?}", request.actor))?;
        Ok(NotifyOutput {
            notification: notice(id, NotificationEvent::Cancelled),
        })
    }
}

/// A queue fails as storage does: a scripted failure is an [`Error::Store`], which the
/// runner reports as `StoreUnavailable`.
#[async_trait]
impl NotificationQueue for ScriptedTasks {
    async fn send(&self, notification: &Notification) -> Result<(), Error> {
        let n = notification;
        self.play(
            "send",
            format!("send {} {}", n.event.as_str(), n.reservation_id),
        )
        .map_err(|e| Error::Store(e.into()))?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// A Lambda service in front of the task functions
// ---------------------------------------------------------------------------------------

/// The runner's Resources with a Lambda service in front of the two task functions: a
/// scripted [`LambdaFault`] fails the call before the function runs, as on AWS, where the
/// runner itself calls the functions directly and has no such failure.
struct LambdaService(ScriptedTasks);

#[async_trait]
impl asl::Resources for LambdaService {
    async fn invoke(
        &self,
        _state: &str,
        resource: &str,
        input: Value,
    ) -> Result<Value, TaskFailure> {
        let action = input["action"].as_str().unwrap_or_default();
        if resource != SQS_SEND_MESSAGE
            && let Some(fault) = self.0.lambda_fault(action)
        {
            let cause = json!({"errorType": fault, "errorMessage": "scripted Lambda fault"});
            return Err(TaskFailure {
                error: fault.to_owned(),
                cause: cause.to_string(),
            });
        }
        run_resource(&self.0, &self.0, resource, input)
            .await
            .map_err(|e| e.failure())
    }
}

// ---------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------

/// How a run ended and what it did, in comparable form.
#[derive(Debug, PartialEq, Eq)]
struct Run {
    trace: Vec<String>,
    /// `Ok` or the failure's error name and human message.
    outcome: Result<(), (String, String)>,
    calls: Vec<String>,
}

fn run(outcome: Outcome, trace: Vec<String>, tasks_calls: &Arc<Mutex<Vec<String>>>) -> Run {
    let outcome = match outcome {
        Outcome::Succeeded => Ok(()),
        Outcome::Failed(f) => Err((f.error.clone(), f.message())),
    };
    Run {
        trace,
        outcome,
        calls: tasks_calls.lock().unwrap().clone(),
    }
}

/// A typed trace as the interpreter's names.
fn names(trace: &[impl ToString]) -> Vec<String> {
    trace.iter().map(ToString::to_string).collect()
}

fn booking_request() -> BookingRequest {
    let service_id = ServiceId::new();
    let start = at("2030-03-01T10:00:00Z");
    BookingRequest {
        reservation_id: ReservationId::new(),
        customer_id: UserId::new(),
        service_id,
        start,
        payment_method: PaymentMethod::CardVisa,
        idempotency_key: IdempotencyKey::parse("key", "key-1").unwrap(),
        fingerprint: BookingRequest::fingerprint_of(service_id, start, PaymentMethod::CardVisa),
    }
}

fn cancel_request() -> CancelRequest {
    CancelRequest {
        reservation_id: ReservationId::new(),
        actor: Actor::System,
    }
}

/// Books through Step Functions' Lambda service: the booking file run over
/// [`LambdaService`], so that scripted [`LambdaFault`]s happen.
async fn book_via_lambda(req: &BookingRequest, script: &[(&'static str, Step)]) -> Run {
    let tasks = LambdaService(ScriptedTasks::new(script));
    let input = serde_json::to_value(req).unwrap();
    let execution = booking_state_machine().run(input, &tasks, 0.0).await;
    let outcome = match execution.output {
        Ok(_) => Outcome::Succeeded,
        Err(failure) => Outcome::Failed(failure),
    };
    run(outcome, execution.trace, &tasks.0.calls)
}

async fn book_in_process(req: &BookingRequest, script: &[(&'static str, Step)]) -> Run {
    let tasks = ScriptedTasks::new(script);
    let calls = Arc::clone(&tasks.calls);
    let (outcome, trace) = InProcessWorkflow::new(tasks.clone(), Arc::new(tasks), 0.0)
        .book_traced(req)
        .await;
    run(outcome, names(&trace), &calls)
}

/// Books through the in-process runner, which executes `statemachine/booking.asl.json`.
async fn book(script: &[(&'static str, Step)]) -> Run {
    book_in_process(&booking_request(), script).await
}

/// Cancels through the in-process runner, which executes `statemachine/cancel.asl.json`.
async fn cancel(script: &[(&'static str, Step)]) -> Run {
    let tasks = ScriptedTasks::new(script);
    let calls = Arc::clone(&tasks.calls);
    let (outcome, trace) = InProcessWorkflow::new(tasks.clone(), Arc::new(tasks), 0.0)
        .cancel_traced(&cancel_request())
        .await;
    run(outcome, names(&trace), &calls)
}

fn failed(run: &Run) -> &str {
    match &run.outcome {
        Err((error, _)) => error,
        Ok(()) => panic!("succeeded: {run:?}"),
    }
}

fn repeat(action: &'static str, step: Step, times: usize) -> Vec<(&'static str, Step)> {
    vec![(action, step); times]
}

#[tokio::test]
async fn a_booking_without_failures_holds_charges_confirms_and_notifies() {
    let run = book(&[]).await;
    assert_eq!(
        run.trace,
        ["Hold", "Charge", "Confirm", "SendConfirmation", "Booked"]
    );
    assert_eq!(run.outcome, Ok(()));
    assert!(
        run.calls[2].contains("with ch_"),
        "confirm gets the charge's reference: {run:?}"
    );
    assert!(run.calls[3].starts_with("send confirmed"));
}

#[tokio::test]
async fn a_taken_slot_rejects_the_booking_at_hold() {
    let run = book(&[("hold", Fails("SlotUnavailable"))]).await;
    assert_eq!(run.trace, ["Hold", "BookingRejected"]);
    assert_eq!(failed(&run), "SlotUnavailable");
}

#[tokio::test]
async fn a_rule_violation_rejects_the_booking_at_hold_with_its_message() {
    let run = book(&[("hold", Fails("RuleViolation"))]).await;
    assert_eq!(run.trace, ["Hold", "BookingRejected"]);
    assert_eq!(
        run.outcome,
        Err((
            "RuleViolation".into(),
            "start: scripted RuleViolation".into()
        ))
    );
}

#[tokio::test]
async fn a_declined_card_releases_the_slot_and_sends_the_failure() {
    let run = book(&[("charge", Fails("PaymentDeclined"))]).await;
    assert_eq!(
        run.trace,
        [
            "Hold",
            "Charge",
            "Release",
            "Refund",
            "SendFailure",
            "BookingFailed"
        ]
    );
    assert_eq!(failed(&run), "PaymentDeclined");
    assert!(
        run.calls[2].ends_with(": PaymentDeclined (start: scripted PaymentDeclined)"),
        "{run:?}"
    );
    assert!(
        run.calls[3].starts_with("refund"),
        "refunds nothing if nothing was charged"
    );
    assert!(run.calls[4].starts_with("send failed"));
}

#[tokio::test]
async fn a_transient_payment_error_is_retried_twice_then_the_booking_fails() {
    let run = book(&repeat("charge", Fails("PaymentTransient"), 3)).await;
    assert_eq!(
        run.trace,
        [
            "Hold",
            "Charge",
            "Charge",
            "Charge",
            "Release",
            "Refund",
            "SendFailure",
            "BookingFailed"
        ]
    );
    assert_eq!(failed(&run), "PaymentTransient");
}

#[tokio::test]
async fn a_transient_payment_error_that_clears_on_retry_books() {
    let run = book(&[("charge", Fails("PaymentTransient"))]).await;
    assert_eq!(
        run.trace,
        [
            "Hold",
            "Charge",
            "Charge",
            "Confirm",
            "SendConfirmation",
            "Booked"
        ]
    );
    assert_eq!(run.outcome, Ok(()));
}

#[tokio::test]
async fn each_retrier_counts_its_own_attempts() {
    // PaymentTransient uses up its 2 retries around a StoreUnavailable retry; the next
    // PaymentTransient goes to the Catch although StoreUnavailable has retries left.
    let script = [
        ("charge", Fails("PaymentTransient")),
        ("charge", Fails("StoreUnavailable")),
        ("charge", Fails("PaymentTransient")),
        ("charge", Fails("PaymentTransient")),
    ];
    let run = book(&script).await;
    assert_eq!(
        run.trace,
        [
            "Hold",
            "Charge",
            "Charge",
            "Charge",
            "Charge",
            "Release",
            "Refund",
            "SendFailure",
            "BookingFailed"
        ]
    );
    assert_eq!(failed(&run), "PaymentTransient");
}

#[tokio::test]
async fn an_expired_hold_at_confirm_releases_then_refunds() {
    let run = book(&[("confirm", Fails("HoldExpired"))]).await;
    assert_eq!(
        run.trace,
        [
            "Hold",
            "Charge",
            "Confirm",
            "Release",
            "Refund",
            "SendFailure",
            "BookingFailed"
        ]
    );
    assert_eq!(failed(&run), "HoldExpired");
    assert!(
        run.calls[3].contains(": HoldExpired ("),
        "Release gets Confirm's error: {run:?}"
    );
}

#[tokio::test]
async fn a_lambda_service_error_at_confirm_is_retried_like_a_store_outage() {
    // The runner calls the task directly, so no Lambda service can fail there: the ASL's
    // Lambda.ServiceException is compared with the runner's StoreUnavailable, whose retrier
    // has the same shape (3 attempts, 1 s, x2).
    let req = booking_request();
    let asl = book_via_lambda(&req, &[("confirm", LambdaFault("Lambda.ServiceException"))]).await;
    let runner = book_in_process(&req, &[("confirm", Fails("StoreUnavailable"))]).await;
    assert_eq!((&asl.trace, &asl.outcome), (&runner.trace, &runner.outcome));
    assert_eq!(
        asl.trace,
        [
            "Hold",
            "Charge",
            "Confirm",
            "Confirm",
            "SendConfirmation",
            "Booked"
        ]
    );
    for error in LAMBDA_SERVICE_ERRORS {
        let asl = book_via_lambda(&req, &repeat("hold", LambdaFault(error), 4)).await;
        assert_eq!(
            asl.trace,
            ["Hold", "Hold", "Hold", "Hold", "BookingRejected"],
            "{error}"
        );
        assert_eq!(failed(&asl), *error);
    }
}

#[tokio::test]
async fn a_failed_refund_still_announces_and_fails_with_the_original_error() {
    let mut script = vec![("confirm", Fails("HoldExpired"))];
    script.extend(repeat("refund", Fails("PaymentTransient"), 3));
    let run = book(&script).await;
    assert_eq!(
        run.trace,
        [
            "Hold",
            "Charge",
            "Confirm",
            "Release",
            "Refund",
            "Refund",
            "Refund",
            "SendFailure",
            "BookingFailed"
        ]
    );
    assert_eq!(failed(&run), "HoldExpired");
    assert!(
        run.calls[3].contains(": HoldExpired ("),
        "not the refund's error: {run:?}"
    );
}

#[tokio::test]
async fn a_failed_release_ends_the_booking_without_a_failure_notice() {
    let mut script = vec![("charge", Fails("PaymentDeclined"))];
    script.extend(repeat("release", Fails("StoreUnavailable"), 4));
    let run = book(&script).await;
    assert_eq!(
        run.trace,
        [
            "Hold",
            "Charge",
            "Release",
            "Release",
            "Release",
            "Release",
            "BookingFailed"
        ]
    );
    assert_eq!(failed(&run), "PaymentDeclined");

    let run = book(&[
        ("charge", Fails("PaymentDeclined")),
        ("release", Fails("NotFound")),
    ])
    .await;
    assert_eq!(run.trace, ["Hold", "Charge", "Release", "BookingFailed"]);
    assert_eq!(failed(&run), "PaymentDeclined");
}

/// Release yields no notification when the reservation did not become FAILED (one already
/// CANCELLED). The ASL cannot enter an sqs:sendMessage state and send nothing, so its
/// `HasFailureNotice` Choice skips SendFailure; the runner must skip it too.
#[tokio::test]
async fn a_release_without_a_failure_notice_sends_nothing() {
    let run = book(&[
        ("charge", Fails("PaymentDeclined")),
        ("release", OkWithoutNotice),
    ])
    .await;
    assert_eq!(
        run.trace,
        ["Hold", "Charge", "Release", "Refund", "BookingFailed"]
    );
    assert_eq!(failed(&run), "PaymentDeclined");
}

#[tokio::test]
async fn a_confirmation_that_cannot_be_queued_still_books() {
    let run = book(&repeat("send", Fails("StoreUnavailable"), 4)).await;
    assert_eq!(
        run.trace,
        [
            "Hold",
            "Charge",
            "Confirm",
            "SendConfirmation",
            "SendConfirmation",
            "SendConfirmation",
            "SendConfirmation",
            "Booked"
        ]
    );
    assert_eq!(run.outcome, Ok(()));
}

#[tokio::test]
async fn a_failure_notice_that_cannot_be_queued_still_fails_with_the_original_error() {
    let mut script = vec![("charge", Fails("PaymentDeclined"))];
    script.extend(repeat("send", Fails("StoreUnavailable"), 4));
    let run = book(&script).await;
    assert_eq!(run.trace.iter().filter(|s| *s == "SendFailure").count(), 4);
    assert_eq!(run.trace.last().unwrap(), "BookingFailed");
    assert_eq!(failed(&run), "PaymentDeclined");
}

#[tokio::test]
async fn a_cancellation_releases_refunds_and_notifies() {
    let run = cancel(&[]).await;
    assert_eq!(
        run.trace,
        [
            "Cancel",
            "ReleaseSlot",
            "RefundByPolicy",
            "SendCancellation",
            "Cancelled"
        ]
    );
    assert_eq!(run.outcome, Ok(()));
    assert!(run.calls[1].ends_with(": no error"), "{run:?}");
    assert!(run.calls[3].starts_with("send cancelled"));
}

#[tokio::test]
async fn a_reservation_that_cannot_be_cancelled_is_rejected_at_cancel() {
    let run = cancel(&[("cancel", Fails("NotCancellable"))]).await;
    assert_eq!(run.trace, ["Cancel", "CancelRejected"]);
    assert_eq!(failed(&run), "NotCancellable");
}

#[tokio::test]
async fn a_refund_that_keeps_failing_fails_the_cancellation_after_the_slot_is_freed() {
    let run = cancel(&repeat("refund", Fails("PaymentTransient"), 3)).await;
    assert_eq!(
        run.trace,
        [
            "Cancel",
            "ReleaseSlot",
            "RefundByPolicy",
            "RefundByPolicy",
            "RefundByPolicy",
            "CancelFailed"
        ]
    );
    assert_eq!(failed(&run), "PaymentTransient");
}

#[tokio::test]
async fn a_failed_slot_release_fails_the_cancellation_before_the_refund() {
    let run = cancel(&[("release", Fails("NotFound"))]).await;
    assert_eq!(run.trace, ["Cancel", "ReleaseSlot", "CancelFailed"]);
    assert_eq!(failed(&run), "NotFound");
}

#[tokio::test]
async fn a_cancellation_notice_that_cannot_be_queued_still_cancels() {
    let run = cancel(&repeat("send", Fails("StoreUnavailable"), 4)).await;
    assert_eq!(
        run.trace
            .iter()
            .filter(|s| *s == "SendCancellation")
            .count(),
        4
    );
    assert_eq!(run.trace.last().unwrap(), "Cancelled");
    assert_eq!(run.outcome, Ok(()));
}

// ---------------------------------------------------------------------------------------
// Structure
// ---------------------------------------------------------------------------------------

#[test]
fn the_asl_files_parse_and_every_state_is_supported() {
    // Parsing refuses any state type, field, path or Choice rule the interpreter does not
    // execute, a transition to no state and an unreachable state.
    for (path, file) in [BOOKING_ASL, CANCEL_ASL].iter().zip(machines()) {
        let machine = StateMachine::parse(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(&machine, file.1, "{path}: what the runner executes");
        check_resources(&machine).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(machine.reachable().len(), machine.states.len(), "{path}");
        assert!(
            machine.comment.as_deref().is_some_and(|c| !c.is_empty()),
            "{path}: Comment"
        );
    }
}

#[test]
fn every_task_has_one_catch_all_and_a_timeout() {
    for (file, machine) in machines() {
        for (name, state) in &machine.states {
            let State::Task(task) = state else { continue };
            // A Task's error always goes on to a compensation or an end, never out of the
            // execution unhandled.
            assert_eq!(task.catch.len(), 1, "{file}/{name}: one catcher");
            assert_eq!(task.catch[0].error_equals, [asl::ALL], "{file}/{name}");
            // Express workflows run for at most five minutes.
            let timeout = task
                .timeout_seconds
                .unwrap_or_else(|| panic!("{file}/{name}: TimeoutSeconds"));
            assert!(
                (1..=60).contains(&timeout),
                "{file}/{name}: TimeoutSeconds {timeout}"
            );
        }
    }
}

#[test]
fn the_queue_tasks_send_the_notification_to_the_notify_queue() {
    for path in [BOOKING_ASL, CANCEL_ASL] {
        let asl = load(path);
        for (name, state) in asl["States"].as_object().unwrap() {
            if state["Resource"] == SQS_SEND_MESSAGE {
                let params = &state["Parameters"];
                assert_eq!(params["QueueUrl"], "${NotifyQueueUrl}", "{path}/{name}");
                assert!(
                    params["MessageBody.$"]
                        .as_str()
                        .is_some_and(|p| p.ends_with(".notification")),
                    "{path}/{name}: {params}"
                );
            }
        }
    }
}

#[test]
fn no_choice_tests_for_false() {
    // aws-local-stepfunctions 3.0.0, which runs these files in the local cloud, never
    // matches `"IsPresent": false` or `"IsNull": false`: write `"Not": {... true}` instead.
    fn walk(v: &Value, path: &str) {
        match v {
            Value::Object(fields) => {
                for (key, v) in fields {
                    let is_test = key == "IsPresent" || key == "IsNull";
                    assert!(!(is_test && *v == false), "{path}: {key} false");
                    walk(v, path);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, path)),
            _ => {}
        }
    }
    for path in [BOOKING_ASL, CANCEL_ASL] {
        walk(&load(path), path);
    }
}

#[test]
fn the_definitions_substitute_only_the_function_arns_and_the_queue_url() {
    for path in [BOOKING_ASL, CANCEL_ASL] {
        let text = read(path);
        let names: BTreeSet<&str> = text
            .split("${")
            .skip(1)
            .map(|rest| rest.split_once('}').expect("a closed ${...}").0)
            .collect();
        let known = BTreeSet::from([
            "NotifyQueueUrl",
            "PayTaskFunctionArn",
            "ReserveTaskFunctionArn",
        ]);
        assert!(names.is_subset(&known), "{path}: {names:?}");
        assert!(names.contains("NotifyQueueUrl"), "{path}");
    }
}

const TABLE_START: &str = "<!-- retry table: generated from statemachine/*.asl.json, checked by \
                           crates/booking-core/tests/asl_parity.rs -->";
const TABLE_END: &str = "<!-- end of the retry table -->";

/// The Retry of every Task, one group of states per distinct Retry list, in the order the
/// files reach them.
fn retry_table() -> String {
    let mut groups: Vec<(Vec<&str>, &[asl::Retrier])> = Vec::new();
    for (_, machine) in machines() {
        for name in machine.reachable() {
            let State::Task(task) = &machine.states[name] else {
                continue;
            };
            match groups.iter_mut().find(|(_, retry)| *retry == task.retry) {
                Some((names, _)) => names.push(name),
                None => groups.push((vec![name], &task.retry)),
            }
        }
    }
    let mut table = String::from(
        "| states | ErrorEquals | MaxAttempts | IntervalSeconds | BackoffRate | \
         MaxDelaySeconds | JitterStrategy |\n|---|---|---|---|---|---|---|\n",
    );
    for (names, retry) in groups {
        for (i, r) in retry.iter().enumerate() {
            let states = if i == 0 {
                names.join(", ")
            } else {
                String::new()
            };
            let errors: Vec<String> = r.error_equals.iter().map(|e| format!("`{e}`")).collect();
            let max_delay = r.max_delay_seconds.map_or("-".into(), |s| s.to_string());
            let jitter = match r.jitter_strategy {
                asl::Jitter::None => "NONE",
                asl::Jitter::Full => "FULL",
            };
            writeln!(
                table,
                "| {states} | {} | {} | {} | {} | {max_delay} | {jitter} |",
                errors.join(", "),
                r.max_attempts,
                r.interval_seconds,
                r.backoff_rate,
            )
            .unwrap();
        }
    }
    table
}

#[test]
fn the_retry_table_in_the_docs_is_the_one_the_files_define() {
    let docs = read(WORKFLOWS_MD);
    let (_, rest) = docs
        .split_once(TABLE_START)
        .unwrap_or_else(|| panic!("docs/workflows.md: no line {TABLE_START}"));
    let (table, _) = rest
        .split_once(TABLE_END)
        .unwrap_or_else(|| panic!("docs/workflows.md: no line {TABLE_END}"));
    let expected = retry_table();
    assert!(
        table.trim() == expected.trim(),
        "docs/workflows.md: the retry table differs from the ASL files'; write it as\n\n{expected}"
    );
}
