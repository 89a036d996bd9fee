//! The one mapping from errors to HTTP: RFC 9457 `application/problem+json` bodies that name
//! the field and the reason. A 500 says nothing of its cause to the client; the whole cause
//! chain goes to the log instead.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use booking_core::{Error, booking::TaskError, error::chain};
use serde::Serialize;
use utoipa::ToSchema;

use crate::wire::formats::Status;

/// One bad field of a request and why it was refused.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({"field": "password", "reason": "must be at least 10 characters long"})))]
pub struct FieldError {
    /// The field's path in the body (`cancellation.lateRefundPercent`, `weeklyHours.mon[0].open`),
    /// a query parameter, a header (`Idempotency-Key`), `id` for the path, or `body` for the
    /// body as a whole.
    field: String,
    /// Why, in words a client developer can act on.
    reason: String,
}

impl FieldError {
    fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<booking_core::FieldError> for FieldError {
    fn from(e: booking_core::FieldError) -> Self {
        FieldError::new(e.field, e.reason)
    }
}

/// Declares [`Kind`], every problem type this API answers with, and its one row each: the
/// status, the `type` (a path under `/problems/`) and the title.
macro_rules! kinds {
    ($($kind:ident => $status:ident, $slug:literal, $title:literal;)*) => {
        /// A problem type.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Kind { $($kind),* }

        impl Kind {
            fn row(self) -> (StatusCode, &'static str, &'static str) {
                match self {
                    $(Kind::$kind => (StatusCode::$status, concat!("/problems/", $slug), $title),)*
                }
            }
        }
    };
}

kinds! {
    Validation => BAD_REQUEST, "validation-error", "The request is invalid";
    Unauthorized => UNAUTHORIZED, "unauthorized", "Authentication required";
    PaymentDeclined => PAYMENT_REQUIRED, "payment-declined", "Payment declined";
    Forbidden => FORBIDDEN, "forbidden", "Forbidden";
    NotFound => NOT_FOUND, "not-found", "Not found";
    MethodNotAllowed => METHOD_NOT_ALLOWED, "method-not-allowed", "Method not allowed";
    RequestTimeout => REQUEST_TIMEOUT, "request-timeout", "Request timeout";
    Conflict => CONFLICT, "conflict", "Conflict";
    SlotUnavailable => CONFLICT, "slot-unavailable", "The slot is no longer available";
    HoldExpired => CONFLICT, "hold-expired", "The hold expired before payment";
    NotCancellable => CONFLICT, "not-cancellable", "The reservation cannot change";
    PayloadTooLarge => PAYLOAD_TOO_LARGE, "payload-too-large", "Request body too large";
    UnsupportedMediaType => UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Unsupported media type";
    RuleViolation => UNPROCESSABLE_ENTITY, "rule-violation", "The request breaks a booking rule";
    InvalidRequest => UNPROCESSABLE_ENTITY, "invalid-request", "The request cannot be processed";
    TooManyAttempts => TOO_MANY_REQUESTS, "too-many-attempts", "Too many attempts";
    LimitExceeded => TOO_MANY_REQUESTS, "limit-exceeded", "Limit reached";
    Internal => INTERNAL_SERVER_ERROR, "internal", "Internal error";
    Unavailable => SERVICE_UNAVAILABLE, "temporarily-unavailable", "Temporarily unavailable; try again";
}

/// An error, as RFC 9457 `application/problem+json`. A validation error names each bad
/// field and why.
// Build one from a core [`Error`] or with the constructors below.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(examples(json!({
    "type": "/problems/validation-error",
    "title": "The request is invalid",
    "status": 400,
    "detail": "password: must be at least 10 characters long",
    "errors": [{"field": "password", "reason": "must be at least 10 characters long"}]
})))]
pub struct Problem {
    /// The kind of problem, a path under `/problems/`: `validation-error`, `unauthorized`,
    /// `forbidden`, `not-found`, `conflict`, `too-many-attempts`, `payload-too-large`,
    /// `unsupported-media-type`, `rule-violation`, `slot-unavailable`, `hold-expired`,
    /// `payment-declined`, `limit-exceeded`, `invalid-request`, `not-cancellable`,
    /// `temporarily-unavailable`, `internal`, ...
    #[serde(rename = "type")]
    #[schema(
        pattern = "^/problems/[a-z-]+$",
        examples("/problems/validation-error")
    )]
    kind: &'static str,
    /// A short summary of the kind of problem.
    title: &'static str,
    /// The HTTP status code.
    #[schema(minimum = 400, maximum = 599)]
    status: u16,
    /// What went wrong in this occurrence; for a validation error, `field: reason` of each
    /// bad field, joined by `; `.
    detail: String,
    /// Each bad field (validation errors and rule violations); absent when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(min_items = 1)]
    errors: Vec<FieldError>,
    /// A reservation's status when it refused a change (409); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Status, required = false)]
    current_status: Option<&'static str>,
    #[serde(skip)]
    retry_after: Option<u64>,
}

