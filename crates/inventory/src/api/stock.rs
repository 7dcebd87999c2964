//! One inventory row: read it, check it, change it.

use super::views::{RowView, View};
use crate::auth::Caller;
use crate::db::{
    conflict_backoff, Applied, Attempts, Blind, Guard, Idempotent, InventoryItem, KeyedOperation,
    MovementContext, Product, Retry, RowChange, TxOutcome, RETRY_BUDGET,
};
use crate::domain::{
    Fingerprint, IdempotencyKey, InvalidValue, MovementType, ProductId, Quantity, Refusal,
    StockChange, StockChangeError, StockChangeRequest, StockOp, StoreId,
};
use crate::http::{self, ApiError, FromRequest, Reply};
use crate::App;
use lambda_http::Request;
use serde::Serialize;
use serde_json::json;

/// A path naming one inventory row: `{store_id}/{product_id}`.
pub struct RowKey {
    pub store_id: StoreId,
    pub product_id: ProductId,
}

impl FromRequest for RowKey {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        Ok(Self {
            store_id: http::path(req, "store_id", StoreId::parse)?,
            product_id: http::path(req, "product_id", ProductId::parse)?,
        })
    }
}

/// 409 for a stored row whose quantities cannot be read: nothing is written from a guess.
pub(super) fn row_unreadable(store_id: &StoreId, product_id: &ProductId) -> ApiError {
    ApiError::conflict(
        "inventory_row_unreadable",
        format!("the stored stock of product {product_id} in store {store_id} is not a whole number; correct the row before changing its stock"),
        json!({ "store_id": store_id, "product_id": product_id }),
    )
}

pub(super) fn row_not_found(store_id: &StoreId, product_id: &ProductId) -> ApiError {
    ApiError::not_found(
        "inventory_item_not_found",
        format!("store {store_id} does not stock product {product_id}"),
    )
}

#[derive(Serialize)]
struct ItemWithProduct<'a> {
    #[serde(flatten)]
    item: RowView<'a>,
    product: Option<Product>,
}

/// `GET /api/v1/inventory/products/{store_id}/{product_id}`
pub async fn get_product(app: &App, caller: &Caller, key: RowKey) -> Result<Reply, ApiError> {
    let (item, product) = tokio::try_join!(
        app.db.inventory_item(&key.store_id, &key.product_id),
        app.db.product(&key.product_id)
    )?;
    let mut item = item.ok_or_else(|| row_not_found(&key.store_id, &key.product_id))?;
    if let Some(product) = &product {
        item.fill_from_product(product);
    }
    let view = View::for_caller(caller, &key.store_id);
    Ok(Reply::ok(&ItemWithProduct {
        item: view.row(&item),
        product,
    })?
    .cached(view.cache()))
}

/// `GET /api/v1/inventory/products/{store_id}/{product_id}/availability?quantity=N`
pub struct CheckAvailability {
    key: RowKey,
    quantity: Quantity,
}

impl FromRequest for CheckAvailability {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        Ok(Self {
            key: RowKey::from_request(req)?,
            quantity: http::required_query(req, "quantity", |raw| {
                let units = raw.trim().parse::<i64>().map_err(|_| {
                    InvalidValue::new("quantity", "must be a whole number from 1 to 1000000")
                })?;
                Quantity::new("quantity", units)
            })?,
        })
    }
}

#[derive(Serialize)]
struct Availability<'a> {
    store_id: &'a StoreId,
    product_id: &'a ProductId,
    requested_quantity: i64,
    available: bool,
    available_stock: i64,
    in_stock: bool,
    shortage: i64,
    /// Back-office view only.
    #[serde(skip_serializing_if = "Option::is_none")]
    current_stock: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reserved_stock: Option<i64>,
}

