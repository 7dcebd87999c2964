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
    AdjustStock,
    StockHistory,
    ReserveStock,
    ReleaseStock,
    ListReservations,
    GetReservation,
    ListExpiredReservations,
    CompleteReservation,
    ReleaseReservation,
    RouteNotFound,
}

impl Endpoint {
    pub const ALL: [Endpoint; 20] = [
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
        Self::AdjustStock,
        Self::StockHistory,
        Self::ReserveStock,
        Self::ReleaseStock,
        Self::ListReservations,
        Self::GetReservation,
        Self::ListExpiredReservations,
        Self::CompleteReservation,
        Self::ReleaseReservation,
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
            Self::AdjustStock => "adjust-stock",
            Self::StockHistory => "stock-history",
            Self::ReserveStock => "reserve-stock",
            Self::ReleaseStock => "release-stock",
            Self::ListReservations => "list-reservations",
            Self::GetReservation => "get-reservation",
            Self::ListExpiredReservations => "list-expired-reservations",
            Self::CompleteReservation => "complete-reservation",
            Self::ReleaseReservation => "release-reservation",
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
            Self::AdjustStock => api::adjust_stock(app, &req).await,
            Self::StockHistory => api::stock_history(app, &req).await,
            Self::ReserveStock => api::reserve_stock(app, &req).await,
            Self::ReleaseStock => api::release_stock(app, &req).await,
            Self::ListReservations => api::list_reservations(app, &req).await,
            Self::GetReservation => api::get_reservation(app, &req).await,
            Self::ListExpiredReservations => api::list_expired_reservations(app, &req).await,
            Self::CompleteReservation => api::complete_reservation(app, &req).await,
            Self::ReleaseReservation => api::release_reservation(app, &req).await,
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
