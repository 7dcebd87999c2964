//! A store's sales over a window, read from the ledger's sparse `sales-by-store` index: only
//! movements that sold or returned units carry its keys (`sale_store_id`, `sale_at`), and it
//! projects just `product_id` and `sale_units`. So the window is one paginated Query for the
//! whole store, never one per product.

use super::item::{from_item, n, s};
use super::{Db, DbError};
use crate::domain::{ProductId, StoreId};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::HashMap;

pub const SALES_INDEX: &str = "sales-by-store";
/// Sales one Query page returns at most.
pub const SALES_PAGE_ITEMS: i32 = 1000;
/// Query pages one request reads at most: 10,000 sale movements. Past that, the window read is
/// the newest part of it (see [`StoreSales::from`]), and the answer says so.
pub const MAX_SALES_PAGES: usize = 10;

/// Net units sold per product over `[from, to]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSales {
    pub units: HashMap<ProductId, i64>,
    /// The start of the window actually read: the window's start, or, when the store had more
    /// sales than one request reads, the time of the oldest sale read.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Whether the window was cut short at [`MAX_SALES_PAGES`].
    pub truncated: bool,
}

impl StoreSales {
    /// The window's length in milliseconds, at least 1.
    pub fn window_ms(&self) -> i64 {
        (self.to - self.from).num_milliseconds().max(1)
    }
}

#[derive(Deserialize)]
struct SaleEntry {
    product_id: ProductId,
    sale_units: i64,
    sale_at: i64,
}

impl Db {
    /// The store's net sales per product in `[from, to]`, newest first, in at most
    /// [`MAX_SALES_PAGES`] Query calls of at most [`SALES_PAGE_ITEMS`] items each.
    ///
    /// # Errors
    /// On a DynamoDB failure or an index entry of the wrong shape.
    pub async fn store_sales(
        &self,
        store_id: &StoreId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<StoreSales, DbError> {
        let mut units: HashMap<ProductId, i64> = HashMap::new();
        let mut oldest = None;
        let mut start_key = None;
        for _ in 0..MAX_SALES_PAGES {
            let out = self
                .client
                .query()
                .table_name(&self.tables.ledger)
                .index_name(SALES_INDEX)
                .key_condition_expression(
                    "sale_store_id = :store AND sale_at BETWEEN :from AND :to",
                )
                .expression_attribute_values(":store", s(store_id.as_str()))
                .expression_attribute_values(":from", n(from.timestamp_millis()))
                .expression_attribute_values(":to", n(to.timestamp_millis()))
                .scan_index_forward(false)
                .limit(SALES_PAGE_ITEMS)
                .set_exclusive_start_key(start_key.take())
                .send()
                .await
                .map_err(|e| DbError::sdk("Query", e))?;
            for item in out.items.unwrap_or_default() {
                let sale: SaleEntry = from_item(&self.tables.ledger, item)?;
                *units.entry(sale.product_id).or_default() += sale.sale_units;
                oldest = Some(sale.sale_at);
            }
            start_key = out.last_evaluated_key;
            if start_key.is_none() {
                return Ok(StoreSales {
                    units,
                    from,
                    to,
                    truncated: false,
                });
            }
        }
        let read_from = oldest
            .and_then(DateTime::from_timestamp_millis)
            .unwrap_or(from);
        tracing::warn!(%store_id, pages = MAX_SALES_PAGES, %read_from, "store has more sales in the window than one request reads; velocity from the newest part");
        Ok(StoreSales {
            units,
            from: read_from,
            to,
            truncated: true,
        })
    }
}
