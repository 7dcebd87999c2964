//! The HTTP endpoints: one Lambda each, named as in template.yaml and functions/.

use super::{problem_response, ApiError};
use crate::{api, App};
use lambda_http::{Body, Request, Response};

/// Every HTTP endpoint of the service. The routes themselves (method and path) live in
/// template.yaml; this enum ties a function name there to the code that serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    ListProducts,
    GetProduct,
    SearchProducts,
    UpdateStock,
    CheckAvailability,
    LowStock,
    LookupBarcode,
    StockSummary,
    ListCategories,
    ListUnits,
    RouteNotFound,
}

impl Endpoint {
    pub const ALL: [Endpoint; 11] = [
        Self::ListProducts,
        Self::GetProduct,
        Self::SearchProducts,
        Self::UpdateStock,
        Self::CheckAvailability,
        Self::LowStock,
        Self::LookupBarcode,
        Self::StockSummary,
        Self::ListCategories,
        Self::ListUnits,
        Self::RouteNotFound,
    ];

    /// The function's name: its folder under functions/, its binary and its SAM `Binary`.
    pub fn function_name(self) -> &'static str {
        match self {
            Self::ListProducts => "list-products",
            Self::GetProduct => "get-product",
            Self::SearchProducts => "search-products",
            Self::UpdateStock => "update-stock",
            Self::CheckAvailability => "check-availability",
            Self::LowStock => "low-stock",
            Self::LookupBarcode => "lookup-barcode",
            Self::StockSummary => "stock-summary",
            Self::ListCategories => "list-categories",
            Self::ListUnits => "list-units",
            Self::RouteNotFound => "route-not-found",
        }
    }

    pub fn from_function_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.function_name() == name)
    }

    /// Serves one request. Never fails: every error becomes a problem response here.
    pub async fn handle(self, app: &App, req: Request) -> Response<Body> {
        let result = match self {
            Self::ListProducts => api::list_products(app, &req).await,
            Self::GetProduct => api::get_product(app, &req).await,
            Self::SearchProducts => api::search_products(app, &req).await,
            Self::UpdateStock => api::update_stock(app, &req).await,
            Self::CheckAvailability => api::check_availability(app, &req).await,
            Self::LowStock => api::low_stock(app, &req).await,
            Self::LookupBarcode => api::lookup_barcode(app, &req).await,
            Self::StockSummary => api::stock_summary(app, &req).await,
            Self::ListCategories => api::list_categories(app).await,
            Self::ListUnits => api::list_units(),
            Self::RouteNotFound => Err(ApiError::NoRoute {
                method: req.method().to_string(),
                path: req.uri().path().to_owned(),
            }),
        };
        result.unwrap_or_else(|err| problem_response(&err))
    }

    /// The Lambda entry point: init once, then serve events until the runtime stops.
    ///
    /// # Errors
    /// Only when init fails (missing configuration) or the runtime itself fails.
    pub async fn run_lambda(self) -> Result<(), lambda_http::Error> {
        crate::telemetry::init();
        let app = App::from_env().await?;
        let app = &app;
        lambda_http::run(lambda_http::service_fn(move |req| async move {
            Ok::<_, std::convert::Infallible>(self.handle(app, req).await)
        }))
        .await
    }
}
