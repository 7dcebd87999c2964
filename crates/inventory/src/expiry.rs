//! The expiry sweeper: a scheduled function that releases reservations whose time is up.
//!
//! Reads already treat an expired reservation as holding nothing; the sweeper returns its units
//! to available stock. Each release is conditional on the reservation still being active, so a
//! sweep racing a complete or a release is harmless.

use crate::db::ReservationError;
use crate::App;
use serde::Serialize;
use std::time::{Duration, Instant};

/// Reservations read per query of the expiry index.
const BATCH: usize = 25;
/// At most this many batches per run; the next run (a minute later) continues.
const MAX_BATCHES: usize = 20;
/// Stop starting new work after this long, well inside the function's timeout.
const TIME_BUDGET: Duration = Duration::from_secs(40);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Reservations this run released.
    pub expired: usize,
    /// Due reservations another writer finished first (completed or released meanwhile).
    pub skipped: usize,
    /// Reservations that failed with a fault; they stay due and the next run retries them.
    pub failed: usize,
    /// Whether due reservations may remain when this run stopped.
    pub more: bool,
}

/// Releases due reservations in bounded batches.
pub async fn sweep(app: &App) -> SweepReport {
    let started = Instant::now();
    let mut report = SweepReport::default();
    for _ in 0..MAX_BATCHES {
        let now = app.clock.now();
        let due = match app.db.due_reservations(now, BATCH).await {
            Ok(due) => due,
            Err(err) => {
                tracing::error!(error = %err, "cannot read due reservations");
                report.more = true;
                return report;
            }
        };
        if due.is_empty() {
            return report;
        }
        let progress = report.expired + report.skipped;
        for reservation in &due {
            match app.db.expire(&reservation.reservation_id, now).await {
                Ok(_) => report.expired += 1,
                Err(ReservationError::NotActive(_) | ReservationError::NotFound) => {
                    report.skipped += 1
                }
                Err(err) => {
                    tracing::error!(reservation_id = %reservation.reservation_id, error = %err, "cannot expire reservation");
                    report.failed += 1;
                }
            }
        }
        // Only faults left in this batch: retrying now would repeat them.
        if report.expired + report.skipped == progress || started.elapsed() > TIME_BUDGET {
            report.more = true;
            return report;
        }
    }
    report.more = true;
    report
}

/// Handles one scheduled event; its content does not matter, only that it is time to sweep.
pub async fn handle(app: &App, _event: serde_json::Value) -> SweepReport {
    let report = sweep(app).await;
    tracing::info!(
        expired = report.expired,
        skipped = report.skipped,
        failed = report.failed,
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
            more: true,
        };

        report.emit(&metrics);

        let line = &metrics.lines()[0];
        assert_eq!(line["SweepExpired"], 3.0);
        assert_eq!(line["SweepSkipped"], 1.0);
        assert_eq!(line["SweepFailed"], 2.0);
        assert_eq!(line["SweepBacklog"], 1.0);
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Metrics"]
                .as_array()
                .map(Vec::len),
            Some(4)
        );
    }
}
