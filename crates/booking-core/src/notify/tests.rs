//! Rendering and delivery of notifications, with the in-memory adapters.

use async_trait::async_trait;

use super::{render::escape_html, *};
use crate::{Error, ids::ReservationId, user::Email};

fn notification(event: NotificationEvent) -> Notification {
    Notification {
        event,
        reservation_id: ReservationId::new(),
        customer_email: email("ana@example.com"),
        customer_name: "Ana".into(),
        service_name: "Haircut".into(),
        start: "2026-11-30T08:00:00Z".parse().unwrap(),
        end: "2026-11-30T08:30:00Z".parse().unwrap(),
        time_zone: "Europe/Madrid".into(),
        amount_minor: 2500,
        currency: "EUR".into(),
        payment_reference: Some("ch_sim_123".into()),
        refund_minor: None,
        reason: None,
    }
}

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

fn at(n: Notification, start: &str, end: &str) -> Notification {
    Notification {
        start: start.parse().unwrap(),
        end: end.parse().unwrap(),
        ..n
    }
}

fn fields(err: Error) -> Vec<String> {
    match err {
        Error::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn a_confirmation_shows_the_local_winter_time_price_references_and_how_to_cancel() {
    // Given a confirmed booking at 08:00 UTC on a November Monday (Madrid is UTC+01:00)
    let n = notification(NotificationEvent::Confirmed);
    let id = n.reservation_id;

    // When it is rendered
    let email = render(&n).unwrap();

    // Then both bodies say what, when (local), how much, which booking and how to cancel
    assert_eq!(email.to, "ana@example.com");
    assert_eq!(
        email.subject,
        "Booking confirmed: Haircut, Monday 30 November 2026 at 09:00"
    );
    for body in [&email.text, &email.html] {
        assert!(body.contains("Hello Ana,"), "{body}");
        assert!(body.contains("Haircut"));
        assert!(body.contains("Monday 30 November 2026, 09:00–09:30 (Europe/Madrid)"));
        assert!(body.contains("25.00 EUR"));
        assert!(body.contains(&id.to_string()));
        assert!(body.contains("ch_sim_123"));
        assert!(body.contains(&format!("POST /api/reservations/{id}/cancel")));
    }
    assert!(email.text.contains("Price:             25.00 EUR\n"));
}

#[test]
fn times_are_shown_in_the_business_zone_each_end_with_its_own_offset_and_date() {
    for (start, end, when) in [
        // Given a booking at 07:00 UTC in July, when Madrid is on summer time (UTC+02:00):
        // the customer sees 09:00, not 08:00
        (
            "2026-07-06T07:00:00Z",
            "2026-07-06T07:30:00Z",
            "Monday 6 July 2026, 09:00–09:30 (Europe/Madrid)",
        ),
        // An hour from 00:30 to 01:30 UTC on the night Madrid moves to summer time: it
        // starts at 01:30 (+01:00) and ends at 03:30 (+02:00)
        (
            "2026-03-29T00:30:00Z",
            "2026-03-29T01:30:00Z",
            "Sunday 29 March 2026, 01:30–03:30 (Europe/Madrid)",
        ),
        // From 23:30 to 00:30 local time: each end carries its own date
        (
            "2026-11-30T22:30:00Z",
            "2026-11-30T23:30:00Z",
            "Monday 30 November 2026, 23:30 – Tuesday 1 December 2026, 00:30 (Europe/Madrid)",
        ),
    ] {
        // When it is rendered, then the times read so
        let email = render(&at(notification(NotificationEvent::Confirmed), start, end)).unwrap();
        assert!(email.text.contains(when), "{}", email.text);
        if start.starts_with("2026-07") {
            assert!(email.subject.ends_with("Monday 6 July 2026 at 09:00"));
        }
    }
}

#[test]
fn a_failure_email_gives_the_reason_and_says_nothing_is_owed() {
    // Given a booking whose card was declined
    let n = Notification {
        reason: Some("Your card was declined.".into()),
        payment_reference: None,
        ..notification(NotificationEvent::Failed)
    };

    // When it is rendered
    let email = render(&n).unwrap();

    // Then it names the service and time, the reason, and no cancel instructions
    assert_eq!(
        email.subject,
        "Booking not completed: Haircut, Monday 30 November 2026 at 09:00"
    );
    for body in [&email.text, &email.html] {
        assert!(body.contains("Your card was declined."));
        assert!(body.contains("Monday 30 November 2026, 09:00–09:30"));
        assert!(body.contains("refunded in full"));
        assert!(!body.contains("/cancel"));
        assert!(!body.contains("Payment reference"));
    }
}

/// The email of a cancellation with `refund_minor` refunded.
fn cancellation_email(refund_minor: i64) -> OutgoingEmail {
    let n = Notification {
        refund_minor: Some(refund_minor),
        ..notification(NotificationEvent::Cancelled)
    };
    render(&n).unwrap()
}

#[test]
fn a_cancellation_email_shows_the_refund() {
    // Given a late cancellation refunded at 50 %, when it is rendered
    let email = cancellation_email(1250);

    // Then it shows the price and the refund
    assert_eq!(
        email.subject,
        "Booking cancelled: Haircut, Monday 30 November 2026 at 09:00"
    );
    assert!(email.text.contains("Refund:            12.50 EUR\n"));
    assert!(
        email
            .html
            .contains("<th align=\"left\">Refund</th><td>12.50 EUR</td>")
    );
    assert!(email.text.contains("25.00 EUR"));
}

#[test]
fn a_cancellation_without_refund_says_none_is_due() {
    // Given a cancellation the policy refunds nothing for, when it is rendered
    let email = cancellation_email(0);

    // Then it says so instead of showing a zero refund
    assert!(email.text.contains("No refund is due"));
    assert!(!email.text.contains("Refund:"));
}

#[test]
fn every_interpolated_value_is_escaped_in_the_html() {
    // Given values that are markup
    let n = Notification {
        customer_name: "<script>alert('x')</script>".into(),
        service_name: "Cut & <b>dry</b>".into(),
        reason: Some("\"quoted\"".into()),
        ..notification(NotificationEvent::Failed)
    };

    // When it is rendered
    let email = render(&n).unwrap();

    // Then the HTML shows them as text, and the text body keeps them as they are
    assert!(!email.html.contains("<script>"));
    assert!(!email.html.contains("<b>"));
    assert!(
        email
            .html
            .contains("Hello &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;,")
    );
    assert!(email.html.contains("Cut &amp; &lt;b&gt;dry&lt;/b&gt;"));
    assert!(email.html.contains("&quot;quoted&quot;"));
    assert!(email.text.contains("Hello <script>alert('x')</script>,"));
}

#[test]
fn escaping_replaces_the_five_special_characters_only() {
    assert_eq!(
        escape_html(r#"<a href="x">Tom & 'Jerry'</a> ñ"#),
        "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt; ñ"
    );
}

#[test]
fn a_line_break_in_the_service_name_does_not_reach_the_subject() {
    // Given a service name with a header-like line break
    let n = Notification {
        service_name: "Haircut\r\nBcc: x@example.com".into(),
        ..notification(NotificationEvent::Confirmed)
    };

    // When it is rendered, then the subject is one line
    let subject = render(&n).unwrap().subject;
    assert!(!subject.contains('\n') && !subject.contains('\r'));
}

#[test]
fn an_unknown_time_zone_and_currency_are_invalid_naming_both_fields() {
    // Given a message with a made-up zone and currency
    let n = Notification {
        time_zone: "Europe/Atlantis".into(),
        currency: "XXX".into(),
        ..notification(NotificationEvent::Confirmed)
    };

    // When it is rendered, then both fields are named
    assert_eq!(fields(render(&n).unwrap_err()), ["timeZone", "currency"]);
}

#[test]
fn a_message_without_a_usable_recipient_or_time_range_is_invalid() {
    // Given a recipient with a header smuggled in, then no message can carry it
    let mut body = serde_json::to_value(notification(NotificationEvent::Confirmed)).unwrap();
    body["customerEmail"] = "ana@example.com\r\nBcc: x@example.com".into();
    assert!(serde_json::from_value::<Notification>(body).is_err());

    // Given a message that ends before it starts, then rendering names the field
    let n = at(
        notification(NotificationEvent::Confirmed),
        "2026-11-30T08:30:00Z",
        "2026-11-30T08:00:00Z",
    );
    assert_eq!(fields(render(&n).unwrap_err()), ["end"]);
}

#[tokio::test]
async fn delivering_the_same_notification_twice_sends_one_email() {
    // Given an outbox and an empty sent log
    let (outbox, log) = (MemoryOutbox::default(), MemorySentLog::default());
    let n = notification(NotificationEvent::Confirmed);

    // When the same notification is delivered twice
    let first = deliver(&n, &outbox, &log).await.unwrap();
    let second = deliver(&n, &outbox, &log).await.unwrap();

    // Then one email went out
    assert_eq!((first, second), (Delivery::Sent, Delivery::AlreadySent));
    assert_eq!(outbox.sent().len(), 1);
}

#[tokio::test]
async fn each_event_of_a_reservation_is_sent_once() {
    // Given a reservation that was confirmed and then cancelled
    let (outbox, log) = (MemoryOutbox::default(), MemorySentLog::default());
    let confirmed = notification(NotificationEvent::Confirmed);
    let cancelled = Notification {
        event: NotificationEvent::Cancelled,
        ..confirmed.clone()
    };

    // When both are delivered, then both emails go out
    deliver(&confirmed, &outbox, &log).await.unwrap();
    deliver(&cancelled, &outbox, &log).await.unwrap();
    assert_eq!(outbox.sent().len(), 2);
}

#[tokio::test]
async fn a_failed_send_releases_the_claim_so_a_redelivery_sends_it() {
    // Given a mail provider that rejects this recipient
    let log = MemorySentLog::default();
    let down = MemoryOutbox::default();
    down.fail_for("ana@example.com");
    let n = notification(NotificationEvent::Confirmed);

    // When delivery fails, and the message is redelivered once the provider is back
    assert!(deliver(&n, &down, &log).await.is_err());
    let up = MemoryOutbox::default();
    let retried = deliver(&n, &up, &log).await.unwrap();

    // Then the retry sends the email
    assert!(down.sent().is_empty());
    assert_eq!(retried, Delivery::Sent);
    assert_eq!(up.sent().len(), 1);
}

#[tokio::test]
async fn a_message_that_cannot_render_takes_no_claim() {
    // Given a message with an unknown zone
    let log = MemorySentLog::default();
    let n = Notification {
        time_zone: "Nowhere/Else".into(),
        ..notification(NotificationEvent::Confirmed)
    };

    // When it is delivered, then it fails and the pair is still free
    assert!(matches!(
        deliver(&n, &MemoryOutbox::default(), &log).await,
        Err(Error::Invalid(_))
    ));
    assert!(log.claim(n.reservation_id, n.event).await.unwrap());
}

fn message(id: &str, event: NotificationEvent, to: &str) -> (String, String) {
    let n = Notification {
        customer_email: email(to),
        ..notification(event)
    };
    (id.into(), serde_json::to_string(&n).unwrap())
}

fn recipients(outbox: &MemoryOutbox) -> Vec<String> {
    outbox.sent().into_iter().map(|e| e.to).collect()
}

#[tokio::test]
async fn only_the_message_whose_recipient_fails_is_returned_for_retry() {
    // Given three messages and a provider that rejects the second recipient
    let (outbox, log) = (MemoryOutbox::default(), MemorySentLog::default());
    outbox.fail_for("bob@example.com");
    let batch = [
        message("m1", NotificationEvent::Confirmed, "ana@example.com"),
        message("m2", NotificationEvent::Confirmed, "bob@example.com"),
        message("m3", NotificationEvent::Cancelled, "eva@example.com"),
    ];

    // When the batch is delivered
    let failed = deliver_batch(&batch, &outbox, &log).await;

    // Then only m2 is retried and the others were sent once
    assert_eq!(failed, ["m2"]);
    assert_eq!(recipients(&outbox), ["ana@example.com", "eva@example.com"]);
}

#[tokio::test]
async fn delivering_the_same_batch_twice_sends_each_email_once() {
    // Given a batch already delivered
    let (outbox, log) = (MemoryOutbox::default(), MemorySentLog::default());
    let batch = [
        message("m1", NotificationEvent::Confirmed, "ana@example.com"),
        message("m2", NotificationEvent::Failed, "bob@example.com"),
    ];
    assert!(deliver_batch(&batch, &outbox, &log).await.is_empty());

    // When SQS delivers it again
    let failed = deliver_batch(&batch, &outbox, &log).await;

    // Then nothing fails and nothing more is sent
    assert!(failed.is_empty());
    assert_eq!(recipients(&outbox), ["ana@example.com", "bob@example.com"]);
}

#[tokio::test]
async fn a_poison_message_is_reported_as_failed_and_the_rest_are_sent() {
    // Given a batch with a body that is not a notification
    let (outbox, log) = (MemoryOutbox::default(), MemorySentLog::default());
    let batch = [
        ("bad".to_owned(), r#"{"event":"shipped"}"#.to_owned()),
        message("m1", NotificationEvent::Confirmed, "ana@example.com"),
    ];

    // When it is delivered
    let failed = deliver_batch(&batch, &outbox, &log).await;

    // Then the poison message goes back to the queue (and to the DLQ in the end)
    assert_eq!(failed, ["bad"]);
    assert_eq!(recipients(&outbox), ["ana@example.com"]);
}

struct StuckLog;

#[async_trait]
impl SentLog for StuckLog {
    async fn claim(&self, _: ReservationId, _: NotificationEvent) -> Result<bool, Error> {
        Ok(true)
    }
    async fn release(&self, _: ReservationId, _: NotificationEvent) -> Result<(), Error> {
        Err(Error::Store("table unavailable".into()))
    }
}

#[tokio::test]
async fn a_claim_that_cannot_be_released_says_the_email_is_lost() {
    // Given a failing provider and a sent log that cannot release
    let outbox = MemoryOutbox::default();
    outbox.fail_for("ana@example.com");

    // When delivery fails
    let err = deliver(
        &notification(NotificationEvent::Confirmed),
        &outbox,
        &StuckLog,
    )
    .await
    .unwrap_err();

    // Then the error's cause says it will not be retried, and keeps the send error
    let Error::Store(cause) = err else {
        panic!("expected Store, got {err:?}")
    };
    assert!(cause.to_string().contains("will not be retried"), "{cause}");
    assert!(std::error::Error::source(&*cause).is_some());
}

#[test]
fn the_event_wire_names_match_serde() {
    for event in [
        NotificationEvent::Confirmed,
        NotificationEvent::Failed,
        NotificationEvent::Cancelled,
    ] {
        let json = serde_json::to_string(&event).unwrap();
        assert_eq!(json, format!("\"{}\"", event.as_str()));
    }
}
