//! Stripe behind the booking's [`PaymentGateway`] port: an authorisation is a card-only
//! PaymentIntent with manual capture, its reference the PaymentIntent's id; a capture's
//! reference is the charge's id.

use async_trait::async_trait;
use booking_core::{
    ids::ReservationId,
    money::Money,
    payment::{Authorization, GatewayKind, PaymentError, PaymentGateway, PaymentMethod},
};

use crate::{Authorize, Config, IntentStatus, PaymentIntent, Stripe, StripeError};

/// The [`PaymentGateway`] on Stripe.
#[derive(Debug, Clone)]
pub struct StripeGateway {
    stripe: Stripe,
}

impl StripeGateway {
    pub fn new(stripe: Stripe) -> Self {
        StripeGateway { stripe }
    }

    /// Stripe with `secret_key`, at `api_base` ([`API_BASE`](crate::API_BASE) when `None`;
    /// an emulator's loopback URL in tests), with the client's default timeout.
    pub fn connect(
        secret_key: impl Into<String>,
        api_base: Option<String>,
    ) -> Result<Self, StripeError> {
        let config = Config {
            api_base: api_base.unwrap_or_else(|| crate::API_BASE.into()),
            ..Config::new(secret_key)
        };
        Ok(StripeGateway::new(Stripe::new(config)?))
    }
}

impl From<StripeError> for PaymentError {
    fn from(e: StripeError) -> Self {
        match e {
            StripeError::Card {
                code,
                decline_code,
                message,
                ..
            } => PaymentError::Declined(format!("{message} ({})", decline_code.unwrap_or(code))),
            StripeError::Transient(m) => PaymentError::Transient(m),
            e @ StripeError::Platform { .. } => PaymentError::Platform(e.to_string()),
        }
    }
}

/// What a PaymentIntent's state means for the booking once it has been confirmed.
fn authorization(pi: PaymentIntent) -> Result<Authorization, PaymentError> {
    match pi.status {
        // Succeeded: captured already (a replay after the capture).
        IntentStatus::RequiresCapture | IntentStatus::Succeeded => {
            Ok(Authorization::Authorized { reference: pi.id })
        }
        IntentStatus::RequiresAction => match pi.client_secret {
            Some(client_secret) => Ok(Authorization::ActionRequired {
                reference: pi.id,
                client_secret,
            }),
            None => Err(PaymentError::Platform(format!(
                "{} asks for authentication but gave no client secret",
                pi.id
            ))),
        },
        IntentStatus::RequiresPaymentMethod | IntentStatus::Canceled => {
            let error = pi.last_payment_error.unwrap_or_default();
            Err(PaymentError::Declined(format!(
                "{} ({})",
                error.message.as_deref().unwrap_or("the card was declined"),
                error
                    .decline_code
                    .or(error.code)
                    .as_deref()
                    .unwrap_or("card_declined")
            )))
        }
        IntentStatus::Processing | IntentStatus::RequiresConfirmation | IntentStatus::Other => Err(
            PaymentError::Transient(format!("{} is still {:?}", pi.id, pi.status)),
        ),
    }
}

#[async_trait]
impl PaymentGateway for StripeGateway {
    fn kind(&self) -> GatewayKind {
        GatewayKind::Stripe
    }

    async fn authorize(
        &self,
        reservation: ReservationId,
        amount: Money,
        method: &PaymentMethod,
    ) -> Result<Authorization, PaymentError> {
        let reservation = reservation.to_string();
        let request = Authorize {
            reservation_id: &reservation,
            amount_minor: amount.minor,
            currency: amount.currency.code(),
            payment_method: method.as_str(),
        };
        authorization(self.stripe.authorize(&request).await?)
    }

    async fn authorization(
        &self,
        _reservation: ReservationId,
        reference: &str,
    ) -> Result<Authorization, PaymentError> {
        authorization(self.stripe.retrieve(reference).await?)
    }

