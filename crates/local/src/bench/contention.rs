//! Contention on one row: a flash sale (64 buyers, 100 units) for ours and the peer, and the
//! hot-row table: our stock change against DynamoDB's own floors and the designs that could
//! replace read-then-compare-and-set, at 8 and 64 in flight.

use super::{ms, quantile, Fixture, BENCH_STORE};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use futures::stream::{self, StreamExt};
use inventory::db::{local_client, Db};
use inventory::domain::{ProductId, StoreId};
use inventory::App;
use serde::Serialize;
use serde_json::Value;
use std::future::Future;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Serialize)]
pub struct Sale {
    pub side: &'static str,
    pub buyers: usize,
    pub stock: i64,
    pub succeeded: usize,
    pub sold: i64,
    pub oversold: i64,
    /// What the row says is left, and whether it adds up (stock - sold).
    pub left: i64,
    pub consistent: bool,
    pub throughput: f64,
    pub p99_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct HotRow {
    pub design: &'static str,
    pub in_flight: usize,
    pub requests: usize,
    pub ok: usize,
    pub throughput: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

async fn stock_of(fixture: &Fixture, product: &str) -> (i64, i64) {
    let item = fixture
        .client
        .get_item()
        .table_name(&fixture.tables.inventory)
        .key("store_id", s(BENCH_STORE))
        .key("product_id", s(product))
        .consistent_read(true)
        .send()
        .await
        .ok()
        .and_then(|o| o.item)
        .unwrap_or_default();
    let number = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
    };
    let current = number("current_stock").unwrap_or(-1);
    (current, number("available_stock").unwrap_or(current))
}

/// 64 buyers at once on one row of 100 units, buying 1 to 3 each, through our order function.
///
/// # Errors
/// On a DynamoDB failure setting up the row.
pub async fn our_sale(
    fixture: &Fixture,
    buyers: usize,
) -> Result<Sale, Box<dyn std::error::Error>> {
    let product = format!("sale-ours-{}", chrono::Utc::now().timestamp_millis());
    fixture.hot_row(&product, 100).await?;
    let app = App::new(Db::new(fixture.client.clone(), fixture.tables.clone()));
    let run = chrono::Utc::now().timestamp_millis();
    let started = Instant::now();
    let results: Vec<(bool, i64, Duration)> = futures::future::join_all((0..buyers).map(|i| {
        let app = &app;
        let product = &product;
        async move {
            let quantity = 1 + (i % 3) as i64;
            let event = serde_json::json!({ "action": "reserve", "order_id": format!("sale{run}-{i}"),
                "store_id": BENCH_STORE, "items": [{ "product_id": product, "quantity": quantity }] });
            let began = Instant::now();
            let result = Box::pin(inventory::orders::handle(app, event)).await;
            (result.ok, quantity, began.elapsed())
        }
    }))
    .await;
    let elapsed = started.elapsed();
    let sold: i64 = results.iter().filter(|r| r.0).map(|r| r.1).sum();
    let (_, available) = stock_of(fixture, &product).await;
    Ok(Sale {
        side: "ours (order-stock reserve: conditional transaction)",
        buyers,
        stock: 100,
        succeeded: results.iter().filter(|r| r.0).count(),
        sold,
        oversold: (sold - 100).max(0),
        left: available,
        consistent: available == 100 - sold,
        throughput: buyers as f64 / elapsed.as_secs_f64(),
        p99_ms: quantile(&results.iter().map(|r| ms(r.2)).collect::<Vec<_>>(), 0.99),
    })
}

/// The same sale through the peer's check-then-update flow (bench/peer/contention.py).
///
/// # Errors
/// When the peer cannot run or answers something unreadable.
pub async fn peer_sale(
    fixture: &Fixture,
    buyers: usize,
) -> Result<Sale, Box<dyn std::error::Error>> {
    let product = format!("sale-peer-{}", chrono::Utc::now().timestamp_millis());
    fixture.hot_row(&product, 100).await?;
    let output = tokio::process::Command::new(&fixture.settings.peer_python)
        .arg("contention.py")
        .args([BENCH_STORE, product.as_str(), &buyers.to_string()])
        .current_dir(crate::template::repository_root().join("bench/peer"))
        .envs(crate::lambda::function_environment(
            &fixture.template,
            &fixture.prefix,
            &fixture.settings.endpoint,
        ))
        .env("AWS_REGION", "us-east-1")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), output).await??;
    let report: Value = serde_json::from_slice(&output.stdout).map_err(|e| {
        format!(
            "peer contention run: {e}: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    let sold = report["sold"].as_i64().unwrap_or_default();
    let (current, _) = stock_of(fixture, &product).await;
    let latencies: Vec<f64> = report["latencies_s"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_f64)
                .map(|s| s * 1000.0)
                .collect()
        })
        .unwrap_or_default();
    Ok(Sale {
        side: "Python peer (check, then unconditional update)",
        buyers,
        stock: 100,
        succeeded: report["succeeded"].as_u64().unwrap_or_default() as usize,
        sold,
        oversold: (sold - 100).max(0),
        left: current,
        consistent: current == 100 - sold,
        throughput: buyers as f64 / report["elapsed_s"].as_f64().unwrap_or(f64::NAN),
        p99_ms: quantile(&latencies, 0.99),
    })
}

