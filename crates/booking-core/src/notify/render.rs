//! Rendering: a notification becomes the customer's email, text and HTML, with the
//! times in the business zone. Pure and deterministic.

use jiff::{ZonedDateTime, tz::TimeZone};

use crate::{
    Error, FieldError,
    money::{Currency, Money},
    time::Zone,
};

use super::*;

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
    Ok(content.into_email(n.customer_email.to_string(), &n.customer_name))
}

fn validate(n: &Notification) -> Result<(TimeZone, Currency), Error> {
    let tz = Zone::parse("timeZone", &n.time_zone).map(|z| z.time_zone().clone());
    let currency = Currency::parse("currency", &n.currency);
    let mut problems: Vec<FieldError> = tz.as_ref().err().into_iter().cloned().collect();
    problems.extend(currency.as_ref().err().cloned());
    if n.end <= n.start {
        problems.push(FieldError::new("end", "must be after start"));
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
pub(super) fn escape_html(s: &str) -> String {
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
