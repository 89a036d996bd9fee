//! The tasks' inputs and outputs: what the state machines pass from one state to the next.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{
    idempotency::{Fingerprint, IdempotencyKey},
    ids::{ReservationId, ServiceId, UserId},
    notify::Notification,
    payment::PaymentMethod,
    reservation::Actor,
};

/// The execution input of the booking workflow and the Hold task's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookingRequest {
    pub reservation_id: ReservationId,
    pub customer_id: UserId,
    pub service_id: ServiceId,
    pub start: Timestamp,
    pub payment_method: PaymentMethod,
    pub idempotency_key: IdempotencyKey,
    /// Canonical form of the request, to tell a replay from a reused key.
    pub fingerprint: Fingerprint,
}

impl BookingRequest {
    pub fn fingerprint_of(
        service: ServiceId,
        start: Timestamp,
        method: PaymentMethod,
    ) -> Fingerprint {
        Fingerprint::of(service, start, method)
    }
}

/// The execution input of the cancellation workflow and the Cancel task's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelRequest {
    pub reservation_id: ReservationId,
    pub actor: Actor,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HoldOutput {
    pub reservation_id: ReservationId,
    pub hold_expires_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargeOutput {
    pub payment_reference: String,
}

/// Confirm and Cancel hand the workflow the message to put on the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotifyOutput {
    pub notification: Notification,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundOutput {
    pub refunded_minor: i64,
    pub refund_reference: Option<String>,
}

/// Release's output: the failure notification when a booking failed, none otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseOutput {
    pub notification: Option<Notification>,
}
