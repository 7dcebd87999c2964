//! The hot path of a single row's stock change, and the backlog on the row that keeps its audit
//! record until the ledger table has it.
//!
//! The ledger engine (`db::ledger`) reads a row and writes the change with its movement in one
//! transaction conditioned on the `ledger_seq` it read. That is exact, but on one hot row the
//! writers take turns: of the writers that read one version only one wins, the rest read again
//! (bench/REPORT.md, "One hot row": 14 changes a second at 64 in flight). So a plain
//! `PUT .../stock` or adjustment (no idempotency key) takes this path instead:
//!
//! 1. **One blind conditional UpdateItem, no read of the row.** The condition is on the *value*
//!    (`available_stock >= :q`, or `current_stock = :expected` for a count), which another writer
//!    getting there first does not break. The same update adds 1 to `ledger_seq` and appends the
//!    movement (id, effect, actor, reason, reference, time) to the row's `pending` list, and
//!    `ReturnValues=ALL_NEW` gives the exact row after it. The stock change and its audit record
//!    are one item write: no failure can separate them.
//! 2. **The list is an exact log.** Every write that moves `ledger_seq` while the list is not
//!    empty appends to it (the engine's transactions and settings edits too, marking their entry
//!    as already written), so its entries are the movements `ledger_seq - k + 1 ..= ledger_seq`
//!    in order, and each one's quantities follow by walking back from the row
//!    ([`waiting_movements`]).
//! 3. **Draining** writes the ledger rows of the waiting movements (a put of a row whose content
//!    is fixed by its seq, so a repeat writes the same row) and then removes the drained entries
//!    from the row, conditioned on the list still starting with them. The writer itself drains when
//!    it was alone ([`Db::settle`]: the usual, uncontended case, so history reads as before), and
//!    every [`DRAIN_EVERY`]-th entry under contention. The `drain-ledger` function drains what is
//!    left: from the inventory table's stream within seconds, and, whatever the stream kept (it
//!    keeps 24 hours), every minute from the sparse [`PENDING_INDEX`] of rows with a backlog.
//! 4. **Fails closed.** The blind write is refused past [`PENDING_LIMIT`] waiting entries (the
//!    400 KB item limit is far above it), and the change goes through the engine, which drains the
//!    row before it writes. If the ledger cannot be written, changes wait or fail (503): none is
//!    ever made without its record.
//!
//! Reads of history merge the waiting movements, so a change is in its history as soon as it is
//! made. Reorder velocity (the `sales-by-store` index) and `StockChanged` events (the ledger's
//! stream) see a contended change when it is drained, seconds later.

use super::item::{n, s, Item};
use super::ledger::{movement_item, Applied, Movement, MovementContext, RefusedRow, RowChange};
use super::{Db, DbError, InventoryItem};
use crate::domain::time::{millis, rfc3339};
use crate::domain::{
    Actor, AdjustmentType, MovementType, OrderId, ProductId, Reason, Reference, ReservationId,
    Stock, StockOp, StoreId,
};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, PutRequest, ReturnValue, ReturnValuesOnConditionCheckFailure, WriteRequest,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Waiting movements past which a row takes no blind write: the change goes through the ledger
/// engine, which drains the row first. About 30 KB of entries, far below the 400 KB item limit.
pub const PENDING_LIMIT: usize = 100;
/// Under contention, the writer whose entry makes the backlog a multiple of this drains it.
/// Every write of the row carries (and returns) the whole backlog, so it must stay short: at 64
/// writers in flight, 8 did 53 changes a second in a debug build, 16 about 35.
pub const DRAIN_EVERY: usize = 8;
/// How long one drainer holds a row's drain to itself (`drain_lease`, epoch milliseconds); a
/// drainer that died is replaced after it.
const DRAIN_LEASE: Duration = Duration::from_secs(10);
/// The sparse index of rows with waiting movements (`pending_shard`, `pending_since`).
pub const PENDING_INDEX: &str = "pending-index";
/// The one partition of [`PENDING_INDEX`]: its key only changes when a backlog starts or ends.
const PENDING_SHARD: &str = "pending";
/// BatchWriteItem's limit of items per call.
const PUTS_PER_CALL: usize = 25;

