//! Reservations over HTTP: holding an order's stock, completing, releasing and expiring it, the
//! audited adjustments beside them, and the ledger every one of those changes writes.

use chrono::{DateTime, Duration, Utc};
use futures::future::join_all;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use testkit::{TestApp, TestResponse};

const RESERVE: &str = "/api/v1/inventory/reserve";
const RELEASE: &str = "/api/v1/inventory/release";
const ADJUST: &str = "/api/v1/inventory/adjust";
const RESERVATIONS: &str = "/api/v1/reservations";

/// A reserve body for `order_id` in store `s1`, one line per `(product, quantity)`.
fn order(order_id: &str, items: &[(&str, i64)]) -> Value {
    order_in("s1", order_id, items)
}

fn order_in(store: &str, order_id: &str, items: &[(&str, i64)]) -> Value {
    json!({
        "store_id": store,
        "order_id": order_id,
        "items": items
            .iter()
            .map(|(product, quantity)| json!({"product_id": product, "quantity": quantity}))
            .collect::<Vec<_>>(),
    })
}

/// The same body with an explicit hold time.
fn expiring(mut body: Value, minutes: i64) -> Value {
    body["expires_in_minutes"] = json!(minutes);
    body
}

async fn reserve(app: &TestApp, body: &Value) -> TestResponse {
    app.post(RESERVE, &body.to_string()).await
}

/// Reserves `body`, which must succeed as a new reservation, and answers its id.
async fn reserved(app: &TestApp, body: &Value) -> String {
    let response = reserve(app, body).await;
    assert_eq!(response.status, 201, "reserve {body}: {}", response.text);
    response.json["reservation_id"]
        .as_str()
        .expect("a reservation id")
        .to_owned()
}

async fn complete(app: &TestApp, id: &str) -> TestResponse {
    app.post(&format!("{RESERVATIONS}/{id}/complete"), "").await
}

async fn release(app: &TestApp, id: &str) -> TestResponse {
    app.post(&format!("{RESERVATIONS}/{id}/release"), "").await
}

/// The stored row's (current, reserved, available).
async fn stock_of(app: &TestApp, store: &str, product: &str) -> (i64, i64, i64) {
    let row = app
        .stored_row(store, product)
        .await
        .expect("the row exists");
    (row.current_stock, row.reserved_stock, row.available_stock)
}

/// A product's movements through GET history, oldest first.
async fn history(app: &TestApp, store: &str, product: &str) -> Vec<Value> {
    let response = app
        .get(&format!(
            "/api/v1/inventory/history/{store}/{product}?limit=100"
        ))
        .await;
    assert_eq!(response.status, 200, "history: {}", response.text);
    let mut movements = response.json["movements"]
        .as_array()
        .expect("movements")
        .clone();
    movements.reverse();
    movements
}

fn stock_before(movement: &Value) -> (i64, i64, i64) {
    quantities(movement, "before")
}

fn stock_after(movement: &Value) -> (i64, i64, i64) {
    quantities(movement, "after")
}

fn quantities(movement: &Value, when: &str) -> (i64, i64, i64) {
    let get = |what: &str| {
        movement[format!("{what}_{when}")]
            .as_i64()
            .unwrap_or_else(|| panic!("{what}_{when} in {movement}"))
    };
    (get("current"), get("reserved"), get("available"))
}

fn movement_types(movements: &[Value]) -> Vec<&str> {
    movements
        .iter()
        .map(|m| m["movement_type"].as_str().expect("movement_type"))
        .collect()
}

fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().expect("a timestamp"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

fn to_the_millisecond(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).expect("a valid time")
}

fn ids(response: &TestResponse) -> Vec<String> {
    response.json["reservations"]
        .as_array()
        .unwrap_or_else(|| panic!("reservations in {}", response.text))
        .iter()
        .map(|r| r["reservation_id"].as_str().expect("id").to_owned())
        .collect()
}

fn lines(response: &TestResponse) -> BTreeSet<(String, i64, i64)> {
    response.json["lines"]
        .as_array()
        .unwrap_or_else(|| panic!("lines in {}", response.text))
        .iter()
        .map(|l| {
            (
                l["product_id"].as_str().expect("product_id").to_owned(),
                l["requested"].as_i64().expect("requested"),
                l["available"].as_i64().expect("available"),
            )
        })
        .collect()
}

/// A 409 `reservation_not_active` for reservation `id`, which is `now` (`released`, ...).
fn assert_not_active(response: &TestResponse, id: &str, now: &str) {
    response.assert_problem(409, "reservation_not_active");
    assert_eq!(response.json["reservation_id"], id, "{}", response.text);
    assert_eq!(
        response.json["reservation_status"], now,
        "the problem says what the reservation is: {}",
        response.text
    );
}

fn short(product: &str, requested: i64, available: i64) -> (String, i64, i64) {
    (product.to_owned(), requested, available)
}

// ---------------------------------------------------------------------------------------------
// Reserving

#[tokio::test]
async fn reserve_moves_units_from_available_to_reserved_and_writes_one_reserve_movement_per_line() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    app.given_stock("s1", "p2", 5).await;

    let response = reserve(&app, &order("o1", &[("p1", 3), ("p2", 2)])).await;

    assert_eq!(response.status, 201, "{}", response.text);
    let body = &response.json;
    let id = body["reservation_id"].as_str().expect("reservation_id");
    assert!(!id.is_empty(), "a reservation id: {body}");
    assert_eq!(body["status"], "active", "a new reservation is active");
    assert_eq!(body["store_id"], "s1", "{body}");
    assert_eq!(body["order_id"], "o1", "{body}");
    assert_eq!(
        body["lines"],
        json!([{"product_id": "p1", "quantity": 3}, {"product_id": "p2", "quantity": 2}]),
        "the reservation lists its lines"
    );
    assert_eq!(
        time(&body["expires_at"]) - time(&body["created_at"]),
        Duration::minutes(15),
        "expires 15 minutes after it was created by default: {body}"
    );
    assert_eq!(
        stock_of(&app, "s1", "p1").await,
        (10, 3, 7),
        "p1: 3 moved from available to reserved, on hand unchanged"
    );
    assert_eq!(
        stock_of(&app, "s1", "p2").await,
        (5, 2, 3),
        "p2: 2 moved from available to reserved, on hand unchanged"
    );
    for (product, quantity, was, is) in [
        ("p1", 3, (10, 0, 10), (10, 3, 7)),
        ("p2", 2, (5, 0, 5), (5, 2, 3)),
    ] {
        let movements = history(&app, "s1", product).await;
        assert_eq!(
            movement_types(&movements),
            ["reserve"],
            "{product}: exactly one reserve movement"
        );
        let m = &movements[0];
        assert_eq!(
            m["delta"], quantity,
            "{product}: the movement's quantity: {m}"
        );
        assert_eq!(stock_before(m), was, "{product}: quantities before: {m}");
        assert_eq!(stock_after(m), is, "{product}: quantities after: {m}");
        assert_eq!(
            m["reservation_id"], id,
            "{product}: names the reservation: {m}"
        );
        assert_eq!(m["order_id"], "o1", "{product}: names the order: {m}");
    }
}