pub async fn check_availability(
    app: &App,
    caller: &Caller,
    cmd: CheckAvailability,
) -> Result<Reply, ApiError> {
    let RowKey {
        store_id,
        product_id,
    } = &cmd.key;
    let item = app
        .db
        .inventory_item(store_id, product_id)
        .await?
        .ok_or_else(|| row_not_found(store_id, product_id))?;
    let view = View::for_caller(caller, store_id);
    let back_office = view == View::BackOffice;
    let requested = cmd.quantity.get();
    let available_stock = item.available_stock.max(0);
    Ok(Reply::ok(&Availability {
        store_id,
        product_id,
        requested_quantity: requested,
        available: available_stock >= requested,
        available_stock,
        in_stock: !item.is_out_of_stock(),
        shortage: (requested - available_stock).max(0),
        current_stock: back_office.then_some(item.current_stock),
        reserved_stock: back_office.then_some(item.reserved_stock),
    })?
    .cached(view.cache()))
}

/// `PUT /api/v1/inventory/products/{store_id}/{product_id}/stock`
pub struct UpdateStock {
    key: RowKey,
    change: StockChange,
    idempotency_key: Option<IdempotencyKey>,
}

impl FromRequest for UpdateStock {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        Ok(Self {
            key: RowKey::from_request(req)?,
            change: StockChange::from_json(http::body_bytes(req)?).map_err(|e| match e {
                StockChangeError::Json(e) => ApiError::Body(e.to_string()),
                StockChangeError::Invalid(e) => ApiError::Invalid(e),
            })?,
            idempotency_key: idempotency_key(req)?,
        })
    }
}

pub async fn update_stock(app: &App, caller: &Caller, cmd: UpdateStock) -> Result<Reply, ApiError> {
    caller.require_store(&cmd.key.store_id)?;
    let change = StockCommand::stock_change(app, caller, cmd.key, cmd.change);
    let idempotent = change.idempotent(cmd.idempotency_key, caller);
    let item = apply_one(app, change.change, &change.context, idempotent).await?;
    Reply::ok(&item)
}

/// One row's stock change as the ledger engine takes it, built from a route's body by the one
/// rule each route has: the change, its movement's context, and the request's fingerprint. The
/// single-row routes and every line of a bulk request go through here.
pub(super) struct StockCommand {
    pub change: RowChange,
    pub context: MovementContext,
    pub fingerprint: Fingerprint,
    pub operation: KeyedOperation,
}

impl StockCommand {
    /// A `PUT .../stock` body (a delta or a count) on the row `key`.
    pub fn stock_change(app: &App, caller: &Caller, key: RowKey, change: StockChange) -> Self {
        let RowKey {
            store_id,
            product_id,
        } = key;
        let fingerprint = StockChangeRequest {
            store_id: &store_id,
            product_id: &product_id,
            change: &change,
        }
        .fingerprint();
        let (op, movement_type, reason, sale) = match change {
            StockChange::Delta {
                delta,
                reason,
                sale,
            } => (
                StockOp::Add(delta.get()),
                MovementType::StockUpdate,
                reason,
                sale,
            ),
            StockChange::Count {
                new_stock,
                expected_stock,
                reason,
            } => (
                StockOp::Set {
                    new_stock: new_stock.get(),
                    expected: expected_stock.get(),
                },
                MovementType::Count,
                reason,
                false,
            ),
        };
        let mut context = MovementContext::new(movement_type, caller.actor(), app.now());
        context.reason = reason;
        context.sale = sale;
        Self {
            change: RowChange {
                store_id,
                product_id,
                op,
            },
            context,
            fingerprint,
            operation: KeyedOperation::UpdateStock,
        }
    }

    /// The request made idempotent by `key`, scoped to the caller and the row's store.
    pub fn idempotent(&self, key: Option<IdempotencyKey>, caller: &Caller) -> Option<Idempotent> {
        idempotent(
            key,
            &self.change.store_id,
            caller,
            self.operation,
            self.fingerprint.clone(),
        )
    }
}

/// How one change ended when it was not refused: written now, or found written by an earlier
/// request under the same idempotency key (then nothing was written, and `item` is the row now).
pub(super) enum Changed {
    Applied(Box<Applied>),
    Replayed(Box<InventoryItem>),
}

