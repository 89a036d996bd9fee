//! Notifications: the message the booking workflow puts on the queue, the emails rendered
//! from it, and the worker that delivers a batch at most once per (reservation, event).

use std::{collections::HashSet, sync::Mutex};

use async_trait::async_trait;
use jiff::{Timestamp, ZonedDateTime, tz::TimeZone};
use serde::{Deserialize, Serialize};

use crate::{
    Error, FieldError,
    error::chain,
    ids::ReservationId,
    money::{Currency, Money},
    sync::lock,
};

/// What happened to a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotificationEvent {
    Confirmed,
    Failed,
    Cancelled,
}

/// The queue message: self-contained, so the worker renders it without reading any store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub event: NotificationEvent,
    pub reservation_id: ReservationId,
    pub customer_email: String,
    pub customer_name: String,
    pub service_name: String,
    pub start: Timestamp,
    pub end: Timestamp,
    /// IANA name of the business zone the times are shown in.
    pub time_zone: String,
    pub amount_minor: i64,
    pub currency: String,
    pub payment_reference: Option<String>,
    pub refund_minor: Option<i64>,
    /// Why a booking failed, in words for the customer.
    pub reason: Option<String>,
}

impl NotificationEvent {
    /// The wire name ("confirmed", ...), for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationEvent::Confirmed => "confirmed",
            NotificationEvent::Failed => "failed",
            NotificationEvent::Cancelled => "cancelled",
        }
    }
}

/// A rendered email, independent of the provider that sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders the customer's email for a notification, with times in the business zone.
///
/// Pure and deterministic, so a redelivered message renders exactly the same email. A message
/// that cannot be rendered (unknown zone or currency, ...) is [`Error::Invalid`] naming the
/// message field: retrying it will not help.
pub fn render(n: &Notification) -> Result<OutgoingEmail, Error> {
    let (tz, currency) = validate(n)?;
    let start = n.start.to_zoned_datetime(tz.clone());
    let end = n.end.to_zoned_datetime(tz);
    let when = local_range(&start, &end, &n.time_zone);
    let short_when = start.strftime("%A %-d %B %Y at %H:%M").to_string();
    let money = |minor| {
        let m = Money { minor, currency };
        format!("{} {}", m.to_decimal_string(), currency.code())
    };
    let id = n.reservation_id;

    let mut rows = vec![
        ("Service", n.service_name.clone()),
        ("When", when),
        ("Price", money(n.amount_minor)),
        ("Reference", id.to_string()),
    ];
    if let Some(payment) = &n.payment_reference {
        rows.push(("Payment reference", payment.clone()));
    }
    let content = match n.event {
        NotificationEvent::Confirmed => Content {
            subject: format!("Booking confirmed: {}, {short_when}", n.service_name),
            headline: "Your booking is confirmed.".into(),
            rows,
            notes: vec![
                format!(
                    "You can cancel from your account before the start time, or with \
                     POST /api/reservations/{id}/cancel; the cancellation policy decides the \
                     refund."
                ),
                "Please quote the reference if you contact us.".into(),
            ],
        },
        NotificationEvent::Failed => {
            if let Some(reason) = &n.reason {
                rows.push(("Reason", reason.clone()));
            }
            Content {
                subject: format!("Booking not completed: {}, {short_when}", n.service_name),
                headline: "We could not complete your booking.".into(),
                rows,
                notes: vec![
                    "The time has been released and nothing is owed: any payment taken for \
                     this booking has been refunded in full."
                        .into(),
                    "You are welcome to book another time.".into(),
                ],
            }
        }
        NotificationEvent::Cancelled => {
            let mut notes = Vec::new();
            match n.refund_minor {
                Some(0) => notes.push("No refund is due under the cancellation policy.".into()),
                Some(refund) => {
                    rows.push(("Refund", money(refund)));
                    notes.push("The refund goes back to the original payment method.".into());
                }
                None => {}
            }
            Content {
                subject: format!("Booking cancelled: {}, {short_when}", n.service_name),
                headline: "Your booking has been cancelled.".into(),
                rows,
                notes,
            }
        }
    };
    Ok(content.into_email(n.customer_email.clone(), &n.customer_name))
}

