//! Where events go: EventBridge in Lambda, a capturing publisher in tests (EventBridge cannot run
//! here). The trait answers per entry, because PutEvents accepts some entries of a call and
//! refuses others.

use super::mapping::SOURCE;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

/// One entry of a PutEvents call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub detail_type: &'static str,
    /// The `detail` JSON.
    pub detail: String,
}

/// What became of one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryResult {
    Published,
    Failed { code: String, message: String },
}

/// The whole call failed (network, throttling of the call, permissions): every entry failed.
#[derive(Debug, thiserror::Error)]
#[error("PutEvents failed: {0}")]
pub struct PublishError(pub String);

pub trait Publisher: Sync {
    /// Puts up to ten entries; answers one result per entry, in order.
    ///
    /// # Errors
    /// When the call as a whole fails.
    fn put(
        &self,
        entries: &[Entry],
    ) -> impl Future<Output = Result<Vec<EntryResult>, PublishError>> + Send;
}

/// Publishes to one EventBridge bus.
#[derive(Debug, Clone)]
pub struct EventBridge {
    client: aws_sdk_eventbridge::Client,
    bus: String,
}

impl EventBridge {
    pub fn new(client: aws_sdk_eventbridge::Client, bus: String) -> Self {
        Self { client, bus }
    }
}

impl Publisher for EventBridge {
    async fn put(&self, entries: &[Entry]) -> Result<Vec<EntryResult>, PublishError> {
        let request = entries.iter().map(|e| {
            aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                .event_bus_name(&self.bus)
                .source(SOURCE)
                .detail_type(e.detail_type)
                .detail(&e.detail)
                .build()
        });
        let out = self
            .client
            .put_events()
            .set_entries(Some(request.collect()))
            .send()
            .await
            .map_err(|e| {
                PublishError(aws_sdk_eventbridge::error::DisplayErrorContext(&e).to_string())
            })?;
        let results = out.entries();
        // One result per entry, in order; a missing one is a failure, never a silent success.
        Ok((0..entries.len())
            .map(|i| match results.get(i) {
                Some(r) if r.error_code().is_none() && r.event_id().is_some() => {
                    EntryResult::Published
                }
                Some(r) => EntryResult::Failed {
                    code: r.error_code().unwrap_or("Unknown").to_owned(),
                    message: r.error_message().unwrap_or_default().to_owned(),
                },
                None => EntryResult::Failed {
                    code: "MissingResult".into(),
                    message: "PutEvents answered fewer results than entries".into(),
                },
            })
            .collect())
    }
}

/// Keeps what is published, for tests; can be told to refuse entries the way PutEvents refuses
/// single entries of a call (`ThrottlingException`, `InternalFailure`).
#[derive(Debug, Default)]
pub struct Capturing {
    published: Mutex<Vec<Entry>>,
    refusals: Mutex<HashMap<&'static str, usize>>,
    calls: Mutex<Vec<usize>>,
}

impl Capturing {
    pub fn new() -> Self {
        Self::default()
    }

    /// In each of the next `calls` calls that carry an entry of `detail_type`, refuse the first
    /// such entry (and take the rest).
    pub fn refusing(self, detail_type: &'static str, calls: usize) -> Self {
        lock(&self.refusals).insert(detail_type, calls);
        self
    }

    /// Everything published so far, in order.
    pub fn published(&self) -> Vec<Entry> {
        lock(&self.published).clone()
    }

    /// The `detail-type` and parsed `detail` of everything published so far.
    pub fn details(&self) -> Vec<(String, serde_json::Value)> {
        self.published()
            .into_iter()
            .map(|e| {
                let detail = serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::Null);
                (e.detail_type.to_owned(), detail)
            })
            .collect()
    }

    /// How many entries each PutEvents call carried.
    pub fn call_sizes(&self) -> Vec<usize> {
        lock(&self.calls).clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Publisher for Capturing {
    async fn put(&self, entries: &[Entry]) -> Result<Vec<EntryResult>, PublishError> {
        lock(&self.calls).push(entries.len());
        let mut refusals = lock(&self.refusals);
        let mut published = lock(&self.published);
        let mut refused_in_this_call: Vec<&'static str> = Vec::new();
        Ok(entries
            .iter()
            .map(|e| match refusals.get_mut(e.detail_type) {
                Some(n) if *n > 0 && !refused_in_this_call.contains(&e.detail_type) => {
                    *n -= 1;
                    refused_in_this_call.push(e.detail_type);
                    EntryResult::Failed {
                        code: "ThrottlingException".into(),
                        message: "refused by the test".into(),
                    }
                }
                _ => {
                    published.push(e.clone());
                    EntryResult::Published
                }
            })
            .collect())
    }
}
