//! One inventory row: read it, check it, change it.

use crate::db::{InventoryItem, Product, StockChangeRejected};
use crate::domain::{ProductId, Quantity, StockChange, StoreId};
use crate::http::{self, ApiError};
use crate::App;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use serde_json::json;

fn row_key(req: &Request) -> Result<(StoreId, ProductId), ApiError> {
    Ok((
        http::path(req, "store_id", StoreId::parse)?,
        http::path(req, "product_id", ProductId::parse)?,
    ))
}

fn row_not_found(store_id: &StoreId, product_id: &ProductId) -> ApiError {
    ApiError::not_found(
        "inventory_item_not_found",
        format!("store {store_id} does not stock product {product_id}"),
    )
}

#[derive(Serialize)]
struct ItemWithProduct {
    #[serde(flatten)]
    item: InventoryItem,
    product: Option<Product>,
}

/// `GET /api/v1/inventory/products/{store_id}/{product_id}`
pub async fn get_product(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (store_id, product_id) = row_key(req)?;
    let (item, product) = tokio::try_join!(
        app.db.inventory_item(&store_id, &product_id),
        app.db.product(&product_id)
    )?;
    let item = item.ok_or_else(|| row_not_found(&store_id, &product_id))?;
    http::ok(&ItemWithProduct { item, product })
}

/// `GET /api/v1/inventory/products/{store_id}/{product_id}/availability?quantity=N`
pub async fn check_availability(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (store_id, product_id) = row_key(req)?;
    let quantity = http::required_query(req, "quantity", |raw| {
        let units = raw.trim().parse::<i64>().map_err(|_| {
            crate::domain::InvalidValue::new("quantity", "must be a whole number from 1 to 1000000")
        })?;
        Quantity::new("quantity", units)
    })?;
    let item = app
        .db
        .inventory_item(&store_id, &product_id)
        .await?
        .ok_or_else(|| row_not_found(&store_id, &product_id))?;
    let requested = quantity.get();
    http::ok(&json!({
        "store_id": store_id,
        "product_id": product_id,
        "requested_quantity": requested,
        "available": item.available_stock >= requested,
        "current_stock": item.current_stock,
        "reserved_stock": item.reserved_stock,
        "available_stock": item.available_stock,
        "shortage": (requested - item.available_stock).max(0),
    }))
}

/// `PUT /api/v1/inventory/products/{store_id}/{product_id}/stock`
pub async fn update_stock(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let (store_id, product_id) = row_key(req)?;
    let change = StockChange::from_json(http::body_bytes(req)?).map_err(|e| match e {
        crate::domain::StockChangeError::Json(e) => ApiError::Body(e.to_string()),
        crate::domain::StockChangeError::Invalid(e) => ApiError::Invalid(e),
    })?;
    let updated = app
        .db
        .change_stock(&store_id, &product_id, &change, &app.now())
        .await?;
    match updated {
        Ok(item) => {
            tracing::info!(%store_id, %product_id, current_stock = item.current_stock, "stock changed");
            http::ok(&item)
        }
        Err(rejected) => Err(rejection(&store_id, &product_id, rejected)),
    }
}

fn rejection(
    store_id: &StoreId,
    product_id: &ProductId,
    rejected: StockChangeRejected,
) -> ApiError {
    match rejected {
        StockChangeRejected::NotFound => row_not_found(store_id, product_id),
        StockChangeRejected::Insufficient { current, requested } => ApiError::conflict(
            "insufficient_stock",
            format!(
                "cannot remove {requested}: only {} available",
                current.available_stock
            ),
            stock_state(&current, json!({ "requested": requested })),
        ),
        StockChangeRejected::StockMismatch { current, expected } => ApiError::conflict(
            "stock_mismatch",
            format!(
                "expected stock {expected} but it is {}: recount or retry with the current stock",
                current.current_stock
            ),
            stock_state(&current, json!({ "expected_stock": expected })),
        ),
        StockChangeRejected::BelowReserved { current, new_stock } => ApiError::conflict(
            "below_reserved_stock",
            format!(
                "cannot set stock to {new_stock}: {} units are reserved for orders",
                current.reserved_stock
            ),
            stock_state(&current, json!({ "new_stock": new_stock })),
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
