//! Inventory records: `POST /api/v1/inventory` (a new row with its opening stock),
//! `PATCH /api/v1/inventory/products/{store_id}/{product_id}` (a row's settings) and
//! `GET /api/v1/inventory/{product_id}` (one product across every location, with totals).

use super::stock::{row_not_found, row_unreadable, RowKey};
use crate::auth::Caller;
use crate::db::{Movement, NewRow, RowAt, RowCreate, SettingsEdit};
use crate::domain::settings::SETTING_NAMES;
use crate::domain::{InvalidValue, Money, ProductId, Settings, StockCount, StoreId, Total};
use crate::http::{self, ApiError, FromRequest, Reply};
use crate::App;
use lambda_http::http::StatusCode;
use lambda_http::Request;
use serde::Serialize;
use serde_json::{json, Map, Value};

/// The one setting a new row may leave out; it must name every other.
const OPTIONAL_ON_CREATE: &str = "lead_time_days";

/// A written row and the ledger entry written with it (`null` when nothing changed).
#[derive(Serialize)]
struct Written<'a> {
    #[serde(flatten)]
    item: &'a crate::db::InventoryItem,
    ledger_entry: Option<&'a Movement>,
}

/// `PATCH /api/v1/inventory/products/{store_id}/{product_id}`: the settings named in the body.
pub struct UpdateInventorySettings {
    key: RowKey,
    change: Settings,
}

impl FromRequest for UpdateInventorySettings {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        let key = RowKey::from_request(req)?;
        let body: Map<String, Value> = http::json_body(req)?;
        Ok(Self {
            key,
            change: Settings::change_from(body)?,
        })
    }
}

pub async fn update_inventory_settings(
    app: &App,
    caller: &Caller,
    cmd: UpdateInventorySettings,
) -> Result<Reply, ApiError> {
    let RowKey {
        store_id,
        product_id,
    } = &cmd.key;
    caller.require_store(store_id)?;
    let edit = app
        .db
        .edit_settings(
            store_id,
            product_id,
            &cmd.change,
            &caller.actor(),
            app.now(),
        )
        .await?;
    match edit {
        SettingsEdit::Applied { item, movement } => {
            tracing::info!(%store_id, %product_id, seq = movement.seq, "settings changed");
            Reply::ok(&Written {
                item: &item,
                ledger_entry: Some(&movement),
            })
        }
        SettingsEdit::Unchanged(item) => Reply::ok(&Written {
            item: &item,
            ledger_entry: None,
        }),
        SettingsEdit::Missing => Err(row_not_found(store_id, product_id)),
        SettingsEdit::Unreadable => Err(row_unreadable(store_id, product_id)),
        SettingsEdit::LevelsOutOfOrder { broken, would_be } => Err(ApiError::conflict(
            "stock_levels_out_of_order",
            format!(
                "with the stored settings, {}: change the other level in the same request",
                broken.message()
            ),
            json!({
                "min_stock_level": would_be.min_stock_level,
                "reorder_point": would_be.reorder_point,
                "max_stock_level": would_be.max_stock_level,
            }),
        )),
        SettingsEdit::Contended => Err(ApiError::Contended),
    }
}

/// `POST /api/v1/inventory`: a new row, with its opening stock and settings.
pub struct CreateInventory(NewRow);

/// A required field of the body, parsed by `parse`.
fn required<T>(
    body: &mut Map<String, Value>,
    name: &'static str,
    parse: impl Fn(&Value) -> Result<T, InvalidValue>,
) -> Result<T, InvalidValue> {
    let value = body
        .remove(name)
        .ok_or_else(|| InvalidValue::new(name, "is required"))?;
    parse(&value)
}

fn text<'a>(name: &'static str, value: &'a Value) -> Result<&'a str, InvalidValue> {
    value
        .as_str()
        .ok_or_else(|| InvalidValue::new(name, "must be a string"))
}

impl FromRequest for CreateInventory {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        let mut body: Map<String, Value> = http::json_body(req)?;
        let store_id = required(&mut body, "store_id", |v| {
            StoreId::parse(text("store_id", v)?)
                .map_err(|e| InvalidValue::new("store_id", e.problem))
        })?;
        let product_id = required(&mut body, "product_id", |v| {
            ProductId::parse(text("product_id", v)?)
                .map_err(|e| InvalidValue::new("product_id", e.problem))
        })?;
        let current_stock = required(&mut body, "current_stock", |v| {
            let units = v.as_i64().ok_or_else(|| {
                InvalidValue::new("current_stock", "must be a whole number from 0 to 1000000")
            })?;
            StockCount::new("current_stock", units)
        })?;
        let required: Vec<&'static str> = SETTING_NAMES
            .into_iter()
            .filter(|name| *name != OPTIONAL_ON_CREATE)
            .collect();
        let settings = Settings::read(body, &required)?;
        settings.check_levels().map_err(InvalidValue::from)?;
        Ok(Self(NewRow {
            store_id,
            product_id,
            current_stock: current_stock.get(),
            settings,
        }))
    }
}

