//! Catalog writes and reads by id: `POST /api/v1/products`, `GET` and `PUT /api/v1/products/{id}`.

use crate::auth::Caller;
use crate::db::{CatalogWrite, ProductFields};
use crate::domain::{
    Barcode, Brand, Category, Description, ImageUrl, InvalidValue, Money, ProductId, ProductName,
    Unit,
};
use crate::http::{self, ApiError, Cache, FromRequest, Reply};
use crate::App;
use lambda_http::http::StatusCode;
use lambda_http::Request;
use serde::Deserialize;
use serde_json::json;

/// The catalog's answers may be kept by shared caches briefly: a product changes rarely.
const PRODUCT_CACHE: Cache = Cache::Public { max_age: 60 };

/// The body of a create or a replace: every field parses into its domain type here, once.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductBody {
    #[serde(default)]
    product_id: Option<ProductId>,
    name: ProductName,
    brand: Option<Brand>,
    barcode: Option<Barcode>,
    mrp: Option<Money>,
    category: Option<Category>,
    unit: Option<Unit>,
    description: Option<Description>,
    image_url: Option<ImageUrl>,
}

impl ProductBody {
    fn fields(self) -> (Option<ProductId>, ProductFields) {
        (
            self.product_id,
            ProductFields {
                name: self.name,
                brand: self.brand,
                barcode: self.barcode,
                mrp: self.mrp,
                category: self.category,
                unit: self.unit,
                description: self.description,
                image_url: self.image_url,
            },
        )
    }
}

fn product_id(req: &Request) -> Result<ProductId, ApiError> {
    http::path(req, "product_id", ProductId::parse)
}

/// A written product and how many inventory rows got its copied fields. Flattened, not built
/// through `serde_json::Value`, so money keeps its exact text (`56.50`).
#[derive(serde::Serialize)]
struct Written<'a> {
    #[serde(flatten)]
    product: &'a crate::db::Product,
    inventory_rows_updated: usize,
}

fn answer(
    result: CatalogWrite,
    product_id: &ProductId,
    status: StatusCode,
) -> Result<Reply, ApiError> {
    match result {
        CatalogWrite::Written {
            product,
            rows_updated,
        } => Reply::with_status(
            status,
            &Written {
                product: &product,
                inventory_rows_updated: rows_updated,
            },
        ),
        CatalogWrite::ProductExists => Err(ApiError::conflict(
            "product_exists",
            format!("product {product_id} already exists"),
            json!({ "product_id": product_id }),
        )),
        CatalogWrite::ProductMissing => Err(ApiError::not_found(
            "product_not_found",
            format!("no product has id {product_id}"),
        )),
        CatalogWrite::BarcodeTaken { owner } => Err(ApiError::conflict(
            "barcode_taken",
            format!("the barcode belongs to product {owner}"),
            json!({ "owner_product_id": owner }),
        )),
        CatalogWrite::Contended => Err(ApiError::Contended),
    }
}

/// `POST /api/v1/products`
pub struct CreateProduct(ProductBody);

impl FromRequest for CreateProduct {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        http::json_body(req).map(Self)
    }
}

pub async fn create_product(
    app: &App,
    _caller: &Caller,
    cmd: CreateProduct,
) -> Result<Reply, ApiError> {
    let (id, fields) = cmd.0.fields();
    let id = match id {
        Some(id) => id,
        None => ProductId::parse(format!("prd-{}", uuid::Uuid::now_v7().simple()))?,
    };
    let result = app.db.create_product(&id, &fields, app.now()).await?;
    answer(result, &id, StatusCode::CREATED)
}

/// `PUT /api/v1/products/{product_id}`: replaces every editable field (absent ones are removed).
pub struct UpdateProduct {
    product_id: ProductId,
    body: ProductBody,
}

impl FromRequest for UpdateProduct {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        let product_id = product_id(req)?;
        let body: ProductBody = http::json_body(req)?;
        if body.product_id.as_ref().is_some_and(|id| *id != product_id) {
            return Err(InvalidValue::new(
                "product_id",
                "in the body must match the path (or be left out)",
            )
            .into());
        }
        Ok(Self { product_id, body })
    }
}

pub async fn update_product(
    app: &App,
    _caller: &Caller,
    cmd: UpdateProduct,
) -> Result<Reply, ApiError> {
    let (_, fields) = cmd.body.fields();
    let result = app
        .db
        .update_product(&cmd.product_id, &fields, app.now())
        .await?;
    answer(result, &cmd.product_id, StatusCode::OK)
}

/// `GET /api/v1/products/{product_id}`
pub struct GetCatalogProduct {
    product_id: ProductId,
}

impl FromRequest for GetCatalogProduct {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        Ok(Self {
            product_id: product_id(req)?,
        })
    }
}

pub async fn get_catalog_product(
    app: &App,
    _caller: &Caller,
    cmd: GetCatalogProduct,
) -> Result<Reply, ApiError> {
    match app.db.product(&cmd.product_id).await? {
        Some(product) => Ok(Reply::ok(&product)?.cached(PRODUCT_CACHE)),
        None => Err(ApiError::not_found(
            "product_not_found",
            format!("no product has id {}", cmd.product_id),
        )),
    }
}
