//! The store-inventory table: one row per product per store.

use super::item::{from_item, s, Item};
use super::{Db, DbError, Page};
use crate::domain::{Limit, Money, NextToken, ProductId, SearchQuery, Stock, StoreId};
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::str::FromStr;

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
    /// What to order when there is no sales history to size an order from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reorder_quantity: Option<i64>,
    /// Days from ordering to the shelf; reorder suggestions assume 7 when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_time_days: Option<i64>,
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
    /// Stored attributes whose values did not fit their types and were left out when the row
    /// was read (see [`InventoryItem::read`]); empty for every row this service wrote.
    #[serde(skip_serializing)]
    pub unreadable: Vec<&'static str>,
    /// Movements made on the row whose ledger rows are not written yet, oldest first (see
    /// `db::pending`); empty on a row nobody is changing.
    #[serde(skip_serializing)]
    pub pending: Vec<super::PendingEntry>,
}

impl InventoryItem {
    /// Reads a stored row, keeping what can be read: a row whose values do not fit today's
    /// types (a fractional stock, a price with three decimals, a number where text belongs) is
    /// served with those attributes left out, and logged with its key, instead of failing the
    /// whole page. `None` (logged) only when its key itself is unusable.
    pub fn read(table: &str, item: Item) -> Option<Self> {
        if let Ok(row) = from_item::<Self>(table, item.clone()) {
            return Some(row);
        }
        let row = read_leniently(item)?;
        tracing::warn!(
            table,
            store_id = %row.store_id,
            product_id = %row.product_id,
            unreadable = ?row.unreadable,
            "inventory row has values of the wrong type; served without them"
        );
        Some(row)
    }

    /// Whether a quantity the ledger computes from could not be read: such a row must not be
    /// written from what was read of it.
    pub fn quantities_unreadable(&self) -> bool {
        self.unreadable.iter().any(|f| {
            matches!(
                *f,
                "current_stock" | "reserved_stock" | "available_stock" | "ledger_seq" | "pending"
            )
        })
    }

    /// Whether the row lacks a catalog field this service copies onto rows it writes.
    pub fn lacks_catalog_fields(&self) -> bool {
        self.name.is_none()
            || self.brand.is_none()
            || self.category.is_none()
            || self.unit.is_none()
            || self.barcode.is_none()
    }

    /// Fills the catalog fields the row lacks from its catalog product.
    pub fn fill_from_product(&mut self, product: &super::Product) {
        self.name.get_or_insert_with(|| product.name.clone());
        for (field, value) in [
            (&mut self.brand, &product.brand),
            (&mut self.category, &product.category),
            (&mut self.unit, &product.unit),
            (&mut self.barcode, &product.barcode),
        ] {
            if field.is_none() {
                field.clone_from(value);
            }
        }
    }

    /// Fills the catalog fields the row lacks from a catalog item's string attributes.
    fn fill_catalog_fields(&mut self, product: &Item) {
        let text = |name: &str| product.get(name).and_then(|v| v.as_s().ok()).cloned();
        for (field, name) in [
            (&mut self.name, "name"),
            (&mut self.brand, "brand"),
            (&mut self.category, "category"),
            (&mut self.unit, "unit"),
            (&mut self.barcode, "barcode"),
        ] {
            if field.is_none() {
                *field = text(name);
            }
        }
    }

    /// The row's settings as stored; a shelf location that is not valid text today reads as
    /// unset.
    pub fn settings(&self) -> crate::domain::Settings {
        crate::domain::Settings {
            reorder_point: self.reorder_point,
            reorder_quantity: self.reorder_quantity,
            min_stock_level: self.min_stock_level,
            max_stock_level: self.max_stock_level,
            selling_price: self.selling_price,
            cost_price: self.cost_price,
            location: self
                .location
                .as_deref()
                .and_then(|l| crate::domain::ShelfLocation::parse(l).ok()),
            lead_time_days: self.lead_time_days,
        }
    }

