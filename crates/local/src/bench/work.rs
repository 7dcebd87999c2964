//! DynamoDB work per operation: calls and consumed capacity, ours beside the Python peer's.
//!
//! Calls and bytes for ours come from the core's own [`inventory::db::Meter`] (an interceptor on
//! the real SDK client). Consumed capacity comes from a metering proxy between the caller and
//! DynamoDB Local: it adds `ReturnConsumedCapacity: TOTAL` to every request that takes it, and
//! sums the `ConsumedCapacity` DynamoDB Local returns. Both our functions and the peer's boto3
//! talk through it, so the two are counted the same way. DynamoDB Local reports a transactional
//! write at the units of a plain one; AWS bills it double, which the cost table applies.

use super::Fixture;
use crate::lambda::LocalLambda;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use inventory::db::{local_client, Db};
use inventory::App;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// One DynamoDB call as the proxy saw it.
#[derive(Debug, Clone, Serialize)]
pub struct Call {
    pub operation: String,
    pub capacity: f64,
}

struct ProxyState {
    upstream: String,
    client: reqwest::Client,
    calls: Mutex<Vec<Call>>,
}

/// The metering proxy, on an ephemeral loopback port.
pub struct Proxy {
    pub url: String,
    state: Arc<ProxyState>,
    server: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// # Errors
    /// When no loopback port can be bound.
    pub async fn start(upstream: &str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let state = Arc::new(ProxyState {
            upstream: upstream.to_owned(),
            client: reqwest::Client::new(),
            calls: Mutex::new(Vec::new()),
        });
        let router = axum::Router::new()
            .fallback(forward)
            .with_state(Arc::clone(&state));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(Self { url, state, server })
    }

