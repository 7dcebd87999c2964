//! Inventory records: a new row with its opening stock, a change of a row's settings, and one
//! product's rows across every location.
//!
//! Both writes are one TransactWriteItems with their ledger entry, which takes the row's next
//! `ledger_seq` exactly as a stock movement does (`db::ledger`): a new row's opening stock is
//! entry 1, and a settings change is the next entry, conditioned on `ledger_seq` (and on hand)
//! being what it was when the change was computed, with stock the same before and after. So the
//! ledger stays one total order per row, and "each entry's before is the previous one's after"
//! holds across settings entries too.

use super::item::{from_item, n, s, to_item};
use super::ledger::{Movement, SettingsChange};
use super::{Db, DbError, InventoryItem, Product};
use crate::domain::settings::LevelsOutOfOrder;
use crate::domain::time::rfc3339;
use crate::domain::{Actor, MovementType, ProductId, Reason, Reference, Settings, Stock, StoreId};
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashSet;
use std::time::Duration;

/// Query calls one product-stock read may make, of [`ROWS_PER_QUERY`] rows each: a product
/// stocked at more than 1,000 locations is answered with its first 1,000 and `complete: false`.
pub const MAX_PRODUCT_STOCK_QUERIES: usize = 10;
const ROWS_PER_QUERY: i32 = 100;
/// BatchGetItem calls (100 locations each, unprocessed keys retried) one product-stock read may
/// make to learn which locations are inactive.
pub const MAX_LOCATION_READS: usize = 12;
/// How long a settings change or a create keeps retrying writers that got there first.
const RETRY_BUDGET: Duration = Duration::from_secs(10);

/// A row to create: its opening stock and its settings.
#[derive(Debug, Clone)]
pub struct NewRow {
    pub store_id: StoreId,
    pub product_id: ProductId,
    pub current_stock: i64,
    pub settings: Settings,
}

/// A new row's writes ([`Db::opening_writes`]), and what they write.
#[derive(Debug, Clone)]
pub struct OpeningWrites {
    pub row_put: TransactWriteItem,
    pub movement_put: TransactWriteItem,
    pub item: InventoryItem,
    pub movement: Movement,
}

/// How a create ended.
#[derive(Debug, Clone)]
pub enum RowCreate {
    Created {
        item: Box<InventoryItem>,
        movement: Box<Movement>,
    },
    ProductMissing,
    /// The store is not a registered location.
    LocationUnknown,
    LocationInactive,
    /// The row exists, as it is now.
    Exists(Box<InventoryItem>),
    /// No row, but the ledger already holds this key's history (a row removed outside this
    /// service): a new row would restart a sequence that is not empty.
    HistoryExists,
    Contended,
}

/// How a settings change ended.
#[derive(Debug, Clone)]
pub enum SettingsEdit {
    Applied {
        item: Box<InventoryItem>,
        movement: Box<Movement>,
    },
    /// Every named setting already had its value: nothing written, nothing recorded.
    Unchanged(Box<InventoryItem>),
    Missing,
    /// The row's stored quantities cannot be read; no entry is written from a guess.
    Unreadable,
    /// Applied to the row as it is, the change would break min ≤ reorder ≤ max.
    LevelsOutOfOrder {
        broken: LevelsOutOfOrder,
        would_be: Box<Settings>,
    },
    Contended,
}

/// A row and whether its location is active (stores from before locations count as active).
#[derive(Debug, Clone, Serialize)]
pub struct RowAt {
    #[serde(flatten)]
    pub item: InventoryItem,
    pub location_active: bool,
}

/// One product's rows across locations, as far as one request reads them.
#[derive(Debug, Clone)]
pub struct ProductStock {
    pub product: Option<Product>,
    /// The rows the caller may see.
    pub rows: Vec<RowAt>,
    /// Whether any row exists at all, seen or not.
    pub stocked: bool,
    /// False when the product has more rows than [`MAX_PRODUCT_STOCK_QUERIES`] pages.
    pub complete: bool,
}

