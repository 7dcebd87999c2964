//! `inventory-local bench`: the service measured as Lambda runs it, beside its floors and the
//! Python service it replaces, written to `bench/REPORT.md` and `bench/report.json`.
//!
//! Everything runs on this machine against DynamoDB Local on loopback, on tables of its own
//! (deleted afterwards). Every loop is bounded in count and in time.

pub mod contention;
pub mod lambdas;
pub mod report;
pub mod router;
pub mod work;

pub use router::{peak_rss_mib, run, Measured};

use crate::lambda::LambdaCommand;
use crate::seed::{self, CatalogEntry, InventoryEntry};
use crate::tables::{create_tables, TableNames};
use crate::template::{repository_root, Template};
use inventory::db::{local_client, Tables};
use inventory::domain::StoreId;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;

/// The store whose rows hold a million units each, so no benchmark runs out of stock.
pub const BENCH_STORE: &str = "bench-store";

/// What `make bench` passes in.
#[derive(Debug, Clone)]
pub struct Settings {
    pub endpoint: String,
    /// Release builds of the functions and of `hello-lambda`.
    pub release_dir: PathBuf,
    /// The Python 3.12 with awslambdaric and boto3 (bench/.venv-peer).
    pub peer_python: PathBuf,
    pub starts: usize,
    pub warm_invocations: usize,
    /// Requests per hot-row configuration (each also bounded by `time_limit`).
    pub hot_requests: usize,
    pub time_limit: Duration,
    pub out_dir: PathBuf,
}

/// Tables of the bench's own, with the demo data and a bench store of full rows.
pub struct Fixture {
    pub template: Template,
    pub prefix: String,
    pub tables: Tables,
    pub client: aws_sdk_dynamodb::Client,
    pub catalog: Vec<CatalogEntry>,
    pub settings: Settings,
}

impl Fixture {
    /// # Errors
    /// When DynamoDB Local refuses the tables or the data.
    pub async fn new(settings: Settings) -> Result<Self, Box<dyn std::error::Error>> {
        let template = Template::of_repository()?;
        let prefix = format!("bench{}-", chrono::Utc::now().timestamp());
        let client = local_client(&settings.endpoint).await;
        create_tables(&client, &template, &prefix).await?;
        let tables = TableNames::for_template(&template, &prefix).tables()?;
        let (catalog, inventory) = seed::load_demo(&repository_root().join("demo"))?;
        let store = StoreId::parse(BENCH_STORE)?;
        // A shared DynamoDB Local under load times out on its own locks now and then; every write
        // here is put-if-absent, so the whole seed is simply tried again (a bounded number of times).
        let mut attempts = 0;
        loop {
            attempts += 1;
            let seeded: Result<(), Box<dyn std::error::Error>> = async {
                seed::seed(&client, &tables, &catalog, &inventory).await?;
                for product in catalog.iter().take(60) {
                    seed::put_if_absent(
                        &client,
                        &tables.inventory,
                        "product_id",
                        &full_row(&store, product, 1_000_000),
                    )
                    .await?;
                }
                Ok(())
            }
            .await;
            match seeded {
                Ok(()) => break,
                Err(err) if attempts < 5 => tracing::warn!(error = %err, attempts, "seeding again"),
                Err(err) => return Err(err),
            }
        }
        Ok(Self {
            template,
            prefix,
            tables,
            client,
            catalog,
            settings,
        })
    }

    /// The n-th product of the bench store.
    pub fn product(&self, n: usize) -> String {
        self.catalog[n % 60].product_id.to_string()
    }

    /// Writes a row of `stock` units for a product id of the bench's choosing (a hot row).
    ///
    /// # Errors
    /// On a DynamoDB failure.
    pub async fn hot_row(
        &self,
        product_id: &str,
        stock: i64,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let mut product = self.catalog[0].clone();
        product.product_id = inventory::domain::ProductId::parse(product_id)?;
        seed::put_if_absent(&self.client, &self.tables.products, "product_id", &product).await?;
        let row = full_row(&StoreId::parse(BENCH_STORE)?, &product, stock);
        seed::put_if_absent(&self.client, &self.tables.inventory, "product_id", &row).await?;
        Ok(())
    }

    /// One of our function binaries (release), pointed at the bench tables.
    pub fn function(&self, name: &str, endpoint: &str) -> LambdaCommand {
        LambdaCommand::function(
            &self.settings.release_dir,
            name,
            &self.template,
            &self.prefix,
            endpoint,
        )
    }

    /// The floor: a `lambda_runtime` function that does nothing.
    pub fn hello(&self) -> LambdaCommand {
        LambdaCommand {
            function_name: "hello-lambda".into(),
            program: self.settings.release_dir.join("hello-lambda"),
            args: Vec::new(),
            cwd: None,
            env: Vec::new(),
            show_logs: false,
        }
    }

