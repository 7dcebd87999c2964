//! Cold start and warm invocations of real function processes under the local Runtime API:
//! ours (release builds), the `lambda_runtime` floor and the Python peer under awslambdaric.

use super::{ms, quantile, spread, Fixture};
use crate::lambda::{LambdaCommand, LocalLambda};
use crate::runtime_api::Outcome;
use serde::Serialize;
use serde_json::Value;
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(30);

/// A function to measure and the event for its n-th invocation.
pub struct Subject<'a> {
    pub label: &'static str,
    pub command: LambdaCommand,
    pub event: Box<dyn Fn(usize) -> Value + 'a>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Spread {
    pub min: f64,
    pub median: f64,
    pub max: f64,
}

impl Spread {
    fn of(values: &[f64]) -> Self {
        let (min, median, max) = spread(values);
        Self { min, median, max }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Cold {
    pub label: &'static str,
    pub starts: usize,
    /// Exec to the first `/next`, ms.
    pub init_ms: Spread,
    /// The first invocation, ms.
    pub first_invocation_ms: Spread,
    /// Peak resident memory after the first invocation (VmHWM), MB.
    pub peak_rss_mb: Spread,
    /// Answers that were not a success (an error outcome or a 5xx).
    pub failures: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Warm {
    pub label: &'static str,
    pub invocations: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// CPU time of the function process per invocation (every thread; DynamoDB's own time is
    /// another process's): p50, p99 and mean, ms.
    pub cpu_p50_ms: f64,
    pub cpu_p99_ms: f64,
    pub cpu_mean_ms: f64,
    pub peak_rss_mb: f64,
    pub failures: usize,
}

fn failed(outcome: &Outcome) -> bool {
    match outcome {
        Outcome::Error { .. } => true,
        Outcome::Response(body) => serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("statusCode").and_then(Value::as_u64))
            .is_some_and(|s| s >= 500),
    }
}

/// `starts` fresh processes, one invocation each.
///
/// # Errors
/// When a process cannot start or does not answer in time.
pub async fn cold(
    subject: &Subject<'_>,
    starts: usize,
) -> Result<Cold, Box<dyn std::error::Error>> {
    let (mut init, mut first, mut rss, mut failures) = (vec![], vec![], vec![], 0);
    for n in 0..starts {
        let lambda = LocalLambda::start(&subject.command).await?;
        init.push(ms(lambda.init_duration(LIMIT).await?));
        let event = serde_json::to_vec(&(subject.event)(n))?;
        let started = Instant::now();
        let outcome = lambda.invoke(event, LIMIT).await?;
        first.push(ms(started.elapsed()));
        failures += usize::from(failed(&outcome));
        rss.push(lambda.peak_rss_kib().unwrap_or_default() as f64 / 1024.0);
        lambda.stop().await;
    }
    Ok(Cold {
        label: subject.label,
        starts,
        init_ms: Spread::of(&init),
        first_invocation_ms: Spread::of(&first),
        peak_rss_mb: Spread::of(&rss),
        failures,
    })
}

/// One warm process, `invocations` events one after another (bounded by `time_limit`), with
/// the process's CPU time read before and after each.
///
/// # Errors
/// When the process cannot start or an invocation times out.
pub async fn warm(
    subject: &Subject<'_>,
    invocations: usize,
    time_limit: Duration,
) -> Result<Warm, Box<dyn std::error::Error>> {
    let lambda = LocalLambda::start(&subject.command).await?;
    lambda.init_duration(LIMIT).await?;
    // One invocation outside the count: the first one pays for connections.
    let _ = lambda
        .invoke(serde_json::to_vec(&(subject.event)(0))?, LIMIT)
        .await?;
    let (mut latency, mut cpu, mut failures) = (vec![], vec![], 0);
    let began = Instant::now();
    for n in 1..=invocations {
        if began.elapsed() > time_limit {
            break;
        }
        let event = serde_json::to_vec(&(subject.event)(n))?;
        let cpu_before = lambda.cpu_time().unwrap_or_default();
        let started = Instant::now();
        let outcome = lambda.invoke(event, LIMIT).await?;
        latency.push(ms(started.elapsed()));
        cpu.push(ms(lambda
            .cpu_time()
            .unwrap_or_default()
            .saturating_sub(cpu_before)));
        failures += usize::from(failed(&outcome));
    }
    let peak_rss_mb = lambda.peak_rss_kib().unwrap_or_default() as f64 / 1024.0;
    lambda.stop().await;
    Ok(Warm {
        label: subject.label,
        invocations: latency.len(),
        p50_ms: quantile(&latency, 0.5),
        p99_ms: quantile(&latency, 0.99),
        cpu_p50_ms: quantile(&cpu, 0.5),
        cpu_p99_ms: quantile(&cpu, 0.99),
        cpu_mean_ms: cpu.iter().sum::<f64>() / cpu.len().max(1) as f64,
        peak_rss_mb,
        failures,
    })
}

/// The subjects, each with events that keep working when repeated (new order ids, alternating
/// stock deltas).
pub fn subjects(fixture: &Fixture) -> Vec<Subject<'_>> {
    let endpoint = fixture.settings.endpoint.clone();
    let run = chrono::Utc::now().timestamp_millis();
    vec![
        Subject {
            label: "get-product (public read)",
            command: fixture.function("get-product", &endpoint),
            event: Box::new(move |n| {
                super::http_event(
                    super::GET_PRODUCT,
                    &[
                        ("store_id", super::BENCH_STORE),
                        ("product_id", &fixture.product(n)),
                    ],
                    &[],
                    None,
                    false,
                )
            }),
        },
        Subject {
            label: "update-stock (stock write)",
            command: fixture.function("update-stock", &endpoint),
            event: Box::new(move |n| {
                super::stock_delta_event(&fixture.product(n), if n % 2 == 0 { -1 } else { 1 })
            }),
        },
        Subject {
            label: "reserve-stock (5 lines)",
            command: fixture.function("reserve-stock", &endpoint),
            event: Box::new(move |n| super::reserve_event(fixture, &format!("w{run}-{n}"), n, 5)),
        },
        Subject {
            label: "order-stock (reserve, 3 lines)",
            command: fixture.function("order-stock", &endpoint),
            event: Box::new(move |n| {
                super::order_event(fixture, "reserve", &format!("o{run}-{n}"), n, 3)
            }),
        },
        Subject {
            label: "expire-reservations (sweeper)",
            command: fixture.function("expire-reservations", &endpoint),
            event: Box::new(|_| {
                serde_json::json!({ "version": "0", "detail-type": "Scheduled Event",
                    "source": "aws.scheduler", "detail": {} })
            }),
        },
        Subject {
            label: "hello-world lambda_runtime (floor)",
            command: fixture.hello(),
            event: Box::new(|_| serde_json::json!({})),
        },
        Subject {
            label: "Python 3.12 peer: get product",
            command: fixture.peer(&endpoint),
            event: Box::new(move |n| {
                super::http_event(
                    super::GET_PRODUCT,
                    &[
                        ("store_id", super::BENCH_STORE),
                        ("product_id", &fixture.product(n)),
                    ],
                    &[],
                    None,
                    false,
                )
            }),
        },
        Subject {
            label: "Python 3.12 peer: stock write",
            command: fixture.peer(&endpoint),
            event: Box::new(move |n| {
                super::stock_delta_event(&fixture.product(n), if n % 2 == 0 { -1 } else { 1 })
            }),
        },
        Subject {
            label: "Python 3.12 peer: order (reserve, 3 lines)",
            command: fixture.peer(&endpoint),
            event: Box::new(move |n| {
                super::order_event(fixture, "reserve", &format!("p{run}-{n}"), n, 3)
            }),
        },
    ]
}
