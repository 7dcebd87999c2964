//! DynamoDB's batch calls, with what they leave unprocessed retried under a bounded backoff:
//! an item is written or the import stops with an error, never dropped in silence.

use crate::ImportError;
use aws_sdk_dynamodb::types::{KeysAndAttributes, WriteRequest};
use aws_sdk_dynamodb::Client;
use inventory::db::item::Item;
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

/// BatchWriteItem's limit on requests per call.
pub const WRITES_PER_CALL: usize = 25;
/// BatchGetItem's limit on keys per call.
const KEYS_PER_CALL: usize = 100;
/// How long one batch may keep retrying what DynamoDB left unprocessed (throttled) before the
/// import stops; the checkpoint is not moved past a batch that was not fully written.
const UNPROCESSED_BUDGET: Duration = Duration::from_secs(60);

fn backoff() -> impl Iterator<Item = Duration> {
    inventory::backoff::jittered(
        Duration::from_millis(20),
        Duration::from_secs(2),
        Some(UNPROCESSED_BUDGET),
    )
}

/// Requests by table name, as BatchWriteItem takes them and hands back the unprocessed ones.
pub type Writes = HashMap<String, Vec<WriteRequest>>;

/// The one BatchWriteItem call, behind a seam so a test can make DynamoDB leave items
/// unprocessed (it does so only under throttling, which DynamoDB Local never does).
pub trait BatchWriter: Sync {
    /// Sends `writes` (at most [`WRITES_PER_CALL`]) and answers what was left unprocessed.
    fn send(&self, writes: Writes) -> impl Future<Output = Result<Writes, ImportError>> + Send;
}

impl BatchWriter for Client {
    async fn send(&self, writes: Writes) -> Result<Writes, ImportError> {
        let out = self
            .batch_write_item()
            .set_request_items(Some(writes))
            .send()
            .await
            .map_err(|e| ImportError::dynamodb("BatchWriteItem", e))?;
        Ok(out.unprocessed_items.unwrap_or_default())
    }
}

/// What writing took: calls made, and items DynamoDB left unprocessed and were sent again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    pub calls: u64,
    pub retried_items: u64,
}

/// Writes every request, [`WRITES_PER_CALL`] per call, sending unprocessed items again with
/// backoff until they are written or the budget is spent.
///
/// # Errors
/// On a DynamoDB failure, or items still unprocessed when the budget is spent.
pub async fn write_all<W: BatchWriter>(
    writer: &W,
    requests: Vec<(String, WriteRequest)>,
    stats: &mut WriteStats,
) -> Result<(), ImportError> {
    for chunk in requests.chunks(WRITES_PER_CALL) {
        let mut pending: Writes = HashMap::new();
        for (table, request) in chunk {
            pending
                .entry(table.clone())
                .or_default()
                .push(request.clone());
        }
        let mut delays = backoff();
        loop {
            stats.calls += 1;
            let unprocessed = writer.send(pending).await?;
            let left: usize = unprocessed.values().map(Vec::len).sum();
            if left == 0 {
                break;
            }
            stats.retried_items += left as u64;
            let Some(delay) = delays.next() else {
                return Err(ImportError::Unprocessed { items: left });
            };
            tracing::info!(left, ?delay, "batch write left items unprocessed; retrying");
            tokio::time::sleep(delay).await;
            pending = unprocessed;
        }
    }
    Ok(())
}

/// Reads items by key (strongly consistent: a resumed import sees what the interrupted one
/// wrote), [`KEYS_PER_CALL`] per call, retrying unprocessed keys. Keys may repeat.
///
/// # Errors
/// On a DynamoDB failure, or keys still unprocessed when the budget is spent.
pub async fn get_all(
    client: &Client,
    keys: Vec<(String, Item)>,
) -> Result<Vec<(String, Item)>, ImportError> {
    let mut unique: Vec<(String, Item)> = Vec::new();
    for (table, key) in keys {
        if !unique.iter().any(|(t, k)| *t == table && *k == key) {
            unique.push((table, key));
        }
    }
    let mut found = Vec::new();
    for chunk in unique.chunks(KEYS_PER_CALL) {
        let mut pending: HashMap<String, KeysAndAttributes> = HashMap::new();
        let mut by_table: HashMap<String, Vec<Item>> = HashMap::new();
        for (table, key) in chunk {
            by_table.entry(table.clone()).or_default().push(key.clone());
        }
        for (table, keys) in by_table {
            let request = KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .build()
                .map_err(|e| ImportError::dynamodb_build("BatchGetItem", e))?;
            pending.insert(table, request);
        }
        let mut delays = backoff();
        loop {
            let out = client
                .batch_get_item()
                .set_request_items(Some(pending))
                .send()
                .await
                .map_err(|e| ImportError::dynamodb("BatchGetItem", e))?;
            for (table, items) in out.responses.unwrap_or_default() {
                found.extend(items.into_iter().map(|i| (table.clone(), i)));
            }
            pending = out.unprocessed_keys.unwrap_or_default();
            let left: usize = pending.values().map(|k| k.keys().len()).sum();
            if left == 0 {
                break;
            }
            let Some(delay) = delays.next() else {
                return Err(ImportError::Unprocessed { items: left });
            };
            tokio::time::sleep(delay).await;
        }
    }
    Ok(found)
}
