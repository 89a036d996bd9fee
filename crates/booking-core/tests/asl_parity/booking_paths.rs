//! The paths of the booking workflow: every failure of every task, retried or not.

use crate::{
    lambda::LAMBDA_SERVICE_ERRORS,
    paths,
    runs::{
        End, assert_booked, assert_calls, assert_failed, book, book_in_process, book_via_lambda,
        booking_request, repeat,
    },
    scripted::{AtVenue, Fails, LambdaFault, OkWithoutNotice, RequiresAction},
};

/// What Release (or Revoke) is called with after a scripted `PaymentDeclined`.
const DECLINED: &str = "PaymentDeclined (start: scripted PaymentDeclined)";

#[tokio::test]
async fn a_booking_without_failures_holds_authorizes_confirms_captures_and_notifies() {
    // Given tasks that all succeed
    // When the booking runs
    let run = book(&[]).await;
    // Then it goes through every money state, and the confirmation sent is Capture's,
    // which carries the charge (Confirm's has none yet)
    assert_booked(&run, paths::BOOKED);
    assert_calls(
        &run,
        &[
            "hold R key=key-1",
            "authorize R",
            "confirm R",
            "capture R",
            "send confirmed R (ch_R)",
        ],
    );
}

#[tokio::test]
async fn a_service_paid_at_the_venue_is_confirmed_without_any_payment_task() {
    // Given a Hold that says the service is paid at the venue
    // When the booking runs
    let run = book(&[("hold", AtVenue)]).await;
    // Then no pay task is called, and Confirm's confirmation (no charge) is sent
    assert_booked(&run, paths::BOOKED_AT_VENUE);
    assert_calls(
        &run,
        &[
            "hold R key=key-1",
            "confirm R",
            "send confirmed R (no charge)",
        ],
    );
}

#[tokio::test]
async fn a_card_that_asks_for_3d_secure_ends_the_execution_with_the_client_secret() {
    // Given a card that asks the customer to authenticate
    // When the booking runs
    let run = book(&[("authorize", RequiresAction)]).await;
    // Then the execution ends awaiting authentication with Authorize's client secret:
    // nothing is confirmed, compensated or sent, and the hold keeps the place
    assert_eq!(run.trace, paths::AWAITING_AUTHENTICATION);
    assert_eq!(run.outcome, End::ActionRequired("pi_R_secret".into()));
    assert_calls(&run, &["hold R key=key-1", "authorize R"]);
}

#[tokio::test]
async fn a_taken_slot_rejects_the_booking_at_hold() {
    let run = book(&[("hold", Fails("SlotUnavailable"))]).await;
    assert_failed(&run, paths::REJECTED_AT_HOLD, "SlotUnavailable");
    assert_calls(&run, &["hold R key=key-1"]);
}

#[tokio::test]
async fn a_rule_violation_rejects_the_booking_at_hold_with_its_message() {
    let run = book(&[("hold", Fails("RuleViolation"))]).await;
    assert_eq!(run.trace, paths::REJECTED_AT_HOLD);
    assert_eq!(
        run.outcome,
        End::Failed(
            "RuleViolation".into(),
            "start: scripted RuleViolation".into()
        )
    );
}

#[tokio::test]
async fn a_declined_card_releases_the_slot_voids_and_sends_the_failure() {
    // Given a card the issuer declines
    let run = book(&[("authorize", Fails("PaymentDeclined"))]).await;
    // Then Release gets Authorize's error, Void and Refund run (they find nothing to do on
    // the real tasks), the failure is announced and the booking fails with that error
    assert_failed(&run, paths::FAILED_AT_AUTHORIZE, "PaymentDeclined");
    assert_calls(
        &run,
        &[
            "hold R key=key-1",
            "authorize R",
            &format!("release R: {DECLINED}"),
            "void R",
            "refund R",
            "send failed R (no charge)",
        ],
    );
}

#[tokio::test]
async fn a_transient_payment_error_is_retried_once_then_the_booking_fails() {
    let run = book(&repeat("authorize", Fails("PaymentTransient"), 2)).await;
    assert_failed(
        &run,
        paths::FAILED_AFTER_AUTHORIZE_RETRIES,
        "PaymentTransient",
    );
}

#[tokio::test]
async fn a_transient_payment_error_that_clears_on_retry_books() {
    let run = book(&[("authorize", Fails("PaymentTransient"))]).await;
    assert_booked(
        &run,
        paths::states("Hold Authorize Authorize Confirm Capture SendConfirmation Booked"),
    );
}

