//! Who sees what of an inventory row. The storefront (anyone, no token) sees what a shopper
//! needs; a caller whose roles grant back-office reads for the store sees the whole row, on the
//! same routes. Costs, stock levels, reorder settings, shelf locations and reserved stock never
//! reach the storefront: with them anyone could read a store's margins and rebuild its
//! back-office reports.

use crate::auth::Caller;
use crate::db::InventoryItem;
use crate::domain::{Money, ProductId, StoreId};
use crate::http::Cache;
use serde::Serialize;

/// How long shared caches may keep a storefront answer: stock moves, so briefly.
pub const STOREFRONT_MAX_AGE_SECONDS: u32 = 30;

/// Which view of a store's rows a caller gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Storefront,
    BackOffice,
}

impl View {
    pub fn for_caller(caller: &Caller, store: &StoreId) -> Self {
        if caller.may_read_back_office(store) {
            Self::BackOffice
        } else {
            Self::Storefront
        }
    }

    /// Storefront answers may be cached by anyone for a short while; back-office answers on a
    /// public route belong to the signed-in caller alone.
    pub fn cache(self) -> Cache {
        match self {
            Self::Storefront => Cache::Public {
                max_age: STOREFRONT_MAX_AGE_SECONDS,
            },
            Self::BackOffice => Cache::Private,
        }
    }

    pub fn row(self, item: &InventoryItem) -> RowView<'_> {
        match self {
            Self::Storefront => RowView::Storefront(StorefrontRow::of(item)),
            Self::BackOffice => RowView::BackOffice(item),
        }
    }

    pub fn rows(self, items: &[InventoryItem]) -> Vec<RowView<'_>> {
        items.iter().map(|item| self.row(item)).collect()
    }
}

/// One row as its viewer may see it.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum RowView<'a> {
    Storefront(StorefrontRow<'a>),
    BackOffice(&'a InventoryItem),
}

/// A row as the storefront sees it.
#[derive(Debug, Serialize)]
pub struct StorefrontRow<'a> {
    pub store_id: &'a StoreId,
    pub product_id: &'a ProductId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brand: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub barcode: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selling_price: Option<Money>,
    pub available_stock: i64,
    pub in_stock: bool,
}

impl<'a> StorefrontRow<'a> {
    pub fn of(item: &'a InventoryItem) -> Self {
        Self {
            store_id: &item.store_id,
            product_id: &item.product_id,
            name: item.name.as_deref(),
            brand: item.brand.as_deref(),
            category: item.category.as_deref(),
            unit: item.unit.as_deref(),
            barcode: item.barcode.as_deref(),
            selling_price: item.selling_price,
            available_stock: item.available_stock.max(0),
            in_stock: !item.is_out_of_stock(),
        }
    }
}