    /// The row with `settings` applied (those that are set).
    pub(crate) fn with_settings(mut self, settings: &crate::domain::Settings) -> Self {
        let merged = self.settings().with(settings);
        self.reorder_point = merged.reorder_point;
        self.reorder_quantity = merged.reorder_quantity;
        self.min_stock_level = merged.min_stock_level;
        self.max_stock_level = merged.max_stock_level;
        self.selling_price = merged.selling_price;
        self.cost_price = merged.cost_price;
        if let Some(location) = &settings.location {
            self.location = Some(location.as_str().to_owned());
        }
        self.lead_time_days = merged.lead_time_days;
        self
    }

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
    reorder_quantity: Option<i64>,
    lead_time_days: Option<i64>,
    location: Option<String>,
    name: Option<String>,
    brand: Option<String>,
    category: Option<String>,
    unit: Option<String>,
    barcode: Option<String>,
    updated_at: Option<String>,
    #[serde(default)]
    ledger_seq: i64,
    #[serde(default)]
    pending: Vec<super::PendingEntry>,
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
            reorder_quantity: row.reorder_quantity,
            lead_time_days: row.lead_time_days,
            location: row.location,
            name: row.name,
            brand: row.brand,
            category: row.category,
            unit: row.unit,
            barcode: row.barcode,
            updated_at: row.updated_at,
            ledger_seq: row.ledger_seq,
            unreadable: Vec::new(),
            pending: row.pending,
        }
    }
}

/// The row attribute by attribute, leaving out what does not fit. Unreadable quantities read
/// as absent: on hand as 0, reserved as 0, available as on hand less reserved.
fn read_leniently(mut item: Item) -> Option<InventoryItem> {
    let mut bad = Vec::new();
    let store_id = text(&mut item, "store_id", &mut bad).and_then(|s| StoreId::parse(s).ok());
    let product_id = text(&mut item, "product_id", &mut bad).and_then(|s| ProductId::parse(s).ok());
    let (Some(store_id), Some(product_id)) = (store_id, product_id) else {
        tracing::warn!(?item, "inventory row with an unusable key skipped");
        return None;
    };
    let current_stock = whole(&mut item, "current_stock", &mut bad).unwrap_or(0);
    let reserved_stock = whole(&mut item, "reserved_stock", &mut bad).unwrap_or(0);
    let available_stock =
        whole(&mut item, "available_stock", &mut bad).unwrap_or(current_stock - reserved_stock);
    Some(InventoryItem {
        store_id,
        product_id,
        current_stock,
        reserved_stock,
        available_stock,
        selling_price: money(&mut item, "selling_price", &mut bad),
        cost_price: money(&mut item, "cost_price", &mut bad),
        min_stock_level: whole(&mut item, "min_stock_level", &mut bad),
        max_stock_level: whole(&mut item, "max_stock_level", &mut bad),
        reorder_point: whole(&mut item, "reorder_point", &mut bad),
        reorder_quantity: whole(&mut item, "reorder_quantity", &mut bad),
        lead_time_days: whole(&mut item, "lead_time_days", &mut bad),
        location: text(&mut item, "location", &mut bad),
        name: text(&mut item, "name", &mut bad),
        brand: text(&mut item, "brand", &mut bad),
        category: text(&mut item, "category", &mut bad),
        unit: text(&mut item, "unit", &mut bad),
        barcode: text(&mut item, "barcode", &mut bad),
        updated_at: text(&mut item, "updated_at", &mut bad),
        ledger_seq: whole(&mut item, "ledger_seq", &mut bad).unwrap_or(0),
        pending: pending(&mut item, &mut bad),
        unreadable: bad,
    })
}

/// The row's backlog; one that does not decode reads as unreadable, so nothing is computed from it.
fn pending(item: &mut Item, bad: &mut Vec<&'static str>) -> Vec<super::PendingEntry> {
    let Some(value) = item.remove("pending") else {
        return Vec::new();
    };
    serde_dynamo::from_attribute_value(value).unwrap_or_else(|_| {
        bad.push("pending");
        Vec::new()
    })
}

fn text(item: &mut Item, name: &'static str, bad: &mut Vec<&'static str>) -> Option<String> {
    match item.remove(name)? {
        AttributeValue::S(s) => Some(s),
        _ => {
            bad.push(name);
            None
        }
    }
}

/// A whole number: `N` text such as `5` or `5.0`; `5.5` or text does not fit.
fn whole(item: &mut Item, name: &'static str, bad: &mut Vec<&'static str>) -> Option<i64> {
    let value = match item.remove(name)? {
        AttributeValue::N(n) => Decimal::from_str(&n)
            .ok()
            .filter(|d| d.fract().is_zero())
            .and_then(|d| d.to_i64()),
        _ => None,
    };
    if value.is_none() {
        bad.push(name);
    }
    value
}

