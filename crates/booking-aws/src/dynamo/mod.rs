//! DynamoDB adapters for the store ports, over the one table described in docs/dynamodb.md.
//! Entities are kept as their serde JSON in a `doc` attribute, next to the key attributes
//! and the few plain attributes that conditions need.

use std::collections::HashMap;

use aws_sdk_dynamodb::{Client, error::SdkError, types::AttributeValue};
use booking_core::Error;
use serde::{Serialize, de::DeserializeOwned};

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
}

pub type Item = HashMap<String, AttributeValue>;

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

/// Milliseconds since the epoch, zero-padded to 15 digits so they sort as strings.
pub fn padded_ms(ts: jiff::Timestamp) -> String {
    format!("{:015}", ts.as_millisecond())
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
