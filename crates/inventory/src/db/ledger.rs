//! The ledger engine: every stock change is written together with its movement row in one
//! TransactWriteItems, so no change is ever without its audit record.
//!
//! Each change is computed from the row as read (`domain::Stock::apply`), and the write is
//! conditioned on the row being exactly that row still: its `ledger_seq` unchanged, and, spelled
//! out for the reader, the business condition (`available_stock >= :q` for anything that takes
//! stock). When another writer got there first, the cancellation reason carries the row as it
//! now is (`ReturnValuesOnConditionCheckFailure=ALL_OLD`): if the change is still allowed it is
//! recomputed and retried, and if not, the refusal is answered from that image, not from a
//! second read. The movement's sort key is the row's new `ledger_seq`, so a product's movements
//! are totally ordered and each one's "before" is the previous one's "after".

use super::backfill::CatalogFields;
use super::inventory::AVAILABLE_AT_LEAST;
use super::item::{from_item, n, s, to_item, Item};
use super::pending::{waiting_movements, PendingEntry, PENDING_LIMIT};
use super::{Db, DbError, InventoryItem};
use crate::domain::reorder::sold_units;
use crate::domain::time::{millis, rfc3339};
use crate::domain::{
    Actor, AdjustmentType, MovementType, NextToken, OrderId, ProductId, Reason, Reference, Refusal,
    ReservationId, Settings, Stock, StockOp, StoreId,
};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// How long one request may keep retrying a contended write before answering "busy"; the
/// write functions' timeout (template.yaml) leaves room for it.
pub const RETRY_BUDGET: Duration = Duration::from_secs(20);

/// One row's change within a transaction.
#[derive(Debug, Clone)]
pub struct RowChange {
    pub store_id: StoreId,
    pub product_id: ProductId,
    pub op: StockOp,
}

/// What every movement of one transaction records besides the quantities.
#[derive(Debug, Clone)]
pub struct MovementContext {
    pub movement_type: MovementType,
    pub actor: Actor,
    pub reason: Option<Reason>,
    pub reference: Option<Reference>,
    pub adjustment_type: Option<AdjustmentType>,
    pub reservation_id: Option<ReservationId>,
    pub order_id: Option<OrderId>,
    /// A removal the caller marked as units sold (`PUT .../stock` with `"sale": true`).
    pub sale: bool,
    pub now: DateTime<Utc>,
}

impl MovementContext {
    pub fn new(movement_type: MovementType, actor: Actor, now: DateTime<Utc>) -> Self {
        Self {
            movement_type,
            actor,
            reason: None,
            reference: None,
            adjustment_type: None,
            reservation_id: None,
            order_id: None,
            sale: false,
            now,
        }
    }
}

/// One row of the ledger: an append-only record of one change to one row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Movement {
    pub movement_id: String,
    pub store_id: StoreId,
    pub product_id: ProductId,
    /// The row's `ledger_seq` after this change: 1 for a row's first movement.
    pub seq: i64,
    pub movement_type: MovementType,
    /// The signed units the operation named (a reservation of 3 is +3, a commit of 3 is -3).
    pub delta: i64,
    pub current_before: i64,
    pub current_after: i64,
    pub reserved_before: i64,
    pub reserved_after: i64,
    pub available_before: i64,
    pub available_after: i64,
    pub actor: Actor,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjustment_type: Option<AdjustmentType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservation_id: Option<ReservationId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
    /// Marked by the caller as units sold; only shown when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sale: bool,
    /// A `settings` entry's changed fields, as they were and as they are; an `initial_stock`
    /// entry's settings as created (`before` empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<SettingsChange>,
    #[serde(with = "millis")]
    pub created_at: DateTime<Utc>,
}

/// What a settings change changed: only the fields that differ, before and after. A field
/// absent from `before` (or `before` itself absent) was not set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsChange {
    /// Left out when empty: DynamoDB Local's stream cannot carry an empty map (its GetRecords
    /// answer then fails to decode), so neither side is ever stored empty.
    #[serde(default, skip_serializing_if = "Settings::is_empty")]
    pub before: Settings,
    #[serde(default, skip_serializing_if = "Settings::is_empty")]
    pub after: Settings,
}

