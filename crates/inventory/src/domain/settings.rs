//! An inventory row's settings: stock levels, reorder rule, prices, shelf location and lead
//! time. Stock itself is no setting: it changes only through ledger movements.
//!
//! A body is read into [`Settings`] field by field, each into its type, so every refusal names
//! its field. The level rule (min ≤ reorder point ≤ max, where set) is [`Settings::check_levels`],
//! run on the settings as they will be once a change is applied.

use super::text::bounded_text;
use super::{InvalidValue, Money, MAX_UNITS};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

/// The longest shelf location, in characters.
pub const SHELF_LOCATION_MAX_CHARS: usize = 64;
/// The longest lead time a supplier may be given, in days.
pub const MAX_LEAD_TIME_DAYS: i64 = 365;

validated_string!(
    /// Where a row's units sit in its store (a shelf, aisle or bin such as `A1-03`): 1 to 64
    /// characters, no control or invisible formatting characters.
    ShelfLocation,
    |raw| bounded_text("location", raw, SHELF_LOCATION_MAX_CHARS)
);

/// The settings' names, in the order they are listed to clients.
pub const SETTING_NAMES: [&str; 8] = [
    "reorder_point",
    "reorder_quantity",
    "min_stock_level",
    "max_stock_level",
    "selling_price",
    "cost_price",
    "location",
    "lead_time_days",
];

/// Quantities a client might try to set here; they change only through movements.
const STOCK_NAMES: [&str; 3] = ["current_stock", "reserved_stock", "available_stock"];

/// A row's settings, or a change to them: `None` is "not set" (in a change, "left as it is").
///
/// Serialised (in a ledger entry's `before` and `after`) with money as its exact text, since a
/// nested map has no place for DynamoDB's `N` type (see `db::item`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reorder_point: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reorder_quantity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_stock_level: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_stock_level: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "money_text"
    )]
    pub selling_price: Option<Money>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "money_text"
    )]
    pub cost_price: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<ShelfLocation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_time_days: Option<i64>,
}

fn money_text<S: Serializer>(money: &Option<Money>, serializer: S) -> Result<S::Ok, S::Error> {
    match money {
        Some(m) => Money::serialize_as_text(m, serializer),
        None => serializer.serialize_none(),
    }
}

