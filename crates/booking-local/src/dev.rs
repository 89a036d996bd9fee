//! booking-local's development routes and its stand-in for SQS -> notify -> SES:
//! notifications are delivered in process, at most once per (reservation, event), to an
//! outbox readable at `GET /api/dev/outbox`; `GET /api/dev/ledger` shows every movement of
//! money. Neither route exists in the Lambda functions.

use std::sync::Arc;

use async_trait::async_trait;
use axum::{Json, Router, extract::State, routing::get};
use booking_core::{
    Error,
    notify::{MemoryOutbox, MemorySentLog, Notification, deliver},
    payment::{LedgerEntry, PaymentLedger},
    ports::NotificationQueue,
};
use jiff::Timestamp;
use serde::Serialize;

/// Delivers each notification straight to the outbox, as the notify function would.
#[derive(Clone, Default)]
pub struct Outbox {
    mailer: Arc<MemoryOutbox>,
    sent: Arc<MemorySentLog>,
}

#[async_trait]
impl NotificationQueue for Outbox {
    async fn send(&self, notification: &Notification) -> Result<(), Error> {
        deliver(notification, &*self.mailer, &*self.sent)
            .await
            .map(|_| ())
    }
}

#[derive(Serialize)]
struct EmailView {
    to: String,
    subject: String,
    text: String,
    html: String,
}

/// `GET /api/dev/outbox` and `GET /api/dev/ledger`, oldest first. booking-local only.
pub fn routes(outbox: Outbox, ledger: Arc<dyn PaymentLedger>) -> Router {
    Router::new()
        .route("/api/dev/outbox", get(emails))
        .with_state(outbox)
        .merge(
            Router::new()
                .route("/api/dev/ledger", get(entries))
                .with_state(ledger),
        )
}

async fn entries(
    State(ledger): State<Arc<dyn PaymentLedger>>,
) -> Result<Json<Vec<LedgerEntry>>, booking_api::Problem> {
    Ok(Json(ledger.between(Timestamp::MIN, Timestamp::MAX).await?))
}

async fn emails(State(outbox): State<Outbox>) -> Json<Vec<EmailView>> {
    let emails = outbox.mailer.sent().into_iter().map(|e| EmailView {
        to: e.to,
        subject: e.subject,
        text: e.text,
        html: e.html,
    });
    Json(emails.collect())
}
