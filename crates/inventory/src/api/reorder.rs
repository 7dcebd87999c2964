//! Reorder suggestions from real sales: the store's rows and its sales window, two bounded
//! reads, and the arithmetic of `domain::reorder` applied to every row.

use super::require_store;
use crate::auth::Caller;
use crate::db::InventoryItem;
use crate::domain::reorder::{
    sort_by_urgency, suggest, Basis, HorizonDays, Rate, RowPlanning, Sales, Suggestion, Totals,
    SALES_WINDOW_DAYS,
};
use crate::domain::time::rfc3339;
use crate::domain::{Money, ProductId, StoreId, Total};
use crate::http::{self, ApiError, FromRequest, Reply};
use crate::App;
use lambda_http::Request;
use serde::Serialize;

/// `GET /api/v1/inventory/reorder-suggestions?store_id&horizon_days`
pub struct ReorderSuggestions {
    store_id: StoreId,
    horizon: HorizonDays,
}

impl FromRequest for ReorderSuggestions {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        Ok(Self {
            store_id: http::required_query(req, "store_id", StoreId::parse)?,
            horizon: HorizonDays::parse(http::query(req, "horizon_days").as_deref())?,
        })
    }
}

#[derive(Serialize)]
struct Answer<'a> {
    store_id: &'a StoreId,
    horizon_days: HorizonDays,
    sales_window: SalesWindow,
    /// True when the store was larger than one request reads (rows or sales): the list covers
    /// what was read, and `sales_window` says which sales.
    truncated: bool,
    count: usize,
    totals: Totals,
    items: Vec<Line<'a>>,
}

#[derive(Serialize)]
struct SalesWindow {
    from: String,
    to: String,
    /// Fewer days than 28 when the store had more sales than one request reads: velocity is
    /// then measured over the newest part of the window, the part that was read.
    days: Rate,
    truncated: bool,
}

#[derive(Serialize)]
struct Line<'a> {
    product_id: &'a ProductId,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    available_stock: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    reorder_point: Option<i64>,
    lead_time_days: i64,
    units_sold: i64,
    sales_velocity: Rate,
    /// `null` without sales in the window.
    days_of_cover: Option<Rate>,
    suggested_quantity: i64,
    basis: Basis,
    runs_out_within_horizon: bool,
    at_or_below_reorder_point: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_price: Option<Money>,
    /// `null` when the row has no cost price.
    value_at_cost: Option<Total>,
}

fn planning(row: &InventoryItem) -> RowPlanning {
    RowPlanning {
        available: row.available_stock,
        reorder_point: row.low_stock_threshold(),
        reorder_quantity: row.reorder_quantity,
        max_stock_level: row.max_stock_level,
        lead_time_days: row.lead_time_days,
        cost_price: row.cost_price,
    }
}

pub async fn reorder_suggestions(
    app: &App,
    caller: &Caller,
    cmd: ReorderSuggestions,
) -> Result<Reply, ApiError> {
    caller.require_store(&cmd.store_id)?;
    let to = app.now();
    let from = to - chrono::Duration::days(SALES_WINDOW_DAYS);
    let (store, sales) = tokio::try_join!(
        app.db.read_store(&cmd.store_id),
        app.db.store_sales(&cmd.store_id, from, to)
    )?;
    if store.rows.is_empty() {
        require_store(app, &cmd.store_id).await?;
    }
    let window_ms = sales.window_ms();
    let mut due: Vec<(&InventoryItem, Suggestion)> = store
        .rows
        .iter()
        .map(|row| {
            let units = sales.units.get(&row.product_id).copied().unwrap_or(0);
            let sales = Sales { units, window_ms };
            (row, suggest(&planning(row), sales, cmd.horizon))
        })
        .filter(|(_, s)| s.is_due())
        .collect();
    sort_by_urgency(&mut due, |(row, s)| (&row.product_id, s));
    let totals = Totals::of(due.iter().map(|(_, s)| s))
        .ok_or_else(|| ApiError::Internal("suggestion value out of decimal range".into()))?;
    let items: Vec<Line> = due
        .iter()
        .map(|(row, s)| Line {
            product_id: &row.product_id,
            name: row.name.as_deref(),
            available_stock: row.available_stock,
            reorder_point: row.low_stock_threshold(),
            lead_time_days: s.lead_time_days,
            units_sold: s.sales.units,
            sales_velocity: s.velocity(),
            days_of_cover: s.days_of_cover(),
            suggested_quantity: s.suggested_quantity,
            basis: s.basis,
            runs_out_within_horizon: s.runs_out_within_horizon,
            at_or_below_reorder_point: s.at_or_below_reorder_point,
            cost_price: row.cost_price,
            value_at_cost: s.value_at_cost(),
        })
        .collect();
    tracing::info!(
        store_id = %cmd.store_id,
        rows = store.rows.len(),
        products_sold = sales.units.len(),
        suggestions = items.len(),
        sales_truncated = sales.truncated,
        "reorder suggestions computed"
    );
    Reply::ok(&Answer {
        store_id: &cmd.store_id,
        horizon_days: cmd.horizon,
        sales_window: SalesWindow {
            from: rfc3339(sales.from),
            to: rfc3339(sales.to),
            days: crate::domain::reorder::days_of(window_ms),
            truncated: sales.truncated,
        },
        truncated: sales.truncated || !store.complete,
        count: items.len(),
        totals,
        items,
    })
}
