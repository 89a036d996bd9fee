//! A small interpreter of the Amazon States Language, so that the in-process workflow runs
//! `statemachine/*.asl.json` itself instead of a copy of them: Task (with Retry, Catch and
//! TimeoutSeconds), Choice, Pass, Succeed and Fail states, and InputPath, Parameters,
//! ResultPath and OutputPath with reference paths (`$`, `$.a.b`).
//!
//! A definition is checked when it is parsed, as `CreateStateMachine` would: a state type, a
//! field, a path or a Choice rule outside this subset is an error then, never a surprise in
//! the middle of an execution. What a Task's `Resource` does is the caller's ([`Resources`]).
//!
//! By concern: `definition` (the states, and the checks made when a definition is parsed),
//! `paths` (reference paths, Parameters and the path fields), `choice` (Choice rules),
//! `retry` (Retry and Catch: matching and waits) and `run` (the executor).

mod choice;
mod definition;
mod paths;
mod retry;
mod run;
#[cfg(test)]
mod testing;

pub use choice::{ChoiceRule, Condition, Test};
pub use definition::{Choice, Fail, Pass, State, StateMachine, Succeed, Task};
pub use paths::{Path, Template};
pub use retry::{Catcher, Jitter, Retrier, error_matches};
pub use run::{Execution, Resources};

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

/// A definition the interpreter refuses, naming the state and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AslError(String);

impl AslError {
    pub fn new(why: impl Into<String>) -> AslError {
        AslError(why.into())
    }
}

/// A [`RUNTIME`] failure: the execution ends with it, past every Retry and Catch.
fn runtime(cause: String) -> TaskFailure {
    TaskFailure {
        error: RUNTIME.into(),
        cause,
    }
}
