//! Reservations over HTTP: reserve, read, complete and release.

use crate::auth::Caller;
use crate::db::check_reservations_cursor;
use crate::domain::{
    InvalidValue, Limit, NextToken, OrderId, Outcome, ProductId, Quantity, Reservation,
    ReservationId, ReservationStatus, ReserveRequest, StoreId,
};
use crate::http::{self, ApiError, FromRequest, Reply};
use crate::App;
use lambda_http::http::StatusCode;
use lambda_http::Request;
use serde::{Deserialize, Serialize};

/// The most lines a request body may carry before summing; the distinct-product limit is
/// enforced on the summed lines.
const MAX_RAW_LINES: usize = 500;

/// One cart line, as the HTTP routes and the order Lambda send it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineBody {
    pub product_id: ProductId,
    pub quantity: Quantity,
}

/// Validates an order's lines into a [`ReserveRequest`].
///
/// # Errors
/// Too many lines, a summed quantity out of range, or an expiry out of range.
pub fn reserve_request(
    store_id: StoreId,
    order_id: OrderId,
    items: Vec<LineBody>,
    expires_in_minutes: Option<i64>,
) -> Result<ReserveRequest, InvalidValue> {
    if items.len() > MAX_RAW_LINES {
        return Err(InvalidValue::new(
            "items",
            format!("must have at most {MAX_RAW_LINES} lines"),
        ));
    }
    ReserveRequest::new(
        store_id,
        order_id,
        items
            .into_iter()
            .map(|l| (l.product_id, l.quantity))
            .collect(),
        expires_in_minutes,
    )
}

/// `POST /api/v1/inventory/reserve`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReserveStock {
    store_id: StoreId,
    order_id: OrderId,
    items: Vec<LineBody>,
    expires_in_minutes: Option<i64>,
}

impl FromRequest for ReserveStock {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        http::json_body(req)
    }
}

/// All lines or none; 201 the first time, 200 with the same reservation when the same order is
/// sent again.
pub async fn reserve_stock(
    app: &App,
    caller: &Caller,
    body: ReserveStock,
) -> Result<Reply, ApiError> {
    caller.require_store(&body.store_id)?;
    tracing::Span::current().record("order_id", body.order_id.as_str());
    let request = reserve_request(
        body.store_id,
        body.order_id,
        body.items,
        body.expires_in_minutes,
    )?;
    let (reservation, outcome) = app
        .db
        .reserve(&request, &caller.actor(), app.clock.now())
        .await?;
    let status = if outcome == Outcome::Done {
        StatusCode::CREATED
    } else {
        super::count_replay(app);
        StatusCode::OK
    };
    Reply::with_status(status, &reservation)
}

/// `POST /api/v1/inventory/release`: by `reservation_id`, or by `store_id` and `order_id`.
pub enum ReleaseStock {
    ById(ReservationId),
    ByOrder {
        store_id: StoreId,
        order_id: OrderId,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReleaseBody {
    reservation_id: Option<ReservationId>,
    store_id: Option<StoreId>,
    order_id: Option<OrderId>,
}

impl FromRequest for ReleaseStock {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        let body: ReleaseBody = http::json_body(req)?;
        match (body.reservation_id, body.store_id, body.order_id) {
            (Some(id), None, None) => Ok(Self::ById(id)),
            (None, Some(store_id), Some(order_id)) => Ok(Self::ByOrder { store_id, order_id }),
            _ => Err(InvalidValue::new(
                "body",
                "must have either reservation_id, or store_id with order_id",
            )
            .into()),
        }
    }
}

pub async fn release_stock(
    app: &App,
    caller: &Caller,
    cmd: ReleaseStock,
) -> Result<Reply, ApiError> {
    let reservation = match cmd {
        ReleaseStock::ById(id) => load_for(app, caller, &id).await?,
        ReleaseStock::ByOrder { store_id, order_id } => {
            caller.require_store(&store_id)?;
            app.db
                .reservation_for_order(&store_id, &order_id)
                .await?
                .ok_or_else(|| {
                    ApiError::not_found(
                        "reservation_not_found",
                        format!("order {order_id} has no reservation in store {store_id}"),
                    )
                })?
        }
    };
    finish(app, caller, reservation, ReservationStatus::Released).await
}

/// The reservation, if the caller may see it. A store-scoped caller gets 403 both for another
/// store's reservation and for one that does not exist, so ids reveal nothing.
async fn load_for(app: &App, caller: &Caller, id: &ReservationId) -> Result<Reservation, ApiError> {
    match app.db.reservation(id).await? {
        Some(reservation) => {
            caller.require_store(&reservation.store_id)?;
            Ok(reservation)
        }
        None => {
            caller.require_store_of_missing()?;
            Err(ApiError::not_found(
                "reservation_not_found",
                format!("no reservation {id}"),
            ))
        }
    }
}

async fn finish(
    app: &App,
    caller: &Caller,
    reservation: Reservation,
    to: ReservationStatus,
) -> Result<Reply, ApiError> {
    let (reservation, _) = app
        .db
        .finish_reservation(reservation, to, &caller.actor(), app.clock.now())
        .await?;
    Reply::ok(&reservation)
}

/// A path naming one reservation: `/reservations/{reservation_id}/...`.
pub struct ReservationPath {
    id: ReservationId,
}

impl FromRequest for ReservationPath {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        Ok(Self {
            id: http::path(req, "reservation_id", ReservationId::parse)?,
        })
    }
}