fn validate(n: &Notification) -> Result<(TimeZone, Currency), Error> {
    let tz = TimeZone::get(&n.time_zone).map_err(|_| {
        FieldError::new(
            "timeZone",
            "must be an IANA time zone name such as Europe/Madrid",
        )
    });
    let currency = Currency::parse("currency", &n.currency);
    let mut problems: Vec<FieldError> = tz.as_ref().err().into_iter().cloned().collect();
    problems.extend(currency.as_ref().err().cloned());
    if n.end <= n.start {
        problems.push(FieldError::new("end", "must be after start"));
    }
    let email = &n.customer_email;
    if !email.contains('@') || email.chars().any(char::is_control) {
        problems.push(FieldError::new(
            "customerEmail",
            "must be a single email address",
        ));
    }
    match (tz, currency) {
        (Ok(tz), Ok(currency)) if problems.is_empty() => Ok((tz, currency)),
        _ => Err(Error::Invalid(problems)),
    }
}

/// "Monday 30 November 2026, 09:00–09:30 (Europe/Madrid)"; both dates when it spans midnight.
fn local_range(start: &ZonedDateTime, end: &ZonedDateTime, zone: &str) -> String {
    const DAY: &str = "%A %-d %B %Y";
    if start.date() == end.date() {
        format!(
            "{}, {}–{} ({zone})",
            start.strftime(DAY),
            start.strftime("%H:%M"),
            end.strftime("%H:%M")
        )
    } else {
        format!(
            "{}, {} – {}, {} ({zone})",
            start.strftime(DAY),
            start.strftime("%H:%M"),
            end.strftime(DAY),
            end.strftime("%H:%M")
        )
    }
}

/// What an email says, before it becomes text and HTML; both bodies come from it so they
/// cannot disagree.
struct Content {
    subject: String,
    headline: String,
    rows: Vec<(&'static str, String)>,
    notes: Vec<String>,
}

impl Content {
    fn into_email(self, to: String, name: &str) -> OutgoingEmail {
        let name = name.trim();
        let greeting = if name.is_empty() {
            "Hello,".to_owned()
        } else {
            format!("Hello {name},")
        };
        // A line break in a header value could start a new header.
        let subject: String = self
            .subject
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();

        let width = self
            .rows
            .iter()
            .map(|(l, _)| l.len() + 1)
            .max()
            .unwrap_or(0);
        let mut text = format!("{greeting}\n\n{}\n\n", self.headline);
        for (label, value) in &self.rows {
            text.push_str(&format!("{:<width$} {value}\n", format!("{label}:")));
        }
        for note in &self.notes {
            text.push_str(&format!("\n{note}\n"));
        }

        let mut html = format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{}</title></head>\n\
             <body>\n<p>{}</p>\n<p>{}</p>\n<table>\n",
            escape_html(&subject),
            escape_html(&greeting),
            escape_html(&self.headline)
        );
        for (label, value) in &self.rows {
            html.push_str(&format!(
                "<tr><th align=\"left\">{}</th><td>{}</td></tr>\n",
                escape_html(label),
                escape_html(value)
            ));
        }
        html.push_str("</table>\n");
        for note in &self.notes {
            html.push_str(&format!("<p>{}</p>\n", escape_html(note)));
        }
        html.push_str("</body>\n</html>\n");

        OutgoingEmail {
            to,
            subject,
            text,
            html,
        }
    }
}

/// Escapes text for an HTML element or a quoted attribute value.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Sends emails (SES on AWS; [`MemoryOutbox`] locally and in tests).
#[async_trait]
pub trait Mailer: Send + Sync {
    /// An error means the provider did not accept the email, so it may be sent again later.
    async fn send(&self, email: &OutgoingEmail) -> Result<(), Error>;
}

