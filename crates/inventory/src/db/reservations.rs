//! Reservations: stock held for an order until it is completed, released or expires, and the
//! order markers that make reserving idempotent per order.
//!
//! Items in the ledger table:
//! - `RES#{reservation_id}` / `RES`: the reservation. While active it carries `active_pk`, which
//!   puts it in the sparse `active-by-expiry` index the sweeper reads; `reservation_store_id`
//!   puts it in `reservations-by-store`.
//! - `ORDER#{store_id}#{order_id}` / `ORDER`: written with `attribute_not_exists` in the same
//!   transaction as the reservation, so an order is reserved at most once, however late the
//!   retry (DynamoDB's own ClientRequestToken only covers ten minutes).

use super::item::{from_item, n, s, to_item};
use super::ledger::{MovementContext, RowChange, TxRejected};
use super::{Db, DbError, InventoryItem};
use crate::domain::{
    Actor, InvalidValue, MovementType, NextToken, OrderId, ProductId, Quantity, Reference, Refusal,
    ReservationId, StockOp, StoreId,
};
use aws_sdk_dynamodb::types::{
    Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The most distinct products one order may reserve: each line takes two of a transaction's 100
/// actions (the row update and its movement), plus the reservation and the order marker.
pub const MAX_LINES: usize = 49;
/// Default and maximum hold, in minutes.
pub const DEFAULT_EXPIRY_MINUTES: i64 = 15;
pub const MAX_EXPIRY_MINUTES: i64 = 1440;
/// Finished reservations and order markers are deleted by TTL this long after they finish.
const RETENTION_DAYS: i64 = 90;
const ACTIVE: &str = "ACTIVE";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReservationStatus {
    Active,
    Completed,
    Released,
    Expired,
}

impl ReservationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Completed => "completed",
            Self::Released => "released",
            Self::Expired => "expired",
        }
    }

    /// # Errors
    /// When `raw` names no status.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Ok(match raw {
            "active" => Self::Active,
            "completed" => Self::Completed,
            "released" => Self::Released,
            "expired" => Self::Expired,
            _ => {
                return Err(InvalidValue::new(
                    "status",
                    "must be active, completed, released or expired",
                ))
            }
        })
    }
}

/// One product of a reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub product_id: ProductId,
    pub quantity: i64,
}

/// Stock held (or, for a pay-at-counter sale, taken) for one order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reservation {
    pub reservation_id: ReservationId,
    pub store_id: StoreId,
    pub order_id: OrderId,
    pub status: ReservationStatus,
    pub lines: Vec<Line>,
    pub expires_at: String,
    pub created_at: String,
    pub updated_at: String,
}

impl Reservation {
    /// An active reservation past its expiry holds nothing, whether or not the sweeper has
    /// released it yet.
    pub fn status_at(&self, now: DateTime<Utc>) -> ReservationStatus {
        match self.status {
            ReservationStatus::Active if expiry(&self.expires_at).is_some_and(|e| now >= e) => {
                ReservationStatus::Expired
            }
            status => status,
        }
    }

    /// The reservation as a reader should see it at `now`.
    pub fn as_of(mut self, now: DateTime<Utc>) -> Self {
        self.status = self.status_at(now);
        self
    }
}

fn expiry(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[derive(Serialize, Deserialize)]
struct ReservationItem {
    pk: String,
    sk: String,
    #[serde(flatten)]
    reservation: Reservation,
    /// Expiry in Unix milliseconds: the conditions and the expiry index compare this.
    expires_at_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    active_pk: Option<String>,
    reservation_store_id: StoreId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ttl: Option<i64>,
}

#[derive(Serialize, Deserialize)]
struct OrderMarker {
    pk: String,
    sk: String,
    reservation_id: ReservationId,
    /// The canonical request, compared on replay: same payload, same answer.
    payload: String,
    created_at: String,
    ttl: i64,
}

fn reservation_pk(id: &ReservationId) -> String {
    format!("RES#{id}")
}

fn marker_pk(store_id: &StoreId, order_id: &OrderId) -> String {
    format!("ORDER#{store_id}#{order_id}")
}

/// A validated request to reserve (or sell outright) an order's lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReserveRequest {
    pub store_id: StoreId,
    pub order_id: OrderId,
    /// One line per product, quantities summed, sorted by product.
    pub lines: Vec<Line>,
    pub expires_in_minutes: i64,
}

