//! The paths through the workflows' states that several scenarios expect, named once: the
//! in-process runner over the real tasks (`booking.rs`) and over scripted ones
//! (`asl_parity`) must take the same.

/// Held, charged, confirmed and announced.
pub const BOOKED: &[&str] = &["Hold", "Charge", "Confirm", "SendConfirmation", "Booked"];

/// Refused at Hold (a taken slot, a rule): nothing to undo.
pub const REJECTED_AT_HOLD: &[&str] = &["Hold", "BookingRejected"];

/// Charge failed for good at once: the slot is released, nothing refunded but checked, and
/// the failure announced.
pub const FAILED_AT_CHARGE: &[&str] = &[
    "Hold",
    "Charge",
    "Release",
    "Refund",
    "SendFailure",
    "BookingFailed",
];

/// Charge failed three times (a transient error and its two retries), then as above.
pub const FAILED_AFTER_CHARGE_RETRIES: &[&str] = &[
    "Hold",
    "Charge",
    "Charge",
    "Charge",
    "Release",
    "Refund",
    "SendFailure",
    "BookingFailed",
];

/// Confirm failed after the charge (the hold lapsed): released, refunded, announced.
pub const FAILED_AT_CONFIRM: &[&str] = &[
    "Hold",
    "Charge",
    "Confirm",
    "Release",
    "Refund",
    "SendFailure",
    "BookingFailed",
];

/// Cancelled, its slot freed, refunded by the policy and announced.
pub const CANCELLED: &[&str] = &[
    "Cancel",
    "ReleaseSlot",
    "RefundByPolicy",
    "SendCancellation",
    "Cancelled",
];

/// Refused at Cancel: nothing changed.
pub const CANCEL_REJECTED: &[&str] = &["Cancel", "CancelRejected"];

/// A path written as its state names separated by spaces, for the ones only one scenario
/// expects: `states("Hold Charge Charge")`.
pub fn states(path: &str) -> Vec<&str> {
    path.split_whitespace().collect()
}
