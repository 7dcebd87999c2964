//! Idempotency keys for single-row stock changes (`PUT .../stock`, `POST .../adjust`).
//!
//! A delta applied twice is two deltas, so a client that retries after a timeout needs a way to
//! say "this is the same request". With an `Idempotency-Key` header, the change's transaction also
//! writes `IDEM#{store_id}#{key}` (only if absent) holding the request's canonical form; a retry
//! finds it, changes nothing, and answers the row as it is. Records expire after 24 hours.

use super::item::{from_item, to_item};
use super::{Db, DbError};
use crate::domain::{IdempotencyKey, StoreId};
use aws_sdk_dynamodb::types::{Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

const RETENTION_HOURS: i64 = 24;

#[derive(Serialize, Deserialize)]
struct IdempotencyRecord {
    pk: String,
    sk: String,
    /// The request in canonical form: a retry must match it exactly.
    request: String,
    created_at: String,
    ttl: i64,
}

/// A request made idempotent by its key: the key and the request's canonical form.
#[derive(Debug, Clone)]
pub struct Idempotent {
    pub store_id: StoreId,
    pub key: IdempotencyKey,
    pub request: String,
}

/// What an existing record says about a retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// The same request: it was applied once already.
    Same,
    /// Another request under the same key.
    Different,
}

impl Db {
    /// The conditional write that claims the key, for the change's transaction.
    ///
    /// # Errors
    /// Only on a programming error building the item.
    pub fn claim_idempotency_key(
        &self,
        idempotent: &Idempotent,
        now: DateTime<Utc>,
    ) -> Result<TransactWriteItem, DbError> {
        let record = IdempotencyRecord {
            pk: format!("IDEM#{}#{}", idempotent.store_id, idempotent.key),
            sk: "IDEM".into(),
            request: idempotent.request.clone(),
            created_at: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            ttl: (now + Duration::hours(RETENTION_HOURS)).timestamp(),
        };
        let put = Put::builder()
            .table_name(&self.tables.ledger)
            .set_item(Some(to_item(&self.tables.ledger, &record)?))
            .condition_expression("attribute_not_exists(pk)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(|e| DbError::build("Put", e))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Compares a key's existing record (the failed claim's image) with this request.
    ///
    /// # Errors
    /// When the record is corrupt.
    pub fn compare_retry(
        &self,
        existing: super::item::Item,
        idempotent: &Idempotent,
    ) -> Result<Retry, DbError> {
        let record: IdempotencyRecord = from_item(&self.tables.ledger, existing)?;
        Ok(if record.request == idempotent.request {
            Retry::Same
        } else {
            Retry::Different
        })
    }
}
