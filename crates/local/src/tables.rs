//! Creates the template's tables in DynamoDB Local.

use crate::template::{TableSpec, Template};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;
use inventory::db::Tables;
use std::collections::BTreeMap;

/// Table names by environment variable (`PRODUCTS_TABLE` → `global-products`), as the functions
/// would see them when deployed under `prefix`.
#[derive(Debug, Clone)]
pub struct TableNames(pub BTreeMap<String, String>);

impl TableNames {
    /// The names the template gives, each prefixed (`""` for the plain names).
    pub fn for_template(template: &Template, prefix: &str) -> Self {
        Self(
            template
                .tables
                .iter()
                .filter_map(|t| Some((t.env_var.clone()?, format!("{prefix}{}", t.default_name))))
                .collect(),
        )
    }

    /// # Errors
    /// When the template does not name a table the core needs.
    pub fn tables(&self) -> Result<Tables, String> {
        let get = |var: &str| {
            self.0
                .get(var)
                .cloned()
                .ok_or_else(|| format!("template sets no {var}"))
        };
        Ok(Tables {
            products: get("PRODUCTS_TABLE")?,
            inventory: get("INVENTORY_TABLE")?,
            ledger: get("LEDGER_TABLE")?,
            orders: get("ORDERS_TABLE")?,
        })
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot create table {table}: {message}")]
pub struct CreateTableError {
    pub table: String,
    pub message: String,
}

/// Creates every table of the template under `prefix`, skipping tables that already exist.
///
/// # Errors
/// When DynamoDB refuses a table.
pub async fn create_tables(
    client: &Client,
    template: &Template,
    prefix: &str,
) -> Result<(), CreateTableError> {
    for spec in &template.tables {
        create_table(client, spec, &format!("{prefix}{}", spec.default_name)).await?;
    }
    Ok(())
}

fn keys(schema: &[(String, String)]) -> Vec<KeySchemaElement> {
    schema
        .iter()
        .filter_map(|(name, kind)| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(KeyType::from(kind.as_str()))
                .build()
                .ok()
        })
        .collect()
}

async fn create_table(
    client: &Client,
    spec: &TableSpec,
    name: &str,
) -> Result<(), CreateTableError> {
    let fail = |message: String| CreateTableError {
        table: name.to_owned(),
        message,
    };
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(keys(&spec.key_schema)));
    for (attribute, kind) in &spec.attributes {
        let definition = AttributeDefinition::builder()
            .attribute_name(attribute)
            .attribute_type(ScalarAttributeType::from(kind.as_str()))
            .build()
            .map_err(|e| fail(e.to_string()))?;
        request = request.attribute_definitions(definition);
    }
    for index in &spec.indexes {
        let gsi = GlobalSecondaryIndex::builder()
            .index_name(&index.name)
            .set_key_schema(Some(keys(&index.key_schema)))
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::from(index.projection_type.as_str()))
                    .set_non_key_attributes(
                        (!index.non_key_attributes.is_empty())
                            .then(|| index.non_key_attributes.clone()),
                    )
                    .build(),
            )
            .build()
            .map_err(|e| fail(e.to_string()))?;
        request = request.global_secondary_indexes(gsi);
    }
    if let Some(view) = &spec.stream_view_type {
        let stream = StreamSpecification::builder()
            .stream_enabled(true)
            .stream_view_type(StreamViewType::from(view.as_str()))
            .build()
            .map_err(|e| fail(e.to_string()))?;
        request = request.stream_specification(stream);
    }
    match request.send().await {
        Ok(_) => {}
        Err(err) => {
            let already = err
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception());
            if already {
                return Ok(());
            }
            return Err(fail(
                aws_sdk_dynamodb::error::DisplayErrorContext(&err).to_string(),
            ));
        }
    }
    if let Some(attribute) = &spec.ttl_attribute {
        let ttl = TimeToLiveSpecification::builder()
            .enabled(true)
            .attribute_name(attribute)
            .build()
            .map_err(|e| fail(e.to_string()))?;
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(ttl)
            .send()
            .await
            .map_err(|e| fail(aws_sdk_dynamodb::error::DisplayErrorContext(&e).to_string()))?;
    }
    Ok(())
}
