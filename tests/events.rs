//! The stream processor on real stream records: writes go through the handlers into DynamoDB
//! Local, its streams are read the way Lambda reads them, and the events published are checked
//! exactly.

use inventory::events::{handle, BatchResponse, Capturing};
use inventory::telemetry::metrics::Metrics;
use serde_json::{json, Value};
use testkit::streams::Streams;
use testkit::TestApp;

const STOCK: &str = "/api/v1/inventory/products/s1/p1/stock";

struct Rig {
    app: TestApp,
    streams: Streams,
}

impl Rig {
    /// A row of `stock` units of p1 in s1 (reorder point 5), with the setup's records consumed.
    async fn with_stock(stock: i64) -> Self {
        let app = TestApp::with_manual_clock().await;
        app.given_stock("s1", "p1", stock).await;
        let mut streams = Streams::new(app.client.clone()).await;
        for table in [
            &app.tables.inventory,
            &app.tables.ledger,
            &app.tables.products,
        ] {
            streams.take(table).await;
        }
        Self { app, streams }
    }

    async fn change_stock(&self, delta: i64) {
        let response = self
            .app
            .put(STOCK, &json!({ "quantity_change": delta }).to_string())
            .await;
        assert_eq!(response.status, 200, "{}", response.text);
    }

    /// Publishes what `table`'s stream holds now, to `publisher`.
    async fn publish(&mut self, table: &str, publisher: &Capturing) -> BatchResponse {
        let batch = self.streams.take(table).await;
        handle(
            publisher,
            &self.app.tables,
            &Metrics::capturing("Test"),
            batch,
        )
        .await
    }
}

/// The detail-types published, in order; every detail is first checked against its schema in
/// events-schema/.
fn types(publisher: &Capturing) -> Vec<String> {
    for (detail_type, detail) in publisher.details() {
        assert_matches_schema(&detail_type, &detail);
    }
    publisher.details().into_iter().map(|(t, _)| t).collect()
}

fn assert_matches_schema(detail_type: &str, detail: &Value) {
    let path = inventory_local::template::repository_root()
        .join("events-schema")
        .join(format!("{detail_type}.json"));
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("schema reads"))
            .expect("schema is JSON");
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(detail)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{detail_type}: {errors:?}\n{detail}");
}

#[test]
fn there_is_one_schema_per_event_type_and_it_names_the_legacy_event() {
    for event_type in inventory::events::EventType::ALL {
        let path = inventory_local::template::repository_root()
            .join("events-schema")
            .join(format!("{}.json", event_type.detail_type()));
        let schema: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("schema")).expect("JSON");
        assert_eq!(
            schema["properties"]["event_type"]["const"],
            event_type.legacy_name()
        );
    }
}

#[tokio::test]
async fn low_stock_is_published_once_when_a_write_crosses_the_reorder_point_then_out_and_back_in_stock(
) {
    let mut rig = Rig::with_stock(10).await;
    // 10 → 4 crosses the reorder point of 5; 4 → 3 stays below; 3 → 0 is out of stock;
    // 0 → 7 is back in stock (and above the reorder point, which publishes nothing).
    for delta in [-6, -1, -3, 7] {
        rig.change_stock(delta).await;
    }
    let publisher = Capturing::new();

    let inventory = rig.app.tables.inventory.clone();
    let response = rig.publish(&inventory, &publisher).await;

    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(types(&publisher), ["LowStock", "OutOfStock", "BackInStock"]);
    let (_, low) = &publisher.details()[0];
    assert_eq!(low["event_type"], "LOW_STOCK");
    assert_eq!(
        low["data"],
        json!({"store_id": "s1", "product_id": "p1", "name": "Product p1",
               "current_stock": 4, "reserved_stock": 0, "available_stock": 4, "threshold": 5})
    );
    let (_, out) = &publisher.details()[1];
    assert_eq!(out["event_type"], "OUT_OF_STOCK");
    assert_eq!(out["data"]["available_stock"], 0);
    let (_, back) = &publisher.details()[2];
    assert_eq!(back["event_type"], "BACK_IN_STOCK");
    assert_eq!(back["data"]["available_stock"], 7);
}

