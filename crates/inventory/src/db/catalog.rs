//! Catalog writes: products with unique barcodes, and the copy of their fields on inventory rows.
//!
//! A GSI cannot make barcodes unique, so each barcode owns a guard item in the ledger table
//! (`BARCODE#{barcode}` / `BARCODE`, holding its product id), written with `attribute_not_exists`
//! in the same transaction as the product. Changing a barcode moves the guard in that same
//! transaction. Products from before the guards have none: `barcode-index` is read first, so a
//! new product cannot take a legacy product's barcode either, and a legacy product's next edit
//! writes its guard.

use super::item::{from_item, s, to_item, Item};
use super::{Db, DbError, Product};
use crate::domain::time::rfc3339;
use crate::domain::{
    Barcode, Brand, Category, Description, ImageUrl, Money, ProductId, ProductName, Unit,
};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;
use std::time::Duration;

/// Transaction conflicts (another write on the same product or guard) retried before answering
/// "busy"; the loser of a barcode race sees the winner's guard on its next attempt.
const ATTEMPTS: u32 = 8;
/// Inventory rows updated at once when a product's copied fields change.
const ROW_UPDATE_CONCURRENCY: usize = 8;

/// A product's editable fields, each already valid.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductFields {
    pub name: ProductName,
    pub brand: Option<Brand>,
    pub barcode: Option<Barcode>,
    pub mrp: Option<Money>,
    pub category: Option<Category>,
    pub unit: Option<Unit>,
    pub description: Option<Description>,
    pub image_url: Option<ImageUrl>,
}

#[derive(Serialize)]
struct ProductRecord<'a> {
    product_id: &'a ProductId,
    name: &'a ProductName,
    #[serde(skip_serializing_if = "Option::is_none")]
    brand: Option<&'a Brand>,
    #[serde(skip_serializing_if = "Option::is_none")]
    barcode: Option<&'a Barcode>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "money_text")]
    mrp: Option<&'a Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<&'a Category>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<&'a Unit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a Description>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image_url: Option<&'a ImageUrl>,
    created_at: String,
    updated_at: String,
}

fn money_text<S: serde::Serializer>(
    money: &Option<&Money>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match money {
        Some(m) => Money::serialize_as_text(m, serializer),
        None => serializer.serialize_none(),
    }
}

#[derive(Serialize)]
struct BarcodeGuard<'a> {
    pk: String,
    sk: &'static str,
    barcode: &'a Barcode,
    product_id: &'a ProductId,
}

pub(crate) fn barcode_pk(barcode: &str) -> String {
    format!("BARCODE#{barcode}")
}

/// How a catalog write ended.
#[derive(Debug, Clone, PartialEq)]
pub enum CatalogWrite {
    /// Written; `rows_updated` inventory rows got the new copied fields.
    Written {
        product: Box<Product>,
        rows_updated: usize,
    },
    /// Create: the product id is taken.
    ProductExists,
    /// Update: no such product.
    ProductMissing,
    /// Another product owns the barcode.
    BarcodeTaken { owner: ProductId },
    /// Other writers kept the product or guard busy.
    Contended,
}

impl Db {
    /// Creates a product and its barcode's guard in one transaction.
    ///
    /// # Errors
    /// On a DynamoDB failure.
    pub async fn create_product(
        &self,
        product_id: &ProductId,
        fields: &ProductFields,
        now: DateTime<Utc>,
    ) -> Result<CatalogWrite, DbError> {
        if let Some(owner) = self
            .legacy_owner(fields.barcode.as_ref(), product_id)
            .await?
        {
            return Ok(CatalogWrite::BarcodeTaken { owner });
        }
        let stamp = rfc3339(now);
        let record = record(product_id, fields, stamp.clone(), stamp);
        let product_put = Put::builder()
            .table_name(&self.tables.products)
            .set_item(Some(to_item(&self.tables.products, &record)?))
            .condition_expression("attribute_not_exists(product_id)")
            .build()
            .map_err(|e| DbError::build("Put", e))?;
        let mut actions = vec![TransactWriteItem::builder().put(product_put).build()];
        if let Some(barcode) = &fields.barcode {
            actions.push(self.guard_put(barcode, product_id, false)?);
        }
        match self.write_catalog(actions).await? {
            Written::Yes => self.written(product_id, fields, 0).await,
            Written::Failed(0, _) => Ok(CatalogWrite::ProductExists),
            Written::Failed(_, owner) => Ok(taken(owner)),
            Written::Busy => Ok(CatalogWrite::Contended),
        }
    }

