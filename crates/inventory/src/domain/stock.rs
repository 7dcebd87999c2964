//! The stock model of one inventory row, and the operations that change it.
//!
//! This is pure: no I/O. The ledger engine (`db::ledger`) computes every change here, writes the
//! result together with its movement row, and conditions the write on the row being exactly as
//! it was when the change was computed.

use serde::{Deserialize, Serialize};

/// The quantities of one row. Invariant, for every row this service writes:
/// `current = available + reserved`, all at or above zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Stock {
    /// Units on hand (`current_stock`).
    pub current: i64,
    /// Units held by active reservations (`reserved_stock`).
    pub reserved: i64,
    /// Units that can be sold or reserved (`available_stock`).
    pub available: i64,
}

impl Stock {
    /// A row as the previous service wrote it: everything on hand is available.
    pub fn on_hand(current: i64) -> Self {
        Self {
            current,
            reserved: 0,
            available: current,
        }
    }

    pub fn holds_invariant(&self) -> bool {
        self.current == self.available + self.reserved && self.available >= 0 && self.reserved >= 0
    }

    /// The quantities after `op`, or why `op` is refused.
    ///
    /// # Errors
    /// When the operation would take stock that is not there, or its expectation is stale.
    pub fn apply(self, op: StockOp) -> Result<Self, Refusal> {
        let Self {
            current,
            reserved,
            available,
        } = self;
        let short = |requested: i64| Refusal::Insufficient {
            available,
            requested,
        };
        match op {
            StockOp::Add(delta) if delta < 0 && available < -delta => Err(short(-delta)),
            StockOp::Add(delta) => Ok(Self {
                current: current + delta,
                reserved,
                available: available + delta,
            }),
            StockOp::Set { expected, .. } if current != expected => {
                Err(Refusal::Mismatch { current, expected })
            }
            StockOp::Set { new_stock, .. } if new_stock < reserved => Err(Refusal::BelowReserved {
                reserved,
                new_stock,
            }),
            StockOp::Set { new_stock, .. } => Ok(Self {
                current: new_stock,
                reserved,
                available: new_stock - reserved,
            }),
            StockOp::Reserve(q) if available < q => Err(short(q)),
            StockOp::Reserve(q) => Ok(Self {
                current,
                reserved: reserved + q,
                available: available - q,
            }),
            StockOp::Deduct(q) if available < q => Err(short(q)),
            StockOp::Deduct(q) => Ok(Self {
                current: current - q,
                reserved,
                available: available - q,
            }),
            StockOp::Commit(q) | StockOp::Release(q) if reserved < q => Err(Refusal::NotReserved {
                reserved,
                requested: q,
            }),
            StockOp::Commit(q) => Ok(Self {
                current: current - q,
                reserved: reserved - q,
                available,
            }),
            StockOp::Release(q) => Ok(Self {
                current,
                reserved: reserved - q,
                available: available + q,
            }),
        }
    }
}

/// A change to one row's quantities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockOp {
    /// Receive (positive) or remove (negative) units on hand; removal takes available stock only.
    Add(i64),
    /// Set on hand from a count, if it is still `expected`.
    Set { new_stock: i64, expected: i64 },
    /// Hold units for an order: available to reserved.
    Reserve(i64),
    /// Give held units back: reserved to available.
    Release(i64),
    /// Ship held units: out of reserved and out of on hand.
    Commit(i64),
    /// Sell units outright (pay at counter): out of available and on hand.
    Deduct(i64),
}

impl StockOp {
    /// The signed number of units the operation names, as the ledger records it.
    pub fn delta(self) -> i64 {
        match self {
            Self::Add(d) => d,
            Self::Set {
                new_stock,
                expected,
            } => new_stock - expected,
            Self::Reserve(q) | Self::Release(q) => q,
            Self::Commit(q) | Self::Deduct(q) => -q,
        }
    }

    /// The units that must be available (or reserved) for the operation, if it takes any.
    pub fn takes(self) -> Option<i64> {
        match self {
            Self::Add(d) if d < 0 => Some(-d),
            Self::Reserve(q) | Self::Deduct(q) | Self::Commit(q) | Self::Release(q) => Some(q),
            _ => None,
        }
    }
}