/// Applies one row's change with its ledger row, answering refusals as 404 or 409.
pub(super) async fn apply_one(
    app: &App,
    change: RowChange,
    context: &MovementContext,
    idempotent: Option<Idempotent>,
) -> Result<InventoryItem, ApiError> {
    match apply_change(app, change, context, idempotent, Attempts::UntilBudget).await? {
        Changed::Applied(applied) => Ok(applied.item),
        Changed::Replayed(item) => Ok(*item),
    }
}

/// Applies one row's change with its ledger row, trying as hard as `attempts` says; every
/// refusal is the error the single-row routes answer (404, 409, 503).
pub(super) async fn apply_change(
    app: &App,
    change: RowChange,
    context: &MovementContext,
    idempotent: Option<Idempotent>,
    attempts: Attempts,
) -> Result<Changed, ApiError> {
    let outcome = if idempotent.is_none() && attempts != Attempts::Once {
        match blind_first(app, &change, context, attempts).await? {
            Ok(applied) => return Ok(Changed::Applied(applied)),
            Err(outcome) => outcome,
        }
    } else {
        let guards = match &idempotent {
            Some(idempotent) => vec![app.db.claim_idempotency_key(idempotent, app.clock.now())?],
            None => Vec::new(),
        };
        app.db
            .transact_with(std::slice::from_ref(&change), context, &guards, attempts)
            .await?
    };
    match outcome {
        TxOutcome::Applied(mut applied) => {
            let applied = applied
                .pop()
                .ok_or_else(|| ApiError::Internal("no change applied".into()))?;
            log_change(&change, context, &applied);
            Ok(Changed::Applied(Box::new(applied)))
        }
        TxOutcome::GuardFailed {
            guard: Guard::IdempotencyKey,
            existing: Some(existing),
        } => {
            let idempotent = idempotent
                .ok_or_else(|| ApiError::Internal("a key guard failed without a key".into()))?;
            match app.db.compare_retry(existing, &idempotent)? {
                // Applied once already: answer the row as it is now, change nothing.
                Retry::Same => {
                    super::count_replay(app);
                    app.db
                        .inventory_item(&change.store_id, &change.product_id)
                        .await?
                        .map(|item| Changed::Replayed(Box::new(item)))
                        .ok_or_else(|| row_not_found(&change.store_id, &change.product_id))
                }
                Retry::Different => Err(ApiError::conflict(
                    "idempotency_mismatch",
                    "this Idempotency-Key was used for a different request; use a new key",
                    json!({ "idempotency_key": idempotent.key }),
                )),
            }
        }
        TxOutcome::GuardFailed {
            guard: Guard::LocationActive,
            ..
        } => Err(super::location_inactive(&change.store_id)),
        TxOutcome::RowsMissing(_) => Err(row_not_found(&change.store_id, &change.product_id)),
        TxOutcome::Unreadable(_) => Err(row_unreadable(&change.store_id, &change.product_id)),
        TxOutcome::Refused(mut refused) => match refused.pop() {
            Some(refused) => Err(refusal_conflict(refused.refusal, &refused.row)),
            None => Err(ApiError::Contended),
        },
        TxOutcome::Contended | TxOutcome::GuardFailed { .. } => Err(ApiError::Contended),
    }
}

