//! The client against localstripe, a real local Stripe emulator (PyPI, pinned in
//! tools/requirements.lock), which `scripts/test stripe` starts on loopback and points
//! `STRIPE_API_BASE` at. Ignored in a plain `cargo test`, which has no emulator.
//!
//! localstripe ignores `Idempotency-Key` and allows refunds above the charge, so nothing
//! here relies on it for either: the booking's ledger guards those.

#![allow(clippy::unwrap_used)] // a test harness: a panic is a failed test

use std::time::Duration;

use booking_core::{
    ids::ReservationId,
    money::{Currency, Money},
    payment::{Authorization, GatewayKind, PaymentGateway, PaymentMethod},
};
use booking_stripe::{
    Authorize, Config, IntentStatus, PaymentIntent, Stripe, StripeError, StripeGateway,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const KEY: &str = "sk_test_booking_local";

fn base() -> String {
    std::env::var("STRIPE_API_BASE").expect("STRIPE_API_BASE (scripts/test stripe sets it)")
}

fn stripe() -> Stripe {
    Stripe::new(Config {
        api_base: base(),
        timeout: Duration::from_secs(5),
        ..Config::new(KEY)
    })
    .unwrap()
}

/// What Stripe.js does in the browser (or an operator on the dashboard), done by hand on
/// the emulator's plain HTTP: `method path` with a form, answering the status and the JSON.
async fn browser(method: &str, path: &str, form: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let base = base();
    let addr = base.strip_prefix("http://").unwrap().trim_end_matches('/');
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {KEY}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let (head, json) = answer.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_str(json).unwrap())
}

