//! The endpoint registry, declared once: each HTTP Lambda's function name, who may call it, and
//! the handler that serves it. Everything else is derived from this one table: the `Endpoint`
//! enum and its list, the function names the template and `functions/` must match, the access
//! table the authorization tests walk, and the sample events (`events/<function>.json`) the
//! tests replay. Routes (method and path) live in template.yaml, the single source of truth for
//! the deployment; a test fails when the two disagree.
//!
//! Every request runs the same way: the caller is admitted for the endpoint (401/403 before
//! anything is read), the whole request is parsed into the handler's typed command (400), and
//! the handler makes its repository call and shapes the reply.

use crate::api;
use crate::auth::jwt::Claims;
use crate::auth::{Access, Caller, Permission};
use crate::http::{self, problem_response, ApiError, FromRequest, Reply};
use crate::telemetry::metrics::Unit;
use crate::telemetry::{request_span, RequestIds};
use crate::App;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use tracing::Instrument;

macro_rules! endpoints {
    ($( $(#[$doc:meta])* $variant:ident => $function:literal, $access:expr, $handler:path; )*) => {
        /// Every HTTP endpoint of the service, one Lambda each.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Endpoint {
            $( $(#[$doc])* $variant, )*
        }

        impl Endpoint {
            /// Every endpoint, in declaration order.
            pub const ALL: &'static [Endpoint] = &[$( Self::$variant, )*];

            /// The function's name: its folder under functions/, its binary, its sample event.
            pub fn function_name(self) -> &'static str {
                match self { $( Self::$variant => $function, )* }
            }

            /// What the endpoint needs from its caller.
            pub fn access(self) -> Access {
                #[allow(unused_imports)]
                use Permission::*;
                match self { $( Self::$variant => $access, )* }
            }

            async fn dispatch(
                self,
                app: &App,
                caller: &Caller,
                req: &Request,
            ) -> Result<Reply, ApiError> {
                match self {
                    // Boxed: the handlers' futures together exceed the compiler's layout limit.
                    $( Self::$variant => {
                        Box::pin($handler(app, caller, FromRequest::from_request(req)?)).await
                    } )*
                }
            }
        }
    };
}

endpoints! {
    ListProducts => "list-products", Access::Public, api::list_products;
    GetProduct => "get-product", Access::Public, api::get_product;
    SearchProducts => "search-products", Access::Public, api::search_products;
    UpdateStock => "update-stock", Access::Requires(ChangeStock), api::update_stock;
    CheckAvailability => "check-availability", Access::Public, api::check_availability;
    LowStock => "low-stock", Access::Requires(ReadBackOffice), api::low_stock;
    LookupBarcode => "lookup-barcode", Access::Public, api::lookup_barcode;
    StockSummary => "stock-summary", Access::Requires(ReadBackOffice), api::stock_summary;
    ListCategories => "list-categories", Access::Public, api::list_categories;
    ListUnits => "list-units", Access::Public, api::list_units;
    AdjustStock => "adjust-stock", Access::Requires(ChangeStock), api::adjust_stock;
    StockHistory => "stock-history", Access::Requires(ReadBackOffice), api::stock_history;
    ReserveStock => "reserve-stock", Access::Requires(Reserve), api::reserve_stock;
    ReleaseStock => "release-stock", Access::Requires(Release), api::release_stock;
    ListReservations => "list-reservations", Access::Requires(ReadBackOffice), api::list_reservations;
    GetReservation => "get-reservation", Access::Requires(ReadBackOffice), api::get_reservation;
    ListExpiredReservations => "list-expired-reservations", Access::Requires(ReadBackOffice), api::list_expired_reservations;
    CompleteReservation => "complete-reservation", Access::Requires(Complete), api::complete_reservation;
    ReleaseReservation => "release-reservation", Access::Requires(Release), api::release_reservation;
    Health => "health", Access::Public, api::health;
    HealthReady => "health-ready", Access::Public, api::health_ready;
    CreateOrder => "create-order", Access::Requires(PlaceOrder), api::create_order;
    GetOrder => "get-order", Access::Requires(ReadOrders), api::get_order;
    ListOrders => "list-orders", Access::Requires(ReadOrders), api::list_orders;
    ChangeOrderStatus => "change-order-status", Access::Requires(ChangeOrder), api::change_order_status;
    ListLocations => "list-locations", Access::Requires(ReadBackOffice), api::list_locations;
    CreateLocation => "create-location", Access::Requires(Administer), api::create_location;
    GetLocation => "get-location", Access::Requires(ReadBackOffice), api::get_location;
    UpdateLocation => "update-location", Access::Requires(Administer), api::update_location;
    CreateInventory => "create-inventory", Access::Requires(ManageRecords), api::create_inventory;
    UpdateInventorySettings => "update-inventory-settings", Access::Requires(ManageRecords), api::update_inventory_settings;
    GetProductStock => "get-product-stock", Access::Requires(ReadBackOffice), api::get_product_stock;
    DeleteLocation => "delete-location", Access::Requires(Administer), api::delete_location;
    ListLocationsOfType => "list-locations-of-type", Access::Requires(ReadBackOffice), api::list_locations_of_type;
    CreateProduct => "create-product", Access::Requires(Administer), api::create_product;
    GetCatalogProduct => "get-catalog-product", Access::Public, api::get_catalog_product;
    UpdateProduct => "update-product", Access::Requires(Administer), api::update_product;
    ReorderSuggestions => "reorder-suggestions", Access::Requires(PlanPurchasing), api::reorder_suggestions;
    BulkUpdateStock => "bulk-update-stock", Access::Requires(ChangeStock), api::bulk_update_stock;
    /// The `$default` route: every request no other route matches.
    RouteNotFound => "route-not-found", Access::Public, api::route_not_found;
}

impl Endpoint {
    pub fn from_function_name(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|e| e.function_name() == name)
    }

    pub fn is_public(self) -> bool {
        self.access() == Access::Public
    }

    /// Serves one request. Never fails: every error becomes a problem response here. Every log
    /// line it writes carries the request's ids (see `telemetry::request_span`), and it ends with
    /// one line and one embedded-metrics document for the request.
    pub async fn handle(self, app: &App, req: Request) -> Response<Body> {
        let span = request_span(RequestIds::of_http(&req));
        self.serve(app, req).instrument(span).await
    }

    async fn serve(self, app: &App, req: Request) -> Response<Body> {
        let started = std::time::Instant::now();
        let before = app.db.meter().peek();
        let claims = self.claims(app, &req).await;
        let served = async {
            let caller = Caller::admit(self.access(), claims.as_ref())?;
            self.dispatch(app, &caller, &req).await
        };
        let (response, code) = match served.await {
            Ok(reply) => (reply.into_response(), None),
            Err(err) => (problem_response(&err), Some(err.code())),
        };
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        let status = response.status();
        // In Lambda a process serves one request at a time, so this is exactly this request's
        // work; the local gateway serves several at once, and there it is approximate.
        let usage = app.db.meter().peek().since(&before);
        tracing::info!(
            status = status.as_u16(),
            elapsed_ms,
            dynamodb_calls = usage.total_calls(),
            "request served"
        );
        let mut line = app
            .metrics
            .line()
            .dimension("Operation", self.function_name())
            .metric("Latency", elapsed_ms, Unit::Milliseconds)
            .metric("DynamoDbCalls", usage.total_calls() as f64, Unit::Count)
            .metric("ConsumedCapacity", usage.consumed_capacity, Unit::None);
        if status.is_server_error() {
            line = line.metric("ServerErrors", 1.0, Unit::Count);
        }
        if code == Some("insufficient_stock") {
            // A decrement or reservation refused for want of stock: oversell prevented.
            line = line.metric("RejectedDecrements", 1.0, Unit::Count);
        }
        line.emit();
        response
    }

    /// Who is calling: the claims API Gateway's authorizer checked, or, on a public route
    /// (which has no authorizer), a bearer token the function checks itself. A token that does
    /// not verify on a public route is ignored: the caller is the anonymous storefront.
    async fn claims(self, app: &App, req: &Request) -> Option<Claims> {
        if let Some(claims) = authorizer_claims(req) {
            return Some(claims.clone());
        }
        if !self.is_public() {
            return None;
        }
        let token = http::bearer_token(req)?;
        let verifier = app.verifier.as_deref()?;
        match verifier.verify(&token).await {
            Ok(claims) => Some(claims),
            Err(err) => {
                tracing::info!(error = %err, "bearer token on a public route not accepted; serving the storefront view");
                None
            }
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
fn authorizer_claims(req: &Request) -> Option<&Claims> {
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
