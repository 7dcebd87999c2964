//! The store-inventory table: one row per product per store.

use super::item::{from_item, n, s};
use super::{Db, DbError};
use crate::domain::{Limit, Money, NextToken, ProductId, Stock, StoreId};
use serde::{Deserialize, Serialize};

/// An inventory row with its quantities resolved: `reserved_stock` and `available_stock` are
/// always present, even on rows written before reservations existed (there they are 0 and
/// `current_stock`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "StoredRow")]
pub struct InventoryItem {
    pub store_id: StoreId,
    pub product_id: ProductId,
    pub current_stock: i64,
    pub reserved_stock: i64,
    pub available_stock: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selling_price: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_price: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_stock_level: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_stock_level: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reorder_point: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub barcode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// How many ledger movements the row has had; 0 for rows never changed by this service.
    #[serde(skip_serializing)]
    pub ledger_seq: i64,
}

impl InventoryItem {
    pub fn stock(&self) -> Stock {
        Stock {
            current: self.current_stock,
            reserved: self.reserved_stock,
            available: self.available_stock,
        }
    }

    /// The row as it is after a change written by the ledger engine, with the catalog fields it
    /// lacked copied in.
    pub(crate) fn with_stock(
        mut self,
        stock: Stock,
        ledger_seq: i64,
        now: chrono::DateTime<chrono::Utc>,
        fill: Option<&super::backfill::CatalogFields>,
    ) -> Self {
        self.current_stock = stock.current;
        self.reserved_stock = stock.reserved;
        self.available_stock = stock.available;
        self.ledger_seq = ledger_seq;
        self.updated_at = Some(crate::domain::time::rfc3339(now));
        if let Some(fill) = fill {
            fill.copy_into(&mut self);
        }
        self
    }

    /// The level at which the row counts as low: the reorder point, else the minimum level.
    pub fn low_stock_threshold(&self) -> Option<i64> {
        self.reorder_point.or(self.min_stock_level)
    }

    pub fn is_out_of_stock(&self) -> bool {
        self.available_stock <= 0
    }

    /// Out of stock, or at or below its threshold.
    pub fn is_low_stock(&self) -> bool {
        self.is_out_of_stock()
            || self
                .low_stock_threshold()
                .is_some_and(|t| self.available_stock <= t)
    }
}

/// A row as it may be stored: reserved and available stock are absent on legacy rows.
#[derive(Deserialize)]
struct StoredRow {
    store_id: StoreId,
    product_id: ProductId,
    #[serde(default)]
    current_stock: i64,
    reserved_stock: Option<i64>,
    available_stock: Option<i64>,
    selling_price: Option<Money>,
    cost_price: Option<Money>,
    min_stock_level: Option<i64>,
    max_stock_level: Option<i64>,
    reorder_point: Option<i64>,
    location: Option<String>,
    name: Option<String>,
    brand: Option<String>,
    category: Option<String>,
    unit: Option<String>,
    barcode: Option<String>,
    updated_at: Option<String>,
    #[serde(default)]
    ledger_seq: i64,
}

impl From<StoredRow> for InventoryItem {
    fn from(row: StoredRow) -> Self {
        let reserved_stock = row.reserved_stock.unwrap_or(0);
        Self {
            available_stock: row
                .available_stock
                .unwrap_or(row.current_stock - reserved_stock),
            reserved_stock,
            store_id: row.store_id,
            product_id: row.product_id,
            current_stock: row.current_stock,
            selling_price: row.selling_price,
            cost_price: row.cost_price,
            min_stock_level: row.min_stock_level,
            max_stock_level: row.max_stock_level,
            reorder_point: row.reorder_point,
            location: row.location,
            name: row.name,
            brand: row.brand,
            category: row.category,
            unit: row.unit,
            barcode: row.barcode,
            updated_at: row.updated_at,
            ledger_seq: row.ledger_seq,
        }
    }
}

/// Filters for listing a store's inventory.
#[derive(Debug, Clone, Default)]
pub struct InventoryFilter {
    pub category: Option<String>,
    /// `Some(true)`: only rows with stock available; `Some(false)`: only rows without.
    pub in_stock: Option<bool>,
}

/// A page of items and the cursor to the next one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<NextToken>,
}