    /// Replaces a product's editable fields, moving its barcode's guard when the barcode changes,
    /// then copies the new fields onto every inventory row of the product (through
    /// `product_id-index`).
    ///
    /// # Errors
    /// On a DynamoDB failure or a corrupt item.
    pub async fn update_product(
        &self,
        product_id: &ProductId,
        fields: &ProductFields,
        now: DateTime<Utc>,
    ) -> Result<CatalogWrite, DbError> {
        if let Some(owner) = self
            .legacy_owner(fields.barcode.as_ref(), product_id)
            .await?
        {
            return Ok(CatalogWrite::BarcodeTaken { owner });
        }
        for _ in 0..ATTEMPTS {
            let Some(current) = self.product_consistent(product_id).await? else {
                return Ok(CatalogWrite::ProductMissing);
            };
            let created = current.created_at.clone().unwrap_or_else(|| rfc3339(now));
            let record = record(product_id, fields, created, rfc3339(now));
            // The barcode as read: the guard moves from it, so it must not have changed since.
            let mut put = Put::builder()
                .table_name(&self.tables.products)
                .set_item(Some(to_item(&self.tables.products, &record)?));
            put = match &current.barcode {
                Some(old) => put
                    .condition_expression("attribute_exists(product_id) AND barcode = :old")
                    .expression_attribute_values(":old", s(old)),
                None => put.condition_expression(
                    "attribute_exists(product_id) AND attribute_not_exists(barcode)",
                ),
            };
            let put = put.build().map_err(|e| DbError::build("Put", e))?;
            let mut actions = vec![TransactWriteItem::builder().put(put).build()];
            if let Some(barcode) = &fields.barcode {
                actions.push(self.guard_put(barcode, product_id, true)?);
            }
            if let Some(old) = current
                .barcode
                .as_deref()
                .filter(|old| Some(*old) != fields.barcode.as_ref().map(Barcode::as_str))
            {
                let delete = Delete::builder()
                    .table_name(&self.tables.ledger)
                    .key("pk", s(barcode_pk(old)))
                    .key("sk", s("BARCODE"))
                    .condition_expression("attribute_not_exists(pk) OR product_id = :me")
                    .expression_attribute_values(":me", s(product_id.as_str()))
                    .build()
                    .map_err(|e| DbError::build("Delete", e))?;
                actions.push(TransactWriteItem::builder().delete(delete).build());
            }
            match self.write_catalog(actions).await? {
                Written::Yes => {
                    let rows = self.copy_to_rows(product_id, fields, now).await?;
                    return self.written(product_id, fields, rows).await;
                }
                // The product changed under us (or was deleted): read it again.
                Written::Failed(0, _) => continue,
                Written::Failed(1, owner) if fields.barcode.is_some() => return Ok(taken(owner)),
                Written::Failed(..) | Written::Busy => continue,
            }
        }
        Ok(CatalogWrite::Contended)
    }

    async fn written(
        &self,
        product_id: &ProductId,
        fields: &ProductFields,
        rows_updated: usize,
    ) -> Result<CatalogWrite, DbError> {
        tracing::info!(%product_id, barcode = ?fields.barcode, rows_updated, "catalog product written");
        let product =
            self.product_consistent(product_id)
                .await?
                .ok_or_else(|| DbError::Decode {
                    table: self.tables.products.clone(),
                    source: serde::de::Error::custom("a product just written is missing"),
                })?;
        Ok(CatalogWrite::Written {
            product: Box::new(product),
            rows_updated,
        })
    }

