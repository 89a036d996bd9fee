//! The HTTP side: form-encoded requests to Stripe's API with a pinned `Stripe-Version`, an
//! `Idempotency-Key` on every call that moves money (derived from the reservation and the
//! step, so a retry of the same step is the same request), on hyper + rustls with the
//! compiled-in roots of [`crate::tls`].

use std::{fmt, time::Duration};

use http_body_util::{BodyExt, Full, Limited};
use hyper::{
    Method, Request,
    body::Bytes,
    header::{self, HeaderValue},
};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use serde::de::DeserializeOwned;

use crate::{
    error::StripeError,
    intent::{PaymentIntent, Refund},
};

/// Stripe's API.
pub const API_BASE: &str = "https://api.stripe.com";
/// The API version every request asks for, so that an account's default version moving on
/// changes nothing here.
pub const STRIPE_VERSION: &str = "2024-06-20";
/// The most of an answer this client reads; Stripe's objects are a few KB.
const MAX_ANSWER: usize = 1 << 20;

/// What the client is given: the secret key, where the API is, and how long a call may take.
#[derive(Clone)]
pub struct Config {
    /// `sk_...` or a restricted `rk_...` key; never logged.
    pub secret_key: String,
    /// [`API_BASE`], or a local emulator's `http://127.0.0.1:PORT` in tests.
    pub api_base: String,
    /// Per call, connection included; past it the call is [`StripeError::Transient`].
    pub timeout: Duration,
}

impl Config {
    /// Stripe's API with `secret_key` and a 4 s timeout per call (docs/workflows.md: the retry
    /// budget).
    pub fn new(secret_key: impl Into<String>) -> Self {
        Config {
            secret_key: secret_key.into(),
            api_base: API_BASE.to_owned(),
            timeout: Duration::from_secs(4),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("secret_key", &"<redacted>")
            .field("api_base", &self.api_base)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// An authorisation to place on a card: the reservation's price, held until captured.
#[derive(Debug, Clone, Copy)]
pub struct Authorize<'a> {
    /// The reservation it pays for: `metadata[reservationId]` and the idempotency key.
    pub reservation_id: &'a str,
    /// In minor units.
    pub amount_minor: i64,
    /// ISO 4217, any case.
    pub currency: &'a str,
    /// `pm_...`, from Stripe.js.
    pub payment_method: &'a str,
}

/// A Stripe API client.
#[derive(Clone)]
pub struct Stripe {
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    base: String,
    authorization: HeaderValue,
    timeout: Duration,
}

impl fmt::Debug for Stripe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stripe")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Stripe {
    /// A client for `config`. The base must be https, or plain http on a loopback address
    /// (an emulator); the key must look like a Stripe secret or restricted key.
    pub fn new(config: Config) -> Result<Self, StripeError> {
        let base = config.api_base.trim_end_matches('/').to_owned();
        if !(base.starts_with("https://") || is_loopback_http(&base)) {
            return Err(config_error(
                "STRIPE_API_BASE must be an https:// URL (or http:// on 127.0.0.1 or localhost)",
            ));
        }
        let key = &config.secret_key;
        if !(key.starts_with("sk_") || key.starts_with("rk_")) || key.len() < 8 {
            return Err(config_error(
                "the Stripe secret key must be an sk_... or rk_... key",
            ));
        }
        let mut authorization = HeaderValue::try_from(format!("Bearer {key}")).map_err(|_| {
            config_error("the Stripe secret key has characters a header cannot hold")
        })?;
        authorization.set_sensitive(true);
        let https = HttpsConnectorBuilder::new()
            .with_tls_config(crate::tls::client_config())
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Stripe {
            http: Client::builder(TokioExecutor::new()).build(https),
            base,
            authorization,
            timeout: config.timeout,
        })
    }

    /// Creates and confirms a card-only PaymentIntent with manual capture: the money is
    /// held on the card (`requires_capture`), or the customer must authenticate first
    /// (`requires_action`). Idempotency key `authorize-{reservation}`.
    pub async fn authorize(&self, a: &Authorize<'_>) -> Result<PaymentIntent, StripeError> {
        let amount = a.amount_minor.to_string();
        let currency = a.currency.to_ascii_lowercase();
        let form = form(&[
            ("amount", &amount),
            ("currency", &currency),
            ("payment_method", a.payment_method),
            ("payment_method_types[]", "card"),
            ("capture_method", "manual"),
            ("confirm", "true"),
            ("metadata[reservationId]", a.reservation_id),
        ]);
        let key = format!("authorize-{}", a.reservation_id);
        self.post("/v1/payment_intents", form, &key).await
    }

    /// Reads a PaymentIntent as it is now.
    pub async fn retrieve(&self, intent: &str) -> Result<PaymentIntent, StripeError> {
        let path = format!("/v1/payment_intents/{}", object_id(intent)?);
        self.call(Method::GET, &path, None, None).await
    }

    /// Captures the whole authorised amount. Idempotency key `capture-{reservation}`.
    pub async fn capture(
        &self,
        reservation: &str,
        intent: &str,
    ) -> Result<PaymentIntent, StripeError> {
        self.intent_step(reservation, intent, "capture", "capture")
            .await
    }

    /// Cancels an uncaptured PaymentIntent, releasing the authorisation (nothing reaches
    /// the customer's statement). Idempotency key `void-{reservation}`.
    pub async fn void(
        &self,
        reservation: &str,
        intent: &str,
    ) -> Result<PaymentIntent, StripeError> {
        self.intent_step(reservation, intent, "cancel", "void")
            .await
    }

