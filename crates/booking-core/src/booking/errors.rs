//! Task errors: the stable names the state machines' Retry and Catch match on, and the
//! failure a Catch hands on.

use serde::{Deserialize, Serialize};

use crate::{Error, payment::PaymentError};

/// A task failure, with the stable name the state machine's Retry and Catch match on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    #[error("{0}")]
    SlotUnavailable(String),
    #[error("{0}")]
    HoldExpired(String),
    #[error("{0}")]
    PaymentDeclined(String),
    #[error("{0}")]
    PaymentTransient(String),
    #[error("{0}")]
    InvalidRequest(String),
    /// The message is `field: reason`.
    #[error("{field}: {reason}")]
    RuleViolation { field: String, reason: String },
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    NotCancellable(String),
    #[error("{0}")]
    NotFound(String),
    /// Storage failed; worth retrying.
    #[error("{0}")]
    StoreUnavailable(String),
    /// The platform failed (a task timed out or crashed past its retries): nothing the
    /// client did wrong, worth trying again later.
    #[error("{0}")]
    ServiceUnavailable(String),
}

impl TaskError {
    /// The error name in the ASL files (`ErrorEquals`) and in Lambda's `errorType`.
    pub fn name(&self) -> &'static str {
        match self {
            TaskError::SlotUnavailable(_) => "SlotUnavailable",
            TaskError::HoldExpired(_) => "HoldExpired",
            TaskError::PaymentDeclined(_) => "PaymentDeclined",
            TaskError::PaymentTransient(_) => "PaymentTransient",
            TaskError::InvalidRequest(_) => "InvalidRequest",
            TaskError::RuleViolation { .. } => "RuleViolation",
            TaskError::LimitExceeded(_) => "LimitExceeded",
            TaskError::NotCancellable(_) => "NotCancellable",
            TaskError::NotFound(_) => "NotFound",
            TaskError::StoreUnavailable(_) => "StoreUnavailable",
            TaskError::ServiceUnavailable(_) => "ServiceUnavailable",
        }
    }

    /// The error as Step Functions carries it into a Catch (`{"Error", "Cause"}`).
    pub fn failure(&self) -> TaskFailure {
        TaskFailure {
            error: self.name().to_owned(),
            cause: self.to_string(),
        }
    }

    /// Rebuilds an error from a recorded failure (an idempotent replay of a failed booking).
    pub fn from_failure(code: &str, message: &str) -> TaskError {
        let m = message.to_owned();
        match code {
            "SlotUnavailable" => TaskError::SlotUnavailable(m),
            "HoldExpired" => TaskError::HoldExpired(m),
            "PaymentDeclined" => TaskError::PaymentDeclined(m),
            "PaymentTransient" => TaskError::PaymentTransient(m),
            "LimitExceeded" => TaskError::LimitExceeded(m),
            "NotCancellable" => TaskError::NotCancellable(m),
            "NotFound" => TaskError::NotFound(m),
            "RuleViolation" => {
                let (field, reason) = m.split_once(": ").unwrap_or(("start", &m));
                TaskError::RuleViolation {
                    field: field.into(),
                    reason: reason.into(),
                }
            }
            "StoreUnavailable" => TaskError::StoreUnavailable(m),
            "InvalidRequest" => TaskError::InvalidRequest(m),
            // States.Timeout, States.TaskFailed, Lambda.* after their retries, ...
            _ => TaskError::ServiceUnavailable(format!("{code}: {m}")),
        }
    }
}

impl From<Error> for TaskError {
    fn from(e: Error) -> Self {
        match e {
            Error::SlotUnavailable => TaskError::SlotUnavailable(e.to_string()),
            Error::HoldExpired => TaskError::HoldExpired(e.to_string()),
            Error::LimitExceeded(m) => TaskError::LimitExceeded(m),
            Error::Rule { field, reason } => TaskError::RuleViolation {
                field: field.into(),
                reason,
            },
            Error::NotFound(what) => TaskError::NotFound(format!("{what} not found")),
            Error::IllegalTransition { .. } => TaskError::NotCancellable(e.to_string()),
            Error::Store(_) => TaskError::StoreUnavailable(e.to_string()),
            other => TaskError::InvalidRequest(other.to_string()),
        }
    }
}

impl From<PaymentError> for TaskError {
    fn from(e: PaymentError) -> Self {
        match e {
            PaymentError::Declined(m) => TaskError::PaymentDeclined(m),
            PaymentError::Transient(m) => TaskError::PaymentTransient(m),
        }
    }
}

/// An error as a Catch hands it on: `{"Error": name, "Cause": message}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskFailure {
    #[serde(rename = "Error")]
    pub error: String,
    #[serde(rename = "Cause")]
    pub cause: String,
}

impl TaskFailure {
    /// The human message: Lambda wraps it as `{"errorType", "errorMessage"}` in `Cause`.
    pub fn message(&self) -> String {
        #[derive(Deserialize)]
        struct LambdaCause {
            #[serde(rename = "errorMessage")]
            error_message: String,
        }
        serde_json::from_str::<LambdaCause>(&self.cause)
            .map(|c| c.error_message)
            .unwrap_or_else(|_| self.cause.clone())
    }

    pub fn to_error(&self) -> TaskError {
        TaskError::from_failure(&self.error, &self.message())
    }
}
