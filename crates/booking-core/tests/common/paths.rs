//! The paths through the workflows' states that several scenarios expect, named once: the
//! in-process runner over the real tasks (`booking.rs`) and over scripted ones
//! (`asl_parity`) must take the same.

/// Held, authorised, confirmed, captured and announced.
pub const BOOKED: &[&str] = &[
    "Hold",
    "Authorize",
    "Confirm",
    "Capture",
    "SendConfirmation",
    "Booked",
];

/// A service paid at the venue: no money states.
pub const BOOKED_AT_VENUE: &[&str] = &["Hold", "Confirm", "SendConfirmation", "Booked"];

/// The card asks for 3-D Secure: the execution ends, the hold keeps the place.
pub const AWAITING_AUTHENTICATION: &[&str] = &["Hold", "Authorize", "AwaitingAuthentication"];

/// Refused at Hold (a taken slot, a rule): nothing to undo.
pub const REJECTED_AT_HOLD: &[&str] = &["Hold", "BookingRejected"];

/// Authorize failed for good at once: the slot is released, nothing voided or refunded but
/// checked, and the failure announced.
pub const FAILED_AT_AUTHORIZE: &[&str] = &[
    "Hold",
    "Authorize",
    "Release",
    "Void",
    "Refund",
    "SendFailure",
    "BookingFailed",
];

/// Authorize failed twice (a transient error and its one retry), then as above.
pub const FAILED_AFTER_AUTHORIZE_RETRIES: &[&str] = &[
    "Hold",
    "Authorize",
    "Authorize",
    "Release",
    "Void",
    "Refund",
    "SendFailure",
    "BookingFailed",
];

/// Confirm failed after the authorisation (the hold lapsed): released, voided, announced.
pub const FAILED_AT_CONFIRM: &[&str] = &[
    "Hold",
    "Authorize",
    "Confirm",
    "Release",
    "Void",
    "Refund",
    "SendFailure",
    "BookingFailed",
];

/// The capture failed for good after Confirm: revoked, voided, announced.
pub const FAILED_AT_CAPTURE: &[&str] = &[
    "Hold",
    "Authorize",
    "Confirm",
    "Capture",
    "Revoke",
    "Void",
    "Refund",
    "SendFailure",
    "BookingFailed",
];

/// Cancelled, its slot freed, refunded by the policy and announced.
pub const CANCELLED: &[&str] = &[
    "Cancel",
    "ReleaseSlot",
    "VoidUncaptured",
    "RefundByPolicy",
    "SendCancellation",
    "Cancelled",
];

/// Refused at Cancel: nothing changed.
pub const CANCEL_REJECTED: &[&str] = &["Cancel", "CancelRejected"];

/// A path written as its state names separated by spaces, for the ones only one scenario
/// expects: `states("Hold Authorize Authorize")`.
pub fn states(path: &str) -> Vec<&str> {
    path.split_whitespace().collect()
}
