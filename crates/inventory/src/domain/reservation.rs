//! Reservations as the business sees them: the request rules (what an order may ask for) and
//! the state machine (which transitions are allowed, and when a reservation counts as expired).
//! Pure: storage is in `db::reservations`.

use super::fingerprint::Fingerprint;
use super::time::millis;
use super::{InvalidValue, OrderId, ProductId, Quantity, ReservationId, StoreId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The most distinct products one order may reserve: each line takes two of a transaction's 100
/// actions (the row update and its movement), plus the reservation and the order marker.
pub const MAX_LINES: usize = 49;
/// Default and maximum hold, in minutes.
pub const DEFAULT_EXPIRY_MINUTES: i64 = 15;
pub const MAX_EXPIRY_MINUTES: i64 = 1440;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReservationStatus {
    Active,
    Completed,
    Released,
    Expired,
}

impl ReservationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Completed => "completed",
            Self::Released => "released",
            Self::Expired => "expired",
        }
    }

    /// # Errors
    /// When `raw` names no status.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Ok(match raw {
            "active" => Self::Active,
            "completed" => Self::Completed,
            "released" => Self::Released,
            "expired" => Self::Expired,
            _ => {
                return Err(InvalidValue::new(
                    "status",
                    "must be active, completed, released or expired",
                ))
            }
        })
    }
}

/// One product of a reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub product_id: ProductId,
    pub quantity: Quantity,
}

/// Stock held (or, for a pay-at-counter sale, taken) for one order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reservation {
    pub reservation_id: ReservationId,
    pub store_id: StoreId,
    pub order_id: OrderId,
    pub status: ReservationStatus,
    pub lines: Vec<Line>,
    #[serde(with = "millis")]
    pub expires_at: DateTime<Utc>,
    #[serde(with = "millis")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "millis")]
    pub updated_at: DateTime<Utc>,
}

impl Reservation {
    /// An active reservation past its expiry holds nothing, whether or not the sweeper has
    /// released it yet.
    pub fn status_at(&self, now: DateTime<Utc>) -> ReservationStatus {
        match self.status {
            ReservationStatus::Active if now >= self.expires_at => ReservationStatus::Expired,
            status => status,
        }
    }

    /// The reservation as a reader should see it at `now`.
    pub fn as_of(mut self, now: DateTime<Utc>) -> Self {
        self.status = self.status_at(now);
        self
    }

    /// Whether moving to `to` at `now` should be tried, or what to answer instead.
    pub fn transition(&self, to: ReservationStatus, now: DateTime<Utc>) -> Transition {
        use ReservationStatus::{Active, Completed, Expired, Released};
        let due = self.status_at(now) == Expired;
        let current = || self.clone().as_of(now);
        match (self.status, to) {
            // Past its time, a reservation holds nothing and can no longer be completed.
            (Active, Completed) if due => Transition::NotActive(current()),
            // Anyone may release an active reservation; the sweeper only one that is due.
            (Active, Completed | Released) => Transition::Apply,
            (Active, Expired) if due => Transition::Apply,
            (s, t) if s == t => Transition::AlreadyDone(current()),
            // Releasing what expired is what the caller wanted: nothing is held.
            (Expired, Released) => Transition::AlreadyDone(current()),
            _ => Transition::NotActive(current()),
        }
    }
}

/// The answer of [`Reservation::transition`].
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    /// Write it (conditional on the reservation still being active).
    Apply,
    /// It is already there: a repeat, answered as done and changing nothing.
    AlreadyDone(Reservation),
    /// It is in a state it cannot leave that way; as a reader sees it now.
    NotActive(Reservation),
}

/// Whether an operation did the work now or found it already done (an idempotent replay).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    AlreadyDone,
}

/// What placing an order does with its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Placement {
    /// Hold them until completed, released or expired.
    #[serde(rename = "reserve")]
    Reserve,
    /// Sell them outright (pay at counter): reserve and commit at once.
    #[serde(rename = "deduct")]
    Deduct,
}

/// A validated request to reserve (or sell outright) an order's lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReserveRequest {
    pub store_id: StoreId,
    pub order_id: OrderId,
    /// One line per product, quantities summed, sorted by product.
    pub lines: Vec<Line>,
    pub expires_in_minutes: i64,
}