    async fn capture(
        &self,
        reservation: ReservationId,
        authorization: &str,
    ) -> Result<String, PaymentError> {
        let pi = match self
            .stripe
            .capture(&reservation.to_string(), authorization)
            .await
        {
            Ok(pi) => pi,
            // Captured already (a concurrent run, or a gateway that forgot the key): the
            // PaymentIntent says so, and its charge is the answer.
            Err(StripeError::Platform { .. }) => match self.stripe.retrieve(authorization).await? {
                pi if pi.status == IntentStatus::Succeeded => pi,
                pi => {
                    return Err(PaymentError::Platform(format!(
                        "{} cannot be captured: it is {:?}",
                        pi.id, pi.status
                    )));
                }
            },
            Err(e) => return Err(e.into()),
        };
        match (pi.status, pi.charge()) {
            (IntentStatus::Succeeded, Some(charge)) => Ok(charge.to_owned()),
            (status, _) => Err(PaymentError::Platform(format!(
                "{} was captured but is {status:?} without a charge",
                pi.id
            ))),
        }
    }

    async fn void(
        &self,
        reservation: ReservationId,
        authorization: &str,
    ) -> Result<(), PaymentError> {
        match self
            .stripe
            .void(&reservation.to_string(), authorization)
            .await
        {
            Ok(_) => Ok(()),
            // Cancelled already: the PaymentIntent says so. Captured: not ours to void.
            Err(StripeError::Platform { .. }) => {
                let pi = self.stripe.retrieve(authorization).await?;
                match pi.status {
                    IntentStatus::Canceled => Ok(()),
                    status => Err(PaymentError::Platform(format!(
                        "{} cannot be voided: it is {status:?}",
                        pi.id
                    ))),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn refund(
        &self,
        reservation: ReservationId,
        charge: &str,
        amount: Money,
    ) -> Result<String, PaymentError> {
        let refund = self
            .stripe
            .refund(&reservation.to_string(), charge, amount.minor)
            .await?;
        Ok(refund.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(json: &str) -> PaymentIntent {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_payment_intents_state_is_what_the_booking_makes_of_it() {
        // Authorised (or already captured): the PaymentIntent is the reference
        for status in ["requires_capture", "succeeded"] {
            let pi = intent(&format!(
                r#"{{"id": "pi_1", "status": "{status}", "amount": 900, "currency": "eur"}}"#
            ));
            let expected = Authorization::Authorized {
                reference: "pi_1".into(),
            };
            assert_eq!(authorization(pi), Ok(expected), "{status}");
        }
        // 3-D Secure: the client secret goes to the browser
        let pi = intent(
            r#"{"id": "pi_2", "status": "requires_action", "amount": 900, "currency": "eur",
            "client_secret": "pi_2_secret_x"}"#,
        );
        let expected = Authorization::ActionRequired {
            reference: "pi_2".into(),
            client_secret: "pi_2_secret_x".into(),
        };
        assert_eq!(authorization(pi), Ok(expected));
        // Failed authentication or a decline after it: declined, with Stripe's code
        let pi = intent(
            r#"{"id": "pi_3", "status": "requires_payment_method", "amount": 900,
            "currency": "eur", "last_payment_error": {"code": "card_declined",
            "decline_code": "insufficient_funds", "message": "Your card has insufficient funds."}}"#,
        );
        assert_eq!(
            authorization(pi),
            Err(PaymentError::Declined(
                "Your card has insufficient funds. (insufficient_funds)".into()
            ))
        );
        // Still processing: worth asking again
        let pi =
            intent(r#"{"id": "pi_4", "status": "processing", "amount": 900, "currency": "eur"}"#);
        assert!(matches!(authorization(pi), Err(PaymentError::Transient(_))));
    }

    #[test]
    fn stripes_errors_keep_their_kind_and_the_decline_code() {
        let card = StripeError::Card {
            code: "card_declined".into(),
            decline_code: Some("stolen_card".into()),
            message: "Your card was declined.".into(),
            intent: None,
        };
        assert_eq!(
            PaymentError::from(card),
            PaymentError::Declined("Your card was declined. (stolen_card)".into())
        );
        assert_eq!(
            PaymentError::from(StripeError::Transient("HTTP 503".into())),
            PaymentError::Transient("HTTP 503".into())
        );
        let platform = StripeError::Platform {
            status: 401,
            message: "Invalid API Key provided".into(),
        };
        assert!(
            matches!(PaymentError::from(platform), PaymentError::Platform(m) if m.contains("401"))
        );
    }
}