#[tokio::test]
async fn every_stock_change_is_published_with_its_before_and_after_and_an_id_from_its_stream_record(
) {
    let mut rig = Rig::with_stock(10).await;
    rig.change_stock(-3).await;
    let ledger = rig.app.tables.ledger.clone();
    let records = rig.streams.take_json(&ledger).await;
    let movement = records
        .iter()
        .find(|r| r["dynamodb"]["Keys"]["pk"]["S"] == "MOV#s1#p1")
        .expect("the movement's stream record");
    let image = &movement["dynamodb"]["NewImage"];
    let publisher = Capturing::new();

    let batch = serde_json::from_value(json!({ "Records": records })).expect("a Lambda event");
    let response = handle(&publisher, &rig.app.tables, &Metrics::capturing("T"), batch).await;

    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(types(&publisher), ["StockChanged"]);
    assert_eq!(
        publisher.details(),
        vec![(
            "StockChanged".to_owned(),
            json!({
                "event_id": format!("{}-StockChanged", movement["eventID"].as_str().unwrap()),
                "event_type": "STOCK_UPDATED",
                "timestamp": image["created_at"]["S"],
                "data": {
                    "store_id": "s1", "product_id": "p1",
                    "movement_id": image["movement_id"]["S"],
                    "seq": 1, "movement_type": "stock_update", "delta": -3,
                    "before": {"current_stock": 10, "reserved_stock": 0, "available_stock": 10},
                    "after": {"current_stock": 7, "reserved_stock": 0, "available_stock": 7},
                    "actor": "test-admin"
                }
            })
        )]
    );
}

async fn reserve(app: &TestApp, order: &str, quantity: i64) -> String {
    let body = json!({"store_id": "s1", "order_id": order,
                      "items": [{"product_id": "p1", "quantity": quantity}]});
    let response = app
        .post("/api/v1/inventory/reserve", &body.to_string())
        .await;
    assert_eq!(response.status, 201, "{}", response.text);
    response.json["reservation_id"]
        .as_str()
        .expect("id")
        .to_owned()
}

#[tokio::test]
async fn reservations_are_published_when_created_completed_released_and_expired() {
    let mut rig = Rig::with_stock(100).await;
    let app = &rig.app;
    let completed = reserve(app, "ord-1", 2).await;
    assert_eq!(
        app.post(&format!("/api/v1/reservations/{completed}/complete"), "")
            .await
            .status,
        200
    );
    let released = reserve(app, "ord-2", 1).await;
    assert_eq!(
        app.post(&format!("/api/v1/reservations/{released}/release"), "")
            .await
            .status,
        200
    );
    let expired = reserve(app, "ord-3", 1).await;
    app.app.clock.advance(chrono::Duration::minutes(16));
    let report = inventory::expiry::handle(&app.app, json!({})).await;
    assert_eq!(report.expired, 1, "{report:?}");
    let publisher = Capturing::new();

    let ledger = rig.app.tables.ledger.clone();
    let response = rig.publish(&ledger, &publisher).await;

    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    types(&publisher); // every detail matches its schema
    let reservation_events: Vec<(String, Value)> = publisher
        .details()
        .into_iter()
        .filter(|(t, _)| t.starts_with("Reservation"))
        .map(|(t, d)| (t, d["data"]["reservation_id"].clone()))
        .collect();
    assert_eq!(
        reservation_events,
        vec![
            ("ReservationCreated".to_owned(), json!(completed)),
            ("ReservationCompleted".to_owned(), json!(completed)),
            ("ReservationCreated".to_owned(), json!(released)),
            ("ReservationReleased".to_owned(), json!(released)),
            ("ReservationCreated".to_owned(), json!(expired)),
            ("ReservationExpired".to_owned(), json!(expired)),
        ]
    );
    // Each reserve, complete, release and expiry moved stock: one StockChanged each.
    let moves: Vec<Value> = publisher
        .details()
        .into_iter()
        .filter(|(t, _)| t == "StockChanged")
        .map(|(_, d)| d["data"]["movement_type"].clone())
        .collect();
    assert_eq!(
        moves,
        ["reserve", "commit", "reserve", "release", "reserve", "expire"]
    );
    let (_, created) = publisher
        .details()
        .into_iter()
        .find(|(t, _)| t == "ReservationCreated")
        .expect("created");
    assert_eq!(created["event_type"], "STOCK_RESERVED");
    assert_eq!(created["data"]["order_id"], "ord-1");
    assert_eq!(created["data"]["status"], "active");
    assert_eq!(
        created["data"]["lines"],
        json!([{"product_id": "p1", "quantity": 2}])
    );
}

