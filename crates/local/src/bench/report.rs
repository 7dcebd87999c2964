//! `bench/REPORT.md` and `bench/report.json` from one run's measurements.

use super::contention::{HotRow, Sale};
use super::lambdas::{Cold, Warm};
use super::router::Measured;
use super::work::Operation;
use serde::Serialize;
use serde_json::json;
use std::fmt::Write;

/// List prices used for cost, as known on 2026-11-22 without internet access (not re-checked):
/// AWS's public pricing pages, us-east-1.
pub struct Prices;

impl Prices {
    /// aws.amazon.com/lambda/pricing: Arm, first 7.5 billion GB-s a month.
    pub const LAMBDA_ARM_GB_SECOND: f64 = 0.000_013_333_4;
    /// aws.amazon.com/lambda/pricing: per request.
    pub const LAMBDA_REQUEST: f64 = 0.20 / 1e6;
    /// aws.amazon.com/dynamodb/pricing/on-demand: per write request unit (after the
    /// November 2024 reduction).
    pub const DYNAMODB_WRU: f64 = 0.625 / 1e6;
    /// Per read request unit.
    pub const DYNAMODB_RRU: f64 = 0.125 / 1e6;
    /// aws.amazon.com/api-gateway/pricing: HTTP API, first 300 million a month.
    pub const HTTP_API_REQUEST: f64 = 1.00 / 1e6;
}

#[derive(Debug, Clone, Serialize)]
pub struct Cost {
    pub kind: String,
    pub duration_ms: f64,
    pub memory_mb: u32,
    pub lambda_compute: f64,
    pub lambda_requests: f64,
    pub dynamodb: f64,
    pub api_gateway: f64,
    pub total: f64,
}

/// Cost per million requests of one kind.
/// `invocations` Lambda invocations of `duration_ms` each serve one request.
pub fn cost(
    kind: &str,
    duration_ms: f64,
    invocations: f64,
    read_units: f64,
    write_units: f64,
    http: bool,
) -> Cost {
    let memory_mb = crate::lambda::MEMORY_MB;
    let billed_ms = duration_ms.ceil();
    let lambda_compute = 1e6 * invocations * f64::from(memory_mb) / 1024.0 * billed_ms / 1000.0
        * Prices::LAMBDA_ARM_GB_SECOND;
    let lambda_requests = 1e6 * invocations * Prices::LAMBDA_REQUEST;
    let dynamodb = 1e6 * (read_units * Prices::DYNAMODB_RRU + write_units * Prices::DYNAMODB_WRU);
    let api_gateway = if http {
        1e6 * Prices::HTTP_API_REQUEST
    } else {
        0.0
    };
    Cost {
        kind: kind.to_owned(),
        duration_ms,
        memory_mb,
        lambda_compute,
        lambda_requests,
        dynamodb,
        api_gateway,
        total: lambda_compute + lambda_requests + dynamodb + api_gateway,
    }
}

/// Everything one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub machine: String,
    pub date: String,
    pub commit: String,
    pub command: String,
    pub cold: Vec<Cold>,
    pub warm: Vec<Warm>,
    pub work: Vec<Operation>,
    pub sales: Vec<Sale>,
    pub hot_rows: Vec<HotRow>,
    pub ledger_exact: bool,
    pub costs: Vec<Cost>,
    pub artifacts: Vec<(String, u64)>,
    pub router: Vec<RouterRow>,
    pub router_peak_rss_mib: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RouterRow {
    pub name: &'static str,
    pub requests: usize,
    pub concurrency: usize,
    pub ok: usize,
    pub row: String,
}

impl From<&Measured> for RouterRow {
    fn from(m: &Measured) -> Self {
        Self {
            name: m.name,
            requests: m.requests,
            concurrency: m.concurrency,
            ok: m.ok,
            row: m.row(),
        }
    }
}

/// One target, and whether this run met it.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub target: String,
    pub measured: String,
    pub met: bool,
}

fn find<'a, T>(items: &'a [T], label: impl Fn(&T) -> &str, starts: &str) -> Option<&'a T> {
    items.iter().find(|i| label(i).starts_with(starts))
}

