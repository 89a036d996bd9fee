//! The one error type of the domain boundary; booking-api maps it to HTTP once.

use std::fmt;

/// A rejected input value: which field, and why, in words a client developer can act on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

/// Reads back what [`fmt::Display`] writes, `field: reason`: a rule violation crosses the
/// state machine as that message alone.
impl std::str::FromStr for FieldError {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        let (field, reason) = s.split_once(": ").ok_or(())?;
        Ok(FieldError::new(field, reason))
    }
}

/// Deserialises a value that is read from a string by its `parse`, so that serde takes
/// exactly what `parse` takes, and says why not in the same words.
pub(crate) fn deserialize_parsed<'de, D, T>(
    d: D,
    parse: impl FnOnce(&str) -> Result<T, FieldError>,
) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
    parse(&s).map_err(|e| serde::de::Error::custom(e.reason))
}

/// Everything a use case can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input broke a rule; nothing was changed.
    #[error("invalid input: {}", list(.0))]
    Invalid(Vec<FieldError>),
    /// The entity does not exist (or the caller may not know that it does).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request is valid but clashes with the current state (duplicate email, ...).
    #[error("conflict on {field}: {reason}")]
    Conflict { field: &'static str, reason: String },
    /// Unknown email or wrong password; deliberately indistinguishable.
    #[error("invalid email or password")]
    InvalidCredentials,
    /// Too many attempts (failed logins, registrations); the client may retry after the
    /// given number of seconds.
    #[error("too many attempts, retry after {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u64 },
    /// The caller's current role does not allow the change (re-checked by the store).
    #[error("your role does not allow this operation")]
    Forbidden,
    /// Every slot of a bounded resource (password hashing) stayed busy for the whole wait;
    /// nothing was done and the client may retry after the given number of seconds.
    #[error("busy, retry after {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
    /// A rule of the business rejects an otherwise well-formed request (outside opening
    /// hours, inside the minimum notice, ...): HTTP 422.
    #[error("rule violated on {field}: {reason}")]
    Rule { field: &'static str, reason: String },
    /// Every place of a slot unit the booking needs is taken.
    #[error("the slot is no longer available")]
    SlotUnavailable,
    /// The hold lapsed before the booking was confirmed.
    #[error("the hold expired before confirmation")]
    HoldExpired,
    /// A per-customer limit (active holds, upcoming reservations) is reached.
    #[error("limit reached: {0}")]
    LimitExceeded(String),
    /// The reservation is not in a status that allows the change.
    #[error("a {from} reservation cannot become {to}")]
    IllegalTransition {
        from: &'static str,
        to: &'static str,
    },
    /// A storage adapter failed; the cause is for the logs, never for the client.
    #[error("storage failure")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
}

fn list(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The error and its sources, "outer: inner: ...", for the logs: a storage failure shows
/// its cause (the SDK's, the JSON's) rather than only "storage failure".
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

impl Error {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Invalid(vec![FieldError::new(field, reason)])
    }
}

impl From<FieldError> for Error {
    fn from(e: FieldError) -> Self {
        Error::Invalid(vec![e])
    }
}

/// Collects field errors so a client learns about every bad field in one response.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    /// An optional parameter parsed by `parse(field, value)` when present; a bad one is kept.
    pub fn optional<T>(
        &mut self,
        field: &str,
        value: Option<&str>,
        parse: impl FnOnce(&str, &str) -> Result<T, FieldError>,
    ) -> Option<T> {
        value.and_then(|v| self.check(parse(field, v)))
    }

    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    pub fn into_result(self) -> Result<(), Error> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self.0))
        }
    }
}

/// The fields an [`Error::Invalid`] names, for tests; panics on any other error.
#[cfg(test)]
pub(crate) fn invalid_fields(err: Error) -> Vec<String> {
    match err {
        Error::Invalid(list) => list.into_iter().map(|e| e.field).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_names_every_cause_outermost_first() {
        // Given a storage failure caused by an I/O error
        let io = std::io::Error::other("connection reset");
        let store = Error::Store(Box::new(io));
        // Then its chain shows both, the domain's words first
        assert_eq!(chain(&store), "storage failure: connection reset");
    }
}
