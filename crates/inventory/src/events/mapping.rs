//! From one DynamoDB stream record to the events it stands for. Pure: no I/O, so every rule
//! here is unit-tested on images, and the processor's tests check it on real stream records.

use crate::db::item::{from_item, Item};
use crate::db::{InventoryItem, Movement, Product, Tables};
use crate::domain::time::rfc3339;
use crate::domain::{Order, OrderStatus, Reservation, ReservationStatus};
use aws_lambda_events::dynamodb::EventRecord;
use chrono::SecondsFormat;
use serde::Serialize;
use serde_json::value::RawValue;

/// EventBridge `source` of every event this service publishes.
pub const SOURCE: &str = "marketplace.inventory";

/// What happened. The variant name is EventBridge's `detail-type`; [`EventType::legacy_name`] is
/// the replaced service's Kafka name, carried as `detail.event_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    StockChanged,
    LowStock,
    OutOfStock,
    BackInStock,
    ReservationCreated,
    ReservationCompleted,
    ReservationReleased,
    ReservationExpired,
    ProductCreated,
    ProductUpdated,
    OrderCreated,
    OrderStatusChanged,
}

impl EventType {
    pub const ALL: [Self; 12] = [
        Self::StockChanged,
        Self::LowStock,
        Self::OutOfStock,
        Self::BackInStock,
        Self::ReservationCreated,
        Self::ReservationCompleted,
        Self::ReservationReleased,
        Self::ReservationExpired,
        Self::ProductCreated,
        Self::ProductUpdated,
        Self::OrderCreated,
        Self::OrderStatusChanged,
    ];

    /// EventBridge's `detail-type`, which rules match on.
    pub fn detail_type(self) -> &'static str {
        match self {
            Self::StockChanged => "StockChanged",
            Self::LowStock => "LowStock",
            Self::OutOfStock => "OutOfStock",
            Self::BackInStock => "BackInStock",
            Self::ReservationCreated => "ReservationCreated",
            Self::ReservationCompleted => "ReservationCompleted",
            Self::ReservationReleased => "ReservationReleased",
            Self::ReservationExpired => "ReservationExpired",
            Self::ProductCreated => "ProductCreated",
            Self::ProductUpdated => "ProductUpdated",
            Self::OrderCreated => "OrderCreated",
            Self::OrderStatusChanged => "OrderStatusChanged",
        }
    }

    /// The replaced service's Kafka event name, so its consumers map one to one (README).
    pub fn legacy_name(self) -> &'static str {
        match self {
            Self::StockChanged => "STOCK_UPDATED",
            Self::LowStock => "LOW_STOCK",
            Self::OutOfStock => "OUT_OF_STOCK",
            Self::BackInStock => "BACK_IN_STOCK",
            Self::ReservationCreated => "STOCK_RESERVED",
            Self::ReservationCompleted => "RESERVATION_COMPLETED",
            Self::ReservationReleased => "STOCK_RELEASED",
            Self::ReservationExpired => "RESERVATION_EXPIRED",
            Self::ProductCreated => "PRODUCT_CREATED",
            Self::ProductUpdated => "PRODUCT_UPDATED",
            Self::OrderCreated => "ORDER_CREATED",
            Self::OrderStatusChanged => "ORDER_STATUS_CHANGED",
        }
    }
}

/// One event as it goes on the bus: `detail-type` and `detail`.
#[derive(Debug, Clone)]
pub struct Event {
    pub event_type: EventType,
    pub detail: Detail,
}

/// EventBridge's `detail`: the replaced service's envelope (`event_type`, `timestamp`, `data`)
/// plus `event_id`, the same on every redelivery of the same change, for consumers to deduplicate.
#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    /// The stream record's `eventID` and the event's type: `{eventID}-{detail-type}`.
    pub event_id: String,
    /// The legacy (Kafka) name, e.g. `STOCK_UPDATED`.
    pub event_type: &'static str,
    /// When the change committed, RFC 3339 UTC with milliseconds.
    pub timestamp: String,
    /// Kept as JSON text, never a `serde_json::Value`: money stays exact (`45.50`, not `45.5`).
    pub data: Box<RawValue>,
}

/// A record that cannot be turned into events: it fails its batch item (and, after Lambda's
/// retries, lands on the failure queue) rather than being skipped.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("stream record {event_id} comes from {arn:?}, which is none of this service's tables")]
    UnknownTable {
        event_id: String,
        arn: Option<String>,
    },
    #[error("stream record {event_id} does not decode")]
    Decode {
        event_id: String,
        #[source]
        source: crate::db::DbError,
    },
    #[error("an event of stream record {event_id} does not serialise")]
    Encode {
        event_id: String,
        #[source]
        source: serde_json::Error,
    },
}

/// The before and after quantities of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Levels {
    pub current_stock: i64,
    pub reserved_stock: i64,
    pub available_stock: i64,
}

