//! Locations: warehouses, stores, online and dropship stock points. A store is a location, and
//! a `store_id` is a location id.

use super::text::bounded_text;
use super::{InvalidValue, StoreId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The kinds of location the merged services had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationType {
    Warehouse,
    Store,
    Online,
    Dropship,
}

impl LocationType {
    pub const ALL: [Self; 4] = [Self::Warehouse, Self::Store, Self::Online, Self::Dropship];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warehouse => "warehouse",
            Self::Store => "store",
            Self::Online => "online",
            Self::Dropship => "dropship",
        }
    }

    /// # Errors
    /// When `raw` is not one of the four types.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == raw)
            .ok_or_else(|| {
                InvalidValue::new("type", "must be one of warehouse, store, online, dropship")
            })
    }
}

validated_string!(
    /// A location's display name: 1 to 200 characters, no control or format characters.
    LocationName,
    |raw| bounded_text("name", raw, 200)
);
validated_string!(
    /// A location's postal address, as one text: 1 to 500 characters.
    Address,
    |raw| bounded_text("address", raw, 500)
);

/// A location as stored and answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub location_id: StoreId,
    pub location_type: LocationType,
    pub name: LocationName,
    pub address: Address,
    /// False once deleted: a soft delete keeps the location's history readable.
    pub active: bool,
    #[serde(with = "super::time::millis")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "super::time::millis")]
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_parse_only_the_four_names() {
        for t in LocationType::ALL {
            assert_eq!(LocationType::parse(t.as_str()).unwrap(), t);
        }
        assert_eq!(LocationType::parse("Store").unwrap_err().field, "type");
        assert!(serde_json::from_str::<LocationType>("\"depot\"").is_err());
    }
}
