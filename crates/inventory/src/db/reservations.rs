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
use super::ledger::{Attempts, Guard, Guarded, MovementContext, RefusedRow, RowChange, TxOutcome};
use super::{Db, DbError};
use crate::domain::time::{millis, parse_rfc3339, rfc3339, to_the_millisecond};
use crate::domain::{
    Actor, Fingerprint, InvalidValue, Line, LineAvailability, MovementType, NextToken, OrderId,
    Outcome, Placement, Reference, Refusal, Reservation, ReservationId, ReservationStatus,
    ReserveRequest, Shortage, StockOp, StoreId, Transition,
};
use aws_sdk_dynamodb::types::{
    Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Finished reservations and order markers are deleted by TTL this long after they finish.
const RETENTION_DAYS: i64 = 90;
const ACTIVE: &str = "ACTIVE";

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
    /// The request's fingerprint (`ReserveRequest::fingerprint`), compared on replay: same
    /// request, same answer.
    payload_sha256: Fingerprint,
    #[serde(with = "millis")]
    created_at: DateTime<Utc>,
    ttl: i64,
}

fn reservation_pk(id: &ReservationId) -> String {
    format!("RES#{id}")
}

fn marker_pk(store_id: &StoreId, order_id: &OrderId) -> String {
    format!("ORDER#{store_id}#{order_id}")
}

