//! DynamoDB adapters for the store ports, over the one table described in docs/dynamodb.md.
//! Entities are kept as their serde JSON in a `doc` attribute, next to the key attributes
//! and the few plain attributes that conditions need.

pub mod catalog;
pub mod ledger;
pub mod reservations;
mod retry;
pub mod sent;
pub mod users;

pub use catalog::{DynamoCatalog, DynamoSettings};
pub use ledger::DynamoLedger;
pub use reservations::DynamoReservations;
pub use sent::DynamoSentLog;
pub use users::{DynamoThrottle, DynamoUsers};

use std::collections::HashMap;

use aws_sdk_dynamodb::{
    Client,
    error::SdkError,
    operation::{
        delete_item::builders::DeleteItemFluentBuilder, get_item::builders::GetItemFluentBuilder,
        put_item::builders::PutItemFluentBuilder, query::builders::QueryFluentBuilder,
        update_item::builders::UpdateItemFluentBuilder,
    },
    types::{AttributeValue, Put, TransactWriteItem},
};
use booking_core::Error;
use serde::{Serialize, de::DeserializeOwned};

pub(crate) use retry::{ATTEMPTS, Attempts, CLAIM_ATTEMPTS};

/// A DynamoDB client bound to the booking table; cheap to clone.
#[derive(Clone, Debug)]
pub struct Table {
    pub client: Client,
    pub name: String,
}

impl Table {
    pub fn new(client: Client, name: impl Into<String>) -> Self {
        Table {
            client,
            name: name.into(),
        }
    }

    /// A Query of this table, to be given its index and conditions.
    pub fn query(&self) -> QueryFluentBuilder {
        self.client.query().table_name(&self.name)
    }

    /// A GetItem of this table, to be given its key.
    fn get_item(&self) -> GetItemFluentBuilder {
        self.client.get_item().table_name(&self.name)
    }

    /// A PutItem of this table, to be given its item and condition.
    pub fn put_item(&self) -> PutItemFluentBuilder {
        self.client.put_item().table_name(&self.name)
    }

    /// An UpdateItem of this table, to be given its key and expressions.
    pub fn update_item(&self) -> UpdateItemFluentBuilder {
        self.client.update_item().table_name(&self.name)
    }

    /// A DeleteItem of this table, to be given its key.
    pub fn delete_item(&self) -> DeleteItemFluentBuilder {
        self.client.delete_item().table_name(&self.name)
    }

    /// GetItem with a strongly consistent read: the item under `key`, if any.
    pub async fn get(&self, key: Item) -> Result<Option<Item>, Error> {
        let out = self
            .get_item()
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_err)?;
        Ok(out.item)
    }

    /// PutItem unless an item with the same key exists: the first writer wins, and a later
    /// one learns what is stored (DynamoDB returns it with the refusal, at no extra cost).
    pub async fn put_new(&self, item: Item) -> Result<PutNew, Error> {
        use aws_sdk_dynamodb::{
            operation::put_item::PutItemError, types::ReturnValuesOnConditionCheckFailure,
        };
        let result = self
            .put_item()
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(PutNew::Written),
            Err(e) if is_condition_failed(&e) => Ok(PutNew::Exists(match e.into_service_error() {
                PutItemError::ConditionalCheckFailedException(c) => c.item,
                _ => None,
            })),
            Err(e) => Err(sdk_err(e)),
        }
    }

    /// BatchGetItem with strongly consistent reads, 100 keys per request, resubmitting what
    /// DynamoDB returns as unprocessed (with backoff, at most `attempts` requests per 100
    /// keys): every item found, in no particular order.
    pub async fn batch_get(&self, keys: Vec<Item>, attempts: u32) -> Result<Vec<Item>, Error> {
        use aws_sdk_dynamodb::types::KeysAndAttributes;
        let mut found = Vec::new();
        for chunk in keys.chunks(100) {
            let mut tries = Attempts::new("BatchGetItem", attempts);
            let mut pending = chunk.to_vec();
            loop {
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(pending))
                    .consistent_read(true)
                    .build()
                    .map_err(store_err)?;
                let mut out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.name, request)
                    .send()
                    .await
                    .map_err(sdk_err)?;
                found.extend(
                    out.responses
                        .as_mut()
                        .and_then(|r| r.remove(&self.name))
                        .unwrap_or_default(),
                );
                pending = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.name))
                    .map(|k| k.keys)
                    .unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
                tries
                    .again(format!("{} keys left unprocessed", pending.len()))
                    .await?;
            }
        }
        Ok(found)
    }
}

