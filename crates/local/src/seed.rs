//! Demo data and fixtures. `make run` loads demo/*.csv with the onboarding tool's import
//! ([`import_demo`]); the bench and test fixtures write catalog products and inventory rows as the
//! previous service wrote them (no reserved or available stock), to exercise legacy rows.

use aws_sdk_dynamodb::Client;
use futures::{stream, StreamExt, TryStreamExt};
use inventory::db::item::to_item;
use inventory::db::Tables;
use inventory::domain::{Actor, Barcode, InvalidValue, Money, ProductId, StoreId};
use inventory_onboard::import::{import, ImportOptions, ImportReport};
use inventory_onboard::rows::{self, CatalogRow, InventoryRow, Kind};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// A catalog product as the demo file and the table hold it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogEntry {
    pub product_id: ProductId,
    pub name: String,
    pub brand: String,
    pub barcode: Barcode,
    #[serde(serialize_with = "Money::serialize_as_text")]
    pub mrp: Money,
    pub category: String,
    pub unit: String,
    pub description: String,
    pub image_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

/// An inventory row in the legacy shape, with the product's fields copied in for listing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryEntry {
    pub store_id: StoreId,
    pub product_id: ProductId,
    pub current_stock: i64,
    #[serde(serialize_with = "Money::serialize_as_text")]
    pub selling_price: Money,
    #[serde(serialize_with = "Money::serialize_as_text")]
    pub cost_price: Money,
    pub min_stock_level: i64,
    pub max_stock_level: i64,
    pub reorder_point: i64,
    pub location: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub barcode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

impl InventoryEntry {
    /// A row of `current_stock` units with typical levels (minimum 2, reorder at 5, maximum at
    /// least 100) and no product details yet (see [`InventoryEntry::denormalise`]).
    pub fn new(
        store_id: StoreId,
        product_id: ProductId,
        current_stock: i64,
        selling_price: Money,
        cost_price: Money,
    ) -> Self {
        Self {
            store_id,
            product_id,
            current_stock,
            selling_price,
            cost_price,
            min_stock_level: 2,
            max_stock_level: current_stock.max(100),
            reorder_point: 5,
            location: "A1-01".into(),
            name: None,
            brand: None,
            category: None,
            unit: None,
            barcode: None,
            updated_at: None,
        }
    }

    /// Copies the product's descriptive fields onto the row, as the previous service did.
    pub fn denormalise(&mut self, product: &CatalogEntry) {
        self.name = Some(product.name.clone());
        self.brand = Some(product.brand.clone());
        self.category = Some(product.category.clone());
        self.unit = Some(product.unit.clone());
        self.barcode = Some(product.barcode.to_string());
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("cannot read {path}: {message}")]
    File { path: String, message: String },
    #[error("inventory row {store_id}/{product_id} names a product missing from the catalog")]
    UnknownProduct {
        store_id: String,
        product_id: String,
    },
    #[error("cannot write {table}: {message}")]
    Write { table: String, message: String },
}

/// The demo catalog and inventory, read from `dir` (the repository's demo/ folder: `catalog.csv`
/// and `inventory.csv`, the files `inventory-csv import` loads) through the import's own parser,
/// in the legacy shape the bench and the test fixtures write.
///
/// # Errors
/// When a file is missing or a line is invalid (a bad barcode, a negative price) or lacks a
/// field the legacy shape requires.
pub fn load_demo(dir: &Path) -> Result<(Vec<CatalogEntry>, Vec<InventoryEntry>), SeedError> {
    let file_error = |path: &Path, message: String| SeedError::File {
        path: path.display().to_string(),
        message,
    };
    let catalog_path = dir.join("catalog.csv");
    let inventory_path = dir.join("inventory.csv");
    let catalog: Vec<CatalogEntry> = rows::read_all(Kind::Catalog, &catalog_path, |f| {
        let row = CatalogRow::parse(f)?;
        let fields = row.fields;
        let required =
            |field: &'static str| InvalidValue::new(field, "is required in the demo data");
        let text = |v: Option<String>| v.unwrap_or_default();
        Ok(CatalogEntry {
            product_id: row.product_id,
            name: fields.name.into(),
            brand: text(fields.brand.map(Into::into)),
            barcode: fields.barcode.ok_or_else(|| required("barcode"))?,
            mrp: fields.mrp.ok_or_else(|| required("mrp"))?,
            category: text(fields.category.map(Into::into)),
            unit: text(fields.unit.map(Into::into)),
            description: text(fields.description.map(Into::into)),
            image_url: text(fields.image_url.map(Into::into)),
            created_at: None,
        })
    })
    .map_err(|e| file_error(&catalog_path, e.to_string()))?;
    let mut inventory: Vec<InventoryEntry> =
        rows::read_all(Kind::Inventory, &inventory_path, |f| {
            let row = InventoryRow::parse(f)?;
            let s = row.settings;
            let required =
                |field: &'static str| InvalidValue::new(field, "is required in the demo data");
            let mut entry = InventoryEntry::new(
                row.store_id,
                row.product_id,
                row.current_stock.get(),
                s.selling_price.ok_or_else(|| required("selling_price"))?,
                s.cost_price.ok_or_else(|| required("cost_price"))?,
            );
            entry.min_stock_level = s
                .min_stock_level
                .ok_or_else(|| required("min_stock_level"))?;
            entry.reorder_point = s.reorder_point.ok_or_else(|| required("reorder_point"))?;
            entry.max_stock_level = s
                .max_stock_level
                .ok_or_else(|| required("max_stock_level"))?;
            entry.location = s
                .location
                .map(Into::into)
                .ok_or_else(|| required("location"))?;
            Ok(entry)
        })
        .map_err(|e| file_error(&inventory_path, e.to_string()))?;
    let by_id: HashMap<&ProductId, &CatalogEntry> =
        catalog.iter().map(|p| (&p.product_id, p)).collect();
    for row in &mut inventory {
        let product = by_id
            .get(&row.product_id)
            .ok_or_else(|| SeedError::UnknownProduct {
                store_id: row.store_id.to_string(),
                product_id: row.product_id.to_string(),
            })?;
        row.denormalise(product);
    }
    Ok((catalog, inventory))
}

