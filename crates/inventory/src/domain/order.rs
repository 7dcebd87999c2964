//! Orders as the business sees them: the lifecycle from checkout to delivery, which steps are
//! legal, what each does to stock, and the record an order keeps of its steps. Pure: storage is
//! in `db::orders`, the stock effects are carried out by `db::orders` through the ledger engine.

use super::time::millis;
use super::{Actor, InvalidValue, Money, OrderId, ProductId, ReservationId, StoreId, Total};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How long an order's reservation holds its lines when the checkout does not say: long enough
/// to take a payment, short enough that abandoned carts come back to the shelf.
pub const DEFAULT_ORDER_EXPIRY_MINUTES: i64 = 30;
/// One order is one transaction: each line takes two of its 100 actions (row and movement), plus
/// the reservation, the order marker and the order itself.
pub const MAX_ORDER_LINES: usize = 48;

validated_string!(
    /// The customer an order belongs to: the `sub` of a customer's token.
    CustomerId,
    |raw| {
        if raw.is_empty() || raw.len() > 128 || raw.chars().any(char::is_control) {
            Err(InvalidValue::new(
                "customer_id",
                "must be 1 to 128 characters without control characters",
            ))
        } else {
            Ok(raw)
        }
    }
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    Pending,
    Confirmed,
    Processing,
    Shipped,
    Delivered,
    Cancelled,
    Returned,
    Expired,
}

impl OrderStatus {
    pub const ALL: [Self; 8] = [
        Self::Pending,
        Self::Confirmed,
        Self::Processing,
        Self::Shipped,
        Self::Delivered,
        Self::Cancelled,
        Self::Returned,
        Self::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Confirmed => "CONFIRMED",
            Self::Processing => "PROCESSING",
            Self::Shipped => "SHIPPED",
            Self::Delivered => "DELIVERED",
            Self::Cancelled => "CANCELLED",
            Self::Returned => "RETURNED",
            Self::Expired => "EXPIRED",
        }
    }

    /// # Errors
    /// When `raw` names no status.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw).ok_or_else(|| {
            InvalidValue::new(
                "status",
                "must be one of PENDING, CONFIRMED, PROCESSING, SHIPPED, DELIVERED, CANCELLED, RETURNED, EXPIRED",
            )
        })
    }

    /// The statuses a caller may move an order to from this one. `EXPIRED` is never asked for:
    /// time decides it.
    pub fn next(self) -> &'static [OrderStatus] {
        use OrderStatus::{
            Cancelled, Confirmed, Delivered, Pending, Processing, Returned, Shipped,
        };
        match self {
            Pending => &[Confirmed, Cancelled],
            Confirmed => &[Processing, Cancelled],
            Processing => &[Shipped, Cancelled],
            Shipped => &[Delivered],
            Delivered => &[Returned],
            _ => &[],
        }
    }

    /// Whether the order's lines may still be reduced (short picks): after payment, before
    /// anything left the store.
    pub fn may_short_pick(self) -> bool {
        matches!(self, Self::Confirmed | Self::Processing)
    }
}

/// What a legal step does to stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockEffect {
    /// Ship the reserved units (the reservation is completed).
    CompleteReservation,
    /// Give the reserved units back (the reservation is released).
    ReleaseReservation,
    /// The shipped units come back to the shelf: a `return` movement per line.
    Restock,
    /// Order state only.
    None,
}

/// The answer to "may this order go from `from` to `to`".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Apply(StockEffect),
    /// Already there: a repeat, answered as done and changing nothing.
    AlreadyThere,
    Illegal,
}

/// The lifecycle's one table of legal steps and their stock effects.
pub fn step(from: OrderStatus, to: OrderStatus) -> Step {
    use OrderStatus::{Cancelled, Confirmed, Delivered, Pending, Processing, Returned, Shipped};
    if from == to {
        return Step::AlreadyThere;
    }
    if !from.next().contains(&to) {
        return Step::Illegal;
    }
    Step::Apply(match (from, to) {
        (Pending, Confirmed) => StockEffect::CompleteReservation,
        (Pending, Cancelled) => StockEffect::ReleaseReservation,
        (Confirmed | Processing, Cancelled) | (Delivered, Returned) => StockEffect::Restock,
        (Confirmed, Processing) | (Processing, Shipped) | (Shipped, Delivered) => StockEffect::None,
        _ => return Step::Illegal,
    })
}

/// One product of an order, priced when the order was created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub product_id: ProductId,
    /// Units to deliver; a short pick lowers it, possibly to 0.
    pub quantity: i64,
    /// What was ordered at checkout, kept when a short pick lowers `quantity`.
    pub ordered_quantity: i64,
    /// The row's `selling_price` at checkout; never the client's. Stored as its exact text.
    #[serde(serialize_with = "Money::serialize_as_text")]
    pub unit_price: Money,
}

