//! Stripe webhooks: the `Stripe-Signature` check (HMAC-SHA256 over `timestamp.body` with
//! the endpoint's secret, as <https://docs.stripe.com/webhooks#verify-manually> defines
//! it) and the few fields of an event the booking reads.

use ring::hmac;
use serde::Deserialize;

/// How far a signature's timestamp may be from now, either way: Stripe's own libraries'
/// default (five minutes), which bounds how long a captured request can be replayed.
pub const TOLERANCE_SECONDS: i64 = 300;

/// Why a webhook request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the Stripe-Signature header is missing or malformed")]
    Malformed,
    #[error("the signature's timestamp is more than {TOLERANCE_SECONDS} s from now")]
    Stale,
    #[error("no v1 signature matches any webhook secret")]
    Mismatch,
    #[error("the body is not a Stripe event: {0}")]
    NotAnEvent(String),
}

/// Checks `header` (`t=...,v1=...[,v1=...]`) over the raw `body` against every secret in
/// `secrets` (more than one while a secret is being rotated), at `now` (Unix seconds).
/// Any one matching `v1` signature within the tolerance accepts the request.
pub fn verify(body: &[u8], header: &str, secrets: &[&str], now: i64) -> Result<(), WebhookError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = Some(t),
            Some(("v1", sig)) => signatures.push(decode_hex(sig).ok_or(WebhookError::Malformed)?),
            // v0 (test-mode legacy) and future schemes are ignored, as Stripe's libraries do.
            Some(_) => {}
            None => return Err(WebhookError::Malformed),
        }
    }
    let t = timestamp.ok_or(WebhookError::Malformed)?;
    let at: i64 = t.parse().map_err(|_| WebhookError::Malformed)?;
    if signatures.is_empty() {
        return Err(WebhookError::Malformed);
    }
    if (now - at).abs() > TOLERANCE_SECONDS {
        return Err(WebhookError::Stale);
    }
    let mut signed = Vec::with_capacity(t.len() + 1 + body.len());
    signed.extend_from_slice(t.as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(body);
    let matches = secrets.iter().any(|secret| {
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
        // ring compares in constant time.
        signatures
            .iter()
            .any(|sig| hmac::verify(&key, &signed, sig).is_ok())
    });
    if matches {
        Ok(())
    } else {
        Err(WebhookError::Mismatch)
    }
}

/// A `Stripe-Signature` header for `body` at `timestamp` under `secret`: what Stripe
/// sends, for the tests that play Stripe's sender.
pub fn sign(body: &[u8], secret: &str, timestamp: i64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(timestamp.to_string().as_bytes());
    ctx.update(b".");
    ctx.update(body);
    let tag = ctx.sign();
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The part of an event the booking reads: which event, of what type, about which
/// PaymentIntent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `evt_...`: deduplicates deliveries.
    pub id: String,
    /// `payment_intent.succeeded`, `charge.refunded`, ...
    pub kind: String,
    /// The PaymentIntent the event is about: the object itself for `payment_intent.*`,
    /// the object's `payment_intent` for charges and disputes; `None` for anything else.
    pub payment_intent: Option<String>,
}

#[derive(Deserialize)]
struct RawEvent {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: RawData,
}

#[derive(Deserialize)]
struct RawData {
    object: RawObject,
}

#[derive(Deserialize)]
struct RawObject {
    id: Option<String>,
    object: Option<String>,
    payment_intent: Option<serde_json::Value>,
}

