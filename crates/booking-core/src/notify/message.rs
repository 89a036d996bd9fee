//! The queue message the booking workflow sends, and the email rendered from it.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{ids::ReservationId, user::Email};

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
    pub customer_email: Email,
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
