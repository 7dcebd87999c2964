//! Reorder suggestions: what counts as a sale, sales velocity, days of cover and the quantity
//! to order, computed exactly from whole numbers. No I/O: `db::sales` reads the store's sales
//! window and `api::reorder` applies this to every row.
//!
//! Velocity is a ratio of whole numbers (units sold over the window's milliseconds), so every
//! comparison and the suggested quantity are exact integer arithmetic; only the velocity and
//! days of cover shown to people are rounded (4 and 2 decimal places).

use super::{InvalidValue, Money, MovementType, ProductId, Total};
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};
use std::cmp::Ordering;

/// The sales window velocity is measured over.
pub const SALES_WINDOW_DAYS: i64 = 28;
/// Lead time assumed for a row with no `lead_time_days` setting.
pub const DEFAULT_LEAD_TIME_DAYS: i64 = 7;
pub const MS_PER_DAY: i64 = 86_400_000;

/// How many days ahead the suggestions cover: 1 to 365, 14 when not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "i64")]
pub struct HorizonDays(i64);

impl HorizonDays {
    pub const DEFAULT: i64 = 14;
    pub const MAX: i64 = 365;

    /// # Errors
    /// When the text is not a whole number from 1 to 365.
    pub fn parse(raw: Option<&str>) -> Result<Self, InvalidValue> {
        let Some(raw) = raw else {
            return Ok(Self(Self::DEFAULT));
        };
        match raw.trim().parse::<i64>() {
            Ok(n) if (1..=Self::MAX).contains(&n) => Ok(Self(n)),
            _ => Err(InvalidValue::new(
                "horizon_days",
                "must be a whole number from 1 to 365",
            )),
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl From<HorizonDays> for i64 {
    fn from(h: HorizonDays) -> i64 {
        h.0
    }
}

/// The units a movement sold, for velocity: positive for a sale, negative for a return (netted
/// against sales), `None` for every other movement. Sales are completed reservations (`commit`),
/// outright order deductions (`deduct`), and stock removals explicitly marked as sales (`PUT
/// .../stock` with `"sale": true`). Counts and adjustments are never sales: a shrinking count is
/// shrinkage, not demand.
pub fn sold_units(movement_type: MovementType, delta: i64, marked_sale: bool) -> Option<i64> {
    match movement_type {
        MovementType::Commit | MovementType::Deduct => Some(-delta),
        MovementType::StockUpdate if marked_sale && delta < 0 => Some(-delta),
        MovementType::Return => Some(-delta),
        _ => None,
    }
}

/// What of an inventory row the suggestion reads.
#[derive(Debug, Clone, Default)]
pub struct RowPlanning {
    pub available: i64,
    /// The level at or below which the row counts as low (its reorder point, else its minimum).
    pub reorder_point: Option<i64>,
    pub reorder_quantity: Option<i64>,
    pub max_stock_level: Option<i64>,
    pub lead_time_days: Option<i64>,
    pub cost_price: Option<Money>,
}

/// The net units a product sold over a window of `window_ms` milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sales {
    pub units: i64,
    pub window_ms: i64,
}

impl Sales {
    pub fn over_the_window(units: i64) -> Self {
        Self {
            units,
            window_ms: SALES_WINDOW_DAYS * MS_PER_DAY,
        }
    }

    /// Whether there is demand to measure: net sales above zero over a real window.
    fn has_velocity(self) -> bool {
        self.units > 0 && self.window_ms > 0
    }
}

/// Where a suggested quantity came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Velocity × (lead time + horizon) + reorder point − available.
    SalesVelocity,
    /// No sales in the window: the row's `reorder_quantity`.
    ReorderQuantity,
    /// No sales and no reorder quantity: up to `max_stock_level`.
    MaxStockGap,
    /// No sales and neither setting: nothing to suggest from.
    NoSettings,
}

/// One row's suggestion.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub sales: Sales,
    pub available: i64,
    pub lead_time_days: i64,
    pub suggested_quantity: i64,
    pub basis: Basis,
    pub cost_price: Option<Money>,
    /// Runs out within the horizon at this velocity (never without velocity).
    pub runs_out_within_horizon: bool,
    pub at_or_below_reorder_point: bool,
}

