//! Reorder suggestions from real sales: sales written through the real routes at known times
//! on a manual clock, so velocity, days of cover, quantities and values are exact; the
//! fallbacks, the order and totals; who may ask; bad input; and what one request reads.

use chrono::Duration;
use inventory::db::{MAX_SALES_PAGES, SALES_PAGE_ITEMS};
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::collections::HashMap;
use testkit::{order_in, product_named, routes, row, AttributeValue, Case, TestApp};

const STORE: &str = "s1";

fn suggestions(store: &str, horizon: i64) -> String {
    format!("/api/v1/inventory/reorder-suggestions?store_id={store}&horizon_days={horizon}")
}

/// Removes `units` through `PUT .../stock`, marked as a sale or not.
async fn removed(app: &TestApp, product: &str, units: i64, sale: bool) {
    let mut body = json!({"quantity_change": -units, "reason": "counter"});
    if sale {
        body["sale"] = json!(true);
    }
    let response = app
        .put(&routes::stock(STORE, product), &body.to_string())
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
}

/// Reserves `units` for an order and completes the reservation: a `commit` movement.
async fn sold_online(app: &TestApp, product: &str, units: i64, order_id: &str) {
    let id = app
        .reserved(&order_in(STORE, order_id, &[(product, units)]))
        .await;
    let completed = app.complete(&id).await;
    assert_eq!(completed.status, 200, "{}", completed.text);
}

/// Deducts `units` through the order Lambda's direct invoke: a `deduct` movement.
async fn deducted(app: &TestApp, product: &str, units: i64, order_id: &str) {
    let result = inventory::orders::handle(
        &app.app,
        json!({"action": "deduct", "order_id": order_id, "store_id": STORE,
               "items": [{"product_id": product, "quantity": units}]}),
    )
    .await;
    assert!(result.ok, "{}", serde_json::to_string(&result).unwrap());
}

/// Sets row settings the PATCH route owns, straight on the table.
async fn given_settings(app: &TestApp, product: &str, settings: &[(&str, i64)]) {
    let mut update = app
        .client
        .update_item()
        .table_name(&app.tables.inventory)
        .key("store_id", AttributeValue::S(STORE.into()))
        .key("product_id", AttributeValue::S(product.into()));
    let mut sets = Vec::new();
    for (i, (name, value)) in settings.iter().enumerate() {
        sets.push(format!("#a{i} = :v{i}"));
        update = update
            .expression_attribute_names(format!("#a{i}"), *name)
            .expression_attribute_values(format!(":v{i}"), AttributeValue::N(value.to_string()));
    }
    update
        .update_expression(format!("SET {}", sets.join(", ")))
        .send()
        .await
        .expect("settings written");
}

fn line<'a>(body: &'a Value, product: &str) -> &'a Value {
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|l| l["product_id"] == product)
        .unwrap_or_else(|| panic!("{product} is not on the list: {body}"))
}

/// The answer's numbers as their exact JSON text (`0.5000`, `561.40`): a `Value` would read
/// them as floats and drop the trailing zeros that say how they were rounded.
#[derive(serde::Deserialize)]
struct Exact {
    items: Vec<HashMap<String, Box<RawValue>>>,
    totals: HashMap<String, Box<RawValue>>,
    sales_window: HashMap<String, Box<RawValue>>,
}

impl Exact {
    fn of(text: &str) -> Self {
        serde_json::from_str(text).expect("a reorder answer")
    }

    fn line(&self, product: &str, field: &str) -> String {
        let line = self
            .items
            .iter()
            .find(|l| l["product_id"].get() == format!("\"{product}\""))
            .unwrap_or_else(|| panic!("{product} is not on the list"));
        line[field].get().to_owned()
    }

    fn total(&self, field: &str) -> String {
        self.totals[field].get().to_owned()
    }
}

fn products(body: &Value) -> Vec<&str> {
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|l| l["product_id"].as_str().expect("id"))
        .collect()
}