    /// The calls seen since the last take.
    pub fn take(&self) -> Vec<Call> {
        std::mem::take(
            &mut *self
                .state
                .calls
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

const TAKES_CAPACITY: &[&str] = &[
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactGetItems",
    "TransactWriteItems",
];

async fn forward(
    State(state): State<Arc<ProxyState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let operation = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.rsplit('.').next())
        .unwrap_or("unknown")
        .to_owned();
    let mut body = body;
    if TAKES_CAPACITY.contains(&operation.as_str()) {
        if let Ok(Value::Object(mut request)) = serde_json::from_slice::<Value>(&body) {
            request
                .entry("ReturnConsumedCapacity")
                .or_insert_with(|| Value::String("TOTAL".into()));
            body = Bytes::from(Value::Object(request).to_string());
        }
    }
    let mut upstream = state.client.post(&state.upstream).body(body);
    for (name, value) in &headers {
        if !matches!(name.as_str(), "host" | "content-length") {
            upstream = upstream.header(name, value);
        }
    }
    let answer = match upstream.send().await {
        Ok(answer) => answer,
        Err(err) => return (StatusCode::BAD_GATEWAY, err.to_string()).into_response(),
    };
    let status = answer.status();
    let answer_headers = answer.headers().clone();
    let bytes = answer.bytes().await.unwrap_or_default();
    let capacity = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .map_or(0.0, |v| capacity_of(&v["ConsumedCapacity"]));
    state
        .calls
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Call {
            operation,
            capacity,
        });
    let mut response = Response::new(axum::body::Body::from(bytes));
    *response.status_mut() = status;
    for (name, value) in &answer_headers {
        if !matches!(
            name.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response
}

fn capacity_of(consumed: &Value) -> f64 {
    match consumed {
        Value::Array(items) => items.iter().map(capacity_of).sum(),
        Value::Object(map) => map
            .get("CapacityUnits")
            .and_then(Value::as_f64)
            .unwrap_or(0.0),
        _ => 0.0,
    }
}

/// One operation's work on one side.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Work {
    pub calls: BTreeMap<String, u64>,
    pub total_calls: u64,
    /// Capacity units DynamoDB Local reported (reads and writes together).
    pub capacity: f64,
    /// Capacity as AWS bills it: transactional writes count double.
    pub billed_capacity: f64,
    pub read_units: f64,
    pub write_units: f64,
    /// Bytes sent and received (from the core's meter; ours only).
    pub bytes: Option<(u64, u64)>,
    pub status: String,
}

fn summarise(calls: &[Call], status: String) -> Work {
    let mut work = Work {
        status,
        ..Work::default()
    };
    for call in calls {
        *work.calls.entry(call.operation.clone()).or_default() += 1;
        work.total_calls += 1;
        work.capacity += call.capacity;
        let (reads, writes) = match call.operation.as_str() {
            "TransactWriteItems" => (0.0, 2.0 * call.capacity),
            "TransactGetItems" => (2.0 * call.capacity, 0.0),
            "PutItem" | "UpdateItem" | "DeleteItem" | "BatchWriteItem" => (0.0, call.capacity),
            _ => (call.capacity, 0.0),
        };
        work.read_units += reads;
        work.write_units += writes;
        work.billed_capacity += reads + writes;
    }
    work
}

/// One row of the table: an operation, ours, the peer's, and the floor.
#[derive(Debug, Clone, Serialize)]
pub struct Operation {
    pub name: &'static str,
    pub ours: Work,
    pub peer: Option<Work>,
    /// The fewest calls that can keep the promises, and which.
    pub floor: &'static str,
}

fn status_of(value: &Value) -> String {
    if let Some(code) = value.get("statusCode").and_then(Value::as_u64) {
        return code.to_string();
    }
    match value.get("ok").and_then(Value::as_bool) {
        Some(true) => "ok".into(),
        Some(false) => format!(
            "refused: {}",
            value["error"]["code"].as_str().unwrap_or("short")
        ),
        None => "?".into(),
    }
}

async fn ours(app: &App, function: &str, event: &Value) -> String {
    if function == "order-stock" {
        let result = inventory::orders::handle(app, event.clone()).await;
        return status_of(&serde_json::to_value(result).unwrap_or_default());
    }
    let Some(endpoint) = inventory::endpoints::Endpoint::from_function_name(function) else {
        return "no such endpoint".into();
    };
    match lambda_http::request::from_str(&event.to_string()) {
        Ok(request) => endpoint
            .handle(app, request)
            .await
            .status()
            .as_u16()
            .to_string(),
        Err(err) => format!("bad event: {err}"),
    }
}

/// An operation: its name, our function, our events, the peer's events, the floor.
type Step = (
    &'static str,
    &'static str,
    Vec<Value>,
    Vec<Value>,
    &'static str,
);

/// Measures every operation, ours in-process through the proxy, the peer as a process under the
/// Runtime API through the same proxy.
///
/// # Errors
/// When the proxy or the peer cannot start.
pub async fn measure(fixture: &Fixture) -> Result<Vec<Operation>, Box<dyn std::error::Error>> {
    let proxy = Proxy::start(&fixture.settings.endpoint).await?;
    let app = App::new(Db::new(
        local_client(&proxy.url).await,
        fixture.tables.clone(),
    ));
    let peer = LocalLambda::start(&fixture.peer(&proxy.url)).await?;
    peer.init_duration(Duration::from_secs(30)).await?;
    let run = chrono::Utc::now().timestamp_millis();
    let store = super::BENCH_STORE;
    let product = fixture.product(1);
    let get = super::http_event(
        super::GET_PRODUCT,
        &[("store_id", store), ("product_id", &product)],
        &[],
        None,
        false,
    );
    let list = super::http_event(
        super::LIST_PRODUCTS,
        &[],
        &[("store_id", "store-blr-001"), ("limit", "50")],
        None,
        false,
    );
    let search = super::http_event(
        super::SEARCH_PRODUCTS,
        &[],
        &[("store_id", "store-blr-001"), ("q", "atta")],
        None,
        false,
    );
    let delta = super::stock_delta_event(&product, -1);
    let reserve = |side: &str| super::reserve_event(fixture, &format!("{side}{run}-r5"), 10, 5);
    let commit = |side: &str| serde_json::json!({ "action": "commit", "order_id": format!("{side}{run}-r5"), "store_id": store });
    let deduct =
        |side: &str| super::order_event(fixture, "deduct", &format!("{side}{run}-d5"), 20, 5);
    let check = super::order_event(fixture, "check", "checkout", 30, 3);
    let checkout =
        |side: &str| super::order_event(fixture, "reserve", &format!("{side}{run}-c3"), 30, 3);

    // (name, our function, our events, the peer's events, the floor)
    let plan: Vec<Step> = vec![
        ("get a product", "get-product", vec![get.clone()], vec![get], "1 (BatchGetItem of row and product; the row carries the catalog copy, so 1 GetItem without `product`)"),
        ("list 50", "list-products", vec![list.clone()], vec![list], "1 Query"),
        ("search (demo store, 90 rows)", "search-products", vec![search.clone()], vec![search], "1 Query per 1 MB of the store's rows"),
        ("stock change", "update-stock", vec![delta.clone()], vec![delta], "1 TransactWriteItems (row + movement), no read"),
        ("reserve 5 lines", "reserve-stock", vec![reserve("u")], vec![reserve("p")], "1 TransactWriteItems (12 actions)"),
        ("commit (by order id)", "order-stock", vec![commit("u")], vec![], "2: the order marker (GetItem), then 1 TransactWriteItems"),
        ("deduct 5 lines", "order-stock", vec![deduct("u")], vec![deduct("p")], "1 TransactWriteItems"),
        ("order checkout (check + reserve, 3 lines)", "order-stock", vec![check.clone(), checkout("u")], vec![check, checkout("p")], "2: 1 BatchGetItem to check, 1 TransactWriteItems to reserve"),
    ];
    let mut operations = Vec::new();
    for (name, function, our_events, peer_events, floor) in plan {
        let _ = proxy.take();
        let _ = app.db.meter().take();
        let mut statuses = Vec::new();
        for event in &our_events {
            statuses.push(ours(&app, function, event).await);
        }
        let usage = app.db.meter().take();
        let mut our_work = summarise(&proxy.take(), statuses.join(", "));
        our_work.bytes = Some((usage.request_bytes, usage.response_bytes));
        if usage.total_calls() != our_work.total_calls {
            our_work.status.push_str(&format!(
                " (meter counted {} calls, proxy {})",
                usage.total_calls(),
                our_work.total_calls
            ));
        }
        let peer_work = if peer_events.is_empty() {
            None
        } else {
            let mut statuses = Vec::new();
            for event in &peer_events {
                let outcome = peer
                    .invoke(serde_json::to_vec(event)?, Duration::from_secs(30))
                    .await?;
                statuses.push(status_of(
                    &serde_json::from_slice(outcome.body()).unwrap_or_default(),
                ));
            }
            Some(summarise(&proxy.take(), statuses.join(", ")))
        };
        operations.push(Operation {
            name,
            ours: our_work,
            peer: peer_work,
            floor,
        });
    }
    peer.stop().await;
    Ok(operations)
}