#[tokio::test]
async fn each_retrier_counts_its_own_attempts() {
    // PaymentTransient uses up its one retry around a StoreUnavailable retry; the next
    // PaymentTransient goes to the Catch although StoreUnavailable has a retry left.
    let script = [
        ("authorize", Fails("PaymentTransient")),
        ("authorize", Fails("StoreUnavailable")),
        ("authorize", Fails("PaymentTransient")),
    ];
    let run = book(&script).await;
    assert_failed(
        &run,
        paths::states(
            "Hold Authorize Authorize Authorize Release Void Refund SendFailure BookingFailed",
        ),
        "PaymentTransient",
    );
}

#[tokio::test]
async fn an_expired_hold_at_confirm_releases_then_voids_the_authorisation() {
    let run = book(&[("confirm", Fails("HoldExpired"))]).await;
    assert_failed(&run, paths::FAILED_AT_CONFIRM, "HoldExpired");
    assert_calls(
        &run,
        &[
            "hold R key=key-1",
            "authorize R",
            "confirm R",
            "release R: HoldExpired (start: scripted HoldExpired)",
            "void R",
            "refund R",
            "send failed R (no charge)",
        ],
    );
}

#[tokio::test]
async fn a_lambda_service_error_at_confirm_is_retried_like_a_store_outage() {
    // The runner calls the task directly, so no Lambda service can fail there: the ASL's
    // Lambda.ServiceException is compared with the runner's StoreUnavailable, whose retrier
    // on a reserve task has the same shape (3 attempts, 1 s, x2).
    let req = booking_request();
    let asl = book_via_lambda(&req, &[("confirm", LambdaFault("Lambda.ServiceException"))]).await;
    let runner = book_in_process(&req, &[("confirm", Fails("StoreUnavailable"))]).await;
    assert_eq!((&asl.trace, &asl.outcome), (&runner.trace, &runner.outcome));
    assert_booked(
        &asl,
        paths::states("Hold Authorize Confirm Confirm Capture SendConfirmation Booked"),
    );
    // A reserve task makes three attempts at each of them
    for error in LAMBDA_SERVICE_ERRORS {
        let asl = book_via_lambda(&req, &repeat("hold", LambdaFault(error), 3)).await;
        assert_failed(&asl, ["Hold", "Hold", "Hold", "BookingRejected"], error);
    }
}

#[tokio::test]
async fn a_pay_task_retries_a_lambda_service_error_once() {
    // A pay task's first retrier allows one retry (two attempts) where StoreUnavailable
    // and PaymentTransient allow two: a retried payment call costs the waiting client most.
    let req = booking_request();
    for error in LAMBDA_SERVICE_ERRORS {
        let once = book_via_lambda(&req, &[("authorize", LambdaFault(error))]).await;
        assert_booked(
            &once,
            paths::states("Hold Authorize Authorize Confirm Capture SendConfirmation Booked"),
        );
        let twice = book_via_lambda(&req, &repeat("authorize", LambdaFault(error), 2)).await;
        assert_failed(
            &twice,
            paths::states("Hold Authorize Authorize Release Void Refund SendFailure BookingFailed"),
            error,
        );
        assert_eq!(
            twice.calls[1],
            format!("release R: {error} (scripted Lambda fault)"),
            "Release gets the Lambda error's message, not its JSON: {twice:?}"
        );
    }
}

#[tokio::test]
async fn a_capture_that_fails_for_good_revokes_voids_and_fails_with_captures_error() {
    // Given a capture the gateway refuses (the authorisation expired, say)
    let run = book(&[("capture", Fails("PaymentDeclined"))]).await;
    // Then the confirmed booking is revoked with Capture's error, the authorisation voided,
    // the failure announced, and the booking fails with that error
    assert_failed(&run, paths::FAILED_AT_CAPTURE, "PaymentDeclined");
    assert_calls(
        &run,
        &[
            "hold R key=key-1",
            "authorize R",
            "confirm R",
            "capture R",
            &format!("revoke R: {DECLINED}"),
            "void R",
            "refund R",
            "send failed R (no charge)",
        ],
    );
}

#[tokio::test]
async fn a_transient_capture_error_is_retried_once_then_the_booking_is_revoked() {
    let run = book(&repeat("capture", Fails("PaymentTransient"), 2)).await;
    assert_failed(
        &run,
        paths::states(
            "Hold Authorize Confirm Capture Capture Revoke Void Refund SendFailure BookingFailed",
        ),
        "PaymentTransient",
    );
}

#[tokio::test]
async fn a_transient_capture_error_that_clears_on_retry_books_with_the_charge() {
    let run = book(&[("capture", Fails("PaymentTransient"))]).await;
    assert_booked(
        &run,
        paths::states("Hold Authorize Confirm Capture Capture SendConfirmation Booked"),
    );
    assert_eq!(run.calls.last().unwrap(), "send confirmed R (ch_R)");
}