/// A store on a manual clock, day 0 to day 30:
/// - `p1` (40 units, lead time 3 days): sold 10 on day 0 (outside the window read on day 30),
///   then 4 online (commit, day 3), 8 at the counter marked as sales (day 10) and 2 by order
///   deduction (day 12): 14 in the window. A 5-unit removal not marked as a sale and a 3-unit
///   damage adjustment are not sales. 8 left: 0.5 a day, 16 days of cover.
/// - `p5` (20 units): 14 sold at the counter on day 20: 0.5 a day, 6 left, 12 days of cover.
/// - `p2` (3 units, reorder quantity 24) and `p3` (2 units, no reorder quantity, maximum 100):
///   no sales, at or below the reorder point of 5.
/// - `p4` (50 units): no sales, well stocked.
async fn a_month_of_sales() -> TestApp {
    let app = TestApp::with_manual_clock().await;
    for (product, stock) in [("p1", 40), ("p2", 3), ("p3", 2), ("p4", 50), ("p5", 20)] {
        app.given_stock(STORE, product, stock).await;
    }
    given_settings(&app, "p1", &[("lead_time_days", 3)]).await;
    given_settings(&app, "p2", &[("reorder_quantity", 24)]).await;

    removed(&app, "p1", 10, true).await;
    app.app.clock.advance(Duration::days(3));
    sold_online(&app, "p1", 4, "order-web-1").await;
    app.app.clock.advance(Duration::days(7));
    removed(&app, "p1", 8, true).await;
    removed(&app, "p1", 5, false).await;
    let damaged = app
        .post(
            routes::ADJUST,
            &json!({"store_id": STORE, "product_id": "p1", "quantity_change": -3,
                    "adjustment_type": "damage", "reason": "dropped crate"})
            .to_string(),
        )
        .await;
    assert_eq!(damaged.status, 200, "{}", damaged.text);
    app.app.clock.advance(Duration::days(2));
    deducted(&app, "p1", 2, "order-pos-1").await;
    app.app.clock.advance(Duration::days(8));
    removed(&app, "p5", 14, true).await;
    app.app.clock.advance(Duration::days(10));
    app
}

#[tokio::test]
async fn velocity_days_of_cover_quantity_and_value_are_exact_from_a_known_sequence_of_sales() {
    let app = a_month_of_sales().await;

    let response = app.get(&suggestions(STORE, 30)).await;
    assert_eq!(response.status, 200, "{}", response.text);
    let exact = Exact::of(&response.text);
    let p1 = line(&response.json, "p1");
    // 4 + 8 + 2 = 14 sold in the 28 days before day 30; the 10 of day 0, the unmarked removal
    // and the damage do not count.
    assert_eq!(p1["units_sold"], 14, "{p1}");
    assert_eq!(exact.line("p1", "sales_velocity"), "0.5000");
    assert_eq!(p1["available_stock"], 8);
    assert_eq!(exact.line("p1", "days_of_cover"), "16.00");
    // ceil(0.5 × (3 + 30)) = 17, + reorder point 5, − 8 available = 14; at 40.10 each.
    assert_eq!(p1["lead_time_days"], 3);
    assert_eq!(p1["suggested_quantity"], 14);
    assert_eq!(p1["basis"], "sales_velocity");
    assert_eq!(exact.line("p1", "value_at_cost"), "561.40");
    assert_eq!(p1["runs_out_within_horizon"], true);
    assert_eq!(p1["at_or_below_reorder_point"], false);

    let p5 = line(&response.json, "p5");
    assert_eq!(exact.line("p5", "days_of_cover"), "12.00");
    // No lead time set: 7 days. ceil(0.5 × 37) = 19, + 5 − 6 = 18.
    assert_eq!(
        (
            p5["lead_time_days"].as_i64(),
            p5["suggested_quantity"].as_i64()
        ),
        (Some(7), Some(18))
    );

    assert_eq!(exact.sales_window["days"].get(), "28.00");
    assert_eq!(response.json["sales_window"]["truncated"], false);
    assert_eq!(response.json["truncated"], false);
}