#[tokio::test]
async fn lines_for_the_same_product_are_summed_before_the_stock_is_checked() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 5).await;
    let untouched = app.snapshot().await;

    let too_many = reserve(&app, &order("o1", &[("p1", 3), ("p1", 3)])).await;
    let snapshot_after_refusal = app.snapshot().await;
    let exactly_enough = reserve(&app, &order("o2", &[("p1", 2), ("p1", 3)])).await;

    too_many.assert_problem(409, "insufficient_stock");
    assert_eq!(
        lines(&too_many),
        BTreeSet::from([short("p1", 6, 5)]),
        "two lines of 3 are refused as one line of 6"
    );
    assert_eq!(
        snapshot_after_refusal, untouched,
        "the refused order wrote nothing"
    );
    assert_eq!(exactly_enough.status, 201, "{}", exactly_enough.text);
    assert_eq!(
        exactly_enough.json["lines"],
        json!([{"product_id": "p1", "quantity": 5}]),
        "lines of 2 and 3 are held as one line of 5"
    );
    assert_eq!(stock_of(&app, "s1", "p1").await, (5, 5, 0), "all 5 held");
}

#[tokio::test]
async fn reserve_fails_with_409_listing_every_short_line_and_reserves_nothing() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    app.given_stock("s1", "p2", 2).await;
    app.given_stock("s1", "p3", 10).await;
    app.given_stock("s1", "p4", 0).await;
    let before = app.snapshot().await;

    let response = reserve(
        &app,
        &order("o1", &[("p1", 4), ("p2", 3), ("p3", 4), ("p4", 1)]),
    )
    .await;

    response.assert_problem(409, "insufficient_stock");
    assert_eq!(
        lines(&response),
        BTreeSet::from([short("p2", 3, 2), short("p4", 1, 0)]),
        "every short line, and only the short lines"
    );
    assert_eq!(
        app.snapshot().await,
        before,
        "all or nothing: no row, reservation, order marker or movement was written"
    );
}

#[tokio::test]
async fn the_same_order_sent_again_returns_the_original_reservation_and_holds_the_stock_once() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    app.given_stock("s1", "p2", 10).await;
    let body = order("o1", &[("p1", 3), ("p2", 2)]);

    let first = reserve(&app, &body).await;
    let again = reserve(&app, &body).await;
    // The same lines, split and in another order, are the same request.
    let reworded = reserve(&app, &order("o1", &[("p2", 2), ("p1", 1), ("p1", 2)])).await;

    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(again.status, 200, "a repeat answers 200: {}", again.text);
    assert_eq!(
        again.json, first.json,
        "a repeat answers the original reservation"
    );
    assert_eq!(reworded.status, 200, "{}", reworded.text);
    assert_eq!(
        reworded.json, first.json,
        "the same summed lines are the same order"
    );
    assert_eq!(stock_of(&app, "s1", "p1").await, (10, 3, 7), "p1 held once");
    assert_eq!(stock_of(&app, "s1", "p2").await, (10, 2, 8), "p2 held once");
    assert_eq!(
        movement_types(&history(&app, "s1", "p1").await),
        ["reserve"],
        "one reserve movement"
    );
}

#[tokio::test]
async fn twenty_concurrent_submissions_of_one_order_make_exactly_one_reservation() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 100).await;
    app.given_stock("s1", "p2", 100).await;
    let body = order("o1", &[("p1", 3), ("p2", 2)]).to_string();

    let responses = join_all((0..20).map(|_| app.post(RESERVE, &body))).await;

    for r in &responses {
        assert!(
            r.status == 200 || r.status == 201,
            "every submission succeeds: {} {}",
            r.status,
            r.text
        );
    }
    let created = responses.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 1, "exactly one submission created the reservation");
    let distinct: BTreeSet<&str> = responses
        .iter()
        .map(|r| r.json["reservation_id"].as_str().expect("reservation_id"))
        .collect();
    assert_eq!(
        distinct.len(),
        1,
        "every answer names the same reservation: {distinct:?}"
    );
    assert_eq!(
        stock_of(&app, "s1", "p1").await,
        (100, 3, 97),
        "p1 held once"
    );
    assert_eq!(
        stock_of(&app, "s1", "p2").await,
        (100, 2, 98),
        "p2 held once"
    );
    for product in ["p1", "p2"] {
        assert_eq!(
            movement_types(&history(&app, "s1", product).await),
            ["reserve"],
            "{product}: exactly one reserve movement"
        );
    }
    let listed = app.get(&format!("{RESERVATIONS}?store_id=s1")).await;
    assert_eq!(
        ids(&listed).len(),
        1,
        "one reservation stored: {}",
        listed.text
    );
}

#[tokio::test]
async fn a_different_request_under_the_same_order_id_answers_409_idempotency_mismatch() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    app.given_stock("s1", "p2", 10).await;
    let original = reserved(&app, &order("o1", &[("p1", 3)])).await;
    let before = app.snapshot().await;

    let more = reserve(&app, &order("o1", &[("p1", 4)])).await;
    let longer = reserve(&app, &expiring(order("o1", &[("p1", 3)]), 30)).await;
    let elsewhere = reserve(&app, &order("o1", &[("p1", 3), ("p2", 1)])).await;

    for response in [&more, &longer, &elsewhere] {
        response.assert_problem(409, "idempotency_mismatch");
        assert_eq!(
            response.json["reservation_id"], original,
            "names the order's reservation: {}",
            response.text
        );
    }
    assert_eq!(app.snapshot().await, before, "nothing changed");
}