    /// `POST /v1/payment_intents/{intent}/{action}` with no parameters, as the saga's
    /// `step` of `reservation`.
    async fn intent_step(
        &self,
        reservation: &str,
        intent: &str,
        action: &str,
        step: &str,
    ) -> Result<PaymentIntent, StripeError> {
        let path = format!("/v1/payment_intents/{}/{action}", object_id(intent)?);
        self.post(&path, String::new(), &format!("{step}-{reservation}"))
            .await
    }

    /// Refunds `amount_minor` of a captured PaymentIntent (`pi_...`) or of its charge
    /// (`ch_...`): one refund per reservation, full or partial. Idempotency key
    /// `refund-{reservation}`.
    pub async fn refund(
        &self,
        reservation: &str,
        paid: &str,
        amount_minor: i64,
    ) -> Result<Refund, StripeError> {
        let amount = amount_minor.to_string();
        let of = if paid.starts_with("ch_") {
            "charge"
        } else {
            "payment_intent"
        };
        let form = form(&[(of, object_id(paid)?), ("amount", &amount)]);
        self.post("/v1/refunds", form, &format!("refund-{reservation}"))
            .await
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        form: String,
        idempotency_key: &str,
    ) -> Result<T, StripeError> {
        self.call(Method::POST, path, Some(form), Some(idempotency_key))
            .await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        form: Option<String>,
        idempotency_key: Option<&str>,
    ) -> Result<T, StripeError> {
        let mut req = Request::builder()
            .method(method.clone())
            .uri(format!("{}{path}", self.base))
            .header(header::AUTHORIZATION, self.authorization.clone())
            .header("Stripe-Version", STRIPE_VERSION)
            .header(
                header::USER_AGENT,
                concat!("booking/", env!("CARGO_PKG_VERSION")),
            );
        if let Some(key) = idempotency_key {
            req = req.header("Idempotency-Key", key);
        }
        let body = match form {
            Some(form) => {
                req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Full::new(Bytes::from(form))
            }
            None => Full::default(),
        };
        let req = req
            .body(body)
            .map_err(|e| config_error(&format!("the request could not be built: {e}")))?;
        let answer = tokio::time::timeout(self.timeout, async {
            let res = self
                .http
                .request(req)
                .await
                .map_err(|e| StripeError::Transient(format!("network: {e}")))?;
            let status = res.status().as_u16();
            let body = Limited::new(res.into_body(), MAX_ANSWER)
                .collect()
                .await
                .map_err(|e| StripeError::Transient(format!("reading the answer: {e}")))?
                .to_bytes();
            Ok::<_, StripeError>((status, body))
        })
        .await
        .map_err(|_| StripeError::Transient(format!("no answer within {:?}", self.timeout)))?;
        let (status, body) = answer?;
        tracing::debug!(%method, path, status, "stripe call");
        if !(200..300).contains(&status) {
            return Err(StripeError::from_answer(status, &body));
        }
        serde_json::from_slice(&body).map_err(|e| StripeError::Platform {
            status,
            message: format!("an answer this client cannot read: {e}"),
        })
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// A Stripe object id fit for a path segment (`pi_...`: letters, digits and `_`).
fn object_id(id: &str) -> Result<&str, StripeError> {
    let ok = !id.is_empty()
        && id.len() <= 255
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(id)
    } else {
        Err(config_error(
            "a Stripe object id has only letters, digits and _",
        ))
    }
}

fn is_loopback_http(base: &str) -> bool {
    let Ok(uri) = base.parse::<hyper::Uri>() else {
        return false;
    };
    uri.scheme_str() == Some("http")
        && matches!(uri.host(), Some("127.0.0.1" | "localhost" | "[::1]"))
}

fn config_error(message: &str) -> StripeError {
    StripeError::Platform {
        status: 0,
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(base: &str, key: &str) -> Config {
        Config {
            api_base: base.into(),
            ..Config::new(key)
        }
    }

    #[test]
    fn only_https_or_loopback_http_bases_and_stripe_keys_are_accepted() {
        let bases = [
            (API_BASE, true),
            ("https://stripe.internal:8443/", true),
            ("http://127.0.0.1:8420", true),
            ("http://localhost:8420", true),
            ("http://[::1]:8420", true),
            ("http://api.stripe.com", false),
            ("http://127.0.0.1.evil.example:80", false),
            ("ftp://127.0.0.1", false),
            ("127.0.0.1:8420", false),
        ];
        for (base, accepted) in bases {
            let stripe = Stripe::new(config(base, "sk_test_123456"));
            assert_eq!(stripe.is_ok(), accepted, "{base}");
        }
        for key in ["", "pk_test_123456", "sk_", "sk_test\n123"] {
            assert!(Stripe::new(config(API_BASE, key)).is_err(), "{key:?}");
        }
    }

    #[test]
    fn the_key_never_shows_in_debug_output() {
        let c = config(API_BASE, "sk_live_secret_value");
        let stripe = Stripe::new(c.clone()).unwrap();
        for printed in [format!("{c:?}"), format!("{stripe:?}")] {
            assert!(!printed.contains("sk_live_secret_value"), "{printed}");
        }
    }

    #[test]
    fn object_ids_cannot_change_the_path() {
        assert_eq!(object_id("pi_3Nabc123"), Ok("pi_3Nabc123"));
        for id in ["", "pi_1/../../v1/charges", "pi_1?expand=x", "pi 1"] {
            assert!(object_id(id).is_err(), "{id}");
        }
    }
}