#[tokio::test]
async fn a_product_is_listed_when_it_runs_out_within_the_horizon_and_not_before() {
    let app = a_month_of_sales().await;

    // p1 has 16 days of cover: out of a 15-day horizon, on a 16-day one (running out on the
    // last day counts).
    let short = app.get(&suggestions(STORE, 15)).await;
    assert_eq!(products(&short.json), ["p5", "p3", "p2"], "{}", short.text);
    let exact = app.get(&suggestions(STORE, 16)).await;
    assert_eq!(
        products(&exact.json),
        ["p5", "p1", "p3", "p2"],
        "{}",
        exact.text
    );
}

#[tokio::test]
async fn without_sales_the_suggestion_falls_back_to_the_reorder_quantity_then_the_gap_to_the_maximum(
) {
    let app = a_month_of_sales().await;

    let response = app.get(&suggestions(STORE, 14)).await;
    let p2 = line(&response.json, "p2");
    assert_eq!(
        (p2["suggested_quantity"].as_i64(), p2["basis"].as_str()),
        (Some(24), Some("reorder_quantity"))
    );
    assert_eq!(p2["days_of_cover"], Value::Null);
    assert_eq!(p2["units_sold"], 0);
    assert_eq!(p2["at_or_below_reorder_point"], true);
    let p3 = line(&response.json, "p3");
    // Maximum 100 (the fixture's), 2 available.
    assert_eq!(
        (p3["suggested_quantity"].as_i64(), p3["basis"].as_str()),
        (Some(98), Some("max_stock_gap"))
    );
    assert_eq!(
        Exact::of(&response.text).line("p3", "value_at_cost"),
        "3929.80"
    );
}

#[tokio::test]
async fn the_list_runs_soonest_out_first_with_exact_totals_for_the_store() {
    let app = a_month_of_sales().await;

    let response = app.get(&suggestions(STORE, 30)).await;
    // p5 (12 days), p1 (16 days), then those without sales, emptiest first; p4 is not due.
    assert_eq!(
        products(&response.json),
        ["p5", "p1", "p3", "p2"],
        "{}",
        response.text
    );
    assert_eq!(response.json["count"], 4);
    let totals = &response.json["totals"];
    // 18 + 14 + 98 + 24 units at 40.10.
    assert_eq!(totals["count"], 4);
    assert_eq!(totals["units"], 154);
    assert_eq!(Exact::of(&response.text).total("value_at_cost"), "6175.40");
    assert_eq!(totals["without_cost_price"], 0);
    assert_eq!(response.json["horizon_days"], 30);
}

#[tokio::test]
async fn a_known_store_with_no_rows_has_no_suggestions() {
    let app = TestApp::new().await;
    app.given_location("new-store").await;

    let response = app.get(&suggestions("new-store", 14)).await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        (
            response.json["count"].as_i64(),
            response.json["totals"]["units"].as_i64()
        ),
        (Some(0), Some(0))
    );
}