/// One step of an order's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    #[serde(with = "millis")]
    pub at: DateTime<Utc>,
    pub actor: Actor,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<OrderStatus>,
    pub to: OrderStatus,
}

/// A line reduced after payment because the item was damaged or not found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShortPick {
    #[serde(with = "millis")]
    pub at: DateTime<Utc>,
    pub actor: Actor,
    pub product_id: ProductId,
    pub from_quantity: i64,
    pub to_quantity: i64,
    #[serde(serialize_with = "Total::serialize_as_text")]
    pub total_before: Total,
    #[serde(serialize_with = "Total::serialize_as_text")]
    pub total_after: Total,
}

/// A marketplace order, as stored (money as exact text) and as the domain works on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub order_id: OrderId,
    pub store_id: StoreId,
    pub customer_id: CustomerId,
    pub lines: Vec<OrderLine>,
    #[serde(serialize_with = "Total::serialize_as_text")]
    pub total_amount: Total,
    pub status: OrderStatus,
    pub reservation_id: ReservationId,
    /// When the reservation stops holding the lines, if the order is not confirmed by then.
    #[serde(with = "millis")]
    pub reservation_expires_at: DateTime<Utc>,
    pub history: Vec<StatusChange>,
    #[serde(default)]
    pub short_picks: Vec<ShortPick>,
    #[serde(with = "millis")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "millis")]
    pub updated_at: DateTime<Utc>,
    /// Bumped by every write; every write is conditional on the version it read, so two
    /// clerks acting on the same order cannot both succeed.
    pub version: i64,
}

impl Order {
    /// The sum of every line's units at its price, exact.
    pub fn total_of(lines: &[OrderLine]) -> Total {
        Total::of(lines.iter().map(|l| (l.unit_price, l.quantity))).unwrap_or_default()
    }

    /// A pending order whose reservation has run out holds nothing: it is expired, whether or
    /// not that was written yet.
    pub fn status_at(&self, now: DateTime<Utc>) -> OrderStatus {
        match self.status {
            OrderStatus::Pending if now >= self.reservation_expires_at => OrderStatus::Expired,
            status => status,
        }
    }

    /// The order after a step to `to` by `actor` at `now` (the caller checked it is legal).
    #[must_use]
    pub fn moved_to(&self, to: OrderStatus, actor: &Actor, now: DateTime<Utc>) -> Self {
        let mut next = self.clone();
        next.history.push(StatusChange {
            at: now,
            actor: actor.clone(),
            from: Some(self.status),
            to,
        });
        next.status = to;
        next.updated_at = now;
        next.version += 1;
        next
    }

    /// The order with `product_id` reduced to `quantity` units, and the record of it.
    ///
    /// # Errors
    /// When the order has no such line, or `quantity` is not below the line's.
    pub fn short_picked(
        &self,
        product_id: &ProductId,
        quantity: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<(Self, i64), InvalidValue> {
        let mut next = self.clone();
        let line = next
            .lines
            .iter_mut()
            .find(|l| &l.product_id == product_id)
            .ok_or_else(|| InvalidValue::new("product_id", "is not a line of this order"))?;
        if quantity < 0 || quantity >= line.quantity {
            return Err(InvalidValue::new(
                "quantity",
                format!(
                    "must be from 0 to {} (below the line's current quantity)",
                    line.quantity - 1
                ),
            ));
        }
        let returned = line.quantity - quantity;
        let from_quantity = line.quantity;
        line.quantity = quantity;
        let total_after = Self::total_of(&next.lines);
        next.short_picks.push(ShortPick {
            at: now,
            actor: actor.clone(),
            product_id: product_id.clone(),
            from_quantity,
            to_quantity: quantity,
            total_before: self.total_amount,
            total_after,
        });
        next.total_amount = total_after;
        next.updated_at = now;
        next.version += 1;
        Ok((next, returned))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    #[test]
    fn only_the_lifecycle_steps_are_legal() {
        let legal = [
            (Pending, Confirmed),
            (Pending, Cancelled),
            (Confirmed, Processing),
            (Confirmed, Cancelled),
            (Processing, Shipped),
            (Processing, Cancelled),
            (Shipped, Delivered),
            (Delivered, Returned),
        ];
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                let expected = if from == to {
                    Step::AlreadyThere
                } else if legal.contains(&(from, to)) {
                    assert!(matches!(step(from, to), Step::Apply(_)), "{from:?}->{to:?}");
                    continue;
                } else {
                    Step::Illegal
                };
                assert_eq!(step(from, to), expected, "{from:?}->{to:?}");
            }
        }
        assert_eq!(
            step(Shipped, Cancelled),
            Step::Illegal,
            "shipped goods are returned, not cancelled"
        );
        assert_eq!(
            step(Confirmed, Cancelled),
            Step::Apply(StockEffect::Restock)
        );
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Ok(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert!(OrderStatus::parse("pending").is_err());
    }
}
