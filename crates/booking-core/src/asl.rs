//! A small interpreter of the Amazon States Language, so that the in-process workflow runs
//! `statemachine/*.asl.json` itself instead of a copy of them: Task (with Retry, Catch and
//! TimeoutSeconds), Choice, Pass, Succeed and Fail states, and InputPath, Parameters,
//! ResultPath and OutputPath with reference paths (`$`, `$.a.b`).
//!
//! A definition is checked when it is parsed, as `CreateStateMachine` would: a state type, a
//! field, a path or a Choice rule outside this subset is an error then, never a surprise in
//! the middle of an execution. What a Task's `Resource` does is the caller's ([`Resources`]).

use std::{
    collections::{BTreeMap, BTreeSet, VecDeque},
    time::Duration,
};

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::booking::TaskFailure;

/// Matches every error but [`RUNTIME`] in `ErrorEquals`.
pub const ALL: &str = "States.ALL";
/// Matches every error a task raises but [`TIMEOUT`] (and [`RUNTIME`]).
pub const TASK_FAILED: &str = "States.TaskFailed";
/// A Task ran past its `TimeoutSeconds`.
pub const TIMEOUT: &str = "States.Timeout";
/// A path that does not resolve, and the like: no Retry or Catch handles it.
pub const RUNTIME: &str = "States.Runtime";
/// A Choice state in which no rule held and that has no `Default`.
pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";

/// Bounds an execution that loops through its states: Step Functions caps an execution's
/// history, and an in-process caller (an HTTP request) must not wait forever.
const MAX_TRANSITIONS: usize = 1000;

/// A definition the interpreter refuses, naming the state and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AslError(String);

impl AslError {
    pub fn new(why: impl Into<String>) -> AslError {
        AslError(why.into())
    }
}

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

/// One `Retry` entry. The defaults are the States Language's.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Retrier {
    pub comment: Option<String>,
    pub error_equals: Vec<String>,
    #[serde(default = "one")]
    pub interval_seconds: u32,
    #[serde(default = "three")]
    pub max_attempts: u32,
    #[serde(default = "two")]
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<u32>,
    #[serde(default)]
    pub jitter_strategy: Jitter,
}

/// `JitterStrategy`: spreads the retries of many executions failing at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Jitter {
    #[default]
    None,
    /// Each wait is drawn uniformly from zero to the backed-off interval.
    Full,
}

fn one() -> u32 {
    1
}
fn three() -> u32 {
    3
}
fn two() -> f64 {
    2.0
}
fn root() -> Option<Path> {
    Some(Path::root())
}

impl Retrier {
    /// The wait in seconds before retry number `retries + 1`: `IntervalSeconds` times
    /// `BackoffRate` per retry already made, at most `MaxDelaySeconds`, and with FULL
    /// jitter scaled by `random` (in `[0, 1)`).
    pub fn delay(&self, retries: u32, random: f64) -> f64 {
        let backed_off = f64::from(self.interval_seconds) * self.backoff_rate.powf(retries.into());
        let capped = self
            .max_delay_seconds
            .map_or(backed_off, |max| backed_off.min(f64::from(max)));
        match self.jitter_strategy {
            Jitter::None => capped,
            Jitter::Full => capped * random,
        }
    }
}

/// One `Catch` entry: where an error goes once its retries are used up.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Catcher {
    pub comment: Option<String>,
    pub error_equals: Vec<String>,
    pub next: String,
    /// Where the error output (`{"Error", "Cause"}`) goes in the state's input.
    #[serde(default = "root")]
    pub result_path: Option<Path>,
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

/// A top-level Choice rule: a condition and the state it leads to.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawRule")]
pub struct ChoiceRule {
    pub condition: Condition,
    pub next: String,
}

/// What a Choice rule tests.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    And(Vec<Condition>),
    Or(Vec<Condition>),
    Not(Box<Condition>),
    Test { variable: Path, test: Test },
}

/// The comparison of a Choice rule with its `Variable`.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    IsPresent(bool),
    IsNull(bool),
    IsString(bool),
    IsNumeric(bool),
    IsBoolean(bool),
    StringEquals(String),
    BooleanEquals(bool),
    NumericEquals(f64),
    NumericLessThan(f64),
    NumericLessThanEquals(f64),
    NumericGreaterThan(f64),
    NumericGreaterThanEquals(f64),
}