#[tokio::test]
async fn a_failed_revoke_ends_the_booking_without_voiding_or_a_failure_notice() {
    // Given a capture that fails for good and a Revoke that refuses (the charge was
    // recorded after all)
    let run = book(&[
        ("capture", Fails("PaymentDeclined")),
        ("revoke", Fails("InvalidRequest")),
    ])
    .await;
    // Then nothing is voided or refunded, and the booking fails with Capture's error
    assert_failed(
        &run,
        paths::states("Hold Authorize Confirm Capture Revoke BookingFailed"),
        "PaymentDeclined",
    );
    assert_eq!(run.calls.last().unwrap(), &format!("revoke R: {DECLINED}"));
}

#[tokio::test]
async fn a_void_that_keeps_failing_still_refunds_and_announces() {
    // Given an authorisation that cannot be voided, transiently or for good
    for (void, attempts) in [
        (repeat("void", Fails("PaymentTransient"), 2), "Void Void"),
        (repeat("void", Fails("NotFound"), 1), "Void"),
    ] {
        let mut script = vec![("confirm", Fails("HoldExpired"))];
        script.extend(void);
        let run = book(&script).await;
        // Then Refund and SendFailure still run, and the booking fails with Confirm's error
        let path =
            format!("Hold Authorize Confirm Release {attempts} Refund SendFailure BookingFailed");
        assert_failed(&run, paths::states(&path), "HoldExpired");
        assert_eq!(run.calls.last().unwrap(), "send failed R (no charge)");
    }
}

#[tokio::test]
async fn a_failed_refund_still_announces_and_fails_with_the_original_error() {
    let mut script = vec![("confirm", Fails("HoldExpired"))];
    script.extend(repeat("refund", Fails("PaymentTransient"), 2));
    let run = book(&script).await;
    assert_failed(
        &run,
        paths::states(
            "Hold Authorize Confirm Release Void Refund Refund SendFailure BookingFailed",
        ),
        "HoldExpired",
    );
    assert!(
        run.calls[3].contains(": HoldExpired ("),
        "not the refund's error: {run:?}"
    );
}

#[tokio::test]
async fn a_failed_release_ends_the_booking_without_a_failure_notice() {
    let mut script = vec![("authorize", Fails("PaymentDeclined"))];
    script.extend(repeat("release", Fails("StoreUnavailable"), 3));
    let run = book(&script).await;
    assert_failed(
        &run,
        paths::states("Hold Authorize Release Release Release BookingFailed"),
        "PaymentDeclined",
    );

    let run = book(&[
        ("authorize", Fails("PaymentDeclined")),
        ("release", Fails("NotFound")),
    ])
    .await;
    assert_failed(
        &run,
        ["Hold", "Authorize", "Release", "BookingFailed"],
        "PaymentDeclined",
    );
}

/// Release and Revoke yield no notification when the reservation did not become FAILED
/// (one already CANCELLED, say). The ASL cannot enter an sqs:sendMessage state and send
/// nothing, so its `HasFailureNotice` Choice skips SendFailure; the runner must skip it too.
#[tokio::test]
async fn a_compensation_without_a_failure_notice_sends_nothing() {
    let run = book(&[
        ("authorize", Fails("PaymentDeclined")),
        ("release", OkWithoutNotice),
    ])
    .await;
    assert_failed(
        &run,
        [
            "Hold",
            "Authorize",
            "Release",
            "Void",
            "Refund",
            "BookingFailed",
        ],
        "PaymentDeclined",
    );

    let run = book(&[
        ("capture", Fails("PaymentDeclined")),
        ("revoke", OkWithoutNotice),
    ])
    .await;
    assert_failed(
        &run,
        paths::states("Hold Authorize Confirm Capture Revoke Void Refund BookingFailed"),
        "PaymentDeclined",
    );
    assert!(!run.calls.iter().any(|c| c.starts_with("send")), "{run:?}");
}

#[tokio::test]
async fn a_confirmation_that_cannot_be_queued_still_books() {
    let run = book(&repeat("send", Fails("StoreUnavailable"), 3)).await;
    assert_booked(
        &run,
        paths::states(
            "Hold Authorize Confirm Capture SendConfirmation SendConfirmation SendConfirmation Booked",
        ),
    );
}

#[tokio::test]
async fn a_failure_notice_that_cannot_be_queued_still_fails_with_the_original_error() {
    let mut script = vec![("authorize", Fails("PaymentDeclined"))];
    script.extend(repeat("send", Fails("StoreUnavailable"), 3));
    let run = book(&script).await;
    assert_failed(
        &run,
        paths::states(
            "Hold Authorize Release Void Refund SendFailure SendFailure SendFailure BookingFailed",
        ),
        "PaymentDeclined",
    );
}