/// One movement on a row's `pending` list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingEntry {
    /// The movement's id, as its ledger row will carry it.
    pub id: String,
    /// The change's effect on on-hand, reserved and available stock.
    pub dc: i64,
    pub dr: i64,
    pub da: i64,
    #[serde(with = "millis")]
    pub at: DateTime<Utc>,
    /// What the ledger row needs besides the quantities; absent when the ledger row was written
    /// in the same transaction as the change (the entry then only keeps the log whole).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unwritten: Option<Unwritten>,
}

/// A waiting movement's record, as its ledger row will hold it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unwritten {
    pub movement_type: MovementType,
    pub delta: i64,
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
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sale: bool,
}

impl PendingEntry {
    /// The entry of a change whose ledger row is written with it (the engine's transactions).
    pub(crate) fn written(id: &str, before: Stock, after: Stock, at: DateTime<Utc>) -> Self {
        Self {
            id: id.to_owned(),
            dc: after.current - before.current,
            dr: after.reserved - before.reserved,
            da: after.available - before.available,
            at,
            unwritten: None,
        }
    }

    fn effect(&self) -> Stock {
        Stock {
            current: self.dc,
            reserved: self.dr,
            available: self.da,
        }
    }

    /// `update` with this entry appended to the row's backlog (`expression` gets its clause):
    /// for the writes that read the row, found a backlog on it, and write their ledger row
    /// themselves.
    pub(crate) fn append_to(
        &self,
        update: aws_sdk_dynamodb::types::builders::UpdateBuilder,
        expression: &mut String,
    ) -> Result<aws_sdk_dynamodb::types::builders::UpdateBuilder, DbError> {
        expression.push_str(
            ", pending = list_append(if_not_exists(pending, :pending_none), :pending_entry)",
        );
        Ok(update
            .expression_attribute_values(":pending_none", AttributeValue::L(Vec::new()))
            .expression_attribute_values(":pending_entry", self.as_list()?))
    }

    /// The attribute value appended to the row: a list of this one entry.
    pub(crate) fn as_list(&self) -> Result<AttributeValue, DbError> {
        let value: AttributeValue =
            serde_dynamo::to_attribute_value(self).map_err(|source| DbError::Decode {
                table: "pending".into(),
                source,
            })?;
        Ok(AttributeValue::L(vec![value]))
    }
}

/// One waiting entry with its place in the row's log.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiting<'a> {
    pub seq: i64,
    pub before: Stock,
    pub after: Stock,
    pub entry: &'a PendingEntry,
}

/// The row's waiting entries, oldest first, each with its seq and quantities: of `k` entries the
/// `i`-th has seq `ledger_seq - k + 1 + i`, the last one's after is the row, and each one's
/// before is its after less its effect.
pub fn waiting(row: &InventoryItem) -> Vec<Waiting<'_>> {
    let count = i64::try_from(row.pending.len()).unwrap_or(i64::MAX);
    let first_seq = row.ledger_seq - count + 1;
    let mut after = row.stock();
    let mut out: Vec<Waiting<'_>> = row
        .pending
        .iter()
        .enumerate()
        .rev()
        .map(|(i, entry)| {
            let effect = entry.effect();
            let before = Stock {
                current: after.current - effect.current,
                reserved: after.reserved - effect.reserved,
                available: after.available - effect.available,
            };
            let w = Waiting {
                seq: first_seq + i64::try_from(i).unwrap_or(i64::MAX),
                before,
                after,
                entry,
            };
            after = before;
            w
        })
        .collect();
    out.reverse();
    out
}

/// The ledger rows the row's backlog still owes, oldest first.
pub fn waiting_movements(row: &InventoryItem) -> Vec<Movement> {
    waiting(row)
        .iter()
        .filter_map(|w| movement_of(row, w))
        .collect()
}

/// A waiting entry's ledger row; `None` when it was written with its change.
fn movement_of(row: &InventoryItem, w: &Waiting<'_>) -> Option<Movement> {
    let record = w.entry.unwritten.as_ref()?;
    Some(Movement {
        movement_id: w.entry.id.clone(),
        store_id: row.store_id.clone(),
        product_id: row.product_id.clone(),
        seq: w.seq,
        movement_type: record.movement_type,
        delta: record.delta,
        current_before: w.before.current,
        current_after: w.after.current,
        reserved_before: w.before.reserved,
        reserved_after: w.after.reserved,
        available_before: w.before.available,
        available_after: w.after.available,
        actor: record.actor.clone(),
        reason: record.reason.clone(),
        reference: record.reference.clone(),
        adjustment_type: record.adjustment_type,
        reservation_id: record.reservation_id.clone(),
        order_id: record.order_id.clone(),
        sale: record.sale,
        settings: None,
        created_at: w.entry.at,
    })
}

