//! The one reading of an instant a client sends (`start`, `from`, `to`, ...), and the
//! business's time zone.

use std::fmt;

use jiff::{Timestamp, tz::TimeZone};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::FieldError;

/// An IANA time zone with the name it was given, which is how it is stored and shown
/// (`Europe/Madrid`); only names jiff's bundled database knows are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl Zone {
    /// `field` names the input in errors.
    pub fn parse(field: &str, name: &str) -> Result<Self, FieldError> {
        let tz = TimeZone::get(name).map_err(|_| {
            FieldError::new(
                field,
                "must be an IANA time zone name such as Europe/Madrid",
            )
        })?;
        Ok(Zone {
            name: name.to_owned(),
            tz,
        })
    }

    pub fn utc() -> Self {
        Zone {
            name: "UTC".into(),
            tz: TimeZone::UTC,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl Serialize for Zone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name)
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::error::deserialize_parsed(d, |s| Zone::parse("timeZone", s))
    }
}

const NOT_RFC3339: &str =
    "must be an RFC 3339 date-time with an offset, e.g. 2026-12-01T10:00:00+01:00";

const OFFSET_RANGE: &str = "must have an offset between -23:59 and +23:59 (RFC 3339)";

/// Parses an RFC 3339 `date-time` (`2026-12-01T10:00:00+01:00`, `...Z`); `field` names the
/// input in errors.
///
/// jiff's own parser is broader: it takes offsets up to ±25:59 (so `10:00+25:00` books
/// another day), seconds or minutes left out, a space for `T` and `[zone]` annotations.
/// Here the shape is checked against RFC 3339's grammar first, the offset's hour kept to
/// 00..23 and its minute to 00..59; jiff then reads the checked string (and the date's
/// and time's ranges: month 13, February 30, hour 24).
pub fn parse_instant(field: &str, s: &str) -> Result<Timestamp, FieldError> {
    let invalid = |reason| FieldError::new(field, reason);
    let (hours, minutes) = rfc3339_offset(s.as_bytes()).ok_or_else(|| invalid(NOT_RFC3339))?;
    if hours > 23 || minutes > 59 {
        return Err(invalid(OFFSET_RANGE));
    }
    s.parse::<Timestamp>().map_err(|_| invalid(NOT_RFC3339))
}

/// The offset's hours and minutes of an RFC 3339 `date-time` (`Z` is 00:00), or `None`
/// outside its grammar: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`, `T` and `Z` in
/// either case.
fn rfc3339_offset(b: &[u8]) -> Option<(u8, u8)> {
    const SHAPE: &[u8; 19] = b"dddd-dd-ddTdd:dd:dd";
    let head = b.get(..SHAPE.len())?;
    let shape_holds = head.iter().zip(SHAPE).all(|(&c, &want)| match want {
        b'd' => c.is_ascii_digit(),
        b'T' => c.eq_ignore_ascii_case(&b'T'),
        _ => c == want,
    });
    if !shape_holds {
        return None;
    }
    let mut rest = &b[SHAPE.len()..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        rest = &fraction[digits..];
    }
    match rest {
        [z] if z.eq_ignore_ascii_case(&b'Z') => Some((0, 0)),
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            let two = |a: u8, b: u8| {
                (a.is_ascii_digit() && b.is_ascii_digit()).then(|| (a - b'0') * 10 + (b - b'0'))
            };
            Some((two(*h1, *h2)?, two(*m1, *m2)?))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_zone_keeps_its_name_and_refuses_unknown_ones() {
        let madrid = Zone::parse("timeZone", "Europe/Madrid").unwrap();
        assert_eq!(serde_json::to_value(&madrid).unwrap(), "Europe/Madrid");
        assert_eq!(
            serde_json::from_value::<Zone>("Europe/Madrid".into()).unwrap(),
            madrid
        );
        let winter = madrid.time_zone().to_offset(at("2026-12-01T10:00:00Z"));
        assert_eq!(winter.seconds(), 3600);
        let err = Zone::parse("timeZone", "Mars/Olympus").unwrap_err();
        assert_eq!(err.field, "timeZone");
        assert!(serde_json::from_value::<Zone>("Mars/Olympus".into()).is_err());
    }

    #[test]
    fn offsets_of_24_hours_or_more_are_refused_naming_the_field() {
        for offset in ["+24:00", "+25:00", "+25:59", "-24:00", "+23:60"] {
            // Given an offset outside -23:59..+23:59, when it is parsed
            let s = format!("2026-12-01T10:00:00{offset}");
            let err = parse_instant("start", &s).unwrap_err();
            // Then it is refused, naming the field and the allowed range
            assert_eq!(err.field, "start", "{s}");
            assert!(err.reason.contains("+23:59"), "{s}: {}", err.reason);
        }
    }

    #[test]
    fn offsets_up_to_23_59_either_way_and_z_are_accepted() {
        // Given RFC 3339 instants with offsets at and inside the bounds
        for (s, utc) in [
            ("2026-12-01T10:00:00+23:59", "2026-11-30T10:01:00Z"),
            ("2026-12-01T10:00:00-23:59", "2026-12-02T09:59:00Z"),
            ("2026-12-01T10:00:00Z", "2026-12-01T10:00:00Z"),
            ("2026-12-01t10:00:00z", "2026-12-01T10:00:00Z"),
            ("2026-12-01T10:00:00+01:00", "2026-12-01T09:00:00Z"),
            ("2026-12-01T10:00:00.250-05:30", "2026-12-01T15:30:00.25Z"),
        ] {
            // When they are parsed, then they name the same instant as in UTC
            assert_eq!(parse_instant("start", s), Ok(at(utc)), "{s}");
        }
    }

    #[test]
    fn what_rfc_3339_does_not_allow_is_refused() {
        for s in [
            "2026-12-01T10:00:00",
            "2026-12-01T10:00+01:00",
            "2026-12-01T10:00:00+01",
            "2026-12-01T10:00:00+0100",
            "2026-12-01 10:00:00Z",
            "2026-12-01T10:00:00+01:00[Europe/Madrid]",
            "2026-12-01T10:00:00.Z",
            "+002026-12-01T10:00:00Z",
            "2026-12-01T24:00:00Z",
            "2026-13-01T10:00:00Z",
            "2026-02-30T10:00:00Z",
            "2026-12-01T10:00:00Z ",
            "",
        ] {
            // Given a string outside RFC 3339's date-time, when it is parsed
            let err = parse_instant("from", s).unwrap_err();
            // Then it is refused, naming the field
            assert_eq!(err.field, "from", "{s:?}");
        }
    }
}
