//! The paths of the booking workflow: every failure of every task, retried or not.

use crate::{
    lambda::LAMBDA_SERVICE_ERRORS,
    paths,
    runs::{
        assert_failed, book, book_in_process, book_via_lambda, booking_request, failed, repeat,
    },
    scripted::{Fails, LambdaFault, OkWithoutNotice},
};

#[tokio::test]
async fn a_booking_without_failures_holds_charges_confirms_and_notifies() {
    let run = book(&[]).await;
    assert_eq!(run.trace, paths::BOOKED);
    assert_eq!(run.outcome, Ok(()));
    assert!(
        run.calls[2].contains("with ch_"),
        "confirm gets the charge's reference: {run:?}"
    );
    assert!(run.calls[3].starts_with("send confirmed"));
}

#[tokio::test]
async fn a_taken_slot_rejects_the_booking_at_hold() {
    let run = book(&[("hold", Fails("SlotUnavailable"))]).await;
    assert_failed(&run, paths::REJECTED_AT_HOLD, "SlotUnavailable");
}

#[tokio::test]
async fn a_rule_violation_rejects_the_booking_at_hold_with_its_message() {
    let run = book(&[("hold", Fails("RuleViolation"))]).await;
    assert_eq!(run.trace, paths::REJECTED_AT_HOLD);
    assert_eq!(
        run.outcome,
        Err((
            "RuleViolation".into(),
            "start: scripted RuleViolation".into()
        ))
    );
}

#[tokio::test]
async fn a_declined_card_releases_the_slot_and_sends_the_failure() {
    let run = book(&[("charge", Fails("PaymentDeclined"))]).await;
    assert_failed(&run, paths::FAILED_AT_CHARGE, "PaymentDeclined");
    assert!(
        run.calls[2].ends_with(": PaymentDeclined (start: scripted PaymentDeclined)"),
        "{run:?}"
    );
    assert!(
        run.calls[3].starts_with("refund"),
        "refunds nothing if nothing was charged"
    );
    assert!(run.calls[4].starts_with("send failed"));
}

#[tokio::test]
async fn a_transient_payment_error_is_retried_twice_then_the_booking_fails() {
    let run = book(&repeat("charge", Fails("PaymentTransient"), 3)).await;
    assert_failed(&run, paths::FAILED_AFTER_CHARGE_RETRIES, "PaymentTransient");
}

#[tokio::test]
async fn a_transient_payment_error_that_clears_on_retry_books() {
    let run = book(&[("charge", Fails("PaymentTransient"))]).await;
    assert_eq!(
        run.trace,
        paths::states("Hold Charge Charge Confirm SendConfirmation Booked")
    );
    assert_eq!(run.outcome, Ok(()));
}

#[tokio::test]
async fn each_retrier_counts_its_own_attempts() {
    // PaymentTransient uses up its 2 retries around a StoreUnavailable retry; the next
    // PaymentTransient goes to the Catch although StoreUnavailable has retries left.
    let script = [
        ("charge", Fails("PaymentTransient")),
        ("charge", Fails("StoreUnavailable")),
        ("charge", Fails("PaymentTransient")),
        ("charge", Fails("PaymentTransient")),
    ];
    let run = book(&script).await;
    assert_failed(
        &run,
        paths::states("Hold Charge Charge Charge Charge Release Refund SendFailure BookingFailed"),
        "PaymentTransient",
    );
}

#[tokio::test]
async fn an_expired_hold_at_confirm_releases_then_refunds() {
    let run = book(&[("confirm", Fails("HoldExpired"))]).await;
    assert_failed(&run, paths::FAILED_AT_CONFIRM, "HoldExpired");
    assert!(
        run.calls[3].contains(": HoldExpired ("),
        "Release gets Confirm's error: {run:?}"
    );
}