async fn hammer<F, Fut>(
    design: &'static str,
    in_flight: usize,
    requests: usize,
    time_limit: Duration,
    one: F,
) -> HotRow
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    let results: Vec<(bool, Duration)> = stream::iter(0..requests)
        .take_while(|_| std::future::ready(started.elapsed() < time_limit))
        .map(|i| {
            let call = one(i);
            async move {
                let began = Instant::now();
                (call.await, began.elapsed())
            }
        })
        .buffer_unordered(in_flight)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let latencies: Vec<f64> = results.iter().map(|r| ms(r.1)).collect();
    HotRow {
        design,
        in_flight,
        requests: results.len(),
        ok: results.iter().filter(|r| r.0).count(),
        throughput: results.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: quantile(&latencies, 0.5),
        p99_ms: quantile(&latencies, 0.99),
    }
}

/// Whether a row's ledger is exact: each movement's before is the previous one's after, and the
/// last after is the row.
pub async fn ledger_is_exact(
    fixture: &Fixture,
    product: &str,
) -> Result<(bool, usize), Box<dyn std::error::Error>> {
    // First what drain-ledger does in a deployment: the row's waiting movements become ledger
    // rows (db::pending), so the check below reads the ledger table alone.
    let db = Db::new(fixture.client.clone(), fixture.tables.clone());
    let (store_id, product_id) = (StoreId::parse(BENCH_STORE)?, ProductId::parse(product)?);
    for _ in 0..100 {
        match db.inventory_item(&store_id, &product_id).await? {
            Some(row) if !row.pending.is_empty() => {
                db.drain_pending(&store_id, &product_id).await?;
            }
            _ => break,
        }
    }
    let mut movements = Vec::new();
    let mut start = None;
    loop {
        let out = fixture
            .client
            .query()
            .table_name(&fixture.tables.ledger)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(format!("MOV#{BENCH_STORE}#{product}")))
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await?;
        movements.extend(out.items.unwrap_or_default());
        start = out.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    let number = |item: &std::collections::HashMap<String, AttributeValue>,
                  name: &str|
     -> Option<i64> { item.get(name)?.as_n().ok()?.parse().ok() };
    let mut exact = true;
    for pair in movements.windows(2) {
        for field in ["current", "reserved", "available"] {
            exact &= number(&pair[0], &format!("{field}_after"))
                == number(&pair[1], &format!("{field}_before"));
        }
    }
    let (current, _) = stock_of(fixture, product).await;
    if let Some(last) = movements.last() {
        exact &= number(last, "current_after") == Some(current);
    }
    Ok((exact, movements.len()))
}