/// The stored form of a new row: money as text (stored as `N` by `to_item`).
#[derive(Serialize)]
struct RowRecord<'a> {
    store_id: &'a StoreId,
    product_id: &'a ProductId,
    current_stock: i64,
    reserved_stock: i64,
    available_stock: i64,
    #[serde(flatten)]
    settings: &'a Settings,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    brand: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    barcode: Option<&'a str>,
    ledger_seq: i64,
    created_at: &'a str,
    updated_at: &'a str,
}

fn backoff() -> impl Iterator<Item = Duration> {
    crate::backoff::jittered(
        Duration::from_millis(2),
        Duration::from_millis(80),
        Some(RETRY_BUDGET),
    )
}

/// A ledger entry for the row `key`, taking `seq`, from stock `before` to `after`.
fn entry(
    (store_id, product_id): (&StoreId, &ProductId),
    seq: i64,
    movement_type: MovementType,
    (before, after): (Stock, Stock),
    actor: &Actor,
    settings: SettingsChange,
    now: DateTime<Utc>,
) -> Movement {
    Movement {
        movement_id: uuid::Uuid::now_v7().to_string(),
        store_id: store_id.clone(),
        product_id: product_id.clone(),
        seq,
        movement_type,
        delta: after.current - before.current,
        current_before: before.current,
        current_after: after.current,
        reserved_before: before.reserved,
        reserved_after: after.reserved,
        available_before: before.available,
        available_after: after.available,
        actor: actor.clone(),
        reason: None,
        reference: None,
        adjustment_type: None,
        reservation_id: None,
        order_id: None,
        sale: false,
        settings: Some(settings),
        created_at: now,
    }
}

/// The settings that are set, as `(attribute, value)` for an update expression.
fn setting_values(settings: &Settings) -> Vec<(&'static str, AttributeValue)> {
    let mut values = Vec::new();
    let levels = [
        ("reorder_point", settings.reorder_point),
        ("reorder_quantity", settings.reorder_quantity),
        ("min_stock_level", settings.min_stock_level),
        ("max_stock_level", settings.max_stock_level),
        ("lead_time_days", settings.lead_time_days),
    ];
    for (name, value) in levels {
        if let Some(v) = value {
            values.push((name, n(v)));
        }
    }
    for (name, value) in [
        ("selling_price", settings.selling_price),
        ("cost_price", settings.cost_price),
    ] {
        if let Some(m) = value {
            values.push((name, n(m)));
        }
    }
    if let Some(location) = &settings.location {
        values.push(("location", s(location.as_str())));
    }
    values
}

/// Whether a failed transaction only lost a race that a retry can win.
fn is_conflict(error: &TransactWriteItemsError) -> bool {
    error.code() == Some("TransactionConflictException")
}

impl Db {
    /// The two writes that create a row: the row (conditioned on not existing), with the
    /// product's listing fields copied on, and its opening stock's ledger entry (`initial_stock`,
    /// seq 1, its settings as created). `POST /api/v1/inventory` and the CSV import both write
    /// exactly these, in one transaction each.
    ///
    /// # Errors
    /// When the row does not encode (never).
    pub fn opening_writes(
        &self,
        new: &NewRow,
        product: &Product,
        actor: &Actor,
        provenance: Option<(Reason, Reference)>,
        now: DateTime<Utc>,
    ) -> Result<OpeningWrites, DbError> {
        let stamp = rfc3339(now);
        let record = RowRecord {
            store_id: &new.store_id,
            product_id: &new.product_id,
            current_stock: new.current_stock,
            reserved_stock: 0,
            available_stock: new.current_stock,
            settings: &new.settings,
            name: &product.name,
            brand: product.brand.as_deref().filter(|v| !v.is_empty()),
            category: product.category.as_deref().filter(|v| !v.is_empty()),
            unit: product.unit.as_deref().filter(|v| !v.is_empty()),
            barcode: product.barcode.as_deref().filter(|v| !v.is_empty()),
            ledger_seq: 1,
            created_at: &stamp,
            updated_at: &stamp,
        };
        let item = to_item(&self.tables.inventory, &record)?;
        let created: InventoryItem = from_item(&self.tables.inventory, item.clone())?;
        let mut movement = entry(
            (&new.store_id, &new.product_id),
            1,
            MovementType::InitialStock,
            (Stock::default(), Stock::on_hand(new.current_stock)),
            actor,
            SettingsChange {
                before: Settings::default(),
                after: new.settings.clone(),
            },
            now,
        );
        if let Some((reason, reference)) = provenance {
            movement.reason = Some(reason);
            movement.reference = Some(reference);
        }
        let put = Put::builder()
            .table_name(&self.tables.inventory)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(product_id)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(|e| DbError::build("Put", e))?;
        Ok(OpeningWrites {
            row_put: TransactWriteItem::builder().put(put).build(),
            movement_put: self.movement_put(&movement)?,
            item: created,
            movement,
        })
    }

