//! Orders over HTTP: checkout, read, list, and the status route (lifecycle steps and short
//! picks). Who may do which step is decided here, per step, on top of the route's permission.

use super::reservations::{reserve_request, LineBody};
use super::stock::idempotency_key;
use crate::auth::{Caller, Permission};
use crate::db::OrderQuery;
use crate::domain::fingerprint::sha256_hex;
use crate::domain::order::{
    OrderLine, ShortPick, StatusChange, DEFAULT_ORDER_EXPIRY_MINUTES, MAX_ORDER_LINES,
};
use crate::domain::time::millis;
use crate::domain::{
    CustomerId, IdempotencyKey, InvalidValue, Limit, Money, NextToken, Order, OrderId, OrderStatus,
    Outcome, ProductId, ReservationId, StoreId, Total,
};
use crate::http::{self, ApiError, FromRequest, Reply};
use crate::App;
use chrono::{DateTime, Utc};
use lambda_http::http::StatusCode;
use lambda_http::Request;
use serde::{Deserialize, Serialize};

/// An order as the API shows it: money as exact JSON numbers, and where it may go next.
#[derive(Serialize)]
pub struct OrderView<'a> {
    order_id: &'a OrderId,
    store_id: &'a StoreId,
    customer_id: &'a CustomerId,
    status: OrderStatus,
    allowed_next: &'static [OrderStatus],
    lines: Vec<LineView<'a>>,
    total_amount: Total,
    reservation_id: &'a ReservationId,
    #[serde(with = "millis")]
    reservation_expires_at: DateTime<Utc>,
    history: &'a [StatusChange],
    short_picks: Vec<ShortPickView<'a>>,
    #[serde(with = "millis")]
    created_at: DateTime<Utc>,
    #[serde(with = "millis")]
    updated_at: DateTime<Utc>,
}

#[derive(Serialize)]
struct LineView<'a> {
    product_id: &'a ProductId,
    quantity: i64,
    ordered_quantity: i64,
    unit_price: Money,
    line_total: Total,
}

#[derive(Serialize)]
struct ShortPickView<'a> {
    #[serde(with = "millis")]
    at: DateTime<Utc>,
    actor: &'a crate::domain::Actor,
    product_id: &'a ProductId,
    from_quantity: i64,
    to_quantity: i64,
    total_before: Total,
    total_after: Total,
}

impl<'a> OrderView<'a> {
    pub fn of(order: &'a Order) -> Self {
        Self {
            order_id: &order.order_id,
            store_id: &order.store_id,
            customer_id: &order.customer_id,
            status: order.status,
            allowed_next: order.status.next(),
            lines: order.lines.iter().map(line_view).collect(),
            total_amount: order.total_amount,
            reservation_id: &order.reservation_id,
            reservation_expires_at: order.reservation_expires_at,
            history: &order.history,
            short_picks: order.short_picks.iter().map(pick_view).collect(),
            created_at: order.created_at,
            updated_at: order.updated_at,
        }
    }
}

fn line_view(line: &OrderLine) -> LineView<'_> {
    LineView {
        product_id: &line.product_id,
        quantity: line.quantity,
        ordered_quantity: line.ordered_quantity,
        unit_price: line.unit_price,
        line_total: Total::of([(line.unit_price, line.quantity)]).unwrap_or_default(),
    }
}

fn pick_view(pick: &ShortPick) -> ShortPickView<'_> {
    ShortPickView {
        at: pick.at,
        actor: &pick.actor,
        product_id: &pick.product_id,
        from_quantity: pick.from_quantity,
        to_quantity: pick.to_quantity,
        total_before: pick.total_before,
        total_after: pick.total_after,
    }
}

/// `POST /api/v1/orders`
pub struct CreateOrder {
    body: CreateOrderBody,
    idempotency_key: Option<IdempotencyKey>,
}

/// No price field: prices come from the rows, and an unknown field is refused (400).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateOrderBody {
    order_id: Option<OrderId>,
    store_id: StoreId,
    customer_id: Option<CustomerId>,
    items: Vec<LineBody>,
    expires_in_minutes: Option<i64>,
}

impl FromRequest for CreateOrder {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        Ok(Self {
            idempotency_key: idempotency_key(req)?,
            body: http::json_body(req)?,
        })
    }
}

