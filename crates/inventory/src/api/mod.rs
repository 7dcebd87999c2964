//! The endpoints' logic, one function each: parse the request into domain values, make one
//! repository call, shape the response. Routes and function names are in `http::Endpoint`.

mod catalog;
mod ledger;
mod listing;
mod reservations;
mod stock;

pub use catalog::{list_categories, list_units, lookup_barcode, UNITS};
pub use ledger::{adjust_stock, stock_history};
pub use listing::{list_products, low_stock, search_products, stock_summary};
pub use reservations::{
    complete_reservation, get_reservation, list_expired_reservations, list_reservations,
    release_reservation, release_stock, reserve_request, reserve_stock, LineBody,
};
pub use stock::{check_availability, get_product, update_stock};

use crate::domain::StoreId;
use crate::http::ApiError;
use crate::App;

/// 404 for a store with no inventory at all: the service has no other record of stores.
async fn require_store(app: &App, store_id: &StoreId) -> Result<(), ApiError> {
    if app.db.store_exists(store_id).await? {
        Ok(())
    } else {
        Err(ApiError::not_found(
            "store_not_found",
            format!("store {store_id} has no inventory"),
        ))
    }
}
