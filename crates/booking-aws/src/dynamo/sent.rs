//! Which notification emails went out (docs/dynamodb.md: sent email), so that a redelivered
//! queue message sends nothing.

use async_trait::async_trait;
use booking_core::{
    Error,
    ids::ReservationId,
    notify::{NotificationEvent, SentLog},
};
use jiff::Timestamp;

use super::{Item, PutNew, Table, get_s, key, n, s, sdk_err};

/// Long past any redelivery of the message (SQS keeps a message at most 14 days).
const SENT_TTL_SECS: i64 = 30 * 24 * 60 * 60;

fn sent_key(reservation: ReservationId, event: NotificationEvent) -> Item {
    key(format!("SENT#{reservation}#{}", event.as_str()), "SENT")
}

/// [`SentLog`] on the booking table: a claim is a conditional put, a release a delete.
#[derive(Clone, Debug)]
pub struct DynamoSentLog {
    table: Table,
}

impl DynamoSentLog {
    pub fn new(table: Table) -> Self {
        DynamoSentLog { table }
    }
}

#[async_trait]
impl SentLog for DynamoSentLog {
    #[tracing::instrument(skip_all, fields(reservation_id = %reservation, event = event.as_str()))]
    async fn claim(
        &self,
        reservation: ReservationId,
        event: NotificationEvent,
    ) -> Result<bool, Error> {
        let now = Timestamp::now();
        // Tells this claim from any other: when the SDK retries a put that did succeed, the
        // refusal carries our own token, and the claim is still ours.
        let token = ulid::Ulid::generate().to_string();
        let mut item = sent_key(reservation, event);
        item.insert("claimToken".into(), s(&token));
        item.insert("claimedAt".into(), s(now.to_string()));
        item.insert(
            "ttl".into(),
            n(now.as_second().saturating_add(SENT_TTL_SECS)),
        );
        Ok(match self.table.put_new(item).await? {
            PutNew::Written => true,
            // Ours only if it is this call's own earlier write (an SDK retry).
            PutNew::Exists(old) => old
                .as_ref()
                .and_then(|old| get_s(old, "claimToken"))
                .is_some_and(|t| t == token),
        })
    }

    #[tracing::instrument(skip_all, fields(reservation_id = %reservation, event = event.as_str()))]
    async fn release(
        &self,
        reservation: ReservationId,
        event: NotificationEvent,
    ) -> Result<(), Error> {
        self.table
            .delete_item()
            .set_key(Some(sent_key(reservation, event)))
            .send()
            .await
            .map_err(sdk_err)?;
        Ok(())
    }
}
