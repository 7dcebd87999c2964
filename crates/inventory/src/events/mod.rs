//! Events out: the tables' streams are the outbox, and each committed change becomes events on
//! the inventory bus. A change that did not commit has no stream record, so no event; a record is
//! only checkpointed once its events are on the bus, so none is lost.
//!
//! [`mapping`] turns one stream record into events (pure), [`publisher`] puts them on a bus, and
//! [`processor`] runs a batch: in order, retrying failed entries, reporting the first record it
//! could not finish so Lambda retries from there.

pub mod mapping;
pub mod processor;
pub mod publisher;

pub use mapping::{events_for, Detail, Event, EventType, RecordError, SOURCE};
pub use processor::{handle, BatchItemFailure, BatchResponse};
pub use publisher::{Capturing, EventBridge, Publisher};

/// The stream processor's Lambda: init once, then one batch of stream records per invocation.
///
/// # Errors
/// When init fails (a missing table name or `EVENT_BUS_NAME`) or the runtime itself fails.
pub async fn run_lambda() -> Result<(), lambda_runtime::Error> {
    crate::telemetry::init();
    let tables = crate::db::Tables::from_env()?;
    let bus = std::env::var("EVENT_BUS_NAME").map_err(|_| "EVENT_BUS_NAME is not set")?;
    let config = crate::aws::config().await;
    let publisher = EventBridge::new(aws_sdk_eventbridge::Client::new(&config), bus);
    let metrics = crate::telemetry::metrics::Metrics::from_env();
    let (publisher, tables, metrics) = (&publisher, &tables, &metrics);
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<aws_lambda_events::dynamodb::Event>| async move {
            use tracing::Instrument;
            let span = crate::telemetry::invocation_span(&event.context);
            Ok::<_, std::convert::Infallible>(
                handle(publisher, tables, metrics, event.payload)
                    .instrument(span)
                    .await,
            )
        },
    ))
    .await
}
