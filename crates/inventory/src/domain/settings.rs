//! An inventory row's settings (stock levels, prices, shelf, reorder quantity, lead time), parsed
//! once: every writer of a row (the API, the CSV import) builds a [`RowSettings`] through these
//! types, so the rules are written here and nowhere else.

use super::text::bounded_text;
use super::{InvalidValue, Money, StockCount};

/// The longest lead time a supplier may be given, in days.
pub const MAX_LEAD_TIME_DAYS: i64 = 365;

validated_string!(
    /// Where the product sits in the store (an aisle, rack and bin such as `A1-03`, a chiller):
    /// 1 to 50 characters.
    ShelfLocation,
    |raw| bounded_text("location", raw, 50)
);

/// Days a supplier takes to deliver: 0 to [`MAX_LEAD_TIME_DAYS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(into = "i64")]
pub struct LeadTimeDays(i64);

impl LeadTimeDays {
    /// # Errors
    /// Outside 0..=365.
    pub fn new(days: i64) -> Result<Self, InvalidValue> {
        if (0..=MAX_LEAD_TIME_DAYS).contains(&days) {
            Ok(Self(days))
        } else {
            Err(InvalidValue::new(
                "lead_time_days",
                format!("must be between 0 and {MAX_LEAD_TIME_DAYS}"),
            ))
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl From<LeadTimeDays> for i64 {
    fn from(d: LeadTimeDays) -> i64 {
        d.0
    }
}

/// A row's stock levels, each optional, in order where set: minimum ≤ reorder point ≤ maximum
/// (and minimum ≤ maximum when the reorder point is unset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StockLevels {
    min: Option<StockCount>,
    reorder: Option<StockCount>,
    max: Option<StockCount>,
}

impl StockLevels {
    /// # Errors
    /// When a level is outside 0..=1,000,000 or the levels are out of order.
    pub fn new(
        min: Option<i64>,
        reorder: Option<i64>,
        max: Option<i64>,
    ) -> Result<Self, InvalidValue> {
        let level = |field, v: Option<i64>| v.map(|v| StockCount::new(field, v)).transpose();
        let levels = Self {
            min: level("min_stock_level", min)?,
            reorder: level("reorder_point", reorder)?,
            max: level("max_stock_level", max)?,
        };
        let order = [
            (
                "min_stock_level",
                levels.min,
                "reorder_point",
                levels.reorder,
            ),
            (
                "reorder_point",
                levels.reorder,
                "max_stock_level",
                levels.max,
            ),
            ("min_stock_level", levels.min, "max_stock_level", levels.max),
        ];
        for (low_name, low, high_name, high) in order {
            if let (Some(low), Some(high)) = (low, high) {
                if low > high {
                    return Err(InvalidValue::new(
                        low_name,
                        format!("must not exceed {high_name} ({})", high.get()),
                    ));
                }
            }
        }
        Ok(levels)
    }

    pub fn min(&self) -> Option<i64> {
        self.min.map(StockCount::get)
    }

    pub fn reorder(&self) -> Option<i64> {
        self.reorder.map(StockCount::get)
    }

    pub fn max(&self) -> Option<i64> {
        self.max.map(StockCount::get)
    }
}

/// Everything about a row but its stock and its catalog copy, each already valid.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowSettings {
    pub selling_price: Option<Money>,
    pub cost_price: Option<Money>,
    pub levels: StockLevels,
    /// Units to order when the row reaches its reorder point.
    pub reorder_quantity: Option<StockCount>,
    pub lead_time_days: Option<LeadTimeDays>,
    pub location: Option<ShelfLocation>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_must_be_in_order_where_set() {
        assert!(StockLevels::new(Some(2), Some(5), Some(100)).is_ok());
        assert!(StockLevels::new(None, Some(5), None).is_ok());
        assert!(StockLevels::new(Some(5), Some(5), Some(5)).is_ok());
        let err = StockLevels::new(Some(10), None, Some(5)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "min_stock_level must not exceed max_stock_level (5)"
        );
        let err = StockLevels::new(Some(1), Some(50), Some(40)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "reorder_point must not exceed max_stock_level (40)"
        );
        assert_eq!(
            StockLevels::new(Some(-1), None, None).unwrap_err().field,
            "min_stock_level"
        );
    }

    #[test]
    fn lead_times_and_shelves_are_bounded() {
        assert!(LeadTimeDays::new(0).is_ok());
        assert!(LeadTimeDays::new(366).is_err());
        assert!(ShelfLocation::parse("A1-03").is_ok());
        assert!(ShelfLocation::parse("x".repeat(51)).is_err());
    }
}