pub fn targets(run: &Run) -> Vec<Target> {
    let mut targets = Vec::new();
    let cold = |p: &str| find(&run.cold, |c| c.label, p);
    let floor = cold("hello-world").map_or(f64::NAN, |c| c.init_ms.median);
    let peer = cold("Python 3.12 peer: get").map_or(f64::NAN, |c| c.init_ms.median);
    let ours: Vec<&Cold> = run
        .cold
        .iter()
        .filter(|c| !c.label.starts_with("hello") && !c.label.starts_with("Python"))
        .collect();
    let worst_init = ours.iter().map(|c| c.init_ms.median).fold(0.0, f64::max);
    targets.push(Target {
        target: "init ≤ 1.5× the hello-world floor (medians)".into(),
        measured: format!(
            "worst of ours {worst_init:.1} ms vs floor {floor:.1} ms ({:.2}×)",
            worst_init / floor
        ),
        met: worst_init <= 1.5 * floor,
    });
    targets.push(Target {
        target: "init ≤ 1/10 of the Python peer's".into(),
        measured: format!(
            "{worst_init:.1} ms vs {peer:.1} ms (1/{:.0})",
            peer / worst_init
        ),
        met: worst_init * 10.0 <= peer,
    });
    let worst_rss = ours.iter().map(|c| c.peak_rss_mb.max).fold(0.0, f64::max);
    targets.push(Target {
        target: "peak RSS ≤ 16 MB".into(),
        measured: format!("worst of ours {worst_rss:.1} MB (cold, first invocation)"),
        met: worst_rss <= 16.0,
    });
    let biggest = run.artifacts.iter().map(|a| a.1).max();
    targets.push(Target {
        target: "every zip ≤ 4 MB".into(),
        measured: biggest.map_or_else(
            || "not measured: run `make package` first".into(),
            |b| {
                format!(
                    "largest {:.2} MB of {}",
                    b as f64 / 1e6,
                    run.artifacts.len()
                )
            },
        ),
        met: biggest.is_some_and(|b| b <= 4_000_000),
    });
    let ours_warm: Vec<&Warm> = run
        .warm
        .iter()
        .filter(|w| !w.label.starts_with("hello") && !w.label.starts_with("Python"))
        .collect();
    let worst_cpu = ours_warm.iter().map(|w| w.cpu_p99_ms).fold(0.0, f64::max);
    targets.push(Target {
        target: "warm CPU per invocation ≤ 0.5 ms at p99, excluding DynamoDB".into(),
        measured: format!(
            "worst p99 of ours {worst_cpu:.2} ms ({})",
            ours_warm
                .iter()
                .map(|w| format!(
                    "{} {:.2}",
                    w.label.split(' ').next().unwrap_or_default(),
                    w.cpu_p99_ms
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        met: worst_cpu <= 0.5,
    });
    let at64 = |p: &str| {
        run.hot_rows
            .iter()
            .find(|h| h.in_flight == 64 && h.design.starts_with(p))
    };
    if let (Some(ours), Some(tx)) = (at64("ours"), at64("floor and alternative")) {
        targets.push(Target {
            target: "hot row, 64 in flight: ≥ 50% of the transaction floor's throughput".into(),
            measured: format!(
                "{:.0}/s vs {:.0}/s ({:.0}%)",
                ours.throughput,
                tx.throughput,
                100.0 * ours.throughput / tx.throughput
            ),
            met: ours.throughput >= 0.5 * tx.throughput,
        });
        targets.push(Target {
            target: "hot row, 64 in flight: p99 ≤ 250 ms".into(),
            measured: format!("{:.0} ms", ours.p99_ms),
            met: ours.p99_ms <= 250.0,
        });
    }
    if let Some(sale) = run.sales.iter().find(|s| s.side.starts_with("ours")) {
        targets.push(Target {
            target: "0 oversold (64 buyers, 100 units)".into(),
            measured: format!(
                "{} sold, {} oversold, row consistent: {}",
                sale.sold, sale.oversold, sale.consistent
            ),
            met: sale.oversold == 0 && sale.consistent,
        });
    }
    targets.push(Target {
        target: "the ledger still exact after the hot-row runs".into(),
        measured: format!("chain and replay check: {}", run.ledger_exact),
        met: run.ledger_exact,
    });
    if let Some(reserve) = run.work.iter().find(|o| o.name.starts_with("reserve 5")) {
        targets.push(Target {
            target: "a 5-line reserve costs 1 DynamoDB call (the peer's 10)".into(),
            measured: format!(
                "ours {} ({}), peer {}",
                reserve.ours.total_calls,
                calls_text(&reserve.ours.calls),
                reserve.peer.as_ref().map_or(0, |p| p.total_calls)
            ),
            met: reserve.ours.total_calls == 1,
        });
    }
    targets
}

fn calls_text(calls: &std::collections::BTreeMap<String, u64>) -> String {
    calls
        .iter()
        .map(|(op, n)| format!("{n} {op}"))
        .collect::<Vec<_>>()
        .join(" + ")
}

fn yes(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "**missed**"
    }
}

/// The markdown report.
pub fn markdown(run: &Run, targets: &[Target]) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Benchmark report\n");
    let _ = writeln!(
        md,
        "Written by `{}` on {}.\n\n- machine: {}\n- commit: {}\n- DynamoDB: DynamoDB Local on 127.0.0.1 (in memory, shared by other users of the machine); every number that involves it measures this machine, not DynamoDB in AWS, where single-item latencies are a few milliseconds.\n- harness: `inventory-local` {} build (it runs the in-process sides: DynamoDB work, the flash sale, the hot-row table and the router section);\n- functions: release builds for this machine (x86_64; the deployed arm64 build uses the same profile), under `inventory-local`'s Runtime API (TCP_NODELAY), 256 MB as in template.yaml (not enforced locally).\n",
        run.command, run.date, run.machine, run.commit,
        if cfg!(debug_assertions) { "debug" } else { "release" }
    );
    let _ = writeln!(md, "## Targets\n\n| target | measured | |\n|---|---|---|");
    for t in targets {
        let _ = writeln!(md, "| {} | {} | {} |", t.target, t.measured, yes(t.met));
    }

    let _ = writeln!(md, "\n## Cold start and memory\n\nEach start is a new process: init is exec to its first `/next`; the first invocation is the round trip of one event; peak RSS is `VmHWM` after it. min / median / max over the starts.\n\n| function | starts | init ms | first invocation ms | peak RSS MB | failures |\n|---|---|---|---|---|---|");
    for c in &run.cold {
        let _ = writeln!(
            md,
            "| {} | {} | {:.1} / {:.1} / {:.1} | {:.1} / {:.1} / {:.1} | {:.1} / {:.1} / {:.1} | {} |",
            c.label, c.starts, c.init_ms.min, c.init_ms.median, c.init_ms.max,
            c.first_invocation_ms.min, c.first_invocation_ms.median, c.first_invocation_ms.max,
            c.peak_rss_mb.min, c.peak_rss_mb.median, c.peak_rss_mb.max, c.failures
        );
    }

    let _ = writeln!(md, "\n## Warm\n\nOne process, one invocation after another. CPU is the process's own time on CPU per invocation (every thread, from `/proc/<pid>/task/*/schedstat`, nanoseconds): the time spent waiting on DynamoDB is not in it.\n\n| function | invocations | p50 ms | p99 ms | CPU p50 ms | CPU p99 ms | CPU mean ms | peak RSS MB | failures |\n|---|---|---|---|---|---|---|---|---|");
    for w in &run.warm {
        let _ = writeln!(
            md,
            "| {} | {} | {:.2} | {:.2} | {:.3} | {:.3} | {:.3} | {:.1} | {} |",
            w.label,
            w.invocations,
            w.p50_ms,
            w.p99_ms,
            w.cpu_p50_ms,
            w.cpu_p99_ms,
            w.cpu_mean_ms,
            w.peak_rss_mb,
            w.failures
        );
    }

    let _ = writeln!(md, "\n## DynamoDB work per operation\n\nCalls from the core's `Meter` (cross-checked against the proxy), capacity from a metering proxy that adds `ReturnConsumedCapacity: TOTAL` to every call, ours and the peer's alike. Billed units count transactional writes double, as AWS does (DynamoDB Local reports them single).\n\n| operation | ours: calls | ours: units (billed) | ours: bytes out/in | peer: calls | peer: units (billed) | floor |\n|---|---|---|---|---|---|---|");
    for o in &run.work {
        let peer = o.peer.as_ref().map_or_else(
            || ("— (no such operation)".to_owned(), "—".to_owned()),
            |p| {
                (
                    format!("{} ({})", p.total_calls, calls_text(&p.calls)),
                    format!("{:.1} ({:.1})", p.capacity, p.billed_capacity),
                )
            },
        );
        let _ = writeln!(
            md,
            "| {} | {} ({}) | {:.1} ({:.1}) | {} | {} | {} | {} |",
            o.name,
            o.ours.total_calls,
            calls_text(&o.ours.calls),
            o.ours.capacity,
            o.ours.billed_capacity,
            o.ours
                .bytes
                .map_or_else(|| "—".into(), |(a, b)| format!("{a}/{b}")),
            peer.0,
            peer.1,
            o.floor
        );
    }

    let _ = writeln!(md, "\n## Contention\n\n### A flash sale: 64 buyers, one product, 100 units, 1–3 units each\n\n| side | succeeded | units sold | oversold | left on the row | adds up | buyers/s | p99 ms |\n|---|---|---|---|---|---|---|---|");
    for s in &run.sales {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {:.0} | {:.0} |",
            s.side, s.succeeded, s.sold, s.oversold, s.left, s.consistent, s.throughput, s.p99_ms
        );
    }
    let _ = writeln!(md, "\nOurs runs 64 concurrent calls of the order function's handler in one process (one SDK client); the peer runs 64 coroutines of its own order flow in one event loop with boto3 on `asyncio.to_thread` (the old service's shape; its default pool has min(32, cores + 4) threads).\n\n### One hot row\n\nEach design on a row of its own with a million units, every request a decrement of 1.\n\n| design | in flight | requests | ok | per s | p50 ms | p99 ms |\n|---|---|---|---|---|---|---|");
    for h in &run.hot_rows {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {:.0} | {:.1} | {:.1} |",
            h.design, h.in_flight, h.requests, h.ok, h.throughput, h.p50_ms, h.p99_ms
        );
    }

    let _ = writeln!(md, "\n## Cost per million requests\n\nLambda on arm64 at {} MB, billed at the measured warm p50 rounded up to the millisecond (a local figure: DynamoDB Local is slower than DynamoDB, so real durations are shorter); requests; DynamoDB on-demand request units as measured above; API Gateway HTTP API for routes. **Prices are list prices as known on 2026-11-22 without internet access, not re-checked** (aws.amazon.com/lambda/pricing, /dynamodb/pricing/on-demand, /api-gateway/pricing, us-east-1): Lambda Arm ${:.10}/GB-s and $0.20 per million requests; DynamoDB $0.625 per million write and $0.125 per million read request units; HTTP API $1.00 per million.\n\n| kind | duration ms | Lambda compute $ | Lambda requests $ | DynamoDB $ | API Gateway $ | total $ |\n|---|---|---|---|---|---|---|", crate::lambda::MEMORY_MB, Prices::LAMBDA_ARM_GB_SECOND);
    for c in &run.costs {
        let _ = writeln!(
            md,
            "| {} | {:.1} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            c.kind,
            c.duration_ms,
            c.lambda_compute,
            c.lambda_requests,
            c.dynamodb,
            c.api_gateway,
            c.total
        );
    }

    md.push_str(&recommendation(run));

    if !run.artifacts.is_empty() {
        let _ = writeln!(
            md,
            "\n## Artifacts (`make package`, arm64)\n\n| function | zip bytes |\n|---|---|"
        );
        for (name, bytes) in &run.artifacts {
            let _ = writeln!(md, "| {name} | {bytes} |");
        }
    }

    let _ = writeln!(md, "\n## Through the local gateway's router, in process\n\nThe earlier benchmark (formerly BENCHMARKS.md), kept for comparison from one change to the next: requests through the router the local gateway serves (event building, JWT check, handler), 8 in flight.\n\n| scenario | requests | concurrency | 2xx | req/s | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|---|---|---|---|");
    for r in &run.router {
        let _ = writeln!(md, "{}", r.row);
    }
    if let Some(mib) = run.router_peak_rss_mib {
        let _ = writeln!(
            md,
            "\nPeak resident memory of the bench process: {mib:.1} MiB."
        );
    }
    md
}

