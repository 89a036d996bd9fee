//! How a Stripe call fails, in the three kinds the booking saga tells apart.

use serde::Deserialize;

use crate::intent::PaymentIntent;

/// A failed Stripe call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StripeError {
    /// 402: the card was declined or its authentication failed. Final for this payment
    /// method; `decline_code` is the issuer's reason when Stripe gives one.
    #[error("card error ({code}): {message}")]
    Card {
        code: String,
        decline_code: Option<String>,
        message: String,
        /// The PaymentIntent the error happened on, when Stripe sends it back.
        intent: Option<Box<PaymentIntent>>,
    },
    /// 429, 5xx, a timeout or a network failure: worth retrying with the same
    /// idempotency key.
    #[error("transient: {0}")]
    Transient(String),
    /// Any other answer (400, 401, 403, 404, 409, or a body this client cannot read): a
    /// fault in the request or the configuration, which retrying does not fix.
    #[error("stripe answered {status}: {message}")]
    Platform { status: u16, message: String },
}

/// Stripe's error body: `{"error": {"type", "code", "decline_code", "message", ...}}`.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ErrorObject,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorObject {
    code: Option<String>,
    decline_code: Option<String>,
    message: Option<String>,
    payment_intent: Option<PaymentIntent>,
}

impl StripeError {
    /// The error an HTTP answer of `status` with `body` means (for a status that is not a
    /// success).
    pub(crate) fn from_answer(status: u16, body: &[u8]) -> Self {
        let parsed = serde_json::from_slice::<ErrorBody>(body)
            .ok()
            .map(|b| b.error);
        let message = parsed
            .as_ref()
            .and_then(|e| e.message.clone())
            .unwrap_or_else(|| format!("HTTP {status}"));
        match status {
            402 => {
                let e = parsed.unwrap_or_default();
                StripeError::Card {
                    code: e.code.unwrap_or_else(|| "card_declined".to_owned()),
                    decline_code: e.decline_code,
                    message,
                    intent: e.payment_intent.map(Box::new),
                }
            }
            429 | 500..=599 => StripeError::Transient(format!("HTTP {status}: {message}")),
            _ => StripeError::Platform { status, message },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_402_is_a_card_error_with_its_decline_code() {
        // Given Stripe's answer to a declined card
        let body = br#"{"error": {"type": "card_error", "code": "card_declined",
            "decline_code": "insufficient_funds", "message": "Your card has insufficient funds.",
            "payment_intent": {"id": "pi_1", "status": "requires_payment_method",
                "amount": 2500, "currency": "eur"}}}"#;
        // When it is read, then it is final, with Stripe's codes and the PaymentIntent kept
        let StripeError::Card {
            code,
            decline_code,
            message,
            intent,
        } = StripeError::from_answer(402, body)
        else {
            panic!("not a card error");
        };
        assert_eq!(code, "card_declined");
        assert_eq!(decline_code.as_deref(), Some("insufficient_funds"));
        assert_eq!(message, "Your card has insufficient funds.");
        assert_eq!(intent.unwrap().id, "pi_1");
    }

    #[test]
    fn rate_limits_and_server_errors_are_transient_and_the_rest_platform_errors() {
        for status in [429, 500, 502, 503, 504] {
            assert!(
                matches!(
                    StripeError::from_answer(status, b"{}"),
                    StripeError::Transient(_)
                ),
                "{status}"
            );
        }
        let body = br#"{"error": {"type": "invalid_request_error", "message": "No such payment_intent: 'pi_x'"}}"#;
        assert_eq!(
            StripeError::from_answer(404, body),
            StripeError::Platform {
                status: 404,
                message: "No such payment_intent: 'pi_x'".into()
            }
        );
        // And a body that is not Stripe's error shape still gives a clear error
        assert_eq!(
            StripeError::from_answer(401, b"<html>"),
            StripeError::Platform {
                status: 401,
                message: "HTTP 401".into()
            }
        );
    }
}
