//! The ASL files and the in-process runner must not drift apart.
//!
//! A small interpreter runs `statemachine/*.asl.json` as Step Functions would (Task with
//! Retry and Catch, Choice, Succeed, Fail; no waiting) over scripted task outcomes, and every
//! scenario is run a second time through [`InProcessWorkflow`] over the same script. Both must
//! enter the same states in the same order (a retried Task once per attempt), call the tasks
//! with the same arguments and end the same way.
//!
//! The interpreter records Task, Succeed and Fail states, as the runner does; a Choice state
//! is the runner's `if` and appears in no trace.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    collections::{BTreeSet, HashMap, VecDeque},
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use booking_core::{
    booking::{
        BookingRequest, CancelRequest, ChargeOutput, HoldOutput, NotifyOutput, RefundOutput,
        ReleaseOutput, TaskError, TaskFailure,
    },
    ids::{ReservationId, ServiceId, UserId},
    notify::{Notification, NotificationEvent},
    payment::PaymentMethod,
    reservation::Actor,
    workflow::{
        BookingTasks, InProcessWorkflow, Outcome, PayTask, RETRYABLE_TASK_ERRORS, ReserveTask,
        retriers, run_pay_task, run_reserve_task,
    },
};
use jiff::Timestamp;
use serde_json::{Map, Value, json};

const BOOKING_ASL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../statemachine/booking.asl.json"
);
const CANCEL_ASL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../statemachine/cancel.asl.json"
);

const SQS_SEND: &str = "arn:aws:states:::sqs:sendMessage";
const RESERVE_FN: &str = "${ReserveTaskFunctionArn}";
const PAY_FN: &str = "${PayTaskFunctionArn}";
const QUEUE_URL: &str = "${NotifyQueueUrl}";

