//! The endpoints' logic, one handler each: the request arrives parsed into a typed command
//! (`http::FromRequest`), the caller is checked against the store, one repository call serves
//! it, and the reply is shaped here. The registry in `endpoints` ties handlers to functions.

mod bulk;
mod catalog;
mod errors;
mod health;
mod ledger;
mod listing;
mod locations;
mod orders;
mod products;
mod records;
mod reorder;
mod reservations;
mod stock;
mod views;

pub use bulk::{bulk_update_stock, MAX_LINES as MAX_BULK_LINES};
pub use catalog::{list_categories, list_units, lookup_barcode, route_not_found, UNITS};
pub use health::{health, health_ready};
pub use ledger::{adjust_stock, stock_history};
pub use listing::{list_products, low_stock, search_products, stock_summary};
pub use locations::{
    create_location, delete_location, get_location, list_locations, list_locations_of_type,
    update_location,
};
pub use orders::{change_order_status, create_order, get_order, list_orders, OrderView};
pub use products::{create_product, get_catalog_product, update_product};
pub use records::{create_inventory, get_product_stock, update_inventory_settings};
pub use reorder::reorder_suggestions;
pub use reservations::{
    complete_reservation, get_reservation, list_expired_reservations, list_reservations,
    release_reservation, release_stock, reserve_request, reserve_stock, LineBody,
};
pub use stock::{check_availability, get_product, update_stock};
pub use views::{StorefrontRow, View};

use crate::domain::StoreId;
use crate::http::ApiError;
use crate::App;

/// 404 unless the store is known: a location (active or not), or, for stores from before
/// locations existed, a store with inventory rows. A known store with no rows lists as empty.
async fn require_store(app: &App, store_id: &StoreId) -> Result<(), ApiError> {
    if app.db.store_known(store_id).await? {
        Ok(())
    } else {
        Err(store_not_found(store_id))
    }
}

/// Counts a retry that changed nothing because the same request was already applied.
fn count_replay(app: &App) {
    app.metrics
        .line()
        .metric(
            "IdempotentReplays",
            1.0,
            crate::telemetry::metrics::Unit::Count,
        )
        .emit();
}

fn store_not_found(store_id: &StoreId) -> ApiError {
    ApiError::not_found(
        "store_not_found",
        format!("store {store_id} is not a location and has no inventory"),
    )
}

/// 409 for a stock change, reservation or new row at a deleted location.
fn location_inactive(store_id: &StoreId) -> ApiError {
    ApiError::conflict(
        "location_inactive",
        format!(
            "location {store_id} is inactive: it takes no stock changes, reservations or new rows"
        ),
        serde_json::json!({ "location_id": store_id, "active": false }),
    )
}