/// A change without a key: the blind conditional write (`db::pending`), and when that declines
/// (a refusal to answer exactly, a row to migrate or backfill, a full backlog), one attempt of the
/// engine. An engine attempt that another writer beat goes back to the blind write, which the
/// winner may have made possible, with backoff, within the request's budget: so writers to a row
/// that the engine must first migrate do not queue behind each other's reads once it has.
async fn blind_first(
    app: &App,
    change: &RowChange,
    context: &MovementContext,
    attempts: Attempts,
) -> Result<Result<Box<Applied>, TxOutcome>, ApiError> {
    let deadline = match attempts {
        Attempts::Until(deadline) => deadline,
        Attempts::UntilBudget | Attempts::Once => std::time::Instant::now() + RETRY_BUDGET,
    };
    let mut delays = conflict_backoff();
    loop {
        match app.db.blind_change(change, context).await? {
            Blind::Applied(applied, backlog) => {
                app.db.settle(&applied, backlog).await;
                log_change(change, context, &applied);
                return Ok(Ok(applied));
            }
            Blind::LocationInactive => {
                return Ok(Err(TxOutcome::GuardFailed {
                    guard: Guard::LocationActive,
                    existing: None,
                }))
            }
            Blind::Refused(refused) => return Ok(Err(TxOutcome::Refused(vec![*refused]))),
            // Audit fails closed: the change waits for the backlog to drain, or fails with it.
            Blind::Full(row) => {
                if app.db.drain_image(&row).await? > 0 {
                    continue;
                }
                // Another drainer holds the row: wait for it.
                match delays
                    .next()
                    .filter(|_| std::time::Instant::now() < deadline)
                {
                    Some(delay) => {
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    None => return Ok(Err(TxOutcome::Contended)),
                }
            }
            Blind::Declined => {}
        }
        let outcome = app
            .db
            .transact_with(std::slice::from_ref(change), context, &[], Attempts::Once)
            .await?;
        let retry = matches!(outcome, TxOutcome::Contended) && std::time::Instant::now() < deadline;
        match delays.next().filter(|_| retry) {
            Some(delay) => tokio::time::sleep(delay).await,
            None => return Ok(Err(outcome)),
        }
    }
}

fn log_change(change: &RowChange, context: &MovementContext, applied: &Applied) {
    tracing::info!(
        store_id = %change.store_id,
        product_id = %change.product_id,
        movement = ?context.movement_type,
        delta = applied.movement.delta,
        current_stock = applied.item.current_stock,
        "stock changed"
    );
}

/// The request's `Idempotency-Key` header, if it sent one.
///
/// # Errors
/// 400 when the header is present but malformed.
pub(super) fn idempotency_key(req: &Request) -> Result<Option<IdempotencyKey>, ApiError> {
    Ok(http::header(req, "idempotency-key")
        .map(IdempotencyKey::parse)
        .transpose()?)
}

/// A request's idempotency key scoped to the caller, the operation and the store, with the
/// request's fingerprint.
pub(super) fn idempotent(
    key: Option<IdempotencyKey>,
    store_id: &StoreId,
    caller: &Caller,
    operation: KeyedOperation,
    request: Fingerprint,
) -> Option<Idempotent> {
    key.map(|key| Idempotent {
        store_id: store_id.clone(),
        actor: caller.actor(),
        operation,
        key,
        request,
    })
}

fn refusal_conflict(refusal: Refusal, current: &InventoryItem) -> ApiError {
    match refusal {
        Refusal::Insufficient { available, requested } => ApiError::conflict(
            "insufficient_stock",
            format!("cannot remove {requested}: only {available} available"),
            stock_state(current, json!({ "requested": requested })),
        ),
        Refusal::Mismatch { current: stock, expected } => ApiError::conflict(
            "stock_mismatch",
            format!("expected stock {expected} but it is {stock}: recount or retry with the current stock"),
            stock_state(current, json!({ "expected_stock": expected })),
        ),
        Refusal::BelowReserved { reserved, new_stock } => ApiError::conflict(
            "below_reserved_stock",
            format!("cannot set stock to {new_stock}: {reserved} units are reserved for orders"),
            stock_state(current, json!({ "new_stock": new_stock })),
        ),
        Refusal::NotReserved { reserved, requested } => ApiError::conflict(
            "not_reserved",
            format!("cannot release {requested}: only {reserved} reserved"),
            stock_state(current, json!({ "requested": requested })),
        ),
    }
}

/// The row's quantities, merged with what the request asked for: the body of a stock 409.
fn stock_state(current: &InventoryItem, asked: serde_json::Value) -> serde_json::Value {
    let mut state = json!({
        "current_stock": current.current_stock,
        "reserved_stock": current.reserved_stock,
        "available_stock": current.available_stock,
    });
    if let (Some(state), serde_json::Value::Object(asked)) = (state.as_object_mut(), asked) {
        state.extend(asked);
    }
    state
}