/// A Choice rule as written; [`ChoiceRule`] and [`Condition`] are what it must mean.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct RawRule {
    #[serde(rename = "Comment")]
    _comment: Option<String>,
    next: Option<String>,
    variable: Option<Path>,
    and: Option<Vec<RawRule>>,
    or: Option<Vec<RawRule>>,
    not: Option<Box<RawRule>>,
    is_present: Option<bool>,
    is_null: Option<bool>,
    is_string: Option<bool>,
    is_numeric: Option<bool>,
    is_boolean: Option<bool>,
    string_equals: Option<String>,
    boolean_equals: Option<bool>,
    numeric_equals: Option<f64>,
    numeric_less_than: Option<f64>,
    numeric_less_than_equals: Option<f64>,
    numeric_greater_than: Option<f64>,
    numeric_greater_than_equals: Option<f64>,
}

impl TryFrom<RawRule> for ChoiceRule {
    type Error = AslError;

    fn try_from(mut raw: RawRule) -> Result<Self, AslError> {
        let next = raw
            .next
            .take()
            .ok_or_else(|| AslError("a Choice rule needs a Next".into()))?;
        Ok(ChoiceRule {
            condition: Condition::try_from(raw)?,
            next,
        })
    }
}

impl TryFrom<RawRule> for Condition {
    type Error = AslError;

    fn try_from(raw: RawRule) -> Result<Self, AslError> {
        if raw.next.is_some() {
            return Err(AslError("only a top-level Choice rule has a Next".into()));
        }
        let all = |rules: Vec<RawRule>| -> Result<Vec<Condition>, AslError> {
            rules.into_iter().map(Condition::try_from).collect()
        };
        let mut found = Vec::new();
        if let Some(rules) = raw.and {
            found.push(Condition::And(all(rules)?));
        }
        if let Some(rules) = raw.or {
            found.push(Condition::Or(all(rules)?));
        }
        if let Some(rule) = raw.not {
            found.push(Condition::Not(Box::new(Condition::try_from(*rule)?)));
        }
        let tests = [
            raw.is_present.map(Test::IsPresent),
            raw.is_null.map(Test::IsNull),
            raw.is_string.map(Test::IsString),
            raw.is_numeric.map(Test::IsNumeric),
            raw.is_boolean.map(Test::IsBoolean),
            raw.string_equals.map(Test::StringEquals),
            raw.boolean_equals.map(Test::BooleanEquals),
            raw.numeric_equals.map(Test::NumericEquals),
            raw.numeric_less_than.map(Test::NumericLessThan),
            raw.numeric_less_than_equals
                .map(Test::NumericLessThanEquals),
            raw.numeric_greater_than.map(Test::NumericGreaterThan),
            raw.numeric_greater_than_equals
                .map(Test::NumericGreaterThanEquals),
        ];
        let mut tests = tests.into_iter().flatten();
        match (raw.variable, tests.next()) {
            (Some(variable), Some(test)) => found.push(Condition::Test { variable, test }),
            (None, None) => {}
            _ => {
                return Err(AslError(
                    "a comparison needs a Variable and a Variable a comparison".into(),
                ));
            }
        }
        if tests.next().is_some() || found.len() != 1 {
            return Err(AslError(
                "a Choice rule is one of And, Or, Not or a single comparison".into(),
            ));
        }
        Ok(found.remove(0))
    }
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

/// A reference path: `$` or `$.key.key...`, nothing else of JSONPath.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Path {
    text: String,
    keys: Vec<String>,
}

impl TryFrom<String> for Path {
    type Error = AslError;