impl From<crate::domain::Stock> for Levels {
    fn from(s: crate::domain::Stock) -> Self {
        Self {
            current_stock: s.current,
            reserved_stock: s.reserved,
            available_stock: s.available,
        }
    }
}

/// `StockChanged.data`: one ledger movement.
#[derive(Debug, Serialize)]
struct StockChanged<'a> {
    store_id: &'a str,
    product_id: &'a str,
    movement_id: &'a str,
    /// The row's ledger sequence after this change; consumers can order and spot gaps with it.
    seq: i64,
    movement_type: crate::domain::MovementType,
    delta: i64,
    before: Levels,
    after: Levels,
    actor: &'a crate::domain::Actor,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a crate::domain::Reason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<&'a crate::domain::Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    adjustment_type: Option<crate::domain::AdjustmentType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reservation_id: Option<&'a crate::domain::ReservationId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    order_id: Option<&'a crate::domain::OrderId>,
}

/// `LowStock`, `OutOfStock` and `BackInStock` data: the row's quantities after the write.
#[derive(Debug, Serialize)]
struct StockLevel<'a> {
    store_id: &'a str,
    product_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    current_stock: i64,
    reserved_stock: i64,
    available_stock: i64,
    /// The level the row is judged against: its reorder point, else its minimum level.
    #[serde(skip_serializing_if = "Option::is_none")]
    threshold: Option<i64>,
}

/// Which table a record comes from, by the table name in its `eventSourceARN`
/// (`arn:aws:dynamodb:{region}:{account}:table/{name}/stream/{label}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Inventory,
    Ledger,
    Catalog,
    Orders,
}

fn source(record: &EventRecord, tables: &Tables) -> Option<Source> {
    let arn = record.event_source_arn.as_deref()?;
    let name = arn.split_once(":table/")?.1.split('/').next()?;
    if name == tables.inventory {
        Some(Source::Inventory)
    } else if name == tables.ledger {
        Some(Source::Ledger)
    } else if name == tables.products {
        Some(Source::Catalog)
    } else if name == tables.orders {
        Some(Source::Orders)
    } else {
        None
    }
}

fn image(item: &serde_dynamo::Item) -> Option<Item> {
    if item.is_empty() {
        None
    } else {
        Some(item.clone().into())
    }
}