impl Suggestion {
    /// The suggested quantity at cost price, exact; `None` when the row has no cost price.
    pub fn value_at_cost(&self) -> Option<Total> {
        Total::of([(self.cost_price?, self.suggested_quantity)])
    }

    /// Units per day, rounded to 4 places for display.
    pub fn velocity(&self) -> Rate {
        Rate(ratio(
            i128::from(self.sales.units) * i128::from(MS_PER_DAY),
            i128::from(self.sales.window_ms),
            4,
        ))
    }

    /// Available stock over velocity, in days (2 places); `None` without velocity.
    pub fn days_of_cover(&self) -> Option<Rate> {
        self.sales.has_velocity().then(|| {
            Rate(ratio(
                i128::from(self.available) * i128::from(self.sales.window_ms),
                i128::from(self.sales.units) * i128::from(MS_PER_DAY),
                2,
            ))
        })
    }

    /// Whether it belongs on the list: it runs out within the horizon, or it is already at or
    /// below its reorder point (out of stock included).
    pub fn is_due(&self) -> bool {
        self.runs_out_within_horizon || self.at_or_below_reorder_point
    }

    /// Soonest out first: exact days of cover ascending; rows without velocity after every row
    /// with it (no demand seen, so no date), the emptiest first; then by product id.
    pub fn urgency(&self, other: &Self) -> Ordering {
        match (self.sales.has_velocity(), other.sales.has_velocity()) {
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (true, true) => {
                // a1·w1/(u1·d) against a2·w2/(u2·d): cross-multiplied, exact.
                let left = i128::from(self.available)
                    * i128::from(self.sales.window_ms)
                    * i128::from(other.sales.units);
                let right = i128::from(other.available)
                    * i128::from(other.sales.window_ms)
                    * i128::from(self.sales.units);
                left.cmp(&right)
            }
            (false, false) => self.available.cmp(&other.available),
        }
    }
}

/// The suggestion for one row, given its net sales and the horizon.
pub fn suggest(row: &RowPlanning, sales: Sales, horizon: HorizonDays) -> Suggestion {
    let available = row.available.max(0);
    let lead_time_days = row
        .lead_time_days
        .filter(|d| *d >= 0)
        .unwrap_or(DEFAULT_LEAD_TIME_DAYS);
    let safety = row.reorder_point.unwrap_or(0).max(0);
    let (suggested_quantity, basis, runs_out) = if sales.has_velocity() {
        let units = i128::from(sales.units);
        let day = i128::from(MS_PER_DAY);
        let window = i128::from(sales.window_ms);
        // Units needed over lead time + horizon: ceil(units × days × day / window).
        let demand = ceil_div(
            units * i128::from(lead_time_days + horizon.get()) * day,
            window,
        );
        let wanted = demand + i128::from(safety) - i128::from(available);
        let runs_out = i128::from(available) * window <= i128::from(horizon.get()) * units * day;
        (clamp_units(wanted), Basis::SalesVelocity, runs_out)
    } else if let Some(q) = row.reorder_quantity.filter(|q| *q > 0) {
        (q, Basis::ReorderQuantity, false)
    } else if let Some(max) = row.max_stock_level {
        ((max - available).max(0), Basis::MaxStockGap, false)
    } else {
        (0, Basis::NoSettings, false)
    };
    Suggestion {
        sales,
        available,
        lead_time_days,
        suggested_quantity,
        basis,
        cost_price: row.cost_price,
        runs_out_within_horizon: runs_out,
        at_or_below_reorder_point: available <= 0
            || row.reorder_point.is_some_and(|p| available <= p),
    }
}

