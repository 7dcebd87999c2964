//! The item codec: serde_dynamo, plus exact money.
//!
//! serde_dynamo reads an `N` attribute through `i64`/`u64`/`f64`, which would put a float between
//! the table and a price. So before decoding, the money attributes are handed over as their exact
//! `N` text (as `S`), which `Money` parses; after encoding, they go back to `N`. Every other
//! attribute is plain serde_dynamo.

use super::DbError;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

/// Attributes that hold `Money`, in any of our tables.
const MONEY_ATTRIBUTES: [&str; 4] = ["mrp", "selling_price", "cost_price", "total_amount"];

/// # Errors
/// When the item lacks a required attribute or has one of the wrong type.
pub fn from_item<T: DeserializeOwned>(table: &str, mut item: Item) -> Result<T, DbError> {
    for name in MONEY_ATTRIBUTES {
        if let Some(AttributeValue::N(text)) = item.remove(name) {
            item.insert(name.to_owned(), AttributeValue::S(text));
        }
    }
    serde_dynamo::from_item(item).map_err(|source| DbError::Decode {
        table: table.to_owned(),
        source,
    })
}

/// Encodes a write-side record. Its money fields must serialise as text (annotate them with
/// `#[serde(serialize_with = "Money::serialize_as_text")]`); they are stored as `N`.
///
/// # Errors
/// When `value` does not serialise to a map (a programming error).
pub fn to_item<T: Serialize>(table: &str, value: &T) -> Result<Item, DbError> {
    let mut item: Item = serde_dynamo::to_item(value).map_err(|source| DbError::Decode {
        table: table.to_owned(),
        source,
    })?;
    for name in MONEY_ATTRIBUTES {
        if let Some(AttributeValue::S(text)) = item.remove(name) {
            item.insert(name.to_owned(), AttributeValue::N(text));
        }
    }
    Ok(item)
}

/// A string attribute value.
pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number attribute value.
pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// The `ExclusiveStartKey` a cursor stands for.
pub fn cursor_key(token: crate::domain::NextToken) -> Item {
    token
        .into_key()
        .into_iter()
        .map(|(k, v)| (k, s(v)))
        .collect()
}

/// The key attributes of `item`, as a `LastEvaluatedKey` naming it would hold them.
pub fn key_of(item: &Item, attributes: &[&str]) -> Item {
    attributes
        .iter()
        .filter_map(|name| item.get(*name).map(|v| ((*name).to_owned(), v.clone())))
        .collect()
}

/// The cursor for a `LastEvaluatedKey`. Our keys are all strings; anything else would be a bug,
/// and is dropped (the cursor then fails its owner's check rather than reaching DynamoDB).
pub fn cursor(key: Item) -> crate::domain::NextToken {
    crate::domain::NextToken::from_key(
        key.into_iter()
            .filter_map(|(k, v)| v.as_s().ok().map(|v| (k, v.clone())))
            .collect(),
    )
}