#[tokio::test]
async fn an_order_may_name_49_distinct_products_but_not_50() {
    let app = TestApp::new().await;
    let products: Vec<String> = (0..50).map(|i| format!("p{i:02}")).collect();
    join_all(products[..49].iter().map(|p| app.given_stock("s1", p, 5))).await;
    // 49 distinct products over 60 lines: the limit counts products, not lines.
    let mut fit: Vec<(&str, i64)> = products[..49].iter().map(|p| (p.as_str(), 1)).collect();
    fit.extend(products[..11].iter().map(|p| (p.as_str(), 1)));
    let too_many: Vec<(&str, i64)> = products.iter().map(|p| (p.as_str(), 1)).collect();

    let refused = reserve(&app, &order("o-big", &too_many)).await;
    let accepted = reserve(&app, &order("o-fit", &fit)).await;

    refused.assert_problem(400, "invalid_parameter");
    assert_eq!(refused.json["field"], "items", "{}", refused.text);
    assert!(
        refused.json["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("49"),
        "the detail names the limit: {}",
        refused.text
    );
    assert_eq!(accepted.status, 201, "{}", accepted.text);
    assert_eq!(
        accepted.json["lines"].as_array().map(Vec::len),
        Some(49),
        "one line per product"
    );
    assert_eq!(
        stock_of(&app, "s1", "p00").await,
        (5, 2, 3),
        "p00 was named twice"
    );
    assert_eq!(
        stock_of(&app, "s1", "p48").await,
        (5, 1, 4),
        "p48 was named once"
    );
}

#[tokio::test]
async fn expiry_defaults_to_15_minutes_and_must_be_between_1_and_1440_minutes() {
    let app = TestApp::with_manual_clock().await;
    app.given_stock("s1", "p1", 10).await;
    let now = app.app.clock.now();
    let before = app.snapshot().await;

    let zero = reserve(&app, &expiring(order("o0", &[("p1", 1)]), 0)).await;
    let too_long = reserve(&app, &expiring(order("o1441", &[("p1", 1)]), 1441)).await;
    let refusals_left = app.snapshot().await;
    let default = reserve(&app, &order("o-default", &[("p1", 1)])).await;
    let longest = reserve(&app, &expiring(order("o1440", &[("p1", 1)]), 1440)).await;
    let shortest = reserve(&app, &expiring(order("o1", &[("p1", 1)]), 1)).await;

    for refused in [&zero, &too_long] {
        refused.assert_problem(400, "invalid_parameter");
        assert_eq!(
            refused.json["field"], "expires_in_minutes",
            "{}",
            refused.text
        );
    }
    assert_eq!(refusals_left, before, "the refused holds wrote nothing");
    for (response, minutes) in [(&default, 15), (&longest, 1440), (&shortest, 1)] {
        assert_eq!(response.status, 201, "{minutes} minutes: {}", response.text);
        assert_eq!(
            time(&response.json["created_at"]),
            to_the_millisecond(now),
            "created at the clock's time"
        );
        assert_eq!(
            time(&response.json["expires_at"]),
            to_the_millisecond(now) + Duration::minutes(minutes),
            "expires {minutes} minutes later"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Completing and releasing

#[tokio::test]
async fn complete_ships_the_reserved_units_once_however_often_it_is_sent() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    app.given_stock("s1", "p2", 5).await;
    let id = reserved(&app, &order("o1", &[("p1", 3), ("p2", 2)])).await;

    let first = complete(&app, &id).await;
    let after_first = app.snapshot().await;
    let again = complete(&app, &id).await;

    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.json["status"], "completed", "{}", first.text);
    assert_eq!(
        stock_of(&app, "s1", "p1").await,
        (7, 0, 7),
        "p1: on hand and reserved drop by 3, available unchanged"
    );
    assert_eq!(
        stock_of(&app, "s1", "p2").await,
        (3, 0, 3),
        "p2: on hand and reserved drop by 2, available unchanged"
    );
    let p1 = history(&app, "s1", "p1").await;
    assert_eq!(
        movement_types(&p1),
        ["reserve", "commit"],
        "a commit movement follows"
    );
    assert_eq!(stock_before(&p1[1]), (10, 3, 7), "commit before: {}", p1[1]);
    assert_eq!(stock_after(&p1[1]), (7, 0, 7), "commit after: {}", p1[1]);
    assert_eq!(p1[1]["reservation_id"], id.as_str(), "{}", p1[1]);
    assert_eq!(
        again.status, 200,
        "completing again is fine: {}",
        again.text
    );
    assert_eq!(again.json["status"], "completed", "{}", again.text);
    assert_eq!(
        app.snapshot().await,
        after_first,
        "the second completion changed nothing"
    );
}

#[tokio::test]
async fn completing_a_released_reservation_answers_409_reservation_not_active() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    let id = reserved(&app, &order("o1", &[("p1", 3)])).await;
    assert_eq!(release(&app, &id).await.status, 200, "released");
    let before = app.snapshot().await;

    let response = complete(&app, &id).await;

    assert_not_active(&response, &id, "released");
    assert_eq!(app.snapshot().await, before, "nothing changed");
    assert_eq!(
        stock_of(&app, "s1", "p1").await,
        (10, 0, 10),
        "nothing shipped"
    );
}

#[tokio::test]
async fn release_returns_the_units_to_available_once_however_often_it_is_sent() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    let id = reserved(&app, &order("o1", &[("p1", 3)])).await;

    let first = release(&app, &id).await;
    let after_first = app.snapshot().await;
    let again = release(&app, &id).await;

    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.json["status"], "released", "{}", first.text);
    assert_eq!(
        stock_of(&app, "s1", "p1").await,
        (10, 0, 10),
        "the 3 units are available again"
    );
    let movements = history(&app, "s1", "p1").await;
    assert_eq!(
        movement_types(&movements),
        ["reserve", "release"],
        "one release movement"
    );
    assert_eq!(stock_before(&movements[1]), (10, 3, 7), "{}", movements[1]);
    assert_eq!(stock_after(&movements[1]), (10, 0, 10), "{}", movements[1]);
    assert_eq!(again.status, 200, "releasing again is fine: {}", again.text);
    assert_eq!(again.json["status"], "released", "{}", again.text);
    assert_eq!(
        app.snapshot().await,
        after_first,
        "the second release changed nothing"
    );
}