/// How a blind write ended.
#[derive(Debug)]
pub enum Blind {
    /// Written, with the row's backlog length after it (this change's entry included).
    Applied(Box<Applied>, usize),
    /// The row's location is inactive; nothing was written.
    LocationInactive,
    /// The row as it is does not allow the change (from the failed write's image): nothing was
    /// written, and this is the answer.
    Refused(Box<RefusedRow>),
    /// The row's backlog is full: nothing was written; drain it ([`Db::drain_image`]) and try
    /// again.
    Full(Box<InventoryItem>),
    /// Not for this path: an operation it does not take, a missing row, or a row it does not
    /// write (quantities of the wrong type, catalog copies missing). Nothing was written; the
    /// engine decides.
    Declined,
}

/// What one blind change writes: its `SET` clauses for the quantities, its condition (appended
/// to the row's own), and the numbers they name.
type BlindExpression = (&'static str, &'static str, Vec<(&'static str, i64)>);

/// The update expression, condition and values of one blind change, or `None` for the
/// operations of reservations and orders (they stay transactions with their reservation item).
fn blind_expression(op: StockOp) -> Option<BlindExpression> {
    // A legacy row (no reserved or available stock) migrates with its first change, as it does
    // through the engine: reserved 0, available what is on hand.
    const ADD: &str = "current_stock = current_stock + :d, \
         available_stock = if_not_exists(available_stock, current_stock) + :d";
    match op {
        StockOp::Add(d) if d < 0 => Some((
            ADD,
            " AND ((attribute_not_exists(available_stock) AND current_stock >= :q) OR available_stock >= :q)",
            vec![(":d", d), (":q", -d)],
        )),
        StockOp::Add(d) => Some((ADD, "", vec![(":d", d)])),
        StockOp::Set {
            new_stock,
            expected,
        } => Some((
            "current_stock = :new, available_stock = :new - if_not_exists(reserved_stock, :zero)",
            " AND current_stock = :expected \
             AND (attribute_not_exists(reserved_stock) OR reserved_stock <= :new)",
            vec![(":new", new_stock), (":expected", expected)],
        )),
        StockOp::Reserve(_) | StockOp::Release(_) | StockOp::Commit(_) | StockOp::Deduct(_) => {
            None
        }
    }
}

/// The effect of an operation the blind path takes.
fn blind_effect(op: StockOp) -> Stock {
    let units = match op {
        StockOp::Set {
            new_stock,
            expected,
        } => new_stock - expected,
        other => other.delta(),
    };
    Stock {
        current: units,
        reserved: 0,
        available: units,
    }
}

impl Db {
    /// Applies one row's change with one conditional UpdateItem and no read of the row (after a
    /// strongly consistent read of its location), its movement appended to the row's backlog.
    ///
    /// A row of the wrong types, or one lacking the catalog fields this service copies onto rows,
    /// is declined (the condition asks for numeric quantities and the copies) and goes through the
    /// engine, which refuses the first and backfills the second. A legacy row without reserved
    /// or available stock migrates here, as it would there.
    ///
    /// # Errors
    /// On a DynamoDB failure.
    pub async fn blind_change(
        &self,
        change: &RowChange,
        context: &MovementContext,
    ) -> Result<Blind, DbError> {
        let Some((set, op_condition, values)) = blind_expression(change.op) else {
            return Ok(Blind::Declined);
        };
        if context.movement_type.needs_active_location() {
            let location = self
                .consistent_items(&[self.location_key(&change.store_id)])
                .await?
                .pop()
                .flatten();
            if let Some(location) = location {
                if !self.location_from_item(location)?.active {
                    return Ok(Blind::LocationInactive);
                }
            }
        }
        let effect = blind_effect(change.op);
        let entry = PendingEntry {
            id: uuid::Uuid::now_v7().to_string(),
            dc: effect.current,
            dr: effect.reserved,
            da: effect.available,
            at: context.now,
            unwritten: Some(Unwritten {
                movement_type: context.movement_type,
                delta: change.op.delta(),
                actor: context.actor.clone(),
                reason: context.reason.clone(),
                reference: context.reference.clone(),
                adjustment_type: context.adjustment_type,
                reservation_id: context.reservation_id.clone(),
                order_id: context.order_id.clone(),
                sale: context.sale,
            }),
        };
        let condition = format!(
            "attribute_exists(product_id) AND attribute_type(current_stock, :num) \
             AND (attribute_not_exists(reserved_stock) OR attribute_type(reserved_stock, :num)) \
             AND (attribute_not_exists(available_stock) OR attribute_type(available_stock, :num)) \
             AND (attribute_exists(available_stock) OR attribute_not_exists(reserved_stock)) \
             AND attribute_exists(#name) AND attribute_exists(brand) AND attribute_exists(category) \
             AND attribute_exists(#unit) AND attribute_exists(barcode) \
             AND (attribute_not_exists(pending) OR size(pending) < :limit){op_condition}"
        );
        let mut update = self
            .row_update_item(&change.store_id, &change.product_id)
            .update_expression(format!(
                "SET {set}, reserved_stock = if_not_exists(reserved_stock, :zero), \
                 ledger_seq = if_not_exists(ledger_seq, :zero) + :one, updated_at = :now, \
                 pending = list_append(if_not_exists(pending, :none), :entry), \
                 pending_since = if_not_exists(pending_since, :since), pending_shard = :shard"
            ))
            .condition_expression(condition)
            .expression_attribute_names("#name", "name")
            .expression_attribute_names("#unit", "unit")
            .expression_attribute_values(":num", s("N"))
            .expression_attribute_values(":limit", n(PENDING_LIMIT))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", s(rfc3339(context.now)))
            .expression_attribute_values(":none", AttributeValue::L(Vec::new()))
            .expression_attribute_values(":entry", entry.as_list()?)
            .expression_attribute_values(":since", n(context.now.timestamp_millis()))
            .expression_attribute_values(":shard", s(PENDING_SHARD))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (name, value) in values {
            update = update.expression_attribute_values(name, n(value));
        }
        let out = match update.send().await {
            Ok(out) => out,
            Err(error) => {
                return match error.as_service_error() {
                    Some(UpdateItemError::ConditionalCheckFailedException(failed)) => Ok(failed
                        .item()
                        .cloned()
                        .and_then(|old| InventoryItem::read(&self.tables.inventory, old))
                        .map_or(Blind::Declined, |row| declined(change, row))),
                    _ => Err(DbError::sdk("UpdateItem", error)),
                };
            }
        };
        let row = out
            .attributes
            .and_then(|item| InventoryItem::read(&self.tables.inventory, item))
            .ok_or_else(|| DbError::Sdk {
                operation: "UpdateItem",
                code: "NoImage".into(),
                source: "the update returned no readable row".into(),
            })?;
        let backlog = row.pending.len();
        // The new image ends with this change's entry: its movement is the last one.
        let movement = waiting(&row)
            .pop()
            .filter(|w| w.entry.id == entry.id)
            .and_then(|w| movement_of(&row, &w))
            .ok_or_else(|| DbError::Sdk {
                operation: "UpdateItem",
                code: "NoEntry".into(),
                source: "the written row does not hold the change's entry".into(),
            })?;
        Ok(Blind::Applied(
            Box::new(Applied {
                item: row,
                movement,
            }),
            backlog,
        ))
    }

    /// After a blind write: when its entry is the row's only one (no other writer in between),
    /// writes its ledger row and clears the backlog, so history reads as it always did; under
    /// contention, every [`DRAIN_EVERY`]-th writer drains the row. Best effort: what is not
    /// drained here stays on the row for `drain-ledger`, so a failure is logged, not answered.
    pub async fn settle(&self, applied: &Applied, backlog: usize) {
        let result = if backlog == 1 {
            self.settle_alone(&applied.movement).await
        } else if backlog % DRAIN_EVERY == 0 {
            self.drain_image(&applied.item).await.map(|_| ())
        } else {
            Ok(())
        };
        if let Err(error) = result {
            tracing::warn!(
                store_id = %applied.item.store_id,
                product_id = %applied.item.product_id,
                error = %error,
                "the backlog stays on the row for drain-ledger"
            );
        }
    }

    async fn settle_alone(&self, movement: &Movement) -> Result<(), DbError> {
        self.client
            .put_item()
            .table_name(&self.tables.ledger)
            .set_item(Some(movement_item(&self.tables.ledger, movement)?))
            .send()
            .await
            .map_err(|e| DbError::sdk("PutItem", e))?;
        let cleared = self
            .row_update_item(&movement.store_id, &movement.product_id)
            .update_expression("REMOVE pending, pending_since, pending_shard")
            .condition_expression("ledger_seq = :seq AND size(pending) = :one")
            .expression_attribute_values(":seq", n(movement.seq))
            .expression_attribute_values(":one", n(1))
            .send()
            .await;
        match cleared {
            Ok(_) => Ok(()),
            // Another writer appended meanwhile: its drain, or drain-ledger's, takes the rest.
            Err(e) if is_condition_failed(&e) => Ok(()),
            Err(e) => Err(DbError::sdk("UpdateItem", e)),
        }
    }

    /// Writes the ledger rows of a row's waiting movements and removes them from the row.
    /// Safe to run at any time and concurrently: a ledger row's content is fixed by its seq, so
    /// a repeat writes the same row, and entries are removed only while the list still starts
    /// with them. Returns how many entries it removed. It starts with its claim, whose condition
    /// also says whether anything waits: no read of the row comes first.
    ///
    /// # Errors
    /// On a DynamoDB failure; the backlog is then left as it was, or partly written (and the
    /// next drain writes the same rows again).
    pub async fn drain_pending(
        &self,
        store_id: &StoreId,
        product_id: &ProductId,
    ) -> Result<usize, DbError> {
        // One drainer at a time: drains of one backlog running side by side would each write
        // all of it (measured: 953 BatchWriteItem calls for 400 changes at 64 in flight). The
        // claim's new image is the backlog this drain writes.
        let now = chrono::Utc::now().timestamp_millis();
        let lease = i64::try_from(DRAIN_LEASE.as_millis()).unwrap_or(i64::MAX);
        let claimed = self
            .row_update_item(store_id, product_id)
            .update_expression("SET drain_lease = :until")
            .condition_expression(
                "size(pending) > :zero AND (attribute_not_exists(drain_lease) OR drain_lease < :now)",
            )
            .expression_attribute_values(":until", n(now.saturating_add(lease)))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":zero", n(0))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        let row = match claimed {
            Ok(out) => match out
                .attributes
                .and_then(|item| InventoryItem::read(&self.tables.inventory, item))
            {
                Some(row) => row,
                None => return Ok(0),
            },
            // Nothing waits any more, or another drainer holds the row.
            Err(e) if is_condition_failed(&e) => return Ok(0),
            Err(e) => return Err(DbError::sdk("UpdateItem", e)),
        };
        let row = &row;
        let Some(first) = row.pending.first() else {
            return Ok(0);
        };
        let movements = waiting_movements(row);
        for chunk in movements.chunks(PUTS_PER_CALL) {
            let mut requests = Vec::with_capacity(chunk.len());
            for movement in chunk {
                let put = PutRequest::builder()
                    .set_item(Some(movement_item(&self.tables.ledger, movement)?))
                    .build()
                    .map_err(|e| DbError::build("PutRequest", e))?;
                requests.push(WriteRequest::builder().put_request(put).build());
            }
            self.write_all(requests).await?;
        }
        let all = self
            .row_update_item(store_id, product_id)
            .update_expression("REMOVE pending, pending_since, pending_shard, drain_lease")
            .condition_expression("ledger_seq = :seq AND pending[0].id = :first")
            .expression_attribute_values(":seq", n(row.ledger_seq))
            .expression_attribute_values(":first", s(first.id.as_str()))
            .send()
            .await;
        match all {
            Ok(_) => return Ok(row.pending.len()),
            Err(e) if is_condition_failed(&e) => {}
            Err(e) => return Err(DbError::sdk("UpdateItem", e)),
        }
        // Others appended since the claim: remove the entries drained, keep theirs, and give
        // the lease up.
        let removed: Vec<String> = (0..row.pending.len())
            .map(|i| format!("pending[{i}]"))
            .collect();
        let prefix = self
            .row_update_item(store_id, product_id)
            .update_expression(format!(
                "REMOVE {}, drain_lease SET pending_since = :since",
                removed.join(", ")
            ))
            .condition_expression("pending[0].id = :first")
            .expression_attribute_values(":first", s(first.id.as_str()))
            .expression_attribute_values(":since", n(chrono::Utc::now().timestamp_millis()))
            .send()
            .await;
        match prefix {
            Ok(_) => Ok(row.pending.len()),
            // The lease ran out and another drain removed them first.
            Err(e) if is_condition_failed(&e) => Ok(0),
            Err(e) => Err(DbError::sdk("UpdateItem", e)),
        }
    }

    /// As [`Db::drain_pending`], for a row whose image is in hand (a write's new or old image):
    /// nothing to do when that image holds no backlog.
    ///
    /// # Errors
    /// On a DynamoDB failure.
    pub async fn drain_image(&self, row: &InventoryItem) -> Result<usize, DbError> {
        if row.pending.is_empty() {
            return Ok(0);
        }
        self.drain_pending(&row.store_id, &row.product_id).await
    }

    /// Drains the rows whose backlog is older than `before`, through [`PENDING_INDEX`], at most
    /// `max_rows` of them: the reconciler's pass, whatever the stream delivered. Returns the
    /// rows and entries drained, and whether rows were left for the next pass.
    ///
    /// # Errors
    /// On a DynamoDB failure.
    pub async fn drain_overdue(
        &self,
        before: DateTime<Utc>,
        max_rows: usize,
    ) -> Result<Drained, DbError> {
        let out = self
            .client
            .query()
            .table_name(&self.tables.inventory)
            .index_name(PENDING_INDEX)
            .key_condition_expression("pending_shard = :shard AND pending_since < :before")
            .expression_attribute_values(":shard", s(PENDING_SHARD))
            .expression_attribute_values(":before", n(before.timestamp_millis()))
            .limit(i32::try_from(max_rows).unwrap_or(100))
            .send()
            .await
            .map_err(|e| DbError::sdk("Query", e))?;
        let mut drained = Drained {
            more: out.last_evaluated_key.is_some(),
            ..Drained::default()
        };
        for key in out.items.unwrap_or_default() {
            let (Some(store_id), Some(product_id)) =
                (text_key(&key, "store_id"), text_key(&key, "product_id"))
            else {
                continue;
            };
            let (Ok(store_id), Ok(product_id)) =
                (StoreId::parse(store_id), ProductId::parse(product_id))
            else {
                continue;
            };
            drained.entries += self.drain_pending(&store_id, &product_id).await?;
            drained.rows += 1;
        }
        Ok(drained)
    }

    /// An UpdateItem of one inventory row.
    fn row_update_item(
        &self,
        store_id: &StoreId,
        product_id: &ProductId,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.tables.inventory)
            .set_key(Some(self.inventory_key(store_id, product_id).key))
    }

    /// Puts every request, retrying what DynamoDB leaves unprocessed within a few seconds.
    async fn write_all(&self, mut requests: Vec<WriteRequest>) -> Result<(), DbError> {
        let mut delays = crate::backoff::jittered(
            Duration::from_millis(10),
            Duration::from_millis(400),
            Some(Duration::from_secs(5)),
        );
        loop {
            let out = self
                .client
                .batch_write_item()
                .request_items(&self.tables.ledger, requests)
                .send()
                .await
                .map_err(|e| DbError::sdk("BatchWriteItem", e))?;
            requests = out
                .unprocessed_items
                .unwrap_or_default()
                .remove(&self.tables.ledger)
                .unwrap_or_default();
            if requests.is_empty() {
                return Ok(());
            }
            let Some(delay) = delays.next() else {
                return Err(DbError::Sdk {
                    operation: "BatchWriteItem",
                    code: "ProvisionedThroughputExceededException".into(),
                    source: "items left unprocessed past the retry budget".into(),
                });
            };
            tokio::time::sleep(delay).await;
        }
    }
}

