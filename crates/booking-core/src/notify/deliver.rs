//! Delivery: the ports of the notify worker (mailer, sent log) and the worker itself,
//! one email per (reservation, event).

use async_trait::async_trait;

use crate::{Error, error::chain, ids::ReservationId};

use super::*;

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
