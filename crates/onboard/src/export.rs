//! Offboarding: a store's inventory written back to CSV in the import's own columns, so an
//! export imports again as it was. The store's partition is read a page at a time (Query, 100
//! rows a page) and each page written before the next is read: memory stays bounded however
//! large the store.

use crate::rows::INVENTORY_COLUMNS;
use crate::ImportError;
use inventory::db::item::{s, Item};
use inventory::db::{Db, InventoryItem};
use inventory::domain::StoreId;

/// Rows per Query page.
const PAGE_ROWS: i32 = 100;

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportReport {
    pub rows: u64,
    pub pages: u64,
    /// Rows whose values do not fit the service's types: written without those values (and
    /// logged with their key), as the API serves them.
    pub unreadable: u64,
}

/// Writes `store`'s rows to `out`, header first, in product id order. On-hand stock is what is
/// exported: an import gives it all back as available, since reservations do not move between
/// environments.
///
/// # Errors
/// An unknown store (no location and no rows), a DynamoDB failure, or a failed write.
pub async fn export_store<O: std::io::Write>(
    db: &Db,
    store: &StoreId,
    out: O,
) -> Result<ExportReport, ImportError> {
    if !db.store_known(store).await? {
        return Err(ImportError::Usage(format!(
            "store {store} is not a known location and has no rows"
        )));
    }
    let mut writer = csv::Writer::from_writer(out);
    let write_error = |e: csv::Error| ImportError::Csv {
        path: "export".into(),
        message: e.to_string(),
    };
    writer
        .write_record(INVENTORY_COLUMNS)
        .map_err(write_error)?;
    let table = &db.tables().inventory;
    let mut pages = db
        .client()
        .query()
        .table_name(table)
        .key_condition_expression("store_id = :s")
        .expression_attribute_values(":s", s(store.as_str()))
        .limit(PAGE_ROWS)
        .into_paginator()
        .send();
    let mut report = ExportReport::default();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ImportError::dynamodb("Query", e))?;
        report.pages += 1;
        for item in page.items.unwrap_or_default() {
            let extra = |name: &str| number(&item, name);
            let (reorder_quantity, lead_time_days) =
                (extra("reorder_quantity"), extra("lead_time_days"));
            let Some(row) = InventoryItem::read(table, item) else {
                report.unreadable += 1;
                continue;
            };
            if !row.unreadable.is_empty() {
                report.unreadable += 1;
            }
            let text = |v: Option<String>| v.unwrap_or_default();
            let record = [
                row.store_id.to_string(),
                row.product_id.to_string(),
                row.current_stock.to_string(),
                text(row.selling_price.map(|m| m.to_string())),
                text(row.cost_price.map(|m| m.to_string())),
                text(row.min_stock_level.map(|v| v.to_string())),
                text(row.reorder_point.map(|v| v.to_string())),
                text(row.max_stock_level.map(|v| v.to_string())),
                text(reorder_quantity),
                text(lead_time_days),
                text(row.location),
            ];
            writer.write_record(&record).map_err(write_error)?;
            report.rows += 1;
        }
        writer.flush().map_err(|e| ImportError::Csv {
            path: "export".into(),
            message: e.to_string(),
        })?;
    }
    Ok(report)
}

/// A whole-number attribute the row type does not carry (yet), as its text.
fn number(item: &Item, name: &str) -> Option<String> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .filter(|n| n.parse::<i64>().is_ok())
        .cloned()
}