/// Which (reservation, event) emails have gone out, so a redelivered message sends nothing.
#[async_trait]
pub trait SentLog: Send + Sync {
    /// True only for the first claim of the pair: an atomic conditional insert, never a read
    /// followed by a write, so two concurrent deliveries cannot both send.
    async fn claim(
        &self,
        reservation: ReservationId,
        event: NotificationEvent,
    ) -> Result<bool, Error>;
    /// Undoes a claim whose email could not be sent, so a redelivery can try again.
    async fn release(
        &self,
        reservation: ReservationId,
        event: NotificationEvent,
    ) -> Result<(), Error>;
}

/// What [`deliver`] did with a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// An earlier delivery of the same (reservation, event) sent it; nothing was sent now.
    AlreadySent,
}

/// Sends the email of one notification at most once per (reservation, event).
///
/// Render, claim, send; a failed send releases the claim and returns the error so the
/// message is retried. The guarantee is at most once: if the process dies between claim and
/// send, or the release itself fails, that email is never sent (the error says so).
pub async fn deliver(
    n: &Notification,
    mailer: &dyn Mailer,
    sent: &dyn SentLog,
) -> Result<Delivery, Error> {
    // Rendering first: a message that cannot render never takes a claim.
    let email = render(n)?;
    if !sent.claim(n.reservation_id, n.event).await? {
        return Ok(Delivery::AlreadySent);
    }
    if let Err(send) = mailer.send(&email).await {
        return Err(match sent.release(n.reservation_id, n.event).await {
            Ok(()) => send,
            Err(release) => Error::Store(Box::new(ClaimStuck { send, release })),
        });
    }
    Ok(Delivery::Sent)
}

#[derive(Debug, thiserror::Error)]
#[error(
    "the email was not sent and its claim could not be released ({release}): it will not be retried"
)]
struct ClaimStuck {
    #[source]
    send: Error,
    release: Error,
}

/// Delivers SQS-style `(message id, body JSON)` pairs in order and returns the ids to retry.
///
/// A duplicate delivery counts as success and sends nothing. A body that does not parse is a
/// poison message: it is logged and reported as failed rather than dropped, so after the
/// queue's `maxReceiveCount` it moves to the dead-letter queue, where it can be inspected.
pub async fn deliver_batch(
    messages: &[(String, String)],
    mailer: &dyn Mailer,
    sent: &dyn SentLog,
) -> Vec<String> {
    let mut failed = Vec::new();
    for (message_id, body) in messages {
        if !deliver_message(message_id, body, mailer, sent).await {
            failed.push(message_id.clone());
        }
    }
    failed
}

/// True when the message is done with (sent now, or before). Never logs the email itself.
async fn deliver_message(
    message_id: &str,
    body: &str,
    mailer: &dyn Mailer,
    sent: &dyn SentLog,
) -> bool {
    let n: Notification = match serde_json::from_str(body) {
        Ok(n) => n,
        Err(e) => {
            tracing::error!(message_id, error = %e, "poison message: the body is not a notification");
            return false;
        }
    };
    let (reservation_id, event) = (n.reservation_id, n.event.as_str());
    match deliver(&n, mailer, sent).await {
        Ok(Delivery::Sent) => {
            tracing::info!(message_id, %reservation_id, event, "email sent");
            true
        }
        Ok(Delivery::AlreadySent) => {
            tracing::info!(message_id, %reservation_id, event, "duplicate delivery: email already sent");
            true
        }
        Err(e) => {
            tracing::error!(
                message_id,
                %reservation_id,
                event,
                error = %chain(&e),
                "email not sent; the message will be retried"
            );
            false
        }
    }
}

/// A [`Mailer`] that keeps what it "sends": the local outbox and the tests' inbox.
#[derive(Debug, Default)]
pub struct MemoryOutbox {
    sent: Mutex<Vec<OutgoingEmail>>,
    failing: Mutex<HashSet<String>>,
}

impl MemoryOutbox {
    /// Everything sent so far, oldest first.
    pub fn sent(&self) -> Vec<OutgoingEmail> {
        lock(&self.sent).clone()
    }

    /// From now on, sending to `to` fails as a provider outage would.
    pub fn fail_for(&self, to: &str) {
        lock(&self.failing).insert(to.to_owned());
    }
}

