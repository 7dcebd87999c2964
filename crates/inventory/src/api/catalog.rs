//! Catalog reads: barcode look-up, categories and units; and the `$default` route.

use crate::auth::Caller;
use crate::domain::Barcode;
use crate::http::{self, ApiError, Cache, FromRequest, Reply};
use crate::App;
use lambda_http::Request;
use serde_json::json;
use std::time::Duration;

pub use crate::domain::UNITS;

/// How stale the category list may be. Categories change when the catalog does, rarely; the
/// list is read from the catalog at most once per this long per container, not on every call.
pub const CATEGORIES_MAX_AGE: Duration = Duration::from_secs(300);

/// The catalog's answers may be kept by shared caches this long.
const CATALOG_CACHE: Cache = Cache::Public { max_age: 300 };

/// `GET /api/v1/inventory/barcode/{barcode}`
pub struct LookupBarcode {
    barcode: Barcode,
}

impl FromRequest for LookupBarcode {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        Ok(Self {
            barcode: http::path(req, "barcode", Barcode::parse)?,
        })
    }
}

pub async fn lookup_barcode(
    app: &App,
    _caller: &Caller,
    cmd: LookupBarcode,
) -> Result<Reply, ApiError> {
    match app.db.product_by_barcode(&cmd.barcode).await? {
        Some(product) => Ok(Reply::ok(&product)?.cached(CATALOG_CACHE)),
        None => Err(ApiError::not_found(
            "product_not_found",
            format!("no product has barcode {}", cmd.barcode),
        )),
    }
}

/// `GET /api/v1/inventory/categories`
pub async fn list_categories(app: &App, _caller: &Caller, _cmd: ()) -> Result<Reply, ApiError> {
    let categories = app.db.categories(CATEGORIES_MAX_AGE).await?;
    Ok(
        Reply::ok(&json!({ "count": categories.len(), "categories": categories }))?
            .cached(CATALOG_CACHE),
    )
}

/// `GET /api/v1/inventory/units`
pub async fn list_units(_app: &App, _caller: &Caller, _cmd: ()) -> Result<Reply, ApiError> {
    Ok(Reply::ok(&json!({ "count": UNITS.len(), "units": UNITS }))?.cached(CATALOG_CACHE))
}

/// A request no route matched.
pub struct NoRoute {
    method: String,
    path: String,
}

impl FromRequest for NoRoute {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        Ok(Self {
            method: req.method().to_string(),
            path: req.uri().path().to_owned(),
        })
    }
}

pub async fn route_not_found(
    _app: &App,
    _caller: &Caller,
    cmd: NoRoute,
) -> Result<Reply, ApiError> {
    Err(ApiError::NoRoute {
        method: cmd.method,
        path: cmd.path,
    })
}