    fn try_from(text: String) -> Result<Self, AslError> {
        let keys: Option<Vec<String>> = match text.strip_prefix('$') {
            Some("") => Some(Vec::new()),
            Some(rest) => rest.strip_prefix('.').and_then(|rest| {
                rest.split('.')
                    .map(|key| {
                        let plain = !key.is_empty()
                            && key
                                .chars()
                                .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
                        plain.then(|| key.to_owned())
                    })
                    .collect()
            }),
            None => None,
        };
        match keys {
            Some(keys) => Ok(Path { text, keys }),
            None => Err(AslError(format!(
                "{text:?} is not a reference path ($ or $.a.b; no context object, filters, \
                 indexes or intrinsic functions)"
            ))),
        }
    }
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl Path {
    fn root() -> Path {
        Path {
            text: "$".into(),
            keys: Vec::new(),
        }
    }

    /// The value at this path, if there is one.
    pub fn get<'a>(&self, data: &'a Value) -> Option<&'a Value> {
        self.keys.iter().try_fold(data, |v, key| v.get(key))
    }

    fn resolve(&self, data: &Value) -> Result<Value, TaskFailure> {
        self.get(data)
            .cloned()
            .ok_or_else(|| runtime(format!("the path {self} is not in the input")))
    }

    /// `data` with `value` at this path, creating the objects on the way (ResultPath).
    fn set(&self, mut data: Value, value: Value) -> Result<Value, TaskFailure> {
        let Some((last, parents)) = self.keys.split_last() else {
            return Ok(value);
        };
        let not_object = || runtime(format!("cannot set {self}: not inside an object"));
        let mut node = &mut data;
        for key in parents {
            node = node
                .as_object_mut()
                .ok_or_else(not_object)?
                .entry(key.as_str())
                .or_insert_with(|| json!({}));
        }
        node.as_object_mut()
            .ok_or_else(not_object)?
            .insert(last.clone(), value);
        Ok(data)
    }
}

/// A payload template (`Parameters`): a key ending in `.$` takes the value at its path,
/// in nested objects too; everything else is literal.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "Value")]
pub struct Template(Value);

impl TryFrom<Value> for Template {
    type Error = AslError;

    fn try_from(value: Value) -> Result<Self, AslError> {
        fn check(v: &Value) -> Result<(), AslError> {
            for (key, v) in v.as_object().into_iter().flatten() {
                if key.ends_with(".$") {
                    let path = v
                        .as_str()
                        .ok_or_else(|| AslError(format!("{key}: not a path")))?;
                    Path::try_from(path.to_owned())
                        .map_err(|AslError(e)| AslError(format!("{key}: {e}")))?;
                } else {
                    check(v)?;
                }
            }
            Ok(())
        }
        check(&value)?;
        Ok(Template(value))
    }
}

impl Template {
    /// The template filled in from `data`.
    pub fn apply(&self, data: &Value) -> Result<Value, TaskFailure> {
        fn fill(template: &Value, data: &Value) -> Result<Value, TaskFailure> {
            let Some(fields) = template.as_object() else {
                return Ok(template.clone());
            };
            let mut out = Map::new();
            for (key, v) in fields {
                match (key.strip_suffix(".$"), v.as_str()) {
                    (Some(name), Some(path)) => {
                        let path = Path::try_from(path.to_owned())
                            .map_err(|AslError(e)| runtime(format!("{key}: {e}")))?;
                        out.insert(name.to_owned(), path.resolve(data)?);
                    }
                    _ => {
                        out.insert(key.clone(), fill(v, data)?);
                    }
                }
            }
            Ok(Value::Object(out))
        }
        fill(&self.0, data)
    }
}

fn runtime(cause: String) -> TaskFailure {
    TaskFailure {
        error: RUNTIME.into(),
        cause,
    }
}

/// `InputPath` / `OutputPath`: null gives `{}`.
fn select(path: Option<&Path>, data: Value) -> Result<Value, TaskFailure> {
    match path {
        None => Ok(json!({})),
        Some(p) if p.keys.is_empty() => Ok(data),
        Some(p) => p.resolve(&data),
    }
}

/// `ResultPath`: null keeps the input as it was.
fn place(path: Option<&Path>, input: Value, result: Value) -> Result<Value, TaskFailure> {
    match path {
        None => Ok(input),
        Some(p) => p.set(input, result),
    }
}

/// Whether an `ErrorEquals` list names `error`.
pub fn error_matches(error_equals: &[String], error: &str) -> bool {
    error != RUNTIME
        && error_equals
            .iter()
            .any(|e| e == error || e == ALL || (e == TASK_FAILED && error != TIMEOUT))
}

