//! ULID identifiers, one newtype per entity so they cannot be mixed up.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ulid::Ulid;

use crate::FieldError;

/// The one reading of a ULID, for `parse` and serde alike.
///
/// 26 Crockford base32 characters hold 130 bits, and the ulid crate drops the two above
/// 128, so `8` + the last 25 characters of an id would name the same id: a first
/// character above `7` is refused, so each id has one spelling (up to case: lower case is
/// Crockford too, and ids are always printed in upper case).
fn parse_ulid(s: &str) -> Result<Ulid, &'static str> {
    let ulid = Ulid::from_str(s).map_err(|_| "must be a 26-character ULID")?;
    if s.as_bytes().first().is_some_and(|&b| b > b'7') {
        return Err("must be a 26-character ULID whose first character is at most 7");
    }
    Ok(ulid)
}

macro_rules! ulid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Ulid);

        impl $name {
            pub fn new() -> Self {
                Self(Ulid::generate())
            }

            /// Parses a client's or a store's id; `field` names the input in errors.
            pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
                parse_ulid(s)
                    .map(Self)
                    .map_err(|reason| FieldError::new(field, reason))
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
                parse_ulid(&s).map(Self).map_err(serde::de::Error::custom)
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

    /// `8` + the last 25 characters of an id: the ulid crate drops the two bits above 128.
    fn alias_of(id: &str) -> String {
        format!("8{}", &id[1..])
    }

    #[test]
    fn an_id_whose_first_character_is_above_7_is_refused_rather_than_aliasing_another() {
        // Given a real id and its alias with an overflowing first character
        let id = ServiceId::new().to_string();
        for first in ['8', '9', 'A', 'Z', 'z'] {
            let alias = format!("{first}{}", &id[1..]);
            // When it is parsed
            let err = ServiceId::parse("id", &alias).unwrap_err();
            // Then it is refused, naming the field and saying why
            assert_eq!(err.field, "id");
            assert!(err.reason.contains("at most 7"), "{}", err.reason);
        }
    }

    #[test]
    fn the_largest_canonical_id_still_parses() {
        // Given the largest 128-bit ULID
        let max = "7ZZZZZZZZZZZZZZZZZZZZZZZZZ";
        // When it is parsed, then it comes back unchanged
        assert_eq!(UserId::parse("id", max).unwrap().to_string(), max);
    }

    #[test]
    fn json_refuses_the_alias_like_parse_does() {
        // Given the JSON string of an id's alias
        let id = ReservationId::new().to_string();
        let json = serde_json::to_string(&alias_of(&id)).unwrap();
        // When it is deserialised, then it is refused with the same reason as parse gives
        let err = serde_json::from_str::<ReservationId>(&json).unwrap_err();
        let reason = ReservationId::parse("id", &alias_of(&id))
            .unwrap_err()
            .reason;
        assert!(err.to_string().contains(&reason), "{err}");
    }

    #[test]
    fn a_lower_case_id_is_the_same_id_and_prints_upper_case() {
        // Given an id written in lower case (Crockford base32 is case-insensitive)
        let id = UserId::new();
        let lower = id.to_string().to_ascii_lowercase();
        // When it is parsed, by hand or from JSON
        let parsed = UserId::parse("id", &lower).unwrap();
        let from_json = serde_json::from_str::<UserId>(&format!("\"{lower}\"")).unwrap();
        // Then it is the same id, and it is always printed in the canonical upper case
        assert_eq!((parsed, from_json), (id, id));
        assert_eq!(parsed.to_string(), id.to_string().to_ascii_uppercase());
    }
}