/// The events one stream record stands for, in the order they happened; often none (an order
/// marker, an idempotency record, a TTL deletion, a row whose levels crossed nothing).
///
/// # Errors
/// When the record comes from an unknown table or its images do not decode.
pub fn events_for(record: &EventRecord, tables: &Tables) -> Result<Vec<Event>, RecordError> {
    let event_id = record.event_id.as_str();
    let committed = record
        .change
        .approximate_creation_date_time
        .to_rfc3339_opts(SecondsFormat::Millis, true);
    let new = image(&record.change.new_image);
    let old = image(&record.change.old_image);
    let mut out = Vec::new();
    let event = |event_type: EventType, timestamp: &str, data: &dyn erased::Data| {
        let data = data.to_json().map_err(|source| RecordError::Encode {
            event_id: event_id.to_owned(),
            source,
        })?;
        Ok::<_, RecordError>(Event {
            event_type,
            detail: Detail {
                event_id: format!("{event_id}-{}", event_type.detail_type()),
                event_type: event_type.legacy_name(),
                timestamp: timestamp.to_owned(),
                data,
            },
        })
    };

    match source(record, tables) {
        None => {
            return Err(RecordError::UnknownTable {
                event_id: event_id.to_owned(),
                arn: record.event_source_arn.clone(),
            })
        }
        Some(Source::Inventory) => {
            // Threshold events need both images: an INSERT or a REMOVE crosses nothing.
            let (Some(old), Some(new)) = (old, new) else {
                return Ok(out);
            };
            let old = decode::<InventoryItem>(event_id, &tables.inventory, old)?;
            let new = decode::<InventoryItem>(event_id, &tables.inventory, new)?;
            let at = new.updated_at.clone().unwrap_or(committed);
            let level = StockLevel {
                store_id: new.store_id.as_str(),
                product_id: new.product_id.as_str(),
                name: new.name.as_deref(),
                current_stock: new.current_stock,
                reserved_stock: new.reserved_stock,
                available_stock: new.available_stock,
                threshold: new.low_stock_threshold(),
            };
            if crossed_into_low(&old, &new) {
                out.push(event(EventType::LowStock, &at, &level)?);
            }
            if old.available_stock > 0 && new.available_stock <= 0 {
                out.push(event(EventType::OutOfStock, &at, &level)?);
            }
            if old.available_stock <= 0 && new.available_stock > 0 {
                out.push(event(EventType::BackInStock, &at, &level)?);
            }
        }
        Some(Source::Ledger) => {
            let Some(new) = new else {
                return Ok(out); // a TTL deletion
            };
            let pk = new.get("pk").and_then(|v| v.as_s().ok()).cloned();
            match pk.as_deref() {
                Some(pk) if pk.starts_with("MOV#") && old.is_none() => {
                    let m = decode::<Movement>(event_id, &tables.ledger, new)?;
                    let data = StockChanged {
                        store_id: m.store_id.as_str(),
                        product_id: m.product_id.as_str(),
                        movement_id: &m.movement_id,
                        seq: m.seq,
                        movement_type: m.movement_type,
                        delta: m.delta,
                        before: m.before().into(),
                        after: m.after().into(),
                        actor: &m.actor,
                        reason: m.reason.as_ref(),
                        reference: m.reference.as_ref(),
                        adjustment_type: m.adjustment_type,
                        reservation_id: m.reservation_id.as_ref(),
                        order_id: m.order_id.as_ref(),
                    };
                    out.push(event(
                        EventType::StockChanged,
                        &rfc3339(m.created_at),
                        &data,
                    )?);
                }
                Some(pk) if pk.starts_with("RES#") => {
                    let now = decode::<Reservation>(event_id, &tables.ledger, new)?;
                    let was = old
                        .map(|o| decode::<Reservation>(event_id, &tables.ledger, o))
                        .transpose()?;
                    if was.is_none() {
                        out.push(event(
                            EventType::ReservationCreated,
                            &rfc3339(now.created_at),
                            &now,
                        )?);
                    }
                    let was_active = was
                        .as_ref()
                        .is_none_or(|w| w.status == ReservationStatus::Active);
                    let finished = match now.status {
                        ReservationStatus::Active => None,
                        ReservationStatus::Completed => Some(EventType::ReservationCompleted),
                        ReservationStatus::Released => Some(EventType::ReservationReleased),
                        ReservationStatus::Expired => Some(EventType::ReservationExpired),
                    };
                    if let (true, Some(event_type)) = (was_active, finished) {
                        out.push(event(event_type, &rfc3339(now.updated_at), &now)?);
                    }
                }
                _ => {}
            }
        }
        Some(Source::Catalog) => {
            let Some(new_item) = new else {
                return Ok(out);
            };
            if old.as_ref() == Some(&new_item) {
                return Ok(out);
            }
            let product = decode::<Product>(event_id, &tables.products, new_item)?;
            let (event_type, at) = if old.is_none() {
                (EventType::ProductCreated, product.created_at.clone())
            } else {
                (EventType::ProductUpdated, product.updated_at.clone())
            };
            out.push(event(event_type, &at.unwrap_or(committed), &product)?);
        }
        Some(Source::Orders) => {
            let Some(new_item) = new else {
                return Ok(out);
            };
            let order = decode::<Order>(event_id, &tables.orders, new_item)?;
            let at = rfc3339(order.updated_at);
            match old {
                None => out.push(event(EventType::OrderCreated, &at, &order)?),
                Some(old_item) => {
                    let before = decode::<Order>(event_id, &tables.orders, old_item)?;
                    // A short pick rewrites the order without a new status: not a status change.
                    if before.status != order.status {
                        let change = OrderStatusChange {
                            order_id: order.order_id.as_str(),
                            store_id: order.store_id.as_str(),
                            from: before.status,
                            to: order.status,
                            order: &order,
                        };
                        out.push(event(EventType::OrderStatusChanged, &at, &change)?);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// `OrderStatusChanged.data`: the step, and the order after it.
#[derive(Serialize)]
struct OrderStatusChange<'a> {
    order_id: &'a str,
    store_id: &'a str,
    from: OrderStatus,
    to: OrderStatus,
    order: &'a Order,
}

/// A write crossed down to or below the row's threshold: it was above (or had none) and now is
/// at or below. A row that stays below never crosses again, so `LowStock` is sent once per dip.
fn crossed_into_low(old: &InventoryItem, new: &InventoryItem) -> bool {
    let low = |row: &InventoryItem| {
        row.low_stock_threshold()
            .is_some_and(|t| row.available_stock <= t)
    };
    !low(old) && low(new)
}

fn decode<T: serde::de::DeserializeOwned>(
    event_id: &str,
    table: &str,
    item: Item,
) -> Result<T, RecordError> {
    from_item(table, item).map_err(|source| RecordError::Decode {
        event_id: event_id.to_owned(),
        source,
    })
}

/// Serialising the different data shapes through one closure.
mod erased {
    pub trait Data {
        fn to_json(&self) -> Result<Box<serde_json::value::RawValue>, serde_json::Error>;
    }
    impl<T: serde::Serialize> Data for T {
        fn to_json(&self) -> Result<Box<serde_json::value::RawValue>, serde_json::Error> {
            serde_json::value::to_raw_value(self)
        }
    }
}