/// The store's totals over the suggestions on its list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    pub count: usize,
    pub units: i64,
    pub value_at_cost: Total,
    /// Suggestions whose row has no cost price: their value is not in `value_at_cost`.
    pub without_cost_price: usize,
}

impl Totals {
    /// `None` only past `Decimal`'s range.
    pub fn of<'a>(suggestions: impl IntoIterator<Item = &'a Suggestion>) -> Option<Self> {
        let list: Vec<&Suggestion> = suggestions.into_iter().collect();
        Some(Self {
            count: list.len(),
            units: list.iter().map(|s| s.suggested_quantity).sum(),
            value_at_cost: Total::of(
                list.iter()
                    .filter_map(|s| s.cost_price.map(|price| (price, s.suggested_quantity))),
            )?,
            without_cost_price: list.iter().filter(|s| s.cost_price.is_none()).count(),
        })
    }
}

/// Sorts a list soonest first (see [`Suggestion::urgency`]), then by product id.
pub fn sort_by_urgency<T>(list: &mut [T], key: impl Fn(&T) -> (&ProductId, &Suggestion)) {
    list.sort_by(|a, b| {
        let ((pa, sa), (pb, sb)) = (key(a), key(b));
        sa.urgency(sb).then_with(|| pa.cmp(pb))
    });
}

/// A window's length in days, to 2 places.
pub fn days_of(window_ms: i64) -> Rate {
    Rate(ratio(i128::from(window_ms), i128::from(MS_PER_DAY), 2))
}

/// A rounded decimal shown as a JSON number with its exact text (`0.5000`, `12.25`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rate(Decimal);

impl Rate {
    pub fn amount(self) -> Decimal {
        self.0
    }
}

impl Serialize for Rate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = serde_json::value::RawValue::from_string(self.0.to_string())
            .map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