#[tokio::test]
async fn a_store_manager_reads_their_own_store_and_is_refused_403_for_another() {
    let app = a_month_of_sales().await;
    app.given_stock("s2", "p1", 1).await;
    let manager = app.token("meera", "store_manager", STORE);

    let own = app
        .send_as(Some(&manager), "GET", &suggestions(STORE, 14), None)
        .await;
    assert_eq!(own.status, 200, "{}", own.text);
    let other = app
        .send_as(Some(&manager), "GET", &suggestions("s2", 14), None)
        .await;
    other.assert_problem(403, "forbidden");
    // Nor may they learn whether a store exists.
    app.send_as(Some(&manager), "GET", &suggestions("nowhere", 14), None)
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn staff_and_the_order_system_may_not_read_reorder_suggestions() {
    let app = a_month_of_sales().await;
    for roles in ["staff", "service"] {
        let token = app.token("someone", roles, STORE);
        app.send_as(Some(&token), "GET", &suggestions(STORE, 14), None)
            .await
            .assert_problem(403, "forbidden");
    }
}

#[tokio::test]
async fn an_unknown_store_answers_404() {
    let app = TestApp::new().await;
    app.get(&suggestions("nowhere", 14))
        .await
        .assert_problem(404, "store_not_found");
}

#[tokio::test]
async fn bad_input_answers_400_naming_the_field_and_changes_nothing() {
    let app = a_month_of_sales().await;
    let before = app.snapshot().await;
    let base = "/api/v1/inventory/reorder-suggestions";

    app.assert_refused(&[
        Case::get(
            format!("{base}?store_id={STORE}&horizon_days=0"),
            "horizon_days",
        ),
        Case::get(
            format!("{base}?store_id={STORE}&horizon_days=366"),
            "horizon_days",
        ),
        Case::get(
            format!("{base}?store_id={STORE}&horizon_days=-1"),
            "horizon_days",
        ),
        Case::get(
            format!("{base}?store_id={STORE}&horizon_days=two"),
            "horizon_days",
        ),
        Case::get(
            format!("{base}?store_id={STORE}&horizon_days=1.5"),
            "horizon_days",
        ),
        Case::get(format!("{base}?horizon_days=14"), "store_id"),
        Case::get(format!("{base}?store_id=&horizon_days=14"), "store_id"),
        Case::get(format!("{base}?store_id=a%20b"), "store_id"),
    ])
    .await;
    let refused = app
        .get(&format!("{base}?store_id={STORE}&horizon_days=0"))
        .await;
    assert_eq!(
        refused.json["detail"], "horizon_days must be a whole number from 1 to 365",
        "{}",
        refused.text
    );
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn the_horizon_defaults_to_14_days() {
    let app = a_month_of_sales().await;
    let response = app
        .get(&format!(
            "/api/v1/inventory/reorder-suggestions?store_id={STORE}"
        ))
        .await;
    assert_eq!(response.json["horizon_days"], 14, "{}", response.text);
}

#[tokio::test]
async fn only_a_removal_may_be_marked_as_a_sale_and_a_refused_marker_changes_nothing() {
    let app = TestApp::new().await;
    app.given_stock(STORE, "p1", 10).await;
    let before = app.snapshot().await;
    let stock = routes::stock(STORE, "p1");

    app.assert_refused(&[
        Case::put(
            &stock,
            json!({"quantity_change": 3, "sale": true}),
            400,
            "invalid_parameter",
            Some("sale"),
        ),
        Case::put(
            &stock,
            json!({"new_stock": 4, "expected_stock": 10, "sale": true}),
            400,
            "invalid_parameter",
            Some("sale"),
        ),
        Case::put(
            &stock,
            json!({"quantity_change": -3, "sale": "yes"}),
            400,
            "invalid_body",
            None,
        ),
    ])
    .await;
    assert_eq!(app.snapshot().await, before);

    // Accepted on a removal, and shown in the history.
    let sold = app
        .put(
            &stock,
            &json!({"quantity_change": -3, "sale": true}).to_string(),
        )
        .await;
    assert_eq!(sold.status, 200, "{}", sold.text);
    let history = app.history(STORE, "p1").await;
    assert_eq!(history.last().expect("a movement")["sale"], true);
}

/// Sale entries as the ledger writes them (movement keys plus the sparse index's attributes),
/// written in bulk: seeding thousands of sales through the API would take minutes.
async fn given_sales(app: &TestApp, store: &str, products: usize, sales: usize) {
    let now = app.app.now().timestamp_millis();
    let items = (0..sales).map(|n| {
        let product = format!("p{:05}", n % products);
        std::collections::HashMap::from([
            (
                "pk".to_owned(),
                AttributeValue::S(format!("MOV#{store}#{product}")),
            ),
            ("sk".to_owned(), AttributeValue::S(format!("SEQ#{n:012}"))),
            ("product_id".to_owned(), AttributeValue::S(product)),
            (
                "sale_store_id".to_owned(),
                AttributeValue::S(store.to_owned()),
            ),
            (
                "sale_at".to_owned(),
                AttributeValue::N((now - 1000 * n as i64).to_string()),
            ),
            ("sale_units".to_owned(), AttributeValue::N("1".into())),
        ])
    });
    app.given_items(&app.tables.ledger, items).await;
}

async fn store_of(app: &TestApp, store: &str, products: usize) {
    let rows: Vec<_> = (0..products)
        .map(|n| {
            let id = format!("p{n:05}");
            let mut r = row(store, &id, 3);
            r.denormalise(&product_named(&id, &format!("Product {n}")));
            r
        })
        .collect();
    app.given_rows(&rows).await;
}

#[tokio::test]
async fn a_store_of_300_products_and_2500_sales_is_read_in_a_handful_of_calls_not_one_per_product()
{
    let app = TestApp::with_manual_clock().await;
    store_of(&app, "big", 300).await;
    given_sales(&app, "big", 300, 2500).await;
    let meter = app.app.db.meter();

    meter.take();
    let response = app.get(&suggestions("big", 14)).await;
    let usage = meter.take();
    assert_eq!(response.status, 200, "{}", response.text);
    // Every row is at its reorder point (3 ≤ 5): all 300 listed, each with its sales.
    assert_eq!(response.json["count"], 300);
    let sold: i64 = response.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["units_sold"].as_i64().unwrap())
        .sum();
    assert_eq!(sold, 2500);
    // One Query of the store's rows, and the sales in pages of 1,000: 3 Queries.
    let sales_pages = 2500_u64.div_ceil(SALES_PAGE_ITEMS as u64);
    assert_eq!(usage.calls_of("Query"), 1 + sales_pages, "{usage:?}");
    assert_eq!(usage.total_calls(), 1 + sales_pages, "{usage:?}");
}

#[tokio::test]
async fn a_store_with_more_sales_than_one_request_reads_is_measured_over_the_newest_part_and_says_so(
) {
    let app = TestApp::with_manual_clock().await;
    store_of(&app, "busy", 10).await;
    let cap = MAX_SALES_PAGES * SALES_PAGE_ITEMS as usize;
    // One sale a second, newest now: the cap's worth spans `cap` seconds.
    given_sales(&app, "busy", 10, cap + 50).await;
    let meter = app.app.db.meter();

    meter.take();
    let response = app.get(&suggestions("busy", 14)).await;
    let usage = meter.take();
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        usage.calls_of("Query"),
        1 + MAX_SALES_PAGES as u64,
        "{usage:?}"
    );
    assert_eq!(response.json["truncated"], true);
    let window = &response.json["sales_window"];
    assert_eq!(window["truncated"], true);
    // The newest `cap` sales, 1 s apart: a window of cap − 1 seconds, well under a day.
    assert_eq!(
        Exact::of(&response.text).sales_window["days"].get(),
        "0.12",
        "{window}"
    );
    let sold: i64 = response.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["units_sold"].as_i64().unwrap())
        .sum();
    assert_eq!(sold, cap as i64);
}

