//! `POST /api/v1/inventory/bulk`: many stock changes and adjustments, each applied on its own
//! with its ledger row, answered line by line, and never applied twice under one key.

use serde_json::{json, Value};
use std::time::Duration;
use testkit::{Case, TestApp, TestResponse};

const BULK: &str = "/api/v1/inventory/bulk";

fn lines(lines: &[Value]) -> String {
    json!({ "lines": lines }).to_string()
}

fn delta(store: &str, product: &str, units: i64) -> Value {
    json!({"store_id": store, "product_id": product, "quantity_change": units, "reason": "bulk"})
}

fn count(store: &str, product: &str, new_stock: i64, expected: i64) -> Value {
    json!({"store_id": store, "product_id": product, "new_stock": new_stock, "expected_stock": expected})
}

fn adjustment(store: &str, product: &str, units: i64) -> Value {
    json!({"store_id": store, "product_id": product, "quantity_change": units,
           "adjustment_type": "damage", "reason": "torn packs", "reference": "GRN-7"})
}

fn statuses(response: &TestResponse) -> Vec<&str> {
    response.json["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["status"].as_str().expect("status"))
        .collect()
}

fn error_code(response: &TestResponse, index: usize) -> &str {
    response.json["results"][index]["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("line {index} has an error code: {}", response.text))
}

/// Every movement in the ledger table, of any row.
async fn movement_count(app: &TestApp) -> usize {
    let mut total = 0;
    let mut start = None;
    loop {
        let out = app
            .client
            .scan()
            .table_name(&app.tables.ledger)
            .consistent_read(true)
            .filter_expression("begins_with(pk, :mov)")
            .expression_attribute_values(":mov", testkit::AttributeValue::S("MOV#".into()))
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan");
        total += out.items.unwrap_or_default().len();
        start = out.last_evaluated_key;
        if start.is_none() {
            return total;
        }
    }
}

/// Waits until at least `n` movements are written; a bounded wait, so a request that ends
/// early fails the test instead of hanging it.
async fn wait_for_movements(app: &TestApp, n: usize) {
    for _ in 0..2000 {
        if movement_count(app).await >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("fewer than {n} movements were ever written");
}

#[tokio::test]
async fn every_line_applied_is_200_with_each_rows_stock_after_and_its_movement() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    app.given_stock("s1", "p2", 20).await;
    app.given_stock("s1", "p3", 30).await;

    let response = app
        .post(
            BULK,
            &lines(&[
                delta("s1", "p1", -3),
                count("s1", "p2", 18, 20),
                adjustment("s1", "p3", -2),
                // The same row again: applied after line 0, so the count expects 7.
                count("s1", "p1", 5, 7),
            ]),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json["applied"], 4);
    assert_eq!(response.json["rejected"], 0);
    assert_eq!(
        statuses(&response),
        ["applied", "applied", "applied", "applied"]
    );
    let results = &response.json["results"];
    for (i, (product, stock, seq)) in [("p1", 7, 1), ("p2", 18, 1), ("p3", 28, 1), ("p1", 5, 2)]
        .into_iter()
        .enumerate()
    {
        assert_eq!(results[i]["index"], i, "in request order");
        assert_eq!(results[i]["product_id"], product);
        assert_eq!(results[i]["current_stock"], stock, "line {i}");
        assert_eq!(results[i]["available_stock"], stock, "line {i}");
        assert_eq!(results[i]["movement_seq"], seq, "line {i}");
    }
    assert_eq!(app.stock_of("s1", "p1").await, (5, 0, 5));
    assert_eq!(app.stock_of("s1", "p2").await, (18, 0, 18));
    assert_eq!(app.stock_of("s1", "p3").await, (28, 0, 28));
    assert_eq!(
        app.movement_types_of("s1", "p1").await,
        ["stock_update", "count"]
    );
    assert_eq!(app.movement_types_of("s1", "p2").await, ["count"]);
    let adjusted = app.history("s1", "p3").await;
    assert_eq!(adjusted[0]["movement_type"], "adjustment");
    assert_eq!(adjusted[0]["adjustment_type"], "damage");
    assert_eq!(adjusted[0]["reference"], "GRN-7");
    assert_eq!(adjusted[0]["actor"], "test-admin");
}

#[tokio::test]
async fn mixed_lines_answer_207_with_each_reason_and_only_the_good_lines_are_applied() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    app.given_stock("s1", "p2", 5).await;
    app.given_stock("closed", "p1", 10).await;
    app.given_deleted_location("closed").await;

    let response = app
        .post(
            BULK,
            &lines(&[
                delta("s1", "p1", -4),
                delta("s1", "p2", -6),
                delta("s1", "no-such-product", 1),
                delta("closed", "p1", 1),
                count("s1", "p2", 3, 4),
                adjustment("s1", "p2", 2),
            ]),
        )
        .await;

    assert_eq!(response.status, 207, "{}", response.text);
    assert_eq!(
        statuses(&response),
        ["applied", "rejected", "rejected", "rejected", "rejected", "applied"]
    );
    assert_eq!(
        (
            response.json["applied"].as_i64(),
            response.json["rejected"].as_i64()
        ),
        (Some(2), Some(4))
    );
    assert_eq!(error_code(&response, 1), "insufficient_stock");
    assert_eq!(
        response.json["results"][1]["error"]["message"],
        "cannot remove 6: only 5 available"
    );
    assert_eq!(error_code(&response, 2), "inventory_item_not_found");
    assert_eq!(error_code(&response, 3), "location_inactive");
    assert_eq!(error_code(&response, 4), "stock_mismatch");
    assert_eq!(response.json["results"][5]["current_stock"], 7);
    assert_eq!(app.stock_of("s1", "p1").await, (6, 0, 6));
    assert_eq!(app.stock_of("s1", "p2").await, (7, 0, 7));
    assert_eq!(app.stock_of("closed", "p1").await, (10, 0, 10));
    assert_eq!(app.movement_types_of("s1", "p1").await, ["stock_update"]);
    assert_eq!(app.movement_types_of("s1", "p2").await, ["adjustment"]);
    assert!(app.history("closed", "p1").await.is_empty());
    assert!(app.stored_row("s1", "no-such-product").await.is_none());
}

#[tokio::test]
async fn when_no_line_applies_the_answer_is_207_and_nothing_changes() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 1).await;
    let before = app.snapshot().await;

    let response = app
        .post(BULK, &lines(&[delta("s1", "p1", -2), delta("s1", "p9", 1)]))
        .await;

    assert_eq!(response.status, 207, "{}", response.text);
    assert_eq!(statuses(&response), ["rejected", "rejected"]);
    assert_eq!(response.json["applied"], 0);
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn a_repeated_idempotency_key_applies_nothing_twice_and_answers_the_same_results() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    app.given_stock("s1", "p2", 1).await;
    let staff = app.token("staff-asha", "staff", "s1");
    let body = lines(&[
        delta("s1", "p1", -2),
        delta("s1", "p2", -5),
        adjustment("s1", "p1", 3),
    ]);

    let first = app
        .send_keyed(&staff, "stock-take-1", "POST", BULK, &body)
        .await;
    let after_first = app.snapshot().await;
    // Stock arrives meanwhile: a re-run would now apply line 1, a replay must not.
    app.put(
        "/api/v1/inventory/products/s1/p2/stock",
        r#"{"quantity_change": 10}"#,
    )
    .await;
    let stock_before_replay = app.stock_of("s1", "p2").await;
    let replay = app
        .send_keyed(&staff, "stock-take-1", "POST", BULK, &body)
        .await;

    assert_eq!(first.status, 207, "{}", first.text);
    assert_eq!(statuses(&first), ["applied", "rejected", "applied"]);
    assert_eq!(replay.status, 207, "{}", replay.text);
    assert_eq!(replay.text, first.text, "the same per-line results");
    assert_eq!(app.stock_of("s1", "p1").await, (11, 0, 11));
    assert_eq!(app.stock_of("s1", "p2").await, stock_before_replay);
    assert_eq!(
        app.movement_types_of("s1", "p1").await,
        ["stock_update", "adjustment"],
        "one ledger row per line, not two"
    );
    assert_eq!(app.movement_types_of("s1", "p2").await, ["stock_update"]);
    assert!(!after_first.is_empty());
}