    async fn product_consistent(&self, product_id: &ProductId) -> Result<Option<Product>, DbError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.products)
            .key("product_id", s(product_id.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| DbError::sdk("GetItem", e))?;
        out.item
            .map(|item| from_item(&self.tables.products, item))
            .transpose()
    }

    /// Another product holding `barcode` in the catalog (legacy products have no guard).
    async fn legacy_owner(
        &self,
        barcode: Option<&Barcode>,
        me: &ProductId,
    ) -> Result<Option<ProductId>, DbError> {
        let Some(barcode) = barcode else {
            return Ok(None);
        };
        Ok(self
            .product_by_barcode(barcode)
            .await?
            .map(|p| p.product_id)
            .filter(|owner| owner != me))
    }

    fn guard_put(
        &self,
        barcode: &Barcode,
        product_id: &ProductId,
        mine_allowed: bool,
    ) -> Result<TransactWriteItem, DbError> {
        let guard = BarcodeGuard {
            pk: barcode_pk(barcode.as_str()),
            sk: "BARCODE",
            barcode,
            product_id,
        };
        let mut put = Put::builder()
            .table_name(&self.tables.ledger)
            .set_item(Some(to_item(&self.tables.ledger, &guard)?))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        put = if mine_allowed {
            put.condition_expression("attribute_not_exists(pk) OR product_id = :me")
                .expression_attribute_values(":me", s(product_id.as_str()))
        } else {
            put.condition_expression("attribute_not_exists(pk)")
        };
        let put = put.build().map_err(|e| DbError::build("Put", e))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    async fn write_catalog(&self, actions: Vec<TransactWriteItem>) -> Result<Written, DbError> {
        for attempt in 0..ATTEMPTS {
            let error = match self
                .client
                .transact_write_items()
                .set_transact_items(Some(actions.clone()))
                .send()
                .await
            {
                Ok(_) => return Ok(Written::Yes),
                Err(error) => error,
            };
            let conflict = match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                    let reasons = cancelled.cancellation_reasons();
                    if let Some((index, reason)) = reasons
                        .iter()
                        .enumerate()
                        .find(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
                    {
                        let owner = reason
                            .item()
                            .and_then(|i| i.get("product_id"))
                            .and_then(|v| v.as_s().ok())
                            .and_then(|id| ProductId::parse(id.as_str()).ok());
                        return Ok(Written::Failed(index, owner));
                    }
                    true
                }
                Some(e)
                    if aws_sdk_dynamodb::error::ProvideErrorMetadata::code(e)
                        == Some("TransactionConflictException") =>
                {
                    true
                }
                _ => return Err(DbError::sdk("TransactWriteItems", error)),
            };
            if conflict {
                tokio::time::sleep(Duration::from_millis(5 << attempt.min(6))).await;
            }
        }
        Ok(Written::Busy)
    }

    /// Copies the product's listing fields onto each of its inventory rows, in this request:
    /// rows are found through `product_id-index` a page at a time and updated a few at once.
    /// Absent fields are removed from the rows, so a row never shows a stale brand.
    async fn copy_to_rows(
        &self,
        product_id: &ProductId,
        fields: &ProductFields,
        now: DateTime<Utc>,
    ) -> Result<usize, DbError> {
        let keys: Vec<Item> = self
            .client
            .query()
            .table_name(&self.tables.inventory)
            .index_name("product_id-index")
            .key_condition_expression("product_id = :p")
            .expression_attribute_values(":p", s(product_id.as_str()))
            .projection_expression("store_id, product_id")
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, _>>()
            .map_err(|e| DbError::sdk("Query", e))?;
        let copied: [(&str, Option<&str>); 5] = [
            ("name", Some(fields.name.as_str())),
            ("brand", fields.brand.as_ref().map(Brand::as_str)),
            ("category", fields.category.as_ref().map(Category::as_str)),
            ("unit", fields.unit.as_ref().map(Unit::as_str)),
            ("barcode", fields.barcode.as_ref().map(Barcode::as_str)),
        ];
        let now = rfc3339(now);
        futures::stream::iter(keys)
            .map(|key| {
                let mut sets = vec!["updated_at = :now".to_owned()];
                let mut removes = Vec::new();
                let mut update = self
                    .client
                    .update_item()
                    .table_name(&self.tables.inventory)
                    .set_key(Some(key))
                    .condition_expression("attribute_exists(store_id)")
                    .expression_attribute_values(":now", s(now.clone()));
                for (attribute, value) in copied {
                    update = update.expression_attribute_names(format!("#{attribute}"), attribute);
                    match value {
                        Some(v) => {
                            sets.push(format!("#{attribute} = :{attribute}"));
                            update = update.expression_attribute_values(
                                format!(":{attribute}"),
                                AttributeValue::S(v.to_owned()),
                            );
                        }
                        None => removes.push(format!("#{attribute}")),
                    }
                }
                let mut expression = format!("SET {}", sets.join(", "));
                if !removes.is_empty() {
                    expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
                }
                async move {
                    match update.update_expression(expression).send().await {
                        Ok(_) => Ok(1),
                        // The row was deleted meanwhile: nothing to copy onto.
                        Err(e)
                            if e.as_service_error()
                                .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
                        {
                            Ok(0)
                        }
                        Err(e) => Err(DbError::sdk("UpdateItem", e)),
                    }
                }
            })
            .buffer_unordered(ROW_UPDATE_CONCURRENCY)
            .try_fold(0, |total, n| async move { Ok(total + n) })
            .await
    }
}

