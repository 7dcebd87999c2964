//! Adjustments and the audit trail.

use super::stock::{apply_one, idempotent, row_key, row_not_found};
use crate::auth::Caller;
use crate::db::{check_history_cursor, KeyedOperation, MovementContext, RowChange};
use crate::domain::{
    Actor, AdjustmentRequest, AdjustmentType, Limit, MovementType, NextToken, ProductId, Reason,
    Reference, StockDelta, StockOp, StoreId,
};
use crate::http::{self, ApiError};
use crate::App;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdjustBody {
    store_id: StoreId,
    product_id: ProductId,
    quantity_change: StockDelta,
    adjustment_type: AdjustmentType,
    reason: Reason,
    reference: Option<Reference>,
    created_by: Option<Actor>,
}

/// `POST /api/v1/inventory/adjust`: a typed, audited stock correction.
pub async fn adjust_stock(
    app: &App,
    req: &Request,
    caller: &Caller,
) -> Result<Response<Body>, ApiError> {
    let body: AdjustBody = http::json_body(req)?;
    caller.require_store(&body.store_id)?;
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
    let change = RowChange {
        store_id: body.store_id,
        product_id: body.product_id,
        op: StockOp::Add(body.quantity_change.get()),
    };
    let idempotent = idempotent(
        req,
        &change.store_id,
        caller,
        KeyedOperation::AdjustStock,
        fingerprint,
    )?;
    let item = apply_one(app, change, &context, idempotent).await?;
    http::ok(&item)
}

/// `GET /api/v1/inventory/history/{store_id}/{product_id}?limit&next_token`: movements, newest first.
pub async fn stock_history(
    app: &App,
    req: &Request,
    caller: &Caller,
) -> Result<Response<Body>, ApiError> {
    let (store_id, product_id) = row_key(req)?;
    caller.require_store(&store_id)?;
    let limit = Limit::parse(http::query(req, "limit").as_deref())?;
    let start = http::query(req, "next_token")
        .map(|t| NextToken::parse(&t))
        .transpose()?;
    if let Some(token) = &start {
        check_history_cursor(&store_id, &product_id, token)?;
    }
    let first_page = start.is_none();
    let (movements, next) = app
        .db
        .movements(&store_id, &product_id, limit.get(), start)
        .await?;
    if first_page
        && movements.is_empty()
        && app
            .db
            .inventory_item(&store_id, &product_id)
            .await?
            .is_none()
    {
        return Err(row_not_found(&store_id, &product_id));
    }
    http::ok(&json!({
        "store_id": store_id,
        "product_id": product_id,
        "count": movements.len(),
        "movements": movements,
        "next_token": next.map(|t| t.encode()),
    }))
}
