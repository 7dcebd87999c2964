//! The order Lambda's entry point: a direct-invoke function (no HTTP) with the same semantics,
//! errors and idempotency as the HTTP routes, answering a typed result with per-line detail.

use crate::api::{reserve_request, LineBody};
use crate::db::ReservationError;
use crate::domain::{
    Actor, LineAvailability, OrderId, Outcome, Reservation, ReserveRequest, StoreId,
};
use crate::http::{ApiError, Problem};
use crate::App;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderAction {
    /// Can the cart be had now? Reads only.
    Check,
    /// Hold the cart's units (checkout).
    Reserve,
    /// Ship the order's reserved units (confirmed or paid).
    Commit,
    /// Give the order's reserved units back (cancelled).
    Release,
    /// Reserve and commit in one transaction (pay at counter).
    Deduct,
}

/// What the order Lambda sends.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderCommand {
    pub action: OrderAction,
    pub order_id: OrderId,
    pub store_id: StoreId,
    #[serde(default)]
    pub items: Vec<LineBody>,
    pub expires_in_minutes: Option<i64>,
}

/// What it gets back: `ok`, and either the reservation and per-line detail, or the problem.
#[derive(Debug, Clone, Serialize)]
pub struct OrderResult {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<OrderAction>,
    /// True when this repeated an earlier identical request and changed nothing.
    pub replayed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservation: Option<Reservation>,
    /// Per line: requested, available, shortage (for `check`, and for refusals).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<LineAvailability>,
    /// The same problem document the HTTP routes answer with, including its `status`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Problem>,
}

impl OrderResult {
    fn done(action: OrderAction, reservation: Reservation, outcome: Outcome) -> Self {
        Self {
            ok: true,
            action: Some(action),
            replayed: outcome == Outcome::AlreadyDone,
            reservation: Some(reservation),
            lines: Vec::new(),
            error: None,
        }
    }

    fn failed(action: Option<OrderAction>, error: &ApiError) -> Self {
        Self {
            ok: false,
            action,
            replayed: false,
            reservation: None,
            lines: Vec::new(),
            error: Some(error.problem()),
        }
    }
}

/// Handles one event. Never fails: a bad event is an `ok: false` result, like a 400.
pub async fn handle(app: &App, event: serde_json::Value) -> OrderResult {
    let command: OrderCommand = match serde_json::from_value(event) {
        Ok(command) => command,
        Err(e) => return OrderResult::failed(None, &ApiError::Body(e.to_string())),
    };
    let action = command.action;
    let span = tracing::Span::current();
    span.record("store_id", command.store_id.as_str());
    span.record("order_id", command.order_id.as_str());
    // Boxed: the nested transaction futures are deep enough to exceed the compiler's layout limit.
    match Box::pin(run(app, command)).await {
        Ok(result) => result,
        Err(err) => {
            let mut result = OrderResult::failed(Some(action), &err.error);
            result.lines = err.lines;
            if err.error.status().is_server_error() {
                tracing::error!(code = err.error.code(), error = ?err.error, "order command failed");
            }
            result
        }
    }
}

struct Failure {
    error: ApiError,
    lines: Vec<LineAvailability>,
}

impl<E: Into<ApiError>> From<E> for Failure {
    fn from(e: E) -> Self {
        Self {
            error: e.into(),
            lines: Vec::new(),
        }
    }
}

async fn run(app: &App, command: OrderCommand) -> Result<OrderResult, Failure> {
    let actor = Actor::parse("service:order").unwrap_or_else(|_| Actor::anonymous());
    let now = app.clock.now();
    let action = command.action;
    let request = || -> Result<ReserveRequest, Failure> {
        Ok(reserve_request(
            command.store_id.clone(),
            command.order_id.clone(),
            command.items.clone(),
            command.expires_in_minutes,
        )?)
    };
    match action {
        OrderAction::Check => {
            let request = request()?;
            let lines = app
                .db
                .check_lines(&request.store_id, &request.lines)
                .await?;
            let ok = lines.iter().all(|l| l.shortage == 0);
            Ok(OrderResult {
                ok,
                action: Some(action),
                replayed: false,
                reservation: None,
                lines,
                error: None,
            })
        }
        OrderAction::Reserve | OrderAction::Deduct => {
            let request = request()?;
            let placed = if action == OrderAction::Reserve {
                app.db.reserve(&request, &actor, now).await
            } else {
                app.db.deduct(&request, &actor, now).await
            };
            match placed {
                Ok((reservation, outcome)) => Ok(OrderResult::done(action, reservation, outcome)),
                Err(ReservationError::Short(short)) => {
                    // The short lines come from the refused write itself; the others did not
                    // fail, so their stock is read (for the report only, not for a decision).
                    let mut lines = app
                        .db
                        .check_lines(&request.store_id, &request.lines)
                        .await?;
                    for line in &mut lines {
                        if let Some(s) = short.iter().find(|s| s.product_id == line.product_id) {
                            line.available = Some(s.available);
                            line.shortage = (line.requested - s.available).max(0);
                        }
                    }
                    Err(Failure {
                        error: ReservationError::Short(short).into(),
                        lines,
                    })
                }
                Err(e) => Err(e.into()),
            }
        }
        OrderAction::Commit | OrderAction::Release => {
            let reservation = app
                .db
                .reservation_for_order(&command.store_id, &command.order_id)
                .await?
                .ok_or_else(|| {
                    ApiError::not_found(
                        "reservation_not_found",
                        format!("order {} has no reservation", command.order_id),
                    )
                })?;
            let (reservation, outcome) = if action == OrderAction::Commit {
                app.db
                    .complete(&reservation.reservation_id, &actor, now)
                    .await?
            } else {
                app.db
                    .release(&reservation.reservation_id, &actor, now)
                    .await?
            };
            Ok(OrderResult::done(action, reservation, outcome))
        }
    }
}

/// The Lambda entry point.
///
/// # Errors
/// Only when init fails or the runtime itself fails.
pub async fn run_lambda() -> Result<(), lambda_runtime::Error> {
    crate::run_event_lambda(|app, event| async move { handle(&app, event).await }).await
}