#[async_trait]
impl Mailer for MemoryOutbox {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), Error> {
        if lock(&self.failing).contains(&email.to) {
            return Err(Error::Store("the mail provider rejected the email".into()));
        }
        lock(&self.sent).push(email.clone());
        Ok(())
    }
}

/// A [`SentLog`] in one set; the mutex makes `claim` atomic.
#[derive(Debug, Default)]
pub struct MemorySentLog {
    claimed: Mutex<HashSet<(ReservationId, NotificationEvent)>>,
}

#[async_trait]
impl SentLog for MemorySentLog {
    async fn claim(
        &self,
        reservation: ReservationId,
        event: NotificationEvent,
    ) -> Result<bool, Error> {
        Ok(lock(&self.claimed).insert((reservation, event)))
    }

    async fn release(
        &self,
        reservation: ReservationId,
        event: NotificationEvent,
    ) -> Result<(), Error> {
        lock(&self.claimed).remove(&(reservation, event));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notification(event: NotificationEvent) -> Notification {
        Notification {
            event,
            reservation_id: ReservationId::new(),
            customer_email: "ana@example.com".into(),
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
    fn a_summer_booking_in_madrid_is_shown_at_utc_plus_two() {
        // Given a booking at 07:00 UTC in July, when Madrid is on summer time (UTC+02:00)
        let n = at(
            notification(NotificationEvent::Confirmed),
            "2026-07-06T07:00:00Z",
            "2026-07-06T07:30:00Z",
        );

        // When it is rendered
        let email = render(&n).unwrap();

        // Then the customer sees 09:00, not 08:00
        assert!(
            email
                .text
                .contains("Monday 6 July 2026, 09:00–09:30 (Europe/Madrid)"),
            "{}",
            email.text
        );
        assert!(email.subject.ends_with("Monday 6 July 2026 at 09:00"));
    }

    #[test]
    fn a_booking_across_the_spring_forward_change_shows_each_end_in_its_own_offset() {
        // Given an hour from 00:30 to 01:30 UTC on the night Madrid moves to summer time
        let n = at(
            notification(NotificationEvent::Confirmed),
            "2026-03-29T00:30:00Z",
            "2026-03-29T01:30:00Z",
        );

        // When it is rendered
        let email = render(&n).unwrap();

        // Then it starts at 01:30 (+01:00) and ends at 03:30 (+02:00)
        assert!(
            email
                .text
                .contains("Sunday 29 March 2026, 01:30–03:30 (Europe/Madrid)")
        );
    }

    #[test]
    fn a_booking_past_local_midnight_shows_both_dates() {
        // Given a booking from 23:30 to 00:30 local time
        let n = at(
            notification(NotificationEvent::Confirmed),
            "2026-11-30T22:30:00Z",
            "2026-11-30T23:30:00Z",
        );

        // When it is rendered, then each end carries its own date
        assert!(render(&n).unwrap().text.contains(
            "Monday 30 November 2026, 23:30 – Tuesday 1 December 2026, 00:30 (Europe/Madrid)"
        ));
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

    #[test]
    fn a_cancellation_email_shows_the_refund() {
        // Given a late cancellation refunded at 50 %
        let n = Notification {
            refund_minor: Some(1250),
            ..notification(NotificationEvent::Cancelled)
        };

        // When it is rendered
        let email = render(&n).unwrap();

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
        // Given a cancellation the policy refunds nothing for
        let n = Notification {
            refund_minor: Some(0),
            ..notification(NotificationEvent::Cancelled)
        };

        // When it is rendered, then it says so instead of showing a zero refund
        let email = render(&n).unwrap();
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
        let n = Notification {
            customer_email: "ana@example.com\r\nBcc: x@example.com".into(),
            ..at(
                notification(NotificationEvent::Confirmed),
                "2026-11-30T08:30:00Z",
                "2026-11-30T08:00:00Z",
            )
        };
        assert_eq!(fields(render(&n).unwrap_err()), ["end", "customerEmail"]);
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
            customer_email: to.into(),
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
}
