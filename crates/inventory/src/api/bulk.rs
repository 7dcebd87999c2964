//! `POST /api/v1/inventory/bulk`: up to 100 stock changes and adjustments in one request, each
//! applied on its own, with its ledger row, by the same rules as its single-row route.
//!
//! - The whole body is parsed first: a line that does not parse refuses the whole request (400)
//!   and nothing is applied, so a client never has to work out which half of a typo went in.
//! - Every line's store must be the caller's: a line for another store refuses the whole request
//!   (403), before anything is applied.
//! - Then each line is one change with its audit record (`stock::apply_change`, as `PUT .../stock`
//!   and `POST .../adjust` use it: a blind write without a key, a ledger transaction with one),
//!   answered in request order as `applied` (the row after it and its
//!   movement's sequence number), `rejected` (the single route's 4xx code and message: nothing
//!   written) or `failed` (the service could not finish it in time: retry the request).
//! - Lines of distinct rows run up to [`CONCURRENCY`] at a time; the lines of one row run one
//!   after another in request order, so a count after a sale sees the sale.
//! - 200 when every line was applied, else 207 (also when none was: the request itself was
//!   valid, and each line has its answer).
//! - With an `Idempotency-Key`, each line claims a key derived from the request's key and its
//!   index in its own transaction, so it is applied at most once even if this function dies
//!   halfway; the request's record (`db::bulk`) keeps the body's fingerprint and the results.

use super::ledger::AdjustBody;
use super::stock::{apply_change, idempotency_key, Changed, RowKey, StockCommand};
use crate::auth::Caller;
use crate::db::{Attempts, BulkClaim, BulkRequestKey, Idempotent, InventoryItem, KeyedOperation};
use crate::domain::{
    BulkLineRequest, BulkRequest, IdempotencyKey, InvalidValue, ProductId, StockChange,
    StockChangeError, StoreId,
};
use crate::http::{self, ApiError, FromRequest, Reply};
use crate::App;
use futures::StreamExt;
use lambda_http::http::StatusCode;
use lambda_http::Request;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The most lines one request may carry.
pub const MAX_LINES: usize = 100;
/// Lines of distinct rows in flight at once.
pub const CONCURRENCY: usize = 8;
/// How long the lines may take in all. The function's timeout (25 s, template.yaml) leaves room
/// to record and send the answer; a line not finished by then is `failed`, and a retry with the
/// same key finishes it.
const DEADLINE: Duration = Duration::from_secs(20);

/// One line as sent: a `PUT .../stock` body with its row's ids, or a `POST .../adjust` body
/// (told apart by `adjustment_type`).
enum Line {
    Stock { key: RowKey, change: StockChange },
    Adjustment(AdjustBody),
}

impl Line {
    fn store_id(&self) -> &StoreId {
        match self {
            Self::Stock { key, .. } => &key.store_id,
            Self::Adjustment(body) => &body.store_id,
        }
    }

    fn parse(index: usize, value: Value) -> Result<Self, ApiError> {
        let invalid = |field: &str, problem: String| ApiError::InvalidLine {
            index,
            field: if field.is_empty() {
                format!("lines[{index}]")
            } else {
                format!("lines[{index}].{field}")
            },
            problem,
        };
        let Value::Object(mut fields) = value else {
            return Err(invalid("", "must be an object".into()));
        };
        if fields.contains_key("adjustment_type") {
            return serde_json::from_value(Value::Object(fields))
                .map(Self::Adjustment)
                .map_err(|e| invalid("", e.to_string()));
        }
        let mut id = |name: &'static str| -> Result<String, ApiError> {
            match fields.remove(name) {
                Some(Value::String(id)) => Ok(id),
                Some(_) => Err(invalid(name, "must be a string".into())),
                None => Err(invalid(name, "is required".into())),
            }
        };
        let (store_id, product_id) = (id("store_id")?, id("product_id")?);
        let from_value = |e: InvalidValue| invalid(e.field, e.problem);
        let key = RowKey {
            store_id: StoreId::parse(store_id).map_err(from_value)?,
            product_id: ProductId::parse(product_id).map_err(from_value)?,
        };
        let rest = serde_json::to_vec(&fields).map_err(|e| invalid("", e.to_string()))?;
        let change = StockChange::from_json(&rest).map_err(|e| match e {
            StockChangeError::Json(e) => invalid("", e.to_string()),
            StockChangeError::Invalid(e) => from_value(e),
        })?;
        Ok(Self::Stock { key, change })
    }
}

