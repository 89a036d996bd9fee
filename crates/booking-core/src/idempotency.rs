//! What makes a booking idempotent: the client's `Idempotency-Key`, parsed once, and the
//! fingerprint of the request it was first used with.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{FieldError, error::deserialize_parsed, ids::ServiceId, payment::PaymentMethod};

/// A client's `Idempotency-Key`: 1 to 255 visible ASCII characters, as the IETF
/// idempotency-key draft suggests (a UUID or ULID in practice). One per booking attempt, so
/// a retried request books and charges once.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// `field` names the input in errors (the header, for a client).
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let visible = raw.bytes().all(|b| (0x21..=0x7e).contains(&b));
        if raw.is_empty() || raw.len() > 255 || !visible {
            return Err(FieldError::new(
                field,
                "must be 1 to 255 visible ASCII characters",
            ));
        }
        Ok(IdempotencyKey(raw.to_owned()))
    }
}

parsed_string!(IdempotencyKey, |s| IdempotencyKey::parse(
    "idempotencyKey",
    s
));

/// The canonical form of a booking request, to tell a replay from a reused key: the
/// service, the start (whole milliseconds) and the payment method, written
/// `<serviceId>|<startMs>|<paymentMethod>` (the last part empty without one: paid at the
/// venue).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    service: ServiceId,
    start_ms: i64,
    method: Option<PaymentMethod>,
}

impl Fingerprint {
    pub fn of(service: ServiceId, start: Timestamp, method: Option<&PaymentMethod>) -> Self {
        Fingerprint {
            service,
            start_ms: start.as_millisecond(),
            method: method.cloned(),
        }
    }

    /// Reads the written form back; `field` names the input in errors.
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let bad = || FieldError::new(field, "must be <serviceId>|<startMs>|<paymentMethod>");
        let mut parts = s.split('|');
        let (Some(service), Some(start_ms), Some(method), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        Ok(Fingerprint {
            service: ServiceId::parse(field, service).map_err(|_| bad())?,
            start_ms: start_ms.parse().map_err(|_| bad())?,
            method: match method {
                "" => None,
                m => Some(PaymentMethod::parse(field, m).map_err(|_| bad())?),
            },
        })
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (service, ms) = (self.service, self.start_ms);
        let method = self.method.as_ref().map_or("", PaymentMethod::as_str);
        write!(f, "{service}|{ms}|{method}")
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_parsed(d, |s| Fingerprint::parse("fingerprint", s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_1_to_255_visible_ascii_characters() {
        for ok in ["k", "01KB2Z8Q0000000000000000S1", &"x".repeat(255), "!~"] {
            assert_eq!(
                IdempotencyKey::parse("Idempotency-Key", ok)
                    .unwrap()
                    .as_str(),
                ok
            );
        }
        for bad in ["", " ", "a b", "clé", "tab\t", &"x".repeat(256)] {
            let e = IdempotencyKey::parse("Idempotency-Key", bad).unwrap_err();
            assert_eq!(e.field, "Idempotency-Key", "{bad:?}");
            assert_eq!(e.reason, "must be 1 to 255 visible ASCII characters");
        }
    }

    #[test]
    fn a_fingerprint_reads_back_what_it_writes() {
        let start: Timestamp = "2026-12-01T09:00:00.250Z".parse().unwrap();
        let service = ServiceId::parse("s", "01KB2Z8Q0000000000000000S1").unwrap();
        let fp = Fingerprint::of(service, start, Some(&PaymentMethod::visa()));
        let written = "01KB2Z8Q0000000000000000S1|1796115600250|pm_card_visa";
        assert_eq!(fp.to_string(), written);
        assert_eq!(Fingerprint::parse("fingerprint", written), Ok(fp.clone()));
        assert_eq!(serde_json::to_value(fp).unwrap(), written);
        // Without a payment method (paid at the venue), the last part is empty
        let venue = Fingerprint::of(service, start, None);
        let written_venue = "01KB2Z8Q0000000000000000S1|1796115600250|";
        assert_eq!(venue.to_string(), written_venue);
        assert_eq!(Fingerprint::parse("fingerprint", written_venue), Ok(venue));
        for bad in [
            "fp",
            "x|1|pm_card_visa",
            &format!("{written}|x"),
            &written.replace("250|", "x|"),
        ] {
            assert!(Fingerprint::parse("fingerprint", bad).is_err(), "{bad}");
        }
    }
}
