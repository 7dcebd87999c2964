//! Counts what a DynamoDB client does: calls per operation, attempts, bytes each way, and the
//! capacity DynamoDB says they consumed (every call asks for `ReturnConsumedCapacity=TOTAL`).
//!
//! An interceptor on the real SDK client (not a mock), installed by [`super::Db::new`], so tests
//! can bound the work one request makes and benchmarks can report it. Counting is a few atomic
//! adds per call.

use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::types::{ConsumedCapacity, ReturnConsumedCapacity};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextMut,
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

/// What a client has done since the meter was last taken.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    /// Calls (executions, not counting the SDK's retries) by operation name, e.g. `Query`.
    pub calls: BTreeMap<String, u64>,
    /// HTTP attempts, retries included.
    pub attempts: u64,
    pub request_bytes: u64,
    pub response_bytes: u64,
    /// Capacity units DynamoDB reported for the calls (read and write, summed).
    pub consumed_capacity: f64,
}

impl Usage {
    /// Every call of every operation.
    pub fn total_calls(&self) -> u64 {
        self.calls.values().sum()
    }

    /// What was done after `earlier` (a `peek` of the same meter) up to this usage.
    pub fn since(&self, earlier: &Usage) -> Usage {
        Usage {
            calls: self
                .calls
                .iter()
                .map(|(op, n)| (op.clone(), n.saturating_sub(earlier.calls_of(op))))
                .filter(|(_, n)| *n > 0)
                .collect(),
            attempts: self.attempts - earlier.attempts.min(self.attempts),
            request_bytes: self.request_bytes - earlier.request_bytes.min(self.request_bytes),
            response_bytes: self.response_bytes - earlier.response_bytes.min(self.response_bytes),
            consumed_capacity: (self.consumed_capacity - earlier.consumed_capacity).max(0.0),
        }
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

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        use aws_sdk_dynamodb::operation::{
            batch_get_item::BatchGetItemInput, batch_write_item::BatchWriteItemInput,
            get_item::GetItemInput, put_item::PutItemInput, query::QueryInput, scan::ScanInput,
            transact_write_items::TransactWriteItemsInput, update_item::UpdateItemInput,
        };
        let input = context.input_mut();
        let total = Some(ReturnConsumedCapacity::Total);
        macro_rules! ask {
            ($($ty:ty),*) => {
                $(if let Some(i) = input.downcast_mut::<$ty>() {
                    i.return_consumed_capacity = total;
                    return Ok(());
                })*
            };
        }
        ask!(
            QueryInput,
            GetItemInput,
            PutItemInput,
            UpdateItemInput,
            ScanInput,
            BatchGetItemInput,
            BatchWriteItemInput,
            TransactWriteItemsInput
        );
        Ok(())
    }

    // Not `read_before_execution`: a client's interceptors see that hook before the operation's
    // configuration, which names the operation, is in the bag. Serialization happens once per
    // execution too, after it.
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
        let capacity = context.output_or_error().map_or(0.0, consumed_capacity);
        let mut usage = self.lock();
        usage.response_bytes += bytes;
        usage.consumed_capacity += capacity;
        Ok(())
    }
}

/// The capacity units an operation's output reports, for the operations this service calls.
fn consumed_capacity(
    output: &aws_smithy_runtime_api::client::interceptors::context::Output,
) -> f64 {
    use aws_sdk_dynamodb::operation::{
        batch_get_item::BatchGetItemOutput, batch_write_item::BatchWriteItemOutput,
        get_item::GetItemOutput, put_item::PutItemOutput, query::QueryOutput, scan::ScanOutput,
        transact_write_items::TransactWriteItemsOutput, update_item::UpdateItemOutput,
    };
    let units =
        |c: Option<&ConsumedCapacity>| c.and_then(ConsumedCapacity::capacity_units).unwrap_or(0.0);
    let all = |cs: &[ConsumedCapacity]| cs.iter().map(|c| units(Some(c))).sum::<f64>();
    if let Some(o) = output.downcast_ref::<QueryOutput>() {
        units(o.consumed_capacity())
    } else if let Some(o) = output.downcast_ref::<GetItemOutput>() {
        units(o.consumed_capacity())
    } else if let Some(o) = output.downcast_ref::<PutItemOutput>() {
        units(o.consumed_capacity())
    } else if let Some(o) = output.downcast_ref::<UpdateItemOutput>() {
        units(o.consumed_capacity())
    } else if let Some(o) = output.downcast_ref::<ScanOutput>() {
        units(o.consumed_capacity())
    } else if let Some(o) = output.downcast_ref::<BatchGetItemOutput>() {
        all(o.consumed_capacity())
    } else if let Some(o) = output.downcast_ref::<BatchWriteItemOutput>() {
        all(o.consumed_capacity())
    } else if let Some(o) = output.downcast_ref::<TransactWriteItemsOutput>() {
        all(o.consumed_capacity())
    } else {
        0.0
    }
}