impl ReserveRequest {
    /// Sums lines of the same product and checks the limits.
    ///
    /// # Errors
    /// No lines, more than [`MAX_LINES`] products, a summed quantity over 1,000,000, or an
    /// expiry outside 1..=1440 minutes.
    pub fn new(
        store_id: StoreId,
        order_id: OrderId,
        items: Vec<(ProductId, Quantity)>,
        expires_in_minutes: Option<i64>,
    ) -> Result<Self, InvalidValue> {
        if items.is_empty() {
            return Err(InvalidValue::new("items", "must have at least one line"));
        }
        let mut summed: BTreeMap<ProductId, i64> = BTreeMap::new();
        for (product_id, quantity) in items {
            *summed.entry(product_id).or_default() += quantity.get();
        }
        if summed.len() > MAX_LINES {
            return Err(InvalidValue::new(
                "items",
                format!("must name at most {MAX_LINES} distinct products (one transaction holds 100 actions)"),
            ));
        }
        let lines = summed
            .into_iter()
            .map(|(product_id, quantity)| {
                Quantity::new("items.quantity", quantity).map(|q| Line {
                    product_id,
                    quantity: q.get(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let expires_in_minutes = expires_in_minutes.unwrap_or(DEFAULT_EXPIRY_MINUTES);
        if !(1..=MAX_EXPIRY_MINUTES).contains(&expires_in_minutes) {
            return Err(InvalidValue::new(
                "expires_in_minutes",
                format!("must be between 1 and {MAX_EXPIRY_MINUTES}"),
            ));
        }
        Ok(Self {
            store_id,
            order_id,
            lines,
            expires_in_minutes,
        })
    }

    /// What a retry must repeat exactly to be the same request.
    fn payload(&self, kind: MovementType) -> String {
        let lines: Vec<String> = self
            .lines
            .iter()
            .map(|l| format!("{}:{}", l.product_id, l.quantity))
            .collect();
        format!(
            "{kind:?}|{}|{}|{}|{}",
            self.store_id,
            self.order_id,
            self.expires_in_minutes,
            lines.join(",")
        )
    }
}

/// A line that cannot be had, with what was asked and what there is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shortage {
    pub product_id: ProductId,
    pub requested: i64,
    pub available: i64,
}

/// Why a reservation operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ReservationError {
    #[error("reservation not found")]
    NotFound,
    #[error("products not stocked by the store")]
    UnknownProducts(Vec<ProductId>),
    #[error("not enough stock")]
    Short(Vec<Shortage>),
    #[error("order already reserved with a different request")]
    IdempotencyMismatch { reservation_id: ReservationId },
    #[error("reservation is {}", .0.status.as_str())]
    NotActive(Box<Reservation>),
    #[error("the rows are too contended right now")]
    Contended,
    #[error("stock rows disagree with reservation {0}")]
    Inconsistent(ReservationId),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Whether an operation did the work now or found it already done (an idempotent replay).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    AlreadyDone,
}

/// The availability of one line of a cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineAvailability {
    pub product_id: ProductId,
    pub requested: i64,
    /// `None` when the store does not stock the product.
    pub available: Option<i64>,
    pub shortage: i64,
}

impl Db {
    /// Holds every line of an order, or none: one transaction of 2n + 2 actions.
    ///
    /// # Errors
    /// See [`ReservationError`]; a repeat of the same request is `Ok` with `AlreadyDone`.
    pub async fn reserve(
        &self,
        request: &ReserveRequest,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(Reservation, Outcome), ReservationError> {
        self.place_order(request, actor, now, MovementType::Reserve)
            .await
    }

    /// Sells every line outright (pay at counter): reserve and commit in one transaction.
    ///
    /// # Errors
    /// As [`Db::reserve`].
    pub async fn deduct(
        &self,
        request: &ReserveRequest,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(Reservation, Outcome), ReservationError> {
        self.place_order(request, actor, now, MovementType::Deduct)
            .await
    }

    async fn place_order(
        &self,
        request: &ReserveRequest,
        actor: &Actor,
        now: DateTime<Utc>,
        kind: MovementType,
    ) -> Result<(Reservation, Outcome), ReservationError> {
        let id = ReservationId::generate();
        // Whole milliseconds, as written: the expiry text, `expires_at_ms` (which conditions
        // compare) and `created_at` then agree exactly.
        let now = DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
        let expires = now + Duration::minutes(request.expires_in_minutes);
        let selling = kind == MovementType::Deduct;
        let reservation = Reservation {
            reservation_id: id.clone(),
            store_id: request.store_id.clone(),
            order_id: request.order_id.clone(),
            status: if selling {
                ReservationStatus::Completed
            } else {
                ReservationStatus::Active
            },
            lines: request.lines.clone(),
            expires_at: rfc3339(expires),
            created_at: rfc3339(now),
            updated_at: rfc3339(now),
        };
        let item = ReservationItem {
            pk: reservation_pk(&id),
            sk: "RES".into(),
            expires_at_ms: expires.timestamp_millis(),
            active_pk: (!selling).then(|| ACTIVE.to_owned()),
            reservation_store_id: request.store_id.clone(),
            ttl: selling.then(|| (now + Duration::days(RETENTION_DAYS)).timestamp()),
            reservation,
        };
        let marker = OrderMarker {
            pk: marker_pk(&request.store_id, &request.order_id),
            sk: "ORDER".into(),
            reservation_id: id.clone(),
            payload: request.payload(kind),
            created_at: rfc3339(now),
            ttl: (now + Duration::days(RETENTION_DAYS)).timestamp(),
        };
        let extras = [self.put_new(&item)?, self.put_new(&marker)?];
        let changes: Vec<RowChange> = request
            .lines
            .iter()
            .map(|l| RowChange {
                store_id: request.store_id.clone(),
                product_id: l.product_id.clone(),
                op: if selling {
                    StockOp::Deduct(l.quantity)
                } else {
                    StockOp::Reserve(l.quantity)
                },
            })
            .collect();
        let mut context = MovementContext::new(kind, actor.clone(), rfc3339(now));
        context.reservation_id = Some(id);
        context.order_id = Some(request.order_id.clone());
        context.reference = Reference::parse(request.order_id.as_str()).ok();

        match self.transact(&changes, &context, &extras).await? {
            Ok(_) => Ok((item.reservation, Outcome::Done)),
            Err(TxRejected::Extra {
                index: 1,
                old: Some(old),
            }) => {
                let existing: OrderMarker = from_item(&self.tables.ledger, old)?;
                if existing.payload != marker.payload {
                    return Err(ReservationError::IdempotencyMismatch {
                        reservation_id: existing.reservation_id,
                    });
                }
                let original = self
                    .reservation(&existing.reservation_id)
                    .await?
                    .ok_or(ReservationError::NotFound)?;
                Ok((original.as_of(now), Outcome::AlreadyDone))
            }
            Err(TxRejected::Extra { .. } | TxRejected::Contended) => {
                Err(ReservationError::Contended)
            }
            Err(TxRejected::NotFound(rows)) => Err(ReservationError::UnknownProducts(
                rows.into_iter()
                    .map(|i| changes[i].product_id.clone())
                    .collect(),
            )),
            Err(TxRejected::Refused(refused)) => {
                Err(ReservationError::Short(shortages(&changes, refused)))
            }
        }
    }

    /// Ships a reservation's units: out of reserved and out of on hand.
    ///
    /// # Errors
    /// `NotActive` when it was released or has expired; completing twice is `AlreadyDone`.
    pub async fn complete(
        &self,
        id: &ReservationId,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(Reservation, Outcome), ReservationError> {
        self.finish(id, ReservationStatus::Completed, actor, now)
            .await
    }

    /// Gives a reservation's units back to available.
    ///
    /// # Errors
    /// `NotActive` when it was completed; releasing twice, or releasing an expired
    /// reservation, is `AlreadyDone`.
    pub async fn release(
        &self,
        id: &ReservationId,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(Reservation, Outcome), ReservationError> {
        self.finish(id, ReservationStatus::Released, actor, now)
            .await
    }

    /// Releases a reservation whose time is up, as the sweeper does.
    ///
    /// # Errors
    /// `NotActive` when it is no longer active or not yet due.
    pub async fn expire(
        &self,
        id: &ReservationId,
        now: DateTime<Utc>,
    ) -> Result<(Reservation, Outcome), ReservationError> {
        self.finish(
            id,
            ReservationStatus::Expired,
            &Actor::parse("system:expiry").unwrap_or_else(|_| Actor::anonymous()),
            now,
        )
        .await
    }

    async fn finish(
        &self,
        id: &ReservationId,
        to: ReservationStatus,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(Reservation, Outcome), ReservationError> {
        let reservation = self
            .reservation(id)
            .await?
            .ok_or(ReservationError::NotFound)?;
        self.finish_reservation(reservation, to, actor, now).await
    }

    /// Moves an already-read reservation from active to `to` (completed, released or expired),
    /// with its stock; for callers that had to read it first (to check the caller's store).
    ///
    /// # Errors
    /// As [`Db::complete`] and [`Db::release`].
    pub async fn finish_reservation(
        &self,
        reservation: Reservation,
        to: ReservationStatus,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(Reservation, Outcome), ReservationError> {
        let id = &reservation.reservation_id.clone();
        if let Some(done) = settled(&reservation, to, now) {
            return done;
        }
        let (movement_type, op): (MovementType, fn(i64) -> StockOp) = match to {
            ReservationStatus::Completed => (MovementType::Commit, StockOp::Commit),
            ReservationStatus::Expired => (MovementType::Expire, StockOp::Release),
            _ => (MovementType::Release, StockOp::Release),
        };
        let changes: Vec<RowChange> = reservation
            .lines
            .iter()
            .map(|l| RowChange {
                store_id: reservation.store_id.clone(),
                product_id: l.product_id.clone(),
                op: op(l.quantity),
            })
            .collect();
        let mut context = MovementContext::new(movement_type, actor.clone(), rfc3339(now));
        context.reservation_id = Some(id.clone());
        context.order_id = Some(reservation.order_id.clone());
        context.reference = Reference::parse(reservation.order_id.as_str()).ok();

        let (condition, epoch_needed) = match to {
            ReservationStatus::Completed => ("#status = :active AND expires_at_ms > :epoch", true),
            ReservationStatus::Expired => ("#status = :active AND expires_at_ms <= :epoch", true),
            _ => ("#status = :active", false),
        };
        let mut update = Update::builder()
            .table_name(&self.tables.ledger)
            .key("pk", s(reservation_pk(id)))
            .key("sk", s("RES"))
            .update_expression("SET #status = :to, updated_at = :now, #ttl = :ttl REMOVE active_pk")
            .condition_expression(condition)
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":to", s(to.as_str()))
            .expression_attribute_values(":active", s(ReservationStatus::Active.as_str()))
            .expression_attribute_values(":now", s(rfc3339(now)))
            .expression_attribute_values(
                ":ttl",
                n((now + Duration::days(RETENTION_DAYS)).timestamp()),
            )
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if epoch_needed {
            update = update.expression_attribute_values(":epoch", n(now.timestamp_millis()));
        }
        let update = update.build().map_err(|e| DbError::build("Update", e))?;
        let extras = [TransactWriteItem::builder().update(update).build()];

        match self.transact(&changes, &context, &extras).await? {
            Ok(_) => {
                let mut done = reservation;
                done.status = to;
                done.updated_at = rfc3339(now);
                Ok((done, Outcome::Done))
            }
            Err(TxRejected::Extra { old: Some(old), .. }) => {
                let current: ReservationItem = from_item(&self.tables.ledger, old)?;
                settled(&current.reservation, to, now).unwrap_or(Err(ReservationError::Contended))
            }
            Err(TxRejected::Extra { old: None, .. }) => Err(ReservationError::NotFound),
            Err(TxRejected::Contended) => Err(ReservationError::Contended),
            Err(TxRejected::NotFound(_) | TxRejected::Refused(_)) => {
                Err(ReservationError::Inconsistent(id.clone()))
            }
        }
    }

    /// # Errors
    /// On a DynamoDB failure or a corrupt item.
    pub async fn reservation(&self, id: &ReservationId) -> Result<Option<Reservation>, DbError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.ledger)
            .key("pk", s(reservation_pk(id)))
            .key("sk", s("RES"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| DbError::sdk("GetItem", e))?;
        out.item
            .map(|item| {
                from_item::<ReservationItem>(&self.tables.ledger, item).map(|r| r.reservation)
            })
            .transpose()
    }

    /// The reservation made for an order, through its marker.
    ///
    /// # Errors
    /// On a DynamoDB failure or a corrupt item.
    pub async fn reservation_for_order(
        &self,
        store_id: &StoreId,
        order_id: &OrderId,
    ) -> Result<Option<Reservation>, DbError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.ledger)
            .key("pk", s(marker_pk(store_id, order_id)))
            .key("sk", s("ORDER"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| DbError::sdk("GetItem", e))?;
        match out.item {
            None => Ok(None),
            Some(item) => {
                let marker: OrderMarker = from_item(&self.tables.ledger, item)?;
                self.reservation(&marker.reservation_id).await
            }
        }
    }

    /// A page of a store's reservations, newest first, optionally of one status (as of `now`).
    ///
    /// # Errors
    /// On a DynamoDB failure or a corrupt item.
    pub async fn list_reservations(
        &self,
        store_id: &StoreId,
        status: Option<ReservationStatus>,
        limit: usize,
        start: Option<NextToken>,
        now: DateTime<Utc>,
    ) -> Result<(Vec<Reservation>, Option<NextToken>), DbError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.ledger)
            .index_name("reservations-by-store")
            .key_condition_expression("reservation_store_id = :store")
            .expression_attribute_values(":store", s(store_id.as_str()))
            .scan_index_forward(false);
        // The status is filtered here, not by DynamoDB: "active" and "expired" depend on now.
        let table = &self.tables.ledger;
        let page = self
            .fill_page(
                query,
                &["pk", "sk", "reservation_store_id", "created_at"],
                limit,
                start,
                status.is_some(),
                |slice| async move {
                    let mut kept = Vec::new();
                    for (cursor, item) in slice {
                        let reservation = from_item::<ReservationItem>(table, item)?
                            .reservation
                            .as_of(now);
                        if status.is_none_or(|s| s == reservation.status) {
                            kept.push((cursor, reservation));
                        }
                    }
                    Ok(kept)
                },
            )
            .await?;
        Ok((page.items, page.next))
    }

    /// Active reservations whose time is up and that the sweeper has not yet released, oldest
    /// expiry first.
    ///
    /// # Errors
    /// On a DynamoDB failure or a corrupt item.
    pub async fn due_reservations(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Reservation>, DbError> {
        let out = self
            .client
            .query()
            .table_name(&self.tables.ledger)
            .index_name("active-by-expiry")
            .key_condition_expression("active_pk = :active AND expires_at_ms <= :epoch")
            .expression_attribute_values(":active", s(ACTIVE))
            .expression_attribute_values(":epoch", n(now.timestamp_millis()))
            .limit(i32::try_from(limit).unwrap_or(100))
            .send()
            .await
            .map_err(|e| DbError::sdk("Query", e))?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                from_item::<ReservationItem>(&self.tables.ledger, item)
                    .map(|r| r.reservation.as_of(now))
            })
            .collect()
    }

    /// How many units of each line a store could sell now, read strongly consistent.
    ///
    /// # Errors
    /// On a DynamoDB failure or a corrupt item.
    pub async fn check_lines(
        &self,
        store_id: &StoreId,
        lines: &[Line],
    ) -> Result<Vec<LineAvailability>, DbError> {
        let rows = self
            .inventory_items(lines.iter().map(|l| (store_id, &l.product_id)))
            .await?;
        Ok(lines
            .iter()
            .zip(rows)
            .map(|(line, row)| {
                let available = row.as_ref().map(|r| r.available_stock);
                LineAvailability {
                    product_id: line.product_id.clone(),
                    requested: line.quantity,
                    available,
                    shortage: (line.quantity - available.unwrap_or(0)).max(0),
                }
            })
            .collect())
    }

    fn put_new<T: Serialize>(&self, value: &T) -> Result<TransactWriteItem, DbError> {
        let put = Put::builder()
            .table_name(&self.tables.ledger)
            .set_item(Some(to_item(&self.tables.ledger, value)?))
            .condition_expression("attribute_not_exists(pk)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(|e| DbError::build("Put", e))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}

/// The answer when `reservation` cannot go to `to` now: already there (`AlreadyDone`), or in a
/// state it cannot leave that way (`NotActive`). `None` when the transition should be tried.
fn settled(
    reservation: &Reservation,
    to: ReservationStatus,
    now: DateTime<Utc>,
) -> Option<Result<(Reservation, Outcome), ReservationError>> {
    use ReservationStatus::{Active, Completed, Expired, Released};
    let due = reservation.status_at(now) == Expired;
    let current = reservation.clone().as_of(now);
    let not_active = || Some(Err(ReservationError::NotActive(Box::new(current.clone()))));
    match (reservation.status, to) {
        // Past its time, a reservation holds nothing and can no longer be completed.
        (Active, Completed) if due => not_active(),
        // Anyone may release an active reservation; the sweeper only one that is due.
        (Active, Completed | Released) => None,
        (Active, Expired) if due => None,
        (s, t) if s == t => Some(Ok((current, Outcome::AlreadyDone))),
        // Releasing what expired is what the caller wanted: nothing is held.
        (Expired, Released) => Some(Ok((current, Outcome::AlreadyDone))),
        _ => not_active(),
    }
}

fn shortages(
    changes: &[RowChange],
    refused: Vec<(usize, Refusal, InventoryItem)>,
) -> Vec<Shortage> {
    refused
        .into_iter()
        .map(|(i, refusal, row)| Shortage {
            product_id: changes[i].product_id.clone(),
            requested: changes[i].op.takes().unwrap_or_default(),
            available: match refusal {
                Refusal::Insufficient { available, .. } => available,
                _ => row.available_stock,
            },
        })
        .collect()
}

/// Checks that a reservations cursor came from listing this store.
///
/// # Errors
/// When it was issued for another store or has another shape.
pub fn check_reservations_cursor(
    store_id: &StoreId,
    token: &NextToken,
) -> Result<(), InvalidValue> {
    let ok = token.clone().into_key().len() == 4
        && token.get("reservation_store_id") == Some(store_id.as_str())
        && token.get("sk") == Some("RES")
        && token.get("pk").is_some_and(|pk| {
            pk.strip_prefix("RES#")
                .is_some_and(|id| ReservationId::parse(id).is_ok())
        })
        && token.get("created_at").is_some_and(|c| expiry(c).is_some());
    if ok {
        Ok(())
    } else {
        Err(InvalidValue::new(
            "next_token",
            "does not belong to this listing",
        ))
    }
}