    /// Creates a row with its opening stock, and the opening stock's ledger entry (seq 1), in
    /// one transaction. The product must be in the catalog (its listing fields are copied onto
    /// the row) and the store a registered, active location.
    ///
    /// # Errors
    /// On a DynamoDB failure.
    pub async fn create_row(
        &self,
        new: &NewRow,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<RowCreate, DbError> {
        let (product, location) =
            tokio::try_join!(self.product(&new.product_id), self.location(&new.store_id))?;
        let Some(product) = product else {
            return Ok(RowCreate::ProductMissing);
        };
        match location {
            None => return Ok(RowCreate::LocationUnknown),
            Some(l) if !l.active => return Ok(RowCreate::LocationInactive),
            Some(_) => {}
        }
        let opening = self.opening_writes(new, &product, actor, None, now)?;
        let (created, movement) = (opening.item, opening.movement);
        let request = self
            .client
            .transact_write_items()
            .transact_items(opening.row_put)
            .transact_items(opening.movement_put);
        let mut delays = backoff();
        loop {
            let error = match request.clone().send().await {
                Ok(_) => {
                    return Ok(RowCreate::Created {
                        item: Box::new(created),
                        movement: Box::new(movement),
                    })
                }
                Err(error) => error,
            };
            match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                    let reasons = cancelled.cancellation_reasons();
                    let failed = |i: usize| {
                        reasons.get(i).and_then(|r| r.code()) == Some("ConditionalCheckFailed")
                    };
                    if failed(0) {
                        let image = reasons.first().and_then(|r| r.item().cloned());
                        let existing = match image
                            .and_then(|old| InventoryItem::read(&self.tables.inventory, old))
                        {
                            Some(row) => Some(row),
                            None => self.inventory_item(&new.store_id, &new.product_id).await?,
                        };
                        if let Some(row) = existing {
                            return Ok(RowCreate::Exists(Box::new(row)));
                        }
                    } else if failed(1) {
                        return Ok(RowCreate::HistoryExists);
                    }
                }
                Some(e) if is_conflict(e) => {}
                _ => return Err(DbError::sdk("TransactWriteItems", error)),
            }
            let Some(delay) = delays.next() else {
                return Ok(RowCreate::Contended);
            };
            tokio::time::sleep(delay).await;
        }
    }

    /// Applies `change` to the row's settings, with a `settings` ledger entry holding the
    /// changed fields before and after and its actor, in one transaction. The write is
    /// conditioned on the row's `ledger_seq` and on-hand stock being as read, so a stock change
    /// landing in between is never overwritten or misrecorded: the change is recomputed from
    /// the row as it now is (the failed write's image) and retried, within a budget.
    ///
    /// # Errors
    /// On a DynamoDB failure.
    pub async fn edit_settings(
        &self,
        store_id: &StoreId,
        product_id: &ProductId,
        change: &Settings,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<SettingsEdit, DbError> {
        let mut delays = backoff();
        let mut row = self.inventory_item(store_id, product_id).await?;
        loop {
            let Some(current) = row.take() else {
                return Ok(SettingsEdit::Missing);
            };
            if current.quantities_unreadable() {
                return Ok(SettingsEdit::Unreadable);
            }
            let stored = current.settings();
            let would_be = stored.with(change);
            if let Err(broken) = would_be.check_levels() {
                return Ok(SettingsEdit::LevelsOutOfOrder {
                    broken,
                    would_be: Box::new(would_be),
                });
            }
            let (before, after) = stored.diff(change);
            if after.is_empty() {
                return Ok(SettingsEdit::Unchanged(Box::new(current)));
            }
            let stock = current.stock();
            let seq = current.ledger_seq + 1;
            let movement = entry(
                (store_id, product_id),
                seq,
                MovementType::Settings,
                (stock, stock),
                actor,
                SettingsChange {
                    before,
                    after: after.clone(),
                },
                now,
            );
            let update = self.settings_update(&current, &after, &movement, now)?;
            let sent = self
                .client
                .transact_write_items()
                .transact_items(update)
                .transact_items(self.movement_put(&movement)?)
                .send()
                .await;
            let error = match sent {
                Ok(_) => {
                    let item = current
                        .with_settings(&after)
                        .with_stock(stock, seq, now, None);
                    return Ok(SettingsEdit::Applied {
                        item: Box::new(item),
                        movement: Box::new(movement),
                    });
                }
                Err(error) => error,
            };
            match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                    let reason = cancelled.cancellation_reasons().first();
                    if reason.and_then(|r| r.code()) == Some("ConditionalCheckFailed") {
                        match reason.and_then(|r| r.item().cloned()) {
                            // The row is gone.
                            None => return Ok(SettingsEdit::Missing),
                            // Another writer moved it on: its image is the next attempt's row.
                            Some(old) => row = InventoryItem::read(&self.tables.inventory, old),
                        }
                    }
                }
                Some(e) if is_conflict(e) => {}
                _ => return Err(DbError::sdk("TransactWriteItems", error)),
            }
            let Some(delay) = delays.next() else {
                tracing::warn!(%store_id, %product_id, "giving up on a contended settings change");
                return Ok(SettingsEdit::Contended);
            };
            tokio::time::sleep(delay).await;
            if row.is_none() {
                row = self.inventory_item(store_id, product_id).await?;
            }
        }
    }

    fn settings_update(
        &self,
        row: &InventoryItem,
        after: &Settings,
        movement: &Movement,
        now: DateTime<Utc>,
    ) -> Result<TransactWriteItem, DbError> {
        let seq = movement.seq;
        // A row with a backlog gets this entry on it too, keeping its log exact (`db::pending`).
        let pending = (!row.pending.is_empty()).then(|| {
            super::PendingEntry::written(&movement.movement_id, row.stock(), row.stock(), now)
        });
        // Reserved and available are written as read, so a legacy row migrates with its first
        // entry, as it does with its first stock change.
        let mut expression = String::from(
            "SET ledger_seq = :seq, updated_at = :now, reserved_stock = :reserved, available_stock = :available",
        );
        let mut condition = String::from(
            "attribute_exists(product_id) AND (current_stock = :current OR attribute_not_exists(current_stock))",
        );
        let mut update = Update::builder()
            .table_name(&self.tables.inventory)
            .key("store_id", s(row.store_id.as_str()))
            .key("product_id", s(row.product_id.as_str()))
            .expression_attribute_values(":seq", n(seq))
            .expression_attribute_values(":now", s(rfc3339(now)))
            .expression_attribute_values(":reserved", n(row.reserved_stock))
            .expression_attribute_values(":available", n(row.available_stock))
            .expression_attribute_values(":current", n(row.current_stock))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if seq == 1 {
            condition.push_str(" AND attribute_not_exists(ledger_seq)");
        } else {
            condition.push_str(" AND ledger_seq = :seen");
            update = update.expression_attribute_values(":seen", n(seq - 1));
        }
        if let Some(entry) = &pending {
            update = entry.append_to(update, &mut expression)?;
        }
        for (name, value) in setting_values(after) {
            // Placeholders for every name: `location` is one of DynamoDB's reserved words.
            expression.push_str(&format!(", #s_{name} = :s_{name}"));
            update = update
                .expression_attribute_names(format!("#s_{name}"), name)
                .expression_attribute_values(format!(":s_{name}"), value);
        }
        let update = update
            .update_expression(expression)
            .condition_expression(condition)
            .build()
            .map_err(|e| DbError::build("Update", e))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// One product's rows across locations, through `product_id-index` (eventually
    /// consistent), keeping the rows `visible` allows, each flagged with whether its location
    /// is active. Bounded: at most [`MAX_PRODUCT_STOCK_QUERIES`] Query calls of 100 rows, one
    /// GetItem for the catalog product, and at most [`MAX_LOCATION_READS`] BatchGetItem calls.
    ///
    /// # Errors
    /// On a DynamoDB failure.
    pub async fn product_stock(
        &self,
        product_id: &ProductId,
        visible: impl Fn(&StoreId) -> bool,
    ) -> Result<ProductStock, DbError> {
        let rows = async {
            let mut rows = Vec::new();
            let mut start = None;
            for _ in 0..MAX_PRODUCT_STOCK_QUERIES {
                let out = self
                    .client
                    .query()
                    .table_name(&self.tables.inventory)
                    .index_name("product_id-index")
                    .key_condition_expression("product_id = :p")
                    .expression_attribute_values(":p", s(product_id.as_str()))
                    .limit(ROWS_PER_QUERY)
                    .set_exclusive_start_key(start.take())
                    .send()
                    .await
                    .map_err(|e| DbError::sdk("Query", e))?;
                rows.extend(
                    out.items
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|item| InventoryItem::read(&self.tables.inventory, item)),
                );
                start = out.last_evaluated_key;
                if start.is_none() {
                    return Ok::<_, DbError>((rows, true));
                }
            }
            tracing::warn!(%product_id, rows = rows.len(), "product stocked at more locations than one request reads");
            Ok((rows, false))
        };
        let (product, (rows, complete)) = tokio::try_join!(self.product(product_id), rows)?;
        let stocked = !rows.is_empty();
        let mut seen: Vec<InventoryItem> =
            rows.into_iter().filter(|r| visible(&r.store_id)).collect();
        seen.sort_by(|a, b| a.store_id.cmp(&b.store_id));
        let inactive = self
            .inactive_locations(seen.iter().map(|r| &r.store_id))
            .await?;
        let rows = seen
            .into_iter()
            .map(|item| RowAt {
                location_active: !inactive.contains(item.store_id.as_str()),
                item,
            })
            .collect();
        Ok(ProductStock {
            product,
            rows,
            stocked,
            complete,
        })
    }

    /// Which of these locations are inactive: their `LOC#` items in one strongly consistent
    /// BatchGetItem per 100 ([`Db::consistent_items`]; at most [`MAX_LOCATION_READS`] calls for
    /// the 1,000 rows a read may hold). A store with no location item is one from before
    /// locations, and active.
    async fn inactive_locations<'a>(
        &self,
        stores: impl Iterator<Item = &'a StoreId>,
    ) -> Result<HashSet<String>, DbError> {
        let mut wanted: Vec<&StoreId> = stores.collect();
        wanted.sort();
        wanted.dedup();
        let keys: Vec<_> = wanted.iter().map(|id| self.location_key(id)).collect();
        let mut inactive = HashSet::new();
        for (id, item) in wanted.iter().zip(self.consistent_items(&keys).await?) {
            if let Some(item) = item {
                if !self.location_from_item(item)?.active {
                    inactive.insert(id.to_string());
                }
            }
        }
        Ok(inactive)
    }
}
