//! Money: exact rupee amounts, never floating point.

use super::InvalidValue;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A non-negative amount with at most two decimal places and at most ten crore.
///
/// Sums and products use `Decimal`, so `0.10 + 0.20` is `0.30`. In DynamoDB it is an `N`
/// attribute written from the decimal's own text (see `db::item`); in JSON it is a number whose
/// text is the exact decimal (`45.50`), so no float ever stands between the table and the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

impl Money {
    const MAX: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

    /// # Errors
    /// Negative, more than two decimal places, or above 1,000,000,000.
    pub fn new(field: &'static str, amount: Decimal) -> Result<Self, InvalidValue> {
        let amount = amount.normalize();
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(InvalidValue::new(field, "must not be negative"));
        }
        if amount.scale() > 2 {
            return Err(InvalidValue::new(
                field,
                "must have at most two decimal places",
            ));
        }
        if amount > Self::MAX {
            return Err(InvalidValue::new(field, "must be at most 1000000000"));
        }
        Ok(Self(amount.abs()))
    }

    /// # Errors
    /// As [`Money::new`], or when the text is not a decimal number.
    pub fn parse(field: &'static str, text: &str) -> Result<Self, InvalidValue> {
        let amount = Decimal::from_str(text.trim())
            .map_err(|_| InvalidValue::new(field, "must be a decimal number"))?;
        Self::new(field, amount)
    }

    /// For write-side records bound for DynamoDB: the exact text, which `db::item` stores as `N`.
    ///
    /// # Errors
    /// Never, beyond the serializer's own.
    pub fn serialize_as_text<S: Serializer>(
        money: &Money,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&money.to_paise_text())
    }

    pub fn amount(self) -> Decimal {
        self.0
    }

    /// The value rounded to paise, the form shown to people and written to the table.
    fn to_paise_text(self) -> String {
        let mut d = self.0;
        d.rescale(2);
        d.to_string()
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_paise_text())
    }
}

/// Serialises as a JSON number with the exact decimal text (`45.50`).
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = serde_json::value::RawValue::from_string(self.to_paise_text())
            .map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

/// A sum of money: exact, and without the cap a single price has (a store's stock at cost may
/// well exceed ten crore). Serialised like [`Money`], as a JSON number with two decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Total(Decimal);

impl Total {
    /// The sum of `amount × units` over `items`, exact. `None` only past `Decimal`'s range
    /// (about 7.9e28), which no store reaches.
    pub fn of(items: impl IntoIterator<Item = (Money, i64)>) -> Option<Self> {
        items
            .into_iter()
            .try_fold(Decimal::ZERO, |sum, (price, units)| {
                price
                    .amount()
                    .checked_mul(Decimal::from(units))
                    .and_then(|value| sum.checked_add(value))
            })
            .map(Self)
    }

    pub fn amount(self) -> Decimal {
        self.0
    }

    /// For write-side records bound for DynamoDB: the exact text, stored as `N` at the top
    /// level of an item (see `db::item`) and as text inside lists.
    ///
    /// # Errors
    /// Never, beyond the serializer's own.
    pub fn serialize_as_text<S: Serializer>(
        total: &Total,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&total.to_string())
    }
}

/// Reads the exact decimal text a record stored (see [`Total::serialize_as_text`]).
impl<'de> Deserialize<'de> for Total {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Decimal::from_str(text.trim())
            .map(Self)
            .map_err(|_| serde::de::Error::custom("a total must be a decimal number"))
    }
}

impl fmt::Display for Total {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = self.0;
        d.rescale(2);
        write!(f, "{d}")
    }
}

impl Serialize for Total {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = serde_json::value::RawValue::from_string(self.to_string())
            .map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

/// Reads the decimal text: a string, or (through `db::item`) a DynamoDB `N` rendered as a string.
/// Integers are accepted too; floats never are.
impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Money;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal amount as a string or an integer")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Money, E> {
                Money::parse("amount", v).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Money, E> {
                Money::new("amount", Decimal::from(v)).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Money, E> {
                Money::new("amount", Decimal::from(v)).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_exact() {
        let a = Money::parse("p", "0.10").unwrap().amount();
        let b = Money::parse("p", "0.20").unwrap().amount();
        assert_eq!(a + b, Decimal::from_str("0.3").unwrap());
        assert_eq!(Money::new("p", a + b).unwrap().to_string(), "0.30");
    }

    #[test]
    fn serialises_to_json_as_an_exact_number() {
        let m = Money::parse("p", "45.5").unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "45.50");
        let big = Money::parse("p", "99999999.99").unwrap();
        assert_eq!(serde_json::to_string(&big).unwrap(), "99999999.99");
    }

    #[test]
    fn totals_are_exact_and_uncapped() {
        let price = Money::parse("p", "1299.00").unwrap();
        let total = Total::of([(price, 1_000_000)]).unwrap();
        assert_eq!(serde_json::to_string(&total).unwrap(), "1299000000.00");
        let cents = Money::parse("p", "0.10").unwrap();
        assert_eq!(
            Total::of([(cents, 3), (cents, 0)]).unwrap().to_string(),
            "0.30"
        );
    }

    #[test]
    fn refuses_negative_sub_paise_and_huge_amounts() {
        assert!(Money::parse("p", "-1").is_err());
        assert!(Money::parse("p", "1.005").is_err());
        assert!(Money::parse("p", "1000000000.01").is_err());
        assert!(Money::parse("p", "abc").is_err());
        assert!(Money::parse("p", "1.50").is_ok());
    }
}
