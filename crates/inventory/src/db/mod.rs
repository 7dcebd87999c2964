//! DynamoDB access: the client, table names, the item codec and one repository per table.

mod backfill;
mod idempotency;
mod inventory;
pub mod item;
mod ledger;
mod meter;
mod products;
mod reservations;

pub use backfill::{BackfillReport, CatalogFields};
pub use idempotency::{Idempotent, KeyedOperation, Retry};
pub use inventory::{check_inventory_cursor, InventoryFilter, InventoryItem, Page};
pub use ledger::{
    check_history_cursor, Applied, Attempts, Guard, Guarded, Movement, MovementContext, RefusedRow,
    RowChange, TxOutcome,
};
pub use meter::{Meter, Usage};
pub use products::Product;
pub use reservations::{check_reservations_cursor, ReservationError};

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::Client;

/// The tables this service uses, named by the environment that template.yaml sets.
#[derive(Debug, Clone)]
pub struct Tables {
    pub products: String,
    pub inventory: String,
    /// Ledger movements, reservations and order markers (`pk` + `sk`).
    pub ledger: String,
}

impl Tables {
    /// Reads `PRODUCTS_TABLE`, `INVENTORY_TABLE` and `LEDGER_TABLE`.
    ///
    /// # Errors
    /// When one is missing: a function without its tables must fail at init, not per request.
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
        Ok(Self {
            products: var("PRODUCTS_TABLE")?,
            inventory: var("INVENTORY_TABLE")?,
            ledger: var("LEDGER_TABLE")?,
        })
    }
}

/// A DynamoDB client bound to this service's tables. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Db {
    client: Client,
    tables: Tables,
    meter: Meter,
}

impl Db {
    /// Binds `client` to `tables`, with a [`Meter`] counting every call it makes.
    pub fn new(client: Client, tables: Tables) -> Self {
        let meter = Meter::default();
        let config = client
            .config()
            .to_builder()
            .interceptor(meter.clone())
            .build();
        Self {
            client: Client::from_conf(config),
            tables,
            meter,
        }
    }

    /// What this client has done: DynamoDB calls by operation, and bytes.
    pub fn meter(&self) -> &Meter {
        &self.meter
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn tables(&self) -> &Tables {
        &self.tables
    }
}

/// Builds the SDK client once per process. `DYNAMODB_ENDPOINT` points it at DynamoDB Local with
/// dummy credentials; without it, the Lambda's own role and region apply.
pub async fn client_from_env() -> Client {
    match std::env::var("DYNAMODB_ENDPOINT") {
        Ok(endpoint) => local_client(&endpoint).await,
        Err(_) => {
            Client::new(&aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await)
        }
    }
}

/// A client for DynamoDB Local at `endpoint`. It accepts any credentials (run with `-sharedDb`).
pub async fn local_client(endpoint: &str) -> Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region("us-east-1")
        .endpoint_url(endpoint)
        .test_credentials()
        .load()
        .await;
    Client::new(&config)
}

/// A DynamoDB call failed for a reason the caller could not have prevented (network, throttling,
/// a corrupt item). It is logged with its cause and answered as a 5xx.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("dynamodb {operation} failed: {code}")]
    Sdk {
        operation: &'static str,
        code: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("an item in {table} does not have the expected shape")]
    Decode {
        table: String,
        #[source]
        source: serde_dynamo::Error,
    },
}

impl DbError {
    pub(crate) fn build(what: &'static str, err: aws_sdk_dynamodb::error::BuildError) -> Self {
        Self::Sdk {
            operation: what,
            code: "BuildError".into(),
            source: Box::new(err),
        }
    }

    pub(crate) fn sdk<E, R>(operation: &'static str, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let code = err.code().unwrap_or("unknown").to_owned();
        Self::Sdk {
            operation,
            code,
            source: Box::new(err),
        }
    }

    /// Throttling and capacity errors: the request was fine, the table was busy. Each is what
    /// is left after the SDK's own retries gave up (the one retry layer for these). That includes
    /// `TransactionInProgressException`: the SDK resent a transaction (same client token) whose
    /// first attempt DynamoDB was still working on, so the outcome is unknown and the answer is
    /// "busy, retry" (with an `Idempotency-Key`, or an order id, the retry is safe).
    pub fn is_throttling(&self) -> bool {
        matches!(self, Self::Sdk { code, .. } if matches!(code.as_str(),
            "ProvisionedThroughputExceededException" | "ThrottlingException" | "RequestLimitExceeded"
                | "TransactionInProgressException"))
    }
}

impl Db {
    /// Runs `query` until `limit` items passed its filter or the results end. It never evaluates
    /// more than the page still needs, so the last evaluated key is exactly where the next page
    /// starts, and a filter never shrinks a page. Every cursor of the API comes from here.
    ///
    /// # Errors
    /// On a DynamoDB failure.
    pub(crate) async fn fill_page(
        &self,
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
        limit: usize,
        start: Option<crate::domain::NextToken>,
    ) -> Result<(Vec<item::Item>, Option<crate::domain::NextToken>), DbError> {
        let mut items = Vec::new();
        let mut start_key = start.map(item::cursor_key);
        loop {
            let out = query
                .clone()
                .set_exclusive_start_key(start_key.take())
                .limit(i32::try_from(limit - items.len()).unwrap_or(1))
                .send()
                .await
                .map_err(|e| DbError::sdk("Query", e))?;
            items.extend(out.items.unwrap_or_default());
            start_key = out.last_evaluated_key;
            if start_key.is_none() || items.len() >= limit {
                break;
            }
        }
        Ok((items, start_key.map(item::cursor)))
    }

    /// Inventory rows by key, read strongly consistent and concurrently; `None` where absent.
    ///
    /// # Errors
    /// On a DynamoDB failure or a corrupt item.
    pub(crate) async fn inventory_items<'a>(
        &self,
        keys: impl Iterator<Item = (&'a crate::domain::StoreId, &'a crate::domain::ProductId)>,
    ) -> Result<Vec<Option<InventoryItem>>, DbError> {
        futures::future::try_join_all(
            keys.map(|(store, product)| self.inventory_item(store, product)),
        )
        .await
    }
}