/// Checkout: 201 with the `PENDING` order the first time, 200 with the same order on a retry
/// (same `order_id`, or same `Idempotency-Key` from the same caller).
pub async fn create_order(app: &App, caller: &Caller, cmd: CreateOrder) -> Result<Reply, ApiError> {
    let body = cmd.body;
    let customer_id = match (caller.own_customer()?, body.customer_id) {
        (Some(me), None) => me,
        (Some(me), Some(named)) if named == me => me,
        (Some(_), Some(_)) => {
            return Err(ApiError::Forbidden(
                "customers may place orders only for themselves".into(),
            ))
        }
        (None, Some(named)) => named,
        (None, None) => {
            return Err(InvalidValue::new(
                "customer_id",
                "is required unless the caller is the customer",
            )
            .into())
        }
    };
    caller.require_store(&body.store_id)?;
    let order_id = match (body.order_id, cmd.idempotency_key) {
        (Some(id), _) => id,
        // The same caller's same key names the same order, so a retry finds it.
        (None, Some(key)) => OrderId::parse(format!(
            "ord-{}",
            &sha256_hex(format!("{}\n{}", caller.actor(), key).as_bytes())[..40]
        ))?,
        (None, None) => OrderId::parse(format!("ord-{}", uuid::Uuid::now_v7().simple()))?,
    };
    let request = reserve_request(
        body.store_id,
        order_id,
        body.items,
        Some(
            body.expires_in_minutes
                .unwrap_or(DEFAULT_ORDER_EXPIRY_MINUTES),
        ),
    )?;
    if request.lines.len() > MAX_ORDER_LINES {
        return Err(InvalidValue::new(
            "items",
            format!("must name at most {MAX_ORDER_LINES} distinct products"),
        )
        .into());
    }
    let (order, outcome) = app
        .db
        .create_order(&request, &customer_id, &caller.actor(), app.now())
        .await?;
    let status = if outcome == Outcome::Done {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Reply::with_status(status, &OrderView::of(&order))
}

/// A path naming one order: `/orders/{order_id}...`.
pub struct OrderPath {
    id: OrderId,
}

impl FromRequest for OrderPath {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        Ok(Self {
            id: http::path(req, "order_id", OrderId::parse)?,
        })
    }
}

fn order_not_found(id: &OrderId) -> ApiError {
    ApiError::not_found("order_not_found", format!("no order {id}"))
}

/// The order, if the caller may see it. A customer gets the same 404 for another customer's
/// order as for one that does not exist; a store-scoped caller gets 403 for both another
/// store's order and a missing one (as for reservations), so ids reveal nothing.
async fn load_for(app: &App, caller: &Caller, id: &OrderId) -> Result<Order, ApiError> {
    let order = app.db.order(id).await?;
    match (caller.own_customer()?, order) {
        (Some(me), Some(order)) if order.customer_id == me => Ok(order),
        (Some(_), _) => Err(order_not_found(id)),
        (None, Some(order)) => {
            caller.require_store(&order.store_id)?;
            Ok(order)
        }
        (None, None) => {
            caller.require_store_of_missing()?;
            Err(order_not_found(id))
        }
    }
}

/// `GET /api/v1/orders/{order_id}`
pub async fn get_order(app: &App, caller: &Caller, path: OrderPath) -> Result<Reply, ApiError> {
    let order = load_for(app, caller, &path.id).await?;
    let order = app.db.settle_order(order, app.now()).await?;
    Reply::ok(&OrderView::of(&order))
}

/// `POST /api/v1/orders/{order_id}/status`: `{"status": ...}` moves the order one step;
/// `{"short_pick": {"product_id": ..., "quantity": n}}` reduces one line to `n` units.
pub struct ChangeOrderStatus {
    id: OrderId,
    change: OrderChange,
}

