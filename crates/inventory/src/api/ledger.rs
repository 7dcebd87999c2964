//! Adjustments and the audit trail.

use super::stock::{apply_one, idempotency_key, row_not_found, RowKey, StockCommand};
use crate::auth::Caller;
use crate::db::{check_history_cursor, KeyedOperation, MovementContext, RowChange};
use crate::domain::{
    Actor, AdjustmentRequest, AdjustmentType, IdempotencyKey, Limit, MovementType, NextToken,
    ProductId, Reason, Reference, StockDelta, StockOp, StoreId,
};
use crate::http::{self, ApiError, FromRequest, Reply};
use crate::App;
use lambda_http::Request;
use serde::Deserialize;
use serde_json::json;

/// The body of `POST .../adjust`, and of an adjustment line of a bulk request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AdjustBody {
    pub store_id: StoreId,
    pub product_id: ProductId,
    quantity_change: StockDelta,
    adjustment_type: AdjustmentType,
    reason: Reason,
    reference: Option<Reference>,
    created_by: Option<Actor>,
}

/// `POST /api/v1/inventory/adjust`: a typed, audited stock correction.
pub struct AdjustStock {
    body: AdjustBody,
    idempotency_key: Option<IdempotencyKey>,
}

impl FromRequest for AdjustStock {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        Ok(Self {
            body: http::json_body(req)?,
            idempotency_key: idempotency_key(req)?,
        })
    }
}

pub async fn adjust_stock(app: &App, caller: &Caller, cmd: AdjustStock) -> Result<Reply, ApiError> {
    caller.require_store(&cmd.body.store_id)?;
    let change = StockCommand::adjustment(app, caller, cmd.body)?;
    let idempotent = change.idempotent(cmd.idempotency_key, caller);
    let item = apply_one(app, change.change, &change.context, idempotent).await?;
    Reply::ok(&item)
}

impl StockCommand {
    /// An adjustment body, recorded as the caller's.
    ///
    /// # Errors
    /// 403 when the body claims another actor (`created_by`).
    pub(super) fn adjustment(
        app: &App,
        caller: &Caller,
        body: AdjustBody,
    ) -> Result<Self, ApiError> {
        caller.check_claimed_actor(body.created_by.as_ref())?;
        let fingerprint = AdjustmentRequest {
            store_id: &body.store_id,
            product_id: &body.product_id,
            quantity_change: body.quantity_change.get(),
            adjustment_type: body.adjustment_type,
            reason: &body.reason,
            reference: body.reference.as_ref(),
        }
        .fingerprint();
        let mut context = MovementContext::new(MovementType::Adjustment, caller.actor(), app.now());
        context.adjustment_type = Some(body.adjustment_type);
        context.reason = Some(body.reason);
        context.reference = body.reference;
        Ok(Self {
            change: RowChange {
                store_id: body.store_id,
                product_id: body.product_id,
                op: StockOp::Add(body.quantity_change.get()),
            },
            context,
            fingerprint,
            operation: KeyedOperation::AdjustStock,
        })
    }
}

/// `GET /api/v1/inventory/history/{store_id}/{product_id}?limit&next_token`: movements, newest first.
pub struct StockHistory {
    key: RowKey,
    limit: Limit,
    start: Option<NextToken>,
}

impl FromRequest for StockHistory {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        let key = RowKey::from_request(req)?;
        let start = http::optional_query(req, "next_token", |t| NextToken::parse(&t))?;
        if let Some(token) = &start {
            check_history_cursor(&key.store_id, &key.product_id, token)?;
        }
        Ok(Self {
            key,
            limit: Limit::parse(http::query(req, "limit").as_deref())?,
            start,
        })
    }
}

pub async fn stock_history(
    app: &App,
    caller: &Caller,
    cmd: StockHistory,
) -> Result<Reply, ApiError> {
    let RowKey {
        store_id,
        product_id,
    } = &cmd.key;
    caller.require_store(store_id)?;
    let first_page = cmd.start.is_none();
    let (movements, next) = app
        .db
        .movements(store_id, product_id, cmd.limit.get(), cmd.start)
        .await?;
    if first_page
        && movements.is_empty()
        && app.db.inventory_item(store_id, product_id).await?.is_none()
    {
        return Err(row_not_found(store_id, product_id));
    }
    Reply::ok(&json!({
        "store_id": store_id,
        "product_id": product_id,
        "count": movements.len(),
        "movements": movements,
        "next_token": next.map(|t| t.encode()),
    }))
}
