//! A store's inventory as a whole: list, search, low stock and summary.

use super::require_store;
use super::views::View;
use crate::auth::Caller;
use crate::db::{check_inventory_cursor, InventoryItem, RowFilter, MAX_STORE_PAGES};
use crate::domain::text::bounded_text;
use crate::domain::{InvalidValue, Limit, NextToken, PageNumber, SearchQuery, StoreId, Total};
use crate::http::{self, ApiError, FromRequest, Reply};
use crate::App;
use lambda_http::Request;
use serde::Serialize;

/// A list of a store's rows. Built as a typed struct, not `json!`, so money keeps its exact text.
#[derive(Serialize)]
struct Rows<'a, T> {
    store_id: &'a StoreId,
    count: usize,
    items: Vec<T>,
    /// Cursor listings always carry it (`null` on the last page); whole-store answers do not.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<Option<String>>,
}

/// A numbered page, as the previous service answered: "page 1 of 32, 3 of 95 products".
#[derive(Serialize)]
struct NumberedPage<'a, T> {
    store_id: &'a StoreId,
    count: usize,
    items: Vec<T>,
    page: usize,
    limit: usize,
    total: usize,
    total_pages: usize,
}

#[derive(Serialize)]
struct Summary<'a> {
    store_id: &'a StoreId,
    total_products: usize,
    total_units: i64,
    reserved_units: i64,
    available_units: i64,
    stock_value_at_cost: Total,
    stock_value_at_selling_price: Total,
    low_stock_count: usize,
    out_of_stock_count: usize,
}

fn store_query(req: &Request) -> Result<StoreId, ApiError> {
    http::required_query(req, "store_id", StoreId::parse)
}

fn limit_query(req: &Request) -> Result<Limit, ApiError> {
    Ok(Limit::parse(http::query(req, "limit").as_deref())?)
}

/// A listing cursor, checked to belong to this store's listing.
fn cursor_query(req: &Request, store_id: &StoreId) -> Result<Option<NextToken>, ApiError> {
    let start = http::optional_query(req, "next_token", |t| NextToken::parse(&t))?;
    if let Some(token) = &start {
        check_inventory_cursor(store_id, token)?;
    }
    Ok(start)
}

/// How a listing pages: by cursor (the way through a large store), or by page number (the
/// previous service's way, with totals). A request may not mix them.
pub enum Paging {
    Cursor {
        limit: Limit,
        start: Option<NextToken>,
    },
    Numbered {
        limit: Limit,
        page: PageNumber,
    },
}

/// `GET /api/v1/inventory/products?store_id&category&in_stock&limit&(next_token|page)`
pub struct ListProducts {
    store_id: StoreId,
    filter: RowFilter,
    paging: Paging,
}

impl FromRequest for ListProducts {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        let store_id = store_query(req)?;
        let filter = RowFilter {
            category: http::optional_query(req, "category", |c| bounded_text("category", c, 100))?,
            in_stock: http::bool_query(req, "in_stock")?,
            search: None,
        };
        let limit = limit_query(req)?;
        let page = http::optional_query(req, "page", |p| PageNumber::parse(&p))?;
        let start = cursor_query(req, &store_id)?;
        let paging = match (page, start) {
            (Some(_), Some(_)) => {
                return Err(InvalidValue::new(
                    "page",
                    "cannot be combined with next_token: page by number or by cursor",
                )
                .into())
            }
            (Some(page), None) => Paging::Numbered { limit, page },
            (None, start) => Paging::Cursor { limit, start },
        };
        Ok(Self {
            store_id,
            filter,
            paging,
        })
    }
}

pub async fn list_products(
    app: &App,
    caller: &Caller,
    cmd: ListProducts,
) -> Result<Reply, ApiError> {
    let view = View::for_caller(caller, &cmd.store_id);
    match cmd.paging {
        Paging::Cursor { limit, start } => {
            cursor_page(app, view, &cmd.store_id, &cmd.filter, limit, start).await
        }
        Paging::Numbered { limit, page } => {
            let store = app.db.read_store(&cmd.store_id).await?;
            if store.rows.is_empty() {
                require_store(app, &cmd.store_id).await?;
            }
            if !store.complete {
                return Err(InvalidValue::new(
                    "page",
                    format!("is only offered for stores that fit in {MAX_STORE_PAGES} MB of rows; page this store with next_token"),
                )
                .into());
            }
            let matching: Vec<&InventoryItem> = store
                .rows
                .iter()
                .filter(|r| cmd.filter.matches(r))
                .collect();
            let (limit, page) = (limit.get(), page.get());
            let items: Vec<_> = matching
                .iter()
                .skip((page - 1) * limit)
                .take(limit)
                .map(|r| view.row(r))
                .collect();
            Ok(Reply::ok(&NumberedPage {
                store_id: &cmd.store_id,
                count: items.len(),
                items,
                page,
                limit,
                total: matching.len(),
                total_pages: matching.len().div_ceil(limit),
            })?
            .cached(view.cache()))
        }
    }
}

