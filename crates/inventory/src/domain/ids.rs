//! Identifiers of stores and products.

use super::InvalidValue;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest id we accept; existing ids are short slugs or UUIDs.
const MAX_ID_LEN: usize = 64;

fn parse_id(field: &'static str, raw: &str) -> Result<(), InvalidValue> {
    if raw.is_empty() || raw.len() > MAX_ID_LEN {
        return Err(InvalidValue::new(
            field,
            format!("must be 1 to {MAX_ID_LEN} characters"),
        ));
    }
    // Ids end up in DynamoDB keys and in composite sort keys joined with '#', so '#' and anything
    // outside this small alphabet is refused rather than escaped.
    if !raw
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(InvalidValue::new(
            field,
            "may contain only letters, digits, '-', '_' and '.'",
        ));
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// # Errors
            /// When the id is empty, longer than 64 characters or outside `[A-Za-z0-9._-]`.
            pub fn parse(raw: impl Into<String>) -> Result<Self, InvalidValue> {
                let raw = raw.into();
                parse_id($field, &raw)?;
                Ok(Self(raw))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidValue;
            fn try_from(raw: String) -> Result<Self, InvalidValue> {
                Self::parse(raw)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A store (shop) of the marketplace.
    StoreId, "store_id"
);
id_type!(
    /// A product of the shared catalog.
    ProductId, "product_id"
);
id_type!(
    /// A marketplace order, as the order service names it.
    OrderId, "order_id"
);
id_type!(
    /// A reservation of stock for an order.
    ReservationId, "reservation_id"
);

impl ReservationId {
    /// A new, unguessable reservation id.
    pub fn generate() -> Self {
        Self(format!("res-{}", uuid::Uuid::new_v4().simple()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_slugs_and_uuids() {
        assert!(StoreId::parse("store-blr-001").is_ok());
        assert!(ProductId::parse("6f1c2a9e-8b1d-4c1e-9f7a-0d2b8c3e4f5a").is_ok());
    }

    #[test]
    fn rejects_empty_long_and_expression_like_ids() {
        assert!(StoreId::parse("").is_err());
        assert!(StoreId::parse("x".repeat(65)).is_err());
        for bad in ["a#b", ":v", "#a", "a b", ") OR attribute_exists(x"] {
            let err = ProductId::parse(bad).unwrap_err();
            assert_eq!(err.field, "product_id", "{bad}");
        }
    }

    #[test]
    fn deserializing_cannot_build_an_invalid_id() {
        assert!(serde_json::from_str::<StoreId>("\"a#b\"").is_err());
        assert_eq!(
            serde_json::from_str::<StoreId>("\"s1\"").unwrap().as_str(),
            "s1"
        );
    }
}
