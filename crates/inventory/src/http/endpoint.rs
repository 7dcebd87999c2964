//! The HTTP endpoints: one Lambda each, named as in template.yaml and functions/.

use super::{problem_response, ApiError};
use crate::auth::{Access, Caller, Permission};
use crate::{api, App};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use std::collections::HashMap;

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

    /// What the endpoint needs from its caller. The storefront's reads are public.
    pub fn access(self) -> Access {
        use Permission::{ChangeStock, Complete, ReadBackOffice, Release, Reserve};
        match self {
            Self::ListProducts
            | Self::GetProduct
            | Self::SearchProducts
            | Self::CheckAvailability
            | Self::LookupBarcode
            | Self::ListCategories
            | Self::ListUnits
            | Self::RouteNotFound => Access::Public,
            Self::UpdateStock | Self::AdjustStock => Access::Requires(ChangeStock),
            Self::LowStock
            | Self::StockSummary
            | Self::StockHistory
            | Self::ListReservations
            | Self::GetReservation
            | Self::ListExpiredReservations => Access::Requires(ReadBackOffice),
            Self::ReserveStock => Access::Requires(Reserve),
            Self::ReleaseStock | Self::ReleaseReservation => Access::Requires(Release),
            Self::CompleteReservation => Access::Requires(Complete),
        }
    }

    pub fn from_function_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.function_name() == name)
    }

    /// Serves one request. Never fails: every error becomes a problem response here.
    pub async fn handle(self, app: &App, req: Request) -> Response<Body> {
        let caller = match Caller::admit(self.access(), jwt_claims(&req)) {
            Ok(caller) => caller,
            Err(err) => return problem_response(&err),
        };
        let result = self.dispatch(app, &req, &caller).await;
        result.unwrap_or_else(|err| problem_response(&err))
    }

    async fn dispatch(
        self,
        app: &App,
        req: &Request,
        caller: &Caller,
    ) -> Result<Response<Body>, ApiError> {
        match self {
            Self::ListProducts => api::list_products(app, req).await,
            Self::GetProduct => api::get_product(app, req).await,
            Self::SearchProducts => api::search_products(app, req).await,
            Self::UpdateStock => api::update_stock(app, req, caller).await,
            Self::CheckAvailability => api::check_availability(app, req).await,
            Self::LowStock => api::low_stock(app, req, caller).await,
            Self::LookupBarcode => api::lookup_barcode(app, req).await,
            Self::StockSummary => api::stock_summary(app, req, caller).await,
            Self::ListCategories => api::list_categories(app).await,
            Self::ListUnits => api::list_units(),
            Self::AdjustStock => api::adjust_stock(app, req, caller).await,
            Self::StockHistory => api::stock_history(app, req, caller).await,
            Self::ReserveStock => api::reserve_stock(app, req, caller).await,
            Self::ReleaseStock => api::release_stock(app, req, caller).await,
            Self::ListReservations => api::list_reservations(app, req, caller).await,
            Self::GetReservation => api::get_reservation(app, req, caller).await,
            Self::ListExpiredReservations => api::list_expired_reservations(app, req, caller).await,
            Self::CompleteReservation => api::complete_reservation(app, req, caller).await,
            Self::ReleaseReservation => api::release_reservation(app, req, caller).await,
            Self::RouteNotFound => Err(ApiError::NoRoute {
                method: req.method().to_string(),
                path: req.uri().path().to_owned(),
            }),
        }
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

/// The JWT authorizer's claims, when API Gateway (or the local gateway) validated a token.
fn jwt_claims(req: &Request) -> Option<&HashMap<String, String>> {
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => context
            .authorizer
            .as_ref()?
            .jwt
            .as_ref()
            .map(|jwt| &jwt.claims),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}