#[tokio::test]
async fn inventory_release_finds_the_reservation_by_id_or_by_store_and_order() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    let by_id = reserved(&app, &order("o1", &[("p1", 3)])).await;
    let by_order = reserved(&app, &order("o2", &[("p1", 4)])).await;
    assert_eq!(stock_of(&app, "s1", "p1").await, (10, 7, 3), "both held");

    let first = app
        .post(RELEASE, &json!({"reservation_id": by_id}).to_string())
        .await;
    let second = app
        .post(RELEASE, r#"{"store_id": "s1", "order_id": "o2"}"#)
        .await;
    let after_both = app.snapshot().await;
    let repeat = app
        .post(RELEASE, r#"{"store_id": "s1", "order_id": "o2"}"#)
        .await;

    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(
        first.json["reservation_id"],
        by_id.as_str(),
        "{}",
        first.text
    );
    assert_eq!(first.json["status"], "released", "{}", first.text);
    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(
        second.json["reservation_id"],
        by_order.as_str(),
        "{}",
        second.text
    );
    assert_eq!(second.json["status"], "released", "{}", second.text);
    assert_eq!(
        stock_of(&app, "s1", "p1").await,
        (10, 0, 10),
        "all available again"
    );
    assert_eq!(repeat.status, 200, "{}", repeat.text);
    assert_eq!(
        app.snapshot().await,
        after_both,
        "the repeat changed nothing"
    );
}

#[tokio::test]
async fn releasing_a_completed_reservation_answers_409_and_changes_nothing() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    let id = reserved(&app, &order("o1", &[("p1", 3)])).await;
    assert_eq!(complete(&app, &id).await.status, 200, "completed");
    let before = app.snapshot().await;

    let by_path = release(&app, &id).await;
    let by_id = app
        .post(RELEASE, &json!({"reservation_id": id}).to_string())
        .await;
    let by_order = app
        .post(RELEASE, r#"{"store_id": "s1", "order_id": "o1"}"#)
        .await;

    for response in [&by_path, &by_id, &by_order] {
        assert_not_active(response, &id, "completed");
    }
    assert_eq!(app.snapshot().await, before, "nothing changed");
    assert_eq!(
        stock_of(&app, "s1", "p1").await,
        (7, 0, 7),
        "the shipment stands"
    );
}

#[tokio::test]
async fn a_reservation_not_active_problem_keeps_its_numeric_http_status() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    let id = reserved(&app, &order("o1", &[("p1", 3)])).await;
    assert_eq!(release(&app, &id).await.status, 200, "released");

    let response = complete(&app, &id).await;

    assert_eq!(
        response.text.matches(r#""status":"#).count(),
        1,
        "one `status` member in the problem document: {}",
        response.text
    );
    response.assert_problem(409, "reservation_not_active");
}

// ---------------------------------------------------------------------------------------------
// Expiry

#[tokio::test]
async fn a_reservation_past_its_time_reads_expired_and_the_sweep_returns_its_units() {
    let app = TestApp::with_manual_clock().await;
    app.given_stock("s1", "p1", 10).await;
    let id = reserved(&app, &expiring(order("o1", &[("p1", 3)]), 1)).await;
    let listed_in_time = app.get(&format!("{RESERVATIONS}/expired")).await;
    assert_eq!(
        ids(&listed_in_time),
        Vec::<String>::new(),
        "nothing is due yet"
    );

    app.app.clock.advance(Duration::minutes(2));
    let read = app.get(&format!("{RESERVATIONS}/{id}")).await;
    let due = app.get(&format!("{RESERVATIONS}/expired")).await;
    let report = inventory::expiry::sweep(&app.app).await;
    let read_after_sweep = app.get(&format!("{RESERVATIONS}/{id}")).await;
    let due_after_sweep = app.get(&format!("{RESERVATIONS}/expired")).await;
    let late_completion = complete(&app, &id).await;
    let second = inventory::expiry::sweep(&app.app).await;

    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(
        read.json["status"], "expired",
        "past its time it reads expired before the sweep"
    );
    assert_eq!(due.status, 200, "{}", due.text);
    assert_eq!(ids(&due), [id.as_str()], "the expired list names it");
    assert_eq!(report.expired, 1, "the sweep released it: {report:?}");
    assert_eq!((report.skipped, report.failed), (0, 0), "{report:?}");
    assert_eq!(
        stock_of(&app, "s1", "p1").await,
        (10, 0, 10),
        "the units are available again"
    );
    let movements = history(&app, "s1", "p1").await;
    assert_eq!(
        movement_types(&movements),
        ["reserve", "expire"],
        "an expire movement"
    );
    assert_eq!(stock_before(&movements[1]), (10, 3, 7), "{}", movements[1]);
    assert_eq!(stock_after(&movements[1]), (10, 0, 10), "{}", movements[1]);
    assert_eq!(
        movements[1]["reservation_id"],
        id.as_str(),
        "{}",
        movements[1]
    );
    assert_eq!(
        read_after_sweep.json["status"], "expired",
        "{}",
        read_after_sweep.text
    );
    assert_eq!(ids(&due_after_sweep), Vec::<String>::new(), "no longer due");
    assert_not_active(&late_completion, &id, "expired");
    assert_eq!(
        second.expired, 0,
        "a second sweep expires nothing: {second:?}"
    );
    assert_eq!(
        stock_of(&app, "s1", "p1").await,
        (10, 0, 10),
        "nothing shipped late"
    );
}

#[tokio::test]
async fn completing_an_active_reservation_past_its_expiry_answers_409_and_changes_nothing() {
    let app = TestApp::with_manual_clock().await;
    app.given_stock("s1", "p1", 10).await;
    let id = reserved(&app, &expiring(order("o1", &[("p1", 3)]), 1)).await;
    app.app.clock.advance(Duration::seconds(61));
    let before = app.snapshot().await;

    let response = complete(&app, &id).await;

    assert_not_active(&response, &id, "expired");
    assert_eq!(
        app.snapshot().await,
        before,
        "nothing changed, not even the reservation"
    );
    assert_eq!(
        stock_of(&app, "s1", "p1").await,
        (10, 3, 7),
        "still held until the sweep"
    );
}

#[tokio::test]
async fn the_same_order_sent_after_its_reservation_expired_answers_it_as_expired() {
    let app = TestApp::with_manual_clock().await;
    app.given_stock("s1", "p1", 10).await;
    let body = expiring(order("o1", &[("p1", 3)]), 1);
    let id = reserved(&app, &body).await;
    app.app.clock.advance(Duration::minutes(2));
    let before = app.snapshot().await;

    let repeat = reserve(&app, &body).await;

    assert_eq!(repeat.status, 200, "{}", repeat.text);
    assert_eq!(
        repeat.json["reservation_id"],
        id.as_str(),
        "{}",
        repeat.text
    );
    assert_eq!(
        repeat.json["status"], "expired",
        "the repeat must not claim the stock is still held: {}",
        repeat.text
    );
    assert_eq!(app.snapshot().await, before, "the repeat changed nothing");
}

#[tokio::test]
async fn a_reservation_completed_just_before_its_expiry_is_not_swept() {
    let app = TestApp::with_manual_clock().await;
    app.given_stock("s1", "p1", 10).await;
    let id = reserved(&app, &expiring(order("o1", &[("p1", 3)]), 1)).await;
    app.app.clock.advance(Duration::seconds(50));
    assert_eq!(complete(&app, &id).await.status, 200, "completed in time");
    app.app.clock.advance(Duration::minutes(5));
    let before = app.snapshot().await;

    let report = inventory::expiry::sweep(&app.app).await;

    assert_eq!(report.expired, 0, "{report:?}");
    assert_eq!(app.snapshot().await, before, "the sweep changed nothing");
    assert_eq!(
        stock_of(&app, "s1", "p1").await,
        (7, 0, 7),
        "the shipment stands"
    );
}

// ---------------------------------------------------------------------------------------------
// Listing

/// Reservations in `s1` of every status, each created one second after the one before:
/// (expired, active, completed, released), oldest first. One other in `s2`.
async fn reservations_of_every_status(app: &TestApp) -> [String; 4] {
    app.given_stock("s1", "p1", 100).await;
    app.given_stock("s2", "p1", 100).await;
    let expired = reserved(app, &expiring(order("o-expired", &[("p1", 1)]), 1)).await;
    app.app.clock.advance(Duration::minutes(2));
    let active = reserved(app, &order("o-active", &[("p1", 1)])).await;
    app.app.clock.advance(Duration::seconds(1));
    let completed = reserved(app, &order("o-completed", &[("p1", 1)])).await;
    app.app.clock.advance(Duration::seconds(1));
    let released = reserved(app, &order("o-released", &[("p1", 1)])).await;
    app.app.clock.advance(Duration::seconds(1));
    reserved(app, &order_in("s2", "o-other", &[("p1", 1)])).await;
    assert_eq!(complete(app, &completed).await.status, 200, "completed");
    assert_eq!(release(app, &released).await.status, 200, "released");
    [expired, active, completed, released]
}

#[tokio::test]
async fn listing_shows_a_stores_reservations_newest_first_filtered_by_status() {
    let app = TestApp::with_manual_clock().await;
    let [expired, active, completed, released] = reservations_of_every_status(&app).await;

    let all = app.get(&format!("{RESERVATIONS}?store_id=s1")).await;
    let by_status = |status: &'static str| {
        let app = &app;
        async move {
            let r = app
                .get(&format!("{RESERVATIONS}?store_id=s1&status={status}"))
                .await;
            assert_eq!(r.status, 200, "{status}: {}", r.text);
            for item in r.json["reservations"].as_array().expect("reservations") {
                assert_eq!(
                    item["status"], status,
                    "{status} lists only {status}: {item}"
                );
            }
            ids(&r)
        }
    };

    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(
        ids(&all),
        [&released, &completed, &active, &expired].map(String::clone),
        "every reservation of s1 and none of s2, newest first"
    );
    assert_eq!(all.json["count"], 4, "{}", all.text);
    assert_eq!(by_status("active").await, [active.as_str()], "active");
    assert_eq!(by_status("completed").await, [completed], "completed");
    assert_eq!(by_status("released").await, [released], "released");
    assert_eq!(
        by_status("expired").await,
        [expired.as_str()],
        "expired, though not yet swept"
    );
    assert_eq!(inventory::expiry::sweep(&app.app).await.expired, 1, "swept");
    assert_eq!(by_status("expired").await, [expired], "expired, once swept");
    assert_eq!(
        by_status("active").await,
        [active],
        "active, after the sweep"
    );
}

