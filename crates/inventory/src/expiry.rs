//! The expiry sweeper: a scheduled function that releases reservations whose time is up.
//!
//! Reads already treat an expired reservation as holding nothing; the sweeper returns its units
//! to available stock. Each release is conditional on the reservation still being active, so a
//! sweep racing a complete or a release is harmless.
//!
//! One run must finish well inside its timeout and must not let one busy store delay expiry for
//! every other: it checks its time budget before each reservation, tries each one once (a row
//! another writer has right now is left for the next run, a minute later, not waited on), and
//! walks the expiry index once, so what it left is not met again in the same run.

use crate::db::ReservationError;
use crate::domain::Outcome;
use crate::App;
use serde::Serialize;
use std::time::{Duration, Instant};

/// Reservations read per query of the expiry index.
const BATCH: usize = 25;
/// At most this many batches per run; the next run (a minute later) continues.
const MAX_BATCHES: usize = 20;
/// Start no reservation after this long, well inside the function's 60 s timeout: one
/// reservation is one attempt of one transaction, so the overrun is one call's latency.
pub const TIME_BUDGET: Duration = Duration::from_secs(40);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Reservations this run released.
    pub expired: usize,
    /// Due reservations another writer finished first (completed or released meanwhile).
    pub skipped: usize,
    /// Reservations that failed with a fault; they stay due and the next run retries them.
    pub failed: usize,
    /// Due reservations this run read but left for the next: a row was busy, or time ran out.
    pub left: usize,
    /// Whether due reservations may remain when this run stopped.
    pub more: bool,
}

/// Releases due reservations in bounded batches, within [`TIME_BUDGET`].
pub async fn sweep(app: &App) -> SweepReport {
    let started = Instant::now();
    sweep_while(app, || started.elapsed() < TIME_BUDGET).await
}

/// As [`sweep`], asking `time_left` before each reservation; when it says no, the run stops and
/// reports the rest of the batch as left.
pub async fn sweep_while(app: &App, mut time_left: impl FnMut() -> bool) -> SweepReport {
    let mut report = SweepReport::default();
    let mut after = None;
    for _ in 0..MAX_BATCHES {
        let now = app.clock.now();
        let (due, next) = match app.db.due_reservations_after(now, BATCH, after).await {
            Ok(batch) => batch,
            Err(err) => {
                tracing::error!(error = %err, "cannot read due reservations");
                report.more = true;
                return report;
            }
        };
        let batch = due.len();
        for (done, reservation) in due.into_iter().enumerate() {
            if !time_left() {
                report.left += batch - done;
                report.more = true;
                tracing::warn!(left = report.left, "sweep out of time");
                return report;
            }
            let id = reservation.reservation_id.clone();
            match expire_order_of(app, &reservation, now).await {
                Some(Ok(_)) => {
                    report.expired += 1;
                    continue;
                }
                Some(Err(err)) => {
                    tracing::info!(reservation_id = %id, error = %err, "order not expired: left for the next sweep");
                    report.left += 1;
                    continue;
                }
                None => {}
            }
            match app.db.expire(reservation, now).await {
                Ok((_, Outcome::Done)) => report.expired += 1,
                Ok((_, Outcome::AlreadyDone)) => report.skipped += 1,
                Err(ReservationError::NotActive(_) | ReservationError::NotFound) => {
                    report.skipped += 1;
                }
                Err(ReservationError::Contended) => {
                    tracing::info!(reservation_id = %id, "row busy: left for the next sweep");
                    report.left += 1;
                }
                Err(err) => {
                    tracing::error!(reservation_id = %id, error = %err, "cannot expire reservation");
                    report.failed += 1;
                }
            }
        }
        after = next;
        if after.is_none() {
            report.more = report.left + report.failed > 0;
            return report;
        }
    }
    report.more = true;
    report
}

/// A due reservation made by an order of this service's orders table expires with its order, in
/// one transaction, so the order never stays pending while holding nothing. `None` when the
/// reservation belongs to no pending order here (order-stock's callers own theirs elsewhere).
async fn expire_order_of(
    app: &App,
    reservation: &crate::domain::Reservation,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Result<crate::domain::Outcome, crate::db::OrderError>> {
    let order = match app.db.order(&reservation.order_id).await {
        Ok(Some(order)) => order,
        Ok(None) => return None,
        Err(err) => return Some(Err(err.into())),
    };
    if order.reservation_id != reservation.reservation_id
        || order.status != crate::domain::OrderStatus::Pending
    {
        return None;
    }
    Some(
        app.db
            .expire_order(order, now)
            .await
            .map(|(_, outcome)| outcome),
    )
}

/// Handles one scheduled event; its content does not matter, only that it is time to sweep.
pub async fn handle(app: &App, _event: serde_json::Value) -> SweepReport {
    let report = sweep(app).await;
    tracing::info!(
        expired = report.expired,
        skipped = report.skipped,
        failed = report.failed,
        left = report.left,
        more = report.more,
        "sweep done"
    );
    report.emit(crate::telemetry::metrics::Metrics::lambda());
    report
}

impl SweepReport {
    /// One metric line per run. `SweepFailed` is alarmed in template.yaml: a run that ends with
    /// faults still answers normally, so the sweeper's on-failure queue never sees it.
    pub fn emit(&self, metrics: &crate::telemetry::metrics::Metrics) {
        use crate::telemetry::metrics::Unit;
        let count = |n: usize| f64::from(u32::try_from(n).unwrap_or(u32::MAX));
        metrics
            .line()
            .metric("SweepExpired", count(self.expired), Unit::Count)
            .metric("SweepSkipped", count(self.skipped), Unit::Count)
            .metric("SweepFailed", count(self.failed), Unit::Count)
            .metric("SweepLeft", count(self.left), Unit::Count)
            .metric("SweepBacklog", f64::from(u8::from(self.more)), Unit::Count)
            .emit();
    }
}

/// The Lambda entry point, invoked by an EventBridge schedule.
///
/// # Errors
/// Only when init fails or the runtime itself fails.
pub async fn run_lambda() -> Result<(), lambda_runtime::Error> {
    crate::run_event_lambda(|app, event| async move { handle(&app, event).await }).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::metrics::Metrics;

    #[test]
    fn a_sweep_reports_its_counts_as_one_metric_line() {
        let metrics = Metrics::capturing("InventoryService");
        let report = SweepReport {
            expired: 3,
            skipped: 1,
            failed: 2,
            left: 4,
            more: true,
        };

        report.emit(&metrics);

        let line = &metrics.lines()[0];
        assert_eq!(line["SweepExpired"], 3.0);
        assert_eq!(line["SweepSkipped"], 1.0);
        assert_eq!(line["SweepFailed"], 2.0);
        assert_eq!(line["SweepLeft"], 4.0);
        assert_eq!(line["SweepBacklog"], 1.0);
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Metrics"]
                .as_array()
                .map(Vec::len),
            Some(5)
        );
    }
}
