//! The parts of a reservation that `ReservationView` shares with the history: its status
//! changes, who made them, and why a booking failed.

use booking_core::reservation;
use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use super::formats::{Role, Status, Ulid};

/// Who made a change: the booking workflow itself, or a user with the role they had.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Actor {
    /// The booking workflow itself.
    System,
    /// A user, with the role they had at the time.
    User {
        #[schema(value_type = Ulid)]
        id: String,
        #[schema(value_type = Role)]
        role: &'static str,
    },
}

impl From<reservation::Actor> for Actor {
    fn from(a: reservation::Actor) -> Self {
        match a {
            reservation::Actor::System => Actor::System,
            reservation::Actor::User { id, role } => Actor::User {
                id: id.to_string(),
                role: role.as_str(),
            },
        }
    }
}

/// One status change in a reservation's history.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusChange {
    #[schema(value_type = String, format = DateTime)]
    at: Timestamp,
    /// The status before; `null` for the first entry (the hold).
    #[schema(value_type = Option<Status>, required = true)]
    from: Option<&'static str>,
    #[schema(value_type = Status)]
    to: &'static str,
    actor: Actor,
    reason: String,
}

impl From<&reservation::StatusChange> for StatusChange {
    fn from(c: &reservation::StatusChange) -> Self {
        StatusChange {
            at: c.at,
            from: c.from.map(reservation::Status::as_str),
            to: c.to.as_str(),
            actor: c.actor.into(),
            reason: c.reason.clone(),
        }
    }
}

/// Why a booking failed: the workflow error's stable name (`PaymentDeclined`,
/// `SlotUnavailable`, ...) and a message.
#[derive(Debug, Serialize, ToSchema)]
pub struct Failure {
    code: String,
    message: String,
}

impl From<&reservation::Failure> for Failure {
    fn from(f: &reservation::Failure) -> Self {
        Failure {
            code: f.code.as_str().to_owned(),
            message: f.message.clone(),
        }
    }
}