/// A card PaymentMethod, as Stripe.js creates one from the card the customer typed.
async fn card(number: &str) -> String {
    let (status, pm) = browser(
        "POST",
        "/v1/payment_methods",
        &[
            ("type", "card"),
            ("card[number]", number),
            ("card[exp_month]", "12"),
            ("card[exp_year]", "2030"),
            ("card[cvc]", "123"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{pm}");
    pm["id"].as_str().unwrap().to_owned()
}

/// Authorises 25.00 EUR for `reservation` on a card PaymentMethod of `number`.
async fn authorize(
    stripe: &Stripe,
    reservation: &str,
    number: &str,
) -> Result<PaymentIntent, StripeError> {
    let pm = card(number).await;
    let authorization = Authorize {
        reservation_id: reservation,
        amount_minor: 2500,
        currency: "EUR",
        payment_method: &pm,
    };
    stripe.authorize(&authorization).await
}

#[tokio::test]
#[ignore = "needs localstripe (scripts/test stripe)"]
async fn a_good_card_is_authorised_then_captured_then_partly_refunded() {
    let stripe = stripe();
    // Given a good card, when the reservation's price is authorised
    let pi = authorize(&stripe, "01RESGOOD", "4242424242424242")
        .await
        .unwrap();
    // Then the money is held, not taken, and the PaymentIntent names the reservation
    // (localstripe leaves amount_capturable and amount_received at 0: only the status and
    // the amount say what happened to the money there)
    assert_eq!(pi.status, IntentStatus::RequiresCapture);
    assert_eq!((pi.amount, pi.amount_received), (2500, 0));
    assert_eq!(pi.currency, "eur");
    assert_eq!(pi.reservation_id(), Some("01RESGOOD"));
    // When it is captured, then the whole amount is taken by a charge
    let captured = stripe.capture("01RESGOOD", &pi.id).await.unwrap();
    assert_eq!(captured.status, IntentStatus::Succeeded);
    assert_eq!(captured.amount, 2500);
    assert!(
        captured.charge().is_some_and(|c| c.starts_with("ch_")),
        "{captured:?}"
    );
    // And a partial refund is one refund of that amount
    let refund = stripe.refund("01RESGOOD", &pi.id, 1000).await.unwrap();
    assert!(refund.id.starts_with("re_"));
    assert_eq!(refund.amount, 1000);
    // And reading the PaymentIntent again gives the same state
    assert_eq!(
        stripe.retrieve(&pi.id).await.unwrap().status,
        IntentStatus::Succeeded
    );
}

#[tokio::test]
#[ignore = "needs localstripe (scripts/test stripe)"]
async fn a_declining_card_is_a_card_error_and_nothing_is_held() {
    let stripe = stripe();
    // Given a card the issuer declines, when it is authorised
    let err = authorize(&stripe, "01RESDECLINE", "4000000000000341")
        .await
        .unwrap_err();
    // Then it is final: a card error with Stripe's code, and nothing is held
    let StripeError::Card { code, intent, .. } = err else {
        panic!("{err:?}");
    };
    assert_eq!(code, "card_declined");
    // (Stripe sends the PaymentIntent back with the error; localstripe does not)
    let mut intents: Vec<PaymentIntent> = intent.into_iter().map(|pi| *pi).collect();
    let (_, listed) = browser("GET", "/v1/payment_intents", &[]).await;
    intents.extend(serde_json::from_value::<Vec<PaymentIntent>>(listed["data"].clone()).unwrap());
    for pi in intents
        .iter()
        .filter(|pi| pi.reservation_id() == Some("01RESDECLINE"))
    {
        assert!(
            !matches!(
                pi.status,
                IntentStatus::RequiresCapture | IntentStatus::Succeeded
            ),
            "{pi:?}"
        );
    }
}

#[tokio::test]
#[ignore = "needs localstripe (scripts/test stripe)"]
async fn a_3d_secure_card_needs_action_and_authenticating_authorises_it() {
    let stripe = stripe();
    for (number, success, then) in [
        ("4000002760003184", "true", IntentStatus::RequiresCapture),
        ("4000002500003155", "true", IntentStatus::RequiresCapture),
        (
            "4000002760003184",
            "false",
            IntentStatus::RequiresPaymentMethod,
        ),
    ] {
        // Given a card whose issuer asks for 3-D Secure, when it is authorised
        let pi = authorize(&stripe, "01RES3DS", number).await.unwrap();
        // Then the customer must act first, with the secret Stripe.js needs
        assert_eq!(pi.status, IntentStatus::RequiresAction, "{number}");
        let secret = pi.client_secret.clone().unwrap();
        // When the customer passes (or fails) the challenge in the browser
        browser(
            "POST",
            &format!("/v1/payment_intents/{}/_authenticate", pi.id),
            &[
                ("key", KEY),
                ("client_secret", &secret),
                ("success", success),
            ],
        )
        .await;
        // Then reading the PaymentIntent again finds it authorised (or failed)
        let now = stripe.retrieve(&pi.id).await.unwrap();
        assert_eq!(now.status, then, "{number} success={success}");
    }
}

#[tokio::test]
#[ignore = "needs localstripe (scripts/test stripe)"]
async fn a_voided_authorisation_holds_nothing() {
    let stripe = stripe();
    let pi = authorize(&stripe, "01RESVOID", "4242424242424242")
        .await
        .unwrap();
    // When the authorisation is voided, then the PaymentIntent is cancelled
    let voided = stripe.void("01RESVOID", &pi.id).await.unwrap();
    assert_eq!(voided.status, IntentStatus::Canceled);
    assert_eq!(voided.amount_received, 0);
    // And it stays so (Stripe refuses a capture now with 400; localstripe answers the
    // cancelled PaymentIntent, so that is not checked here)
    let now = stripe.retrieve(&pi.id).await.unwrap();
    assert_eq!(
        (now.status, now.amount_received),
        (IntentStatus::Canceled, 0)
    );
}

#[tokio::test]
#[ignore = "needs localstripe (scripts/test stripe)"]
async fn unknown_objects_and_bad_keys_are_platform_errors_and_no_answer_is_transient() {
    let stripe = stripe();
    let err = stripe.retrieve("pi_doesnotexist").await.unwrap_err();
    assert!(
        matches!(err, StripeError::Platform { status: 404, .. }),
        "{err:?}"
    );
    // And a server that does not answer (nothing listens on the port) is worth a retry
    let closed = Stripe::new(Config {
        api_base: "http://127.0.0.1:9".into(),
        timeout: Duration::from_secs(2),
        ..Config::new(KEY)
    })
    .unwrap();
    let err = closed.retrieve("pi_1").await.unwrap_err();
    assert!(matches!(err, StripeError::Transient(_)), "{err:?}");
}

#[tokio::test]
#[ignore = "needs localstripe (scripts/test stripe)"]
async fn the_gateway_port_authorises_captures_refunds_and_voids_through_stripe() {
    let gateway = StripeGateway::new(stripe());
    let eur = |minor| Money {
        minor,
        currency: Currency::parse("currency", "EUR").unwrap(),
    };
    assert_eq!(gateway.kind(), GatewayKind::Stripe);
    // Given a reservation paid with Stripe's test token for a good card
    let paid = ReservationId::new();
    let authorized = gateway
        .authorize(paid, eur(2500), &PaymentMethod::visa())
        .await
        .unwrap();
    let Authorization::Authorized { reference } = authorized else {
        panic!("{authorized:?}");
    };
    assert!(reference.starts_with("pi_"), "{reference}");
    // When it is captured, then the charge is the reference the ledger keeps
    let charge = gateway.capture(paid, &reference).await.unwrap();
    assert!(charge.starts_with("ch_"), "{charge}");
    let pi = stripe().retrieve(&reference).await.unwrap();
    assert_eq!((pi.status, pi.amount), (IntentStatus::Succeeded, 2500));
    assert_eq!(pi.reservation_id(), Some(paid.to_string().as_str()));
    // And a refund of part of that charge is one refund
    let refund = gateway.refund(paid, &charge, eur(1000)).await.unwrap();
    assert!(refund.starts_with("re_"), "{refund}");
    // And another reservation's authorisation, voided, holds nothing
    let voided = ReservationId::new();
    let Authorization::Authorized { reference } = gateway
        .authorize(voided, eur(900), &PaymentMethod::visa())
        .await
        .unwrap()
    else {
        panic!("not authorised");
    };
    gateway.void(voided, &reference).await.unwrap();
    let pi = stripe().retrieve(&reference).await.unwrap();
    assert_eq!((pi.status, pi.amount_received), (IntentStatus::Canceled, 0));
}