/// `POST /api/v1/inventory/bulk`: `{"lines": [..]}`, 1 to [`MAX_LINES`] of them.
pub struct BulkUpdateStock {
    lines: Vec<Line>,
    idempotency_key: Option<IdempotencyKey>,
}

impl FromRequest for BulkUpdateStock {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Body {
            lines: Vec<Value>,
        }
        let body: Body = http::json_body(req)?;
        if body.lines.is_empty() || body.lines.len() > MAX_LINES {
            return Err(InvalidValue::new(
                "lines",
                format!(
                    "must hold 1 to {MAX_LINES} lines, not {}; split a larger change into several requests",
                    body.lines.len()
                ),
            )
            .into());
        }
        Ok(Self {
            lines: body
                .lines
                .into_iter()
                .enumerate()
                .map(|(index, line)| Line::parse(index, line))
                .collect::<Result<_, _>>()?,
            idempotency_key: idempotency_key(req)?,
        })
    }
}

/// A line's answer, in request order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LineResult {
    pub index: usize,
    pub store_id: StoreId,
    pub product_id: ProductId,
    #[serde(flatten)]
    pub outcome: LineOutcome,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LineOutcome {
    /// Written with its ledger row: the row's quantities after it, and the movement's number.
    /// A line an earlier, interrupted copy of the request applied is `replayed`: nothing was
    /// written now, the quantities are the row's as it is, and its movement is not named.
    Applied {
        current_stock: i64,
        reserved_stock: i64,
        available_stock: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        movement_seq: Option<i64>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        replayed: bool,
    },
    /// Refused by the row's rules, as its single route would (4xx): nothing was written.
    Rejected { error: LineError },
    /// Not finished (the rows were busy past the request's time, or DynamoDB failed): retry the
    /// request, with the same `Idempotency-Key` to be sure nothing is applied twice.
    Failed { error: LineError },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LineError {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct BulkReply {
    applied: usize,
    rejected: usize,
    failed: usize,
    results: Vec<LineResult>,
}

impl BulkReply {
    fn new(results: Vec<LineResult>) -> Self {
        let count = |f: fn(&LineOutcome) -> bool| results.iter().filter(|r| f(&r.outcome)).count();
        Self {
            applied: count(|o| matches!(o, LineOutcome::Applied { .. })),
            rejected: count(|o| matches!(o, LineOutcome::Rejected { .. })),
            failed: count(|o| matches!(o, LineOutcome::Failed { .. })),
            results,
        }
    }

    fn reply(&self) -> Result<Reply, ApiError> {
        let status = if self.applied == self.results.len() {
            StatusCode::OK
        } else {
            StatusCode::MULTI_STATUS
        };
        Reply::with_status(status, self)
    }
}

pub async fn bulk_update_stock(
    app: &App,
    caller: &Caller,
    cmd: BulkUpdateStock,
) -> Result<Reply, ApiError> {
    for line in &cmd.lines {
        caller.require_store(line.store_id())?;
    }
    let commands = cmd
        .lines
        .into_iter()
        .map(|line| match line {
            Line::Stock { key, change } => Ok(StockCommand::stock_change(app, caller, key, change)),
            Line::Adjustment(body) => StockCommand::adjustment(app, caller, body),
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let request = cmd.idempotency_key.map(|key| {
        let lines: Vec<_> = commands.iter().map(|c| c.fingerprint.clone()).collect();
        BulkRequestKey {
            actor: caller.actor(),
            key,
            request: BulkRequest { lines: &lines }.fingerprint(),
        }
    });
    if let Some(request) = &request {
        match app.db.claim_bulk_request(request, app.clock.now()).await? {
            BulkClaim::Claimed => {}
            BulkClaim::Answered(results) => {
                super::count_replay(app);
                let stored: BulkReply = serde_json::from_str(&results)
                    .map_err(|e| ApiError::Internal(Box::new(e)))?;
                return stored.reply();
            }
            BulkClaim::InProgress => {
                return Err(ApiError::conflict(
                    "request_in_progress",
                    "a request with this Idempotency-Key is being applied now; retry it shortly to get its results",
                    json!({ "idempotency_key": request.key }),
                ))
            }
            BulkClaim::Mismatch => {
                return Err(ApiError::conflict(
                    "idempotency_mismatch",
                    "this Idempotency-Key was used for a different request; use a new key",
                    json!({ "idempotency_key": request.key }),
                ))
            }
        }
    }
    let reply = BulkReply::new(apply_lines(app, caller, commands, request.as_ref()).await);
    if let Some(request) = &request {
        // Results are kept only when every line has its final answer: a failed line must be
        // tried again by a retry, not answered from the record.
        let results = if reply.failed == 0 {
            Some(serde_json::to_string(&reply).map_err(|e| ApiError::Internal(Box::new(e)))?)
        } else {
            None
        };
        if let Err(err) = app
            .db
            .finish_bulk_request(request, results.as_deref())
            .await
        {
            // The lines are written and their keys claimed: a retry is answered from those.
            tracing::warn!(error = %err, "bulk request's results not recorded");
        }
    }
    tracing::info!(
        lines = reply.results.len(),
        applied = reply.applied,
        rejected = reply.rejected,
        failed = reply.failed,
        "bulk stock request applied"
    );
    reply.reply()
}

/// Applies every line and answers them in request order: distinct rows concurrently, the lines
/// of one row in order.
async fn apply_lines(
    app: &App,
    caller: &Caller,
    commands: Vec<StockCommand>,
    request: Option<&BulkRequestKey>,
) -> Vec<LineResult> {
    let deadline = Instant::now() + DEADLINE;
    let count = commands.len();
    let mut rows: HashMap<(StoreId, ProductId), usize> = HashMap::new();
    let mut groups: Vec<Vec<(usize, StockCommand)>> = Vec::new();
    for (index, command) in commands.into_iter().enumerate() {
        let row = (
            command.change.store_id.clone(),
            command.change.product_id.clone(),
        );
        let group = *rows.entry(row).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[group].push((index, command));
    }
    let key = request.map(|r| &r.key);
    let mut results: Vec<LineResult> = futures::stream::iter(groups)
        .map(|group| async move {
            let mut done = Vec::with_capacity(group.len());
            for (index, command) in group {
                done.push(apply_line(app, caller, index, command, key, deadline).await);
            }
            done
        })
        .buffer_unordered(CONCURRENCY)
        .flat_map(futures::stream::iter)
        .collect()
        .await;
    results.sort_by_key(|r| r.index);
    debug_assert_eq!(results.len(), count);
    results
}

async fn apply_line(
    app: &App,
    caller: &Caller,
    index: usize,
    command: StockCommand,
    request_key: Option<&IdempotencyKey>,
    deadline: Instant,
) -> LineResult {
    let StockCommand {
        change,
        context,
        fingerprint,
        ..
    } = command;
    let (store_id, product_id) = (change.store_id.clone(), change.product_id.clone());
    let outcome = if Instant::now() >= deadline {
        // Not started: nothing written.
        failed(&ApiError::Contended)
    } else {
        let idempotent = request_key.map(|key| Idempotent {
            store_id: store_id.clone(),
            actor: caller.actor(),
            operation: KeyedOperation::BulkUpdateStock,
            key: key.for_line(index),
            request: BulkLineRequest {
                index,
                line: &fingerprint,
            }
            .fingerprint(),
        });
        match apply_change(app, change, &context, idempotent, Attempts::Until(deadline)).await {
            Ok(Changed::Applied(applied)) => {
                applied_as(&applied.item, Some(applied.movement.seq), false)
            }
            Ok(Changed::Replayed(item)) => applied_as(&item, None, true),
            Err(err) if err.status().is_client_error() => LineOutcome::Rejected {
                error: line_error(&err),
            },
            Err(err) => failed(&err),
        }
    };
    LineResult {
        index,
        store_id,
        product_id,
        outcome,
    }
}

fn applied_as(item: &InventoryItem, movement_seq: Option<i64>, replayed: bool) -> LineOutcome {
    LineOutcome::Applied {
        current_stock: item.current_stock,
        reserved_stock: item.reserved_stock,
        available_stock: item.available_stock,
        movement_seq,
        replayed,
    }
}

fn failed(err: &ApiError) -> LineOutcome {
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    tracing::error!(code = err.code(), causes = ?causes, "bulk line not finished");
    LineOutcome::Failed {
        error: line_error(err),
    }
}

/// The line's answer in the single routes' terms: their code, and their message (never a 5xx
/// cause: those are logged).
fn line_error(err: &ApiError) -> LineError {
    LineError {
        code: err.code().to_owned(),
        message: err.to_string(),
    }
}