/// What the hot-row numbers say about the design of a single row's change.
fn recommendation(run: &Run) -> String {
    let at = |in_flight: usize, prefix: &str| {
        run.hot_rows
            .iter()
            .find(|h| h.in_flight == in_flight && h.design.starts_with(prefix))
            .map_or((f64::NAN, f64::NAN), |h| (h.throughput, h.p99_ms))
    };
    let (ours, ours_p99) = at(64, "ours");
    let (bare, bare_p99) = at(64, "floor: bare");
    let (blind, blind_p99) = at(64, "alternative: blind");
    let (tx, tx_p99) = at(64, "floor and alternative");
    format!(
        "\n## The hot row: what limits it, and what was built\n\n\
At 64 in flight on one row, our `PUT …/stock` does {ours:.0}/s (p99 {ours_p99:.0} ms); a bare conditional \
UpdateItem does {bare:.0}/s (p99 {bare_p99:.0} ms), the bare blind conditional update that returns its new image \
and carries the movement on the row {blind:.0}/s (p99 {blind_p99:.0} ms), and the 2-action transaction \
without a read {tx:.0}/s (p99 {tx_p99:.0} ms).\n\n\
**What limited the engine** (14/s, p99 20 s at 64 in flight on 2026-12-04) is read-then-compare-and-set: \
every change read the row, then wrote a transaction conditioned on the `ledger_seq` it read. Of the writers \
that read one version only one wins; the others back off and read again, so the row served one writer per \
round trip and the tail was the queue. A condition on the *value* (`available_stock >= :q`) is not broken \
by another writer getting there first; a condition on the *version* is.\n\n\
**What was built** (`crates/inventory/src/db/pending.rs`): a change without an idempotency key is one blind \
conditional `UpdateItem` after a strongly consistent read of its location: `available_stock >= :q` (or \
`current_stock = :expected` for a count), `ledger_seq + 1`, the movement (id, type, delta, actor, reason, \
time) appended to the row's `pending` list, `ReturnValues=ALL_NEW` for the exact answer. The stock and its \
audit record are one item write. The list is an exact log (every write that moves `ledger_seq` while it is \
not empty appends to it, the engine's transactions too), so each entry's seq, before and after follow from \
the row. It is drained into the ledger table, by an idempotent put per seq and a conditional removal of the \
drained prefix, by the writer itself when it was alone (so history reads as before), by every 8th writer \
under contention, by `drain-ledger` on the inventory stream, and every minute by `drain-ledger` from the \
sparse `pending-index`, which reads the rows themselves: a consumer down for longer than the stream's 24 \
hours loses nothing. Past 100 waiting entries the blind write is refused, and the writer drains the row \
from the failed write's image and tries again, so audit fails closed. History reads merge the waiting \
entries.\n\n\
**What limits it now, measured on the way** (a 64-writer, 400-change loop in a debug build, counting \
calls with the core's meter): every write of the row carries and returns the whole `pending` list, so \
a longer backlog makes every write heavier. With every 16th writer draining whatever it saw, drains ran \
side by side and wrote the same entries (953 BatchWriteItem calls for 400 changes), the backlog reached \
its bound and writers waited on drains; one drainer at a time under a 10 s `drain_lease`, every 8th \
writer, took that to 18 calls and doubled the throughput. A bound of 250 instead of 100 was slower \
(bigger items); several drain rounds per lease were slower too (the lease held longer). Next, untried: \
a smaller entry (about 250 bytes today; short attribute names would halve it), and leaving contended \
drains to the stream consumer alone.\n\n\
**Still on the engine:** changes with an `Idempotency-Key` (the key's claim must be in the same \
transaction as the change), reservations and their commits and releases (the flash sale above), and \
rows that lack their catalog copies. A keyed change could become a 2-action transaction without a \
read (the transaction floor above); a reserve could become n + 2 conditional actions without reads, \
meeting \"a 5-line reserve costs 1 call\" only if the location check moved into it, which makes every \
change of a store contend on its location item. Neither is built.\n\n\
Cost: the engine's stock change is 1 strongly consistent read plus a 2-action transaction (2 × 2 write \
units); the blind path alone on a row is a location read, the row's update, the ledger put and the \
backlog's removal (3 write units and 1 read unit); under contention the drain amortises to one \
BatchWriteItem per 8 to 25 movements.\n"
    )
}

/// The JSON report: every number above, and the targets.
pub fn json(run: &Run, targets: &[Target]) -> serde_json::Value {
    json!({ "run": run, "targets": targets })
}

/// This machine, in a line.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let memory = crate::lambda::proc_status_kib_file("/proc/meminfo", "MemTotal:").map_or_else(
        || "?".into(),
        |kib| format!("{:.0} GiB", kib as f64 / 1024.0 / 1024.0),
    );
    // Other users' builds share these cores: the load at the start says how quiet the run was.
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into());
    format!(
        "{cpu}, {cores} cores, {memory} RAM, {} {}, 1-minute load average {load} when the run began",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// The commit measured, and whether the tree had changes.
pub fn commit() -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(crate::template::repository_root())
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    let head = git(&["rev-parse", "--short=12", "HEAD"]);
    let dirty = !git(&["status", "--porcelain", "--untracked-files=no"]).is_empty();
    if dirty {
        format!("{head} with uncommitted changes")
    } else {
        head
    }
}