impl Movement {
    pub fn before(&self) -> Stock {
        Stock {
            current: self.current_before,
            reserved: self.reserved_before,
            available: self.available_before,
        }
    }

    pub fn after(&self) -> Stock {
        Stock {
            current: self.current_after,
            reserved: self.reserved_after,
            available: self.available_after,
        }
    }
}

/// The stored form: the movement under its keys. A movement that sold (or returned) units also
/// carries the keys of the sparse `sales-by-store` index, written in the same put, so a store's
/// sales over a window are one Query, not one per product (see `db::sales`).
#[derive(Serialize, Deserialize)]
struct MovementItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    movement: Movement,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sale_store_id: Option<StoreId>,
    /// The movement's time in epoch milliseconds: the index's sort key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sale_at: Option<i64>,
    /// Units sold, positive; a return is negative (see `domain::reorder::sold_units`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sale_units: Option<i64>,
}

impl MovementItem {
    fn of(movement: &Movement) -> Self {
        let sold = sold_units(movement.movement_type, movement.delta, movement.sale)
            .filter(|units| *units != 0);
        Self {
            pk: movement_pk(&movement.store_id, &movement.product_id),
            sk: movement_sk(movement.seq),
            movement: movement.clone(),
            sale_store_id: sold.map(|_| movement.store_id.clone()),
            sale_at: sold.map(|_| movement.created_at.timestamp_millis()),
            sale_units: sold,
        }
    }
}

/// A movement's ledger item under its keys, as the engine's put and the backlog's drain write it.
pub(super) fn movement_item(table: &str, movement: &Movement) -> Result<Item, DbError> {
    to_item(table, &MovementItem::of(movement))
}

pub(crate) fn movement_pk(store_id: &StoreId, product_id: &ProductId) -> String {
    format!("MOV#{store_id}#{product_id}")
}

fn movement_sk(seq: i64) -> String {
    format!("SEQ#{seq:012}")
}

/// A change that was written: the row after it, and its ledger row.
#[derive(Debug, Clone)]
pub struct Applied {
    pub item: InventoryItem,
    pub movement: Movement,
}

/// What an extra conditional write in a transaction protects. The caller names it, and a
/// failed condition comes back under that name, with the item as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// `IDEM#..`: this caller's request under this key was already applied.
    IdempotencyKey,
    /// `RES#..`, written new: the reservation id is taken (never, with fresh ids).
    NewReservation,
    /// `ORDER#..`: the order was already placed.
    OrderMarker,
    /// `RES#..`, updated: the reservation is no longer in the state the change expects.
    ReservationStatus,
    /// An order, written new: the order id is taken (a retry of the same checkout, or another).
    NewOrder,
    /// An order, rewritten: it is no longer the version the step was decided on (another
    /// clerk or the sweeper moved it first).
    OrderVersion,
    /// `LOC#..`, read before the write: the location was deleted (inactive); it takes no stock
    /// changes, reservations or new rows. Decided by [`Db::transact_with`] itself, never by callers.
    LocationActive,
}

/// A conditional write of another item, in the same transaction as the rows' changes.
#[derive(Debug, Clone)]
pub struct Guarded {
    pub guard: Guard,
    pub write: TransactWriteItem,
}

/// A row's change that its row does not allow, with the row as it is.
#[derive(Debug, Clone)]
pub struct RefusedRow {
    pub change: RowChange,
    pub refusal: Refusal,
    pub row: InventoryItem,
}

/// How a transaction ended.
#[derive(Debug, Clone)]
pub enum TxOutcome {
    /// Everything was written.
    Applied(Vec<Applied>),
    /// These rows do not exist; nothing was written.
    RowsMissing(Vec<RowChange>),
    /// These rows do not allow their change; nothing was written.
    Refused(Vec<RefusedRow>),
    /// These rows hold quantities that do not fit their types (a fractional stock, text where a
    /// number belongs): a change computed from them would overwrite what nobody can read, so
    /// nothing was written. A person must correct the row first.
    Unreadable(Vec<RowChange>),
    /// A guard's condition failed; `existing` is its item as it is, if there is one. Checked
    /// before the rows: an order marker that exists means "already done", whatever the stock.
    GuardFailed {
        guard: Guard,
        existing: Option<Item>,
    },
    /// Other writers kept the rows busy: past the retry budget, or at once with [`Attempts::Once`].
    Contended,
}

