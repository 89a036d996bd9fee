//! Domain types, business rules and ports of the appointment-booking backend.
//!
//! Nothing here knows about HTTP or AWS: adapters implement the traits in [`ports`],
//! handlers call the use cases in [`accounts`] and [`catalog`], and every value that reaches
//! a rule has already been validated by its constructor.

pub mod accounts;
pub mod asl;
pub mod availability;
pub mod booking;
pub mod catalog;
pub mod error;
pub mod hashing;
pub mod holds;
pub mod idempotency;
pub mod ids;
pub mod memory;
pub mod money;
pub mod notify;
pub mod password;
pub mod payment;
pub mod ports;
pub mod reports;
pub mod reservation;
pub mod reservations;
pub mod settings;
mod sync;
pub mod time;
pub mod user;
pub mod workflow;

pub use error::{Error, FieldError};
