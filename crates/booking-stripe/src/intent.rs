//! The fields of Stripe's objects this client reads, and nothing else: a newer (or older,
//! or emulated) answer with more fields, or fewer optional ones, still parses.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

/// A PaymentIntent, as far as the booking saga needs it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PaymentIntent {
    /// `pi_...`.
    pub id: String,
    pub status: IntentStatus,
    /// In minor units.
    pub amount: i64,
    /// Lower case (`eur`).
    pub currency: String,
    /// What a capture can still take (an authorised, uncaptured amount).
    #[serde(default)]
    pub amount_capturable: i64,
    /// What was captured.
    #[serde(default)]
    pub amount_received: i64,
    /// For Stripe.js to finish a 3-D Secure challenge; never logged.
    pub client_secret: Option<String>,
    /// The charge of current API versions (`ch_...`); read it with [`PaymentIntent::charge`].
    #[serde(default, deserialize_with = "charge_id")]
    latest_charge: Option<String>,
    /// The charges list of old API versions (and of localstripe).
    #[serde(default, deserialize_with = "charge_id")]
    charges: Option<String>,
    pub last_payment_error: Option<LastPaymentError>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

impl PaymentIntent {
    /// The charge a capture made (`ch_...`): `latest_charge` in current API versions, the
    /// first of `charges` in old ones.
    pub fn charge(&self) -> Option<&str> {
        self.latest_charge.as_deref().or(self.charges.as_deref())
    }

    /// The reservation this PaymentIntent pays for (`metadata[reservationId]`).
    pub fn reservation_id(&self) -> Option<&str> {
        self.metadata.get("reservationId").map(String::as_str)
    }
}

/// A PaymentIntent's status; one this client does not know is [`IntentStatus::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    /// 3-D Secure: the customer must authenticate (Stripe.js, with the client secret).
    RequiresAction,
    Processing,
    /// Authorised: the money is held on the card until a capture or a cancel.
    RequiresCapture,
    Canceled,
    /// Captured.
    Succeeded,
    #[serde(other)]
    Other,
}

/// Why the last attempt to pay failed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct LastPaymentError {
    pub code: Option<String>,
    pub decline_code: Option<String>,
    pub message: Option<String>,
}

/// A refund.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Refund {
    /// `re_...`.
    pub id: String,
    /// In minor units.
    pub amount: i64,
    /// `succeeded`, `pending`, `failed`, ...
    pub status: Option<String>,
}

/// `"ch_1"`, `{"id": "ch_1", ...}` or `{"data": [{"id": "ch_1", ...}]}` (a charges list).
fn charge_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?;
    let id = |v: &serde_json::Value| v.get("id").and_then(|id| id.as_str()).map(str::to_owned);
    Ok(match value {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(v) if v.get("data").is_some() => {
            v["data"].as_array().and_then(|a| a.first()).and_then(id)
        }
        Some(v) => id(&v),
        None => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_current_payment_intent_is_read_by_the_fields_used() {
        // Given a PaymentIntent as the current API answers it, with fields we do not read
        let pi: PaymentIntent = serde_json::from_str(
            r#"{"id": "pi_1", "object": "payment_intent", "status": "requires_capture",
            "amount": 2500, "amount_capturable": 2500, "amount_received": 0, "currency": "eur",
            "client_secret": "pi_1_secret_x", "latest_charge": "ch_1",
            "metadata": {"reservationId": "01KB5ZQ8GQ4W3N9V7Y2X1M0PAB"},
            "payment_method_options": {"card": {"request_three_d_secure": "automatic"}}}"#,
        )
        .unwrap();
        // Then what the saga needs is there
        assert_eq!(pi.status, IntentStatus::RequiresCapture);
        assert_eq!((pi.amount, pi.amount_capturable), (2500, 2500));
        assert_eq!(pi.charge(), Some("ch_1"));
        assert_eq!(pi.reservation_id(), Some("01KB5ZQ8GQ4W3N9V7Y2X1M0PAB"));
    }

    #[test]
    fn an_old_api_versions_charges_list_and_an_unknown_status_still_parse() {
        // Given an answer in the 2017 shape (a charges list, no latest_charge) with a status
        // this client does not know and no metadata
        let pi: PaymentIntent = serde_json::from_str(
            r#"{"id": "pi_2", "status": "requires_source_action", "amount": 900,
            "currency": "eur", "charges": {"object": "list", "data": [{"id": "ch_9"}]}}"#,
        )
        .unwrap();
        // Then it reads, with the charge found and the status marked unknown
        assert_eq!(pi.status, IntentStatus::Other);
        assert_eq!(pi.charge(), Some("ch_9"));
        assert_eq!(pi.reservation_id(), None);
        assert_eq!((pi.amount_capturable, pi.amount_received), (0, 0));
    }
}