/// The first broken level rule: `lower` is above `upper`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelsOutOfOrder {
    pub lower: (&'static str, i64),
    pub upper: (&'static str, i64),
}

impl LevelsOutOfOrder {
    pub fn message(&self) -> String {
        format!(
            "{} ({}) must be at most {} ({})",
            self.lower.0, self.lower.1, self.upper.0, self.upper.1
        )
    }
}

impl From<LevelsOutOfOrder> for InvalidValue {
    fn from(e: LevelsOutOfOrder) -> Self {
        InvalidValue::new(
            e.lower.0,
            format!(
                "({}) must be at most {} ({})",
                e.lower.1, e.upper.0, e.upper.1
            ),
        )
    }
}

impl Settings {
    /// A change to a row's settings from a PATCH body: a JSON object naming at least one
    /// setting, nothing else.
    ///
    /// # Errors
    /// An empty object, a field that is not a setting (stock included), or a value out of range.
    pub fn change_from(body: Map<String, Value>) -> Result<Self, InvalidValue> {
        if body.is_empty() {
            return Err(InvalidValue::new(
                "body",
                format!(
                    "must name at least one setting: {}",
                    SETTING_NAMES.join(", ")
                ),
            ));
        }
        let change = Self::read(body, &[])?;
        change.check_levels()?;
        Ok(change)
    }

    /// Reads every field of `body` as a setting; `required` ones must be there.
    ///
    /// # Errors
    /// A field that is not a setting, a missing required one, or a value out of range.
    pub fn read(body: Map<String, Value>, required: &[&'static str]) -> Result<Self, InvalidValue> {
        if let Some(missing) = required
            .iter()
            .copied()
            .find(|name| !body.contains_key(*name))
        {
            return Err(InvalidValue::new(missing, "is required"));
        }
        let mut settings = Self::default();
        for (name, value) in body {
            settings.set(&name, &value)?;
        }
        Ok(settings)
    }

    fn set(&mut self, name: &str, value: &Value) -> Result<(), InvalidValue> {
        let Some(field) = SETTING_NAMES.iter().copied().find(|n| *n == name) else {
            if let Some(stock) = STOCK_NAMES.iter().copied().find(|n| *n == name) {
                return Err(InvalidValue::new(
                    stock,
                    "is not a setting: stock changes only through movements (PUT .../stock, POST /api/v1/inventory/adjust)",
                ));
            }
            return Err(InvalidValue::new(
                "body",
                format!(
                    "has an unknown field `{}`; the settings are {}",
                    name.chars().take(64).collect::<String>(),
                    SETTING_NAMES.join(", ")
                ),
            ));
        };
        if value.is_null() {
            return Err(InvalidValue::new(
                field,
                "must not be null: a setting can be changed here, not removed",
            ));
        }
        match field {
            "reorder_point" => self.reorder_point = Some(level(field, value)?),
            "reorder_quantity" => self.reorder_quantity = Some(level(field, value)?),
            "min_stock_level" => self.min_stock_level = Some(level(field, value)?),
            "max_stock_level" => self.max_stock_level = Some(level(field, value)?),
            "selling_price" => self.selling_price = Some(price(field, value)?),
            "cost_price" => self.cost_price = Some(price(field, value)?),
            "location" => {
                let text = value
                    .as_str()
                    .ok_or_else(|| InvalidValue::new(field, "must be a string"))?;
                self.location = Some(ShelfLocation::parse(text)?);
            }
            _ => self.lead_time_days = Some(whole(field, value, 0, MAX_LEAD_TIME_DAYS)?),
        }
        Ok(())
    }

    /// These settings with `change` applied: what the row will hold.
    #[must_use]
    pub fn with(&self, change: &Self) -> Self {
        Self {
            reorder_point: change.reorder_point.or(self.reorder_point),
            reorder_quantity: change.reorder_quantity.or(self.reorder_quantity),
            min_stock_level: change.min_stock_level.or(self.min_stock_level),
            max_stock_level: change.max_stock_level.or(self.max_stock_level),
            selling_price: change.selling_price.or(self.selling_price),
            cost_price: change.cost_price.or(self.cost_price),
            location: change.location.clone().or_else(|| self.location.clone()),
            lead_time_days: change.lead_time_days.or(self.lead_time_days),
        }
    }

    /// Of `change`, only what differs from these settings: `(before, after)`, each holding just
    /// the changed fields. Both empty when `change` changes nothing.
    pub fn diff(&self, change: &Self) -> (Self, Self) {
        fn pick<T: Clone + PartialEq>(
            now: &Option<T>,
            to: &Option<T>,
            before: &mut Option<T>,
            after: &mut Option<T>,
        ) {
            if to.is_some() && to != now {
                before.clone_from(now);
                after.clone_from(to);
            }
        }
        let (mut b, mut a) = (Self::default(), Self::default());
        pick(
            &self.reorder_point,
            &change.reorder_point,
            &mut b.reorder_point,
            &mut a.reorder_point,
        );
        pick(
            &self.reorder_quantity,
            &change.reorder_quantity,
            &mut b.reorder_quantity,
            &mut a.reorder_quantity,
        );
        pick(
            &self.min_stock_level,
            &change.min_stock_level,
            &mut b.min_stock_level,
            &mut a.min_stock_level,
        );
        pick(
            &self.max_stock_level,
            &change.max_stock_level,
            &mut b.max_stock_level,
            &mut a.max_stock_level,
        );
        pick(
            &self.selling_price,
            &change.selling_price,
            &mut b.selling_price,
            &mut a.selling_price,
        );
        pick(
            &self.cost_price,
            &change.cost_price,
            &mut b.cost_price,
            &mut a.cost_price,
        );
        pick(
            &self.location,
            &change.location,
            &mut b.location,
            &mut a.location,
        );
        pick(
            &self.lead_time_days,
            &change.lead_time_days,
            &mut b.lead_time_days,
            &mut a.lead_time_days,
        );
        (b, a)
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// min ≤ reorder point ≤ max, for the levels that are set.
    ///
    /// # Errors
    /// The first pair out of order.
    pub fn check_levels(&self) -> Result<(), LevelsOutOfOrder> {
        let min = self.min_stock_level.map(|v| ("min_stock_level", v));
        let reorder = self.reorder_point.map(|v| ("reorder_point", v));
        let max = self.max_stock_level.map(|v| ("max_stock_level", v));
        for (lower, upper) in [(min, reorder), (reorder, max), (min, max)] {
            if let (Some(lower), Some(upper)) = (lower, upper) {
                if lower.1 > upper.1 {
                    return Err(LevelsOutOfOrder { lower, upper });
                }
            }
        }
        Ok(())
    }
}

/// A stock level or reorder quantity: a whole number of units, 0 to 1,000,000.
fn level(field: &'static str, value: &Value) -> Result<i64, InvalidValue> {
    whole(field, value, 0, MAX_UNITS)
}

fn whole(field: &'static str, value: &Value, min: i64, max: i64) -> Result<i64, InvalidValue> {
    value
        .as_i64()
        .filter(|v| (min..=max).contains(v))
        .ok_or_else(|| {
            InvalidValue::new(field, format!("must be a whole number from {min} to {max}"))
        })
}

/// A price: a decimal string such as `"45.50"` or a whole number; never a JSON float, whose
/// binary rounding must not reach a price.
fn price(field: &'static str, value: &Value) -> Result<Money, InvalidValue> {
    match value {
        Value::String(text) => Money::parse(field, text),
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            let units = n
                .as_i64()
                .ok_or_else(|| InvalidValue::new(field, "must be at most 1000000000"))?;
            Money::new(field, Decimal::from(units))
        }
        _ => Err(InvalidValue::new(
            field,
            "must be a decimal string such as \"45.50\" or a whole number (never a JSON float)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().expect("an object").clone()
    }

    #[test]
    fn a_change_reads_each_setting_into_its_type() {
        let change = Settings::change_from(body(json!({
            "reorder_point": 5, "selling_price": "45.50", "cost_price": 40,
            "location": " A1-03 ", "lead_time_days": 7
        })))
        .unwrap();
        assert_eq!(change.reorder_point, Some(5));
        assert_eq!(change.selling_price.unwrap().to_string(), "45.50");
        assert_eq!(change.cost_price.unwrap().to_string(), "40.00");
        assert_eq!(change.location.unwrap().as_str(), "A1-03");
        assert_eq!(change.lead_time_days, Some(7));
    }

    #[test]
    fn stock_unknown_fields_nulls_floats_and_three_decimals_are_refused_by_name() {
        let refused = |v: Value| Settings::change_from(body(v)).unwrap_err();
        assert_eq!(refused(json!({"current_stock": 5})).field, "current_stock");
        assert_eq!(refused(json!({"reorder_pont": 5})).field, "body");
        assert_eq!(refused(json!({})).field, "body");
        assert_eq!(
            refused(json!({"max_stock_level": null})).field,
            "max_stock_level"
        );
        assert_eq!(
            refused(json!({"selling_price": 4.5})).field,
            "selling_price"
        );
        let e = refused(json!({"cost_price": "1.005"}));
        assert_eq!(
            e.to_string(),
            "cost_price must have at most two decimal places"
        );
        assert_eq!(
            refused(json!({"min_stock_level": -1})).field,
            "min_stock_level"
        );
        assert_eq!(
            refused(json!({"reorder_quantity": "5"})).field,
            "reorder_quantity"
        );
        assert_eq!(
            refused(json!({"lead_time_days": 366})).field,
            "lead_time_days"
        );
        assert_eq!(
            refused(json!({"location": "x".repeat(65)})).field,
            "location"
        );
        assert_eq!(
            refused(json!({"min_stock_level": 9, "max_stock_level": 3})).field,
            "min_stock_level"
        );
    }

    #[test]
    fn levels_are_checked_as_they_will_be() {
        let stored = Settings {
            max_stock_level: Some(10),
            ..Settings::default()
        };
        let change = Settings {
            min_stock_level: Some(20),
            ..Settings::default()
        };
        let broken = stored.with(&change).check_levels().unwrap_err();
        assert_eq!(
            broken.message(),
            "min_stock_level (20) must be at most max_stock_level (10)"
        );
        let fine = Settings {
            reorder_point: Some(10),
            ..Settings::default()
        };
        assert!(stored.with(&fine).check_levels().is_ok());
    }

    #[test]
    fn the_diff_holds_only_what_changes() {
        let stored = Settings {
            reorder_point: Some(5),
            max_stock_level: Some(50),
            ..Settings::default()
        };
        let change = Settings {
            reorder_point: Some(5),
            max_stock_level: Some(60),
            lead_time_days: Some(3),
            ..Settings::default()
        };
        let (before, after) = stored.diff(&change);
        assert_eq!(
            before,
            Settings {
                max_stock_level: Some(50),
                ..Settings::default()
            }
        );
        assert_eq!(
            after,
            Settings {
                max_stock_level: Some(60),
                lead_time_days: Some(3),
                ..Settings::default()
            }
        );
        assert_eq!(
            stored.diff(&stored),
            (Settings::default(), Settings::default())
        );
    }
}