/// Why a reservation operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ReservationError {
    #[error("reservation not found")]
    NotFound,
    #[error("products not stocked by the store")]
    UnknownProducts(Vec<crate::domain::ProductId>),
    #[error("not enough stock")]
    Short(Vec<Shortage>),
    #[error("order already reserved with a different request")]
    IdempotencyMismatch { reservation_id: ReservationId },
    #[error("reservation is {}", .0.status.as_str())]
    NotActive(Box<Reservation>),
    #[error("the rows are too contended right now")]
    Contended,
    #[error("stored stock of products cannot be read")]
    UnreadableRows(Vec<crate::domain::ProductId>),
    #[error("location {0} is inactive")]
    LocationInactive(crate::domain::StoreId),
    #[error("stock rows disagree with reservation {0}")]
    Inconsistent(ReservationId),
    /// One of the caller's own guards (an order written in the same transaction) failed.
    #[error("a guarded write's condition failed")]
    GuardFailed {
        guard: Guard,
        existing: Option<super::item::Item>,
    },
    #[error(transparent)]
    Db(#[from] DbError),
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
        self.place_order(request, actor, now, Placement::Reserve, |_| Ok(Vec::new()))
            .await
    }

    /// As [`Db::reserve`], with more conditional writes in the same transaction: `extra` builds
    /// them from the reservation about to be written (an order that must exist exactly when its
    /// stock is held). They are checked first: when one fails, it comes back as `GuardFailed`.
    ///
    /// # Errors
    /// As [`Db::reserve`], and `GuardFailed` for an extra guard.
    pub async fn reserve_with(
        &self,
        request: &ReserveRequest,
        actor: &Actor,
        now: DateTime<Utc>,
        extra: impl FnOnce(&Reservation) -> Result<Vec<Guarded>, DbError>,
    ) -> Result<(Reservation, Outcome), ReservationError> {
        self.place_order(request, actor, now, Placement::Reserve, extra)
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
        self.place_order(request, actor, now, Placement::Deduct, |_| Ok(Vec::new()))
            .await
    }

    async fn place_order(
        &self,
        request: &ReserveRequest,
        actor: &Actor,
        now: DateTime<Utc>,
        placement: Placement,
        extra: impl FnOnce(&Reservation) -> Result<Vec<Guarded>, DbError>,
    ) -> Result<(Reservation, Outcome), ReservationError> {
        let id = ReservationId::generate();
        // Whole milliseconds, as written: the expiry text, `expires_at_ms` (which conditions
        // compare) and `created_at` then agree exactly.
        let now = to_the_millisecond(now);
        let expires = now + Duration::minutes(request.expires_in_minutes);
        let selling = placement == Placement::Deduct;
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
            expires_at: expires,
            created_at: now,
            updated_at: now,
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
            payload_sha256: request.fingerprint(placement),
            created_at: now,
            ttl: (now + Duration::days(RETENTION_DAYS)).timestamp(),
        };
        // The caller's guards first: the loop in `transact` reports the first failed guard.
        let mut guards = extra(&item.reservation)?;
        guards.push(Guarded {
            guard: Guard::NewReservation,
            write: self.put_new(&item)?,
        });
        guards.push(Guarded {
            guard: Guard::OrderMarker,
            write: self.put_new(&marker)?,
        });
        let changes: Vec<RowChange> = request
            .lines
            .iter()
            .map(|l| RowChange {
                store_id: request.store_id.clone(),
                product_id: l.product_id.clone(),
                op: if selling {
                    StockOp::Deduct(l.quantity.get())
                } else {
                    StockOp::Reserve(l.quantity.get())
                },
            })
            .collect();
        let movement_type = if selling {
            MovementType::Deduct
        } else {
            MovementType::Reserve
        };
        let mut context = MovementContext::new(movement_type, actor.clone(), now);
        context.reservation_id = Some(id);
        context.order_id = Some(request.order_id.clone());
        context.reference = Reference::parse(request.order_id.as_str()).ok();

        match self.transact(&changes, &context, &guards).await? {
            TxOutcome::Applied(_) => Ok((item.reservation, Outcome::Done)),
            TxOutcome::GuardFailed {
                guard: Guard::OrderMarker,
                existing: Some(existing),
            } => {
                let existing: OrderMarker = from_item(&self.tables.ledger, existing)?;
                if existing.payload_sha256 != marker.payload_sha256 {
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
            TxOutcome::GuardFailed {
                guard: guard @ (Guard::NewOrder | Guard::OrderVersion),
                existing,
            } => Err(ReservationError::GuardFailed { guard, existing }),
            TxOutcome::GuardFailed {
                guard: Guard::LocationActive,
                ..
            } => Err(ReservationError::LocationInactive(request.store_id.clone())),
            TxOutcome::GuardFailed { .. } | TxOutcome::Contended => {
                Err(ReservationError::Contended)
            }
            TxOutcome::RowsMissing(rows) => Err(ReservationError::UnknownProducts(
                rows.into_iter().map(|c| c.product_id).collect(),
            )),
            TxOutcome::Refused(refused) => Err(ReservationError::Short(shortages(refused))),
            TxOutcome::Unreadable(rows) => Err(ReservationError::UnreadableRows(
                rows.into_iter().map(|c| c.product_id).collect(),
            )),
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
        let reservation = self.reservation_or_not_found(id).await?;
        self.finish_reservation(reservation, ReservationStatus::Completed, actor, now)
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
        let reservation = self.reservation_or_not_found(id).await?;
        self.finish_reservation(reservation, ReservationStatus::Released, actor, now)
            .await
    }

    /// Releases a reservation whose time is up, as the sweeper does: in one attempt, so a hot
    /// row is left for the next run (`Contended`) rather than waited on.
    ///
    /// # Errors
    /// `NotActive` when it is no longer active or not yet due; `Contended` when another writer
    /// had one of its rows.
    pub async fn expire(
        &self,
        reservation: Reservation,
        now: DateTime<Utc>,
    ) -> Result<(Reservation, Outcome), ReservationError> {
        let sweeper = Actor::parse("system:expiry").unwrap_or_else(|_| Actor::anonymous());
        self.transition(
            reservation,
            ReservationStatus::Expired,
            &sweeper,
            now,
            Attempts::Once,
            Vec::new(),
        )
        .await
    }

    async fn reservation_or_not_found(
        &self,
        id: &ReservationId,
    ) -> Result<Reservation, ReservationError> {
        self.reservation(id)
            .await?
            .ok_or(ReservationError::NotFound)
    }

    /// Moves an already-read reservation from active to `to` (completed or released), with its
    /// stock; for callers that had to read it first (to check the caller's store).
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
        self.transition(
            reservation,
            to,
            actor,
            now,
            Attempts::UntilBudget,
            Vec::new(),
        )
        .await
    }

    /// As [`Db::finish_reservation`] (or, with `to` expired, [`Db::expire`]), with `extra`
    /// conditional writes in the same transaction, checked first: an order's step and its
    /// reservation's change happen together or not at all.
    ///
    /// # Errors
    /// As [`Db::finish_reservation`], and `GuardFailed` for an extra guard.
    pub async fn finish_reservation_with(
        &self,
        reservation: Reservation,
        to: ReservationStatus,
        actor: &Actor,
        now: DateTime<Utc>,
        attempts: Attempts,
        extra: Vec<Guarded>,
    ) -> Result<(Reservation, Outcome), ReservationError> {
        self.transition(reservation, to, actor, now, attempts, extra)
            .await
    }

    async fn transition(
        &self,
        reservation: Reservation,
        to: ReservationStatus,
        actor: &Actor,
        now: DateTime<Utc>,
        attempts: Attempts,
        extra: Vec<Guarded>,
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
                op: op(l.quantity.get()),
            })
            .collect();
        let mut context = MovementContext::new(movement_type, actor.clone(), now);
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
        let mut guards = extra;
        guards.push(Guarded {
            guard: Guard::ReservationStatus,
            write: TransactWriteItem::builder().update(update).build(),
        });

        match self
            .transact_with(&changes, &context, &guards, attempts)
            .await?
        {
            TxOutcome::Applied(_) => {
                let mut done = reservation;
                done.status = to;
                done.updated_at = now;
                Ok((done, Outcome::Done))
            }
            TxOutcome::GuardFailed {
                guard: guard @ (Guard::NewOrder | Guard::OrderVersion),
                existing,
            } => Err(ReservationError::GuardFailed { guard, existing }),
            TxOutcome::GuardFailed {
                existing: Some(existing),
                ..
            } => {
                let current: ReservationItem = from_item(&self.tables.ledger, existing)?;
                settled(&current.reservation, to, now).unwrap_or(Err(ReservationError::Contended))
            }
            TxOutcome::GuardFailed { existing: None, .. } => Err(ReservationError::NotFound),
            TxOutcome::Contended => Err(ReservationError::Contended),
            TxOutcome::Unreadable(rows) => Err(ReservationError::UnreadableRows(
                rows.into_iter().map(|c| c.product_id).collect(),
            )),
            TxOutcome::RowsMissing(_) | TxOutcome::Refused(_) => {
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
        let (due, _) = self.due_reservations_after(now, limit, None).await?;
        Ok(due.into_iter().map(|r| r.as_of(now)).collect())
    }

    /// A batch of due reservations after `after` (the previous batch's last evaluated key), and
    /// the key to continue from: the sweeper walks the index once per run this way, so what it
    /// left (a hot row) is not met again until the next run. As stored (status `active`), for
    /// [`Db::expire`]; the index is eventually consistent, and expiry's own condition decides.
    ///
    /// # Errors
    /// On a DynamoDB failure or a corrupt item.
    pub async fn due_reservations_after(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        after: Option<super::item::Item>,
    ) -> Result<(Vec<Reservation>, Option<super::item::Item>), DbError> {
        let out = self
            .client
            .query()
            .table_name(&self.tables.ledger)
            .index_name("active-by-expiry")
            .key_condition_expression("active_pk = :active AND expires_at_ms <= :epoch")
            .expression_attribute_values(":active", s(ACTIVE))
            .expression_attribute_values(":epoch", n(now.timestamp_millis()))
            .limit(i32::try_from(limit).unwrap_or(100))
            .set_exclusive_start_key(after)
            .send()
            .await
            .map_err(|e| DbError::sdk("Query", e))?;
        let due = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                from_item::<ReservationItem>(&self.tables.ledger, item).map(|r| r.reservation)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((due, out.last_evaluated_key))
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
                let requested = line.quantity.get();
                LineAvailability {
                    product_id: line.product_id.clone(),
                    requested,
                    available,
                    shortage: (requested - available.unwrap_or(0)).max(0),
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
    match reservation.transition(to, now) {
        Transition::Apply => None,
        Transition::AlreadyDone(current) => Some(Ok((current, Outcome::AlreadyDone))),
        Transition::NotActive(current) => Some(Err(ReservationError::NotActive(Box::new(current)))),
    }
}

fn shortages(refused: Vec<RefusedRow>) -> Vec<Shortage> {
    refused
        .into_iter()
        .map(|r| Shortage {
            requested: r.change.op.takes().unwrap_or_default(),
            available: match r.refusal {
                Refusal::Insufficient { available, .. } => available,
                _ => r.row.available_stock,
            },
            product_id: r.change.product_id,
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
        && token
            .get("created_at")
            .is_some_and(|c| parse_rfc3339(c).is_some());
    if ok {
        Ok(())
    } else {
        Err(InvalidValue::new(
            "next_token",
            "does not belong to this listing",
        ))
    }
}