/// How hard to try when other writers get to the rows first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempts {
    /// Recompute and retry, with backoff, within [`RETRY_BUDGET`]: a request's answer.
    UntilBudget,
    /// One write; a conflict is [`TxOutcome::Contended`] at once. For work that can come back
    /// later (the sweeper), so one hot row never holds up the rest.
    Once,
    /// Recompute and retry, with backoff, until this instant (never past [`RETRY_BUDGET`]): for
    /// work that shares one request's time among many changes (a bulk request's lines).
    Until(Instant),
}

/// The conflict loop's delays: exponential from 2 ms, doubling to at most 80 ms, each plus up to
/// as much again of random jitter (backon's jitter is additive: 80–160 ms once capped, a mean
/// near the full-jitter 0–250 ms this replaced), so contenders for one row spread out instead of
/// colliding in lockstep, and a hot row still gets many attempts; in total no more than the
/// budget. Only conflicts come through here: throttling (and
/// `TransactionInProgressException`) is retried by the SDK's standard retry strategy, whose
/// classifier (`aws_runtime::retries::classifiers::THROTTLING_ERRORS`) already lists
/// `ThrottlingException`, `ProvisionedThroughputExceededException`, `RequestLimitExceeded` and
/// `TransactionInProgressException`; retrying those here too would multiply the attempts.
pub fn conflict_backoff() -> impl Iterator<Item = Duration> {
    crate::backoff::jittered(
        Duration::from_millis(2),
        Duration::from_millis(80),
        Some(RETRY_BUDGET),
    )
}

impl Db {
    /// Applies `changes` (to distinct rows) and `guards` (conditional writes of other items,
    /// such as a reservation or an order marker) in one transaction, with one movement per
    /// change, retrying conflicts within the budget.
    ///
    /// # Errors
    /// On a DynamoDB failure; every refusal is a [`TxOutcome`].
    pub async fn transact(
        &self,
        changes: &[RowChange],
        context: &MovementContext,
        guards: &[Guarded],
    ) -> Result<TxOutcome, DbError> {
        self.transact_with(changes, context, guards, Attempts::UntilBudget)
            .await
    }