#[tokio::test]
async fn catalog_writes_are_published_as_product_created_and_updated() {
    let app = TestApp::new().await;
    let mut streams = Streams::new(app.client.clone()).await;
    app.given_product(&testkit::product_named("p9", "Toor Dal 1 kg"))
        .await;
    app.client
        .update_item()
        .table_name(&app.tables.products)
        .key(
            "product_id",
            aws_sdk_dynamodb::types::AttributeValue::S("p9".into()),
        )
        .update_expression("SET #n = :n")
        .expression_attribute_names("#n", "name")
        .expression_attribute_values(
            ":n",
            aws_sdk_dynamodb::types::AttributeValue::S("Toor Dal 2 kg".into()),
        )
        .send()
        .await
        .expect("catalog update");
    let publisher = Capturing::new();

    let batch = streams.take(&app.tables.products).await;
    let response = handle(&publisher, &app.tables, &Metrics::capturing("T"), batch).await;

    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let details = publisher.details();
    assert_eq!(types(&publisher), ["ProductCreated", "ProductUpdated"]);
    assert_eq!(details[0].1["event_type"], "PRODUCT_CREATED");
    assert_eq!(details[0].1["data"]["name"], "Toor Dal 1 kg");
    assert_eq!(details[1].1["event_type"], "PRODUCT_UPDATED");
    assert_eq!(details[1].1["data"]["name"], "Toor Dal 2 kg");
    // Money keeps its exact text on the bus, as in the API.
    assert!(
        publisher.published()[0].detail.contains(r#""mrp":50.00"#),
        "{}",
        publisher.published()[0].detail
    );
}

#[tokio::test]
async fn orders_are_published_when_placed_and_at_every_status_change_but_not_for_a_short_pick() {
    let mut rig = Rig::with_stock(10).await;
    rig.streams.take(&rig.app.tables.orders).await;
    let order = json!({
        "order_id": "ord-ev-1", "store_id": "s1", "customer_id": "cust-1",
        "items": [{"product_id": "p1", "quantity": 3}],
    });
    let placed = rig.app.post("/api/v1/orders", &order.to_string()).await;
    assert_eq!(placed.status, 201, "{}", placed.text);
    for status in ["CONFIRMED", "PROCESSING"] {
        let moved = rig
            .app
            .post(
                "/api/v1/orders/ord-ev-1/status",
                &json!({ "status": status }).to_string(),
            )
            .await;
        assert_eq!(moved.status, 200, "{}", moved.text);
    }
    let picked = rig
        .app
        .post(
            "/api/v1/orders/ord-ev-1/status",
            &json!({ "short_pick": {"product_id": "p1", "quantity": 1} }).to_string(),
        )
        .await;
    assert_eq!(picked.status, 200, "{}", picked.text);
    let publisher = Capturing::new();

    let orders = rig.app.tables.orders.clone();
    let response = rig.publish(&orders, &publisher).await;

    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(
        types(&publisher),
        ["OrderCreated", "OrderStatusChanged", "OrderStatusChanged"]
    );
    let details = publisher.details();
    assert_eq!(details[0].1["event_type"], "ORDER_CREATED");
    assert_eq!(details[0].1["data"]["status"], "PENDING");
    assert_eq!(
        (&details[1].1["data"]["from"], &details[1].1["data"]["to"]),
        (&json!("PENDING"), &json!("CONFIRMED"))
    );
    assert_eq!(
        (&details[2].1["data"]["from"], &details[2].1["data"]["to"]),
        (&json!("CONFIRMED"), &json!("PROCESSING"))
    );
    assert_eq!(details[2].1["event_type"], "ORDER_STATUS_CHANGED");
}

#[tokio::test]
async fn a_refused_entry_fails_its_record_and_the_retry_publishes_it_with_the_same_ids() {
    let mut rig = Rig::with_stock(10).await;
    for delta in [-6, -4, 7] {
        rig.change_stock(delta).await; // LowStock, then OutOfStock, then BackInStock
    }
    let batch = rig.streams.take(&rig.app.tables.inventory.clone()).await;
    let records: Vec<_> = batch.records.clone();
    // EventBridge refuses the LowStock entry on every attempt of this invocation.
    let refusing = Capturing::new().refusing("LowStock", 100);

    let response = handle(
        &refusing,
        &rig.app.tables,
        &Metrics::capturing("T"),
        batch.clone(),
    )
    .await;

    assert_eq!(
        response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.clone())
            .collect::<Vec<_>>(),
        [records[0]
            .change
            .sequence_number
            .clone()
            .expect("a sequence number")],
        "the LowStock record is reported, so Lambda checkpoints before it and retries from it"
    );
    assert!(
        !types(&refusing).contains(&"LowStock".to_owned()),
        "the refused entry was never reported as published"
    );
    // Entries of the same PutEvents call that EventBridge took stay published; the retry sends
    // them again under the same ids, which consumers deduplicate on.
    let first_try: Vec<Value> = refusing
        .details()
        .into_iter()
        .map(|(_, d)| d["event_id"].clone())
        .collect();

    let accepting = Capturing::new();
    let response = handle(&accepting, &rig.app.tables, &Metrics::capturing("T"), batch).await;

    assert!(response.batch_item_failures.is_empty());
    assert_eq!(types(&accepting), ["LowStock", "OutOfStock", "BackInStock"]);
    let retried: Vec<Value> = accepting
        .details()
        .into_iter()
        .map(|(_, d)| d["event_id"].clone())
        .collect();
    assert_eq!(
        retried[0],
        json!(format!("{}-LowStock", records[0].event_id))
    );
    for id in first_try {
        assert!(
            retried.contains(&id),
            "{id} is republished under the same id"
        );
    }
}

