//! What operators see: health probes, one JSON log line per request with the request's ids
//! (and never a token or a body), and an embedded-metrics document per request.

use inventory::endpoints::Endpoint;
use inventory::telemetry::metrics::Metrics;
use inventory::telemetry::LogCapture;
use lambda_http::RequestExt;
use serde_json::Value;
use testkit::TestApp;

fn sample_event(name: &str) -> Value {
    let path = inventory_local::template::repository_root()
        .join("events")
        .join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("event")).expect("json")
}

fn request(event: &Value, lambda_request_id: &str) -> lambda_http::Request {
    let mut context = lambda_http::Context::default();
    context.request_id = lambda_request_id.to_owned();
    lambda_http::request::from_str(&event.to_string())
        .expect("event parses")
        .with_lambda_context(context)
}

#[tokio::test]
async fn liveness_answers_without_touching_dynamodb() {
    let app = TestApp::new().await;
    let meter = app.app.db.meter();
    meter.take();
    let live = app.get_anonymously("/health").await;
    assert_eq!(
        (live.status, &live.json["status"]),
        (200, &Value::from("ok"))
    );
    assert_eq!(meter.take().total_calls(), 0);
}

#[tokio::test]
async fn readiness_describes_every_table_and_names_a_missing_one_by_role() {
    let app = TestApp::new().await;
    let meter = app.app.db.meter();
    meter.take();
    let ready = app.get_anonymously("/health/ready").await;
    assert_eq!(ready.status, 200, "{}", ready.text);
    assert_eq!(meter.take().calls_of("DescribeTable"), 3);

    app.client
        .delete_table()
        .table_name(&app.tables.ledger)
        .send()
        .await
        .expect("table deleted");
    let not_ready = app.get_anonymously("/health/ready").await;
    not_ready.assert_problem(503, "not_ready");
    assert_eq!(
        not_ready.json["missing_tables"],
        serde_json::json!(["ledger"])
    );
    assert!(
        !not_ready.text.contains(&app.tables.ledger),
        "deployed table names stay private"
    );
}

#[tokio::test]
async fn every_log_line_of_a_request_carries_its_ids_and_never_its_token_or_body() {
    let app = TestApp::new().await;
    app.given_demo_data().await;
    let token = app.token("asha", "staff", "store-blr-001");
    let mut event = sample_event("update-stock");
    event["headers"]["authorization"] = Value::String(format!("Bearer {token}"));
    let body = event["body"].as_str().expect("a body").to_owned();

    let capture = LogCapture::start();
    let response = Endpoint::UpdateStock
        .handle(&app.app, request(&event, "lambda-req-42"))
        .await;
    assert_eq!(response.status(), 200);

    let lines = capture.lines();
    assert!(!lines.is_empty());
    assert!(
        lines.iter().all(Value::is_object),
        "one JSON object per line"
    );
    let served = lines
        .iter()
        .find(|l| l["message"] == "request served")
        .unwrap_or_else(|| panic!("a request line in {lines:?}"));
    let span = &served["span"];
    assert_eq!(span["lambda_request_id"], "lambda-req-42");
    assert_eq!(
        span["apigw_request_id"],
        event["requestContext"]["requestId"]
    );
    assert_eq!(span["store_id"], "store-blr-001");
    assert_eq!(span["product_id"], event["pathParameters"]["product_id"]);
    assert!(span.get("function_name").is_some(), "{served}");
    assert_eq!(served["status"], 200);

    let text = capture.text();
    assert!(!text.contains(&token), "the token is never logged");
    assert!(!text.to_lowercase().contains("bearer"), "nor the header");
    assert!(!text.contains(&body), "nor the body");
}

#[tokio::test]
async fn each_request_emits_latency_and_a_refused_decrement_counts_as_oversell_prevented() {
    let app = TestApp::new().await;
    app.given_stock("store-blr-001", "p1", 2).await;
    let metrics = Metrics::capturing("InventoryTest");
    let mut lambda = app.app.clone();
    lambda.metrics = metrics.clone();
    let mut event = sample_event("update-stock");
    event["pathParameters"] = serde_json::json!({"store_id": "store-blr-001", "product_id": "p1"});
    event["body"] = Value::String(r#"{"quantity_change": -5}"#.into());

    let response = Endpoint::UpdateStock
        .handle(&lambda, request(&event, "r-1"))
        .await;
    assert_eq!(response.status(), 409);

    let lines = metrics.lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = &lines[0];
    assert_eq!(line["Operation"], "update-stock");
    assert_eq!(line["RejectedDecrements"], 1.0);
    assert!(
        line["Latency"].as_f64().is_some_and(|ms| ms > 0.0),
        "{line}"
    );
    assert!(
        line["DynamoDbCalls"].as_f64().is_some_and(|n| n >= 2.0),
        "{line}"
    );
    let directive = &line["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(directive["Namespace"], "InventoryTest");
}

#[tokio::test]
async fn a_retried_request_that_changes_nothing_counts_as_an_idempotent_replay() {
    let app = TestApp::new().await;
    app.given_stock("store-blr-001", "p1", 9).await;
    let metrics = Metrics::capturing("InventoryTest");
    let mut lambda = app.app.clone();
    lambda.metrics = metrics.clone();
    let mut event = sample_event("update-stock");
    event["pathParameters"] = serde_json::json!({"store_id": "store-blr-001", "product_id": "p1"});
    event["body"] = Value::String(r#"{"quantity_change": -1}"#.into());
    event["headers"]["idempotency-key"] = Value::String("sale-77".into());

    for _ in 0..2 {
        let response = Endpoint::UpdateStock
            .handle(&lambda, request(&event, "r-2"))
            .await;
        assert_eq!(response.status(), 200);
    }
    let replays: Vec<_> = metrics
        .lines()
        .into_iter()
        .filter(|l| l.get("IdempotentReplays").is_some())
        .collect();
    assert_eq!(replays.len(), 1, "the second request only");
    assert_eq!(app.stock_of("store-blr-001", "p1").await.0, 8);
}

#[test]
fn an_invocation_of_a_direct_or_scheduled_function_logs_its_lambda_request_id() {
    let capture = LogCapture::start();
    let mut context = lambda_http::Context::default();
    context.request_id = "invoke-7".to_owned();
    let span = inventory::telemetry::invocation_span(&context);
    span.in_scope(|| tracing::info!("sweep done"));
    let line = capture
        .lines()
        .into_iter()
        .find(|l| l["message"] == "sweep done")
        .expect("the line");
    assert_eq!(line["span"]["lambda_request_id"], "invoke-7");
    assert!(line["span"].get("function_name").is_some(), "{line}");
}