impl Db {
    /// A page of a store's inventory, in product id order. Filtered rows do not count towards the
    /// limit: it keeps reading until the page is full or the store's rows end.
    ///
    /// # Errors
    /// On a DynamoDB failure or a corrupt item.
    pub async fn list_inventory(
        &self,
        store_id: &StoreId,
        filter: &InventoryFilter,
        limit: Limit,
        start: Option<NextToken>,
    ) -> Result<Page<InventoryItem>, DbError> {
        let mut conditions = Vec::new();
        let mut values = vec![(":store", s(store_id.as_str()))];
        if let Some(category) = &filter.category {
            conditions.push("category = :category");
            values.push((":category", s(category)));
        }
        match filter.in_stock {
            Some(true) => conditions.push(IN_STOCK),
            Some(false) => conditions.push(OUT_OF_STOCK),
            None => {}
        }
        if filter.in_stock.is_some() {
            values.push((":zero", n(0)));
        }
        let filter_expression = (!conditions.is_empty()).then(|| conditions.join(" AND "));

        let mut query = self
            .client
            .query()
            .table_name(&self.tables.inventory)
            .key_condition_expression("store_id = :store")
            .set_filter_expression(filter_expression);
        for (name, value) in values {
            query = query.expression_attribute_values(name, value);
        }
        let (items, next) = self.fill_page(query, limit.get(), start).await?;
        let items = items
            .into_iter()
            .map(|item| from_item(&self.tables.inventory, item))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page { items, next })
    }

    /// Every row of a store, for search, low-stock and summary. Reads the whole partition: a
    /// store of a few thousand SKUs is a few hundred kilobytes.
    ///
    /// `stop_after` ends the read early once that many rows have passed `keep`.
    ///
    /// # Errors
    /// On a DynamoDB failure or a corrupt item.
    pub async fn store_inventory(
        &self,
        store_id: &StoreId,
        keep: impl Fn(&InventoryItem) -> bool,
        stop_after: Option<usize>,
    ) -> Result<Vec<InventoryItem>, DbError> {
        let mut rows = Vec::new();
        let mut pages = self
            .client
            .query()
            .table_name(&self.tables.inventory)
            .key_condition_expression("store_id = :store")
            .expression_attribute_values(":store", s(store_id.as_str()))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| DbError::sdk("Query", e))?;
            for item in page.items.unwrap_or_default() {
                let row: InventoryItem = from_item(&self.tables.inventory, item)?;
                if keep(&row) {
                    rows.push(row);
                    if stop_after.is_some_and(|max| rows.len() >= max) {
                        return Ok(rows);
                    }
                }
            }
        }
        Ok(rows)
    }

    /// Whether the store has any inventory row at all: how an unknown store is told apart.
    ///
    /// # Errors
    /// On a DynamoDB failure.
    pub async fn store_exists(&self, store_id: &StoreId) -> Result<bool, DbError> {
        let out = self
            .client
            .query()
            .table_name(&self.tables.inventory)
            .key_condition_expression("store_id = :store")
            .expression_attribute_values(":store", s(store_id.as_str()))
            .projection_expression("store_id")
            .limit(1)
            .send()
            .await
            .map_err(|e| DbError::sdk("Query", e))?;
        Ok(out.count > 0)
    }

    /// One inventory row, read strongly consistent: it answers "can I sell this now".
    ///
    /// # Errors
    /// On a DynamoDB failure or a corrupt item.
    pub async fn inventory_item(
        &self,
        store_id: &StoreId,
        product_id: &ProductId,
    ) -> Result<Option<InventoryItem>, DbError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.inventory)
            .key("store_id", s(store_id.as_str()))
            .key("product_id", s(product_id.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| DbError::sdk("GetItem", e))?;
        out.item
            .map(|item| from_item(&self.tables.inventory, item))
            .transpose()
    }
}

/// At least `:q` available. Legacy rows have no `available_stock`, and there on hand is available.
pub(crate) const AVAILABLE_AT_LEAST: &str =
    "((attribute_not_exists(available_stock) AND current_stock >= :q) OR available_stock >= :q)";
const IN_STOCK: &str = "((attribute_not_exists(available_stock) AND current_stock > :zero) \
                        OR available_stock > :zero)";
const OUT_OF_STOCK: &str = "((attribute_not_exists(available_stock) AND current_stock <= :zero) \
                            OR available_stock <= :zero)";

/// Checks that a cursor came from listing this store: its key is exactly this store's
/// `store_id` and a valid `product_id`. Anything else would make DynamoDB refuse the query.
///
/// # Errors
/// When the token belongs to another store or has another shape.
pub fn check_inventory_cursor(
    store_id: &StoreId,
    token: &NextToken,
) -> Result<(), crate::domain::InvalidValue> {
    let bad = || crate::domain::InvalidValue::new("next_token", "does not belong to this listing");
    let key = token.clone().into_key();
    if key.len() != 2 || token.get("store_id") != Some(store_id.as_str()) {
        return Err(bad());
    }
    token
        .get("product_id")
        .map(ProductId::parse)
        .transpose()
        .map_err(|_| bad())?
        .ok_or_else(bad)?;
    Ok(())
}