/// `n / d` rounded half away from zero to `places`, shown with exactly that many places.
fn ratio(n: i128, d: i128, places: u32) -> Decimal {
    let (Ok(n), Ok(d)) = (i64::try_from(n), i64::try_from(d)) else {
        return Decimal::MAX;
    };
    let mut value = Decimal::from(n)
        .checked_div(Decimal::from(d))
        .unwrap_or(Decimal::MAX)
        .round_dp_with_strategy(places, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    value.rescale(places);
    value
}

fn ceil_div(n: i128, d: i128) -> i128 {
    if n <= 0 {
        n / d
    } else {
        (n + d - 1) / d
    }
}

/// A suggested quantity: at least 0, and at most `i64::MAX` (never reached by real rows).
fn clamp_units(units: i128) -> i64 {
    i64::try_from(units.max(0)).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn horizon(days: i64) -> HorizonDays {
        HorizonDays::parse(Some(&days.to_string())).unwrap()
    }

    fn row(available: i64) -> RowPlanning {
        RowPlanning {
            available,
            reorder_point: Some(5),
            reorder_quantity: Some(24),
            max_stock_level: Some(100),
            lead_time_days: Some(7),
            cost_price: Some(Money::parse("price", "40.10").unwrap()),
        }
    }

    #[test]
    fn the_horizon_is_a_whole_number_of_days_from_1_to_365_defaulting_to_14() {
        assert_eq!(HorizonDays::parse(None).unwrap().get(), 14);
        assert_eq!(HorizonDays::parse(Some("1")).unwrap().get(), 1);
        assert_eq!(HorizonDays::parse(Some("365")).unwrap().get(), 365);
        for bad in ["0", "366", "-3", "fourteen", "1.5", ""] {
            let err = HorizonDays::parse(Some(bad)).unwrap_err();
            assert_eq!(
                err.to_string(),
                "horizon_days must be a whole number from 1 to 365"
            );
        }
    }

    #[test]
    fn sales_are_commits_deductions_and_marked_removals_and_returns_net_against_them() {
        assert_eq!(sold_units(MovementType::Commit, -3, false), Some(3));
        assert_eq!(sold_units(MovementType::Deduct, -2, false), Some(2));
        assert_eq!(sold_units(MovementType::StockUpdate, -4, true), Some(4));
        assert_eq!(sold_units(MovementType::StockUpdate, -4, false), None);
        assert_eq!(sold_units(MovementType::Return, 1, false), Some(-1));
        for not_a_sale in [
            MovementType::Count,
            MovementType::Adjustment,
            MovementType::Reserve,
            MovementType::Release,
            MovementType::Expire,
        ] {
            assert_eq!(sold_units(not_a_sale, -5, true), None, "{not_a_sale:?}");
        }
    }

    #[test]
    fn fourteen_units_in_28_days_is_half_a_unit_a_day() {
        // 14 sold over 28 days: 0.5 a day; 6 available last 12 days; over 7 + 14 days the store
        // needs ceil(0.5 × 21) = 11, plus 5 of safety stock, less the 6 it has: 10.
        let s = suggest(&row(6), Sales::over_the_window(14), horizon(14));
        assert_eq!(s.velocity().amount().to_string(), "0.5000");
        assert_eq!(s.days_of_cover().unwrap().amount().to_string(), "12.00");
        assert_eq!(s.suggested_quantity, 10);
        assert_eq!(s.basis, Basis::SalesVelocity);
        assert_eq!(s.value_at_cost().unwrap().to_string(), "401.00");
        assert!(s.runs_out_within_horizon && s.is_due());
    }

    #[test]
    fn a_velocity_that_does_not_divide_evenly_is_rounded_for_display_but_not_in_the_arithmetic() {
        // 10 in 28 days = 0.357142... a day; 20 available = 56 days of cover.
        let s = suggest(&row(20), Sales::over_the_window(10), horizon(30));
        assert_eq!(s.velocity().amount().to_string(), "0.3571");
        assert_eq!(s.days_of_cover().unwrap().amount().to_string(), "56.00");
        // ceil(10 × 37 / 28) = ceil(13.21) = 14; + 5 − 20 < 0: nothing to order.
        assert_eq!(s.suggested_quantity, 0);
        assert!(!s.runs_out_within_horizon && !s.is_due());
    }

    #[test]
    fn running_out_exactly_on_the_horizon_counts_as_within_it() {
        // 1 a day, 14 available: out on day 14.
        let s = suggest(&row(14), Sales::over_the_window(28), horizon(14));
        assert!(s.runs_out_within_horizon);
        let s = suggest(&row(15), Sales::over_the_window(28), horizon(14));
        assert!(!s.runs_out_within_horizon);
    }

    #[test]
    fn without_sales_it_falls_back_to_the_reorder_quantity_then_the_gap_to_the_maximum() {
        let s = suggest(&row(3), Sales::over_the_window(0), horizon(14));
        assert_eq!(
            (s.suggested_quantity, s.basis),
            (24, Basis::ReorderQuantity)
        );
        assert!(s.days_of_cover().is_none());
        assert!(s.at_or_below_reorder_point && !s.runs_out_within_horizon);

        let mut no_quantity = row(3);
        no_quantity.reorder_quantity = None;
        let s = suggest(&no_quantity, Sales::over_the_window(0), horizon(14));
        assert_eq!((s.suggested_quantity, s.basis), (97, Basis::MaxStockGap));

        no_quantity.max_stock_level = None;
        let s = suggest(&no_quantity, Sales::over_the_window(0), horizon(14));
        assert_eq!((s.suggested_quantity, s.basis), (0, Basis::NoSettings));
    }

    #[test]
    fn returns_that_outweigh_sales_leave_no_velocity() {
        let s = suggest(&row(3), Sales::over_the_window(-2), horizon(14));
        assert_eq!(s.basis, Basis::ReorderQuantity);
        assert_eq!(s.velocity().amount().to_string(), "-0.0714");
    }

    #[test]
    fn a_row_without_lead_time_uses_the_default_of_7_days() {
        let mut r = row(0);
        r.lead_time_days = None;
        r.reorder_point = None;
        // 28 in 28 days = 1 a day; 7 + 14 days: 21.
        let s = suggest(&r, Sales::over_the_window(28), horizon(14));
        assert_eq!((s.lead_time_days, s.suggested_quantity), (7, 21));
    }

    #[test]
    fn rows_with_velocity_come_first_by_days_of_cover_then_the_rest_emptiest_first() {
        let p = |id: &str| ProductId::parse(id).unwrap();
        let mut list = vec![
            (
                p("idle-full"),
                suggest(&row(4), Sales::over_the_window(0), horizon(14)),
            ),
            (
                p("slow"),
                suggest(&row(6), Sales::over_the_window(14), horizon(14)),
            ),
            (
                p("idle-empty"),
                suggest(&row(0), Sales::over_the_window(0), horizon(14)),
            ),
            (
                p("fast"),
                suggest(&row(6), Sales::over_the_window(28), horizon(14)),
            ),
        ];
        sort_by_urgency(&mut list, |(id, s)| (id, s));
        let order: Vec<&str> = list.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(order, ["fast", "slow", "idle-empty", "idle-full"]);
    }

    #[test]
    fn totals_add_units_and_exact_value_and_count_rows_without_a_cost_price() {
        let a = suggest(&row(6), Sales::over_the_window(14), horizon(14));
        let mut no_cost = row(3);
        no_cost.cost_price = None;
        let b = suggest(&no_cost, Sales::over_the_window(0), horizon(14));
        let totals = Totals::of([&a, &b]).unwrap();
        assert_eq!((totals.count, totals.units), (2, 34));
        assert_eq!(totals.value_at_cost.to_string(), "401.00");
        assert_eq!(totals.without_cost_price, 1);
    }

    proptest! {
        #[test]
        fn a_suggestion_is_never_negative(
            available in -10i64..10_000,
            units in -50i64..100_000,
            reorder_point in proptest::option::of(0i64..1000),
            reorder_quantity in proptest::option::of(-5i64..1000),
            max in proptest::option::of(0i64..10_000),
            lead in proptest::option::of(-3i64..120),
            days in 1i64..=365,
        ) {
            let r = RowPlanning {
                available, reorder_point, reorder_quantity, max_stock_level: max,
                lead_time_days: lead, cost_price: None,
            };
            prop_assert!(suggest(&r, Sales::over_the_window(units), horizon(days)).suggested_quantity >= 0);
        }

        #[test]
        fn more_sales_never_lower_the_suggestion(
            available in 0i64..10_000,
            units in 1i64..100_000,
            more in 0i64..1000,
            reorder_point in proptest::option::of(0i64..1000),
            lead in proptest::option::of(0i64..120),
            days in 1i64..=365,
        ) {
            let r = RowPlanning {
                available, reorder_point, lead_time_days: lead, ..RowPlanning::default()
            };
            let fewer = suggest(&r, Sales::over_the_window(units), horizon(days));
            let more = suggest(&r, Sales::over_the_window(units + more), horizon(days));
            prop_assert!(more.suggested_quantity >= fewer.suggested_quantity);
            // And it runs out no later.
            prop_assert!(more.urgency(&fewer) != Ordering::Greater);
        }

        #[test]
        fn ordering_the_suggestion_covers_the_lead_time_and_the_horizon(
            available in 0i64..10_000,
            units in 1i64..100_000,
            lead in 0i64..120,
            days in 1i64..=365,
        ) {
            let r = RowPlanning {
                available, reorder_point: Some(0), lead_time_days: Some(lead), ..RowPlanning::default()
            };
            let s = suggest(&r, Sales::over_the_window(units), horizon(days));
            let stocked = i128::from(available + s.suggested_quantity);
            // stocked / velocity ≥ lead + horizon, exactly.
            prop_assert!(
                stocked * i128::from(SALES_WINDOW_DAYS * MS_PER_DAY)
                    >= i128::from(lead + days) * i128::from(units) * i128::from(MS_PER_DAY)
            );
        }
    }
}