/// Why a blind write's condition failed, from the row as it was: a full backlog, a refusal to
/// answer from this image, or a row the engine must handle.
fn declined(change: &RowChange, row: InventoryItem) -> Blind {
    if row.quantities_unreadable() || row.lacks_catalog_fields() {
        return Blind::Declined;
    }
    if row.pending.len() >= PENDING_LIMIT {
        return Blind::Full(Box::new(row));
    }
    match row.stock().apply(change.op) {
        Err(refusal) => Blind::Refused(Box::new(RefusedRow {
            change: change.clone(),
            refusal,
            row,
        })),
        Ok(_) => Blind::Declined,
    }
}

/// What one reconciler pass drained.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Drained {
    pub rows: usize,
    pub entries: usize,
    /// More overdue rows than the pass took.
    pub more: bool,
}

fn text_key<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

fn is_condition_failed<R>(error: &aws_sdk_dynamodb::error::SdkError<UpdateItemError, R>) -> bool {
    matches!(
        error.as_service_error(),
        Some(UpdateItemError::ConditionalCheckFailedException(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn row(stock: Stock, seq: i64, pending: Vec<PendingEntry>) -> InventoryItem {
        let mut item: InventoryItem = serde_json::from_value(serde_json::json!({
            "store_id": "s1", "product_id": "p1", "current_stock": stock.current,
            "reserved_stock": stock.reserved, "available_stock": stock.available,
            "ledger_seq": seq,
        }))
        .expect("a row");
        item.pending = pending;
        item
    }

    fn op() -> impl Strategy<Value = StockOp> {
        prop_oneof![
            (-5i64..=5).prop_map(StockOp::Add),
            (1i64..=4).prop_map(StockOp::Reserve),
            (1i64..=4).prop_map(StockOp::Release),
            (1i64..=4).prop_map(StockOp::Commit),
            (0i64..=30).prop_map(|new_stock| StockOp::Set {
                new_stock,
                expected: 0
            }),
        ]
    }

    proptest! {
        /// Whatever mix of changes (blind or written with the change) a backlog holds, walking
        /// back from the row gives each one's exact before and after, and consecutive seqs.
        #[test]
        fn the_backlog_walked_back_from_the_row_gives_every_movements_exact_quantities(
            start in 0i64..50,
            earlier in 0i64..20,
            ops in proptest::collection::vec((op(), any::<bool>()), 1..40),
        ) {
            let mut stock = Stock { current: start, reserved: 0, available: start };
            let mut expected = Vec::new();
            let mut pending = Vec::new();
            for (i, (op, written)) in ops.into_iter().enumerate() {
                let op = match op {
                    StockOp::Set { new_stock, .. } => StockOp::Set { new_stock, expected: stock.current },
                    other => other,
                };
                let Ok(after) = stock.apply(op) else { continue };
                let mut entry = PendingEntry::written(&format!("m{i}"), stock, after, Utc::now());
                if !written {
                    entry.unwritten = Some(Unwritten {
                        movement_type: MovementType::StockUpdate,
                        delta: op.delta(),
                        actor: Actor::anonymous(),
                        reason: None, reference: None, adjustment_type: None,
                        reservation_id: None, order_id: None, sale: false,
                    });
                }
                expected.push((stock, after, written));
                pending.push(entry);
                stock = after;
            }
            let count = i64::try_from(pending.len()).expect("small");
            let row = row(stock, earlier + count, pending);
            let walked = waiting(&row);
            prop_assert_eq!(walked.len(), expected.len());
            for (i, (w, (before, after, _))) in walked.iter().zip(&expected).enumerate() {
                prop_assert_eq!(w.seq, earlier + 1 + i64::try_from(i).expect("small"));
                prop_assert_eq!(w.before, *before);
                prop_assert_eq!(w.after, *after);
            }
            let owed = waiting_movements(&row);
            prop_assert_eq!(owed.len(), expected.iter().filter(|(_, _, w)| !w).count());
            for pair in walked.windows(2) {
                prop_assert_eq!(pair[0].after, pair[1].before);
            }
        }
    }

    #[test]
    fn only_changes_without_a_reservation_take_the_blind_path() {
        assert!(blind_expression(StockOp::Add(-2)).is_some());
        assert!(blind_expression(StockOp::Add(3)).is_some());
        assert!(blind_expression(StockOp::Set {
            new_stock: 4,
            expected: 2
        })
        .is_some());
        for op in [
            StockOp::Reserve(1),
            StockOp::Release(1),
            StockOp::Commit(1),
            StockOp::Deduct(1),
        ] {
            assert!(blind_expression(op).is_none(), "{op:?}");
        }
        assert_eq!(
            blind_effect(StockOp::Set {
                new_stock: 4,
                expected: 9
            }),
            Stock {
                current: -5,
                reserved: 0,
                available: -5
            }
        );
    }
}