#[tokio::test]
async fn records_after_a_failed_call_are_not_attempted() {
    // Twelve changes, one LowStock among the first ten: the first call fails, the second call
    // (which would carry the rest) is never made.
    let mut rig = Rig::with_stock(100).await;
    for delta in [-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1] {
        rig.change_stock(delta).await;
    }
    let ledger = rig.app.tables.ledger.clone();
    let batch = rig.streams.take(&ledger).await;
    assert_eq!(batch.records.len(), 12);
    let refusing = Capturing::new().refusing("StockChanged", 4);

    let response = handle(
        &refusing,
        &rig.app.tables,
        &Metrics::capturing("T"),
        batch.clone(),
    )
    .await;

    assert_eq!(response.batch_item_failures.len(), 1);
    assert_eq!(
        response.batch_item_failures[0].item_identifier,
        batch.records[0]
            .change
            .sequence_number
            .clone()
            .expect("seq")
    );
    assert!(
        refusing.call_sizes().iter().all(|n| *n <= 10),
        "{:?}",
        refusing.call_sizes()
    );
    assert_eq!(
        refusing.published().len(),
        9,
        "only the first call's other entries went out"
    );
}

#[tokio::test]
async fn an_entry_refused_a_few_times_is_retried_within_the_invocation() {
    let mut rig = Rig::with_stock(10).await;
    rig.change_stock(-6).await;
    let publisher = Capturing::new().refusing("LowStock", 2);
    let metrics = Metrics::capturing("InventoryService");

    let batch = rig.streams.take(&rig.app.tables.inventory.clone()).await;
    let response = handle(&publisher, &rig.app.tables, &metrics, batch).await;

    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(types(&publisher), ["LowStock"]);
    assert_eq!(
        publisher.call_sizes(),
        [1, 1, 1],
        "two refusals, then accepted"
    );
    assert_eq!(metrics.lines().len(), 1);
    assert_eq!(metrics.lines()[0]["LowStock"], json!(1.0));
}

