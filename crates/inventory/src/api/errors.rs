//! Where the lower layers' errors become [`ApiError`]s: one mapping per layer, here only.

use crate::auth::AuthError;
use crate::db::{DbError, ReservationError};
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
            err @ ReservationError::Inconsistent(_) => Self::Internal(Box::new(err)),
            ReservationError::Db(err) => err.into(),
        }
    }
}
