//! Strongly consistent reads of many items, from one or several tables, in as few calls as
//! DynamoDB allows: one BatchGetItem per 100 keys instead of one GetItem per key. A stock change
//! reads its rows and their locations' `LOC#` items this way, so a 5-line reservation reads in
//! one call, not six (bench/REPORT.md, "DynamoDB work per operation").

use super::item::Item;
use super::{Db, DbError};
use aws_sdk_dynamodb::types::KeysAndAttributes;
use std::collections::HashMap;
use std::time::Duration;

/// BatchGetItem's limit on keys per call.
const KEYS_PER_CALL: usize = 100;
/// How long unprocessed keys (DynamoDB's answer when a partition is busy) are retried before
/// the read fails as busy (503): well inside a request's time.
const UNPROCESSED_BUDGET: Duration = Duration::from_secs(3);

/// One item to read: its table and its full primary key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ItemKey {
    pub table: String,
    pub key: Item,
}

impl Db {
    /// The items under `keys`, in the order asked, `None` where absent; read strongly consistent
    /// with one BatchGetItem per 100 distinct keys (several tables share a call). Unprocessed keys
    /// are retried with backoff; keys still unprocessed after the budget fail the read as
    /// throttled, never as absent.
    ///
    /// # Errors
    /// On a DynamoDB failure, or when DynamoDB leaves keys unprocessed past the budget.
    pub(crate) async fn consistent_items(
        &self,
        keys: &[ItemKey],
    ) -> Result<Vec<Option<Item>>, DbError> {
        let mut distinct: Vec<&ItemKey> = Vec::with_capacity(keys.len());
        for key in keys {
            if !distinct.contains(&key) {
                distinct.push(key);
            }
        }
        let mut found: Vec<(String, Item)> = Vec::with_capacity(distinct.len());
        for chunk in distinct.chunks(KEYS_PER_CALL) {
            let mut pending: HashMap<String, Vec<Item>> = HashMap::new();
            for key in chunk {
                pending
                    .entry(key.table.clone())
                    .or_default()
                    .push(key.key.clone());
            }
            let mut delays = crate::backoff::jittered(
                Duration::from_millis(10),
                Duration::from_millis(400),
                Some(UNPROCESSED_BUDGET),
            );
            loop {
                let mut request = self.client.batch_get_item();
                for (table, table_keys) in pending.drain() {
                    let wanted = KeysAndAttributes::builder()
                        .set_keys(Some(table_keys))
                        .consistent_read(true)
                        .build()
                        .map_err(|e| DbError::build("BatchGetItem", e))?;
                    request = request.request_items(table, wanted);
                }
                let out = request
                    .send()
                    .await
                    .map_err(|e| DbError::sdk("BatchGetItem", e))?;
                for (table, items) in out.responses.unwrap_or_default() {
                    found.extend(items.into_iter().map(|item| (table.clone(), item)));
                }
                pending = out
                    .unprocessed_keys
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(table, left)| (table, left.keys))
                    .filter(|(_, left)| !left.is_empty())
                    .collect();
                if pending.is_empty() {
                    break;
                }
                let Some(delay) = delays.next() else {
                    return Err(DbError::Sdk {
                        operation: "BatchGetItem",
                        code: "ProvisionedThroughputExceededException".into(),
                        source: "keys left unprocessed past the retry budget".into(),
                    });
                };
                tokio::time::sleep(delay).await;
            }
        }
        Ok(keys
            .iter()
            .map(|wanted| {
                found
                    .iter()
                    .find(|(table, item)| {
                        *table == wanted.table
                            && wanted
                                .key
                                .iter()
                                .all(|(name, value)| item.get(name) == Some(value))
                    })
                    .map(|(_, item)| item.clone())
            })
            .collect())
    }
}
