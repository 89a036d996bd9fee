//! The paths of the cancellation workflow.

use crate::{
    paths,
    runs::{End, assert_calls, assert_failed, cancel, repeat},
    scripted::Fails,
};

#[tokio::test]
async fn a_cancellation_releases_voids_refunds_and_notifies() {
    // Given tasks that all succeed
    // When a reservation is cancelled
    let run = cancel(&[]).await;
    // Then the slot is freed (with no error), an uncaptured authorisation voided, the
    // policy's refund made and Cancel's message sent
    assert_eq!(run.trace, paths::CANCELLED);
    assert_eq!(run.outcome, End::Succeeded);
    assert_calls(
        &run,
        &[
            "cancel R by System",
            "release R: no error",
            "void R",
            "refund R",
            "send cancelled R (ch_R)",
        ],
    );
}

#[tokio::test]
async fn a_reservation_that_cannot_be_cancelled_is_rejected_at_cancel() {
    let run = cancel(&[("cancel", Fails("NotCancellable"))]).await;
    assert_failed(&run, paths::CANCEL_REJECTED, "NotCancellable");
    assert_calls(&run, &["cancel R by System"]);
}

#[tokio::test]
async fn a_refund_that_keeps_failing_fails_the_cancellation_after_the_slot_is_freed() {
    let run = cancel(&repeat("refund", Fails("PaymentTransient"), 2)).await;
    assert_failed(
        &run,
        paths::states(
            "Cancel ReleaseSlot VoidUncaptured RefundByPolicy RefundByPolicy CancelFailed",
        ),
        "PaymentTransient",
    );
}

#[tokio::test]
async fn a_failed_slot_release_fails_the_cancellation_before_the_void_and_the_refund() {
    let run = cancel(&[("release", Fails("NotFound"))]).await;
    assert_failed(&run, ["Cancel", "ReleaseSlot", "CancelFailed"], "NotFound");
    assert_calls(&run, &["cancel R by System", "release R: no error"]);
}

#[tokio::test]
async fn a_void_that_fails_fails_the_cancellation_before_the_refund() {
    // Given an authorisation that cannot be released, transiently or for good
    let run = cancel(&repeat("void", Fails("PaymentTransient"), 2)).await;
    // Then the cancellation fails with the void's error once its retry is spent, and
    // nothing is refunded or announced
    assert_failed(
        &run,
        paths::states("Cancel ReleaseSlot VoidUncaptured VoidUncaptured CancelFailed"),
        "PaymentTransient",
    );
    let run = cancel(&[("void", Fails("InvalidRequest"))]).await;
    assert_failed(
        &run,
        ["Cancel", "ReleaseSlot", "VoidUncaptured", "CancelFailed"],
        "InvalidRequest",
    );
    assert_calls(
        &run,
        &["cancel R by System", "release R: no error", "void R"],
    );
}

#[tokio::test]
async fn a_cancellation_notice_that_cannot_be_queued_still_cancels() {
    let run = cancel(&repeat("send", Fails("StoreUnavailable"), 3)).await;
    assert_eq!(
        run.trace,
        paths::states(
            "Cancel ReleaseSlot VoidUncaptured RefundByPolicy SendCancellation SendCancellation SendCancellation Cancelled",
        )
    );
    assert_eq!(run.outcome, End::Succeeded);
}