fn load(path: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn states(asl: &Value) -> &Map<String, Value> {
    asl["States"].as_object().expect("States is an object")
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

/// A [`BookingTasks`] whose outcomes are scripted per action (hold, charge, confirm, refund,
/// release, cancel, send); a call with nothing scripted succeeds. Every call is logged with
/// its arguments.
struct ScriptedTasks {
    script: Mutex<HashMap<&'static str, VecDeque<Step>>>,
    calls: Arc<Mutex<Vec<String>>>,
}

impl ScriptedTasks {
    fn new(script: &[(&'static str, Step)]) -> Self {
        let mut queues: HashMap<&'static str, VecDeque<Step>> = HashMap::new();
        for (action, step) in script {
            queues.entry(action).or_default().push_back(*step);
        }
        ScriptedTasks {
            script: Mutex::new(queues),
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
    let e = TaskError::from_failure(name, &format!("start: scripted {name}"));
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
        customer_email: "ana@example.com".into(),
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

    async fn send(&self, notification: &Notification) -> Result<(), TaskError> {
        let n = notification;
        self.play(
            "send",
            format!("send {} {}", n.event.as_str(), n.reservation_id),
        )?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// The ASL interpreter
// ---------------------------------------------------------------------------------------

/// The fields the interpreter understands, per state type; anything else fails the test
/// rather than being silently ignored.
fn known_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "Task" => &[
            "Type",
            "Comment",
            "Resource",
            "Parameters",
            "ResultPath",
            "TimeoutSeconds",
            "Retry",
            "Catch",
            "Next",
            "End",
        ],
        "Choice" => &["Type", "Comment", "Choices", "Default"],
        "Succeed" => &["Type", "Comment"],
        "Fail" => &[
            "Type",
            "Comment",
            "Error",
            "Cause",
            "ErrorPath",
            "CausePath",
        ],
        other => panic!("the interpreter does not support {other} states"),
    }
}

/// A reference path (`$` or `$.a.b`); `None` when it does not resolve, which Step Functions
/// reports as `States.Runtime`, an error no Retry or Catch handles.
fn lookup<'a>(data: &'a Value, path: &str) -> Option<&'a Value> {
    let rest = path
        .strip_prefix('$')
        .unwrap_or_else(|| panic!("{path} is not a path"));
    rest.split('.').skip(1).try_fold(data, |v, key| {
        assert!(
            !key.is_empty() && !key.contains('['),
            "unsupported path {path}"
        );
        v.get(key)
    })
}

fn resolve(data: &Value, path: &str, state: &str) -> Value {
    lookup(data, path)
        .unwrap_or_else(|| panic!("States.Runtime in {state}: {path} is not in {data}"))
        .clone()
}

/// `Parameters`: keys ending in `.$` take the value at their path.
fn parameters(template: &Value, data: &Value, state: &str) -> Value {
    match template {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| match k.strip_suffix(".$") {
                    Some(key) => {
                        let path = v.as_str().expect("a path is a string");
                        (key.to_owned(), resolve(data, path, state))
                    }
                    None => (k.clone(), parameters(v, data, state)),
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `ResultPath`: null discards the result, `$` replaces the input, `$.a.b` sets that field.
fn place(mut data: Value, result_path: Option<&Value>, result: Value) -> Value {
    let path = match result_path {
        None => return result,
        Some(Value::Null) => return data,
        Some(p) => p.as_str().expect("ResultPath is a string or null"),
    };
    let keys: Vec<&str> = path.strip_prefix('$').unwrap().split('.').skip(1).collect();
    let Some((last, parents)) = keys.split_last() else {
        return result;
    };
    let mut node = &mut data;
    for key in parents {
        node = node
            .as_object_mut()
            .unwrap()
            .entry(*key)
            .or_insert_with(|| json!({}));
    }
    node.as_object_mut()
        .unwrap()
        .insert((*last).to_owned(), result);
    data
}

fn error_matches(error_equals: &Value, error: &str) -> bool {
    error_equals
        .as_array()
        .expect("ErrorEquals is an array")
        .iter()
        .any(|e| e == error || e == "States.ALL")
}

fn choice_holds(rule: &Value, data: &Value) -> bool {
    if let Some(all) = rule.get("And") {
        return all
            .as_array()
            .unwrap()
            .iter()
            .all(|r| choice_holds(r, data));
    }
    if let Some(any) = rule.get("Or") {
        return any
            .as_array()
            .unwrap()
            .iter()
            .any(|r| choice_holds(r, data));
    }
    if let Some(not) = rule.get("Not") {
        return !choice_holds(not, data);
    }
    let path = rule["Variable"]
        .as_str()
        .expect("a Choice rule names a Variable");
    let value = lookup(data, path);
    // aws-local-stepfunctions 3.0.0, which runs these files locally, never matches
    // `"IsPresent": false` or `"IsNull": false`; write `"Not": {... true}` instead.
    let flag = |test: &str| {
        let flag = rule[test].as_bool().unwrap();
        assert!(
            flag,
            "write Not {{\"{test}\": true}} rather than \"{test}\": false: {rule}"
        );
    };
    if rule.get("IsPresent").is_some() {
        flag("IsPresent");
        return value.is_some();
    }
    let value = value.unwrap_or_else(|| panic!("States.Runtime: {path} is not in {data}"));
    if rule.get("IsNull").is_some() {
        flag("IsNull");
        return value.is_null();
    }
    panic!("the interpreter does not support the Choice rule {rule}")
}

/// A task function's error as a Catch sees it from a Lambda task in the direct form: the
/// Error is the function's `errorType`, the Cause Lambda's error JSON.
fn lambda_failure(e: &TaskError) -> TaskFailure {
    let cause = json!({"errorType": e.name(), "errorMessage": e.to_string()});
    TaskFailure {
        error: e.name().to_owned(),
        cause: cause.to_string(),
    }
}

fn from<T: serde::de::DeserializeOwned>(v: &Value, what: &str) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{what}: {e} in {v}"))
}

/// One attempt of a Task state: its resource called with its resolved Parameters.
async fn invoke(
    state_name: &str,
    state: &Value,
    data: &Value,
    tasks: &ScriptedTasks,
) -> Result<Value, TaskFailure> {
    let resource = state["Resource"].as_str().expect("a Task has a Resource");
    let params = parameters(&state["Parameters"], data, state_name);
    if resource == SQS_SEND {
        assert_eq!(params["QueueUrl"], QUEUE_URL, "{state_name}: QueueUrl");
        let n: Notification = from(&params["MessageBody"], state_name);
        return tasks
            .send(&n)
            .await
            .map(|()| json!({"MessageId": "00000000-0000-0000-0000-000000000001"}))
            .map_err(|e| e.failure());
    }
    let action = params["action"]
        .as_str()
        .expect("a Lambda task names its action")
        .to_owned();
    if let Some(fault) = tasks.lambda_fault(&action) {
        let cause = json!({"errorType": fault, "errorMessage": "scripted Lambda fault"});
        return Err(TaskFailure {
            error: fault.to_owned(),
            cause: cause.to_string(),
        });
    }
    // What the task functions do with their event (booking-aws's task handlers): the
    // Parameters must deserialize into that function's task type.
    let tasks: &dyn BookingTasks = tasks;
    let result = match resource {
        RESERVE_FN => run_reserve_task(tasks, &from::<ReserveTask>(&params, state_name)).await,
        PAY_FN => run_pay_task(tasks, &from::<PayTask>(&params, state_name)).await,
        other => panic!("{state_name}: unknown Resource {other}"),
    };
    result.map_err(|e| lambda_failure(&e))
}

/// Runs a state machine to its end; returns the outcome and the states entered.
async fn interpret(asl: &Value, input: Value, tasks: &ScriptedTasks) -> (Outcome, Vec<String>) {
    let all = states(asl);
    let mut trace = Vec::new();
    let mut data = input;
    let mut name = asl["StartAt"].as_str().expect("StartAt").to_owned();
    for _ in 0..100 {
        let state = all.get(&name).unwrap_or_else(|| panic!("no state {name}"));
        let kind = state["Type"].as_str().expect("Type");
        for field in state.as_object().unwrap().keys() {
            assert!(
                known_fields(kind).contains(&field.as_str()),
                "{name}: unsupported {field}"
            );
        }
        let next = |s: &Value| s["Next"].as_str().map(str::to_owned);
        match kind {
            "Task" => {
                let rules = state
                    .get("Retry")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let mut used = vec![0u64; rules.len()];
                let result = loop {
                    trace.push(name.clone());
                    let failure = match invoke(&name, state, &data, tasks).await {
                        Ok(out) => break Ok(out),
                        Err(f) => f,
                    };
                    // The first retrier naming the error applies; once its MaxAttempts are
                    // used up the error goes to the Catch, whatever later retriers say.
                    let rule = rules
                        .iter()
                        .position(|r| error_matches(&r["ErrorEquals"], &failure.error));
                    match rule {
                        Some(i)
                            if used[i]
                                < rules[i]
                                    .get("MaxAttempts")
                                    .map_or(3, |m| m.as_u64().unwrap()) =>
                        {
                            used[i] += 1;
                        }
                        _ => break Err(failure),
                    }
                };
                match result {
                    Ok(out) => {
                        data = place(data, state.get("ResultPath"), out);
                        match next(state) {
                            Some(n) => name = n,
                            None => return (Outcome::Succeeded, trace),
                        }
                    }
                    Err(failure) => {
                        let catchers = state
                            .get("Catch")
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default();
                        let Some(catcher) = catchers
                            .iter()
                            .find(|c| error_matches(&c["ErrorEquals"], &failure.error))
                        else {
                            return (Outcome::Failed(failure), trace);
                        };
                        let caught = serde_json::to_value(&failure).unwrap();
                        data = place(data, catcher.get("ResultPath"), caught);
                        name = next(catcher).expect("a Catch has a Next");
                    }
                }
            }
            "Choice" => {
                let choices = state["Choices"].as_array().expect("Choices");
                let chosen = choices.iter().find(|c| choice_holds(c, &data));
                name = chosen
                    .and_then(next)
                    .or_else(|| state["Default"].as_str().map(str::to_owned))
                    .unwrap_or_else(|| panic!("States.NoChoiceMatched in {name}"));
            }
            "Succeed" => {
                trace.push(name);
                return (Outcome::Succeeded, trace);
            }
            "Fail" => {
                trace.push(name.clone());
                let field = |plain: &str, path: &str| match state.get(path) {
                    Some(p) => resolve(&data, p.as_str().unwrap(), &name)
                        .as_str()
                        .unwrap()
                        .to_owned(),
                    None => state
                        .get(plain)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                };
                let failure = TaskFailure {
                    error: field("Error", "ErrorPath"),
                    cause: field("Cause", "CausePath"),
                };
                return (Outcome::Failed(failure), trace);
            }
            _ => unreachable!(),
        }
    }
    panic!("no end after 100 states: {trace:?}")
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

fn booking_request() -> BookingRequest {
    let service_id = ServiceId::new();
    let start = at("2030-03-01T10:00:00Z");
    BookingRequest {
        reservation_id: ReservationId::new(),
        customer_id: UserId::new(),
        service_id,
        start,
        payment_method: PaymentMethod::CardVisa,
        idempotency_key: "key-1".into(),
        fingerprint: BookingRequest::fingerprint_of(service_id, start, PaymentMethod::CardVisa),
    }
}

fn cancel_request() -> CancelRequest {
    CancelRequest {
        reservation_id: ReservationId::new(),
        actor: Actor::System,
    }
}

async fn book_via_asl(req: &BookingRequest, script: &[(&'static str, Step)]) -> Run {
    let tasks = ScriptedTasks::new(script);
    let input = serde_json::to_value(req).unwrap();
    let (outcome, trace) = interpret(&load(BOOKING_ASL), input, &tasks).await;
    run(outcome, trace, &tasks.calls)
}

async fn book_in_process(req: &BookingRequest, script: &[(&'static str, Step)]) -> Run {
    let tasks = ScriptedTasks::new(script);
    let calls = Arc::clone(&tasks.calls);
    let (outcome, trace) = InProcessWorkflow::new(tasks, 0.0).book_traced(req).await;
    run(outcome, trace, &calls)
}

async fn cancel_via_asl(req: &CancelRequest, script: &[(&'static str, Step)]) -> Run {
    let tasks = ScriptedTasks::new(script);
    let input = serde_json::to_value(req).unwrap();
    let (outcome, trace) = interpret(&load(CANCEL_ASL), input, &tasks).await;
    run(outcome, trace, &tasks.calls)
}

async fn cancel_in_process(req: &CancelRequest, script: &[(&'static str, Step)]) -> Run {
    let tasks = ScriptedTasks::new(script);
    let calls = Arc::clone(&tasks.calls);
    let (outcome, trace) = InProcessWorkflow::new(tasks, 0.0).cancel_traced(req).await;
    run(outcome, trace, &calls)
}

/// Books through both; asserts they agree and returns the common run.
async fn book(script: &[(&'static str, Step)]) -> Run {
    let req = booking_request();
    let asl = book_via_asl(&req, script).await;
    let runner = book_in_process(&req, script).await;
    assert_eq!(
        asl, runner,
        "the ASL file (left) and the in-process runner (right) disagree"
    );
    asl
}

/// Cancels through both; asserts they agree and returns the common run.
async fn cancel(script: &[(&'static str, Step)]) -> Run {
    let req = cancel_request();
    let asl = cancel_via_asl(&req, script).await;
    let runner = cancel_in_process(&req, script).await;
    assert_eq!(
        asl, runner,
        "the ASL file (left) and the in-process runner (right) disagree"
    );
    asl
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
    let asl = book_via_asl(&req, &[("confirm", LambdaFault("Lambda.ServiceException"))]).await;
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
    for error in RETRYABLE_TASK_ERRORS {
        let asl = book_via_asl(&req, &repeat("hold", LambdaFault(error), 4)).await;
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

fn both() -> [(&'static str, Value); 2] {
    [("booking", load(BOOKING_ASL)), ("cancel", load(CANCEL_ASL))]
}

#[test]
fn every_task_retries_exactly_as_the_in_process_runner() {
    for (file, asl) in both() {
        for (name, state) in states(&asl) {
            if state["Type"] != "Task" {
                continue;
            }
            let expected = retriers(name);
            let retry = state["Retry"]
                .as_array()
                .unwrap_or_else(|| panic!("{file}/{name}: Retry"));
            assert_eq!(
                retry.len(),
                expected.len(),
                "{file}/{name}: number of retriers"
            );
            for (i, (got, want)) in retry.iter().zip(expected).enumerate() {
                let at = format!("{file}/{name}/Retry[{i}]");
                let errors: Vec<&str> = got["ErrorEquals"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e.as_str().unwrap())
                    .collect();
                assert_eq!(errors, want.errors, "{at}: ErrorEquals");
                assert_eq!(
                    got["IntervalSeconds"].as_u64(),
                    Some(want.interval_seconds),
                    "{at}"
                );
                assert_eq!(
                    got["MaxAttempts"].as_u64(),
                    Some(u64::from(want.max_attempts)),
                    "{at}"
                );
                assert_eq!(got["BackoffRate"].as_f64(), Some(want.backoff_rate), "{at}");
                assert_eq!(
                    got.as_object().unwrap().len(),
                    4,
                    "{at}: only these four fields"
                );
            }
            // What the runner does with an error its retries did not absorb: it always
            // compensates, so each Task has exactly one catch-all.
            let catch = state["Catch"]
                .as_array()
                .unwrap_or_else(|| panic!("{file}/{name}: Catch"));
            assert_eq!(catch.len(), 1, "{file}/{name}: one catcher");
            assert_eq!(
                catch[0]["ErrorEquals"],
                json!(["States.ALL"]),
                "{file}/{name}"
            );
            // Express workflows run for at most five minutes.
            let timeout = state["TimeoutSeconds"]
                .as_u64()
                .unwrap_or_else(|| panic!("{file}/{name}: TimeoutSeconds"));
            assert!(
                (1..=60).contains(&timeout),
                "{file}/{name}: TimeoutSeconds {timeout}"
            );
        }
    }
}

#[test]
fn every_transition_names_a_state_and_every_state_is_reachable() {
    for (file, asl) in both() {
        let all = states(&asl);
        let targets = |state: &Value| -> Vec<String> {
            let mut out: Vec<&Value> = vec![&state["Next"], &state["Default"]];
            for list in ["Catch", "Choices"] {
                out.extend(
                    state[list]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|c| &c["Next"]),
                );
            }
            out.into_iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        };
        for (name, state) in all {
            let kind = state["Type"].as_str().unwrap();
            for field in state.as_object().unwrap().keys() {
                assert!(
                    known_fields(kind).contains(&field.as_str()),
                    "{file}/{name}: {field}"
                );
            }
            for target in targets(state) {
                assert!(
                    all.contains_key(&target),
                    "{file}/{name} goes to a missing state {target}"
                );
            }
            let ends = matches!(kind, "Succeed" | "Fail") || state["End"] == true;
            let goes_on = state.get("Next").is_some() || state.get("Default").is_some();
            assert!(
                ends != goes_on,
                "{file}/{name}: exactly one of Next/Default and an end"
            );
        }
        let start = asl["StartAt"].as_str().unwrap().to_owned();
        let mut reached = BTreeSet::from([start.clone()]);
        let mut todo = vec![start];
        while let Some(name) = todo.pop() {
            for target in targets(&all[&name]) {
                if reached.insert(target.clone()) {
                    todo.push(target);
                }
            }
        }
        let every: BTreeSet<String> = all.keys().cloned().collect();
        assert_eq!(reached, every, "{file}: states unreachable from StartAt");
        assert!(
            asl["Comment"].as_str().is_some_and(|c| !c.is_empty()),
            "{file}: Comment"
        );
    }
}

#[test]
fn the_definitions_substitute_only_the_function_arns_and_the_queue_url() {
    for path in [BOOKING_ASL, CANCEL_ASL] {
        let text = std::fs::read_to_string(path).unwrap();
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
