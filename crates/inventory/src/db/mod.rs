//! DynamoDB access: the client, table names, the item codec and one repository per table.

mod backfill;
mod batch;
mod bulk;
mod catalog;
mod idempotency;
mod inventory;
pub mod item;
mod ledger;
mod locations;
mod meter;
mod orders;
mod pending;
mod products;
mod records;
mod reservations;
mod sales;

pub use backfill::{BackfillReport, CatalogFields};
pub use bulk::{BulkClaim, BulkRequestKey, BULK_LEASE_SECONDS};
pub use catalog::{CatalogWrite, ProductFields};
pub use idempotency::{Idempotent, KeyedOperation, Retry};
pub use inventory::{
    check_inventory_cursor, InventoryItem, RowFilter, StoreRows, MAX_JOIN_CALLS, MAX_STORE_PAGES,
};
pub use ledger::{
    check_history_cursor, conflict_backoff, Applied, Attempts, Guard, Guarded, Movement,
    MovementContext, RefusedRow, RowChange, SettingsChange, TxOutcome, RETRY_BUDGET,
};
pub use locations::{check_locations_cursor, LocationFields, LocationWrite};
pub use meter::{Meter, Usage};
pub use orders::{OrderError, OrderQuery};
pub use pending::{
    waiting_movements, Blind, Drained, PendingEntry, DRAIN_EVERY, PENDING_INDEX, PENDING_LIMIT,
};
pub use products::Product;
pub use records::{
    NewRow, OpeningWrites, ProductStock, RowAt, RowCreate, SettingsEdit, MAX_LOCATION_READS,
    MAX_PRODUCT_STOCK_QUERIES,
};
pub use reservations::{check_reservations_cursor, ReservationError};
pub use sales::{StoreSales, MAX_SALES_PAGES, SALES_INDEX, SALES_PAGE_ITEMS};

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::Client;

/// The tables this service uses, named by the environment that template.yaml sets.
#[derive(Debug, Clone)]
pub struct Tables {
    pub products: String,
    pub inventory: String,
    /// Ledger movements, reservations and order markers (`pk` + `sk`).
    pub ledger: String,
    /// Orders, keyed by `order_id` (see `db::orders` for the indexes).
    pub orders: String,
}

impl Tables {
    /// Reads `PRODUCTS_TABLE`, `INVENTORY_TABLE`, `LEDGER_TABLE` and `ORDERS_TABLE`.
    ///
    /// # Errors
    /// When one is missing: a function without its tables must fail at init, not per request.
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
        Ok(Self {
            products: var("PRODUCTS_TABLE")?,
            inventory: var("INVENTORY_TABLE")?,
            ledger: var("LEDGER_TABLE")?,
            orders: var("ORDERS_TABLE")?,
        })
    }
}

/// The catalog's categories, and when they were read.
type CachedCategories = (std::time::Instant, std::collections::BTreeSet<String>);

/// A DynamoDB client bound to this service's tables. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Db {
    client: Client,
    tables: Tables,
    meter: Meter,
    /// The catalog's categories as last read, and when (see `Db::categories`).
    categories: std::sync::Arc<std::sync::Mutex<Option<CachedCategories>>>,
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
            categories: std::sync::Arc::default(),
        }
    }

    /// The tables (by role: `products`, `inventory`, `ledger`) that DescribeTable says do not
    /// exist, asked concurrently.
    ///
    /// # Errors
    /// On any other DynamoDB failure.
    pub async fn missing_tables(&self) -> Result<Vec<&'static str>, DbError> {
        let describe = |role: &'static str, name: &str| {
            let call = self.client.describe_table().table_name(name).send();
            async move {
                match call.await {
                    Ok(_) => Ok(None),
                    Err(e)
                        if e.as_service_error()
                            .is_some_and(|e| e.is_resource_not_found_exception()) =>
                    {
                        Ok(Some(role))
                    }
                    Err(e) => Err(DbError::sdk("DescribeTable", e)),
                }
            }
        };
        let found = futures::future::try_join_all([
            describe("products", &self.tables.products),
            describe("inventory", &self.tables.inventory),
            describe("ledger", &self.tables.ledger),
        ])
        .await?;
        Ok(found.into_iter().flatten().collect())
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
        Err(_) => Client::new(&crate::aws::config().await),
    }
}

/// A client for DynamoDB Local at `endpoint`. It accepts any credentials (run with `-sharedDb`).
pub async fn local_client(endpoint: &str) -> Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(crate::aws::https_client(&[]))
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
        let code = match &err {
            // No answer at all (timed out, connection refused or reset): DynamoDB was out of
            // reach for this request, which is the service being busy, not the request wrong.
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => "Unreachable",
            _ => err.code().unwrap_or("unknown"),
        }
        .to_owned();
        Self::Sdk {
            operation,
            code,
            source: Box::new(err),
        }
    }

    /// The request was fine and DynamoDB was busy or briefly unavailable, still so after the
    /// SDK's own retries (the one retry layer for these): throttling and capacity errors,
    /// `TransactionInProgressException` (the SDK resent a transaction, same client token, that
    /// DynamoDB was still working on: the outcome is unknown, and with an `Idempotency-Key` or
    /// an order id the client's retry is safe), DynamoDB's own 500 and 503, and no answer at
    /// all. Answered 503, so the client retries; never a 500.
    pub fn is_throttling(&self) -> bool {
        matches!(self, Self::Sdk { code, .. } if matches!(code.as_str(),
            "ProvisionedThroughputExceededException"
                | "ThrottlingException"
                | "RequestLimitExceeded"
                | "TransactionInProgressException"
                | "InternalServerError"
                | "ServiceUnavailable"
                | "Unreachable"))
    }
}

