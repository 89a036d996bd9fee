//! Task errors: the stable names the state machines' Retry and Catch match on, and the
//! failure a Catch hands on.

use serde::{Deserialize, Serialize};

use crate::{Error, FieldError, payment::PaymentError};

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

/// The stable name of a [`TaskError`]: what the ASL files' `ErrorEquals` and Lambda's
/// `errorType` say, and what a failed reservation records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FailureKind {
    SlotUnavailable,
    HoldExpired,
    PaymentDeclined,
    PaymentTransient,
    InvalidRequest,
    RuleViolation,
    LimitExceeded,
    NotCancellable,
    NotFound,
    StoreUnavailable,
    ServiceUnavailable,
}

impl FailureKind {
    pub const ALL: [FailureKind; 11] = [
        FailureKind::SlotUnavailable,
        FailureKind::HoldExpired,
        FailureKind::PaymentDeclined,
        FailureKind::PaymentTransient,
        FailureKind::InvalidRequest,
        FailureKind::RuleViolation,
        FailureKind::LimitExceeded,
        FailureKind::NotCancellable,
        FailureKind::NotFound,
        FailureKind::StoreUnavailable,
        FailureKind::ServiceUnavailable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::SlotUnavailable => "SlotUnavailable",
            FailureKind::HoldExpired => "HoldExpired",
            FailureKind::PaymentDeclined => "PaymentDeclined",
            FailureKind::PaymentTransient => "PaymentTransient",
            FailureKind::InvalidRequest => "InvalidRequest",
            FailureKind::RuleViolation => "RuleViolation",
            FailureKind::LimitExceeded => "LimitExceeded",
            FailureKind::NotCancellable => "NotCancellable",
            FailureKind::NotFound => "NotFound",
            FailureKind::StoreUnavailable => "StoreUnavailable",
            FailureKind::ServiceUnavailable => "ServiceUnavailable",
        }
    }

    /// The kind named `name`, if it is one of ours.
    pub fn parse(name: &str) -> Option<Self> {
        FailureKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The error of this kind with `message` (for a rule violation, `field: reason`).
    pub fn error(self, message: String) -> TaskError {
        let m = message;
        match self {
            FailureKind::SlotUnavailable => TaskError::SlotUnavailable(m),
            FailureKind::HoldExpired => TaskError::HoldExpired(m),
            FailureKind::PaymentDeclined => TaskError::PaymentDeclined(m),
            FailureKind::PaymentTransient => TaskError::PaymentTransient(m),
            FailureKind::InvalidRequest => TaskError::InvalidRequest(m),
            FailureKind::RuleViolation => {
                let FieldError { field, reason } =
                    m.parse().unwrap_or_else(|()| FieldError::new("start", m));
                TaskError::RuleViolation { field, reason }
            }
            FailureKind::LimitExceeded => TaskError::LimitExceeded(m),
            FailureKind::NotCancellable => TaskError::NotCancellable(m),
            FailureKind::NotFound => TaskError::NotFound(m),
            FailureKind::StoreUnavailable => TaskError::StoreUnavailable(m),
            FailureKind::ServiceUnavailable => TaskError::ServiceUnavailable(m),
        }
    }
}

/// The error a booking failed with, as a reservation records it: one of the tasks'
/// [`FailureKind`]s, or one of the platform's own, raised past a task's retries.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FailureCode {
    Task(FailureKind),
    /// `States.Timeout`, `Lambda.ServiceException`, ...: nothing the client did.
    Platform(String),
}

impl FailureCode {
    /// The code of the error named `name` (a [`TaskFailure`]'s `Error`).
    pub fn parse(name: &str) -> Self {
        FailureKind::parse(name)
            .map_or_else(|| FailureCode::Platform(name.to_owned()), FailureCode::Task)
    }

    pub fn as_str(&self) -> &str {
        match self {
            FailureCode::Task(kind) => kind.as_str(),
            FailureCode::Platform(name) => name,
        }
    }

    /// The error to answer with: a task's as it was; the platform's, whose failure is not
    /// the client's, as [`TaskError::ServiceUnavailable`] naming it.
    pub fn error(&self, message: String) -> TaskError {
        match self {
            FailureCode::Task(kind) => kind.error(message),
            FailureCode::Platform(name) => {
                TaskError::ServiceUnavailable(format!("{name}: {message}"))
            }
        }
    }
}

impl TaskError {
    pub fn kind(&self) -> FailureKind {
        match self {
            TaskError::SlotUnavailable(_) => FailureKind::SlotUnavailable,
            TaskError::HoldExpired(_) => FailureKind::HoldExpired,
            TaskError::PaymentDeclined(_) => FailureKind::PaymentDeclined,
            TaskError::PaymentTransient(_) => FailureKind::PaymentTransient,
            TaskError::InvalidRequest(_) => FailureKind::InvalidRequest,
            TaskError::RuleViolation { .. } => FailureKind::RuleViolation,
            TaskError::LimitExceeded(_) => FailureKind::LimitExceeded,
            TaskError::NotCancellable(_) => FailureKind::NotCancellable,
            TaskError::NotFound(_) => FailureKind::NotFound,
            TaskError::StoreUnavailable(_) => FailureKind::StoreUnavailable,
            TaskError::ServiceUnavailable(_) => FailureKind::ServiceUnavailable,
        }
    }

    /// The error name in the ASL files (`ErrorEquals`) and in Lambda's `errorType`.
    pub fn name(&self) -> &'static str {
        self.kind().as_str()
    }

    /// The error as Step Functions carries it into a Catch (`{"Error", "Cause"}`).
    pub fn failure(&self) -> TaskFailure {
        TaskFailure {
            error: self.name().to_owned(),
            cause: self.to_string(),
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
            PaymentError::Platform(m) => {
                tracing::error!(error = %m, "the payment gateway refused a request");
                TaskError::ServiceUnavailable(m)
            }
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
        FailureCode::parse(&self.error).error(self.message())
    }
}
