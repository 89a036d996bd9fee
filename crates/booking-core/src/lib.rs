//! Domain types, business rules and ports of the appointment-booking backend.
//!
//! Nothing here knows about HTTP or AWS: adapters implement the traits in [`ports`],
//! handlers call the use cases in [`accounts`] and [`catalog`], and every value that reaches
//! a rule has already been validated by its constructor.

/// `Debug` for a struct of ports (trait objects, which have none of their own): its name.
macro_rules! debug_by_name {
    ($name:ident<$lt:lifetime>) => {
        impl std::fmt::Debug for $name<$lt> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }
    };
    ($name:ident<$t:ident>) => {
        impl<$t> std::fmt::Debug for $name<$t> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }
    };
}

/// `as_str`, `Display` and a `Deserialize` that goes through `parse`, for a newtype over
/// the `String` its `parse` checked.
macro_rules! parsed_string {
    ($name:ident, $parse:expr) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                crate::error::deserialize_parsed(d, $parse)
            }
        }
    };
}

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