    /// As [`Db::transact`], trying as hard as `attempts` says.
    ///
    /// # Errors
    /// On a DynamoDB failure.
    pub async fn transact_with(
        &self,
        changes: &[RowChange],
        context: &MovementContext,
        guards: &[Guarded],
        attempts: Attempts,
    ) -> Result<TxOutcome, DbError> {
        let started = Instant::now();
        let mut delays = conflict_backoff();
        let Some(mut rows) = self.read_rows_at_active_locations(changes, context).await? else {
            return Ok(TxOutcome::GuardFailed {
                guard: Guard::LocationActive,
                existing: None,
            });
        };
        let mut attempt: u32 = 0;
        // What each row lacks of its catalog fields, read once: the copy is backfilled with the
        // change (`if_not_exists`, so a concurrent backfill is never overwritten).
        let mut catalog: Option<Vec<Option<CatalogFields>>> = None;
        loop {
            let missing: Vec<RowChange> = changes
                .iter()
                .zip(&rows)
                .filter(|(_, r)| r.is_none())
                .map(|(c, _)| c.clone())
                .collect();
            if !missing.is_empty() {
                return Ok(TxOutcome::RowsMissing(missing));
            }
            let unreadable: Vec<RowChange> = changes
                .iter()
                .zip(&rows)
                .filter(|(_, r)| r.as_ref().is_some_and(InventoryItem::quantities_unreadable))
                .map(|(c, _)| c.clone())
                .collect();
            if !unreadable.is_empty() {
                return Ok(TxOutcome::Unreadable(unreadable));
            }
            let seen: Vec<InventoryItem> = rows.iter().flatten().cloned().collect();
            // A full backlog takes no more entries: drain it into the ledger first (fail closed:
            // if the ledger cannot be written, neither is the change).
            let full: Vec<&InventoryItem> = seen
                .iter()
                .filter(|r| r.pending.len() >= PENDING_LIMIT)
                .collect();
            if !full.is_empty() {
                for row in full {
                    self.drain_image(row).await?;
                }
                rows = self.read_rows(changes).await?;
                continue;
            }
            if catalog.is_none() {
                catalog = Some(self.catalog_fields_for(&seen).await?);
            }
            let catalog = catalog.as_deref().unwrap_or_default();
            let planned: Vec<Planned> = changes
                .iter()
                .zip(&seen)
                .map(|(change, row)| plan(change, row, context))
                .collect();
            let mut request = self.client.transact_write_items();
            for (((change, p), fill), row) in changes.iter().zip(&planned).zip(catalog).zip(&seen) {
                request = request
                    .transact_items(self.row_update(change, p, context, fill.as_ref(), row)?)
                    .transact_items(self.movement_put(&p.movement)?);
            }
            for guarded in guards {
                request = request.transact_items(guarded.write.clone());
            }
            let error = match request.send().await {
                Ok(_) => {
                    return Ok(TxOutcome::Applied(
                        planned
                            .into_iter()
                            .zip(seen)
                            .zip(catalog)
                            .map(|((p, row), fill)| Applied {
                                item: row.with_stock(
                                    p.after,
                                    p.movement.seq,
                                    context.now,
                                    fill.as_ref(),
                                ),
                                movement: p.movement,
                            })
                            .collect(),
                    ));
                }
                Err(error) => error,
            };
            let retry_after_read = match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                    let reasons = cancelled.cancellation_reasons();
                    // Guards first: an order marker that exists means "already done", which
                    // matters more than whether the stock would allow it now.
                    for (index, guarded) in guards.iter().enumerate() {
                        let reason = reasons.get(2 * changes.len() + index);
                        if reason.and_then(|r| r.code()) == Some("ConditionalCheckFailed") {
                            return Ok(TxOutcome::GuardFailed {
                                guard: guarded.guard,
                                existing: reason.and_then(|r| r.item().cloned()),
                            });
                        }
                    }
                    let mut refused = Vec::new();
                    let mut missing = Vec::new();
                    let mut conflict = false;
                    for (i, change) in changes.iter().enumerate() {
                        let reason = reasons.get(2 * i);
                        match reason.and_then(|r| r.code()) {
                            Some("ConditionalCheckFailed") => {
                                match reason.and_then(|r| r.item().cloned()) {
                                    None => missing.push(change.clone()),
                                    Some(old) => {
                                        let Some(now) =
                                            InventoryItem::read(&self.tables.inventory, old)
                                        else {
                                            return Ok(TxOutcome::Unreadable(vec![change.clone()]));
                                        };
                                        if now.quantities_unreadable() {
                                            return Ok(TxOutcome::Unreadable(vec![change.clone()]));
                                        }
                                        // Still allowed means another writer moved the row
                                        // on, and its image is all the next attempt needs.
                                        if let Err(refusal) = now.stock().apply(change.op) {
                                            refused.push(RefusedRow {
                                                change: change.clone(),
                                                refusal,
                                                row: now.clone(),
                                            });
                                        }
                                        rows[i] = Some(now);
                                    }
                                }
                            }
                            Some("None") | None => {}
                            Some(_) => conflict = true,
                        }
                        // A taken movement key only means the row moved on; its update's image
                        // above already says how. Without that image, read the row again.
                        let movement = reasons.get(2 * i + 1).and_then(|r| r.code());
                        if movement == Some("ConditionalCheckFailed")
                            && rows[i].as_ref().map(|r| r.ledger_seq) == Some(seen[i].ledger_seq)
                        {
                            conflict = true;
                        }
                    }
                    if !missing.is_empty() {
                        return Ok(TxOutcome::RowsMissing(missing));
                    }
                    if !refused.is_empty() {
                        return Ok(TxOutcome::Refused(refused));
                    }
                    conflict
                }
                // A plain write outside any transaction touched one of the rows meanwhile.
                Some(e) if is_conflict(e) => true,
                _ => return Err(DbError::sdk("TransactWriteItems", error)),
            };
            attempt += 1;
            let delay = match attempts {
                Attempts::Once => None,
                _ if started.elapsed() > RETRY_BUDGET => None,
                Attempts::Until(deadline) if Instant::now() >= deadline => None,
                Attempts::UntilBudget | Attempts::Until(_) => delays.next(),
            };
            let Some(delay) = delay else {
                tracing::warn!(attempt, ?attempts, "giving up on a contended stock change");
                return Ok(TxOutcome::Contended);
            };
            tokio::time::sleep(delay).await;
            if retry_after_read {
                rows = self.read_rows(changes).await?;
            }
        }
    }

    /// The rows, read strongly consistent; `None` when the movement takes stock in or out and a
    /// row's location is inactive (deleted), so that nothing is written. Finishing a reservation
    /// (commit, release, expire) does not check: a deleted location's reservations still complete,
    /// release and expire. Rows and locations come back from one BatchGetItem.
    ///
    /// The location is not a ConditionCheck inside the transaction, though that would close the
    /// window of one round trip: DynamoDB makes concurrent transactions that touch the same item
    /// conflict, even through a ConditionCheck, so every stock change of a store would contend on
    /// its one `LOC#` item. Measured: 50 concurrent sales on one row went from 20 sold + 30
    /// refused to 15 sold + 35 busy (tests/stock.rs). A write that races a delete by milliseconds
    /// may land.
    async fn read_rows_at_active_locations(
        &self,
        changes: &[RowChange],
        context: &MovementContext,
    ) -> Result<Option<Vec<Option<InventoryItem>>>, DbError> {
        let mut stores: Vec<&StoreId> = Vec::new();
        if context.movement_type.needs_active_location() {
            stores = changes.iter().map(|c| &c.store_id).collect();
            stores.sort();
            stores.dedup();
        }
        let keys: Vec<_> = changes
            .iter()
            .map(|c| self.inventory_key(&c.store_id, &c.product_id))
            .chain(stores.iter().map(|store| self.location_key(store)))
            .collect();
        let mut items = self.consistent_items(&keys).await?;
        for location in items.split_off(changes.len()).into_iter().flatten() {
            if !self.location_from_item(location)?.active {
                return Ok(None);
            }
        }
        Ok(Some(
            items
                .into_iter()
                .map(|item| item.and_then(|item| InventoryItem::read(&self.tables.inventory, item)))
                .collect(),
        ))
    }

    async fn read_rows(
        &self,
        changes: &[RowChange],
    ) -> Result<Vec<Option<InventoryItem>>, DbError> {
        self.inventory_items(changes.iter().map(|c| (&c.store_id, &c.product_id)))
            .await
    }

    fn row_update(
        &self,
        change: &RowChange,
        p: &Planned,
        context: &MovementContext,
        fill: Option<&CatalogFields>,
        seen: &InventoryItem,
    ) -> Result<TransactWriteItem, DbError> {
        let mut condition = String::from("attribute_exists(product_id)");
        // SET names only what this service owns: every other attribute of the row, known or
        // not, is left as it was.
        let mut expression = String::from(
            "SET current_stock = :current, reserved_stock = :reserved, available_stock = :available, \
             ledger_seq = :seq, updated_at = :now",
        );
        let mut update = Update::builder()
            .table_name(&self.tables.inventory)
            .key("store_id", s(change.store_id.as_str()))
            .key("product_id", s(change.product_id.as_str()))
            .expression_attribute_values(":current", n(p.after.current))
            .expression_attribute_values(":reserved", n(p.after.reserved))
            .expression_attribute_values(":available", n(p.after.available))
            .expression_attribute_values(":seq", n(p.movement.seq))
            .expression_attribute_values(":now", s(rfc3339(context.now)))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if p.movement.seq == 1 {
            condition.push_str(" AND attribute_not_exists(ledger_seq)");
        } else {
            condition.push_str(" AND ledger_seq = :seen");
            update = update.expression_attribute_values(":seen", n(p.movement.seq - 1));
        }
        match change.op {
            StockOp::Add(d) if d < 0 => {
                condition.push_str(&format!(" AND {AVAILABLE_AT_LEAST}"));
                update = update.expression_attribute_values(":q", n(-d));
            }
            StockOp::Reserve(q) | StockOp::Deduct(q) => {
                condition.push_str(&format!(" AND {AVAILABLE_AT_LEAST}"));
                update = update.expression_attribute_values(":q", n(q));
            }
            StockOp::Commit(q) | StockOp::Release(q) => {
                condition.push_str(" AND reserved_stock >= :q");
                update = update.expression_attribute_values(":q", n(q));
            }
            StockOp::Set {
                new_stock,
                expected,
            } => {
                condition.push_str(" AND current_stock = :expected AND (attribute_not_exists(reserved_stock) OR reserved_stock <= :new)");
                update = update
                    .expression_attribute_values(":expected", n(expected))
                    .expression_attribute_values(":new", n(new_stock));
            }
            StockOp::Add(_) => {}
        }
        if !seen.pending.is_empty() {
            // The backlog is an exact log of the seqs it ends at: this movement joins it, as
            // already written (`db::pending`).
            update = PendingEntry::written(
                &p.movement.movement_id,
                p.movement.before(),
                p.after,
                context.now,
            )
            .append_to(update, &mut expression)?;
        }
        for (attribute, value) in fill.map(CatalogFields::present).unwrap_or_default() {
            // `name` is a reserved word, so every copied field goes through a name placeholder.
            expression.push_str(&format!(
                ", #cf_{attribute} = if_not_exists(#cf_{attribute}, :cf_{attribute})"
            ));
            update = update
                .expression_attribute_names(format!("#cf_{attribute}"), attribute)
                .expression_attribute_values(format!(":cf_{attribute}"), s(value));
        }
        let update = update
            .update_expression(expression)
            .condition_expression(condition)
            .build()
            .map_err(|e| DbError::build("Update", e))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// The conditional put of one movement (its key must be new), as every transaction of the
    /// engine writes it; public for writers that create rows with their first movement (the
    /// CSV import).
    ///
    /// # Errors
    /// When the movement does not encode (never).
    pub fn movement_put(&self, movement: &Movement) -> Result<TransactWriteItem, DbError> {
        let put = Put::builder()
            .table_name(&self.tables.ledger)
            .set_item(Some(movement_item(&self.tables.ledger, movement)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| DbError::build("Put", e))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// A product's movements in a store, newest first.
    ///
    /// # Errors
    /// On a DynamoDB failure or a corrupt item.
    pub async fn movements(
        &self,
        store_id: &StoreId,
        product_id: &ProductId,
        limit: usize,
        start: Option<NextToken>,
    ) -> Result<(Vec<Movement>, Option<NextToken>), DbError> {
        // Below the cursor's seq, when there is one: the movements the page may hold.
        let below = start.as_ref().and_then(cursor_seq);
        let (page, row) = tokio::try_join!(
            self.ledger_page(store_id, product_id, limit, start),
            self.inventory_item(store_id, product_id)
        )?;
        let waiting: Vec<Movement> = row
            .as_ref()
            .map(waiting_movements)
            .unwrap_or_default()
            .into_iter()
            .filter(|m| below.is_none_or(|below| m.seq < below))
            .collect();
        if waiting.is_empty() {
            return Ok(page);
        }
        // The backlog holds the newest seqs; a movement both drained and still listed is one.
        let (written, more) = page;
        let mut merged: std::collections::BTreeMap<i64, Movement> =
            written.into_iter().map(|m| (m.seq, m)).collect();
        merged.extend(waiting.into_iter().map(|m| (m.seq, m)));
        let total = merged.len();
        let newest: Vec<Movement> = merged.into_values().rev().take(limit).collect();
        let next = if total > limit || more.is_some() {
            newest.last().map(|last| {
                NextToken::from_key(std::collections::BTreeMap::from([
                    ("pk".to_owned(), movement_pk(store_id, product_id)),
                    ("sk".to_owned(), movement_sk(last.seq)),
                ]))
            })
        } else {
            None
        };
        Ok((newest, next))
    }

    /// One page of a product's written ledger rows, newest first.
    async fn ledger_page(
        &self,
        store_id: &StoreId,
        product_id: &ProductId,
        limit: usize,
        start: Option<NextToken>,
    ) -> Result<(Vec<Movement>, Option<NextToken>), DbError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.ledger)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(movement_pk(store_id, product_id)))
            .scan_index_forward(false);
        let table = &self.tables.ledger;
        let page = self
            .fill_page(
                query,
                &["pk", "sk"],
                limit,
                start,
                false,
                |slice| async move {
                    slice
                        .into_iter()
                        .map(|(cursor, item)| {
                            from_item::<MovementItem>(table, item).map(|m| (cursor, m.movement))
                        })
                        .collect()
                },
            )
            .await?;
        Ok((page.items, page.next))
    }
}