#[tokio::test]
async fn listing_pages_with_limit_and_next_token_cover_every_reservation_exactly_once() {
    let app = TestApp::with_manual_clock().await;
    app.given_stock("s1", "p1", 100).await;
    let mut created = Vec::new();
    for i in 0..7 {
        let id = reserved(&app, &order(&format!("o{i}"), &[("p1", 1)])).await;
        if i % 2 == 0 {
            assert_eq!(complete(&app, &id).await.status, 200, "completed");
        }
        created.push(id);
        app.app.clock.advance(Duration::seconds(1));
    }
    created.reverse();
    let completed: Vec<String> = created
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, id)| id.clone())
        .collect();

    for (filter, expected) in [("", &created), ("&status=completed", &completed)] {
        let mut seen = Vec::new();
        let mut uri = format!("{RESERVATIONS}?store_id=s1&limit=2{filter}");
        for page in 0.. {
            assert!(page < 10, "{filter}: the pages end");
            let response = app.get(&uri).await;
            assert_eq!(response.status, 200, "{filter}: {}", response.text);
            let got = ids(&response);
            assert!(got.len() <= 2, "{filter}: a page holds at most the limit");
            seen.extend(got);
            match response.json["next_token"].as_str() {
                Some(token) => {
                    uri = format!("{RESERVATIONS}?store_id=s1&limit=2{filter}&next_token={token}");
                }
                None => break,
            }
        }
        assert_eq!(
            &seen, expected,
            "{filter}: every reservation once, newest first"
        );
    }
}

