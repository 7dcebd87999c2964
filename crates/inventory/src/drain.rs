//! `drain-ledger`: writes the ledger rows of movements waiting on inventory rows (`db::pending`).
//!
//! Invoked two ways, and either alone keeps every audit record:
//! - by the inventory table's stream, for records whose new image holds a backlog (the event
//!   source's filter in template.yaml): the row is drained within a second or so of the change;
//! - every minute by a schedule: rows whose backlog is older than [`OVERDUE_AFTER`] are found
//!   through the sparse `pending-index` and drained, whatever the stream delivered or kept (it
//!   keeps records for 24 hours; the rows keep their backlog until it is written).
//!
//! Draining is idempotent, so the two overlapping, or a record delivered twice, write nothing
//! twice.

use crate::db::Drained;
use crate::domain::{ProductId, StoreId};
use crate::events::processor::{BatchItemFailure, BatchResponse};
use crate::App;
use aws_lambda_events::dynamodb::Event as StreamEvent;
use serde::Serialize;
use std::time::{Duration, Instant};

/// A backlog this old is the schedule's to drain: the stream's path has had its chance.
pub const OVERDUE_AFTER: chrono::Duration = chrono::Duration::seconds(60);
/// Rows per index page of one scheduled pass.
pub const ROWS_PER_PASS: usize = 100;
/// A scheduled run stops starting passes after this, well inside its timeout; the next minute's
/// run goes on.
pub const TIME_BUDGET: Duration = Duration::from_secs(40);

/// What one invocation did: a stream batch's failures (Lambda retries from the first), or a
/// scheduled run's counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Answer {
    Stream(BatchResponse),
    Schedule(Drained),
}

/// Handles a stream batch (`Records`) or a scheduled event (anything else).
pub async fn handle(app: &App, event: serde_json::Value) -> Answer {
    if event.get("Records").is_some() {
        match serde_json::from_value::<StreamEvent>(event) {
            Ok(batch) => Answer::Stream(drain_records(app, batch).await),
            Err(error) => {
                // A batch that does not decode cannot be answered record by record.
                tracing::error!(%error, "stream batch does not decode");
                Answer::Stream(BatchResponse::default())
            }
        }
    } else {
        Answer::Schedule(drain_overdue(app).await)
    }
}

/// Drains every row a batch's records name, once each; the first record whose row could not be
/// drained is reported, so Lambda retries from it.
pub async fn drain_records(app: &App, batch: StreamEvent) -> BatchResponse {
    let mut done: Vec<(StoreId, ProductId)> = Vec::new();
    for record in &batch.records {
        let keys: crate::db::item::Item = record.change.keys.clone().into();
        let text = |name: &str| keys.get(name).and_then(|v| v.as_s().ok()).cloned();
        let (Some(Ok(store_id)), Some(Ok(product_id))) = (
            text("store_id").map(StoreId::parse),
            text("product_id").map(ProductId::parse),
        ) else {
            continue;
        };
        let key = (store_id, product_id);
        if done.contains(&key) {
            continue;
        }
        if let Err(error) = app.db.drain_pending(&key.0, &key.1).await {
            tracing::warn!(store_id = %key.0, product_id = %key.1, %error, "row not drained; retried");
            return BatchResponse {
                batch_item_failures: record
                    .change
                    .sequence_number
                    .clone()
                    .map(|item_identifier| BatchItemFailure { item_identifier })
                    .into_iter()
                    .collect(),
            };
        }
        done.push(key);
    }
    BatchResponse::default()
}

/// Drains rows whose backlog is overdue, a page at a time, within [`TIME_BUDGET`].
pub async fn drain_overdue(app: &App) -> Drained {
    let started = Instant::now();
    let mut total = Drained::default();
    loop {
        let before = app.clock.now() - OVERDUE_AFTER;
        match app.db.drain_overdue(before, ROWS_PER_PASS).await {
            Ok(pass) => {
                total.rows += pass.rows;
                total.entries += pass.entries;
                total.more = pass.more;
                if !pass.more || pass.rows == 0 {
                    break;
                }
            }
            Err(error) => {
                tracing::error!(%error, "overdue backlogs not drained; the next run retries");
                total.more = true;
                break;
            }
        }
        if started.elapsed() > TIME_BUDGET {
            total.more = true;
            break;
        }
    }
    tracing::info!(
        rows = total.rows,
        entries = total.entries,
        more = total.more,
        "drain done"
    );
    let count = |n: usize| f64::from(u32::try_from(n).unwrap_or(u32::MAX));
    crate::telemetry::metrics::Metrics::lambda()
        .line()
        .metric(
            "LedgerDrainedEntries",
            count(total.entries),
            crate::telemetry::metrics::Unit::Count,
        )
        .metric(
            "LedgerBacklogLeft",
            f64::from(u8::from(total.more)),
            crate::telemetry::metrics::Unit::Count,
        )
        .emit();
    total
}

/// The Lambda entry point.
///
/// # Errors
/// Only when init fails or the runtime itself fails.
pub async fn run_lambda() -> Result<(), lambda_runtime::Error> {
    crate::run_event_lambda(|app, event| async move { handle(&app, event).await }).await
}