    /// The Python peer under awslambdaric.
    pub fn peer(&self, endpoint: &str) -> LambdaCommand {
        LambdaCommand {
            function_name: "python-peer".into(),
            program: self.settings.peer_python.clone(),
            args: vec!["-m".into(), "awslambdaric".into(), "handler.handler".into()],
            cwd: Some(repository_root().join("bench/peer")),
            env: crate::lambda::function_environment(&self.template, &self.prefix, endpoint),
            show_logs: false,
        }
    }

    /// Deletes the bench's tables.
    pub async fn drop_tables(&self) {
        for table in [
            &self.tables.products,
            &self.tables.inventory,
            &self.tables.ledger,
        ] {
            let _ = self.client.delete_table().table_name(table).send().await;
        }
    }
}

fn full_row(store: &StoreId, product: &CatalogEntry, stock: i64) -> InventoryEntry {
    let mut row = InventoryEntry::new(
        store.clone(),
        product.product_id.clone(),
        stock,
        product.mrp,
        product.mrp,
    );
    row.denormalise(product);
    row
}

/// Claims API Gateway's JWT authorizer passes for an admin.
fn admin_claims() -> Value {
    json!({ "jwt": { "claims": {
        "sub": "bench", "roles": "[admin]", "store_ids": "[]",
        "iss": "https://inventory.local/dev-issuer", "aud": "inventory-api"
    }, "scopes": null } })
}

/// An API Gateway HTTP API (payload 2.0) event, as API Gateway sends it to a function.
pub fn http_event(
    route_key: &str,
    path_parameters: &[(&str, &str)],
    query: &[(&str, &str)],
    body: Option<String>,
    protected: bool,
) -> Value {
    let (method, template_path) = route_key.split_once(' ').unwrap_or(("GET", route_key));
    let mut path = template_path.to_owned();
    for (name, value) in path_parameters {
        path = path.replace(&format!("{{{name}}}"), value);
    }
    let raw_query = query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let mut context = json!({
        "accountId": "000000000000", "apiId": "bench", "domainName": "bench.local",
        "domainPrefix": "bench", "requestId": uuid::Uuid::new_v4().to_string(),
        "routeKey": route_key, "stage": "$default",
        "time": "22/Nov/2026:00:00:00 +0000", "timeEpoch": 1_795_305_600_000_i64,
        "http": { "method": method, "path": path, "protocol": "HTTP/1.1",
                  "sourceIp": "127.0.0.1", "userAgent": "bench" },
    });
    if protected {
        context["authorizer"] = admin_claims();
    }
    let mut event = json!({
        "version": "2.0", "routeKey": route_key, "rawPath": path, "rawQueryString": raw_query,
        "headers": { "content-type": "application/json", "host": "bench.local" },
        "requestContext": context, "isBase64Encoded": false,
    });
    if !path_parameters.is_empty() {
        event["pathParameters"] = path_parameters
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect::<serde_json::Map<_, _>>()
            .into();
    }
    if !query.is_empty() {
        event["queryStringParameters"] = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect::<serde_json::Map<_, _>>()
            .into();
    }
    if let Some(body) = body {
        event["body"] = json!(body);
    }
    event
}

pub const GET_PRODUCT: &str = "GET /api/v1/inventory/products/{store_id}/{product_id}";
pub const LIST_PRODUCTS: &str = "GET /api/v1/inventory/products";
pub const SEARCH_PRODUCTS: &str = "GET /api/v1/inventory/search";
pub const UPDATE_STOCK: &str = "PUT /api/v1/inventory/products/{store_id}/{product_id}/stock";
pub const RESERVE_STOCK: &str = "POST /api/v1/inventory/reserve";