enum OrderChange {
    Step(OrderStatus),
    ShortPick {
        product_id: ProductId,
        quantity: i64,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeBody {
    status: Option<OrderStatus>,
    short_pick: Option<ShortPickBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShortPickBody {
    product_id: ProductId,
    quantity: i64,
}

impl FromRequest for ChangeOrderStatus {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        let id = http::path(req, "order_id", OrderId::parse)?;
        let body: ChangeBody = http::json_body(req)?;
        let change = match (body.status, body.short_pick) {
            (Some(status), None) => OrderChange::Step(status),
            (None, Some(pick)) => {
                if !(0..=crate::domain::MAX_UNITS).contains(&pick.quantity) {
                    return Err(InvalidValue::new(
                        "short_pick.quantity",
                        "must be a whole number from 0 to 1000000",
                    )
                    .into());
                }
                OrderChange::ShortPick {
                    product_id: pick.product_id,
                    quantity: pick.quantity,
                }
            }
            _ => {
                return Err(InvalidValue::new(
                    "body",
                    "must have either status or short_pick, not both",
                )
                .into())
            }
        };
        Ok(Self { id, change })
    }
}

pub async fn change_order_status(
    app: &App,
    caller: &Caller,
    cmd: ChangeOrderStatus,
) -> Result<Reply, ApiError> {
    let order = load_for(app, caller, &cmd.id).await?;
    let (order, _) = match cmd.change {
        OrderChange::Step(to) => {
            let needs = match to {
                OrderStatus::Confirmed => Permission::ConfirmOrder,
                OrderStatus::Cancelled => Permission::CancelOrder,
                _ => Permission::FulfilOrder,
            };
            caller.require_for(needs, &order.store_id)?;
            app.db
                .step_order(order, to, &caller.actor(), app.now())
                .await?
        }
        OrderChange::ShortPick {
            product_id,
            quantity,
        } => {
            caller.require_for(Permission::FulfilOrder, &order.store_id)?;
            app.db
                .short_pick(order, &product_id, quantity, &caller.actor(), app.now())
                .await?
        }
    };
    Reply::ok(&OrderView::of(&order))
}

/// `GET /api/v1/orders?store_id&status&customer_id&limit&next_token`: newest first.
pub struct ListOrders {
    store_id: Option<StoreId>,
    status: Option<OrderStatus>,
    customer_id: Option<CustomerId>,
    limit: Limit,
    start: Option<NextToken>,
}

impl FromRequest for ListOrders {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        Ok(Self {
            store_id: http::optional_query(req, "store_id", StoreId::parse)?,
            status: http::optional_query(req, "status", |s| OrderStatus::parse(&s))?,
            customer_id: http::optional_query(req, "customer_id", CustomerId::parse)?,
            limit: Limit::parse(http::query(req, "limit").as_deref())?,
            start: http::optional_query(req, "next_token", |t| NextToken::parse(&t))?,
        })
    }
}

#[derive(Serialize)]
struct Orders<'a> {
    count: usize,
    orders: Vec<OrderView<'a>>,
    next_token: Option<String>,
}

pub async fn list_orders(app: &App, caller: &Caller, cmd: ListOrders) -> Result<Reply, ApiError> {
    let query = match (caller.own_customer()?, cmd.customer_id, cmd.store_id) {
        (Some(me), named, store_id) => {
            if named.is_some_and(|n| n != me) {
                return Err(ApiError::Forbidden(
                    "customers may list only their own orders".into(),
                ));
            }
            OrderQuery::Customer {
                customer_id: me,
                store_id,
                status: cmd.status,
            }
        }
        (None, Some(customer_id), store_id) => {
            match &store_id {
                Some(store) => caller.require_store(store)?,
                // Across stores: only for callers that cover every store.
                None => caller.require_every_store()?,
            }
            OrderQuery::Customer {
                customer_id,
                store_id,
                status: cmd.status,
            }
        }
        (None, None, Some(store_id)) => {
            caller.require_store(&store_id)?;
            match cmd.status {
                Some(status) => OrderQuery::StoreStatus { store_id, status },
                None => OrderQuery::Store { store_id },
            }
        }
        (None, None, None) => {
            return Err(InvalidValue::new(
                "store_id",
                "is required (or customer_id) to list orders",
            )
            .into())
        }
    };
    if let Some(token) = &cmd.start {
        query.check_cursor(token)?;
    }
    let (orders, next) = app
        .db
        .list_orders(&query, cmd.limit.get(), cmd.start, app.now())
        .await?;
    Reply::ok(&Orders {
        count: orders.len(),
        orders: orders.iter().map(OrderView::of).collect(),
        next_token: next.map(|t| t.encode()),
    })
}
