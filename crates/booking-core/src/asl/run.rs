//! The executor: runs a checked [`StateMachine`] on an input, state by state, calling the
//! caller's [`Resources`] for each Task attempt.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{
    NO_CHOICE_MATCHED, TIMEOUT,
    definition::{Choice, Fail, Pass, State, StateMachine, Task},
    paths::{Path, place, select},
    retry::{Retries, catcher},
    runtime,
};
use crate::booking::TaskFailure;

/// Bounds an execution that loops through its states: Step Functions caps an execution's
/// history, and an in-process caller (an HTTP request) must not wait forever.
const MAX_TRANSITIONS: usize = 1000;

/// What a Task state's `Resource` does, called once per attempt with the resolved
/// Parameters; a failure's `Error` is the name Retry and Catch match on.
#[async_trait]
pub trait Resources: Send + Sync {
    async fn invoke(&self, state: &str, resource: &str, input: Value)
    -> Result<Value, TaskFailure>;
}

/// How an execution ended and the states it entered: each attempt of a Task, and Pass,
/// Succeed and Fail states. Choice states only route and are left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    /// The output of the final state, or the error the execution failed with.
    pub output: Result<Value, TaskFailure>,
    pub trace: Vec<String>,
}

/// Where a state goes after it: on to `Next`, or the end of the execution.
enum Step<'a> {
    Next(&'a str, Value),
    End(Value),
}

fn transition<'a>(next: Option<&'a String>, output: Value) -> Step<'a> {
    match next {
        Some(n) => Step::Next(n, output),
        None => Step::End(output),
    }
}

impl StateMachine {
    /// Runs the machine on `input` to its end. Retry waits are multiplied by
    /// `retry_time_scale` (0.0: no waiting); `TimeoutSeconds` is applied as written.
    pub async fn run(
        &self,
        input: Value,
        resources: &dyn Resources,
        retry_time_scale: f64,
    ) -> Execution {
        let mut trace = Vec::new();
        let mut data = input;
        let mut name = self.start_at.as_str();
        for _ in 0..MAX_TRANSITIONS {
            let Some(state) = self.states.get(name) else {
                let output = Err(runtime(format!("no state {name}")));
                return Execution { output, trace };
            };
            let step = match state {
                State::Task(t) => {
                    task(name, t, data, resources, retry_time_scale, &mut trace).await
                }
                State::Choice(c) => choice(name, c, data),
                State::Pass(p) => {
                    trace.push(name.to_owned());
                    pass(p, data)
                }
                State::Succeed(s) => {
                    trace.push(name.to_owned());
                    select(s.input_path.as_ref(), data)
                        .and_then(|d| select(s.output_path.as_ref(), d))
                        .map(Step::End)
                }
                State::Fail(f) => {
                    trace.push(name.to_owned());
                    fail(f, &data).and_then(Err)
                }
            };
            match step {
                Ok(Step::Next(next, output)) => (name, data) = (next, output),
                Ok(Step::End(output)) => {
                    return Execution {
                        output: Ok(output),
                        trace,
                    };
                }
                Err(failure) => {
                    return Execution {
                        output: Err(failure),
                        trace,
                    };
                }
            }
        }
        let output = Err(runtime(format!("no end after {MAX_TRANSITIONS} states")));
        Execution { output, trace }
    }
}

/// A Task state: its attempts under Retry, then its result placed by ResultPath, or its
/// error handed to the first Catch that names it.
async fn task<'a>(
    name: &str,
    t: &'a Task,
    input: Value,
    resources: &dyn Resources,
    retry_time_scale: f64,
    trace: &mut Vec<String>,
) -> Result<Step<'a>, TaskFailure> {
    let mut retries = Retries::new(&t.retry);
    let failure = loop {
        trace.push(name.to_owned());
        let effective = select(t.input_path.as_ref(), input.clone())?;
        let params = match &t.parameters {
            Some(template) => template.apply(&effective)?,
            None => effective,
        };
        let call = resources.invoke(name, &t.resource, params);
        let result = match t.timeout_seconds {
            None => call.await,
            Some(secs) => tokio::time::timeout(Duration::from_secs(secs.into()), call)
                .await
                .unwrap_or_else(|_| {
                    Err(TaskFailure {
                        error: TIMEOUT.into(),
                        cause: format!("{name} ran for more than {secs} s"),
                    })
                }),
        };
        let failure = match result {
            Ok(out) => {
                let data = place(t.result_path.as_ref(), input, out)?;
                let output = select(t.output_path.as_ref(), data)?;
                return Ok(transition(t.next.as_ref(), output));
            }
            Err(failure) => failure,
        };
        let Some((wait, attempt)) = retries.next(&failure.error) else {
            break failure;
        };
        let wait = wait * retry_time_scale;
        tracing::warn!(
            state = name,
            error = failure.error.as_str(),
            attempt,
            "retrying task"
        );
        if let Ok(wait) = Duration::try_from_secs_f64(wait)
            && !wait.is_zero()
        {
            tokio::time::sleep(wait).await;
        }
    };
    match catcher(&t.catch, &failure.error) {
        Some(c) => {
            let error = json!({"Error": failure.error, "Cause": failure.cause});
            Ok(Step::Next(
                &c.next,
                place(c.result_path.as_ref(), input, error)?,
            ))
        }
        None => Err(failure),
    }
}