enum Written {
    Yes,
    /// The action at this index failed its condition; a guard's owner, when it was one.
    Failed(usize, Option<ProductId>),
    Busy,
}

fn taken(owner: Option<ProductId>) -> CatalogWrite {
    match owner {
        Some(owner) => CatalogWrite::BarcodeTaken { owner },
        None => CatalogWrite::Contended,
    }
}

fn record<'a>(
    product_id: &'a ProductId,
    fields: &'a ProductFields,
    created_at: String,
    updated_at: String,
) -> ProductRecord<'a> {
    ProductRecord {
        product_id,
        name: &fields.name,
        brand: fields.brand.as_ref(),
        barcode: fields.barcode.as_ref(),
        mrp: fields.mrp.as_ref(),
        category: fields.category.as_ref(),
        unit: fields.unit.as_ref(),
        description: fields.description.as_ref(),
        image_url: fields.image_url.as_ref(),
        created_at,
        updated_at,
    }
}

impl Db {
    /// A new product's item as [`Db::create_product`] writes it, for writers that batch many
    /// products (the CSV import) and so cannot use its transaction.
    ///
    /// # Errors
    /// When the record does not encode (never, for valid fields).
    pub fn product_item(
        &self,
        product_id: &ProductId,
        fields: &ProductFields,
        now: DateTime<Utc>,
    ) -> Result<Item, DbError> {
        let stamp = rfc3339(now);
        to_item(
            &self.tables.products,
            &record(product_id, fields, stamp.clone(), stamp),
        )
    }

    /// The barcode's guard item (in the ledger table) naming `product_id` as its owner.
    ///
    /// # Errors
    /// When the guard does not encode (never).
    pub fn barcode_guard_item(
        &self,
        barcode: &Barcode,
        product_id: &ProductId,
    ) -> Result<Item, DbError> {
        to_item(
            &self.tables.ledger,
            &BarcodeGuard {
                pk: barcode_pk(barcode.as_str()),
                sk: "BARCODE",
                barcode,
                product_id,
            },
        )
    }

    /// The key of a barcode's guard item, in the ledger table.
    pub fn barcode_guard_key(barcode: &Barcode) -> Item {
        Item::from([
            ("pk".to_owned(), s(barcode_pk(barcode.as_str()))),
            ("sk".to_owned(), s("BARCODE")),
        ])
    }
}
