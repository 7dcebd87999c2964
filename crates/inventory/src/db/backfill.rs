//! The catalog fields copied onto inventory rows (`name`, `brand`, `category`, `unit`,
//! `barcode`), so listing and search need no catalog reads. Rows written by the previous service
//! may lack them: the ledger engine backfills a row's copy with its next write, and
//! [`Db::backfill_catalog_fields`] (the `inventory-local backfill-catalog-fields` command)
//! backfills the rest in bounded batches. Both write with `if_not_exists`, so a field already
//! there is never overwritten, and touch nothing else on the row.

use super::item::{from_item, s, Item};
use super::{Db, DbError, InventoryItem, Product};
use crate::domain::{ProductId, StoreId};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use std::collections::HashMap;

/// The copied fields a row lacks and its catalog product has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogFields {
    pub name: Option<String>,
    pub brand: Option<String>,
    pub category: Option<String>,
    pub unit: Option<String>,
    pub barcode: Option<String>,
}

impl CatalogFields {
    /// Whether a row lacks any copied field, and so is worth a catalog read.
    pub fn missing_on(row: &InventoryItem) -> bool {
        row.name.is_none()
            || row.brand.is_none()
            || row.category.is_none()
            || row.unit.is_none()
            || row.barcode.is_none()
    }

    /// What `product` can fill in of what `row` lacks; `None` when that is nothing.
    pub fn to_fill(row: &InventoryItem, product: &Product) -> Option<Self> {
        let take = |have: &Option<String>, from: Option<&String>| match have {
            Some(_) => None,
            None => from.filter(|v| !v.is_empty()).cloned(),
        };
        let fields = Self {
            name: take(&row.name, Some(&product.name)),
            brand: take(&row.brand, product.brand.as_ref()),
            category: take(&row.category, product.category.as_ref()),
            unit: take(&row.unit, product.unit.as_ref()),
            barcode: take(&row.barcode, product.barcode.as_ref()),
        };
        (fields != Self::default()).then_some(fields)
    }

    /// `(attribute, value)` for each field to write.
    pub fn present(&self) -> Vec<(&'static str, &str)> {
        [
            ("name", &self.name),
            ("brand", &self.brand),
            ("category", &self.category),
            ("unit", &self.unit),
            ("barcode", &self.barcode),
        ]
        .into_iter()
        .filter_map(|(attribute, value)| value.as_deref().map(|v| (attribute, v)))
        .collect()
    }

    pub(crate) fn copy_into(&self, row: &mut InventoryItem) {
        let fill = |have: &mut Option<String>, from: &Option<String>| {
            if have.is_none() {
                have.clone_from(from);
            }
        };
        fill(&mut row.name, &self.name);
        fill(&mut row.brand, &self.brand);
        fill(&mut row.category, &self.category);
        fill(&mut row.unit, &self.unit);
        fill(&mut row.barcode, &self.barcode);
    }
}

/// What a backfill run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BackfillReport {
    /// Rows read.
    pub scanned: usize,
    /// Rows that lacked a field their product has, and got it.
    pub updated: usize,
    /// Rows lacking a field whose product has none to give (or no catalog product at all).
    pub unfillable: usize,
    /// Rows that went away between the scan and the write.
    pub gone: usize,
    /// Rows whose values do not fit this service's types (logged with their key, left alone).
    pub unreadable: usize,
    /// Where the next run goes on (`store_id`, `product_id` of the last row read), when this one
    /// stopped at its page budget; `None` when it reached the end of the table.
    pub resume_after: Option<(StoreId, ProductId)>,
}

/// Rows per scan page, and so per BatchGetItem (its limit is 100 keys).
pub const BACKFILL_PAGE: i32 = 100;
/// BatchGetItem calls one backfill page may make for its (at most 100) products.
const BACKFILL_READ_CALLS: usize = 8;

impl Db {
    /// For each row about to be written: the catalog fields it lacks, from its product (read
    /// only for rows that lack some; one GetItem each, concurrently).
    ///
    /// # Errors
    /// On a DynamoDB failure or a corrupt product.
    pub(crate) async fn catalog_fields_for(
        &self,
        rows: &[InventoryItem],
    ) -> Result<Vec<Option<CatalogFields>>, DbError> {
        futures::future::try_join_all(rows.iter().map(|row| async move {
            if !CatalogFields::missing_on(row) {
                return Ok(None);
            }
            Ok(self
                .product(&row.product_id)
                .await?
                .and_then(|product| CatalogFields::to_fill(row, &product)))
        }))
        .await
    }