impl Problem {
    fn new(kind: Kind, detail: impl Into<String>) -> Self {
        let (status, kind, title) = kind.row();
        Problem {
            kind,
            title,
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            current_status: None,
            retry_after: None,
        }
    }

    /// 400 for one bad field.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Problem::validation(vec![booking_core::FieldError::new(field, reason)])
    }

    /// 400 listing every bad field.
    pub fn validation(errors: Vec<booking_core::FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        Problem {
            errors: errors.into_iter().map(Into::into).collect(),
            ..Problem::new(Kind::Validation, detail)
        }
    }

    pub fn unauthorized(detail: &str) -> Self {
        Problem::new(Kind::Unauthorized, detail)
    }

    pub fn forbidden() -> Self {
        Problem::new(Kind::Forbidden, "your role does not allow this operation")
    }

    pub fn not_found(what: &str) -> Self {
        Problem::new(Kind::NotFound, format!("{what} not found"))
    }

    pub fn method_not_allowed() -> Self {
        Problem::new(
            Kind::MethodNotAllowed,
            "this route does not accept that method",
        )
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Problem::new(
            Kind::PayloadTooLarge,
            format!("the body must be at most {limit} bytes"),
        )
    }

    /// 408 from a server that gives each request a deadline (booking-local; on AWS, API
    /// Gateway has its own).
    pub fn request_timeout() -> Self {
        Problem::new(
            Kind::RequestTimeout,
            "the request took too long to arrive or to be answered",
        )
    }

    pub fn unsupported_media_type() -> Self {
        Problem::new(
            Kind::UnsupportedMediaType,
            "send the body as application/json",
        )
    }

    fn internal() -> Self {
        Problem::new(
            Kind::Internal,
            "something went wrong on our side; it has been logged",
        )
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<Error> for Problem {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid(errors) => Problem::validation(errors),
            Error::NotFound(what) => Problem::not_found(what),
            Error::Conflict { field, reason } => Problem {
                errors: vec![FieldError::new(field, reason.clone())],
                ..Problem::new(Kind::Conflict, format!("{field} {reason}"))
            },
            Error::InvalidCredentials => Problem::unauthorized("invalid email or password"),
            Error::TooManyAttempts { retry_after_secs } => Problem {
                retry_after: Some(retry_after_secs),
                ..Problem::new(
                    Kind::TooManyAttempts,
                    format!("too many attempts; retry after {retry_after_secs} seconds"),
                )
            },
            Error::Forbidden => Problem::forbidden(),
            Error::Busy { retry_after_secs } => Problem {
                retry_after: Some(retry_after_secs),
                ..Problem::from(TaskError::ServiceUnavailable(e.to_string()))
            },
            Error::Rule { field, reason } => Problem::rule(field, &reason),
            Error::SlotUnavailable => Problem::from(TaskError::SlotUnavailable(e.to_string())),
            Error::HoldExpired => Problem::from(TaskError::HoldExpired(e.to_string())),
            Error::LimitExceeded(m) => Problem::from(TaskError::LimitExceeded(m)),
            Error::IllegalTransition { from, .. } => Problem {
                current_status: Some(from),
                ..Problem::from(TaskError::NotCancellable(e.to_string()))
            },
            Error::Store(_) => {
                tracing::error!(error = %chain(&e), "request failed");
                Problem::internal()
            }
        }
    }
}

impl Problem {
    /// 422: a well-formed request that a business rule refuses.
    pub fn rule(field: &str, reason: &str) -> Self {
        Problem {
            errors: vec![FieldError::new(field, reason)],
            ..Problem::new(Kind::RuleViolation, format!("{field} {reason}"))
        }
    }
}

impl From<booking_core::reservations::FlowError> for Problem {
    fn from(e: booking_core::reservations::FlowError) -> Self {
        match e {
            booking_core::reservations::FlowError::Core(e) => e.into(),
            booking_core::reservations::FlowError::Task(e) => e.into(),
        }
    }
}

/// How each workflow error name reaches the client; docs/workflows.md lists the same table.
impl From<TaskError> for Problem {
    fn from(e: TaskError) -> Self {
        let detail = e.to_string();
        let kind = match &e {
            TaskError::RuleViolation { field, reason } => return Problem::rule(field, reason),
            TaskError::SlotUnavailable(_) => Kind::SlotUnavailable,
            TaskError::HoldExpired(_) => Kind::HoldExpired,
            TaskError::PaymentDeclined(_) => Kind::PaymentDeclined,
            TaskError::PaymentTransient(_)
            | TaskError::StoreUnavailable(_)
            | TaskError::ServiceUnavailable(_) => Kind::Unavailable,
            TaskError::LimitExceeded(_) => Kind::LimitExceeded,
            TaskError::InvalidRequest(_) => Kind::InvalidRequest,
            TaskError::NotCancellable(_) => Kind::NotCancellable,
            TaskError::NotFound(_) => Kind::NotFound,
        };
        let mut p = Problem::new(kind, detail);
        if kind == Kind::Unavailable {
            p.retry_after = Some(5);
        }
        p
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut res = (status, body).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}
