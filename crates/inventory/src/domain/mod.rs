//! Domain types: every value here was parsed once and is valid by construction.

mod barcode;
mod ids;
mod money;
mod page;
mod quantity;
mod stock;
pub(crate) mod text;

pub use barcode::Barcode;
pub use ids::{OrderId, ProductId, ReservationId, StoreId};
pub use money::Money;
pub use page::{Limit, NextToken};
pub use quantity::{Quantity, StockChange, StockChangeError, StockCount, StockDelta};
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