fn money(item: &mut Item, name: &'static str, bad: &mut Vec<&'static str>) -> Option<Money> {
    let value = match item.remove(name)? {
        AttributeValue::N(n) | AttributeValue::S(n) => Money::parse("amount", &n).ok(),
        _ => None,
    };
    if value.is_none() {
        bad.push(name);
    }
    value
}

/// Which of a store's rows a listing keeps. Evaluated in the function, after rows that lack the
/// copied catalog fields were joined from the catalog, so such rows match like any other.
#[derive(Debug, Clone, Default)]
pub struct RowFilter {
    pub category: Option<String>,
    /// `Some(true)`: only rows with stock available; `Some(false)`: only rows without.
    pub in_stock: Option<bool>,
    /// A case-insensitive partial match on name or brand.
    pub search: Option<SearchQuery>,
}

impl RowFilter {
    pub fn is_empty(&self) -> bool {
        self.category.is_none() && self.in_stock.is_none() && self.search.is_none()
    }

    pub fn matches(&self, row: &InventoryItem) -> bool {
        self.category
            .as_ref()
            .is_none_or(|c| row.category.as_ref() == Some(c))
            && self
                .in_stock
                .is_none_or(|wanted| wanted != row.is_out_of_stock())
            && self.search.as_ref().is_none_or(|q| {
                [&row.name, &row.brand]
                    .into_iter()
                    .flatten()
                    .any(|text| q.matches(text))
            })
    }
}

/// A whole store's rows, as far as one request may read them.
#[derive(Debug, Clone)]
pub struct StoreRows {
    pub rows: Vec<InventoryItem>,
    /// False when the store is larger than [`MAX_STORE_PAGES`] pages: `rows` is its beginning.
    pub complete: bool,
}

/// Query pages (of up to 1 MB each) one whole-store read may make: about 40,000 rows of 500
/// bytes. A store past that needs its totals kept by a stream processor instead.
pub const MAX_STORE_PAGES: usize = 20;
/// BatchGetItem calls one request may make to join rows that lack the copied catalog fields
/// (100 products each). Rows past that are served without them, and logged; the
/// `backfill-catalog-fields` command and every write fill them in for good.
pub const MAX_JOIN_CALLS: usize = 10;
const INVENTORY_KEY: [&str; 2] = ["store_id", "product_id"];

impl Db {
    /// A page of a store's rows that match `filter`, in product id order. Bounded: at most
    /// [`super::MAX_CALLS_PER_PAGE`] Query calls of at most 100 rows or 1 MB, each followed by at
    /// most one BatchGetItem (and one retry of what it left unprocessed) for rows missing the
    /// catalog fields. A page that is not full by then comes back short, with a cursor.
    ///
    /// # Errors
    /// On a DynamoDB failure.
    pub async fn find_in_store(
        &self,
        store_id: &StoreId,
        filter: &RowFilter,
        limit: Limit,
        start: Option<NextToken>,
    ) -> Result<Page<InventoryItem>, DbError> {
        let query = self.store_query(store_id);
        self.fill_page(
            query,
            &INVENTORY_KEY,
            limit.get(),
            start,
            !filter.is_empty(),
            |slice| async move {
                let (cursors, items): (Vec<_>, Vec<_>) = slice.into_iter().unzip();
                let mut rows: Vec<Option<InventoryItem>> = items
                    .into_iter()
                    .map(|item| InventoryItem::read(&self.tables.inventory, item))
                    .collect();
                let mut calls = 2;
                self.join_catalog(rows.iter_mut().flatten(), &mut calls)
                    .await?;
                Ok(cursors
                    .into_iter()
                    .zip(rows)
                    .filter_map(|(cursor, row)| row.map(|row| (cursor, row)))
                    .filter(|(_, row)| filter.matches(row))
                    .collect())
            },
        )
        .await
    }