/// Why an operation was refused, with the quantities that refused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Insufficient { available: i64, requested: i64 },
    Mismatch { current: i64, expected: i64 },
    BelowReserved { reserved: i64, new_stock: i64 },
    NotReserved { reserved: i64, requested: i64 },
}

/// What kind of event a ledger row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementType {
    /// `PUT .../stock` with a delta.
    StockUpdate,
    /// `PUT .../stock` with a count.
    Count,
    Adjustment,
    Reserve,
    Release,
    Commit,
    Expire,
    Deduct,
    /// Units of a confirmed or delivered order coming back to the shelf (a cancellation after
    /// payment, a short pick, a return): on hand and available grow.
    Return,
    /// A new row's opening stock (`POST /api/v1/inventory`): its first movement, from nothing.
    InitialStock,
    /// A change of the row's settings (levels, prices, shelf location, lead time), recorded
    /// with its before and after; the stock is the same before and after.
    Settings,
}

impl MovementType {
    /// Whether the movement takes stock into or out of a location, which only an active
    /// location allows. Finishing a reservation (commit, release, expire) settles what was
    /// already held, so it goes on after a location is deleted.
    pub fn needs_active_location(self) -> bool {
        matches!(
            self,
            Self::StockUpdate
                | Self::Count
                | Self::Adjustment
                | Self::Reserve
                | Self::Deduct
                | Self::InitialStock
        )
    }
}

/// Why an adjustment was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentType {
    Restock,
    Damage,
    Theft,
    Correction,
    Return,
    Manual,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserving_moves_available_to_reserved_and_never_below_zero() {
        let s = Stock::on_hand(5);
        let s = s.apply(StockOp::Reserve(3)).unwrap();
        assert_eq!(
            s,
            Stock {
                current: 5,
                reserved: 3,
                available: 2
            }
        );
        assert_eq!(
            s.apply(StockOp::Reserve(3)),
            Err(Refusal::Insufficient {
                available: 2,
                requested: 3
            })
        );
        assert!(s.apply(StockOp::Reserve(2)).unwrap().holds_invariant());
    }

    #[test]
    fn a_removal_cannot_take_reserved_stock() {
        let s = Stock::on_hand(5).apply(StockOp::Reserve(4)).unwrap();
        assert_eq!(
            s.apply(StockOp::Add(-2)),
            Err(Refusal::Insufficient {
                available: 1,
                requested: 2
            })
        );
        assert_eq!(
            s.apply(StockOp::Deduct(2)),
            Err(Refusal::Insufficient {
                available: 1,
                requested: 2
            })
        );
    }

    #[test]
    fn commit_and_release_need_the_units_reserved() {
        let s = Stock::on_hand(5).apply(StockOp::Reserve(2)).unwrap();
        assert_eq!(
            s.apply(StockOp::Commit(2)).unwrap(),
            Stock {
                current: 3,
                reserved: 0,
                available: 3
            }
        );
        assert_eq!(s.apply(StockOp::Release(2)).unwrap(), Stock::on_hand(5));
        assert!(matches!(
            s.apply(StockOp::Commit(3)),
            Err(Refusal::NotReserved { .. })
        ));
    }

    #[test]
    fn a_count_is_compare_and_set_and_keeps_reservations_whole() {
        let s = Stock::on_hand(10).apply(StockOp::Reserve(4)).unwrap();
        assert_eq!(
            s.apply(StockOp::Set {
                new_stock: 6,
                expected: 9
            }),
            Err(Refusal::Mismatch {
                current: 10,
                expected: 9
            })
        );
        assert_eq!(
            s.apply(StockOp::Set {
                new_stock: 3,
                expected: 10
            }),
            Err(Refusal::BelowReserved {
                reserved: 4,
                new_stock: 3
            })
        );
        assert_eq!(
            s.apply(StockOp::Set {
                new_stock: 6,
                expected: 10
            })
            .unwrap(),
            Stock {
                current: 6,
                reserved: 4,
                available: 2
            }
        );
    }
}
