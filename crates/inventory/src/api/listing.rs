//! A store's inventory as a whole: list, search, low stock and summary.

use super::require_store;
use crate::auth::Caller;
use crate::db::{check_inventory_cursor, InventoryFilter, InventoryItem};
use crate::domain::{InvalidValue, Limit, Money, NextToken, SearchQuery, StoreId};
use crate::http::{self, ApiError};
use crate::App;
use lambda_http::{Body, Request, Response};
use rust_decimal::Decimal;
use serde::Serialize;

/// A list of a store's rows. Built as a typed struct, not `json!`, so money keeps its exact text.
#[derive(Serialize)]
struct Rows<'a> {
    store_id: &'a StoreId,
    count: usize,
    items: &'a [InventoryItem],
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<Option<String>>,
}

impl<'a> Rows<'a> {
    fn new(store_id: &'a StoreId, items: &'a [InventoryItem]) -> Self {
        Self {
            store_id,
            count: items.len(),
            items,
            next_token: None,
        }
    }
}

#[derive(Serialize)]
struct Summary<'a> {
    store_id: &'a StoreId,
    total_products: usize,
    total_units: i64,
    reserved_units: i64,
    available_units: i64,
    stock_value_at_cost: Money,
    stock_value_at_selling_price: Money,
    low_stock_count: usize,
    out_of_stock_count: usize,
}

fn store_query(req: &Request) -> Result<StoreId, ApiError> {
    http::required_query(req, "store_id", StoreId::parse)
}

/// `GET /api/v1/inventory/products?store_id&category&in_stock&limit&next_token`
pub async fn list_products(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let store_id = store_query(req)?;
    let category = http::query(req, "category")
        .map(|c| crate::domain::text::bounded_text("category", c, 100))
        .transpose()?;
    let filter = InventoryFilter {
        category,
        in_stock: http::bool_query(req, "in_stock")?,
    };
    let limit = Limit::parse(http::query(req, "limit").as_deref())?;
    let start = http::query(req, "next_token")
        .map(|t| NextToken::parse(&t))
        .transpose()?;
    if let Some(token) = &start {
        check_inventory_cursor(&store_id, token)?;
    }
    let first_page = start.is_none();
    let page = app
        .db
        .list_inventory(&store_id, &filter, limit, start)
        .await?;
    if first_page && page.items.is_empty() && page.next.is_none() {
        require_store(app, &store_id).await?;
    }
    // `next_token` is always present here, `null` on the last page.
    let next_token = Some(page.next.map(|t| t.encode()));
    http::ok(&Rows {
        next_token,
        ..Rows::new(&store_id, &page.items)
    })
}

/// `GET /api/v1/inventory/search?store_id&q&limit`
pub async fn search_products(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let store_id = store_query(req)?;
    let q = http::required_query(req, "q", SearchQuery::parse)?;
    let limit = Limit::parse(http::query(req, "limit").as_deref())?;
    let matches = |row: &InventoryItem| {
        [&row.name, &row.brand]
            .into_iter()
            .flatten()
            .any(|text| q.matches(text))
    };
    let items = app
        .db
        .store_inventory(&store_id, matches, Some(limit.get()))
        .await?;
    if items.is_empty() {
        require_store(app, &store_id).await?;
    }
    http::ok(&Rows::new(&store_id, &items))
}

/// `GET /api/v1/inventory/low-stock?store_id`: out of stock first, then the lowest available.
pub async fn low_stock(
    app: &App,
    req: &Request,
    caller: &Caller,
) -> Result<Response<Body>, ApiError> {
    let store_id = store_query(req)?;
    caller.require_store(&store_id)?;
    let mut items = app
        .db
        .store_inventory(&store_id, InventoryItem::is_low_stock, None)
        .await?;
    if items.is_empty() {
        require_store(app, &store_id).await?;
    }
    items.sort_by(|a, b| {
        b.is_out_of_stock()
            .cmp(&a.is_out_of_stock())
            .then(a.available_stock.cmp(&b.available_stock))
            .then_with(|| a.product_id.cmp(&b.product_id))
    });
    http::ok(&Rows::new(&store_id, &items))
}

/// `GET /api/v1/inventory/summary?store_id`
pub async fn stock_summary(
    app: &App,
    req: &Request,
    caller: &Caller,
) -> Result<Response<Body>, ApiError> {
    let store_id = store_query(req)?;
    caller.require_store(&store_id)?;
    let rows = app.db.store_inventory(&store_id, |_| true, None).await?;
    if rows.is_empty() {
        return Err(ApiError::not_found(
            "store_not_found",
            format!("store {store_id} has no inventory"),
        ));
    }
    let value_at = |price: fn(&InventoryItem) -> Option<Decimal>| -> Decimal {
        rows.iter()
            .map(|r| price(r).unwrap_or_default() * Decimal::from(r.current_stock.max(0)))
            .sum()
    };
    let at_cost = value_at(|r| r.cost_price.map(|m| m.amount()));
    let at_selling = value_at(|r| r.selling_price.map(|m| m.amount()));
    let money = |d: Decimal| {
        Money::new("value", d).map_err(|e: InvalidValue| ApiError::Internal(Box::new(e)))
    };
    http::ok(&Summary {
        store_id: &store_id,
        total_products: rows.len(),
        total_units: rows.iter().map(|r| r.current_stock).sum(),
        reserved_units: rows.iter().map(|r| r.reserved_stock).sum(),
        available_units: rows.iter().map(|r| r.available_stock).sum(),
        stock_value_at_cost: money(at_cost)?,
        stock_value_at_selling_price: money(at_selling)?,
        low_stock_count: rows
            .iter()
            .filter(|r| r.is_low_stock() && !r.is_out_of_stock())
            .count(),
        out_of_stock_count: rows.iter().filter(|r| r.is_out_of_stock()).count(),
    })
}