/// Items one Query examines when a page is filtered: DynamoDB's `Limit` counts items examined,
/// not items kept, so a filtered page is read in slices of this many (or 1 MB).
pub const EXAMINED_PER_CALL: usize = 100;
/// Query calls one page may make. A page that is not full by then is answered short, with a
/// cursor just past the last item examined: the client's next request continues from there.
pub const MAX_CALLS_PER_PAGE: usize = 5;

/// One page: the items kept, and where the next page starts (`None` at the end).
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<crate::domain::NextToken>,
}

/// What a page's sifter keeps of one item: the item's cursor and its value.
pub(crate) type Kept<T> = (crate::domain::NextToken, T);

impl Db {
    /// The one way every listing pages: runs `query` from `start`, hands each slice of items
    /// (with each item's cursor) to `sift`, which keeps what matches, until `limit` items are
    /// kept, the results end, or [`MAX_CALLS_PER_PAGE`] calls were made.
    ///
    /// Unfiltered (`filtered` false), one call asks for exactly the items still needed. Filtered,
    /// each call examines [`EXAMINED_PER_CALL`] items. The cursor is exact either way: past the
    /// last item kept when the page filled up inside a slice, else past the last item examined,
    /// so a client that follows the cursors sees every match once.
    ///
    /// # Errors
    /// On a DynamoDB failure, or what `sift` fails with.
    pub(crate) async fn fill_page<T, F, Fut>(
        &self,
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
        key_attributes: &[&str],
        limit: usize,
        start: Option<crate::domain::NextToken>,
        filtered: bool,
        mut sift: F,
    ) -> Result<Page<T>, DbError>
    where
        F: FnMut(Vec<(crate::domain::NextToken, item::Item)>) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<Kept<T>>, DbError>>,
    {
        let mut items = Vec::new();
        let mut start_key = start.map(item::cursor_key);
        for _ in 0..MAX_CALLS_PER_PAGE {
            let wanted = if filtered {
                EXAMINED_PER_CALL
            } else {
                limit - items.len()
            };
            let out = query
                .clone()
                .set_exclusive_start_key(start_key.take())
                .limit(i32::try_from(wanted).unwrap_or(100))
                .send()
                .await
                .map_err(|e| DbError::sdk("Query", e))?;
            let slice: Vec<_> = out
                .items
                .unwrap_or_default()
                .into_iter()
                .map(|i| (item::cursor(item::key_of(&i, key_attributes)), i))
                .collect();
            let examined = slice.len();
            let kept = sift(slice).await?;
            let mut taken = 0;
            for (cursor, value) in kept {
                items.push(value);
                taken += 1;
                if items.len() == limit {
                    // Full inside the slice: continue right after this item, unless it was the
                    // slice's last and the results end there.
                    let next = if taken < examined || out.last_evaluated_key.is_some() {
                        Some(cursor)
                    } else {
                        None
                    };
                    return Ok(Page { items, next });
                }
            }
            match out.last_evaluated_key {
                Some(key) => start_key = Some(key),
                None => return Ok(Page { items, next: None }),
            }
        }
        Ok(Page {
            items,
            next: start_key.map(item::cursor),
        })
    }

    /// Inventory rows by key, read strongly consistent in one BatchGetItem per 100 rows; `None`
    /// where absent.
    ///
    /// # Errors
    /// On a DynamoDB failure.
    pub(crate) async fn inventory_items<'a>(
        &self,
        keys: impl Iterator<Item = (&'a crate::domain::StoreId, &'a crate::domain::ProductId)>,
    ) -> Result<Vec<Option<InventoryItem>>, DbError> {
        let keys: Vec<batch::ItemKey> = keys
            .map(|(store, product)| self.inventory_key(store, product))
            .collect();
        Ok(self
            .consistent_items(&keys)
            .await?
            .into_iter()
            .map(|item| item.and_then(|item| InventoryItem::read(&self.tables.inventory, item)))
            .collect())
    }

    fn inventory_key(
        &self,
        store: &crate::domain::StoreId,
        product: &crate::domain::ProductId,
    ) -> batch::ItemKey {
        batch::ItemKey {
            table: self.tables.inventory.clone(),
            key: std::collections::HashMap::from([
                ("store_id".to_owned(), item::s(store.as_str())),
                ("product_id".to_owned(), item::s(product.as_str())),
            ]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DbError;

    fn sdk(code: &str) -> DbError {
        DbError::Sdk {
            operation: "TransactWriteItems",
            code: code.into(),
            source: "test".into(),
        }
    }

    #[test]
    fn busy_or_unreachable_dynamodb_is_a_retryable_503_and_anything_else_is_ours() {
        for busy in [
            "ThrottlingException",
            "ProvisionedThroughputExceededException",
            "RequestLimitExceeded",
            "TransactionInProgressException",
            "InternalServerError",
            "ServiceUnavailable",
            "Unreachable",
        ] {
            assert!(sdk(busy).is_throttling(), "{busy}");
        }
        for ours in [
            "ValidationException",
            "ResourceNotFoundException",
            "unknown",
        ] {
            assert!(!sdk(ours).is_throttling(), "{ours}");
        }
    }
}