/// The seq a history cursor stops at.
fn cursor_seq(token: &NextToken) -> Option<i64> {
    token.get("sk")?.strip_prefix("SEQ#")?.parse().ok()
}

/// Checks that a history cursor belongs to this product's ledger.
///
/// # Errors
/// When it was issued for another product or has another shape.
pub fn check_history_cursor(
    store_id: &StoreId,
    product_id: &ProductId,
    token: &NextToken,
) -> Result<(), crate::domain::InvalidValue> {
    let pk = movement_pk(store_id, product_id);
    let sk_ok = token.get("sk").is_some_and(|sk| {
        sk.strip_prefix("SEQ#")
            .is_some_and(|n| n.len() == 12 && n.bytes().all(|b| b.is_ascii_digit()))
    });
    if token.clone().into_key().len() == 2 && token.get("pk") == Some(pk.as_str()) && sk_ok {
        Ok(())
    } else {
        Err(crate::domain::InvalidValue::new(
            "next_token",
            "does not belong to this history",
        ))
    }
}

struct Planned {
    after: Stock,
    movement: Movement,
}

/// The change computed against the row as seen. When the operation is refused, the write still
/// goes out with the quantities unchanged: its condition fails and the answer comes from the
/// row's image at that moment, which may have changed since it was read.
fn plan(change: &RowChange, row: &InventoryItem, context: &MovementContext) -> Planned {
    let before = row.stock();
    let after = before.apply(change.op).unwrap_or(before);
    Planned {
        after,
        movement: Movement {
            movement_id: uuid::Uuid::now_v7().to_string(),
            store_id: change.store_id.clone(),
            product_id: change.product_id.clone(),
            seq: row.ledger_seq + 1,
            movement_type: context.movement_type,
            delta: change.op.delta(),
            current_before: before.current,
            current_after: after.current,
            reserved_before: before.reserved,
            reserved_after: after.reserved,
            available_before: before.available,
            available_after: after.available,
            actor: context.actor.clone(),
            reason: context.reason.clone(),
            reference: context.reference.clone(),
            adjustment_type: context.adjustment_type,
            reservation_id: context.reservation_id.clone(),
            order_id: context.order_id.clone(),
            sale: context.sale,
            settings: None,
            created_at: context.now,
        },
    }
}

/// A conflict with another writer, which recomputing and retrying can resolve. Not throttling:
/// the SDK's retry strategy owns that (see [`conflict_backoff`]).
fn is_conflict(error: &TransactWriteItemsError) -> bool {
    use aws_sdk_dynamodb::error::ProvideErrorMetadata;
    error.code() == Some("TransactionConflictException")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_conflict_backoff_grows_is_jittered_and_stays_within_the_budget() {
        let delays: Vec<Duration> = conflict_backoff().collect();
        let total: Duration = delays.iter().sum();
        assert!(total <= RETRY_BUDGET, "{total:?}");
        assert!(
            total >= RETRY_BUDGET - Duration::from_millis(500),
            "it uses the budget, not a fixed count: {total:?} over {} delays",
            delays.len()
        );
        assert!(delays[0] >= Duration::from_millis(2) && delays[0] <= Duration::from_millis(4));
        // Capped at 80 ms, plus up to as much again of jitter.
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(160)));
        let late: Vec<&Duration> = delays.iter().skip(10).take(20).collect();
        assert!(
            late.windows(2).any(|w| w[0] != w[1]),
            "capped delays still vary: {late:?}"
        );
    }
}