/// Loads the demo data (`locations.csv`, `catalog.csv`, `inventory.csv` in `dir`) with the
/// onboarding tool's import, as `make run` does: what is already there is left alone, so a
/// rerun writes nothing and keeps every stock change made since.
///
/// # Errors
/// When a file cannot be read, a demo row is rejected, or DynamoDB fails.
pub async fn import_demo(
    client: &Client,
    tables: &Tables,
    dir: &Path,
) -> Result<ImportReport, SeedError> {
    let db = inventory::db::Db::new(client.clone(), tables.clone());
    let mut options =
        ImportOptions::new(Actor::parse("demo-data").map_err(|e| SeedError::File {
            path: dir.display().to_string(),
            message: e.to_string(),
        })?);
    options.locations = Some(dir.join("locations.csv"));
    options.catalog = Some(dir.join("catalog.csv"));
    options.inventory = Some(dir.join("inventory.csv"));
    let report = import(&db, db.client(), &options, chrono::Utc::now())
        .await
        .map_err(|e| SeedError::Write {
            table: "demo import".into(),
            message: e.to_string(),
        })?;
    if let Some(r) = report.rejections.first() {
        return Err(SeedError::File {
            path: r.file.clone(),
            message: format!(
                "line {}: {} ({} rows rejected)",
                r.line,
                r.reason,
                report.rejected()
            ),
        });
    }
    Ok(report)
}

/// How many rows a seed wrote and how many were already there.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    pub written: usize,
    pub already_present: usize,
}

/// Writes products and rows that are not there yet; existing items, and any stock changes made
/// to them, are left alone. Safe to run again.
///
/// # Errors
/// When DynamoDB refuses a write.
pub async fn seed(
    client: &Client,
    tables: &Tables,
    catalog: &[CatalogEntry],
    inventory: &[InventoryEntry],
) -> Result<SeedReport, SeedError> {
    let products = catalog
        .iter()
        .map(|p| put_if_absent(client, &tables.products, "product_id", p));
    let rows = inventory
        .iter()
        .map(|r| put_if_absent(client, &tables.inventory, "product_id", r));
    let mut report = SeedReport::default();
    let mut outcomes = stream::iter(products).buffer_unordered(8);
    while let Some(written) = outcomes.try_next().await? {
        if written {
            report.written += 1
        } else {
            report.already_present += 1
        }
    }
    let mut outcomes = stream::iter(rows).buffer_unordered(8);
    while let Some(written) = outcomes.try_next().await? {
        if written {
            report.written += 1
        } else {
            report.already_present += 1
        }
    }
    Ok(report)
}

/// Puts `value` unless an item with its key exists. `Ok(false)` when it did.
///
/// # Errors
/// When DynamoDB refuses the write for any other reason.
pub async fn put_if_absent<T: Serialize>(
    client: &Client,
    table: &str,
    key_attribute: &str,
    value: &T,
) -> Result<bool, SeedError> {
    let fail = |message: String| SeedError::Write {
        table: table.to_owned(),
        message,
    };
    let item = to_item(table, value).map_err(|e| fail(e.to_string()))?;
    let result = client
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#k)")
        .expression_attribute_names("#k", key_attribute)
        .send()
        .await;
    match result {
        Ok(_) => Ok(true),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
        {
            Ok(false)
        }
        Err(err) => Err(fail(
            aws_sdk_dynamodb::error::DisplayErrorContext(&err).to_string(),
        )),
    }
}
