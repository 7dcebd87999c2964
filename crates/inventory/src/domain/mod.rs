//! Domain types: every value here was parsed once and is valid by construction.

/// A string newtype whose only constructor is `parse`, which runs `$check` (returning the
/// accepted text or why it is refused). Serde goes through `parse` too, so no deserializer can
/// build an invalid value.
macro_rules! validated_string {
    ($(#[$doc:meta])* $name:ident, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// # Errors
            /// When the value breaks the rule its type documents.
            pub fn parse(raw: impl Into<String>) -> Result<Self, $crate::domain::InvalidValue> {
                let check: fn(String) -> Result<String, $crate::domain::InvalidValue> = $check;
                check(raw.into()).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::domain::InvalidValue;
            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(raw)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

mod barcode;
pub mod catalog;
pub mod fingerprint;
mod ids;
mod location;
mod money;
pub mod order;
mod page;
mod quantity;
pub mod requests;
pub mod reservation;
pub mod settings;
mod stock;
pub(crate) mod text;
pub mod time;

pub use barcode::Barcode;
pub use catalog::{Brand, Category, Description, ImageUrl, ProductName, Unit, UNITS};
pub use fingerprint::Fingerprint;
pub use ids::{IdempotencyKey, OrderId, ProductId, ReservationId, StoreId};
pub use location::{Address, Location, LocationName, LocationType};
pub use money::{Money, Total};
pub use order::{CustomerId, Order, OrderLine, OrderStatus, Step, StockEffect};
pub use page::{Limit, NextToken, PageNumber};
pub use quantity::{Quantity, StockChange, StockChangeError, StockCount, StockDelta, MAX_UNITS};
pub use requests::{AdjustmentRequest, StockChangeRequest};
pub use reservation::{
    Line, LineAvailability, Outcome, Placement, Reservation, ReservationStatus, ReserveRequest,
    Shortage, Transition, DEFAULT_EXPIRY_MINUTES, MAX_EXPIRY_MINUTES, MAX_LINES,
};
pub use settings::{LeadTimeDays, RowSettings, ShelfLocation, StockLevels};
pub use stock::{AdjustmentType, MovementType, Refusal, Stock, StockOp};
pub use text::{Actor, Reason, Reference, SearchQuery};

/// Why a raw value could not become a domain value. The message is safe to show a client: it
/// names what was wrong and what is allowed, and never echoes more than the field name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {problem}")]
pub struct InvalidValue {
    pub field: &'static str,
    pub problem: String,
}

impl InvalidValue {
    pub fn new(field: &'static str, problem: impl Into<String>) -> Self {
        Self {
            field,
            problem: problem.into(),
        }
    }
}
