//! A state machine definition as the file spells it, and the checks `CreateStateMachine`
//! would make: every state is one this interpreter knows, every transition names a state,
//! and every state is reachable.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::Deserialize;
use serde_json::Value;

use super::{
    AslError,
    choice::ChoiceRule,
    paths::{Path, Template},
    retry::{Catcher, Retrier, check_error_lists},
};

/// A parsed and checked state machine definition; build one with [`StateMachine::parse`],
/// which checks what deserializing alone cannot.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct StateMachine {
    pub comment: Option<String>,
    pub start_at: String,
    #[serde(deserialize_with = "states")]
    pub states: BTreeMap<String, State>,
}

/// Parses each state on its own, so that an error names the state it is in.
fn states<'de, D: serde::Deserializer<'de>>(d: D) -> Result<BTreeMap<String, State>, D::Error> {
    let raw = BTreeMap::<String, Value>::deserialize(d)?;
    raw.into_iter()
        .map(|(name, v)| {
            State::deserialize(v)
                .map(|s| (name.clone(), s))
                .map_err(|e| serde::de::Error::custom(format!("state {name}: {e}")))
        })
        .collect()
}

/// One state, by its `Type`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "Type")]
pub enum State {
    Task(Task),
    Choice(Choice),
    Pass(Pass),
    Succeed(Succeed),
    Fail(Fail),
}

/// Calls its Resource. In the path fields of every state, `None` is an explicit `null` in
/// the file and an absent field is `$`, as the States Language defines them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Task {
    pub comment: Option<String>,
    pub resource: String,
    #[serde(default = "root")]
    pub input_path: Option<Path>,
    pub parameters: Option<Template>,
    #[serde(default = "root")]
    pub result_path: Option<Path>,
    #[serde(default = "root")]
    pub output_path: Option<Path>,
    /// Per attempt; none means no limit.
    pub timeout_seconds: Option<u32>,
    #[serde(default)]
    pub retry: Vec<Retrier>,
    #[serde(default)]
    pub catch: Vec<Catcher>,
    pub next: Option<String>,
    #[serde(default)]
    pub end: bool,
}

/// Goes to the first rule's Next that holds for its input, or to its Default.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Choice {
    pub comment: Option<String>,
    #[serde(default = "root")]
    pub input_path: Option<Path>,
    #[serde(default = "root")]
    pub output_path: Option<Path>,
    pub choices: Vec<ChoiceRule>,
    pub default: Option<String>,
}

/// Passes its input on, reshaped by its paths, Parameters or fixed Result.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Pass {
    pub comment: Option<String>,
    #[serde(default = "root")]
    pub input_path: Option<Path>,
    pub parameters: Option<Template>,
    /// A fixed result; without one the result is the (Parameters-shaped) input.
    pub result: Option<Value>,
    #[serde(default = "root")]
    pub result_path: Option<Path>,
    #[serde(default = "root")]
    pub output_path: Option<Path>,
    pub next: Option<String>,
    #[serde(default)]
    pub end: bool,
}

/// Ends the execution with its input as the output.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Succeed {
    pub comment: Option<String>,
    #[serde(default = "root")]
    pub input_path: Option<Path>,
    #[serde(default = "root")]
    pub output_path: Option<Path>,
}

/// Ends the execution with an error: fixed, or read from the input by ErrorPath/CausePath.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Fail {
    pub comment: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub error_path: Option<Path>,
    pub cause_path: Option<Path>,
}

/// The default of a path field left out: `$`, as the States Language defines it.
pub(super) fn root() -> Option<Path> {
    Some(Path::root())
}

impl State {
    /// The rules of the States Language a state must follow on its own.
    fn check(&self) -> Result<(), String> {
        let (next, end) = match self {
            State::Task(t) => (&t.next, t.end),
            State::Pass(p) => (&p.next, p.end),
            _ => (&None, true),
        };
        if next.is_some() == end {
            return Err("needs exactly one of Next and End: true".into());
        }
        match self {
            State::Task(t) => {
                if t.timeout_seconds == Some(0) {
                    return Err("TimeoutSeconds must be positive".into());
                }
                let bad = |r: &Retrier| {
                    r.interval_seconds == 0
                        || r.backoff_rate < 1.0
                        || r.max_delay_seconds == Some(0)
                };
                if t.retry.iter().any(bad) {
                    return Err(
                        "a retrier needs IntervalSeconds and MaxDelaySeconds of at least \
                                1 and a BackoffRate of at least 1.0"
                            .into(),
                    );
                }
                check_error_lists(t.retry.iter().map(|r| &r.error_equals))?;
                check_error_lists(t.catch.iter().map(|c| &c.error_equals))
            }
            State::Choice(c) if c.choices.is_empty() => {
                Err("a Choice needs at least one rule".into())
            }
            State::Fail(f)
                if (f.error.is_some() && f.error_path.is_some())
                    || (f.cause.is_some() && f.cause_path.is_some()) =>
            {
                Err("Error and ErrorPath (Cause and CausePath) exclude each other".into())
            }
            _ => Ok(()),
        }
    }

