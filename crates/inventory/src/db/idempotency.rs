//! Idempotency keys for single-row stock changes (`PUT .../stock`, `POST .../adjust`).
//!
//! A delta applied twice is two deltas, so a client that retries after a timeout needs a way to
//! say "this is the same request". With an `Idempotency-Key` header, the change's transaction also
//! claims a record for the key (only if it is absent or expired) holding the request's
//! fingerprint; a retry finds it, changes nothing, and answers the row as it is.
//!
//! A key is scoped to the caller (the token's `sub`) and the store, like a payment API's keys are
//! scoped to an account: the key names "my retry", not a global slot. So another caller who
//! sends the same key is making a request of their own, and it is applied as one (and recorded
//! with them as its actor). Answering them 409 instead would let one user learn which keys
//! another used, and block them; answering 200 without applying (what a store scope alone did)
//! credited their request to someone else's change.
//!
//! The operation is scoped too, through the fingerprint: it is part of the request's canonical
//! form, so a key never answers for another operation. The same caller sending one key to
//! `PUT .../stock` and then to `POST .../adjust` gets 409 `idempotency_mismatch` for the second:
//! reusing a key across operations is a client bug, better surfaced than silently applied.
//!
//! Records expire after 24 hours, enforced on read: the claim succeeds over an expired record
//! (`expires_at_ms < :now`), so expiry does not wait for DynamoDB's TTL to delete it (which
//! takes up to days, and on DynamoDB Local never happens).

use super::item::{from_item, n, Item};
use super::ledger::{Guard, Guarded};
use super::{Db, DbError};
use crate::domain::fingerprint::sha256_hex;
use crate::domain::time::{millis, rfc3339};
use crate::domain::{Actor, Fingerprint, IdempotencyKey, StoreId};
use aws_sdk_dynamodb::types::{Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

const RETENTION_HOURS: i64 = 24;

/// The operations that take a key, recorded with it for a reader of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyedOperation {
    #[serde(rename = "update_stock")]
    UpdateStock,
    #[serde(rename = "adjust_stock")]
    AdjustStock,
    /// One line of `POST .../bulk`, under a key derived from the request's key and the line's
    /// place in it.
    #[serde(rename = "bulk_update_stock")]
    BulkUpdateStock,
}

#[derive(Serialize, Deserialize)]
struct IdempotencyRecord {
    pk: String,
    sk: String,
    /// What the key is scoped to, for a reader of the table (hashed into `pk`).
    store_id: StoreId,
    actor: Actor,
    operation: KeyedOperation,
    key: IdempotencyKey,
    /// The request's fingerprint: a retry must match it exactly.
    request_sha256: Fingerprint,
    #[serde(with = "millis")]
    created_at: DateTime<Utc>,
    /// Past this the key is free again; the claim's condition compares it.
    expires_at_ms: i64,
    /// Cleanup only; correctness never waits for it.
    ttl: i64,
}

/// A request made idempotent by its key: who sent it, to what, under which key, and its
/// fingerprint.
#[derive(Debug, Clone)]
pub struct Idempotent {
    pub store_id: StoreId,
    pub actor: Actor,
    pub operation: KeyedOperation,
    pub key: IdempotencyKey,
    pub request: Fingerprint,
}

impl Idempotent {
    /// The record's key: a hash of the scope (store, caller, key), so no separator in an
    /// actor's name can make two scopes collide.
    fn pk(&self) -> String {
        #[derive(Serialize)]
        struct Scope<'a> {
            store_id: &'a str,
            actor: &'a str,
            key: &'a str,
        }
        let scope = Scope {
            store_id: self.store_id.as_str(),
            actor: self.actor.as_str(),
            key: self.key.as_str(),
        };
        let text = serde_json::to_string(&scope).unwrap_or_default();
        format!("IDEM#{}#{}", self.store_id, sha256_hex(text.as_bytes()))
    }
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
    ) -> Result<Guarded, DbError> {
        let expires = now + Duration::hours(RETENTION_HOURS);
        let record = IdempotencyRecord {
            pk: idempotent.pk(),
            sk: "IDEM".into(),
            store_id: idempotent.store_id.clone(),
            actor: idempotent.actor.clone(),
            operation: idempotent.operation,
            key: idempotent.key.clone(),
            request_sha256: idempotent.request.clone(),
            created_at: now,
            expires_at_ms: expires.timestamp_millis(),
            ttl: expires.timestamp(),
        };
        let put = Put::builder()
            .table_name(&self.tables.ledger)
            .set_item(Some(super::item::to_item(&self.tables.ledger, &record)?))
            .condition_expression("attribute_not_exists(pk) OR expires_at_ms < :now")
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(|e| DbError::build("Put", e))?;
        tracing::debug!(key = %idempotent.key, at = %rfc3339(now), "claiming idempotency key");
        Ok(Guarded {
            guard: Guard::IdempotencyKey,
            write: TransactWriteItem::builder().put(put).build(),
        })
    }

    /// Compares a key's existing record (the failed claim's image) with this request.
    ///
    /// # Errors
    /// When the record is corrupt.
    pub fn compare_retry(&self, existing: Item, idempotent: &Idempotent) -> Result<Retry, DbError> {
        let record: IdempotencyRecord = from_item(&self.tables.ledger, existing)?;
        Ok(if record.request_sha256 == idempotent.request {
            Retry::Same
        } else {
            Retry::Different
        })
    }
}