/// `POST /api/v1/reservations/{reservation_id}/complete`: the order is confirmed; ship the units.
pub async fn complete_reservation(
    app: &App,
    caller: &Caller,
    path: ReservationPath,
) -> Result<Reply, ApiError> {
    let reservation = load_for(app, caller, &path.id).await?;
    finish(app, caller, reservation, ReservationStatus::Completed).await
}

/// `POST /api/v1/reservations/{reservation_id}/release`
pub async fn release_reservation(
    app: &App,
    caller: &Caller,
    path: ReservationPath,
) -> Result<Reply, ApiError> {
    let reservation = load_for(app, caller, &path.id).await?;
    finish(app, caller, reservation, ReservationStatus::Released).await
}

/// `GET /api/v1/reservations/{reservation_id}`
pub async fn get_reservation(
    app: &App,
    caller: &Caller,
    path: ReservationPath,
) -> Result<Reply, ApiError> {
    let reservation = load_for(app, caller, &path.id).await?;
    Reply::ok(&reservation.as_of(app.clock.now()))
}

#[derive(Serialize)]
struct Reservations {
    count: usize,
    reservations: Vec<Reservation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<Option<String>>,
}

/// `GET /api/v1/reservations?store_id&status&limit&next_token`: newest first.
pub struct ListReservations {
    store_id: StoreId,
    status: Option<ReservationStatus>,
    limit: Limit,
    start: Option<NextToken>,
}

impl FromRequest for ListReservations {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        let store_id = http::required_query(req, "store_id", StoreId::parse)?;
        let start = http::optional_query(req, "next_token", |t| NextToken::parse(&t))?;
        if let Some(token) = &start {
            check_reservations_cursor(&store_id, token)?;
        }
        Ok(Self {
            status: http::optional_query(req, "status", |s| ReservationStatus::parse(&s))?,
            limit: Limit::parse(http::query(req, "limit").as_deref())?,
            start,
            store_id,
        })
    }
}

pub async fn list_reservations(
    app: &App,
    caller: &Caller,
    cmd: ListReservations,
) -> Result<Reply, ApiError> {
    caller.require_store(&cmd.store_id)?;
    let (reservations, next) = app
        .db
        .list_reservations(
            &cmd.store_id,
            cmd.status,
            cmd.limit.get(),
            cmd.start,
            app.clock.now(),
        )
        .await?;
    Reply::ok(&Reservations {
        count: reservations.len(),
        reservations,
        next_token: Some(next.map(|t| t.encode())),
    })
}

/// `GET /api/v1/reservations/expired?limit`: reservations past their time that the sweeper has
/// not released yet (they already hold nothing for readers).
pub struct ListExpired {
    limit: Limit,
}

impl FromRequest for ListExpired {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        Ok(Self {
            limit: Limit::parse(http::query(req, "limit").as_deref())?,
        })
    }
}

pub async fn list_expired_reservations(
    app: &App,
    caller: &Caller,
    cmd: ListExpired,
) -> Result<Reply, ApiError> {
    caller.require_every_store()?;
    let reservations = app
        .db
        .due_reservations(app.clock.now(), cmd.limit.get())
        .await?;
    Reply::ok(&Reservations {
        count: reservations.len(),
        reservations,
        next_token: None,
    })
}