    /// The states this one can go to, in the order an execution would try them.
    pub fn targets(&self) -> Vec<&str> {
        match self {
            State::Task(t) => t
                .next
                .iter()
                .chain(t.catch.iter().map(|c| &c.next))
                .map(String::as_str)
                .collect(),
            State::Pass(p) => p.next.iter().map(String::as_str).collect(),
            State::Choice(c) => c
                .choices
                .iter()
                .map(|r| &r.next)
                .chain(&c.default)
                .map(String::as_str)
                .collect(),
            State::Succeed(_) | State::Fail(_) => Vec::new(),
        }
    }
}

impl StateMachine {
    /// Parses a definition and checks it: every transition names a state, every state is
    /// reachable from `StartAt`, a Task or Pass has exactly one of `Next` and `End`, and
    /// `States.ALL` stands alone in the last Retry and Catch entry.
    pub fn parse(json: &str) -> Result<StateMachine, AslError> {
        let machine: StateMachine =
            serde_json::from_str(json).map_err(|e| AslError(e.to_string()))?;
        machine.check()?;
        Ok(machine)
    }

    fn check(&self) -> Result<(), AslError> {
        let fail = |name: &str, why: String| Err(AslError(format!("state {name}: {why}")));
        if !self.states.contains_key(&self.start_at) {
            return fail(&self.start_at, "StartAt names no state".into());
        }
        for (name, state) in &self.states {
            if let Some(target) = state
                .targets()
                .into_iter()
                .find(|t| !self.states.contains_key(*t))
            {
                return fail(name, format!("goes to {target}, which is no state"));
            }
            state.check().or_else(|why| fail(name, why))?;
        }
        let reached: BTreeSet<&str> = self.reachable().into_iter().collect();
        if let Some(lost) = self.states.keys().find(|n| !reached.contains(n.as_str())) {
            return fail(lost, "not reachable from StartAt".into());
        }
        Ok(())
    }

    /// The states reachable from `StartAt`, breadth first: the main path before the
    /// branches it catches into.
    pub fn reachable(&self) -> Vec<&str> {
        let mut seen = vec![self.start_at.as_str()];
        let mut todo = VecDeque::from([self.start_at.as_str()]);
        while let Some(name) = todo.pop_front() {
            for target in self
                .states
                .get(name)
                .map(State::targets)
                .unwrap_or_default()
            {
                if !seen.contains(&target) {
                    seen.push(target);
                    todo.push_back(target);
                }
            }
        }
        seen
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::asl::testing::refused;

    #[test]
    fn definitions_outside_the_subset_are_refused_when_parsed() {
        let end = json!({"Type": "Succeed"});
        let cases = [
            (
                json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1}}}),
                "Wait",
            ),
            (
                json!({"StartAt": "S", "States": {"S": {"Type": "Succeed", "Extra": 1}}}),
                "Extra",
            ),
            (json!({"StartAt": "X", "States": {"S": end}}), "StartAt"),
            (
                json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "Nowhere"}}}),
                "Nowhere",
            ),
            (
                json!({"StartAt": "S", "States": {"S": end, "Lost": end}}),
                "not reachable",
            ),
            (
                json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "S", "End": true}, "S": end}}),
                "exactly one of Next and End",
            ),
            (
                json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "End": true,
                    "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["A"]}]}}}),
                "States.ALL only alone",
            ),
            (
                json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "End": true,
                    "Retry": [{"ErrorEquals": ["A"], "BackoffRate": 0.5}]}}}),
                "BackoffRate",
            ),
            (
                json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "End": true,
                    "Parameters": {"id.$": "States.Format('{}', $.id)"}}}}),
                "not a reference path",
            ),
            (
                json!({"StartAt": "C", "States": {"C": {"Type": "Choice", "Default": "S",
                    "Choices": [{"Variable": "$.a", "StringMatches": "x*", "Next": "S"}]}, "S": end}}),
                "StringMatches",
            ),
            (
                json!({"StartAt": "C", "States": {"C": {"Type": "Choice", "Default": "S",
                    "Choices": [{"Variable": "$.a", "IsNull": true, "IsString": true, "Next": "S"}]}, "S": end}}),
                "a single comparison",
            ),
        ];
        for (definition, why) in cases {
            let error = refused(definition.clone());
            assert!(error.contains(why), "{definition}: {error}");
        }
    }
}
