//! Stock quantities: how many units to check or take, and how a stock level changes.

use super::{InvalidValue, Reason};
use serde::{Deserialize, Serialize};

/// The largest number of units any single request may name, in absolute value.
pub const MAX_UNITS: i64 = 1_000_000;

/// A positive number of units, 1 to 1,000,000: what a cart line asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Quantity(i64);

impl Quantity {
    /// # Errors
    /// Outside 1..=1,000,000.
    pub fn new(field: &'static str, units: i64) -> Result<Self, InvalidValue> {
        if (1..=MAX_UNITS).contains(&units) {
            Ok(Self(units))
        } else {
            Err(InvalidValue::new(
                field,
                format!("must be between 1 and {MAX_UNITS}"),
            ))
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for Quantity {
    type Error = InvalidValue;
    fn try_from(units: i64) -> Result<Self, InvalidValue> {
        Self::new("quantity", units)
    }
}

impl From<Quantity> for i64 {
    fn from(q: Quantity) -> i64 {
        q.0
    }
}

/// A signed change to on-hand stock: never zero, at most 1,000,000 in absolute value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct StockDelta(i64);

impl StockDelta {
    /// # Errors
    /// Zero, or more than 1,000,000 in absolute value.
    pub fn new(units: i64) -> Result<Self, InvalidValue> {
        if units != 0 && units.abs() <= MAX_UNITS {
            Ok(Self(units))
        } else {
            Err(InvalidValue::new(
                "quantity_change",
                format!("must be a non-zero whole number between -{MAX_UNITS} and {MAX_UNITS}"),
            ))
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for StockDelta {
    type Error = InvalidValue;
    fn try_from(units: i64) -> Result<Self, InvalidValue> {
        Self::new(units)
    }
}

impl From<StockDelta> for i64 {
    fn from(d: StockDelta) -> i64 {
        d.0
    }
}

/// An absolute stock level from a physical count: 0 to 1,000,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct StockCount(i64);

impl StockCount {
    /// # Errors
    /// Outside 0..=1,000,000.
    pub fn new(field: &'static str, units: i64) -> Result<Self, InvalidValue> {
        if (0..=MAX_UNITS).contains(&units) {
            Ok(Self(units))
        } else {
            Err(InvalidValue::new(
                field,
                format!("must be between 0 and {MAX_UNITS}"),
            ))
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for StockCount {
    type Error = InvalidValue;
    fn try_from(units: i64) -> Result<Self, InvalidValue> {
        Self::new("stock", units)
    }
}

impl From<StockCount> for i64 {
    fn from(c: StockCount) -> i64 {
        c.0
    }
}

/// What `PUT .../stock` asks for: a relative change, or a counted level compared against the level
/// the counter saw (so a count taken while a sale went through is refused, not silently applied).
///
/// It serialises (for its fingerprint, `domain::requests`) under explicit names, the body's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind")]
pub enum StockChange {
    #[serde(rename = "delta")]
    Delta {
        #[serde(rename = "quantity_change")]
        delta: StockDelta,
        #[serde(rename = "reason")]
        reason: Option<Reason>,
        /// A removal of units sold (`"sale": true`): it counts towards sales velocity (see
        /// `domain::reorder`). Left out of the canonical form when false, so fingerprints of
        /// requests from before the marker existed do not change.
        #[serde(rename = "sale", skip_serializing_if = "std::ops::Not::not")]
        sale: bool,
    },
    #[serde(rename = "count")]
    Count {
        #[serde(rename = "new_stock")]
        new_stock: StockCount,
        #[serde(rename = "expected_stock")]
        expected_stock: StockCount,
        #[serde(rename = "reason")]
        reason: Option<Reason>,
    },
}

/// The wire shape of a stock change, before it is known to be one kind or the other.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StockChangeBody {
    quantity_change: Option<i64>,
    new_stock: Option<i64>,
    expected_stock: Option<i64>,
    reason: Option<Reason>,
    sale: Option<bool>,
}

impl StockChange {
    /// # Errors
    /// When the body mixes a delta and a count, names neither, or a number is out of range.
    pub fn from_json(body: &[u8]) -> Result<Self, StockChangeError> {
        let raw: StockChangeBody = serde_json::from_slice(body).map_err(StockChangeError::Json)?;
        let sale = raw.sale.unwrap_or(false);
        let change = match (raw.quantity_change, raw.new_stock, raw.expected_stock) {
            (Some(delta), None, None) => {
                let delta = StockDelta::new(delta)?;
                if sale && delta.get() > 0 {
                    return Err(InvalidValue::new(
                        "sale",
                        "marks units sold, so it needs a negative quantity_change",
                    )
                    .into());
                }
                Self::Delta {
                    delta,
                    reason: raw.reason,
                    sale,
                }
            }
            (None, Some(_), Some(_)) if sale => {
                return Err(InvalidValue::new(
                    "sale",
                    "cannot mark a count: send the units sold as a negative quantity_change",
                )
                .into())
            }
            (None, Some(new_stock), Some(expected)) => Self::Count {
                new_stock: StockCount::new("new_stock", new_stock)?,
                expected_stock: StockCount::new("expected_stock", expected)?,
                reason: raw.reason,
            },
            (None, Some(_), None) => {
                return Err(InvalidValue::new(
                    "expected_stock",
                    "is required with new_stock: send the stock level your count started from",
                )
                .into())
            }
            _ => {
                return Err(InvalidValue::new(
                    "body",
                    "must have either quantity_change, or new_stock with expected_stock",
                )
                .into())
            }
        };
        Ok(change)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StockChangeError {
    #[error(transparent)]
    Json(serde_json::Error),
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_bounded_in_absolute_value() {
        assert!(Quantity::new("quantity", 0).is_err());
        assert!(Quantity::new("quantity", 1_000_001).is_err());
        assert!(StockDelta::new(0).is_err());
        assert!(StockDelta::new(-1_000_001).is_err());
        assert_eq!(StockDelta::new(-1_000_000).unwrap().get(), -1_000_000);
        assert!(StockCount::new("new_stock", -1).is_err());
    }

    #[test]
    fn a_body_is_a_delta_or_a_count_never_both() {
        assert!(matches!(
            StockChange::from_json(br#"{"quantity_change": -3, "reason": "sold"}"#),
            Ok(StockChange::Delta { .. })
        ));
        assert!(matches!(
            StockChange::from_json(br#"{"new_stock": 40, "expected_stock": 42}"#),
            Ok(StockChange::Count { .. })
        ));
        assert!(StockChange::from_json(br#"{"quantity_change": 1, "new_stock": 4}"#).is_err());
        assert!(StockChange::from_json(br#"{}"#).is_err());
        assert!(StockChange::from_json(br#"{"new_stock": 4}"#).is_err());
        assert!(StockChange::from_json(br#"{"quantity_change": 1, "colour": "red"}"#).is_err());
        assert!(StockChange::from_json(br#"{"quantity_change": "1"}"#).is_err());
        assert!(StockChange::from_json(br#"{"quantity_change": 1.5}"#).is_err());
    }

    #[test]
    fn only_a_removal_may_be_marked_as_a_sale() {
        assert!(matches!(
            StockChange::from_json(br#"{"quantity_change": -2, "sale": true}"#),
            Ok(StockChange::Delta { sale: true, .. })
        ));
        assert!(matches!(
            StockChange::from_json(br#"{"quantity_change": -2}"#),
            Ok(StockChange::Delta { sale: false, .. })
        ));
        let refused = |body: &[u8]| match StockChange::from_json(body) {
            Err(StockChangeError::Invalid(e)) => e.to_string(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            refused(br#"{"quantity_change": 2, "sale": true}"#),
            "sale marks units sold, so it needs a negative quantity_change"
        );
        assert_eq!(
            refused(br#"{"new_stock": 4, "expected_stock": 6, "sale": true}"#),
            "sale cannot mark a count: send the units sold as a negative quantity_change"
        );
        assert!(StockChange::from_json(br#"{"quantity_change": -2, "sale": "yes"}"#).is_err());
    }
}
