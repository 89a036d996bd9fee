//! ULID identifiers, one newtype per entity so they cannot be mixed up.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ulid::Ulid;

use crate::FieldError;

macro_rules! ulid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Ulid);

        impl $name {
            pub fn new() -> Self {
                Self(Ulid::generate())
            }

            /// Parses the canonical 26-character ULID form; `field` names the input in errors.
            pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
                Ulid::from_str(s)
                    .map(Self)
                    .map_err(|_| FieldError::new(field, "must be a 26-character ULID"))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Ulid::from_str(&s).map(Self).map_err(|_| {
                    serde::de::Error::custom("must be a 26-character ULID")
                })
            }
        }
    };
}

ulid_id!(
    /// Identifies a user account.
    UserId
);
ulid_id!(
    /// Identifies a service in the catalog.
    ServiceId
);
ulid_id!(
    /// Identifies a reservation; one per (customer, Idempotency-Key).
    ReservationId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_survives_a_json_round_trip() {
        let id = UserId::new();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<UserId>(&json).unwrap(), id);
    }

    #[test]
    fn a_malformed_id_names_the_field() {
        let err = ServiceId::parse("id", "not-a-ulid").unwrap_err();
        assert_eq!(err.field, "id");
    }
}
