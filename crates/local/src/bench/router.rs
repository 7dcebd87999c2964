//! Latency and throughput of the service's hot paths, measured through
//! the same router the local gateway serves (API Gateway event building, auth, handler, DynamoDB
//! Local), on tables of its own. DynamoDB Local dominates the numbers: they bound our overhead
//! and compare changes on one machine; they are not a forecast of DynamoDB in AWS.

use crate::auth::{DevKeys, TokenSpec};
use crate::gateway;
use crate::seed::{self, CatalogEntry, InventoryEntry};
use crate::tables::{create_tables, TableNames};
use crate::template::{repository_root, Template};
use axum::body::Body;
use futures::stream::{self, StreamExt};
use inventory::db::{local_client, Db};
use inventory::App;
use std::time::{Duration, Instant};
use tower::ServiceExt;

/// One scenario's measurements.
pub struct Measured {
    pub name: &'static str,
    pub requests: usize,
    pub concurrency: usize,
    pub ok: usize,
    pub elapsed: Duration,
    pub latencies: Vec<Duration>,
}

impl Measured {
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted.get(index).copied().unwrap_or_default()
    }

    pub fn row(&self) -> String {
        let ms = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1000.0);
        format!(
            "| {} | {} | {} | {} | {:.0} | {} | {} | {} |",
            self.name,
            self.requests,
            self.concurrency,
            self.ok,
            self.requests as f64 / self.elapsed.as_secs_f64(),
            ms(self.percentile(0.5)),
            ms(self.percentile(0.95)),
            ms(self.percentile(0.99)),
        )
    }
}

struct Bench {
    router: axum::Router,
    token: String,
}

impl Bench {
    async fn call(&self, method: &str, uri: String, body: Option<String>) -> (u16, Duration) {
        let request = http::Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", "application/json")
            .body(body.map_or_else(Body::empty, Body::from))
            .unwrap_or_default();
        let started = Instant::now();
        let status = match self.router.clone().oneshot(request).await {
            Ok(response) => {
                let status = response.status().as_u16();
                let _ = axum::body::to_bytes(response.into_body(), usize::MAX).await;
                status
            }
            Err(never) => match never {},
        };
        (status, started.elapsed())
    }

    async fn run<F, Fut>(
        &self,
        name: &'static str,
        requests: usize,
        concurrency: usize,
        one: F,
    ) -> Measured
    where
        F: Fn(usize) -> Fut,
        Fut: std::future::Future<Output = (u16, Duration)>,
    {
        let started = Instant::now();
        let results: Vec<(u16, Duration)> = stream::iter(0..requests)
            .map(one)
            .buffer_unordered(concurrency)
            .collect()
            .await;
        Measured {
            name,
            requests,
            concurrency,
            ok: results
                .iter()
                .filter(|(s, _)| (200..300).contains(s))
                .count(),
            elapsed: started.elapsed(),
            latencies: results.into_iter().map(|(_, d)| d).collect(),
        }
    }
}

/// Peak resident memory of this process, from /proc (Linux), in MiB.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

/// Runs every scenario with `requests` requests each.
///
/// # Errors
/// When the tables or the router cannot be set up.
pub async fn run(
    endpoint: &str,
    requests: usize,
) -> Result<Vec<Measured>, Box<dyn std::error::Error>> {
    let template = Template::of_repository()?;
    let prefix = format!("bench{}-", chrono::Utc::now().timestamp());
    let client = local_client(endpoint).await;
    create_tables(&client, &template, &prefix).await?;
    let tables = TableNames::for_template(&template, &prefix).tables()?;
    let (catalog, inventory) = seed::load_demo(&repository_root().join("demo"))?;
    seed::seed(&client, &tables, &catalog, &inventory).await?;
    // A hot row, and a cold row per request for uncontended writes.
    let store = "bench-store";
    let store_id = inventory::domain::StoreId::parse(store)?;
    let cold: Vec<InventoryEntry> = catalog
        .iter()
        .take(requests.min(catalog.len()))
        .map(|p| row(&store_id, p, 1_000))
        .collect();
    for r in &cold {
        seed::put_if_absent(&client, &tables.inventory, "product_id", r).await?;
    }
    let keys = DevKeys::generate()?;
    let spec = TokenSpec {
        subject: "bench".into(),
        roles: vec!["admin".into()],
        stores: vec![],
        audience: template.jwt_audience().to_owned(),
        ttl_seconds: 3600,
    };
    let bench = Bench {
        router: gateway::router(
            &template,
            App::new(Db::new(client.clone(), tables.clone())),
            keys.verifier(template.jwt_audience()),
        )?,
        token: keys.sign(&spec.claims())?,
    };
    let product = |i: usize| cold[i % cold.len()].product_id.to_string();
    let mut results = Vec::new();

    results.push(
        bench
            .run("get product (public read)", requests, 8, |i| {
                bench.call(
                    "GET",
                    format!("/api/v1/inventory/products/{store}/{}", product(i)),
                    None,
                )
            })
            .await,
    );
    results.push(
        bench
            .run("list products, page of 20", requests, 8, |_| {
                bench.call(
                    "GET",
                    "/api/v1/inventory/products?store_id=store-blr-001&limit=20".into(),
                    None,
                )
            })
            .await,
    );
    results.push(
        bench
            .run("stock delta, distinct rows", requests, 8, |i| {
                bench.call(
                    "PUT",
                    format!("/api/v1/inventory/products/{store}/{}/stock", product(i)),
                    Some(r#"{"quantity_change": -1}"#.into()),
                )
            })
            .await,
    );
    results.push(
        bench
            .run("stock delta, one hot row", requests.min(100), 8, |_| {
                bench.call(
                    "PUT",
                    format!("/api/v1/inventory/products/{store}/{}/stock", product(0)),
                    Some(r#"{"quantity_change": -1}"#.into()),
                )
            })
            .await,
    );
    results.push(
        bench
            .run("reserve 3 lines", requests, 8, |i| {
                let body = format!(
                    r#"{{"store_id":"{store}","order_id":"bench-{i}","items":[{{"product_id":"{}","quantity":1}},{{"product_id":"{}","quantity":1}},{{"product_id":"{}","quantity":1}}]}}"#,
                    product(i),
                    product(i + 1),
                    product(i + 2)
                );
                bench.call("POST", "/api/v1/inventory/reserve".into(), Some(body))
            })
            .await,
    );
    for table in [&tables.products, &tables.inventory, &tables.ledger] {
        let _ = client.delete_table().table_name(table).send().await;
    }
    Ok(results)
}

fn row(
    store_id: &inventory::domain::StoreId,
    product: &CatalogEntry,
    stock: i64,
) -> InventoryEntry {
    let mut r = InventoryEntry::new(
        store_id.clone(),
        product.product_id.clone(),
        stock,
        product.mrp,
        product.mrp,
    );
    r.denormalise(product);
    r
}
