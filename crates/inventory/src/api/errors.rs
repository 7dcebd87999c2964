//! Where the lower layers' errors become [`ApiError`]s: one mapping per layer, here only.

use crate::auth::AuthError;
use crate::db::{DbError, OrderError, ReservationError};
use crate::domain::Order;
use crate::http::ApiError;

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Unauthenticated(why) => Self::Unauthenticated(why.to_owned()),
            AuthError::Forbidden(why) => Self::Forbidden(why.to_owned()),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        if err.is_throttling() {
            Self::Busy(Box::new(err))
        } else {
            Self::Internal(Box::new(err))
        }
    }
}

impl From<ReservationError> for ApiError {
    fn from(err: ReservationError) -> Self {
        match err {
            ReservationError::NotFound => Self::not_found("reservation_not_found", "no such reservation"),
            ReservationError::UnknownProducts(products) => Self::NotFound {
                code: "inventory_item_not_found",
                detail: format!(
                    "the store does not stock {}",
                    products.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
                ),
            },
            ReservationError::Short(lines) => Self::conflict(
                "insufficient_stock",
                format!("{} of the order's lines cannot be had; nothing was reserved", lines.len()),
                serde_json::json!({ "lines": lines }),
            ),
            ReservationError::IdempotencyMismatch { reservation_id } => Self::conflict(
                "idempotency_mismatch",
                "this order was already reserved with a different request; use a new order_id or repeat the original",
                serde_json::json!({ "reservation_id": reservation_id }),
            ),
            ReservationError::NotActive(reservation) => Self::conflict(
                "reservation_not_active",
                format!("reservation {} is {}", reservation.reservation_id, reservation.status.as_str()),
                serde_json::json!({
                    "reservation_id": reservation.reservation_id,
                    "reservation_status": reservation.status,
                }),
            ),
            ReservationError::Contended => Self::Contended,
            ReservationError::LocationInactive(store_id) => super::location_inactive(&store_id),
            ReservationError::UnreadableRows(products) => Self::conflict(
                "inventory_row_unreadable",
                "the stored stock of some lines is not a whole number; correct those rows first",
                serde_json::json!({ "product_ids": products }),
            ),
            // An order's own guard surfaces as `OrderError`; here it can only be a bug.
            err @ ReservationError::GuardFailed { .. } => Self::Internal(Box::new(err)),
            err @ ReservationError::Inconsistent(_) => Self::Internal(Box::new(err)),
            ReservationError::Db(err) => err.into(),
        }
    }
}

/// The state a refused order step answers with: where the order is and where it may go.
fn order_state(order: &Order) -> serde_json::Value {
    serde_json::json!({
        "order_id": order.order_id,
        "current_status": order.status,
        "allowed_next": order.status.next(),
    })
}

impl From<OrderError> for ApiError {
    fn from(err: OrderError) -> Self {
        match err {
            OrderError::NotFound => Self::not_found("order_not_found", "no such order"),
            OrderError::Illegal(order) => Self::conflict(
                "illegal_transition",
                format!(
                    "order {} is {}; it may go to {}",
                    order.order_id,
                    order.status.as_str(),
                    allowed(&order)
                ),
                order_state(&order),
            ),
            OrderError::Changed(order) => Self::conflict(
                "order_changed",
                format!(
                    "order {} was changed by another request and is now {}; nothing was written",
                    order.order_id,
                    order.status.as_str()
                ),
                order_state(&order),
            ),
            OrderError::IdempotencyMismatch(order_id) => Self::conflict(
                "idempotency_mismatch",
                "this order id (or idempotency key) was already used for a different order; use a new one or repeat the original",
                serde_json::json!({ "order_id": order_id }),
            ),
            OrderError::Unpriced(products) => Self::conflict(
                "product_not_priced",
                format!(
                    "the store has no selling price for {}; nothing was reserved",
                    products.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
                ),
                serde_json::json!({ "products": products }),
            ),
            OrderError::ShortPick(invalid) => Self::Invalid(invalid),
            OrderError::Reservation(err) => err.into(),
            OrderError::Db(err) => err.into(),
        }
    }
}

fn allowed(order: &Order) -> String {
    let next = order.status.next();
    if next.is_empty() {
        "no other status".to_owned()
    } else {
        next.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" or ")
    }
}