#[tokio::test]
async fn a_record_from_a_table_the_service_does_not_know_fails_instead_of_being_skipped() {
    let mut rig = Rig::with_stock(10).await;
    rig.change_stock(-6).await;
    let mut records = rig
        .streams
        .take_json(&rig.app.tables.inventory.clone())
        .await;
    records[0]["eventSourceARN"] = json!(
        "arn:aws:dynamodb:ddblocal:000000000000:table/someone-elses/stream/2026-01-01T00:00:00.000"
    );
    let batch = serde_json::from_value(json!({ "Records": records })).expect("event");
    let publisher = Capturing::new();

    let response = handle(&publisher, &rig.app.tables, &Metrics::capturing("T"), batch).await;

    assert_eq!(response.batch_item_failures.len(), 1);
    assert!(publisher.published().is_empty());
}

#[tokio::test]
async fn a_settings_change_is_published_as_a_stock_change_of_nothing_and_a_raised_reorder_point_as_low_stock(
) {
    let mut rig = Rig::with_stock(10).await;
    let changed = rig
        .app
        .send(
            "PATCH",
            "/api/v1/inventory/products/s1/p1",
            Some(&json!({"reorder_point": 12, "max_stock_level": 200}).to_string()),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    let publisher = Capturing::new();

    let ledger = rig.app.tables.ledger.clone();
    let inventory = rig.app.tables.inventory.clone();
    let from_ledger = rig.publish(&ledger, &publisher).await;
    let from_rows = rig.publish(&inventory, &publisher).await;

    assert!(
        from_ledger.batch_item_failures.is_empty(),
        "{from_ledger:?}"
    );
    assert!(from_rows.batch_item_failures.is_empty(), "{from_rows:?}");
    assert_eq!(types(&publisher), ["StockChanged", "LowStock"]);
    let (_, changed) = &publisher.details()[0];
    assert_eq!(changed["data"]["movement_type"], "settings");
    assert_eq!(changed["data"]["delta"], 0);
    assert_eq!(changed["data"]["before"], changed["data"]["after"]);
    let (_, low) = &publisher.details()[1];
    assert_eq!(low["data"]["threshold"], 12);
}

#[tokio::test]
async fn a_new_rows_opening_stock_is_published_as_its_first_stock_change() {
    let mut rig = Rig::with_stock(10).await;
    let location = rig
        .app
        .post(
            "/api/v1/locations",
            &json!({"location_id": "s2", "type": "store", "name": "S2", "address": "1 Road"})
                .to_string(),
        )
        .await;
    assert_eq!(location.status, 201, "{}", location.text);
    let created = rig
        .app
        .post(
            "/api/v1/inventory",
            &json!({"store_id": "s2", "product_id": "p1", "current_stock": 6,
                    "reorder_point": 2, "reorder_quantity": 10, "min_stock_level": 1,
                    "max_stock_level": 20, "selling_price": "45.50", "cost_price": "40.10",
                    "location": "A1-01"})
            .to_string(),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let publisher = Capturing::new();

    let ledger = rig.app.tables.ledger.clone();
    let response = rig.publish(&ledger, &publisher).await;

    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(types(&publisher), ["StockChanged"]);
    let (_, opened) = &publisher.details()[0];
    assert_eq!(
        (
            &opened["data"]["store_id"],
            &opened["data"]["seq"],
            &opened["data"]["movement_type"],
            &opened["data"]["delta"]
        ),
        (&json!("s2"), &json!(1), &json!("initial_stock"), &json!(6))
    );
}