pub async fn create_inventory(
    app: &App,
    caller: &Caller,
    cmd: CreateInventory,
) -> Result<Reply, ApiError> {
    let new = cmd.0;
    let (store_id, product_id) = (&new.store_id, &new.product_id);
    caller.require_store(store_id)?;
    match app.db.create_row(&new, &caller.actor(), app.now()).await? {
        RowCreate::Created { item, movement } => {
            tracing::info!(%store_id, %product_id, current_stock = item.current_stock, "inventory row created");
            Reply::with_status(
                StatusCode::CREATED,
                &Written {
                    item: &item,
                    ledger_entry: Some(&movement),
                },
            )
        }
        RowCreate::ProductMissing => Err(ApiError::not_found(
            "product_not_found",
            format!("no product has id {product_id}: add it to the catalog first"),
        )),
        RowCreate::LocationUnknown => Err(ApiError::conflict(
            "location_unknown",
            format!("{store_id} is not a registered location: register it (POST /api/v1/locations) before stocking it"),
            json!({ "location_id": store_id }),
        )),
        RowCreate::LocationInactive => Err(super::location_inactive(store_id)),
        RowCreate::Exists(existing) => Err(ApiError::conflict(
            "already_exists",
            format!("store {store_id} already stocks product {product_id}; change its stock with a movement and its settings with PATCH"),
            json!({
                "store_id": store_id,
                "product_id": product_id,
                "current_stock": existing.current_stock,
            }),
        )),
        RowCreate::HistoryExists => Err(ApiError::conflict(
            "already_exists",
            format!("the ledger already holds history for product {product_id} in store {store_id}, whose row was removed outside this service; restore the row instead"),
            json!({ "store_id": store_id, "product_id": product_id }),
        )),
        RowCreate::Contended => Err(ApiError::Contended),
    }
}

/// `GET /api/v1/inventory/{product_id}`
pub struct GetProductStock {
    product_id: ProductId,
}

impl FromRequest for GetProductStock {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        Ok(Self {
            product_id: http::path(req, "product_id", ProductId::parse)?,
        })
    }
}

/// Sums over the rows shown.
#[derive(Serialize)]
struct Totals {
    locations: usize,
    current_stock: i64,
    reserved_stock: i64,
    available_stock: i64,
    /// On hand at cost price, over the rows that have one.
    value_at_cost: Total,
    /// Rows without a cost price, left out of `value_at_cost`.
    rows_without_cost: usize,
}

impl Totals {
    fn of(rows: &[RowAt]) -> Result<Self, ApiError> {
        let costed: Vec<(Money, i64)> = rows
            .iter()
            .filter_map(|r| r.item.cost_price.map(|c| (c, r.item.current_stock.max(0))))
            .collect();
        Ok(Self {
            locations: rows.len(),
            current_stock: rows.iter().map(|r| r.item.current_stock).sum(),
            reserved_stock: rows.iter().map(|r| r.item.reserved_stock).sum(),
            available_stock: rows.iter().map(|r| r.item.available_stock).sum(),
            rows_without_cost: rows.len() - costed.len(),
            value_at_cost: Total::of(costed)
                .ok_or_else(|| ApiError::Internal("stock value out of range".into()))?,
        })
    }
}

#[derive(Serialize)]
struct ProductStockReply<'a> {
    product_id: &'a ProductId,
    product: Option<&'a crate::db::Product>,
    count: usize,
    locations: &'a [RowAt],
    totals: Totals,
    /// False when the product is stocked at more locations than one request reads.
    complete: bool,
}

pub async fn get_product_stock(
    app: &App,
    caller: &Caller,
    cmd: GetProductStock,
) -> Result<Reply, ApiError> {
    let product_id = &cmd.product_id;
    let stock = app
        .db
        .product_stock(product_id, |store| caller.may_read_back_office(store))
        .await?;
    if stock.product.is_none() && !stock.stocked {
        return Err(ApiError::not_found(
            "product_not_found",
            format!("no product has id {product_id}"),
        ));
    }
    Reply::ok(&ProductStockReply {
        product_id,
        product: stock.product.as_ref(),
        count: stock.rows.len(),
        totals: Totals::of(&stock.rows)?,
        locations: &stock.rows,
        complete: stock.complete,
    })
}
