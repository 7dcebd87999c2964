//! Inventory records: a row's settings changed with a `settings` entry in its ledger, new rows
//! with their opening stock, and one product's stock across every location.

use inventory::db::{MAX_LOCATION_READS, MAX_PRODUCT_STOCK_QUERIES};
use serde_json::{json, Value};
use testkit::{product_named, row, TestApp, TestResponse};

const A: &str = "store-a";
const B: &str = "store-b";

fn settings_uri(store: &str, product: &str) -> String {
    format!("/api/v1/inventory/products/{store}/{product}")
}

async fn patch_as(
    app: &TestApp,
    token: &str,
    store: &str,
    product: &str,
    body: &Value,
) -> TestResponse {
    app.send_as(
        Some(token),
        "PATCH",
        &settings_uri(store, product),
        Some(&body.to_string()),
    )
    .await
}

async fn history(app: &TestApp, store: &str, product: &str) -> Vec<Value> {
    let page = app
        .get(&format!(
            "/api/v1/inventory/history/{store}/{product}?limit=100"
        ))
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    page.json["movements"]
        .as_array()
        .expect("movements")
        .clone()
}

fn new_row(store: &str, product: &str) -> Value {
    json!({
        "store_id": store, "product_id": product, "current_stock": 40,
        "reorder_point": 10, "reorder_quantity": 50, "min_stock_level": 5,
        "max_stock_level": 120, "selling_price": "99.50", "cost_price": "80.25",
        "location": "C3-07", "lead_time_days": 4
    })
}

// ---------------------------------------------------------------------------------------------
// PATCH .../products/{store_id}/{product_id}: settings

#[tokio::test]
async fn a_store_manager_changes_settings_and_the_ledger_records_before_after_and_actor() {
    let app = TestApp::new().await;
    app.given_stock(A, "p1", 30).await;
    let manager = app.token("manager-anita", "store_manager", A);

    let changed = patch_as(
        &app,
        &manager,
        A,
        "p1",
        &json!({"reorder_point": 8, "max_stock_level": 60, "selling_price": "47.00",
                "location": "B2-04", "lead_time_days": 3, "reorder_quantity": 24,
                "min_stock_level": 2}),
    )
    .await;

    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.json["reorder_point"], 8);
    assert_eq!(changed.json["current_stock"], 30);
    let stored = app.stored_row(A, "p1").await.expect("the row");
    assert_eq!(stored.reorder_point, Some(8));
    assert_eq!(stored.max_stock_level, Some(60));
    assert_eq!(
        stored.selling_price.map(|m| m.to_string()).as_deref(),
        Some("47.00")
    );
    assert_eq!(stored.location.as_deref(), Some("B2-04"));
    assert_eq!(stored.lead_time_days, Some(3));
    assert_eq!(stored.reorder_quantity, Some(24));
    assert_eq!(stored.current_stock, 30, "stock is not a setting");

    let entries = history(&app, A, "p1").await;
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry["movement_type"], "settings");
    assert_eq!(entry["actor"], "manager-anita");
    assert_eq!(entry["seq"], 1);
    assert_eq!(entry["delta"], 0);
    assert_eq!(entry["current_before"], entry["current_after"]);
    // Only what changed: min_stock_level was already 2.
    assert_eq!(
        entry["settings"]["before"],
        json!({"reorder_point": 5, "max_stock_level": 100, "selling_price": "45.50",
               "location": "A1-01"})
    );
    assert_eq!(
        entry["settings"]["after"],
        json!({"reorder_point": 8, "max_stock_level": 60, "selling_price": "47.00",
               "location": "B2-04", "lead_time_days": 3, "reorder_quantity": 24})
    );
    assert_eq!(changed.json["ledger_entry"], *entry);
}

