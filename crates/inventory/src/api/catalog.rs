//! Catalog reads: barcode look-up, categories and units.

use crate::domain::Barcode;
use crate::http::{self, ApiError};
use crate::App;
use lambda_http::{Body, Request, Response};
use serde_json::json;

/// The units products are sold in.
pub const UNITS: [&str; 7] = ["kg", "g", "l", "ml", "piece", "pack", "dozen"];

/// `GET /api/v1/inventory/barcode/{barcode}`
pub async fn lookup_barcode(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let barcode = http::path(req, "barcode", Barcode::parse)?;
    match app.db.product_by_barcode(&barcode).await? {
        Some(product) => http::ok(&product),
        None => Err(ApiError::not_found(
            "product_not_found",
            format!("no product has barcode {barcode}"),
        )),
    }
}

/// `GET /api/v1/inventory/categories`
pub async fn list_categories(app: &App) -> Result<Response<Body>, ApiError> {
    let categories = app.db.categories().await?;
    http::ok(&json!({ "count": categories.len(), "categories": categories }))
}

/// `GET /api/v1/inventory/units`
pub fn list_units() -> Result<Response<Body>, ApiError> {
    http::ok(&json!({ "count": UNITS.len(), "units": UNITS }))
}