/// Each `ErrorEquals` of a Retry or Catch names an error, and `States.ALL` only alone in the
/// last one.
fn check_error_lists<'a>(
    lists: impl ExactSizeIterator<Item = &'a Vec<String>>,
) -> Result<(), String> {
    let last = lists.len().saturating_sub(1);
    for (i, errors) in lists.enumerate() {
        let all = errors.iter().any(|e| e == ALL);
        if errors.is_empty() || (all && (errors.len() > 1 || i < last)) {
            return Err(
                "ErrorEquals must name an error, and States.ALL only alone in the last entry"
                    .into(),
            );
        }
    }
    Ok(())
}

impl Condition {
    fn holds(&self, data: &Value) -> Result<bool, TaskFailure> {
        Ok(match self {
            Condition::And(all) => {
                for c in all {
                    if !c.holds(data)? {
                        return Ok(false);
                    }
                }
                true
            }
            Condition::Or(any) => {
                for c in any {
                    if c.holds(data)? {
                        return Ok(true);
                    }
                }
                false
            }
            Condition::Not(c) => !c.holds(data)?,
            Condition::Test { variable, test } => {
                let value = variable.get(data);
                if let Test::IsPresent(flag) = test {
                    return Ok(value.is_some() == *flag);
                }
                let v = value.ok_or_else(|| {
                    runtime(format!(
                        "the Choice Variable {variable} is not in the input"
                    ))
                })?;
                let number =
                    |op: fn(f64, f64) -> bool, n: f64| v.as_f64().is_some_and(|x| op(x, n));
                match test {
                    Test::IsPresent(_) => true,
                    Test::IsNull(flag) => v.is_null() == *flag,
                    Test::IsString(flag) => v.is_string() == *flag,
                    Test::IsNumeric(flag) => v.is_number() == *flag,
                    Test::IsBoolean(flag) => v.is_boolean() == *flag,
                    Test::StringEquals(s) => v.as_str() == Some(s.as_str()),
                    Test::BooleanEquals(b) => v.as_bool() == Some(*b),
                    Test::NumericEquals(n) => number(|x, n| x == n, *n),
                    Test::NumericLessThan(n) => number(|x, n| x < n, *n),
                    Test::NumericLessThanEquals(n) => number(|x, n| x <= n, *n),
                    Test::NumericGreaterThan(n) => number(|x, n| x > n, *n),
                    Test::NumericGreaterThanEquals(n) => number(|x, n| x >= n, *n),
                }
            }
        })
    }
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

/// A uniform sample in `[0, 1)` for FULL jitter, from the standard library's randomly
/// keyed hasher: jitter only spreads retries out, it needs no better randomness.
fn jitter_sample() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
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
    let mut used = vec![0u32; t.retry.len()];
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
        // The first retrier naming the error applies, and each counts its own attempts:
        // once its MaxAttempts are used up the error goes to the Catch, whatever a later
        // retrier says.
        let retrier = t
            .retry
            .iter()
            .position(|r| error_matches(&r.error_equals, &failure.error))
            .filter(|&i| used[i] < t.retry[i].max_attempts);
        let Some(i) = retrier else {
            break failure;
        };
        let wait = t.retry[i].delay(used[i], jitter_sample()) * retry_time_scale;
        used[i] += 1;
        tracing::warn!(
            state = name,
            error = failure.error.as_str(),
            attempt = used[i],
            "retrying task"
        );
        if let Ok(wait) = Duration::try_from_secs_f64(wait)
            && !wait.is_zero()
        {
            tokio::time::sleep(wait).await;
        }
    };
    match t
        .catch
        .iter()
        .find(|c| error_matches(&c.error_equals, &failure.error))
    {
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
    use std::sync::Mutex;

    use super::*;

    /// Resources whose outcomes are scripted in order (`Err` holds an error name); an
    /// unscripted call returns `{"done": <state>}`. Every call is kept with its input.
    #[derive(Default)]
    struct Script {
        outcomes: Mutex<VecDeque<Result<Value, &'static str>>>,
        calls: Mutex<Vec<(String, String, Value)>>,
    }

    impl Script {
        fn new(outcomes: impl IntoIterator<Item = Result<Value, &'static str>>) -> Script {
            Script {
                outcomes: Mutex::new(outcomes.into_iter().collect()),
                calls: Mutex::default(),
            }
        }

        fn inputs(&self) -> Vec<Value> {
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

    fn parse(definition: Value) -> StateMachine {
        StateMachine::parse(&definition.to_string()).unwrap()
    }

    fn refused(definition: Value) -> String {
        StateMachine::parse(&definition.to_string())
            .expect_err("refused")
            .to_string()
    }

    /// One Task state `T` (with `fields`) that ends the machine, or goes to `Caught` (a
    /// Pass state that ends) from its Catch.
    fn one_task(fields: Value) -> StateMachine {
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

    async fn run(machine: &StateMachine, input: Value, script: &Script) -> Execution {
        machine.run(input, script, 0.0).await
    }

    fn error(execution: &Execution) -> &str {
        &execution.output.as_ref().expect_err("failed").error
    }

    #[test]
    fn reference_paths_are_the_root_or_dotted_keys_and_nothing_else() {
        for ok in ["$", "$.a", "$.a.b_c.d-1"] {
            assert!(Path::try_from(ok.to_owned()).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a.b",
            "$.",
            "$..a",
            "$.a[0]",
            "$$.Execution.Id",
            "$.a.*",
        ] {
            assert!(Path::try_from(bad.to_owned()).is_err(), "{bad}");
        }
        let data = json!({"a": {"b": 1}});
        let path = Path::try_from("$.a.b".to_owned()).unwrap();
        assert_eq!(path.get(&data), Some(&json!(1)));
        assert_eq!(Path::root().get(&data), Some(&data));
    }

    #[tokio::test]
    async fn parameters_take_the_values_at_their_paths_and_keep_the_rest_literal() {
        // Given a Task whose Parameters mix paths, literals and a nested object
        let machine = one_task(json!({"Parameters": {
            "action": "charge", "id.$": "$.reservationId", "whole.$": "$",
            "nested": {"ref.$": "$.charge.reference", "n": 1}
        }}));
        let input = json!({"reservationId": "r1", "charge": {"reference": "ch_1"}});
        // When it runs
        let script = Script::default();
        run(&machine, input.clone(), &script).await;
        // Then the resource gets the template filled in
        assert_eq!(
            script.inputs(),
            [json!({
                "action": "charge", "id": "r1", "whole": input,
                "nested": {"ref": "ch_1", "n": 1}
            })]
        );
    }

    #[tokio::test]
    async fn a_path_that_does_not_resolve_fails_the_execution_past_every_retry_and_catch() {
        let machine = one_task(json!({
            "Parameters": {"id.$": "$.missing"},
            "Retry": [{"ErrorEquals": ["States.ALL"]}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]
        }));
        let script = Script::default();
        let execution = run(&machine, json!({}), &script).await;
        assert_eq!(error(&execution), RUNTIME);
        assert_eq!(execution.trace, ["T"]);
        assert!(script.inputs().is_empty(), "the resource is never called");
    }

    #[tokio::test]
    async fn input_path_and_output_path_select_and_null_gives_an_empty_object() {
        let input = json!({"a": {"b": 1}, "c": 2});
        let script = Script::new([Ok(json!({"x": {"y": 3}}))]);
        let machine =
            one_task(json!({"InputPath": "$.a", "ResultPath": "$.r", "OutputPath": "$.r.x"}));
        let execution = run(&machine, input.clone(), &script).await;
        assert_eq!(script.inputs(), [json!({"b": 1})]);
        assert_eq!(execution.output, Ok(json!({"y": 3})));

        let script = Script::default();
        let machine = one_task(json!({"InputPath": null, "OutputPath": null}));
        let execution = run(&machine, input, &script).await;
        assert_eq!(script.inputs(), [json!({})]);
        assert_eq!(execution.output, Ok(json!({})));
    }

    #[tokio::test]
    async fn result_path_replaces_the_input_sets_a_field_or_discards_the_result() {
        let input = json!({"a": 1});
        let cases = [
            (json!({}), json!({"done": "T"})),
            (json!({"ResultPath": "$"}), json!({"done": "T"})),
            (
                json!({"ResultPath": "$.x.y"}),
                json!({"a": 1, "x": {"y": {"done": "T"}}}),
            ),
            (json!({"ResultPath": null}), json!({"a": 1})),
        ];
        for (fields, output) in cases {
            let execution = run(&one_task(fields.clone()), input.clone(), &Script::default()).await;
            assert_eq!(execution.output, Ok(output), "{fields}");
        }
        // A field inside something that is not an object cannot be set
        let execution = run(
            &one_task(json!({"ResultPath": "$.a.b"})),
            input,
            &Script::default(),
        )
        .await;
        assert_eq!(error(&execution), RUNTIME);
    }

    #[tokio::test]
    async fn a_task_retries_what_its_retriers_name_up_to_their_max_attempts() {
        let machine = one_task(json!({"Retry": [
            {"ErrorEquals": ["Busy"], "MaxAttempts": 2},
            {"ErrorEquals": ["Never"], "MaxAttempts": 0}
        ]}));
        // Two retries clear a Busy task
        let script = Script::new([Err("Busy"), Err("Busy")]);
        let execution = run(&machine, json!({}), &script).await;
        assert_eq!(execution.output, Ok(json!({"done": "T"})));
        assert_eq!(execution.trace, ["T", "T", "T"]);
        // A third Busy fails; MaxAttempts 0 and unnamed errors are not retried
        for (outcomes, attempts, name) in [
            (vec![Err("Busy"); 3], 3, "Busy"),
            (vec![Err("Never")], 1, "Never"),
            (vec![Err("Other")], 1, "Other"),
        ] {
            let execution = run(&machine, json!({}), &Script::new(outcomes)).await;
            assert_eq!(error(&execution), name);
            assert_eq!(execution.trace.len(), attempts, "{name}");
        }
    }

    #[tokio::test]
    async fn the_first_retrier_naming_an_error_applies_and_counts_its_own_attempts() {
        // Given A retried once by the first retrier, the catch-all behind it unused
        let machine = one_task(json!({"Retry": [
            {"ErrorEquals": ["A"], "MaxAttempts": 1},
            {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5}
        ]}));
        // When A, B (the catch-all), then A again fail
        let script = Script::new([Err("A"), Err("B"), Err("A")]);
        let execution = run(&machine, json!({}), &script).await;
        // Then the second A fails the task although the catch-all has retries left
        assert_eq!(error(&execution), "A");
        assert_eq!(execution.trace, ["T", "T", "T"]);
    }

    #[test]
    fn retry_waits_back_off_are_capped_by_max_delay_seconds_and_jittered() {
        let retrier = |v: Value| serde_json::from_value::<Retrier>(v).unwrap();
        let plain = retrier(json!({"ErrorEquals": ["E"], "IntervalSeconds": 2, "BackoffRate": 3}));
        let waits: Vec<f64> = (0..3).map(|n| plain.delay(n, 0.5)).collect();
        assert_eq!(waits, [2.0, 6.0, 18.0]);
        let capped = retrier(json!({"ErrorEquals": ["E"], "MaxDelaySeconds": 5}));
        let waits: Vec<f64> = (0..4).map(|n| capped.delay(n, 0.5)).collect();
        assert_eq!(waits, [1.0, 2.0, 4.0, 5.0], "the defaults: 1 s, x2");
        let jittered = retrier(json!({
            "ErrorEquals": ["E"], "MaxDelaySeconds": 5, "JitterStrategy": "FULL"
        }));
        assert_eq!(jittered.delay(3, 0.5), 2.5, "half of the capped 5 s");
        assert_eq!(jittered.delay(3, 0.0), 0.0);
        let sample = jitter_sample();
        assert!((0.0..1.0).contains(&sample), "{sample}");
    }

    #[tokio::test]
    async fn a_catch_puts_the_error_at_its_result_path_and_goes_to_its_next() {
        let machine = one_task(json!({"Catch": [
            {"ErrorEquals": ["Other"], "Next": "T"},
            {"ErrorEquals": ["Declined"], "ResultPath": "$.error", "Next": "Caught"}
        ]}));
        let execution = run(&machine, json!({"a": 1}), &Script::new([Err("Declined")])).await;
        assert_eq!(execution.trace, ["T", "Caught"]);
        assert_eq!(
            execution.output,
            Ok(json!({"a": 1, "error": {"Error": "Declined", "Cause": "scripted Declined"}}))
        );
        // An error no catcher names fails the execution with it
        let execution = run(&machine, json!({}), &Script::new([Err("Lost")])).await;
        assert_eq!(error(&execution), "Lost");
    }

    #[test]
    fn states_all_matches_all_but_runtime_errors_and_task_failed_all_but_timeouts() {
        let names = |list: &[&str]| -> Vec<String> { list.iter().map(|&s| s.into()).collect() };
        assert!(error_matches(&names(&["A", "B"]), "B"));
        assert!(!error_matches(&names(&["A"]), "B"));
        assert!(error_matches(&names(&[ALL]), "B"));
        assert!(error_matches(&names(&[ALL]), TIMEOUT));
        assert!(!error_matches(&names(&[ALL]), RUNTIME));
        assert!(error_matches(&names(&[TASK_FAILED]), "B"));
        assert!(!error_matches(&names(&[TASK_FAILED]), TIMEOUT));
    }

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
    async fn a_choice_goes_to_the_first_rule_that_holds_or_its_default() {
        // Given a Choice over every kind of rule, each to its own Pass state
        let rules = [
            json!({"And": [
                {"Variable": "$.n", "IsPresent": true},
                {"Not": {"Variable": "$.n", "IsNull": true}},
                {"Variable": "$.n", "NumericGreaterThan": 10},
                {"Variable": "$.n", "NumericLessThanEquals": 20}
            ]}),
            json!({"Or": [
                {"Variable": "$.s", "StringEquals": "x"},
                {"Variable": "$.b", "BooleanEquals": true}
            ]}),
            json!({"Variable": "$.n", "NumericEquals": 1}),
            json!({"Variable": "$.n", "NumericLessThan": 0}),
            json!({"Variable": "$.n", "NumericGreaterThanEquals": 100}),
            json!({"Variable": "$.n", "IsString": true}),
            json!({"Variable": "$.n", "IsBoolean": true}),
            json!({"Variable": "$.n", "IsNumeric": false}),
        ];
        let mut states = json!({"Other": {"Type": "Succeed"}});
        let mut choices = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            let mut rule = rule.clone();
            rule["Next"] = json!(format!("R{i}"));
            choices.push(rule);
            states[format!("R{i}")] = json!({"Type": "Succeed"});
        }
        states["C"] = json!({"Type": "Choice", "Choices": choices, "Default": "Other"});
        let machine = parse(json!({"StartAt": "C", "States": states}));
        // When it runs on inputs made for each rule, Then each ends where its rule leads
        let cases = [
            (json!({"n": 15}), "R0"),
            (json!({"n": 25, "s": "x"}), "R1"),
            (json!({"n": 25, "b": true}), "R1"),
            (json!({"n": 1}), "R2"),
            (json!({"n": -1}), "R3"),
            (json!({"n": 100}), "R4"),
            (json!({"n": "text"}), "R5"),
            (json!({"n": true}), "R6"),
            (json!({"n": null}), "R7"),
            (json!({"n": 50}), "Other"),
        ];
        for (fields, end) in cases {
            let mut input = json!({"s": "y", "b": false});
            input
                .as_object_mut()
                .unwrap()
                .extend(fields.as_object().unwrap().clone());
            let execution = run(&machine, input.clone(), &Script::default()).await;
            assert_eq!(execution.trace, [end], "{input}: a Choice is not traced");
            assert_eq!(execution.output, Ok(input));
        }
        // A comparison on a missing Variable is a runtime error
        let execution = run(&machine, json!({}), &Script::default()).await;
        assert_eq!(error(&execution), RUNTIME);
    }

    #[tokio::test]
    async fn a_choice_without_a_matching_rule_or_default_fails() {
        let machine = parse(json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [
                {"Variable": "$.s", "StringEquals": "x", "Next": "S"}
            ]},
            "S": {"Type": "Succeed"}
        }}));
        let execution = run(&machine, json!({"s": "y"}), &Script::default()).await;
        assert_eq!(error(&execution), NO_CHOICE_MATCHED);
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
