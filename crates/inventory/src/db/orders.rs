//! Orders: the orders table, and every step of an order together with its stock effect.
//!
//! Atomicity: each step is ONE TransactWriteItems. The order is rewritten whole, conditional on
//! the version that was read (`Guard::OrderVersion`, or `Guard::NewOrder` at checkout), in the
//! same transaction as its stock effect: the reservation's change (`finish_reservation_with`)
//! or the `return` movements (`transact`). So there is no moment at which an order is
//! `CONFIRMED` while its units are still reserved, or `CANCELLED` while they are shipped; a
//! crash leaves either both written or neither, and a retry of the same step finds it done.
//!
//! Keys (template.yaml `OrdersTable`): `order_id` is the table key, so a read by id and the
//! checkout's "this order id is taken" condition are one item each. Three sparse-free GSIs, each
//! sorted by `created_at` (RFC 3339 with milliseconds, so text order is time order) and read
//! newest first: `orders-by-store-status` (`store_status` = `{store_id}#{STATUS}`: a store's
//! queue of one status, the clerk's main view), `orders-by-store` (every status), and
//! `orders-by-customer`.

use super::item::{from_item, s, to_item, Item};
use super::ledger::{Attempts, Guard, Guarded, MovementContext, RowChange, TxOutcome};
use super::{Db, DbError, ReservationError};
use crate::domain::order::{step, OrderLine, Step};
use crate::domain::{
    Actor, CustomerId, InvalidValue, MovementType, NextToken, Order, OrderId, OrderStatus, Outcome,
    ProductId, Reference, ReservationStatus, ReserveRequest, StockEffect, StockOp, StoreId,
    Transition,
};
use aws_sdk_dynamodb::types::{Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The stored order: the order and the key of its store-and-status index.
#[derive(Serialize, Deserialize)]
struct OrderItem {
    #[serde(flatten)]
    order: Order,
    store_status: String,
}

fn store_status(store_id: &StoreId, status: OrderStatus) -> String {
    format!("{store_id}#{}", status.as_str())
}

/// Why an order operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("order not found")]
    NotFound,
    /// The step is not one the order's lifecycle allows from where it is.
    #[error("order is {}", .0.status.as_str())]
    Illegal(Box<Order>),
    /// Another writer moved the order between our read and our write; nothing was written.
    #[error("order changed meanwhile; it is now {}", .0.status.as_str())]
    Changed(Box<Order>),
    /// The checkout's order id (or idempotency key) was used for a different order.
    #[error("order id already used for a different order")]
    IdempotencyMismatch(OrderId),
    /// Rows without a selling price cannot be ordered: the price is never the client's.
    #[error("products without a selling price")]
    Unpriced(Vec<ProductId>),
    /// The lines may not be reduced that way.
    #[error(transparent)]
    ShortPick(InvalidValue),
    #[error(transparent)]
    Reservation(ReservationError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<ReservationError> for OrderError {
    fn from(err: ReservationError) -> Self {
        match err {
            ReservationError::Db(db) => Self::Db(db),
            other => Self::Reservation(other),
        }
    }
}

/// Which listing to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderQuery {
    /// A customer's orders, optionally of one store and one status (filtered).
    Customer {
        customer_id: CustomerId,
        store_id: Option<StoreId>,
        status: Option<OrderStatus>,
    },
    /// A store's orders of one status.
    StoreStatus {
        store_id: StoreId,
        status: OrderStatus,
    },
    /// A store's orders.
    Store { store_id: StoreId },
}

impl OrderQuery {
    /// The index, its partition attribute and value.
    fn index(&self) -> (&'static str, &'static str, String) {
        match self {
            Self::Customer { customer_id, .. } => {
                ("orders-by-customer", "customer_id", customer_id.to_string())
            }
            Self::StoreStatus { store_id, status } => (
                "orders-by-store-status",
                "store_status",
                store_status(store_id, *status),
            ),
            Self::Store { store_id } => ("orders-by-store", "store_id", store_id.to_string()),
        }
    }

    /// Checks that a cursor was issued by this same listing.
    ///
    /// # Errors
    /// When it was issued for another listing or has another shape.
    pub fn check_cursor(&self, token: &NextToken) -> Result<(), InvalidValue> {
        let (_, partition, value) = self.index();
        let ok = token.clone().into_key().len() == 3
            && token.get(partition) == Some(value.as_str())
            && token
                .get("order_id")
                .is_some_and(|id| OrderId::parse(id).is_ok())
            && token
                .get("created_at")
                .is_some_and(|c| crate::domain::time::parse_rfc3339(c).is_some());
        if ok {
            Ok(())
        } else {
            Err(InvalidValue::new(
                "next_token",
                "does not belong to this listing",
            ))
        }
    }
}

fn system_expiry() -> Actor {
    Actor::parse("system:expiry").unwrap_or_else(|_| Actor::anonymous())
}

impl Db {
    /// An order by id, read strongly consistent, as stored.
    ///
    /// # Errors
    /// On a DynamoDB failure or a corrupt item.
    pub async fn order(&self, id: &OrderId) -> Result<Option<Order>, DbError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.orders)
            .key("order_id", s(id.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| DbError::sdk("GetItem", e))?;
        out.item
            .map(|item| from_item::<OrderItem>(&self.tables.orders, item).map(|o| o.order))
            .transpose()
    }

    /// Checkout: prices the lines from the rows, reserves them and writes the `PENDING` order,
    /// all in one transaction, so a short line leaves no order behind. A retry with the same
    /// order id and the same lines returns the order as it is now (`AlreadyDone`).
    ///
    /// # Errors
    /// See [`OrderError`]; a short line is `Reservation(Short(..))`.
    pub async fn create_order(
        &self,
        request: &ReserveRequest,
        customer_id: &CustomerId,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(Order, Outcome), OrderError> {
        let now = crate::domain::time::to_the_millisecond(now);
        let rows = self
            .inventory_items(
                request
                    .lines
                    .iter()
                    .map(|l| (&request.store_id, &l.product_id)),
            )
            .await?;
        let mut missing = Vec::new();
        let mut unpriced = Vec::new();
        let mut lines = Vec::new();
        for (line, row) in request.lines.iter().zip(rows) {
            match row.map(|r| r.selling_price) {
                None => missing.push(line.product_id.clone()),
                Some(None) => unpriced.push(line.product_id.clone()),
                Some(Some(unit_price)) => lines.push(OrderLine {
                    product_id: line.product_id.clone(),
                    quantity: line.quantity.get(),
                    ordered_quantity: line.quantity.get(),
                    unit_price,
                }),
            }
        }
        if !missing.is_empty() {
            return Err(ReservationError::UnknownProducts(missing).into());
        }
        if !unpriced.is_empty() {
            return Err(OrderError::Unpriced(unpriced));
        }
        let total_amount = Order::total_of(&lines);
        let mut written = None;
        let reserved = self
            .reserve_with(request, actor, now, |reservation| {
                let order = Order {
                    order_id: request.order_id.clone(),
                    store_id: request.store_id.clone(),
                    customer_id: customer_id.clone(),
                    lines,
                    total_amount,
                    status: OrderStatus::Pending,
                    reservation_id: reservation.reservation_id.clone(),
                    reservation_expires_at: reservation.expires_at,
                    history: vec![crate::domain::order::StatusChange {
                        at: now,
                        actor: actor.clone(),
                        from: None,
                        to: OrderStatus::Pending,
                    }],
                    short_picks: Vec::new(),
                    created_at: now,
                    updated_at: now,
                    version: 1,
                };
                let guard = self.order_put(&order, None)?;
                written = Some(order);
                Ok(vec![guard])
            })
            .await;
        match reserved {
            Ok((_, Outcome::Done)) => {
                let order = written.ok_or(OrderError::NotFound)?;
                tracing::info!(order_id = %order.order_id, store_id = %order.store_id, "order placed");
                Ok((order, Outcome::Done))
            }
            Err(ReservationError::GuardFailed {
                guard: Guard::NewOrder,
                existing: Some(existing),
            }) => {
                let existing = self.decode(existing)?;
                let same = existing.store_id == request.store_id
                    && existing.customer_id == *customer_id
                    && existing.lines.len() == request.lines.len()
                    && existing.lines.iter().zip(&request.lines).all(|(a, b)| {
                        a.product_id == b.product_id && a.ordered_quantity == b.quantity.get()
                    });
                if !same {
                    return Err(OrderError::IdempotencyMismatch(request.order_id.clone()));
                }
                let existing = self.settle_expiry(existing, now).await?;
                Ok((existing, Outcome::AlreadyDone))
            }
            // The order id was reserved before, outside orders (order-stock or the reserve
            // route): it belongs to another flow.
            Ok((_, Outcome::AlreadyDone)) | Err(ReservationError::IdempotencyMismatch { .. }) => {
                Err(OrderError::IdempotencyMismatch(request.order_id.clone()))
            }
            Err(err) => Err(err.into()),
        }
    }

    /// The order as a reader should see it now: a pending order whose reservation ran out is
    /// written `EXPIRED` here (with its reservation, in one transaction) if the sweeper has not
    /// done it yet. Callers check who may see the order first: a read must not write for
    /// someone who may not see it.
    ///
    /// # Errors
    /// On a DynamoDB failure or a corrupt item.
    pub async fn settle_order(
        &self,
        order: Order,
        now: DateTime<Utc>,
    ) -> Result<Order, OrderError> {
        self.settle_expiry(order, now).await
    }

    /// Moves `order` (as read) to `to`, with its stock effect, in one transaction.
    ///
    /// # Errors
    /// `Illegal` for a step the lifecycle does not allow; `Changed` when another writer moved
    /// the order first; a repeat of the step it is already at is `Ok` with `AlreadyDone`.
    pub async fn step_order(
        &self,
        order: Order,
        to: OrderStatus,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(Order, Outcome), OrderError> {
        let order = self.settle_expiry(order, now).await?;
        let effect = match step(order.status, to) {
            Step::AlreadyThere => return Ok((order, Outcome::AlreadyDone)),
            Step::Illegal => return Err(OrderError::Illegal(Box::new(order))),
            Step::Apply(effect) => effect,
        };
        let next = order.moved_to(to, actor, now);
        let attempt = match effect {
            StockEffect::None => self.write_alone(&order, next, now).await,
            StockEffect::Restock => {
                let returned: Vec<(ProductId, i64)> = order
                    .lines
                    .iter()
                    .filter(|l| l.quantity > 0)
                    .map(|l| (l.product_id.clone(), l.quantity))
                    .collect();
                self.restock(&order, next, &returned, actor, now).await
            }
            StockEffect::CompleteReservation => {
                self.with_reservation(&order, next, ReservationStatus::Completed, actor, now)
                    .await
            }
            StockEffect::ReleaseReservation => {
                self.with_reservation(&order, next, ReservationStatus::Released, actor, now)
                    .await
            }
        };
        let done = match attempt {
            // Another writer made this very step first (a second clerk's confirm): a repeat.
            Err(OrderError::Changed(current)) if current.status == to => {
                (*current, Outcome::AlreadyDone)
            }
            other => other?,
        };
        tracing::info!(order_id = %done.0.order_id, from = order.status.as_str(), to = to.as_str(), outcome = ?done.1, "order moved");
        Ok(done)
    }

    /// Reduces one line of a confirmed or processing order to `quantity` units: the difference
    /// goes back to stock as a `return` movement, the total is recomputed, and the pick is
    /// recorded on the order, in one transaction. Asking again for the same quantity is
    /// `AlreadyDone`.
    ///
    /// # Errors
    /// `Illegal` outside confirmed and processing; `ShortPick` for an unknown line or a quantity
    /// not below the line's; `Changed` when another writer moved the order first.
    pub async fn short_pick(
        &self,
        order: Order,
        product_id: &ProductId,
        quantity: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(Order, Outcome), OrderError> {
        if !order.status.may_short_pick() {
            return Err(OrderError::Illegal(Box::new(order)));
        }
        if order
            .lines
            .iter()
            .any(|l| &l.product_id == product_id && l.quantity == quantity)
        {
            return Ok((order, Outcome::AlreadyDone));
        }
        let (next, returned) = order
            .short_picked(product_id, quantity, actor, now)
            .map_err(OrderError::ShortPick)?;
        let done = self
            .restock(&order, next, &[(product_id.clone(), returned)], actor, now)
            .await?;
        tracing::info!(order_id = %order.order_id, %product_id, quantity, returned, "short pick");
        Ok(done)
    }

    /// Expires a pending order whose reservation ran out, with its reservation, for the
    /// sweeper: one attempt, so a busy row is left for the next run.
    ///
    /// # Errors
    /// As [`Db::step_order`].
    pub async fn expire_order(
        &self,
        order: Order,
        now: DateTime<Utc>,
    ) -> Result<(Order, Outcome), OrderError> {
        if order.status_at(now) != OrderStatus::Expired || order.status != OrderStatus::Pending {
            return Ok((order, Outcome::AlreadyDone));
        }
        let next = order.moved_to(OrderStatus::Expired, &system_expiry(), now);
        self.expire_with_reservation(&order, next, now, Attempts::Once)
            .await
    }

    async fn settle_expiry(&self, order: Order, now: DateTime<Utc>) -> Result<Order, OrderError> {
        if order.status != OrderStatus::Pending || order.status_at(now) != OrderStatus::Expired {
            return Ok(order);
        }
        let next = order.moved_to(OrderStatus::Expired, &system_expiry(), now);
        match self
            .expire_with_reservation(&order, next, now, Attempts::UntilBudget)
            .await
        {
            Ok((order, _)) => Ok(order),
            // Someone else (the sweeper, a clerk) moved it: what they wrote is the answer.
            Err(OrderError::Changed(current)) => Ok(*current),
            Err(err) => Err(err),
        }
    }

    async fn expire_with_reservation(
        &self,
        order: &Order,
        next: Order,
        now: DateTime<Utc>,
        attempts: Attempts,
    ) -> Result<(Order, Outcome), OrderError> {
        let Some(reservation) = self.reservation(&order.reservation_id).await? else {
            return self.write_alone(order, next, now).await;
        };
        match reservation.transition(ReservationStatus::Expired, now) {
            Transition::Apply => {
                let guard = self.order_put(&next, Some(order.version))?;
                let result = self
                    .finish_reservation_with(
                        reservation,
                        ReservationStatus::Expired,
                        &system_expiry(),
                        now,
                        attempts,
                        vec![guard],
                    )
                    .await;
                self.settled_with(order, next, result)
            }
            // Already released (the sweeper or a release got there): the order follows alone.
            Transition::AlreadyDone(_) | Transition::NotActive(_) => {
                self.write_alone(order, next, now).await
            }
        }
    }

    /// A step that completes or releases the order's reservation, in one transaction with it.
    async fn with_reservation(
        &self,
        order: &Order,
        next: Order,
        to: ReservationStatus,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(Order, Outcome), OrderError> {
        let reservation = self
            .reservation(&order.reservation_id)
            .await?
            .ok_or(OrderError::Reservation(ReservationError::NotFound))?;
        match reservation.transition(to, now) {
            Transition::Apply => {
                let guard = self.order_put(&next, Some(order.version))?;
                let result = self
                    .finish_reservation_with(
                        reservation,
                        to,
                        actor,
                        now,
                        Attempts::UntilBudget,
                        vec![guard],
                    )
                    .await;
                self.settled_with(order, next, result)
            }
            // The reservation was finished the same way outside the order (the reservation
            // routes): its stock effect is done, so the order follows on its own.
            Transition::AlreadyDone(_) => self.write_alone(order, next, now).await,
            Transition::NotActive(current) => Err(OrderError::Reservation(
                ReservationError::NotActive(Box::new(current)),
            )),
        }
    }

    fn settled_with(
        &self,
        order: &Order,
        next: Order,
        result: Result<(crate::domain::Reservation, Outcome), ReservationError>,
    ) -> Result<(Order, Outcome), OrderError> {
        match result {
            Ok(_) => Ok((next, Outcome::Done)),
            Err(ReservationError::GuardFailed { existing, .. }) => {
                Err(self.lost_race(order, &next, existing)?)
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Units back on the shelf for `returned` lines, and the order rewritten, in one transaction.
    async fn restock(
        &self,
        order: &Order,
        next: Order,
        returned: &[(ProductId, i64)],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(Order, Outcome), OrderError> {
        let changes: Vec<RowChange> = returned
            .iter()
            .map(|(product_id, units)| RowChange {
                store_id: order.store_id.clone(),
                product_id: product_id.clone(),
                op: StockOp::Add(*units),
            })
            .collect();
        let mut context = MovementContext::new(MovementType::Return, actor.clone(), now);
        context.order_id = Some(order.order_id.clone());
        context.reservation_id = Some(order.reservation_id.clone());
        context.reference = Reference::parse(order.order_id.as_str()).ok();
        let guard = self.order_put(&next, Some(order.version))?;
        self.apply(order, next, &changes, &context, guard).await
    }

    /// The order rewritten with no stock effect.
    async fn write_alone(
        &self,
        order: &Order,
        next: Order,
        now: DateTime<Utc>,
    ) -> Result<(Order, Outcome), OrderError> {
        let context = MovementContext::new(MovementType::Return, Actor::anonymous(), now);
        let guard = self.order_put(&next, Some(order.version))?;
        self.apply(order, next, &[], &context, guard).await
    }

    async fn apply(
        &self,
        order: &Order,
        next: Order,
        changes: &[RowChange],
        context: &MovementContext,
        guard: Guarded,
    ) -> Result<(Order, Outcome), OrderError> {
        match self.transact(changes, context, &[guard]).await? {
            TxOutcome::Applied(_) => Ok((next, Outcome::Done)),
            TxOutcome::GuardFailed { existing, .. } => Err(self.lost_race(order, &next, existing)?),
            TxOutcome::Contended => Err(ReservationError::Contended.into()),
            TxOutcome::Unreadable(rows) => Err(ReservationError::UnreadableRows(
                rows.into_iter().map(|c| c.product_id).collect(),
            )
            .into()),
            TxOutcome::RowsMissing(_) | TxOutcome::Refused(_) => {
                Err(ReservationError::Inconsistent(order.reservation_id.clone()).into())
            }
        }
    }

    /// What to answer when the order's condition failed: the other writer's order as it is.
    /// If it made the very same step, ours is a repeat (`AlreadyDone` is answered by the caller
    /// reading `Changed` with the wanted status).
    fn lost_race(
        &self,
        order: &Order,
        next: &Order,
        existing: Option<Item>,
    ) -> Result<OrderError, DbError> {
        let Some(existing) = existing else {
            return Ok(OrderError::NotFound);
        };
        let current = self.decode(existing)?;
        tracing::info!(order_id = %order.order_id, wanted = next.status.as_str(), now = current.status.as_str(), "order changed meanwhile");
        Ok(OrderError::Changed(Box::new(current)))
    }

    fn decode(&self, item: Item) -> Result<Order, DbError> {
        from_item::<OrderItem>(&self.tables.orders, item).map(|o| o.order)
    }

    /// The order's conditional write: new (`seen` none) or over exactly the version read.
    fn order_put(&self, order: &Order, seen: Option<i64>) -> Result<Guarded, DbError> {
        let item = OrderItem {
            store_status: store_status(&order.store_id, order.status),
            order: order.clone(),
        };
        let mut put = Put::builder()
            .table_name(&self.tables.orders)
            .set_item(Some(to_item(&self.tables.orders, &item)?))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let guard = match seen {
            None => {
                put = put.condition_expression("attribute_not_exists(order_id)");
                Guard::NewOrder
            }
            Some(version) => {
                put = put
                    .condition_expression("version = :seen")
                    .expression_attribute_values(":seen", super::item::n(version));
                Guard::OrderVersion
            }
        };
        let put = put.build().map_err(|e| DbError::build("Put", e))?;
        Ok(Guarded {
            guard,
            write: TransactWriteItem::builder().put(put).build(),
        })
    }

    /// A page of orders, newest first, as of `now` (a pending order past its reservation shows
    /// as expired).
    ///
    /// # Errors
    /// On a DynamoDB failure or a corrupt item.
    pub async fn list_orders(
        &self,
        query: &OrderQuery,
        limit: usize,
        start: Option<NextToken>,
        now: DateTime<Utc>,
    ) -> Result<(Vec<Order>, Option<NextToken>), DbError> {
        let (index, partition, value) = query.index();
        let request = self
            .client
            .query()
            .table_name(&self.tables.orders)
            .index_name(index)
            .key_condition_expression("#p = :p")
            .expression_attribute_names("#p", partition)
            .expression_attribute_values(":p", s(value))
            .scan_index_forward(false);
        let (store, status) = match query {
            OrderQuery::Customer {
                store_id, status, ..
            } => (store_id.clone(), *status),
            // Filtered by status as of now: a pending order past its time is expired.
            OrderQuery::StoreStatus { status, .. } => (None, Some(*status)),
            OrderQuery::Store { .. } => (None, None),
        };
        let filtered = store.is_some() || status.is_some();
        let table = &self.tables.orders;
        let page = self
            .fill_page(
                request,
                &["order_id", partition, "created_at"],
                limit,
                start,
                filtered,
                |slice| {
                    let store = store.clone();
                    async move {
                        let mut kept = Vec::new();
                        for (cursor, item) in slice {
                            let mut order = from_item::<OrderItem>(table, item)?.order;
                            order.status = order.status_at(now);
                            if store.as_ref().is_none_or(|s| *s == order.store_id)
                                && status.is_none_or(|s| s == order.status)
                            {
                                kept.push((cursor, order));
                            }
                        }
                        Ok(kept)
                    }
                },
            )
            .await?;
        Ok((page.items, page.next))
    }
}
