//! Locations in the ledger table (`LOC#{id}` / `LOC`), listed through the sparse
//! `locations-by-type` index.
//!
//! The index's hash key is one constant (`LOC`): a marketplace has thousands of locations, not
//! millions, and one partition lists them in type-then-id order, so `type` is a key condition
//! (`begins_with`) and only `include_inactive` is a filter.

use super::item::{from_item, s, to_item};
use super::{Db, DbError, Page};
use crate::domain::{
    Address, InvalidValue, Location, LocationName, LocationType, NextToken, StoreId,
};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

const INDEX: &str = "locations-by-type";
const INDEX_PK: &str = "LOC";
const KEY_ATTRIBUTES: [&str; 4] = ["pk", "sk", "location_index", "location_sort"];

pub(crate) fn location_pk(id: &StoreId) -> String {
    format!("LOC#{id}")
}

#[derive(Serialize, Deserialize)]
struct LocationItem {
    pk: String,
    sk: String,
    location_index: String,
    /// `{type}#{id}`: lists by type with `begins_with`, in id order within a type.
    location_sort: String,
    #[serde(flatten)]
    location: Location,
}

impl LocationItem {
    fn new(location: Location) -> Self {
        Self {
            pk: location_pk(&location.location_id),
            sk: "LOC".into(),
            location_index: INDEX_PK.into(),
            location_sort: format!(
                "{}#{}",
                location.location_type.as_str(),
                location.location_id
            ),
            location,
        }
    }
}

/// A location's editable fields.
#[derive(Debug, Clone)]
pub struct LocationFields {
    pub location_type: LocationType,
    pub name: LocationName,
    pub address: Address,
}

/// How a location write ended, when it did not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocationWrite {
    Written(Location),
    /// Create: the id is taken.
    Exists(Box<Location>),
    /// Update or delete: no such location.
    Missing,
}

/// Checks that a locations cursor belongs to this listing.
///
/// # Errors
/// When it has another shape, or was issued for another type.
pub fn check_locations_cursor(
    location_type: Option<LocationType>,
    token: &NextToken,
) -> Result<(), InvalidValue> {
    let sort_ok = token.get("location_sort").is_some_and(|sort| {
        location_type.is_none_or(|t| sort.starts_with(&format!("{}#", t.as_str())))
    });
    let pk_ok = token.get("pk").is_some_and(|pk| pk.starts_with("LOC#"));
    if token.clone().into_key().len() == KEY_ATTRIBUTES.len()
        && token.get("sk") == Some("LOC")
        && token.get("location_index") == Some(INDEX_PK)
        && pk_ok
        && sort_ok
    {
        Ok(())
    } else {
        Err(InvalidValue::new(
            "next_token",
            "does not belong to this listing",
        ))
    }
}