#[tokio::test]
async fn a_returned_order_is_netted_against_the_sale_it_undoes() {
    let app = TestApp::with_manual_clock().await;
    app.given_stock(STORE, "p1", 10).await;
    let placed = app
        .post(
            "/api/v1/orders",
            &json!({"order_id": "order-r1", "store_id": STORE, "customer_id": "cust-1",
                    "items": [{"product_id": "p1", "quantity": 4}]})
            .to_string(),
        )
        .await;
    assert_eq!(placed.status, 201, "{}", placed.text);
    let step = |status: &'static str| {
        let app = &app;
        async move {
            let moved = app
                .post(
                    "/api/v1/orders/order-r1/status",
                    &json!({ "status": status }).to_string(),
                )
                .await;
            assert_eq!(moved.status, 200, "{status}: {}", moved.text);
        }
    };
    // p1 is listed while it sells (6 units at 4 in 28 days last 42 days, within 365), and
    // not once nothing is sold and it is above its reorder point.
    let units_sold = || async {
        let response = app.get(&suggestions(STORE, 365)).await;
        assert_eq!(response.status, 200, "{}", response.text);
        response.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|l| l["product_id"] == "p1")
            .and_then(|l| l["units_sold"].as_i64())
    };

    // Confirmed: the reservation is committed, a sale of 4; 6 left.
    step("CONFIRMED").await;
    assert_eq!(units_sold().await, Some(4));
    for status in ["PROCESSING", "SHIPPED", "DELIVERED", "RETURNED"] {
        step(status).await;
    }
    // Returned: the 4 come back, and the sale they undo no longer counts.
    assert_eq!(units_sold().await, None);
    let history = app.history(STORE, "p1").await;
    assert_eq!(
        history.last().expect("a movement")["movement_type"],
        "return"
    );
}
