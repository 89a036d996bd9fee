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
    /// `None` for a service paid at the venue.
    pub payment_method: Option<PaymentMethod>,
    pub idempotency_key: IdempotencyKey,
    /// Canonical form of the request, to tell a replay from a reused key.
    pub fingerprint: Fingerprint,
}

impl BookingRequest {
    pub fn fingerprint_of(
        service: ServiceId,
        start: Timestamp,
        method: Option<&PaymentMethod>,
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
    /// Paid online (Authorize and Capture follow), or at the venue (they do not).
    pub prepaid: bool,
}

/// Where an authorisation stands once Authorize has run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorizeStatus {
    /// The amount is held: Confirm follows.
    Authorized,
    /// The customer must authenticate (3-D Secure): the execution ends, the client
    /// completes the challenge and repeats its request.
    RequiresAction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizeOutput {
    pub status: AuthorizeStatus,
    /// For Stripe.js to complete the challenge with; only with `requires_action`.
    pub client_secret: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VoidOutput {
    /// Whether an authorisation was released now.
    pub voided: bool,
}

/// Confirm, Capture and Cancel hand the workflow the message to put on the queue.
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