impl Db {
    /// One location, read strongly consistent.
    ///
    /// # Errors
    /// On a DynamoDB failure or a corrupt item.
    pub async fn location(&self, id: &StoreId) -> Result<Option<Location>, DbError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.ledger)
            .key("pk", s(location_pk(id)))
            .key("sk", s("LOC"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| DbError::sdk("GetItem", e))?;
        out.item
            .map(|item| from_item::<LocationItem>(&self.tables.ledger, item).map(|i| i.location))
            .transpose()
    }

    /// The key of `id`'s location item, for a batched read ([`Db::consistent_items`]).
    pub(super) fn location_key(&self, id: &StoreId) -> super::batch::ItemKey {
        super::batch::ItemKey {
            table: self.tables.ledger.clone(),
            key: std::collections::HashMap::from([
                ("pk".to_owned(), s(location_pk(id))),
                ("sk".to_owned(), s("LOC")),
            ]),
        }
    }

    /// A location item, as read by [`Db::consistent_items`].
    ///
    /// # Errors
    /// On a corrupt item.
    pub(super) fn location_from_item(&self, item: super::item::Item) -> Result<Location, DbError> {
        from_item::<LocationItem>(&self.tables.ledger, item).map(|i| i.location)
    }

    /// Whether `id` names a store the service knows: a location item, active or not (its
    /// history stays readable), or, for stores from before locations existed, any inventory row.
    ///
    /// # Errors
    /// On a DynamoDB failure.
    pub async fn store_known(&self, id: &StoreId) -> Result<bool, DbError> {
        Ok(self.location(id).await?.is_some() || self.store_exists(id).await?)
    }

    /// Creates a location, refusing a taken id.
    ///
    /// # Errors
    /// On a DynamoDB failure.
    pub async fn create_location(
        &self,
        id: StoreId,
        fields: LocationFields,
        now: DateTime<Utc>,
    ) -> Result<LocationWrite, DbError> {
        let location = Location {
            location_id: id,
            location_type: fields.location_type,
            name: fields.name,
            address: fields.address,
            active: true,
            created_at: now,
            updated_at: now,
        };
        let item = to_item(&self.tables.ledger, &LocationItem::new(location.clone()))?;
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.ledger)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .return_values_on_condition_check_failure(
                aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
            )
            .send()
            .await;
        match result {
            Ok(_) => Ok(LocationWrite::Written(location)),
            Err(err) => match err.as_service_error() {
                Some(e) if e.is_conditional_check_failed_exception() => {
                    let existing = match e {
                        aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(c) => c.item().cloned(),
                        _ => None,
                    };
                    match existing {
                        Some(item) => Ok(LocationWrite::Exists(Box::new(
                            from_item::<LocationItem>(&self.tables.ledger, item)?.location,
                        ))),
                        None => Err(DbError::sdk("PutItem", err)),
                    }
                }
                _ => Err(DbError::sdk("PutItem", err)),
            },
        }
    }

    /// Replaces a location's type, name and address; `active` too when given (a deleted
    /// location is brought back by `active: true`). `None` for `fields` only sets `active`.
    ///
    /// # Errors
    /// On a DynamoDB failure.
    pub async fn update_location(
        &self,
        id: &StoreId,
        fields: Option<LocationFields>,
        active: Option<bool>,
        now: DateTime<Utc>,
    ) -> Result<LocationWrite, DbError> {
        let mut sets = vec!["updated_at = :now".to_owned()];
        let mut update = self
            .client
            .update_item()
            .table_name(&self.tables.ledger)
            .key("pk", s(location_pk(id)))
            .key("sk", s("LOC"))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":now", s(crate::domain::time::rfc3339(now)));
        if let Some(fields) = fields {
            sets.push(
                "location_type = :type, #name = :name, address = :address, location_sort = :sort"
                    .into(),
            );
            update = update
                .expression_attribute_names("#name", "name")
                .expression_attribute_values(":type", s(fields.location_type.as_str()))
                .expression_attribute_values(":name", s(fields.name.as_str()))
                .expression_attribute_values(":address", s(fields.address.as_str()))
                .expression_attribute_values(
                    ":sort",
                    s(format!("{}#{id}", fields.location_type.as_str())),
                );
        }
        if let Some(active) = active {
            sets.push("active = :active".into());
            update = update.expression_attribute_values(":active", AttributeValue::Bool(active));
        }
        let result = update
            .update_expression(format!("SET {}", sets.join(", ")))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => match out.attributes {
                Some(item) => Ok(LocationWrite::Written(
                    from_item::<LocationItem>(&self.tables.ledger, item)?.location,
                )),
                None => Ok(LocationWrite::Missing),
            },
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(LocationWrite::Missing)
            }
            Err(err) => Err(DbError::sdk("UpdateItem", err)),
        }
    }

    /// A page of locations, by type then id; inactive ones only when asked for.
    ///
    /// # Errors
    /// On a DynamoDB failure or a corrupt item.
    pub async fn locations(
        &self,
        location_type: Option<LocationType>,
        include_inactive: bool,
        limit: usize,
        start: Option<NextToken>,
    ) -> Result<Page<Location>, DbError> {
        let mut query = self
            .client
            .query()
            .table_name(&self.tables.ledger)
            .index_name(INDEX)
            .expression_attribute_values(":pk", s(INDEX_PK));
        query = match location_type {
            Some(t) => query
                .key_condition_expression(
                    "location_index = :pk AND begins_with(location_sort, :type)",
                )
                .expression_attribute_values(":type", s(format!("{}#", t.as_str()))),
            None => query.key_condition_expression("location_index = :pk"),
        };
        if !include_inactive {
            query = query
                .filter_expression("active = :active")
                .expression_attribute_values(":active", AttributeValue::Bool(true));
        }
        let table = &self.tables.ledger;
        self.fill_page(
            query,
            &KEY_ATTRIBUTES,
            limit,
            start,
            !include_inactive,
            |slice| async move {
                slice
                    .into_iter()
                    .map(|(cursor, item)| {
                        from_item::<LocationItem>(table, item).map(|i| (cursor, i.location))
                    })
                    .collect()
            },
        )
        .await
    }
}