#[tokio::test]
async fn a_next_token_from_another_store_or_an_unknown_status_answers_400() {
    let app = TestApp::with_manual_clock().await;
    app.given_stock("s1", "p1", 100).await;
    app.given_stock("s2", "p1", 100).await;
    for i in 0..3 {
        reserved(&app, &order_in("s2", &format!("o{i}"), &[("p1", 1)])).await;
        reserved(&app, &order_in("s1", &format!("o{i}"), &[("p1", 1)])).await;
        app.app.clock.advance(Duration::seconds(1));
    }
    let s2_page = app
        .get(&format!("{RESERVATIONS}?store_id=s2&limit=1"))
        .await;
    let token = s2_page.json["next_token"]
        .as_str()
        .unwrap_or_else(|| panic!("a next_token: {}", s2_page.text))
        .to_owned();

    let foreign = app
        .get(&format!(
            "{RESERVATIONS}?store_id=s1&limit=1&next_token={token}"
        ))
        .await;
    let unknown_status = app
        .get(&format!("{RESERVATIONS}?store_id=s1&status=pending"))
        .await;
    let own = app
        .get(&format!(
            "{RESERVATIONS}?store_id=s2&limit=1&next_token={token}"
        ))
        .await;

    foreign.assert_problem(400, "invalid_parameter");
    assert_eq!(foreign.json["field"], "next_token", "{}", foreign.text);
    unknown_status.assert_problem(400, "invalid_parameter");
    assert_eq!(
        unknown_status.json["field"], "status",
        "{}",
        unknown_status.text
    );
    assert_eq!(
        own.status, 200,
        "the token works for its own store: {}",
        own.text
    );
}

// ---------------------------------------------------------------------------------------------
// Legacy rows, adjustments and the ledger

#[tokio::test]
async fn a_legacy_row_can_be_reserved_and_migrates_to_reserved_and_available_stock() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 9).await;
    let legacy = app.stored_attributes("s1", "p1").await.expect("row");
    assert!(
        !legacy.contains_key("reserved_stock") && !legacy.contains_key("available_stock"),
        "given_stock writes the legacy shape"
    );

    let response = reserve(&app, &order("o1", &[("p1", 4)])).await;

    assert_eq!(response.status, 201, "{}", response.text);
    let migrated = app.stored_attributes("s1", "p1").await.expect("row");
    let number = |name: &str| {
        migrated
            .get(name)
            .and_then(|v| v.as_n().ok())
            .unwrap_or_else(|| panic!("{name} is stored as a number: {migrated:?}"))
            .clone()
    };
    assert_eq!(number("current_stock"), "9", "on hand unchanged");
    assert_eq!(number("reserved_stock"), "4", "reserved stored");
    assert_eq!(number("available_stock"), "5", "available stored");
    assert_eq!(
        migrated["selling_price"], legacy["selling_price"],
        "the previous service's attributes are kept"
    );
}

#[tokio::test]
async fn a_negative_adjustment_cannot_take_reserved_units_and_records_type_reason_and_actor() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    reserved(&app, &order("o1", &[("p1", 8)])).await;
    let adjust = |change: i64| {
        json!({
            "store_id": "s1",
            "product_id": "p1",
            "quantity_change": change,
            "adjustment_type": "damage",
            "reason": "dropped crate",
            "reference": "INC-42",
            "created_by": "staff-asha",
        })
        .to_string()
    };
    let before = app.snapshot().await;

    // The ledger records the token's subject; created_by may only repeat it.
    let staff = app.token("staff-asha", "staff", "s1");
    let too_much = app
        .send_as(Some(&staff), "POST", ADJUST, Some(&adjust(-3)))
        .await;
    let after_refusal = app.snapshot().await;
    let enough = app
        .send_as(Some(&staff), "POST", ADJUST, Some(&adjust(-2)))
        .await;

    too_much.assert_problem(409, "insufficient_stock");
    assert_eq!(too_much.json["available_stock"], 2, "{}", too_much.text);
    assert_eq!(too_much.json["requested"], 3, "{}", too_much.text);
    assert_eq!(
        after_refusal, before,
        "the refused adjustment wrote nothing"
    );
    assert_eq!(enough.status, 200, "{}", enough.text);
    assert_eq!(
        (
            enough.json["current_stock"].clone(),
            enough.json["reserved_stock"].clone(),
            enough.json["available_stock"].clone()
        ),
        (json!(8), json!(8), json!(0)),
        "the answer is the row after: {}",
        enough.text
    );
    assert_eq!(
        stock_of(&app, "s1", "p1").await,
        (8, 8, 0),
        "available is 0, never below"
    );
    let movements = history(&app, "s1", "p1").await;
    assert_eq!(
        movement_types(&movements),
        ["reserve", "adjustment"],
        "one adjustment movement"
    );
    let m = &movements[1];
    assert_eq!(m["adjustment_type"], "damage", "{m}");
    assert_eq!(m["reason"], "dropped crate", "{m}");
    assert_eq!(m["reference"], "INC-42", "{m}");
    assert_eq!(m["actor"], "staff-asha", "the actor is created_by: {m}");
    assert_eq!(m["delta"], -2, "{m}");
    assert_eq!(
        (stock_before(m), stock_after(m)),
        ((10, 8, 2), (8, 8, 0)),
        "{m}"
    );
}