impl ReserveRequest {
    /// Sums lines of the same product and checks the limits.
    ///
    /// # Errors
    /// No lines, more than [`MAX_LINES`] products, a summed quantity over 1,000,000, or an
    /// expiry outside 1..=1440 minutes.
    pub fn new(
        store_id: StoreId,
        order_id: OrderId,
        items: Vec<(ProductId, Quantity)>,
        expires_in_minutes: Option<i64>,
    ) -> Result<Self, InvalidValue> {
        if items.is_empty() {
            return Err(InvalidValue::new("items", "must have at least one line"));
        }
        let mut summed: BTreeMap<ProductId, i64> = BTreeMap::new();
        for (product_id, quantity) in items {
            *summed.entry(product_id).or_default() += quantity.get();
        }
        if summed.len() > MAX_LINES {
            return Err(InvalidValue::new(
                "items",
                format!("must name at most {MAX_LINES} distinct products (one transaction holds 100 actions)"),
            ));
        }
        let lines = summed
            .into_iter()
            .map(|(product_id, quantity)| {
                Quantity::new("items.quantity", quantity).map(|quantity| Line {
                    product_id,
                    quantity,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let expires_in_minutes = expires_in_minutes.unwrap_or(DEFAULT_EXPIRY_MINUTES);
        if !(1..=MAX_EXPIRY_MINUTES).contains(&expires_in_minutes) {
            return Err(InvalidValue::new(
                "expires_in_minutes",
                format!("must be between 1 and {MAX_EXPIRY_MINUTES}"),
            ));
        }
        Ok(Self {
            store_id,
            order_id,
            lines,
            expires_in_minutes,
        })
    }

    /// What a retry must repeat exactly to be the same request: the canonical form of the
    /// placement and the summed lines (so `[p1×1, p1×2]` and `[p1×3]` are one request).
    pub fn fingerprint(&self, placement: Placement) -> Fingerprint {
        Fingerprint::of("place_order", &self.canonical(placement))
    }

    /// The canonical form, with every name spelled out so no Rust rename changes it.
    pub fn canonical(&self, placement: Placement) -> impl Serialize + '_ {
        #[derive(Serialize)]
        struct CanonicalLine<'a> {
            #[serde(rename = "product_id")]
            product_id: &'a str,
            #[serde(rename = "quantity")]
            quantity: i64,
        }
        #[derive(Serialize)]
        struct CanonicalOrder<'a> {
            #[serde(rename = "placement")]
            placement: Placement,
            #[serde(rename = "store_id")]
            store_id: &'a str,
            #[serde(rename = "order_id")]
            order_id: &'a str,
            #[serde(rename = "expires_in_minutes")]
            expires_in_minutes: i64,
            #[serde(rename = "lines")]
            lines: Vec<CanonicalLine<'a>>,
        }
        CanonicalOrder {
            placement,
            store_id: self.store_id.as_str(),
            order_id: self.order_id.as_str(),
            expires_in_minutes: self.expires_in_minutes,
            lines: self
                .lines
                .iter()
                .map(|l| CanonicalLine {
                    product_id: l.product_id.as_str(),
                    quantity: l.quantity.get(),
                })
                .collect(),
        }
    }
}

/// A line that cannot be had, with what was asked and what there is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shortage {
    pub product_id: ProductId,
    pub requested: i64,
    pub available: i64,
}

/// The availability of one line of a cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineAvailability {
    pub product_id: ProductId,
    pub requested: i64,
    /// `None` when the store does not stock the product.
    pub available: Option<i64>,
    pub shortage: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn q(n: i64) -> Quantity {
        Quantity::new("quantity", n).unwrap()
    }

    fn request() -> ReserveRequest {
        ReserveRequest::new(
            StoreId::parse("store-blr-001").unwrap(),
            OrderId::parse("ord-1001").unwrap(),
            vec![
                (ProductId::parse("prd-0004").unwrap(), q(1)),
                (ProductId::parse("prd-0003").unwrap(), q(2)),
            ],
            Some(15),
        )
        .unwrap()
    }

    /// A golden value: an order marker written today must still match the same order sent after
    /// any refactoring. If this fails, honest retries of stored orders would answer 409.
    #[test]
    fn an_orders_fingerprint_is_its_canonical_form_and_does_not_drift() {
        assert_eq!(
            crate::domain::fingerprint::canonical_form(
                "place_order",
                &request().canonical(Placement::Reserve)
            ),
            r#"{"operation":"place_order","request":{"placement":"reserve","store_id":"store-blr-001","order_id":"ord-1001","expires_in_minutes":15,"lines":[{"product_id":"prd-0003","quantity":2},{"product_id":"prd-0004","quantity":1}]}}"#
        );
        assert_eq!(
            request().fingerprint(Placement::Reserve).as_str(),
            "3e100da6dcf63eeac3366f1c3fbbf6dcc61694c5e45d5c4751c6d28bdce7f160"
        );
        assert_ne!(
            request().fingerprint(Placement::Reserve),
            request().fingerprint(Placement::Deduct)
        );
    }

    #[test]
    fn lines_of_one_product_are_summed_so_the_split_does_not_change_the_request() {
        let split = ReserveRequest::new(
            StoreId::parse("s1").unwrap(),
            OrderId::parse("o1").unwrap(),
            vec![
                (ProductId::parse("p1").unwrap(), q(1)),
                (ProductId::parse("p1").unwrap(), q(2)),
            ],
            None,
        )
        .unwrap();
        let whole = ReserveRequest::new(
            StoreId::parse("s1").unwrap(),
            OrderId::parse("o1").unwrap(),
            vec![(ProductId::parse("p1").unwrap(), q(3))],
            None,
        )
        .unwrap();
        assert_eq!(
            split.fingerprint(Placement::Reserve),
            whole.fingerprint(Placement::Reserve)
        );
    }

    #[test]
    fn an_active_reservation_past_its_time_is_expired_and_can_only_be_released_or_expired() {
        let now = Utc::now();
        let reservation = Reservation {
            reservation_id: ReservationId::parse("res-1").unwrap(),
            store_id: StoreId::parse("s1").unwrap(),
            order_id: OrderId::parse("o1").unwrap(),
            status: ReservationStatus::Active,
            lines: vec![],
            expires_at: now,
            created_at: now - Duration::minutes(15),
            updated_at: now - Duration::minutes(15),
        };
        let before = now - Duration::milliseconds(1);
        assert_eq!(reservation.status_at(before), ReservationStatus::Active);
        assert_eq!(reservation.status_at(now), ReservationStatus::Expired);
        assert_eq!(
            reservation.transition(ReservationStatus::Completed, before),
            Transition::Apply
        );
        assert!(matches!(
            reservation.transition(ReservationStatus::Completed, now),
            Transition::NotActive(r) if r.status == ReservationStatus::Expired
        ));
        assert_eq!(
            reservation.transition(ReservationStatus::Expired, before),
            Transition::NotActive(reservation.clone())
        );
        assert_eq!(
            reservation.transition(ReservationStatus::Expired, now),
            Transition::Apply
        );
        assert_eq!(
            reservation.transition(ReservationStatus::Released, now),
            Transition::Apply
        );
    }
}