#[tokio::test]
async fn a_lambda_service_error_at_confirm_is_retried_like_a_store_outage() {
    // The runner calls the task directly, so no Lambda service can fail there: the ASL's
    // Lambda.ServiceException is compared with the runner's StoreUnavailable, whose retrier
    // has the same shape (3 attempts, 1 s, x2).
    let req = booking_request();
    let asl = book_via_lambda(&req, &[("confirm", LambdaFault("Lambda.ServiceException"))]).await;
    let runner = book_in_process(&req, &[("confirm", Fails("StoreUnavailable"))]).await;
    assert_eq!((&asl.trace, &asl.outcome), (&runner.trace, &runner.outcome));
    assert_eq!(
        asl.trace,
        paths::states("Hold Charge Confirm Confirm SendConfirmation Booked")
    );
    for error in LAMBDA_SERVICE_ERRORS {
        let asl = book_via_lambda(&req, &repeat("hold", LambdaFault(error), 4)).await;
        assert_eq!(
            asl.trace,
            ["Hold", "Hold", "Hold", "Hold", "BookingRejected"],
            "{error}"
        );
        assert_eq!(failed(&asl), *error);
    }
}

#[tokio::test]
async fn a_failed_refund_still_announces_and_fails_with_the_original_error() {
    let mut script = vec![("confirm", Fails("HoldExpired"))];
    script.extend(repeat("refund", Fails("PaymentTransient"), 3));
    let run = book(&script).await;
    assert_failed(
        &run,
        paths::states("Hold Charge Confirm Release Refund Refund Refund SendFailure BookingFailed"),
        "HoldExpired",
    );
    assert!(
        run.calls[3].contains(": HoldExpired ("),
        "not the refund's error: {run:?}"
    );
}

#[tokio::test]
async fn a_failed_release_ends_the_booking_without_a_failure_notice() {
    let mut script = vec![("charge", Fails("PaymentDeclined"))];
    script.extend(repeat("release", Fails("StoreUnavailable"), 4));
    let run = book(&script).await;
    assert_failed(
        &run,
        paths::states("Hold Charge Release Release Release Release BookingFailed"),
        "PaymentDeclined",
    );

    let run = book(&[
        ("charge", Fails("PaymentDeclined")),
        ("release", Fails("NotFound")),
    ])
    .await;
    assert_failed(
        &run,
        ["Hold", "Charge", "Release", "BookingFailed"],
        "PaymentDeclined",
    );
}

/// Release yields no notification when the reservation did not become FAILED (one already
/// CANCELLED). The ASL cannot enter an sqs:sendMessage state and send nothing, so its
/// `HasFailureNotice` Choice skips SendFailure; the runner must skip it too.
#[tokio::test]
async fn a_release_without_a_failure_notice_sends_nothing() {
    let run = book(&[
        ("charge", Fails("PaymentDeclined")),
        ("release", OkWithoutNotice),
    ])
    .await;
    assert_failed(
        &run,
        ["Hold", "Charge", "Release", "Refund", "BookingFailed"],
        "PaymentDeclined",
    );
}

#[tokio::test]
async fn a_confirmation_that_cannot_be_queued_still_books() {
    let run = book(&repeat("send", Fails("StoreUnavailable"), 4)).await;
    assert_eq!(
        run.trace,
        paths::states(
            "Hold Charge Confirm SendConfirmation SendConfirmation SendConfirmation SendConfirmation Booked"
        )
    );
    assert_eq!(run.outcome, Ok(()));
}

#[tokio::test]
async fn a_failure_notice_that_cannot_be_queued_still_fails_with_the_original_error() {
    let mut script = vec![("charge", Fails("PaymentDeclined"))];
    script.extend(repeat("send", Fails("StoreUnavailable"), 4));
    let run = book(&script).await;
    assert_eq!(run.trace.iter().filter(|s| *s == "SendFailure").count(), 4);
    assert_eq!(run.trace.last().unwrap(), "BookingFailed");
    assert_eq!(failed(&run), "PaymentDeclined");
}
