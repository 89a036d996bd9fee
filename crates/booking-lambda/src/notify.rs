//! The notify function: turns each SQS batch into `(message id, body)` pairs, lets
//! [`booking_core::notify::deliver_batch`] send each email at most once, and names the
//! messages SQS must redeliver.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use booking_core::notify::{Mailer, SentLog, deliver_batch};
use lambda_runtime::{Error, LambdaEvent, service_fn};

use crate::env::Aws;

/// The notify function: SES and the sent log built once per cold start, then SQS batches.
pub async fn notify() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let (mailer, sent) = Aws::load().await?.notifier()?;
    let (mailer, sent) = (&mailer, &sent);
    lambda_runtime::run(service_fn(move |event| handle(event, mailer, sent))).await
}

/// Handles one SQS batch; only the failed messages are reported, so the others are deleted.
async fn handle(
    event: LambdaEvent<SqsEvent>,
    mailer: &dyn Mailer,
    sent: &dyn SentLog,
) -> Result<SqsBatchResponse, Error> {
    let mut messages = Vec::with_capacity(event.payload.records.len());
    for record in event.payload.records {
        // SQS always sets it; without one a failure cannot be named, so fail the whole batch
        // (the sent log makes redelivering the others harmless).
        let Some(id) = record.message_id else {
            return Err("an SQS record has no messageId".into());
        };
        // A missing body fails to parse below, as any other poison message.
        messages.push((id, record.body.unwrap_or_default()));
    }
    let failed = deliver_batch(&messages, mailer, sent).await;
    tracing::info!(
        messages = messages.len(),
        failed = failed.len(),
        "batch delivered"
    );
    let mut response = SqsBatchResponse::default();
    response.set_failures(failed);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use aws_lambda_events::event::sqs::SqsMessage;
    use booking_core::notify::{MemoryOutbox, MemorySentLog, Notification};
    use lambda_runtime::Context;

    use super::*;

    fn fixture() -> SqsEvent {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../events/notify-sqs-batch.json"
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[tokio::test]
    async fn the_sample_sqs_event_is_handled_with_no_failures() {
        // Given the committed SQS event with a confirmed and a cancelled notification
        let (outbox, log) = (MemoryOutbox::default(), MemorySentLog::default());
        let event = LambdaEvent::new(fixture(), Context::default());

        // When the handler runs
        let response = handle(event, &outbox, &log).await.unwrap();

        // Then no message is retried and both emails went out
        assert!(response.batch_item_failures.is_empty());
        let subjects: Vec<String> = outbox.sent().into_iter().map(|e| e.subject).collect();
        assert_eq!(subjects.len(), 2);
        assert!(subjects[0].starts_with("Booking confirmed: "));
        assert!(subjects[1].starts_with("Booking cancelled: "));
    }

    #[tokio::test]
    async fn the_handler_names_failed_messages_by_their_sqs_message_id() {
        // Given the sample event and a provider that rejects the first recipient
        let (outbox, log) = (MemoryOutbox::default(), MemorySentLog::default());
        let event = fixture();
        let first = &event.records[0];
        let to = serde_json::from_str::<Notification>(first.body.as_deref().unwrap())
            .unwrap()
            .customer_email;
        outbox.fail_for(to.as_str());
        let first_id = first.message_id.clone().unwrap();

        // When the handler runs
        let response = handle(LambdaEvent::new(event, Context::default()), &outbox, &log)
            .await
            .unwrap();

        // Then the response names that message only, in the shape SQS expects
        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            serde_json::json!({ "batchItemFailures": [{ "itemIdentifier": first_id }] })
        );
        assert_eq!(outbox.sent().len(), 1);
    }

    #[tokio::test]
    async fn a_record_without_a_body_is_a_poison_message() {
        // Given a record SQS delivered without a body
        let mut record = SqsMessage::default();
        record.message_id = Some("empty".into());
        let mut event = SqsEvent::default();
        event.records.push(record);
        let (outbox, log) = (MemoryOutbox::default(), MemorySentLog::default());

        // When the handler runs, then it is reported as failed
        let response = handle(LambdaEvent::new(event, Context::default()), &outbox, &log)
            .await
            .unwrap();
        assert_eq!(response.batch_item_failures.len(), 1);
        assert_eq!(response.batch_item_failures[0].item_identifier, "empty");
    }
}
