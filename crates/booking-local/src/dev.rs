//! booking-local's development routes and its stand-in for SQS -> notify -> SES:
//! notifications are delivered in process, at most once per (reservation, event), to an
//! outbox readable at `GET /api/dev/outbox`; `GET /api/dev/ledger` shows every movement of
//! money. Both show every customer's emails and payments, so only an admin may read them.
//! Neither route exists in the Lambda functions.

use std::sync::Arc;

use async_trait::async_trait;
use axum::{
    Json, Router,
    extract::State,
    middleware,
    routing::{MethodRouter, get},
};
use booking_api::{ServicesState, extract::Admin};
use booking_core::{
    Error,
    notify::{MemoryOutbox, MemorySentLog, Notification, deliver},
    payment::LedgerEntry,
    ports::NotificationQueue,
};
use jiff::Timestamp;
use serde::Serialize;

/// Delivers each notification straight to the outbox, as the notify function would.
#[derive(Debug, Clone, Default)]
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

/// `GET /api/dev/outbox` and `GET /api/dev/ledger`, oldest first, for an admin's token
/// (401 without one, 403 for anyone else, as problems). booking-local only.
pub fn routes(state: ServicesState, outbox: Outbox) -> Router {
    Router::new()
        .route("/api/dev/outbox", emails(outbox))
        .route("/api/dev/ledger", get(entries))
        .layer(middleware::from_fn(booking_api::cache::cache_control))
        .with_state(state)
}

async fn entries(
    State(state): State<ServicesState>,
    _: Admin,
) -> Result<Json<Vec<LedgerEntry>>, booking_api::Problem> {
    let ledger = &state.ledger;
    Ok(Json(ledger.between(Timestamp::MIN, Timestamp::MAX).await?))
}

/// The outbox is not part of the router's state, so its handler holds it.
fn emails(outbox: Outbox) -> MethodRouter<ServicesState> {
    get(move |_: Admin| async move {
        let emails = outbox.mailer.sent().into_iter().map(|e| EmailView {
            to: e.to,
            subject: e.subject,
            text: e.text,
            html: e.html,
        });
        Json(emails.collect::<Vec<_>>())
    })
}
