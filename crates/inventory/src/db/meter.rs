//! Counts what a DynamoDB client does: calls per operation, attempts, and bytes each way.
//!
//! An interceptor on the real SDK client (not a mock), installed by [`super::Db::new`], so tests
//! can bound the work one request makes and benchmarks can report it. Counting is a few atomic
//! adds per call.

use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextRef,
    BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

/// What a client has done since the meter was last taken.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    /// Calls (executions, not counting the SDK's retries) by operation name, e.g. `Query`.
    pub calls: BTreeMap<String, u64>,
    /// HTTP attempts, retries included.
    pub attempts: u64,
    pub request_bytes: u64,
    pub response_bytes: u64,
}

impl Usage {
    /// Every call of every operation.
    pub fn total_calls(&self) -> u64 {
        self.calls.values().sum()
    }

    /// The calls of one operation.
    pub fn calls_of(&self, operation: &str) -> u64 {
        self.calls.get(operation).copied().unwrap_or(0)
    }
}

/// A shared counter; clones count into the same [`Usage`].
#[derive(Debug, Clone, Default)]
pub struct Meter(Arc<Mutex<Usage>>);

impl Meter {
    /// The usage so far, and a fresh start.
    pub fn take(&self) -> Usage {
        std::mem::take(&mut *self.lock())
    }

    /// The usage so far.
    pub fn peek(&self) -> Usage {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Usage> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Intercept for Meter {
    fn name(&self) -> &'static str {
        "InventoryMeter"
    }

    // Not `read_before_execution`: a client's interceptors run that hook before the operation's
    // configuration (and so its `Metadata`) is in the bag, and every call counted as "unknown".
    // Serialization happens once per call, after it, and before the SDK's retries.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg
            .load::<Metadata>()
            .map_or("unknown", Metadata::name)
            .to_owned();
        *self.lock().calls.entry(operation).or_default() += 1;
        Ok(())
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let bytes = context.request().body().bytes().map_or(0, <[u8]>::len);
        let mut usage = self.lock();
        usage.attempts += 1;
        usage.request_bytes += bytes as u64;
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let body = context.response().body();
        let bytes = body
            .bytes()
            .map(|b| b.len() as u64)
            .or_else(|| body.content_length())
            .unwrap_or(0);
        self.lock().response_bytes += bytes;
        Ok(())
    }
}
