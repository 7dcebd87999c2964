//! The request-level record of a bulk stock request sent with an `Idempotency-Key`.
//!
//! Each line of a bulk request claims a key of its own in its own transaction (see `api::bulk`),
//! so each line is applied at most once whatever happens to the request. This record adds what
//! the lines alone cannot say:
//! - the body's fingerprint, so the same key with another body is 409 `idempotency_mismatch`;
//! - the per-line results once every line has its final answer, so a retry is answered exactly
//!   as the first request was, without touching a row;
//! - a lease while a request is being applied, so a second copy sent meanwhile is told to wait
//!   (409 `request_in_progress`) instead of racing the first. The lease outlives the function's
//!   timeout: once it has passed, the request that held it is dead, and a retry takes over and
//!   applies only the lines that were not applied (their keys say which).
//!
//! Keyed like the single-row records (`IDEM#`, see `db::idempotency`): scoped to the caller, a
//! hash of the scope in `pk`, expiring after 24 hours on read.

use super::item::{from_item, n, s, to_item};
use super::{Db, DbError};
use crate::domain::fingerprint::sha256_hex;
use crate::domain::time::millis;
use crate::domain::{Actor, Fingerprint, IdempotencyKey};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

const RETENTION_HOURS: i64 = 24;
/// Longer than the bulk function's timeout (template.yaml, 25 s): a request still holding its
/// lease may still be running.
pub const BULK_LEASE_SECONDS: i64 = 30;

/// A bulk request made idempotent by its key.
#[derive(Debug, Clone)]
pub struct BulkRequestKey {
    pub actor: Actor,
    pub key: IdempotencyKey,
    pub request: Fingerprint,
}

impl BulkRequestKey {
    fn pk(&self) -> String {
        #[derive(Serialize)]
        struct Scope<'a> {
            operation: &'a str,
            actor: &'a str,
            key: &'a str,
        }
        let scope = Scope {
            operation: "bulk_update_stock",
            actor: self.actor.as_str(),
            key: self.key.as_str(),
        };
        let text = serde_json::to_string(&scope).unwrap_or_default();
        format!("IDEM#BULK#{}", sha256_hex(text.as_bytes()))
    }
}

#[derive(Serialize, Deserialize)]
struct BulkRecord {
    pk: String,
    sk: String,
    actor: Actor,
    key: IdempotencyKey,
    request_sha256: Fingerprint,
    #[serde(with = "millis")]
    created_at: DateTime<Utc>,
    expires_at_ms: i64,
    /// While in the future, a request is applying the lines; 0 once it let go.
    lease_until_ms: i64,
    /// The per-line results as answered (JSON), once every line has its final answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    results: Option<String>,
    ttl: i64,
}

/// What claiming a bulk request's key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkClaim {
    /// The key is this request's now (new, expired, or taken over from a dead request).
    Claimed,
    /// The same request was answered already: its results, as stored.
    Answered(String),
    /// The same request is being applied by another invocation right now.
    InProgress,
    /// The key was used for a different body.
    Mismatch,
}

impl Db {
    /// Claims the key for this request (one conditional PutItem): when it is free, expired, or
    /// held by a request of the same body that neither finished nor kept its lease.
    ///
    /// # Errors
    /// On a DynamoDB failure or a corrupt record.
    pub async fn claim_bulk_request(
        &self,
        request: &BulkRequestKey,
        now: DateTime<Utc>,
    ) -> Result<BulkClaim, DbError> {
        let expires = now + Duration::hours(RETENTION_HOURS);
        let record = BulkRecord {
            pk: request.pk(),
            sk: "BULK".into(),
            actor: request.actor.clone(),
            key: request.key.clone(),
            request_sha256: request.request.clone(),
            created_at: now,
            expires_at_ms: expires.timestamp_millis(),
            lease_until_ms: (now + Duration::seconds(BULK_LEASE_SECONDS)).timestamp_millis(),
            results: None,
            ttl: expires.timestamp(),
        };
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.ledger)
            .set_item(Some(to_item(&self.tables.ledger, &record)?))
            .condition_expression(
                "attribute_not_exists(pk) OR expires_at_ms < :now \
                 OR (request_sha256 = :request AND attribute_not_exists(results) AND lease_until_ms < :now)",
            )
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .expression_attribute_values(":request", s(request.request.as_str()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let err = match result {
            Ok(_) => return Ok(BulkClaim::Claimed),
            Err(err) => err,
        };
        let existing = match err.as_service_error() {
            Some(PutItemError::ConditionalCheckFailedException(c)) => c.item().cloned(),
            _ => None,
        };
        let Some(existing) = existing else {
            return Err(DbError::sdk("PutItem", err));
        };
        let existing: BulkRecord = from_item(&self.tables.ledger, existing)?;
        Ok(if existing.request_sha256 != request.request {
            BulkClaim::Mismatch
        } else if let Some(results) = existing.results {
            BulkClaim::Answered(results)
        } else {
            BulkClaim::InProgress
        })
    }

    /// Ends this request's hold on the key: with `results`, every line has its final answer and
    /// retries get exactly these; without, some line could not be finished, and the lease is
    /// let go so a retry may finish it at once. One UpdateItem.
    ///
    /// # Errors
    /// On a DynamoDB failure.
    pub async fn finish_bulk_request(
        &self,
        request: &BulkRequestKey,
        results: Option<&str>,
    ) -> Result<(), DbError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.tables.ledger)
            .key("pk", s(request.pk()))
            .key("sk", s("BULK"))
            .condition_expression("attribute_exists(pk) AND request_sha256 = :request")
            .expression_attribute_values(":request", s(request.request.as_str()))
            .expression_attribute_values(":zero", n(0));
        let update = match results {
            Some(results) => update
                .update_expression("SET results = :results, lease_until_ms = :zero")
                .expression_attribute_values(":results", s(results)),
            None => update.update_expression("SET lease_until_ms = :zero"),
        };
        match update.send().await {
            Ok(_) => Ok(()),
            // The record expired and was claimed for another body meanwhile: nothing of ours to
            // finish.
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(err) => Err(DbError::sdk("UpdateItem", err)),
        }
    }
}