#[tokio::test]
async fn settings_entries_keep_the_ledger_one_sequence_whose_befores_are_the_previous_afters() {
    let app = TestApp::new().await;
    app.given_stock(A, "p1", 30).await;
    let put = |delta: i64| json!({"quantity_change": delta, "reason": "counter"}).to_string();
    assert_eq!(
        app.put(&format!("{}/stock", settings_uri(A, "p1")), &put(-3))
            .await
            .status,
        200
    );
    let admin = app.token("admin-1", "admin", "");
    assert_eq!(
        patch_as(&app, &admin, A, "p1", &json!({"reorder_point": 7}))
            .await
            .status,
        200
    );
    assert_eq!(
        app.put(&format!("{}/stock", settings_uri(A, "p1")), &put(5))
            .await
            .status,
        200
    );

    let mut entries = history(&app, A, "p1").await;
    entries.reverse();
    let seqs: Vec<i64> = entries
        .iter()
        .map(|m| m["seq"].as_i64().expect("seq"))
        .collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert_eq!(entries[1]["movement_type"], "settings");
    for pair in entries.windows(2) {
        for q in ["current", "reserved", "available"] {
            assert_eq!(
                pair[1][format!("{q}_before")],
                pair[0][format!("{q}_after")],
                "{pair:?}"
            );
        }
    }
    let row = app.stored_row(A, "p1").await.expect("row");
    assert_eq!((row.current_stock, row.reorder_point), (32, Some(7)));
}