    /// Every row of a store, for low stock, summary and numbered pages: Query pages of up to
    /// 1 MB, at most [`MAX_STORE_PAGES`], and at most [`MAX_JOIN_CALLS`] BatchGetItem calls.
    ///
    /// # Errors
    /// On a DynamoDB failure.
    pub async fn read_store(&self, store_id: &StoreId) -> Result<StoreRows, DbError> {
        let mut rows = Vec::new();
        let mut start_key = None;
        let mut complete = false;
        for _ in 0..MAX_STORE_PAGES {
            let out = self
                .store_query(store_id)
                .set_exclusive_start_key(start_key.take())
                .send()
                .await
                .map_err(|e| DbError::sdk("Query", e))?;
            rows.extend(
                out.items
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|item| InventoryItem::read(&self.tables.inventory, item)),
            );
            start_key = out.last_evaluated_key;
            if start_key.is_none() {
                complete = true;
                break;
            }
        }
        if !complete {
            tracing::warn!(%store_id, rows = rows.len(), "store is larger than one request reads");
        }
        let mut calls = MAX_JOIN_CALLS;
        self.join_catalog(rows.iter_mut(), &mut calls).await?;
        Ok(StoreRows { rows, complete })
    }

    fn store_query(
        &self,
        store_id: &StoreId,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.tables.inventory)
            .key_condition_expression("store_id = :store")
            .expression_attribute_values(":store", s(store_id.as_str()))
    }

    /// Fills in the catalog fields of rows that lack them (rows written before this service
    /// copied them), from the catalog, with at most `calls` BatchGetItem calls (decremented).
    ///
    /// # Errors
    /// On a DynamoDB failure.
    pub(crate) async fn join_catalog<'a>(
        &self,
        rows: impl Iterator<Item = &'a mut InventoryItem>,
        calls: &mut usize,
    ) -> Result<(), DbError> {
        let mut lacking: Vec<&mut InventoryItem> =
            rows.filter(|r| r.lacks_catalog_fields()).collect();
        if lacking.is_empty() {
            return Ok(());
        }
        let found = self
            .catalog_items(lacking.iter().map(|r| &r.product_id), calls)
            .await?;
        for row in &mut lacking {
            if let Some(product) = found.get(row.product_id.as_str()) {
                row.fill_catalog_fields(product);
            }
        }
        Ok(())
    }

    /// The catalog fields (`product_id`, `name`, `brand`, `category`, `unit`, `barcode`) of these
    /// products, by product id: BatchGetItem of at most 100 keys a call, unprocessed keys retried,
    /// at most `calls` calls (decremented). Products still pending when the budget runs out, or
    /// not in the catalog, are left out. The one way the service reads the catalog in bulk.
    ///
    /// # Errors
    /// On a DynamoDB failure.
    pub(crate) async fn catalog_items<'a>(
        &self,
        ids: impl Iterator<Item = &'a ProductId>,
        calls: &mut usize,
    ) -> Result<HashMap<String, Item>, DbError> {
        let mut wanted: Vec<&ProductId> = ids.collect();
        wanted.sort();
        wanted.dedup();
        let mut found: HashMap<String, Item> = HashMap::new();
        let mut pending: Vec<Item> = wanted
            .iter()
            .map(|id| HashMap::from([("product_id".to_owned(), s(id.as_str()))]))
            .collect();
        while !pending.is_empty() && *calls > 0 {
            let batch: Vec<Item> = pending.drain(..pending.len().min(100)).collect();
            *calls -= 1;
            let keys = KeysAndAttributes::builder()
                .set_keys(Some(batch))
                .projection_expression("product_id, #name, brand, category, #unit, barcode")
                .expression_attribute_names("#name", "name")
                .expression_attribute_names("#unit", "unit")
                .build()
                .map_err(|e| DbError::build("BatchGetItem", e))?;
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.tables.products, keys)
                .send()
                .await
                .map_err(|e| DbError::sdk("BatchGetItem", e))?;
            for item in out
                .responses
                .and_then(|mut r| r.remove(&self.tables.products))
                .unwrap_or_default()
            {
                if let Some(id) = item.get("product_id").and_then(|v| v.as_s().ok()) {
                    found.insert(id.clone(), item);
                }
            }
            if let Some(left) = out
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.tables.products))
            {
                pending.extend(left.keys);
            }
        }
        if !pending.is_empty() {
            tracing::warn!(
                products = pending.len(),
                "catalog fields not read within the request's bound; run backfill-catalog-fields"
            );
        }
        Ok(found)
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
        Ok(out
            .item
            .and_then(|item| InventoryItem::read(&self.tables.inventory, item)))
    }
}

/// At least `:q` available. Legacy rows have no `available_stock`, and there on hand is available.
pub(crate) const AVAILABLE_AT_LEAST: &str =
    "((attribute_not_exists(available_stock) AND current_stock >= :q) OR available_stock >= :q)";
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
