//! The global-products table: the shared catalog.

use super::item::{from_item, s, Item};
use super::{Db, DbError};
use crate::domain::{Barcode, Money, ProductId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::PoisonError;
use std::time::{Duration, Instant};

/// A catalog product, as stored and as answered. Only `product_id` and `name` are required:
/// rows written by the previous service may lack the rest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub product_id: ProductId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// Stored as written; only barcodes used for look-ups are validated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub barcode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mrp: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

impl Db {
    /// # Errors
    /// On a DynamoDB failure or a corrupt item.
    pub async fn product(&self, product_id: &ProductId) -> Result<Option<Product>, DbError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.products)
            .key("product_id", s(product_id.as_str()))
            .send()
            .await
            .map_err(|e| DbError::sdk("GetItem", e))?;
        out.item
            .map(|item| from_item(&self.tables.products, item))
            .transpose()
    }

    /// The product with this barcode, through the `barcode-index` GSI.
    ///
    /// # Errors
    /// On a DynamoDB failure or a corrupt item.
    pub async fn product_by_barcode(&self, barcode: &Barcode) -> Result<Option<Product>, DbError> {
        let out = self
            .client
            .query()
            .table_name(&self.tables.products)
            .index_name("barcode-index")
            .key_condition_expression("barcode = :b")
            .expression_attribute_values(":b", s(barcode.as_str()))
            .limit(1)
            .send()
            .await
            .map_err(|e| DbError::sdk("Query", e))?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .next()
            .map(|item| from_item(&self.tables.products, item))
            .transpose()
    }

    /// The distinct categories of the catalog, sorted, at most `max_age` old: the catalog is
    /// scanned (projected to `category`) at most once per `max_age` per process, not per call.
    ///
    /// # Errors
    /// On a DynamoDB failure.
    pub async fn categories(&self, max_age: Duration) -> Result<BTreeSet<String>, DbError> {
        let fresh = |at: &Instant| at.elapsed() < max_age;
        if let Some((_, categories)) = self
            .categories
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|(at, _)| fresh(at))
        {
            return Ok(categories.clone());
        }
        let categories = self.scan_categories().await?;
        *self
            .categories
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((Instant::now(), categories.clone()));
        Ok(categories)
    }

    async fn scan_categories(&self) -> Result<BTreeSet<String>, DbError> {
        let mut categories = BTreeSet::new();
        let mut pages = self
            .client
            .scan()
            .table_name(&self.tables.products)
            .projection_expression("category")
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            let item: Item = item.map_err(|e| DbError::sdk("Scan", e))?;
            if let Some(category) = item.get("category").and_then(|v| v.as_s().ok()) {
                if !category.trim().is_empty() {
                    categories.insert(category.clone());
                }
            }
        }
        Ok(categories)
    }
}