#[tokio::test]
async fn staff_are_refused_403_and_nothing_changes() {
    let app = TestApp::new().await;
    app.given_stock(A, "p1", 30).await;
    let staff = app.token("staff-ravi", "staff", A);
    let before = app.snapshot().await;

    let refused = patch_as(&app, &staff, A, "p1", &json!({"reorder_point": 8})).await;

    refused.assert_problem(403, "forbidden");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_manager_of_another_store_is_refused_403_and_nothing_changes() {
    let app = TestApp::new().await;
    app.given_stock(A, "p1", 30).await;
    let other = app.token("manager-b", "store_manager", B);
    let before = app.snapshot().await;

    let refused = patch_as(&app, &other, A, "p1", &json!({"reorder_point": 8})).await;
    let missing = patch_as(&app, &other, A, "p-none", &json!({"reorder_point": 8})).await;

    refused.assert_problem(403, "forbidden");
    missing.assert_problem(403, "forbidden");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn min_above_max_is_refused_in_the_body_and_against_the_stored_levels_with_no_change() {
    let app = TestApp::new().await;
    app.given_stock(A, "p1", 30).await; // min 2, reorder 5, max 100
    let admin = app.token("admin-1", "admin", "");
    let before = app.snapshot().await;

    let in_body = patch_as(
        &app,
        &admin,
        A,
        "p1",
        &json!({"min_stock_level": 50, "max_stock_level": 40}),
    )
    .await;
    let against_stored = patch_as(&app, &admin, A, "p1", &json!({"min_stock_level": 150})).await;
    let reorder_above_max = patch_as(&app, &admin, A, "p1", &json!({"reorder_point": 101})).await;

    in_body.assert_problem(400, "invalid_parameter");
    assert_eq!(in_body.json["field"], "min_stock_level");
    assert_eq!(
        in_body.json["detail"],
        "min_stock_level (50) must be at most max_stock_level (40)"
    );
    against_stored.assert_problem(409, "stock_levels_out_of_order");
    assert_eq!(
        (
            &against_stored.json["min_stock_level"],
            &against_stored.json["reorder_point"],
            &against_stored.json["max_stock_level"]
        ),
        (&json!(150), &json!(5), &json!(100)),
        "the levels as they would be: {}",
        against_stored.text
    );
    reorder_above_max.assert_problem(409, "stock_levels_out_of_order");
    assert!(
        reorder_above_max.json["detail"].as_str().is_some_and(
            |d| d.contains("reorder_point (101) must be at most max_stock_level (100)")
        ),
        "{}",
        reorder_above_max.text
    );
    assert_eq!(app.snapshot().await, before);

    // Raising max in the same request makes it fine.
    let both = patch_as(
        &app,
        &admin,
        A,
        "p1",
        &json!({"min_stock_level": 150, "reorder_point": 160, "max_stock_level": 400}),
    )
    .await;
    assert_eq!(both.status, 200, "{}", both.text);
}

#[tokio::test]
async fn prices_with_three_decimals_negative_or_as_floats_are_refused_with_no_change() {
    let app = TestApp::new().await;
    app.given_stock(A, "p1", 30).await;
    let admin = app.token("admin-1", "admin", "");
    let before = app.snapshot().await;

    for (body, field, detail) in [
        (json!({"selling_price": "45.505"}), "selling_price", "selling_price must have at most two decimal places"),
        (json!({"cost_price": "1.001"}), "cost_price", "cost_price must have at most two decimal places"),
        (json!({"cost_price": "-1"}), "cost_price", "cost_price must not be negative"),
        (json!({"selling_price": 45.5}), "selling_price", "selling_price must be a decimal string such as \"45.50\" or a whole number (never a JSON float)"),
    ] {
        let refused = patch_as(&app, &admin, A, "p1", &body).await;
        refused.assert_problem(400, "invalid_parameter");
        assert_eq!((refused.json["field"].as_str(), refused.json["detail"].as_str()), (Some(field), Some(detail)), "{body}");
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn stock_is_no_setting_and_unknown_fields_and_an_empty_body_are_refused_with_no_change() {
    let app = TestApp::new().await;
    app.given_stock(A, "p1", 30).await;
    let admin = app.token("admin-1", "admin", "");
    let before = app.snapshot().await;

    let stock = patch_as(&app, &admin, A, "p1", &json!({"current_stock": 500})).await;
    let unknown = patch_as(&app, &admin, A, "p1", &json!({"reorder_pont": 5})).await;
    let empty = patch_as(&app, &admin, A, "p1", &json!({})).await;
    let null = patch_as(&app, &admin, A, "p1", &json!({"max_stock_level": null})).await;
    let no_body = app
        .send_as(Some(&admin), "PATCH", &settings_uri(A, "p1"), None)
        .await;

    stock.assert_problem(400, "invalid_parameter");
    assert_eq!(stock.json["field"], "current_stock");
    unknown.assert_problem(400, "invalid_parameter");
    assert!(
        unknown.json["detail"]
            .as_str()
            .is_some_and(|d| d.contains("reorder_pont")),
        "{}",
        unknown.text
    );
    empty.assert_problem(400, "invalid_parameter");
    null.assert_problem(400, "invalid_parameter");
    assert_eq!(null.json["field"], "max_stock_level");
    no_body.assert_problem(400, "invalid_body");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn an_unknown_row_is_404_and_a_change_to_the_same_values_records_nothing() {
    let app = TestApp::new().await;
    app.given_stock(A, "p1", 30).await;
    let admin = app.token("admin-1", "admin", "");
    let before = app.snapshot().await;

    let missing = patch_as(&app, &admin, A, "p-none", &json!({"reorder_point": 3})).await;
    let same = patch_as(
        &app,
        &admin,
        A,
        "p1",
        &json!({"reorder_point": 5, "location": "A1-01"}),
    )
    .await;

    missing.assert_problem(404, "inventory_item_not_found");
    assert_eq!(same.status, 200, "{}", same.text);
    assert_eq!(same.json["ledger_entry"], Value::Null);
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_settings_change_racing_stock_changes_loses_none_of_them() {
    let app = TestApp::new().await;
    app.given_stock(A, "p1", 100).await;
    let admin = app.token("admin-1", "admin", "");
    let stock_uri = format!("{}/stock", settings_uri(A, "p1"));
    let sale = json!({"quantity_change": -1, "reason": "counter"}).to_string();

    let sales = (0..10).map(|_| app.put(&stock_uri, &sale));
    let bodies: Vec<Value> = (0..3).map(|n| json!({"reorder_point": 10 + n})).collect();
    let edits = bodies
        .iter()
        .map(|body| patch_as(&app, &admin, A, "p1", body));
    let (sold, edited) = tokio::join!(
        futures::future::join_all(sales),
        futures::future::join_all(edits)
    );

    assert!(
        sold.iter().all(|r| r.status == 200),
        "{:?}",
        sold.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    assert!(
        edited.iter().all(|r| r.status == 200),
        "{:?}",
        edited.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    let row = app.stored_row(A, "p1").await.expect("row");
    assert_eq!(row.current_stock, 90, "every sale landed");
    let mut entries = history(&app, A, "p1").await;
    entries.reverse();
    let settings = entries
        .iter()
        .filter(|m| m["movement_type"] == "settings")
        .count();
    // An edit whose value was already set by another records nothing; at least one did.
    assert!((1..=3).contains(&settings), "{entries:?}");
    assert_eq!(entries.len(), 10 + settings);
    for (i, pair) in entries.windows(2).enumerate() {
        assert_eq!(pair[1]["seq"], i as i64 + 2);
        assert_eq!(
            pair[1]["current_before"], pair[0]["current_after"],
            "{pair:?}"
        );
    }
    assert_eq!(entries.last().expect("last")["current_after"], 90);
    let last_setting = entries
        .iter()
        .rev()
        .find(|m| m["movement_type"] == "settings")
        .expect("one");
    assert_eq!(
        Some(
            last_setting["settings"]["after"]["reorder_point"]
                .as_i64()
                .expect("set")
        ),
        row.reorder_point
    );
}

// ---------------------------------------------------------------------------------------------
// POST /api/v1/inventory: new rows

#[tokio::test]
async fn a_manager_stocks_a_product_at_their_location_with_its_opening_stock_in_the_ledger() {
    let app = TestApp::new().await;
    app.given_location(A).await;
    let product = product_named("p7", "Toor Dal 1 kg");
    app.given_product(&product).await;
    let manager = app.token("manager-anita", "store_manager", A);

    let created = app
        .send_as(
            Some(&manager),
            "POST",
            "/api/v1/inventory",
            Some(&new_row(A, "p7").to_string()),
        )
        .await;

    assert_eq!(created.status, 201, "{}", created.text);
    let stored = app.stored_row(A, "p7").await.expect("the row");
    assert_eq!(
        (
            stored.current_stock,
            stored.reserved_stock,
            stored.available_stock
        ),
        (40, 0, 40)
    );
    assert_eq!(
        stored.name.as_deref(),
        Some("Toor Dal 1 kg"),
        "catalog fields copied"
    );
    assert_eq!(stored.barcode.as_deref(), Some(product.barcode.as_str()));
    assert_eq!(
        stored.cost_price.map(|m| m.to_string()).as_deref(),
        Some("80.25")
    );
    assert_eq!(
        (stored.reorder_quantity, stored.lead_time_days),
        (Some(50), Some(4))
    );
    let entries = history(&app, A, "p7").await;
    assert_eq!(entries.len(), 1);
    let first = &entries[0];
    assert_eq!(
        (first["seq"].as_i64(), first["movement_type"].as_str()),
        (Some(1), Some("initial_stock"))
    );
    assert_eq!(
        (
            first["current_before"].as_i64(),
            first["current_after"].as_i64()
        ),
        (Some(0), Some(40))
    );
    assert_eq!(first["delta"], 40);
    assert_eq!(first["actor"], "manager-anita");
    assert_eq!(first["settings"]["after"]["selling_price"], "99.50");
    // The new row takes stock changes like any other.
    let sold = app
        .put(
            &format!("{}/stock", settings_uri(A, "p7")),
            &json!({"quantity_change": -4}).to_string(),
        )
        .await;
    assert_eq!(sold.status, 200, "{}", sold.text);
    assert_eq!(history(&app, A, "p7").await[0]["seq"], 2);
}

#[tokio::test]
async fn an_unknown_product_is_404_and_nothing_is_written() {
    let app = TestApp::new().await;
    app.given_location(A).await;
    let before = app.snapshot().await;

    let refused = app
        .post("/api/v1/inventory", &new_row(A, "p-none").to_string())
        .await;

    refused.assert_problem(404, "product_not_found");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn an_unknown_location_is_409_and_nothing_is_written() {
    let app = TestApp::new().await;
    app.given_product(&product_named("p7", "Toor Dal")).await;
    let before = app.snapshot().await;

    let refused = app
        .post("/api/v1/inventory", &new_row("nowhere", "p7").to_string())
        .await;

    refused.assert_problem(409, "location_unknown");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn an_inactive_location_is_409_and_nothing_is_written() {
    let app = TestApp::new().await;
    app.given_location(A).await;
    app.given_product(&product_named("p7", "Toor Dal")).await;
    let deleted = app
        .send("DELETE", &format!("/api/v1/locations/{A}"), None)
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    let before = app.snapshot().await;

    let refused = app
        .post("/api/v1/inventory", &new_row(A, "p7").to_string())
        .await;

    refused.assert_problem(409, "location_inactive");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_row_that_exists_is_409_already_exists_and_nothing_changes() {
    let app = TestApp::new().await;
    app.given_location(A).await;
    app.given_stock(A, "p1", 30).await;
    let before = app.snapshot().await;

    let refused = app
        .post("/api/v1/inventory", &new_row(A, "p1").to_string())
        .await;

    refused.assert_problem(409, "already_exists");
    assert_eq!(refused.json["current_stock"], 30);
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn two_concurrent_creates_of_one_row_exactly_one_wins() {
    let app = TestApp::new().await;
    app.given_location(A).await;
    app.given_product(&product_named("p7", "Toor Dal")).await;
    let body = new_row(A, "p7").to_string();

    let (first, second) = tokio::join!(
        app.post("/api/v1/inventory", &body),
        app.post("/api/v1/inventory", &body)
    );

    let mut statuses = [first.status, second.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{} / {}", first.text, second.text);
    assert_eq!(history(&app, A, "p7").await.len(), 1);
}

#[tokio::test]
async fn staff_and_a_manager_of_another_store_may_not_create_rows() {
    let app = TestApp::new().await;
    app.given_location(A).await;
    app.given_product(&product_named("p7", "Toor Dal")).await;
    let before = app.snapshot().await;
    let body = new_row(A, "p7").to_string();

    for token in [
        app.token("staff-ravi", "staff", A),
        app.token("manager-b", "store_manager", B),
    ] {
        let refused = app
            .send_as(Some(&token), "POST", "/api/v1/inventory", Some(&body))
            .await;
        refused.assert_problem(403, "forbidden");
    }
    assert_eq!(app.snapshot().await, before);
}

// ---------------------------------------------------------------------------------------------
// GET /api/v1/inventory/{product_id}: across locations

#[tokio::test]
async fn one_products_stock_across_locations_with_totals_flagging_inactive_ones() {
    let app = TestApp::new().await;
    for store in [A, B, "store-c"] {
        app.given_location(store).await;
    }
    app.given_stock(A, "p1", 30).await;
    app.given_row(&row(B, "p1", 12)).await;
    app.given_row(&row("store-c", "p1", 3)).await;
    app.given_row(&row(A, "p2", 99)).await;
    let reserved = app
        .post(
            "/api/v1/inventory/reserve",
            &json!({"store_id": A, "order_id": "o1", "items": [{"product_id": "p1", "quantity": 4}]}).to_string(),
        )
        .await;
    assert_eq!(reserved.status, 201, "{}", reserved.text);
    assert_eq!(
        app.send("DELETE", "/api/v1/locations/store-c", None)
            .await
            .status,
        200
    );

    let read = app.get("/api/v1/inventory/p1").await;

    assert_eq!(read.status, 200, "{}", read.text);
    let stores: Vec<(&str, bool)> = read.json["locations"]
        .as_array()
        .expect("locations")
        .iter()
        .map(|r| {
            (
                r["store_id"].as_str().expect("id"),
                r["location_active"].as_bool().expect("flag"),
            )
        })
        .collect();
    assert_eq!(stores, [(A, true), (B, true), ("store-c", false)]);
    assert_eq!(read.json["count"], 3);
    assert_eq!(
        read.json["totals"],
        json!({"locations": 3, "current_stock": 45, "reserved_stock": 4, "available_stock": 41,
               "value_at_cost": 1804.50, "rows_without_cost": 0})
    );
    assert!(
        read.text.contains("\"value_at_cost\":1804.50"),
        "exact money text: {}",
        read.text
    );
    assert_eq!(read.json["product"]["product_id"], "p1");
    assert_eq!(read.json["complete"], true);
}

#[tokio::test]
async fn store_scoped_callers_see_only_their_stores_rows_and_totals() {
    let app = TestApp::new().await;
    app.given_stock(A, "p1", 30).await;
    app.given_row(&row(B, "p1", 12)).await;

    let staff = app.token("staff-ravi", "staff", A);
    let mine = app
        .send_as(Some(&staff), "GET", "/api/v1/inventory/p1", None)
        .await;
    let elsewhere = app.token("staff-z", "staff", "store-z");
    let none = app
        .send_as(Some(&elsewhere), "GET", "/api/v1/inventory/p1", None)
        .await;

    assert_eq!(mine.status, 200, "{}", mine.text);
    assert_eq!(mine.json["count"], 1);
    assert_eq!(mine.json["locations"][0]["store_id"], A);
    assert_eq!(mine.json["totals"]["current_stock"], 30);
    assert_eq!(none.status, 200, "{}", none.text);
    assert_eq!(none.json["count"], 0);
    assert_eq!(none.json["totals"]["current_stock"], 0);
}

#[tokio::test]
async fn an_unknown_product_is_404_and_a_catalog_product_stocked_nowhere_is_empty() {
    let app = TestApp::new().await;
    app.given_product(&product_named("p7", "Toor Dal")).await;

    let unknown = app.get("/api/v1/inventory/p-none").await;
    let unstocked = app.get("/api/v1/inventory/p7").await;

    unknown.assert_problem(404, "product_not_found");
    assert_eq!(unstocked.status, 200, "{}", unstocked.text);
    assert_eq!(unstocked.json["count"], 0);
}

#[tokio::test]
async fn reading_a_product_at_a_thousand_and_fifty_locations_is_bounded_and_says_it_is_incomplete()
{
    let app = TestApp::new().await;
    app.given_product(&product_named("p1", "Everywhere")).await;
    let rows: Vec<_> = (0..1050)
        .map(|n| row(&format!("s{n:04}"), "p1", 1))
        .collect();
    app.given_rows(&rows).await;
    let meter = app.app.db.meter();

    meter.take();
    let read = app.get("/api/v1/inventory/p1").await;
    let usage = meter.take();

    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.json["complete"], false);
    assert_eq!(read.json["count"], 1000);
    assert_eq!(
        usage.calls_of("Query"),
        MAX_PRODUCT_STOCK_QUERIES as u64,
        "{usage:?}"
    );
    assert_eq!(usage.calls_of("GetItem"), 1, "{usage:?}");
    assert!(
        usage.calls_of("BatchGetItem") <= MAX_LOCATION_READS as u64,
        "{usage:?}"
    );
    assert!(usage.total_calls() <= (MAX_PRODUCT_STOCK_QUERIES + 1 + MAX_LOCATION_READS) as u64);
}

#[tokio::test]
async fn the_writes_make_a_fixed_number_of_calls() {
    let app = TestApp::new().await;
    app.given_location(A).await;
    app.given_product(&product_named("p7", "Toor Dal")).await;
    let meter = app.app.db.meter();

    meter.take();
    assert_eq!(
        app.post("/api/v1/inventory", &new_row(A, "p7").to_string())
            .await
            .status,
        201
    );
    let create = meter.take();
    let admin = app.token("admin-1", "admin", "");
    assert_eq!(
        patch_as(&app, &admin, A, "p7", &json!({"reorder_point": 11}))
            .await
            .status,
        200
    );
    let edit = meter.take();

    // Product and location read, then one transaction.
    assert_eq!(
        (
            create.calls_of("GetItem"),
            create.calls_of("TransactWriteItems")
        ),
        (2, 1),
        "{create:?}"
    );
    assert_eq!(create.total_calls(), 3, "{create:?}");
    // The row read, then one transaction.
    assert_eq!(
        (
            edit.calls_of("GetItem"),
            edit.calls_of("TransactWriteItems")
        ),
        (1, 1),
        "{edit:?}"
    );
    assert_eq!(edit.total_calls(), 2, "{edit:?}");
}

// ---------------------------------------------------------------------------------------------
// Routing: literal segments win, as in API Gateway

#[tokio::test]
async fn literal_routes_under_inventory_stay_theirs_and_anything_else_is_a_product_id() {
    let app = TestApp::new().await;
    app.given_stock(A, "p1", 3).await;

    let low = app
        .get(&format!("/api/v1/inventory/low-stock?store_id={A}"))
        .await;
    let summary = app
        .get(&format!("/api/v1/inventory/summary?store_id={A}"))
        .await;
    let units = app.get("/api/v1/inventory/units").await;
    let categories = app.get("/api/v1/inventory/categories").await;
    let product = app.get("/api/v1/inventory/p1").await;

    assert_eq!(low.status, 200, "{}", low.text);
    assert!(
        low.json.get("totals").is_none() && low.json.get("locations").is_none(),
        "{}",
        low.text
    );
    assert_eq!(summary.status, 200, "{}", summary.text);
    assert!(summary.json.get("locations").is_none(), "{}", summary.text);
    assert!(units.json["units"].is_array(), "{}", units.text);
    assert!(
        categories.json["categories"].is_array(),
        "{}",
        categories.text
    );
    assert_eq!(product.json["product_id"], "p1");
    assert!(product.json["locations"].is_array(), "{}", product.text);

    // A route key is method and path together: `adjust` is a POST literal, so a GET of it is a
    // product id (none such here), while a POST no route takes goes to $default.
    let get_adjust = app.get("/api/v1/inventory/adjust").await;
    get_adjust.assert_problem(404, "product_not_found");
    let post_low = app.post("/api/v1/inventory/low-stock", "{}").await;
    post_low.assert_problem(404, "route_not_found");
}

// ---------------------------------------------------------------------------------------------
// Bad input on every new route: 4xx with a precise message, nothing changed

#[tokio::test]
async fn bad_input_on_every_new_route_is_a_4xx_and_changes_nothing() {
    let app = TestApp::new().await;
    app.given_location(A).await;
    app.given_stock(A, "p1", 30).await;
    app.given_product(&product_named("p7", "Toor Dal")).await;
    let admin = app.token("admin-1", "admin", "");
    let before = app.snapshot().await;
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut body = new_row(A, "p7");
        edit(&mut body);
        body.to_string()
    };
    let long = "x".repeat(65);

    let creates: Vec<(String, &str)> = vec![
        ("{\"store_id\": ".to_owned(), "invalid_body"),
        ("[1, 2]".to_owned(), "invalid_body"),
        (
            with(&|b| {
                b["current_stock"] = json!("40");
            }),
            "invalid_parameter",
        ),
        (
            with(&|b| {
                b["current_stock"] = json!(-1);
            }),
            "invalid_parameter",
        ),
        (
            with(&|b| {
                b["current_stock"] = json!(1_000_001);
            }),
            "invalid_parameter",
        ),
        (
            with(&|b| {
                b["max_stock_level"] = json!(1.5);
            }),
            "invalid_parameter",
        ),
        (
            with(&|b| {
                b["min_stock_level"] = json!(500);
            }),
            "invalid_parameter",
        ),
        (
            with(&|b| {
                b["selling_price"] = json!("12.345");
            }),
            "invalid_parameter",
        ),
        (
            with(&|b| {
                b["location"] = json!(long);
            }),
            "invalid_parameter",
        ),
        (
            with(&|b| {
                b["location"] = json!("A1\u{202e}");
            }),
            "invalid_parameter",
        ),
        (
            with(&|b| {
                b["store_id"] = json!("bad store!");
            }),
            "invalid_parameter",
        ),
        (
            with(&|b| {
                b["product_id"] = json!(7);
            }),
            "invalid_parameter",
        ),
        (
            with(&|b| {
                b["lead_time_days"] = json!(400);
            }),
            "invalid_parameter",
        ),
        (
            with(&|b| {
                b["colour"] = json!("red");
            }),
            "invalid_parameter",
        ),
        (
            with(&|b| {
                b.as_object_mut().expect("object").remove("cost_price");
            }),
            "invalid_parameter",
        ),
    ];
    for (body, code) in &creates {
        let refused = app
            .send_as(Some(&admin), "POST", "/api/v1/inventory", Some(body))
            .await;
        refused.assert_problem(400, code);
        assert!(
            !refused.json["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("internal"),
            "{}",
            refused.text
        );
    }
    let patches: Vec<(String, &str)> = vec![
        ("{\"reorder_point\": ".to_owned(), "invalid_body"),
        ("\"reorder_point\"".to_owned(), "invalid_body"),
        (
            json!({"reorder_point": "8"}).to_string(),
            "invalid_parameter",
        ),
        (
            json!({"reorder_point": -8}).to_string(),
            "invalid_parameter",
        ),
        (
            json!({"max_stock_level": 10_000_000}).to_string(),
            "invalid_parameter",
        ),
        (json!({"location": long}).to_string(), "invalid_parameter"),
        (json!({"location": ""}).to_string(), "invalid_parameter"),
        (json!({"location": 12}).to_string(), "invalid_parameter"),
        (
            json!({"lead_time_days": 2.5}).to_string(),
            "invalid_parameter",
        ),
        (
            json!({"selling_price": true}).to_string(),
            "invalid_parameter",
        ),
    ];
    for (body, code) in &patches {
        let refused = app
            .send_as(Some(&admin), "PATCH", &settings_uri(A, "p1"), Some(body))
            .await;
        refused.assert_problem(400, code);
    }
    let bad_paths = [
        (
            "PATCH",
            format!("/api/v1/inventory/products/{A}/bad%20id"),
            Some(json!({"reorder_point": 1}).to_string()),
        ),
        (
            "PATCH",
            format!("/api/v1/inventory/products/{}/p1", "s".repeat(65)),
            Some(json!({"reorder_point": 1}).to_string()),
        ),
        ("GET", format!("/api/v1/inventory/{}", "p".repeat(65)), None),
        ("GET", "/api/v1/inventory/bad%20id".to_owned(), None),
    ];
    for (method, uri, body) in &bad_paths {
        let refused = app
            .send_as(Some(&admin), method, uri, body.as_deref())
            .await;
        refused.assert_problem(400, "invalid_parameter");
    }
    assert_eq!(app.snapshot().await, before);
}