/// `GET /api/v1/inventory/search?store_id&q&limit&next_token`
pub struct SearchProducts {
    store_id: StoreId,
    q: SearchQuery,
    limit: Limit,
    start: Option<NextToken>,
}

impl FromRequest for SearchProducts {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        let store_id = store_query(req)?;
        Ok(Self {
            q: http::required_query(req, "q", SearchQuery::parse)?,
            limit: limit_query(req)?,
            start: cursor_query(req, &store_id)?,
            store_id,
        })
    }
}

pub async fn search_products(
    app: &App,
    caller: &Caller,
    cmd: SearchProducts,
) -> Result<Reply, ApiError> {
    let view = View::for_caller(caller, &cmd.store_id);
    let filter = RowFilter {
        search: Some(cmd.q),
        ..RowFilter::default()
    };
    cursor_page(app, view, &cmd.store_id, &filter, cmd.limit, cmd.start).await
}

/// One cursor page of a store's rows that match `filter`, in `view`; an unknown store is a 404
/// on the first page.
async fn cursor_page(
    app: &App,
    view: View,
    store_id: &StoreId,
    filter: &RowFilter,
    limit: Limit,
    start: Option<NextToken>,
) -> Result<Reply, ApiError> {
    let first_page = start.is_none();
    let page = app.db.find_in_store(store_id, filter, limit, start).await?;
    if first_page && page.items.is_empty() && page.next.is_none() {
        require_store(app, store_id).await?;
    }
    Ok(Reply::ok(&Rows {
        store_id,
        count: page.items.len(),
        items: view.rows(&page.items),
        next_token: Some(page.next.map(|t| t.encode())),
    })?
    .cached(view.cache()))
}

/// `GET /api/v1/inventory/low-stock?store_id` and `GET /api/v1/inventory/summary?store_id`
pub struct StoreReport {
    store_id: StoreId,
}

impl FromRequest for StoreReport {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        Ok(Self {
            store_id: store_query(req)?,
        })
    }
}

/// Low stock: out of stock first, then the lowest available.
pub async fn low_stock(app: &App, caller: &Caller, cmd: StoreReport) -> Result<Reply, ApiError> {
    caller.require_store(&cmd.store_id)?;
    let store = app.db.read_store(&cmd.store_id).await?;
    if store.rows.is_empty() {
        require_store(app, &cmd.store_id).await?;
    }
    let mut items: Vec<InventoryItem> = store
        .rows
        .into_iter()
        .filter(InventoryItem::is_low_stock)
        .collect();
    items.sort_by(|a, b| {
        b.is_out_of_stock()
            .cmp(&a.is_out_of_stock())
            .then(a.available_stock.cmp(&b.available_stock))
            .then_with(|| a.product_id.cmp(&b.product_id))
    });
    Reply::ok(&Rows {
        store_id: &cmd.store_id,
        count: items.len(),
        items,
        next_token: None,
    })
}

/// Counts, units and stock value: exact sums, with no cap (a store's stock is worth more than
/// any one price may be).
pub async fn stock_summary(
    app: &App,
    caller: &Caller,
    cmd: StoreReport,
) -> Result<Reply, ApiError> {
    caller.require_store(&cmd.store_id)?;
    let rows = app.db.read_store(&cmd.store_id).await?.rows;
    if rows.is_empty() {
        require_store(app, &cmd.store_id).await?;
    }
    let value_at = |price: fn(&InventoryItem) -> Option<crate::domain::Money>| {
        Total::of(
            rows.iter()
                .filter_map(|r| price(r).map(|p| (p, r.current_stock.max(0)))),
        )
        .ok_or_else(|| ApiError::Internal("stock value out of decimal range".into()))
    };
    Reply::ok(&Summary {
        store_id: &cmd.store_id,
        total_products: rows.len(),
        total_units: rows.iter().map(|r| r.current_stock).sum(),
        reserved_units: rows.iter().map(|r| r.reserved_stock).sum(),
        available_units: rows.iter().map(|r| r.available_stock).sum(),
        stock_value_at_cost: value_at(|r| r.cost_price)?,
        stock_value_at_selling_price: value_at(|r| r.selling_price)?,
        low_stock_count: rows
            .iter()
            .filter(|r| r.is_low_stock() && !r.is_out_of_stock())
            .count(),
        out_of_stock_count: rows.iter().filter(|r| r.is_out_of_stock()).count(),
    })
}
