//! The transactions of the reservation store: the conditional writes they are made of, and
//! the read-decide-write rounds every change goes through until one commits.

use std::collections::HashMap;

use anyhow::anyhow;
use aws_sdk_dynamodb::{
    operation::transact_write_items::TransactWriteItemsError,
    types::{Put, TransactWriteItem, Update},
};
use booking_core::{Error, reservation::Reservation};

use super::{
    DynamoReservations,
    items::{names, reservation_item, values},
};
use crate::dynamo::{
    Attempts, CLAIM_ATTEMPTS, Item, cancellation_reasons, n, s, sdk_err, store_err,
    transact_put_new,
};

/// What one round of a read-decide-write operation came to.
pub(super) enum Step<T> {
    /// The answer, with nothing (more) to write.
    Done(T),
    /// Something changed under the round before it could write: read and decide again.
    Again,
    /// One transaction to write, and the answer once it commits.
    Write(Vec<TransactWriteItem>, T),
}

/// The outcome of one transaction: committed, or cancelled with DynamoDB's reason code
/// per item, in the order they were sent.
enum Tx {
    Committed,
    Cancelled(Vec<String>),
}

/// Cancellation reasons worth reading again and retrying for: someone else's write won.
fn contended(codes: &[String]) -> bool {
    codes.iter().all(|c| {
        matches!(
            c.as_str(),
            "None"
                | "ConditionalCheckFailed"
                | "TransactionConflict"
                | "ThrottlingError"
                | "ProvisionedThroughputExceeded"
        )
    })
}

impl DynamoReservations {
    /// Runs read-decide-write rounds until one commits or needs no write. A round whose
    /// transaction loses a race is tried again after a jittered backoff, at most
    /// [`CLAIM_ATTEMPTS`] transactions, and then one more round that only reads and
    /// decides: every round decides afresh, so a rule that now refuses the change (the slot
    /// filled, the hold lapsed, the status moved on) is what the caller hears, and a store
    /// error only when the last read still calls for a write. An error of a round ends the
    /// operation.
    pub(super) async fn until_committed<T, F>(
        &self,
        op: &'static str,
        mut round: impl FnMut() -> F,
    ) -> Result<T, Error>
    where
        F: Future<Output = Result<Step<T>, Error>>,
    {
        let mut attempts = Attempts::new(op, CLAIM_ATTEMPTS + 1);
        let mut codes = Vec::new();
        loop {
            let why = match round().await? {
                Step::Done(answer) => return Ok(answer),
                Step::Again => "it changed while it was read".to_owned(),
                Step::Write(..) if attempts.last() => {
                    format!("still contended (last cancellation reasons: {codes:?})")
                }
                Step::Write(writes, answer) => match self.transact(writes).await? {
                    Tx::Committed => return Ok(answer),
                    Tx::Cancelled(c) if contended(&c) => {
                        let why = format!("cancellation reasons {c:?}");
                        codes = c;
                        why
                    }
                    Tx::Cancelled(c) => return Err(refused(op, &c)),
                },
            };
            attempts.again(why).await?;
        }
    }

    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<Tx, Error> {
        let result = self
            .table
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            // A fresh token per attempt makes the SDK's own retries of it idempotent: a request
            // that committed but whose answer was lost is then answered as committed.
            .client_request_token(ulid::Ulid::generate().to_string())
            .send()
            .await;
        let e = match result {
            Ok(_) => return Ok(Tx::Committed),
            Err(e) => e,
        };
        if let Some(reasons) = cancellation_reasons(&e) {
            let codes = reasons
                .into_iter()
                .map(|c| c.unwrap_or_else(|| "None".into()))
                .collect();
            return Ok(Tx::Cancelled(codes));
        }
        match e.as_service_error() {
            Some(TransactWriteItemsError::TransactionInProgressException(_)) => {
                Ok(Tx::Cancelled(vec!["TransactionConflict".into()]))
            }
            _ => Err(sdk_err(e)),
        }
    }
}

fn refused(op: &str, codes: &[String]) -> Error {
    store_err(anyhow!("{op}: transaction cancelled: {codes:?}"))
}

/// The conditional Put of an item read with `version` (`None`: it did not exist).
pub(super) fn put_versioned(
    table: &str,
    item: Item,
    read: Option<i64>,
) -> Result<TransactWriteItem, Error> {
    let Some(v) = read else {
        return transact_put_new(table, item);
    };
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("#v = :v")
        .set_expression_attribute_names(Some(names([("#v", "version")])))
        .set_expression_attribute_values(Some(values([(":v", n(v))])))
        .build()
        .map_err(store_err)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

pub(super) fn update(
    table: &str,
    key: Item,
    expression: &str,
    condition: &str,
    names: HashMap<String, String>,
    values: Item,
) -> Result<TransactWriteItem, Error> {
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(key))
        .update_expression(expression)
        .condition_expression(condition)
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .build()
        .map_err(store_err)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// A status change of a stored reservation, conditioned on the status and version read.
pub(super) fn put_changed(
    table: &str,
    next: &Reservation,
    read: &Reservation,
) -> Result<TransactWriteItem, Error> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(reservation_item(next)?))
        .condition_expression("#status = :status AND #v = :v")
        .set_expression_attribute_names(Some(names([("#status", "status"), ("#v", "version")])))
        .set_expression_attribute_values(Some(values([
            (":status", s(read.status.as_str())),
            (":v", n(read.version)),
        ])))
        .build()
        .map_err(store_err)?;
    Ok(TransactWriteItem::builder().put(put).build())
}