#[tokio::test]
async fn the_same_key_with_another_body_is_409_and_changes_nothing() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    let staff = app.token("staff-asha", "staff", "s1");
    let first = app
        .send_keyed(
            &staff,
            "k-1",
            "POST",
            BULK,
            &lines(&[delta("s1", "p1", -1)]),
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    let before = app.snapshot().await;

    let other = app
        .send_keyed(
            &staff,
            "k-1",
            "POST",
            BULK,
            &lines(&[delta("s1", "p1", -2)]),
        )
        .await;
    let reordered = app
        .send_keyed(
            &staff,
            "k-1",
            "POST",
            BULK,
            &lines(&[delta("s1", "p1", -1), delta("s1", "p1", -1)]),
        )
        .await;

    other.assert_problem(409, "idempotency_mismatch");
    reordered.assert_problem(409, "idempotency_mismatch");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn bad_bodies_are_400_naming_the_line_and_nothing_is_applied() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    let good = delta("s1", "p1", -1);
    let too_many: Vec<Value> = (0..101).map(|_| good.clone()).collect();
    let with = |bad: Value| lines(&[good.clone(), bad]);
    let post = |body: String, code: &'static str, field: Option<&'static str>| {
        Case::post(BULK, body, 400, code, field)
    };
    let before = app.snapshot().await;

    app.assert_refused(&[
        post("{".into(), "invalid_body", None),
        post(String::new(), "invalid_body", None),
        post("[]".into(), "invalid_body", None),
        post(r#"{"lines": "p1"}"#.into(), "invalid_body", None),
        post(r#"{"items": []}"#.into(), "invalid_body", None),
        post(
            json!({"lines": [good.clone()], "note": "x"}).to_string(),
            "invalid_body",
            None,
        ),
        post(lines(&[]), "invalid_parameter", Some("lines")),
        post(lines(&too_many), "invalid_parameter", Some("lines")),
        post(with(json!("p1")), "invalid_parameter", Some("lines[1]")),
        post(
            with(json!({"product_id": "p1", "quantity_change": 1})),
            "invalid_parameter",
            Some("lines[1].store_id"),
        ),
        post(
            with(json!({"store_id": 7, "product_id": "p1", "quantity_change": 1})),
            "invalid_parameter",
            Some("lines[1].store_id"),
        ),
        post(
            with(json!({"store_id": "s#1", "product_id": "p1", "quantity_change": 1})),
            "invalid_parameter",
            Some("lines[1].store_id"),
        ),
        post(with(delta("s1", "p1", 0)), "invalid_parameter", Some("lines[1].quantity_change")),
        post(
            with(json!({"store_id": "s1", "product_id": "p1", "quantity_change": "3"})),
            "invalid_parameter",
            Some("lines[1]"),
        ),
        post(
            with(json!({"store_id": "s1", "product_id": "p1", "quantity_change": 1, "colour": "red"})),
            "invalid_parameter",
            Some("lines[1]"),
        ),
        post(
            with(json!({"store_id": "s1", "product_id": "p1", "new_stock": 4})),
            "invalid_parameter",
            Some("lines[1].expected_stock"),
        ),
        post(
            with(json!({"store_id": "s1", "product_id": "p1", "quantity_change": 1,
                        "adjustment_type": "gift", "reason": "x"})),
            "invalid_parameter",
            Some("lines[1]"),
        ),
        post(
            with(json!({"store_id": "s1", "product_id": "p1", "quantity_change": 1,
                        "adjustment_type": "restock"})),
            "invalid_parameter",
            Some("lines[1]"),
        ),
    ])
    .await;
    let with_key = app
        .send_as_admin_with(
            &[("idempotency-key", "bad key")],
            "POST",
            BULK,
            Some(&lines(std::slice::from_ref(&good))),
        )
        .await;

    with_key.assert_problem(400, "invalid_parameter");
    assert_eq!(
        app.snapshot().await,
        before,
        "not even the good line was applied"
    );
}

#[tokio::test]
async fn a_line_for_a_store_outside_the_callers_stores_refuses_the_whole_request_with_403() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    app.given_stock("s2", "p1", 10).await;
    let staff = app.token("staff-asha", "staff", "s1");
    let manager = app.token("manager-ravi", "store_manager", "s1");
    let before = app.snapshot().await;

    let mixed = lines(&[delta("s1", "p1", -1), delta("s2", "p1", -1)]);
    let refused = app.send_as(Some(&staff), "POST", BULK, Some(&mixed)).await;
    let claimed = app
        .send_as(
            Some(&staff),
            "POST",
            BULK,
            Some(&lines(&[
                json!({"store_id": "s1", "product_id": "p1", "quantity_change": -1,
                    "adjustment_type": "damage", "reason": "x", "created_by": "someone-else"}),
            ])),
        )
        .await;
    let anonymous = app
        .send_with_authorization(None, "POST", BULK, Some(&mixed))
        .await;

    refused.assert_problem(403, "forbidden");
    claimed.assert_problem(403, "forbidden");
    anonymous.assert_problem(401, "unauthenticated");
    assert_eq!(app.snapshot().await, before, "not even the line for s1");
    let own = app
        .send_as(
            Some(&manager),
            "POST",
            BULK,
            Some(&lines(&[delta("s1", "p1", -1)])),
        )
        .await;
    assert_eq!(own.status, 200, "{}", own.text);
    assert_eq!(app.stock_of("s1", "p1").await, (9, 0, 9));
}

#[tokio::test]
async fn two_concurrent_copies_of_one_keyed_request_apply_each_line_exactly_once() {
    let app = TestApp::new().await;
    let products: Vec<String> = (0..12).map(|i| format!("p{i}")).collect();
    for product in &products {
        app.given_stock("s1", product, 50).await;
    }
    let staff = app.token("staff-asha", "staff", "s1");
    // Two lines per row, so the copies also meet on rows they change twice.
    let body = lines(
        &products
            .iter()
            .flat_map(|p| [delta("s1", p, -2), adjustment("s1", p, -1)])
            .collect::<Vec<_>>(),
    );

    let (a, b) = tokio::join!(
        app.send_keyed(&staff, "twice", "POST", BULK, &body),
        app.send_keyed(&staff, "twice", "POST", BULK, &body),
    );
    let mut settled = app.send_keyed(&staff, "twice", "POST", BULK, &body).await;
    for _ in 0..50 {
        if settled.status != 409 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        settled = app.send_keyed(&staff, "twice", "POST", BULK, &body).await;
    }

    for copy in [&a, &b] {
        assert!(
            copy.status == 200
                || (copy.status == 409 && copy.json["code"] == "request_in_progress"),
            "each copy is applied, or told the other is being applied: {}",
            copy.text
        );
    }
    assert_eq!(settled.status, 200, "{}", settled.text);
    assert_eq!(settled.json["applied"], 24);
    for product in &products {
        assert_eq!(app.stock_of("s1", product).await, (47, 0, 47), "{product}");
        assert_eq!(
            app.movement_types_of("s1", product).await,
            ["stock_update", "adjustment"],
            "{product}: one movement per line"
        );
    }
}

/// `count` products (`p000`, `p001`, ...) stocked with 10 units each at store `s1`.
async fn given_products_at_s1(app: &TestApp, count: usize) -> Vec<String> {
    let products: Vec<String> = (0..count).map(|i| format!("p{i:03}")).collect();
    let rows: Vec<_> = products
        .iter()
        .map(|p| {
            let mut r = testkit::row("s1", p, 10);
            r.denormalise(&testkit::product_named(p, p));
            r
        })
        .collect();
    app.given_rows(&rows).await;
    products
}

#[tokio::test]
async fn a_retry_after_the_request_died_halfway_applies_only_the_missing_lines() {
    let app = TestApp::with_manual_clock().await;
    let products = given_products_at_s1(&app, 100).await;
    let staff = app.token("staff-asha", "staff", "s1");
    let body = lines(
        &products
            .iter()
            .map(|p| delta("s1", p, -1))
            .collect::<Vec<_>>(),
    );

    // The function dies (its future is dropped, as a Lambda timeout ends it) once a few lines
    // have been written.
    let request = app.send_keyed(&staff, "onboarding-7", "POST", BULK, &body);
    let some_written = async {
        wait_for_movements(&app, 3).await;
    };
    tokio::select! {
        response = request => panic!("the request was meant to die halfway: {}", response.text),
        () = some_written => {}
    }
    // Let writes already on the wire land before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let applied_before = movement_count(&app).await;
    assert!(
        (3..100).contains(&applied_before),
        "died halfway: {applied_before} lines applied"
    );

    let while_held = app
        .send_keyed(&staff, "onboarding-7", "POST", BULK, &body)
        .await;
    app.app.clock.advance(chrono::Duration::seconds(31));
    let retry = app
        .send_keyed(&staff, "onboarding-7", "POST", BULK, &body)
        .await;
    let replay = app
        .send_keyed(&staff, "onboarding-7", "POST", BULK, &body)
        .await;

    while_held.assert_problem(409, "request_in_progress");
    assert_eq!(retry.status, 200, "{}", retry.text);
    let replayed = retry.json["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["replayed"] == true)
        .count();
    assert_eq!(
        replayed, applied_before,
        "the lines the dead request applied are answered, not applied again"
    );
    assert_eq!(
        replay.text, retry.text,
        "and the finished request is answered as it was"
    );
    assert_eq!(movement_count(&app).await, 100, "one movement per line");
    for product in &products {
        assert_eq!(app.stock_of("s1", product).await, (9, 0, 9), "{product}");
    }
}

/// The lease keeps a second copy out while the first runs; past it (here by moving the clock, as
/// a dead function's lease would pass), a second copy runs *alongside* the first, and the lines'
/// own keys alone keep every line exactly-once.
#[tokio::test]
async fn two_live_copies_racing_on_every_line_still_apply_each_line_exactly_once() {
    let app = TestApp::with_manual_clock().await;
    let products = given_products_at_s1(&app, 50).await;
    let staff = app.token("staff-asha", "staff", "s1");
    let body = lines(
        &products
            .iter()
            .flat_map(|p| [delta("s1", p, -1), adjustment("s1", p, -2)])
            .collect::<Vec<_>>(),
    );

    let first = app.send_keyed(&staff, "racing", "POST", BULK, &body);
    let second = async {
        wait_for_movements(&app, 2).await;
        app.app.clock.advance(chrono::Duration::seconds(31));
        app.send_keyed(&staff, "racing", "POST", BULK, &body).await
    };
    let (first, second) = tokio::join!(first, second);

    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(second.status, 200, "{}", second.text);
    let replayed = |r: &TestResponse| {
        r.json["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter(|l| l["replayed"] == true)
            .count()
    };
    assert!(
        replayed(&second) > 0,
        "the second copy met lines the first had applied"
    );
    assert_eq!(movement_count(&app).await, 100, "one movement per line");
    for product in &products {
        assert_eq!(app.stock_of("s1", product).await, (7, 0, 7), "{product}");
    }
}

#[tokio::test]
async fn a_bulk_request_makes_at_most_three_calls_per_line_and_two_for_its_key() {
    let app = TestApp::new().await;
    let products: Vec<String> = (0..20).map(|i| format!("p{i}")).collect();
    for product in &products {
        app.given_stock("s1", product, 10).await;
    }
    let body = lines(
        &products
            .iter()
            .map(|p| delta("s1", p, -1))
            .collect::<Vec<_>>(),
    );
    let meter = app.app.db.meter();

    meter.take();
    let first = app
        .send_as_admin_with(&[("idempotency-key", "counted")], "POST", BULK, Some(&body))
        .await;
    let usage = meter.take();
    let replay = app
        .send_as_admin_with(&[("idempotency-key", "counted")], "POST", BULK, Some(&body))
        .await;
    let replay_usage = meter.take();

    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(usage.calls_of("TransactWriteItems"), 20, "{usage:?}");
    assert!(usage.total_calls() <= 3 * 20 + 2, "{usage:?}");
    assert_eq!(replay.text, first.text);
    assert_eq!(
        replay_usage.total_calls(),
        1,
        "a replay reads its record and nothing else: {replay_usage:?}"
    );
}
