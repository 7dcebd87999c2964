//! One batch of stream records: map each to its events, publish them in order (ten to a
//! PutEvents call), retry refused entries, and report the first record not fully published so
//! Lambda checkpoints before it and retries from there (`ReportBatchItemFailures`). Events of a
//! retried record that were already published go out again with the same `event_id`.

use super::mapping::{events_for, Event};
use super::publisher::{Entry, EntryResult, Publisher};
use crate::db::Tables;
use crate::telemetry::metrics::{Metrics, Unit};
use aws_lambda_events::dynamodb::{Event as StreamEvent, EventRecord};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// PutEvents takes at most ten entries and 256 KB a call.
const MAX_ENTRIES: usize = 10;
const MAX_CALL_BYTES: usize = 200 * 1024;
/// Attempts per entry before its record is reported failed (Lambda then retries the record).
const ATTEMPTS: u32 = 4;

/// The answer Lambda reads with `FunctionResponseTypes: [ReportBatchItemFailures]`.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    pub batch_item_failures: Vec<BatchItemFailure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchItemFailure {
    /// The record's `SequenceNumber`.
    pub item_identifier: String,
}

/// Publishes the events of `batch` in record order.
///
/// Never fails the whole batch: a record that does not decode, or whose events could not all be
/// published after retries, is reported as the batch's failure, and no later PutEvents call is
/// made. Lambda checkpoints before it and retries from it (bisecting, then sending the batch's
/// position to the failure queue). Entries that shared the failed call and were accepted are
/// sent again on the retry under the same `event_id`.
///
/// Emits one metric line per batch: the count of each event type published (`StockChanged`,
/// `ReservationCreated`, ...), under no dimension.
pub async fn handle<P: Publisher>(
    publisher: &P,
    tables: &Tables,
    metrics: &Metrics,
    batch: StreamEvent,
) -> BatchResponse {
    let mut pending: Vec<(usize, Event)> = Vec::new();
    let mut first_failed: Option<usize> = None;
    for (i, record) in batch.records.iter().enumerate() {
        match events_for(record, tables) {
            Ok(events) => pending.extend(events.into_iter().map(|e| (i, e))),
            Err(err) => {
                tracing::error!(error = %err, cause = ?std::error::Error::source(&err), "stream record cannot be mapped");
                first_failed = Some(i);
                break;
            }
        }
    }

    let mut cursor = 0;
    let mut published: BTreeMap<&'static str, u32> = BTreeMap::new();
    while cursor < pending.len() {
        let chunk = next_chunk(&pending[cursor..]);
        if let Err(record) = publish_chunk(publisher, chunk).await {
            first_failed = Some(first_failed.map_or(record, |f| f.min(record)));
            break;
        }
        for (_, event) in chunk {
            *published.entry(event.event_type.detail_type()).or_default() += 1;
        }
        cursor += chunk.len();
    }
    let line = published
        .into_iter()
        .fold(metrics.line(), |line, (name, n)| {
            line.metric(name, f64::from(n), Unit::Count)
        });
    line.emit();

    let failures = first_failed
        .and_then(|i| batch.records.get(i))
        .map(failure)
        .into_iter()
        .collect();
    BatchResponse {
        batch_item_failures: failures,
    }
}

fn failure(record: &EventRecord) -> BatchItemFailure {
    BatchItemFailure {
        // Without a sequence number Lambda cannot checkpoint; the event id still names the record.
        item_identifier: record
            .change
            .sequence_number
            .clone()
            .unwrap_or_else(|| record.event_id.clone()),
    }
}

/// The longest prefix that fits one PutEvents call.
fn next_chunk(events: &[(usize, Event)]) -> &[(usize, Event)] {
    let mut bytes = 0;
    let mut n = 0;
    for (_, e) in events.iter().take(MAX_ENTRIES) {
        let size = serde_json::to_string(&e.detail).map_or(0, |d| d.len()) + 64;
        if n > 0 && bytes + size > MAX_CALL_BYTES {
            break;
        }
        bytes += size;
        n += 1;
    }
    &events[..n.max(1).min(events.len())]
}

/// Publishes a chunk, retrying refused entries with jittered backoff.
///
/// # Errors
/// The index of the first record with an entry still refused after every attempt.
async fn publish_chunk<P: Publisher>(publisher: &P, chunk: &[(usize, Event)]) -> Result<(), usize> {
    let mut waiting: Vec<(usize, Entry)> = Vec::with_capacity(chunk.len());
    for (record, event) in chunk {
        match serde_json::to_string(&event.detail) {
            Ok(detail) => waiting.push((
                *record,
                Entry {
                    detail_type: event.event_type.detail_type(),
                    detail,
                },
            )),
            Err(err) => {
                tracing::error!(error = %err, "event detail does not serialise");
                return Err(*record);
            }
        }
    }
    for attempt in 1..=ATTEMPTS {
        let entries: Vec<Entry> = waiting.iter().map(|(_, e)| e.clone()).collect();
        let results = match publisher.put(&entries).await {
            Ok(results) => results,
            Err(err) => {
                tracing::warn!(error = %err, attempt, "PutEvents call failed");
                vec![
                    EntryResult::Failed {
                        code: "CallFailed".into(),
                        message: err.to_string(),
                    };
                    entries.len()
                ]
            }
        };
        let mut still = Vec::new();
        for ((record, entry), result) in waiting.into_iter().zip(results) {
            if let EntryResult::Failed { code, message } = result {
                tracing::warn!(detail_type = entry.detail_type, %code, %message, attempt, "PutEvents refused an entry");
                still.push((record, entry));
            }
        }
        waiting = still;
        if waiting.is_empty() {
            return Ok(());
        }
        if attempt < ATTEMPTS {
            // The same maintained backoff policy as the ledger's conflict loop (backon),
            // exponential from 50 ms with jitter.
            if let Some(delay) = put_events_backoff().nth(attempt as usize) {
                tokio::time::sleep(delay).await;
            }
        }
    }
    let first = waiting.iter().map(|(r, _)| *r).min().unwrap_or(0);
    tracing::error!(
        refused = waiting.len(),
        "events not published after retries; the record will be retried"
    );
    Err(first)
}

/// Delays between PutEvents attempts: exponential from 50 ms, with jitter.
fn put_events_backoff() -> impl Iterator<Item = Duration> {
    crate::backoff::jittered(Duration::from_millis(50), Duration::from_secs(2), None)
}
