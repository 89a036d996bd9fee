//! Helpers the interpreter's unit tests share: scripted resources and small machines.

use std::{collections::VecDeque, sync::Mutex};

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{Execution, Resources, StateMachine};
use crate::booking::TaskFailure;

/// Resources whose outcomes are scripted in order (`Err` holds an error name); an
/// unscripted call returns `{"done": <state>}`. Every call is kept with its input.
#[derive(Default)]
pub(super) struct Script {
    outcomes: Mutex<VecDeque<Result<Value, &'static str>>>,
    calls: Mutex<Vec<(String, String, Value)>>,
}

impl Script {
    pub(super) fn new(outcomes: impl IntoIterator<Item = Result<Value, &'static str>>) -> Script {
        Script {
            outcomes: Mutex::new(outcomes.into_iter().collect()),
            calls: Mutex::default(),
        }
    }

    pub(super) fn inputs(&self) -> Vec<Value> {
        let calls = self.calls.lock().unwrap();
        calls.iter().map(|(_, _, input)| input.clone()).collect()
    }
}

#[async_trait]
impl Resources for Script {
    async fn invoke(
        &self,
        state: &str,
        resource: &str,
        input: Value,
    ) -> Result<Value, TaskFailure> {
        let call = (state.to_owned(), resource.to_owned(), input);
        self.calls.lock().unwrap().push(call);
        match self.outcomes.lock().unwrap().pop_front() {
            None => Ok(json!({ "done": state })),
            Some(Ok(out)) => Ok(out),
            Some(Err(error)) => Err(TaskFailure {
                error: error.into(),
                cause: format!("scripted {error}"),
            }),
        }
    }
}

pub(super) fn parse(definition: Value) -> StateMachine {
    StateMachine::parse(&definition.to_string()).unwrap()
}

pub(super) fn refused(definition: Value) -> String {
    StateMachine::parse(&definition.to_string())
        .expect_err("refused")
        .to_string()
}

/// One Task state `T` (with `fields`) that ends the machine, or goes to `Caught` (a
/// Pass state that ends) from its Catch.
pub(super) fn one_task(fields: Value) -> StateMachine {
    let mut task = json!({"Type": "Task", "Resource": "r", "End": true});
    task.as_object_mut()
        .unwrap()
        .extend(fields.as_object().unwrap().clone());
    let mut states = json!({ "T": task });
    if task.get("Catch").is_some() {
        states["Caught"] = json!({"Type": "Pass", "End": true});
    }
    parse(json!({"StartAt": "T", "States": states}))
}

pub(super) async fn run(machine: &StateMachine, input: Value, script: &Script) -> Execution {
    machine.run(input, script, 0.0).await
}

pub(super) fn error(execution: &Execution) -> &str {
    &execution.output.as_ref().expect_err("failed").error
}