#[tokio::test]
async fn the_ledger_replays_each_movement_starting_where_the_one_before_ended() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    let stock = "/api/v1/inventory/products/s1/p1/stock";

    let steps = [
        app.put(stock, r#"{"quantity_change": 5, "reason": "delivery"}"#)
            .await,
        app.post(
            ADJUST,
            &json!({
                "store_id": "s1",
                "product_id": "p1",
                "quantity_change": -1,
                "adjustment_type": "damage",
                "reason": "torn",
            })
            .to_string(),
        )
        .await,
        reserve(&app, &order("o1", &[("p1", 4)])).await,
        reserve(&app, &order("o2", &[("p1", 3)])).await,
    ];
    for step in &steps {
        assert!(step.status == 200 || step.status == 201, "{}", step.text);
    }
    let first = steps[2].json["reservation_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let second = steps[3].json["reservation_id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(complete(&app, &first).await.status, 200, "completed");
    assert_eq!(release(&app, &second).await.status, 200, "released");
    let count = app
        .put(stock, r#"{"new_stock": 12, "expected_stock": 10}"#)
        .await;
    assert_eq!(count.status, 200, "{}", count.text);

    let movements = history(&app, "s1", "p1").await;

    assert_eq!(
        movement_types(&movements),
        [
            "stock_update",
            "adjustment",
            "reserve",
            "reserve",
            "commit",
            "release",
            "count"
        ],
        "every change is in the ledger, in order"
    );
    assert_eq!(
        stock_before(&movements[0]),
        (10, 0, 10),
        "the first starts from the legacy row"
    );
    for pair in movements.windows(2) {
        assert_eq!(
            stock_before(&pair[1]),
            stock_after(&pair[0]),
            "{} starts where {} ended",
            pair[1],
            pair[0]
        );
        assert_eq!(
            pair[1]["seq"].as_i64(),
            pair[0]["seq"].as_i64().map(|s| s + 1),
            "sequence numbers are consecutive"
        );
    }
    for m in &movements {
        let (current, reserved, available) = stock_after(m);
        assert_eq!(
            current,
            reserved + available,
            "on hand = reserved + available: {m}"
        );
    }
    assert_eq!(
        stock_after(movements.last().expect("movements")),
        stock_of(&app, "s1", "p1").await,
        "the last movement ends at the stored row"
    );
    assert_eq!(
        stock_of(&app, "s1", "p1").await,
        (12, 0, 12),
        "{movements:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Bad input

struct Case {
    method: &'static str,
    uri: String,
    body: Option<String>,
    status: u16,
    code: &'static str,
    /// For `invalid_parameter`: the field named. For `invalid_body`: a word the detail contains.
    names: Option<&'static str>,
}

fn case(
    method: &'static str,
    uri: impl Into<String>,
    body: Option<String>,
    status: u16,
    code: &'static str,
    names: Option<&'static str>,
) -> Case {
    Case {
        method,
        uri: uri.into(),
        body,
        status,
        code,
        names,
    }
}

fn post(
    uri: &str,
    body: impl ToString,
    status: u16,
    code: &'static str,
    names: Option<&'static str>,
) -> Case {
    case("POST", uri, Some(body.to_string()), status, code, names)
}

fn get(uri: impl Into<String>, field: &'static str) -> Case {
    case("GET", uri, None, 400, "invalid_parameter", Some(field))
}

fn with(mut body: Value, key: &str, value: Value) -> Value {
    body[key] = value;
    body
}

fn without(mut body: Value, key: &str) -> Value {
    body.as_object_mut().expect("an object").remove(key);
    body
}

fn cases(active: &str) -> Vec<Case> {
    let long = "x".repeat(65);
    let valid = order("o-new", &[("p1", 1)]);
    let line = |fields: Value| with(valid.clone(), "items", json!([fields]));
    let adjust = json!({
        "store_id": "s1",
        "product_id": "p1",
        "quantity_change": -1,
        "adjustment_type": "damage",
        "reason": "broken",
    });
    let fifty: Vec<String> = (0..50).map(|i| format!("q{i}")).collect();
    let fifty: Vec<(&str, i64)> = fifty.iter().map(|p| (p.as_str(), 1)).collect();
    // Not JSON, or JSON of the wrong type: the detail is serde's, which does not name the field.
    let malformed = |uri: &str, body: &str| post(uri, body, 400, "invalid_body", None);
    let ill_typed = |uri: &str, body: Value| post(uri, body, 400, "invalid_body", None);
    // Refused while reading the body: the detail names what was wrong.
    let refused = |uri: &str, body: Value, names| post(uri, body, 400, "invalid_body", Some(names));
    let invalid =
        |uri: &str, body: Value, field| post(uri, body, 400, "invalid_parameter", Some(field));
    let missing = |uri: &str, body: Value, code| post(uri, body, 404, code, None);
    let on_path =
        |method, uri: String, status, code, field| case(method, uri, None, status, code, field);

    vec![
        // POST /inventory/reserve
        malformed(RESERVE, "{"),
        malformed(RESERVE, ""),
        malformed(RESERVE, "[]"),
        malformed(RESERVE, "null"),
        refused(
            RESERVE,
            with(valid.clone(), "colour", json!("red")),
            "colour",
        ),
        refused(
            RESERVE,
            line(json!({"product_id": "p1", "quantity": 1, "price": 3})),
            "price",
        ),
        ill_typed(RESERVE, line(json!({"product_id": "p1", "quantity": "1"}))),
        ill_typed(RESERVE, line(json!({"product_id": "p1", "quantity": 1.5}))),
        ill_typed(RESERVE, line(json!({"product_id": 1, "quantity": 1}))),
        ill_typed(RESERVE, with(valid.clone(), "items", json!({"p1": 1}))),
        ill_typed(
            RESERVE,
            with(valid.clone(), "expires_in_minutes", json!("15")),
        ),
        refused(
            RESERVE,
            line(json!({"product_id": "p1", "quantity": 0})),
            "quantity",
        ),
        refused(
            RESERVE,
            line(json!({"product_id": "p1", "quantity": -1})),
            "quantity",
        ),
        refused(
            RESERVE,
            line(json!({"product_id": "p1", "quantity": 1_000_001})),
            "quantity",
        ),
        refused(RESERVE, line(json!({"product_id": "p1"})), "quantity"),
        invalid(RESERVE, with(valid.clone(), "items", json!([])), "items"),
        refused(RESERVE, without(valid.clone(), "order_id"), "order_id"),
        refused(RESERVE, without(valid.clone(), "store_id"), "store_id"),
        refused(RESERVE, without(valid.clone(), "items"), "items"),
        refused(
            RESERVE,
            with(valid.clone(), "store_id", json!(long)),
            "store_id",
        ),
        refused(
            RESERVE,
            with(valid.clone(), "order_id", json!(long)),
            "order_id",
        ),
        refused(
            RESERVE,
            line(json!({"product_id": long, "quantity": 1})),
            "product_id",
        ),
        refused(
            RESERVE,
            with(valid.clone(), "order_id", json!("o#1")),
            "order_id",
        ),
        refused(
            RESERVE,
            with(valid.clone(), "store_id", json!("s#1")),
            "store_id",
        ),
        refused(
            RESERVE,
            line(json!({"product_id": "p#1", "quantity": 1})),
            "product_id",
        ),
        invalid(RESERVE, expiring(valid.clone(), 0), "expires_in_minutes"),
        invalid(RESERVE, expiring(valid.clone(), -5), "expires_in_minutes"),
        invalid(RESERVE, expiring(valid.clone(), 1441), "expires_in_minutes"),
        invalid(RESERVE, order("o-new", &fifty), "items"),
        invalid(
            RESERVE,
            order("o-new", &[("p1", 600_000), ("p1", 600_000)]),
            "items.quantity",
        ),
        missing(
            RESERVE,
            order("o-new", &[("p1", 1), ("p9", 1)]),
            "inventory_item_not_found",
        ),
        missing(
            RESERVE,
            order_in("s9", "o-new", &[("p1", 1)]),
            "inventory_item_not_found",
        ),
        // POST /inventory/adjust
        malformed(ADJUST, "{"),
        malformed(ADJUST, ""),
        refused(
            ADJUST,
            with(adjust.clone(), "adjustment_type", json!("lost")),
            "lost",
        ),
        refused(ADJUST, with(adjust.clone(), "reason", json!("")), "reason"),
        refused(
            ADJUST,
            with(adjust.clone(), "reason", json!("r".repeat(501))),
            "reason",
        ),
        refused(ADJUST, without(adjust.clone(), "reason"), "reason"),
        refused(
            ADJUST,
            without(adjust.clone(), "adjustment_type"),
            "adjustment_type",
        ),
        refused(
            ADJUST,
            with(adjust.clone(), "quantity_change", json!(0)),
            "quantity_change",
        ),
        refused(
            ADJUST,
            with(adjust.clone(), "quantity_change", json!(1_000_001)),
            "quantity_change",
        ),
        ill_typed(ADJUST, with(adjust.clone(), "quantity_change", json!("-1"))),
        refused(
            ADJUST,
            with(adjust.clone(), "approved", json!(true)),
            "approved",
        ),
        refused(
            ADJUST,
            with(adjust.clone(), "product_id", json!(long)),
            "product_id",
        ),
        refused(
            ADJUST,
            with(adjust.clone(), "product_id", json!("p#1")),
            "product_id",
        ),
        refused(
            ADJUST,
            with(adjust.clone(), "created_by", json!("c".repeat(129))),
            "actor",
        ),
        missing(
            ADJUST,
            with(adjust.clone(), "product_id", json!("p9")),
            "inventory_item_not_found",
        ),
        // POST /inventory/release
        malformed(RELEASE, "{"),
        malformed(RELEASE, ""),
        invalid(
            RELEASE,
            json!({"reservation_id": active, "store_id": "s1", "order_id": "o1"}),
            "body",
        ),
        invalid(
            RELEASE,
            json!({"reservation_id": active, "order_id": "o1"}),
            "body",
        ),
        invalid(RELEASE, json!({"order_id": "o1"}), "body"),
        invalid(RELEASE, json!({"store_id": "s1"}), "body"),
        invalid(RELEASE, json!({}), "body"),
        refused(
            RELEASE,
            json!({"reservation_id": active, "force": true}),
            "force",
        ),
        refused(RELEASE, json!({"reservation_id": "a#b"}), "reservation_id"),
        refused(RELEASE, json!({"reservation_id": long}), "reservation_id"),
        missing(
            RELEASE,
            json!({"reservation_id": "res-unknown"}),
            "reservation_not_found",
        ),
        missing(
            RELEASE,
            json!({"store_id": "s1", "order_id": "o-unknown"}),
            "reservation_not_found",
        ),
        missing(
            RELEASE,
            json!({"store_id": "s2", "order_id": "o1"}),
            "reservation_not_found",
        ),
        // /reservations/{reservation_id}
        get(format!("{RESERVATIONS}/a%23b"), "reservation_id"),
        get(format!("{RESERVATIONS}/{long}"), "reservation_id"),
        on_path(
            "POST",
            format!("{RESERVATIONS}/a%23b/complete"),
            400,
            "invalid_parameter",
            Some("reservation_id"),
        ),
        on_path(
            "POST",
            format!("{RESERVATIONS}/a%23b/release"),
            400,
            "invalid_parameter",
            Some("reservation_id"),
        ),
        on_path(
            "GET",
            format!("{RESERVATIONS}/res-unknown"),
            404,
            "reservation_not_found",
            None,
        ),
        on_path(
            "POST",
            format!("{RESERVATIONS}/res-unknown/complete"),
            404,
            "reservation_not_found",
            None,
        ),
        on_path(
            "POST",
            format!("{RESERVATIONS}/res-unknown/release"),
            404,
            "reservation_not_found",
            None,
        ),
        // GET /reservations and /reservations/expired
        get(RESERVATIONS, "store_id"),
        get(format!("{RESERVATIONS}?store_id=a%23b"), "store_id"),
        get(
            format!("{RESERVATIONS}?store_id=s1&status=pending"),
            "status",
        ),
        get(format!("{RESERVATIONS}?store_id=s1&limit=0"), "limit"),
        get(format!("{RESERVATIONS}?store_id=s1&limit=101"), "limit"),
        get(
            format!("{RESERVATIONS}?store_id=s1&next_token=not-a-token"),
            "next_token",
        ),
        get(format!("{RESERVATIONS}/expired?limit=0"), "limit"),
        // GET /inventory/history/{store_id}/{product_id}
        get("/api/v1/inventory/history/s1/p1?limit=0", "limit"),
        get("/api/v1/inventory/history/s1/p1?limit=101", "limit"),
        get(
            "/api/v1/inventory/history/s1/p1?next_token=not-a-token",
            "next_token",
        ),
        get("/api/v1/inventory/history/s1/p%231", "product_id"),
        get(format!("/api/v1/inventory/history/{long}/p1"), "store_id"),
        on_path(
            "GET",
            "/api/v1/inventory/history/s1/p9".into(),
            404,
            "inventory_item_not_found",
            None,
        ),
    ]
}

#[tokio::test]
async fn every_bad_request_to_the_reservation_routes_answers_a_precise_4xx_and_changes_nothing() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    let active = reserved(&app, &order("o1", &[("p1", 2)])).await;
    let before = app.snapshot().await;

    for case in cases(&active) {
        let response = app.send(case.method, &case.uri, case.body.as_deref()).await;
        let what = format!(
            "{} {} {:?}",
            case.method,
            case.uri,
            case.body.as_deref().map(|b| &b[..b.len().min(120)])
        );
        assert_eq!(response.status, case.status, "{what}: {}", response.text);
        response.assert_problem(case.status, case.code);
        match (case.code, case.names) {
            ("invalid_parameter", Some(field)) => {
                assert_eq!(response.json["field"], field, "{what}: {}", response.text);
            }
            (_, Some(word)) => assert!(
                response.json["detail"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(word),
                "{what}: the detail names {word}: {}",
                response.text
            ),
            _ => {}
        }
        assert!(
            !response.text.contains("Error {") && !response.text.contains("SdkError"),
            "{what}: no internals leak: {}",
            response.text
        );
    }

    assert_eq!(
        app.snapshot().await,
        before,
        "no bad request changed any table"
    );
    assert_eq!(
        stock_of(&app, "s1", "p1").await,
        (10, 2, 8),
        "the reservation still holds"
    );
}