    /// Pages through the whole inventory table and copies the catalog fields onto every row that
    /// still lacks them: one Scan page of up to 100 rows, one BatchGetItem for their products,
    /// then one conditional UpdateItem per row to fill. `max_pages` bounds a run; the next run
    /// goes on from `resume_after` (rows already filled are skipped, so any run is safe to
    /// repeat).
    ///
    /// # Errors
    /// On a DynamoDB failure or a corrupt item.
    pub async fn backfill_catalog_fields(
        &self,
        max_pages: usize,
        resume_after: Option<(StoreId, ProductId)>,
    ) -> Result<BackfillReport, DbError> {
        let mut report = BackfillReport::default();
        let mut start: Option<Item> = resume_after.map(|(store, product)| {
            HashMap::from([
                ("store_id".to_owned(), s(store.as_str())),
                ("product_id".to_owned(), s(product.as_str())),
            ])
        });
        for _ in 0..max_pages {
            let page = self
                .client
                .scan()
                .table_name(&self.tables.inventory)
                .limit(BACKFILL_PAGE)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| DbError::sdk("Scan", e))?;
            let mut lacking = Vec::new();
            for item in page.items.unwrap_or_default() {
                report.scanned += 1;
                let key = |name: &str| {
                    item.get(name)
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                        .unwrap_or_default()
                };
                let (store_id, product_id) = (key("store_id"), key("product_id"));
                match from_item::<InventoryItem>(&self.tables.inventory, item) {
                    Ok(row) if CatalogFields::missing_on(&row) => lacking.push(row),
                    Ok(_) => {}
                    // One odd row must not stop the run: it is logged and left for a person.
                    Err(error) => {
                        tracing::warn!(%store_id, %product_id, %error, "row does not fit; skipped");
                        report.unreadable += 1;
                    }
                }
            }
            let products = self
                .products_by_id(lacking.iter().map(|r| &r.product_id))
                .await?;
            for row in &lacking {
                let fill = products
                    .get(row.product_id.as_str())
                    .and_then(|p| CatalogFields::to_fill(row, p));
                match fill {
                    None => report.unfillable += 1,
                    Some(fill) => {
                        if self.fill_row(row, &fill).await? {
                            report.updated += 1;
                        } else {
                            report.gone += 1;
                        }
                    }
                }
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        report.resume_after = start.as_ref().and_then(|key| {
            let get = |k: &str| key.get(k).and_then(|v| v.as_s().ok()).cloned();
            Some((
                StoreId::parse(get("store_id")?).ok()?,
                ProductId::parse(get("product_id")?).ok()?,
            ))
        });
        tracing::info!(
            scanned = report.scanned,
            updated = report.updated,
            unfillable = report.unfillable,
            gone = report.gone,
            unreadable = report.unreadable,
            more = start.is_some(),
            "catalog fields backfilled"
        );
        Ok(report)
    }

    /// Products by id (their catalog fields), through the one bulk catalog read; at most
    /// `BACKFILL_READ_CALLS` calls, enough to drain what DynamoDB leaves unprocessed under load.
    async fn products_by_id<'a>(
        &self,
        ids: impl Iterator<Item = &'a ProductId>,
    ) -> Result<HashMap<String, Product>, DbError> {
        let mut calls = BACKFILL_READ_CALLS;
        self.catalog_items(ids, &mut calls)
            .await?
            .into_iter()
            .map(|(id, item)| Ok((id, from_item::<Product>(&self.tables.products, item)?)))
            .collect()
    }

    /// Fills one row's missing fields; false when the row no longer exists.
    async fn fill_row(&self, row: &InventoryItem, fill: &CatalogFields) -> Result<bool, DbError> {
        let mut expression = Vec::new();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.tables.inventory)
            .key("store_id", s(row.store_id.as_str()))
            .key("product_id", s(row.product_id.as_str()))
            .condition_expression("attribute_exists(product_id)");
        for (attribute, value) in fill.present() {
            expression.push(format!(
                "#{attribute} = if_not_exists(#{attribute}, :{attribute})"
            ));
            update = update
                .expression_attribute_names(format!("#{attribute}"), attribute)
                .expression_attribute_values(
                    format!(":{attribute}"),
                    AttributeValue::S(value.to_owned()),
                );
        }
        match update
            .update_expression(format!("SET {}", expression.join(", ")))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(DbError::sdk("UpdateItem", e)),
        }
    }
}