pub type Item = HashMap<String, AttributeValue>;

/// A transaction's Put of `item` unless an item with its key exists: the transactional
/// counterpart of [`Table::put_new`].
pub fn transact_put_new(table: &str, item: Item) -> Result<TransactWriteItem, Error> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(PK)")
        .build()
        .map_err(store_err)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// What [`Table::put_new`] did.
#[derive(Debug)]
pub enum PutNew {
    Written,
    /// An item with that key was already there: the stored item, when DynamoDB sent it.
    Exists(Option<Item>),
}

/// Wraps any adapter failure as the domain's storage error, keeping the cause chain for
/// the logs (the client only ever sees a generic 500/503).
pub fn store_err(e: impl Into<anyhow::Error>) -> Error {
    let e: anyhow::Error = e.into();
    Error::Store(e.into())
}

/// The SDK error with its service error code, if DynamoDB answered one.
pub fn sdk_err<E, R>(e: SdkError<E, R>) -> Error
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    store_err(anyhow::Error::new(e))
}

pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// An item's key: its `PK` and `SK`.
pub fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    Item::from([("PK".to_owned(), s(pk)), ("SK".to_owned(), s(sk))])
}

/// Milliseconds since the epoch, zero-padded to 15 digits so they sort as strings (in keys
/// and in the bounds of queries on them).
pub fn padded(ms: i64) -> String {
    format!("{ms:015}")
}

/// The JSON of an entity, for the `doc` attribute.
pub fn doc<T: Serialize>(value: &T) -> Result<AttributeValue, Error> {
    serde_json::to_string(value)
        .map(AttributeValue::S)
        .map_err(store_err)
}

/// Reads the entity back from an item's `doc` attribute.
pub fn from_doc<T: DeserializeOwned>(item: &Item) -> Result<T, Error> {
    let raw = item
        .get("doc")
        .and_then(|v| v.as_s().ok())
        .ok_or_else(|| store_err(anyhow::anyhow!("item without a doc attribute")))?;
    serde_json::from_str(raw).map_err(store_err)
}

/// A string attribute of an item.
pub fn get_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

/// A number attribute of an item.
pub fn get_n(item: &Item, name: &str) -> Option<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

// Shared by the adapters: paging, conditional failures, transaction reasons (retries:
// the `retry` module).

/// Runs a Query page after page (following `LastEvaluatedKey`) until the results end or
/// `want` items are in hand; a page can stop at 1 MB long before its `Limit`.
pub async fn query_items(
    query: QueryFluentBuilder,
    want: Option<usize>,
) -> Result<Vec<Item>, Error> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = query
            .clone()
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(sdk_err)?;
        items.extend(out.items.unwrap_or_default());
        start = out.last_evaluated_key.filter(|k| !k.is_empty());
        if start.is_none() || want.is_some_and(|w| items.len() >= w) {
            if let Some(w) = want {
                items.truncate(w);
            }
            return Ok(items);
        }
    }
}

/// Every entity a Query finds, read back from the items' `doc`s.
pub async fn query_docs<T: DeserializeOwned>(query: QueryFluentBuilder) -> Result<Vec<T>, Error> {
    query_items(query, None)
        .await?
        .iter()
        .map(from_doc)
        .collect()
}

/// True when DynamoDB refused a write because its condition did not hold.
pub fn is_condition_failed<E, R>(e: &SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    e.as_service_error()
        .and_then(|s| s.code())
        .is_some_and(|c| c == "ConditionalCheckFailedException")
}

/// The per-item reason codes of a cancelled transaction (`None` for items that were fine),
/// in the order the items were given; `None` when the error is not a cancellation.
pub fn cancellation_reasons<R>(
    e: &SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError, R>,
) -> Option<Vec<Option<String>>> {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    match e.as_service_error()? {
        TransactWriteItemsError::TransactionCanceledException(c) => Some(
            c.cancellation_reasons()
                .iter()
                .map(|r| r.code().filter(|c| *c != "None").map(str::to_owned))
                .collect(),
        ),
        _ => None,
    }
}