/// A stock delta on one bench-store row.
pub fn stock_delta_event(product: &str, delta: i64) -> Value {
    http_event(
        UPDATE_STOCK,
        &[("store_id", BENCH_STORE), ("product_id", product)],
        &[],
        Some(format!(r#"{{"quantity_change": {delta}}}"#)),
        true,
    )
}

/// An order's lines on the bench store: `lines` products from `first`, one unit each.
pub fn lines(fixture: &Fixture, first: usize, lines: usize) -> Value {
    Value::Array(
        (first..first + lines)
            .map(|n| json!({ "product_id": fixture.product(n), "quantity": 1 }))
            .collect(),
    )
}

/// POST /reserve for a new order.
pub fn reserve_event(fixture: &Fixture, order: &str, first: usize, n: usize) -> Value {
    let body =
        json!({ "store_id": BENCH_STORE, "order_id": order, "items": lines(fixture, first, n) });
    http_event(RESERVE_STOCK, &[], &[], Some(body.to_string()), true)
}

/// An order-stock event.
pub fn order_event(fixture: &Fixture, action: &str, order: &str, first: usize, n: usize) -> Value {
    json!({ "action": action, "order_id": order, "store_id": BENCH_STORE,
            "items": lines(fixture, first, n) })
}

/// Measures everything, in one run, on tables of its own (deleted afterwards).
///
/// # Errors
/// When a measurement cannot be set up (a process does not start, DynamoDB Local refuses).
pub async fn measure(
    settings: Settings,
    router_requests: usize,
    command: String,
) -> Result<report::Run, Box<dyn std::error::Error>> {
    let fixture = Fixture::new(settings).await?;
    let result = measure_with(&fixture, router_requests, command).await;
    fixture.drop_tables().await;
    result
}

async fn measure_with(
    fixture: &Fixture,
    router_requests: usize,
    command: String,
) -> Result<report::Run, Box<dyn std::error::Error>> {
    let machine = report::machine();
    let settings = &fixture.settings;
    let subjects = lambdas::subjects(fixture);
    let mut cold = Vec::new();
    for subject in subjects
        .iter()
        .filter(|s| s.label != "Python 3.12 peer: stock write")
    {
        tracing::warn!(subject = subject.label, "cold starts");
        cold.push(lambdas::cold(subject, settings.starts).await?);
    }
    let mut warm = Vec::new();
    for subject in subjects.iter().filter(|s| !s.label.starts_with("expire")) {
        tracing::warn!(subject = subject.label, "warm invocations");
        warm.push(lambdas::warm(subject, settings.warm_invocations, settings.time_limit).await?);
    }
    tracing::warn!("DynamoDB work per operation");
    let work = work::measure(fixture).await?;
    tracing::warn!("contention");
    let sales = vec![
        contention::our_sale(fixture, 64).await?,
        contention::peer_sale(fixture, 64).await?,
    ];
    let mut hot_rows = Vec::new();
    let mut ledger_exact = true;
    for in_flight in [8, 64] {
        let (rows, exact) = contention::hot_row(fixture, in_flight).await?;
        hot_rows.extend(rows);
        ledger_exact &= exact;
    }
    let warm_p50 = |label: &str| {
        warm.iter()
            .find(|w| w.label.starts_with(label))
            .map_or(f64::NAN, |w| w.p50_ms)
    };
    let units = |name: &str, peer: bool| {
        work.iter()
            .find(|o| o.name.starts_with(name))
            .and_then(|o| {
                if peer {
                    o.peer.clone()
                } else {
                    Some(o.ours.clone())
                }
            })
            .map_or((f64::NAN, f64::NAN), |w| (w.read_units, w.write_units))
    };
    let mut costs = Vec::new();
    for (kind, warm_label, op, invocations, peer, http) in [
        (
            "ours: get a product",
            "get-product",
            "get a product",
            1.0,
            false,
            true,
        ),
        (
            "ours: stock change",
            "update-stock",
            "stock change",
            1.0,
            false,
            true,
        ),
        (
            "ours: reserve 5 lines",
            "reserve-stock",
            "reserve 5 lines",
            1.0,
            false,
            true,
        ),
        (
            "ours: order checkout (check + reserve, 2 invocations)",
            "order-stock",
            "order checkout",
            2.0,
            false,
            false,
        ),
        (
            "peer: get a product",
            "Python 3.12 peer: get",
            "get a product",
            1.0,
            true,
            true,
        ),
        (
            "peer: stock change",
            "Python 3.12 peer: stock",
            "stock change",
            1.0,
            true,
            true,
        ),
        (
            "peer: order checkout (check + reserve, 2 invocations)",
            "Python 3.12 peer: order",
            "order checkout",
            2.0,
            true,
            false,
        ),
    ] {
        let (reads, writes) = units(op, peer);
        costs.push(report::cost(
            kind,
            warm_p50(warm_label),
            invocations,
            reads,
            writes,
            http,
        ));
    }
    let artifacts = artifacts();
    tracing::warn!("through the gateway router");
    let router = run(&settings.endpoint, router_requests).await?;
    Ok(report::Run {
        machine,
        date: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        commit: report::commit(),
        command,
        cold,
        warm,
        work,
        sales,
        hot_rows,
        ledger_exact,
        costs,
        artifacts,
        router: router.iter().map(report::RouterRow::from).collect(),
        router_peak_rss_mib: peak_rss_mib(),
    })
}

/// The zips `make package` left in target/lambda, by function.
fn artifacts() -> Vec<(String, u64)> {
    let Ok(dirs) = std::fs::read_dir(repository_root().join("target/lambda")) else {
        return Vec::new();
    };
    let mut found: Vec<(String, u64)> = dirs
        .flatten()
        .filter_map(|d| {
            let size = std::fs::metadata(d.path().join("bootstrap.zip"))
                .ok()?
                .len();
            Some((d.file_name().to_string_lossy().into_owned(), size))
        })
        .collect();
    found.sort();
    found
}

/// min, median, max.
pub fn spread(values: &[f64]) -> (f64, f64, f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| {
        sorted
            .get(((sorted.len().saturating_sub(1)) as f64 * q).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    (at(0.0), at(0.5), at(1.0))
}

/// The q-quantile (nearest rank).
pub fn quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
        .get(((sorted.len().saturating_sub(1)) as f64 * q).round() as usize)
        .copied()
        .unwrap_or(f64::NAN)
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
