//! The one backoff policy of our own retry loops (the ledger's conflicts, the event publisher's
//! refused entries): exponential between `min` and `max` with full jitter, from `backon`, used
//! only as an iterator of delays, optionally bounded in total.

use std::time::Duration;

pub fn jittered(
    min: Duration,
    max: Duration,
    total: Option<Duration>,
) -> impl Iterator<Item = Duration> {
    use backon::BackoffBuilder;
    backon::ExponentialBuilder::new()
        .with_min_delay(min)
        .with_max_delay(max)
        .with_jitter()
        .without_max_times()
        .with_total_delay(total)
        .build()
}