fn choice<'a>(name: &str, c: &'a Choice, input: Value) -> Result<Step<'a>, TaskFailure> {
    let data = select(c.input_path.as_ref(), input)?;
    let mut next = c.default.as_deref();
    for rule in &c.choices {
        if rule.condition.holds(&data)? {
            next = Some(&rule.next);
            break;
        }
    }
    let next = next.ok_or_else(|| TaskFailure {
        error: NO_CHOICE_MATCHED.into(),
        cause: format!("no rule of {name} matched and it has no Default"),
    })?;
    Ok(Step::Next(next, select(c.output_path.as_ref(), data)?))
}

fn pass(p: &Pass, input: Value) -> Result<Step<'_>, TaskFailure> {
    let effective = select(p.input_path.as_ref(), input.clone())?;
    let result = match (&p.result, &p.parameters) {
        (Some(result), _) => result.clone(),
        (None, Some(template)) => template.apply(&effective)?,
        (None, None) => effective,
    };
    let data = place(p.result_path.as_ref(), input, result)?;
    Ok(transition(
        p.next.as_ref(),
        select(p.output_path.as_ref(), data)?,
    ))
}

/// The error a Fail state fails with: `Error`/`Cause`, or the strings at their paths.
fn fail(f: &Fail, data: &Value) -> Result<TaskFailure, TaskFailure> {
    let field = |plain: &Option<String>, path: &Option<Path>| match path {
        None => Ok(plain.clone().unwrap_or_default()),
        Some(p) => match p.resolve(data)? {
            Value::String(s) => Ok(s),
            other => Err(runtime(format!("{p} is {other}, not a string"))),
        },
    };
    Ok(TaskFailure {
        error: field(&f.error, &f.error_path)?,
        cause: field(&f.cause, &f.cause_path)?,
    })
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;
    use serde_json::{Value, json};

    use super::*;
    use crate::asl::{
        RUNTIME,
        testing::{Script, error, one_task, parse, run},
    };

    /// A resource that never answers.
    struct Hangs;

    #[async_trait]
    impl Resources for Hangs {
        async fn invoke(&self, _: &str, _: &str, _: Value) -> Result<Value, TaskFailure> {
            std::future::pending().await
        }
    }

    #[tokio::test]
    async fn a_task_that_outlives_its_timeout_fails_with_states_timeout() {
        let machine = one_task(json!({
            "TimeoutSeconds": 1,
            "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "Caught"}]
        }));
        let execution = machine.run(json!({}), &Hangs, 0.0).await;
        assert_eq!(execution.trace, ["T", "Caught"]);
        assert_eq!(execution.output.unwrap()["Error"], TIMEOUT);
    }

    #[tokio::test]
    async fn a_pass_state_places_its_result_or_its_parameters_or_its_input() {
        let input = json!({"a": 1});
        let cases = [
            (
                json!({"Result": {"r": 2}, "ResultPath": "$.x"}),
                json!({"a": 1, "x": {"r": 2}}),
            ),
            (json!({"Parameters": {"b.$": "$.a"}}), json!({"b": 1})),
            (
                json!({"InputPath": "$.a", "ResultPath": "$.copy"}),
                json!({"a": 1, "copy": 1}),
            ),
            (json!({"OutputPath": "$.a"}), json!(1)),
        ];
        for (fields, output) in cases {
            let mut pass = json!({"Type": "Pass", "Next": "Done"});
            pass.as_object_mut()
                .unwrap()
                .extend(fields.as_object().unwrap().clone());
            let machine = parse(json!({"StartAt": "P", "States": {
                "P": pass, "Done": {"Type": "Succeed"}
            }}));
            let execution = run(&machine, input.clone(), &Script::default()).await;
            assert_eq!(execution.output, Ok(output), "{fields}");
            assert_eq!(execution.trace, ["P", "Done"]);
        }
    }

    #[tokio::test]
    async fn succeed_ends_with_its_input_and_fail_with_its_error_and_cause() {
        let machine = parse(json!({"StartAt": "S", "States": {
            "S": {"Type": "Succeed", "InputPath": "$.a"}
        }}));
        let execution = run(&machine, json!({"a": [1]}), &Script::default()).await;
        assert_eq!(execution.output, Ok(json!([1])));

        let machine = parse(json!({"StartAt": "F", "States": {
            "F": {"Type": "Fail", "Error": "Literal", "CausePath": "$.why"}
        }}));
        let execution = run(&machine, json!({"why": "because"}), &Script::default()).await;
        let failure = TaskFailure {
            error: "Literal".into(),
            cause: "because".into(),
        };
        assert_eq!(execution.output, Err(failure));
        assert_eq!(execution.trace, ["F"]);
        let execution = run(&machine, json!({"why": 1}), &Script::default()).await;
        assert_eq!(error(&execution), RUNTIME, "a cause that is not a string");
    }

    #[tokio::test]
    async fn a_machine_that_never_ends_is_stopped() {
        let machine = parse(json!({"StartAt": "P", "States": {
            "P": {"Type": "Pass", "Next": "P"}
        }}));
        let execution = run(&machine, json!({}), &Script::default()).await;
        assert_eq!(error(&execution), RUNTIME);
        assert_eq!(execution.trace.len(), MAX_TRANSITIONS);
    }
}