impl Event {
    /// Reads an event from a (verified) body.
    pub fn parse(body: &[u8]) -> Result<Self, WebhookError> {
        let raw: RawEvent =
            serde_json::from_slice(body).map_err(|e| WebhookError::NotAnEvent(e.to_string()))?;
        let object = raw.data.object;
        let payment_intent = if object.object.as_deref() == Some("payment_intent") {
            object.id
        } else {
            match object.payment_intent {
                Some(serde_json::Value::String(id)) => Some(id),
                Some(v) => v.get("id").and_then(|id| id.as_str()).map(str::to_owned),
                None => None,
            }
        };
        Ok(Event {
            id: raw.id,
            kind: raw.kind,
            payment_intent,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","object":"payment_intent"}}}"#;
    const T: i64 = 1_780_272_000;
    /// HMAC-SHA256 of `1780272000.` + BODY under `whsec_test_secret`, computed with
    /// Python's hmac module (an implementation other than this one).
    const SIG: &str = "ae31e3d846c420f985a2addfb7db681ae04da4f5e1bdc3ec2a32a5e951db0bfc";
    /// The same under `whsec_old_secret`.
    const OLD_SIG: &str = "682df0e3427620afeb10ae166eab61dfefdeebbbffa3318004aec70c825c57d6";

    #[test]
    fn a_signature_by_the_secret_within_the_tolerance_is_accepted() {
        let header = format!("t={T},v1={SIG}");
        assert_eq!(verify(BODY, &header, &["whsec_test_secret"], T), Ok(()));
        assert_eq!(
            verify(BODY, &header, &["whsec_test_secret"], T + 300),
            Ok(())
        );
        assert_eq!(
            verify(BODY, &header, &["whsec_test_secret"], T - 300),
            Ok(())
        );
        // And what sign() writes is the same header
        assert_eq!(sign(BODY, "whsec_test_secret", T), header);
    }

    #[test]
    fn during_a_rotation_either_secret_and_either_signature_is_accepted() {
        // Given a delivery signed with both secrets (Stripe signs with each active one)
        let header = format!("t={T},v1={OLD_SIG},v1={SIG},v0=00");
        // Then the old secret alone, the new alone, or both accept it
        for secrets in [
            &["whsec_old_secret"][..],
            &["whsec_test_secret"],
            &["x", "whsec_test_secret"],
        ] {
            assert_eq!(verify(BODY, &header, secrets, T), Ok(()), "{secrets:?}");
        }
    }

    #[test]
    fn a_forged_stale_or_malformed_signature_is_refused() {
        let good = format!("t={T},v1={SIG}");
        // A changed body, another secret, another timestamp: no match
        let mut forged = BODY.to_vec();
        forged[10] = b'2';
        assert_eq!(
            verify(&forged, &good, &["whsec_test_secret"], T),
            Err(WebhookError::Mismatch)
        );
        assert_eq!(
            verify(BODY, &good, &["whsec_other"], T),
            Err(WebhookError::Mismatch)
        );
        let moved = format!("t={},v1={SIG}", T + 1);
        assert_eq!(
            verify(BODY, &moved, &["whsec_test_secret"], T),
            Err(WebhookError::Mismatch)
        );
        // Outside five minutes either way: stale, whatever the signature
        for now in [T + 301, T - 301] {
            assert_eq!(
                verify(BODY, &good, &["whsec_test_secret"], now),
                Err(WebhookError::Stale)
            );
        }
        // No timestamp, no v1, bad hex, no header at all: malformed
        for header in [
            "",
            "v1=00",
            &format!("t={T}"),
            &format!("t={T},v1=zz"),
            "t=x,v1=00",
            "garbage",
        ] {
            assert_eq!(
                verify(BODY, header, &["whsec_test_secret"], T),
                Err(WebhookError::Malformed),
                "{header}"
            );
        }
    }

    #[test]
    fn an_event_names_its_payment_intent_whatever_its_object() {
        let pi = Event::parse(BODY).unwrap();
        assert_eq!(
            pi,
            Event {
                id: "evt_1".into(),
                kind: "payment_intent.succeeded".into(),
                payment_intent: Some("pi_1".into())
            }
        );
        let refunded = Event::parse(
            br#"{"id":"evt_2","type":"charge.refunded","data":{"object":{"id":"ch_1","object":"charge","payment_intent":"pi_7"}}}"#,
        )
        .unwrap();
        assert_eq!(refunded.payment_intent.as_deref(), Some("pi_7"));
        let other = Event::parse(
            br#"{"id":"evt_3","type":"customer.created","data":{"object":{"id":"cus_1","object":"customer"}}}"#,
        )
        .unwrap();
        assert_eq!(other.payment_intent, None);
        assert!(matches!(
            Event::parse(b"{}"),
            Err(WebhookError::NotAnEvent(_))
        ));
    }
}
