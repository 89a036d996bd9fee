//! The paths of the cancellation workflow.

use crate::{
    paths,
    runs::{assert_failed, cancel, repeat},
    scripted::Fails,
};

#[tokio::test]
async fn a_cancellation_releases_refunds_and_notifies() {
    let run = cancel(&[]).await;
    assert_eq!(run.trace, paths::CANCELLED);
    assert_eq!(run.outcome, Ok(()));
    assert!(run.calls[1].ends_with(": no error"), "{run:?}");
    assert!(run.calls[3].starts_with("send cancelled"));
}

#[tokio::test]
async fn a_reservation_that_cannot_be_cancelled_is_rejected_at_cancel() {
    let run = cancel(&[("cancel", Fails("NotCancellable"))]).await;
    assert_failed(&run, paths::CANCEL_REJECTED, "NotCancellable");
}

#[tokio::test]
async fn a_refund_that_keeps_failing_fails_the_cancellation_after_the_slot_is_freed() {
    let run = cancel(&repeat("refund", Fails("PaymentTransient"), 3)).await;
    assert_failed(
        &run,
        paths::states(
            "Cancel ReleaseSlot RefundByPolicy RefundByPolicy RefundByPolicy CancelFailed",
        ),
        "PaymentTransient",
    );
}

#[tokio::test]
async fn a_failed_slot_release_fails_the_cancellation_before_the_refund() {
    let run = cancel(&[("release", Fails("NotFound"))]).await;
    assert_failed(&run, ["Cancel", "ReleaseSlot", "CancelFailed"], "NotFound");
}

#[tokio::test]
async fn a_cancellation_notice_that_cannot_be_queued_still_cancels() {
    let run = cancel(&repeat("send", Fails("StoreUnavailable"), 4)).await;
    assert_eq!(
        run.trace
            .iter()
            .filter(|s| *s == "SendCancellation")
            .count(),
        4
    );
    assert_eq!(run.trace.last().unwrap(), "Cancelled");
    assert_eq!(run.outcome, Ok(()));
}