/// The hot-row table: our stock change and the alternatives, each on a row of its own.
///
/// # Errors
/// On a DynamoDB failure setting up a row.
pub async fn hot_row(
    fixture: &Fixture,
    in_flight: usize,
) -> Result<(Vec<HotRow>, bool), Box<dyn std::error::Error>> {
    let requests = fixture.settings.hot_requests;
    let limit = fixture.settings.time_limit;
    let stamp = chrono::Utc::now().timestamp_millis();
    let client = local_client(&fixture.settings.endpoint).await;
    let table = fixture.tables.inventory.clone();
    let ledger = fixture.tables.ledger.clone();
    let mut rows = Vec::new();

    let ours = format!("hot-ours-{in_flight}-{stamp}");
    fixture.hot_row(&ours, 1_000_000).await?;
    let app = App::new(Db::new(client.clone(), fixture.tables.clone()));
    let endpoint = inventory::endpoints::Endpoint::UpdateStock;
    rows.push(
        hammer(
            "ours: PUT …/stock (blind conditional write, movement on the row's backlog)",
            in_flight,
            requests,
            limit,
            |_| {
                let event = super::stock_delta_event(&ours, -1).to_string();
                let app = &app;
                async move {
                    match lambda_http::request::from_str(&event) {
                        Ok(request) => endpoint.handle(app, request).await.status().is_success(),
                        Err(_) => false,
                    }
                }
            },
        )
        .await,
    );
    let (exact, _) = ledger_is_exact(fixture, &ours).await?;

    let bare = format!("hot-bare-{in_flight}-{stamp}");
    fixture.hot_row(&bare, 1_000_000).await?;
    rows.push(
        hammer(
            "floor: bare conditional UpdateItem",
            in_flight,
            requests,
            limit,
            |_| {
                client
                    .update_item()
                    .table_name(&table)
                    .key("store_id", s(BENCH_STORE))
                    .key("product_id", s(&bare))
                    .update_expression("SET current_stock = current_stock - :q")
                    .condition_expression("current_stock >= :q")
                    .expression_attribute_values(":q", n(1))
                    .send()
                    .into_ok()
            },
        )
        .await,
    );

    let blind = format!("hot-blind-{in_flight}-{stamp}");
    fixture.hot_row(&blind, 1_000_000).await?;
    rows.push(
        hammer(
            "alternative: blind conditional UpdateItem, new image back, movement metadata and seq on the row",
            in_flight,
            requests,
            limit,
            |i| {
                client
                    .update_item()
                    .table_name(&table)
                    .key("store_id", s(BENCH_STORE))
                    .key("product_id", s(&blind))
                    .update_expression(
                        "SET current_stock = current_stock - :q, \
                         available_stock = if_not_exists(available_stock, current_stock) - :q, \
                         reserved_stock = if_not_exists(reserved_stock, :zero), \
                         ledger_seq = if_not_exists(ledger_seq, :zero) + :one, \
                         last_movement = :movement, updated_at = :now",
                    )
                    .condition_expression(
                        "(attribute_not_exists(available_stock) AND current_stock >= :q) OR available_stock >= :q",
                    )
                    .expression_attribute_values(":q", n(1))
                    .expression_attribute_values(":zero", n(0))
                    .expression_attribute_values(":one", n(1))
                    .expression_attribute_values(
                        ":movement",
                        AttributeValue::M(
                            [
                                ("movement_id".to_owned(), s(format!("m{i}"))),
                                ("actor".to_owned(), s("bench")),
                                ("movement_type".to_owned(), s("stock_update")),
                                ("delta".to_owned(), n(-1)),
                            ]
                            .into_iter()
                            .collect(),
                        ),
                    )
                    .expression_attribute_values(":now", s(chrono::Utc::now().to_rfc3339()))
                    .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
                    .send()
                    .into_ok()
            },
        )
        .await,
    );

    let tx = format!("hot-tx-{in_flight}-{stamp}");
    fixture.hot_row(&tx, 1_000_000).await?;
    rows.push(
        hammer(
            "floor and alternative: 2-action TransactWriteItems (conditional update + movement put), no read",
            in_flight,
            requests,
            limit,
            |i| {
                let update = Update::builder()
                    .table_name(&table)
                    .key("store_id", s(BENCH_STORE))
                    .key("product_id", s(&tx))
                    .update_expression("SET current_stock = current_stock - :q ADD ledger_seq :one")
                    .condition_expression("current_stock >= :q")
                    .expression_attribute_values(":q", n(1))
                    .expression_attribute_values(":one", n(1))
                    .build();
                let put = Put::builder()
                    .table_name(&ledger)
                    .item("pk", s(format!("MOV#{BENCH_STORE}#{tx}")))
                    .item("sk", s(format!("ID#{stamp}-{i}")))
                    .item("delta", n(-1))
                    .build();
                let request = match (update, put) {
                    (Ok(update), Ok(put)) => Some(
                        client
                            .transact_write_items()
                            .transact_items(TransactWriteItem::builder().update(update).build())
                            .transact_items(TransactWriteItem::builder().put(put).build()),
                    ),
                    _ => None,
                };
                async move {
                    match request {
                        Some(request) => request.send().await.is_ok(),
                        None => false,
                    }
                }
            },
        )
        .await,
    );
    Ok((rows, exact))
}

/// A send future as a success flag.
trait IntoOk {
    async fn into_ok(self) -> bool;
}

impl<F, T, E> IntoOk for F
where
    F: Future<Output = Result<T, E>>,
{
    async fn into_ok(self) -> bool {
        self.await.is_ok()
    }
}
