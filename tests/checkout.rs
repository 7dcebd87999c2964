//! Orders from checkout to delivery through the routes: every step's stock effect, the illegal
//! steps, races between clerks, short picks, expiry, customer isolation and bad input.

use futures::future::join_all;
use serde_json::{json, Value};
use testkit::{Case, TestApp, TestResponse};

const ORDERS: &str = "/api/v1/orders";
const S: &str = "s1";

fn checkout(order_id: &str, items: &[(&str, i64)]) -> Value {
    json!({
        "order_id": order_id,
        "store_id": S,
        "customer_id": "cust-1",
        "items": items.iter().map(|(p, q)| json!({"product_id": p, "quantity": q})).collect::<Vec<_>>(),
    })
}

async fn place(app: &TestApp, body: &Value) -> TestResponse {
    app.post(ORDERS, &body.to_string()).await
}

async fn placed(app: &TestApp, order_id: &str, items: &[(&str, i64)]) {
    let r = place(app, &checkout(order_id, items)).await;
    assert_eq!(r.status, 201, "checkout: {}", r.text);
}

async fn move_to(app: &TestApp, order_id: &str, status: &str) -> TestResponse {
    app.post(
        &format!("{ORDERS}/{order_id}/status"),
        &json!({ "status": status }).to_string(),
    )
    .await
}

async fn moved(app: &TestApp, order_id: &str, status: &str) -> Value {
    let r = move_to(app, order_id, status).await;
    assert_eq!(r.status, 200, "{order_id} -> {status}: {}", r.text);
    assert_eq!(r.json["status"], status, "{}", r.text);
    r.json
}

async fn status_of(app: &TestApp, order_id: &str) -> String {
    let r = app.get(&format!("{ORDERS}/{order_id}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["status"].as_str().expect("status").to_owned()
}

/// Movements of a product that reference `order_id`, oldest first, as (type, delta).
async fn order_movements(app: &TestApp, product: &str, order_id: &str) -> Vec<(String, i64)> {
    app.history(S, product)
        .await
        .iter()
        .filter(|m| m["order_id"] == order_id)
        .map(|m| {
            (
                m["movement_type"].as_str().expect("type").to_owned(),
                m["delta"].as_i64().expect("delta"),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_order_goes_from_checkout_to_delivery_with_stock_checked_at_every_step() {
    let app = TestApp::new().await;
    app.given_stock(S, "p1", 10).await;
    app.given_stock(S, "p2", 5).await;

    let created = place(&app, &checkout("o1", &[("p1", 3), ("p2", 2), ("p1", 1)])).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.json["status"], "PENDING");
    // Prices are the rows' selling price (45.50), lines summed: 4 x 45.50 + 2 x 45.50.
    assert_eq!(created.json["total_amount"], json!(273.0));
    assert!(
        created.text.contains("\"total_amount\":273.00"),
        "exact text: {}",
        created.text
    );
    assert_eq!(created.json["lines"][0]["unit_price"], json!(45.5));
    assert_eq!(
        created.json["allowed_next"],
        json!(["CONFIRMED", "CANCELLED"])
    );
    assert_eq!(
        app.stock_of(S, "p1").await,
        (10, 4, 6),
        "reserved at checkout"
    );
    assert_eq!(app.stock_of(S, "p2").await, (5, 2, 3));

    moved(&app, "o1", "CONFIRMED").await;
    assert_eq!(
        app.stock_of(S, "p1").await,
        (6, 0, 6),
        "shipped from reserved"
    );
    assert_eq!(app.stock_of(S, "p2").await, (3, 0, 3));

    for step in ["PROCESSING", "SHIPPED", "DELIVERED"] {
        moved(&app, "o1", step).await;
        assert_eq!(
            app.stock_of(S, "p1").await,
            (6, 0, 6),
            "{step}: order state only"
        );
    }

    let delivered = app.get(&format!("{ORDERS}/o1")).await;
    let history: Vec<(Value, Value)> = delivered.json["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| (h["from"].clone(), h["to"].clone()))
        .collect();
    assert_eq!(
        history,
        vec![
            (Value::Null, json!("PENDING")),
            (json!("PENDING"), json!("CONFIRMED")),
            (json!("CONFIRMED"), json!("PROCESSING")),
            (json!("PROCESSING"), json!("SHIPPED")),
            (json!("SHIPPED"), json!("DELIVERED")),
        ]
    );
    assert!(delivered.json["history"][1]["actor"] == "test-admin");
    assert_eq!(
        order_movements(&app, "p1", "o1").await,
        [("reserve".to_owned(), 4), ("commit".to_owned(), -4)]
    );

    moved(&app, "o1", "RETURNED").await;
    assert_eq!(
        app.stock_of(S, "p1").await,
        (10, 0, 10),
        "a return restocks"
    );
    assert_eq!(app.stock_of(S, "p2").await, (5, 0, 5));
    assert_eq!(
        order_movements(&app, "p1", "o1").await,
        [
            ("reserve".to_owned(), 4),
            ("commit".to_owned(), -4),
            ("return".to_owned(), 4)
        ]
    );
}

#[tokio::test]
async fn a_pending_order_cancelled_releases_its_reservation() {
    let app = TestApp::new().await;
    app.given_stock(S, "p1", 10).await;
    placed(&app, "o1", &[("p1", 3)]).await;

    moved(&app, "o1", "CANCELLED").await;

    assert_eq!(app.stock_of(S, "p1").await, (10, 0, 10));
    assert_eq!(
        order_movements(&app, "p1", "o1").await,
        [("reserve".to_owned(), 3), ("release".to_owned(), 3)]
    );
}

#[tokio::test]
async fn a_short_line_answers_409_with_every_short_line_and_leaves_no_order() {
    let app = TestApp::new().await;
    app.given_stock(S, "p1", 2).await;
    app.given_stock(S, "p2", 1).await;
    app.given_stock(S, "p3", 9).await;
    let before = app.snapshot().await;

    let r = place(&app, &checkout("o1", &[("p1", 3), ("p2", 5), ("p3", 1)])).await;

    r.assert_problem(409, "insufficient_stock");
    let short: Vec<&str> = r.json["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["product_id"].as_str().expect("id"))
        .collect();
    assert_eq!(short.len(), 2, "{}", r.text);
    assert!(short.contains(&"p1") && short.contains(&"p2"), "{}", r.text);
    assert_eq!(app.snapshot().await, before, "no order, no reservation");
    app.get(&format!("{ORDERS}/o1"))
        .await
        .assert_problem(404, "order_not_found");
}

#[tokio::test]
async fn a_retried_checkout_returns_the_same_order_by_order_id_or_idempotency_key() {
    let app = TestApp::new().await;
    app.given_stock(S, "p1", 10).await;
    let body = checkout("o1", &[("p1", 2)]);
    let first = place(&app, &body).await;
    let again = place(&app, &body).await;
    assert_eq!((first.status, again.status), (201, 200), "{}", again.text);
    assert_eq!(first.json["reservation_id"], again.json["reservation_id"]);
    place(&app, &checkout("o1", &[("p1", 3)]))
        .await
        .assert_problem(409, "idempotency_mismatch");

    let mut keyed = checkout("unused", &[("p1", 1)]);
    keyed.as_object_mut().expect("object").remove("order_id");
    let keyed = keyed.to_string();
    let headers = [("idempotency-key", "checkout-7")];
    let k1 = app
        .send_as_admin_with(&headers, "POST", ORDERS, Some(&keyed))
        .await;
    let k2 = app
        .send_as_admin_with(&headers, "POST", ORDERS, Some(&keyed))
        .await;
    assert_eq!((k1.status, k2.status), (201, 200), "{}", k2.text);
    assert_eq!(k1.json["order_id"], k2.json["order_id"]);
    assert_eq!(
        app.stock_of(S, "p1").await,
        (10, 3, 7),
        "each order reserved once"
    );
}

#[tokio::test]
async fn every_illegal_transition_answers_409_with_the_current_status_and_the_allowed_ones() {
    let app = TestApp::new().await;
    app.given_stock(S, "p1", 100).await;
    let all = [
        "PENDING",
        "CONFIRMED",
        "PROCESSING",
        "SHIPPED",
        "DELIVERED",
        "CANCELLED",
        "RETURNED",
        "EXPIRED",
    ];
    // How to bring a fresh order to each status.
    let paths: [(&str, &[&str]); 7] = [
        ("PENDING", &[]),
        ("CONFIRMED", &["CONFIRMED"]),
        ("PROCESSING", &["CONFIRMED", "PROCESSING"]),
        ("SHIPPED", &["CONFIRMED", "PROCESSING", "SHIPPED"]),
        (
            "DELIVERED",
            &["CONFIRMED", "PROCESSING", "SHIPPED", "DELIVERED"],
        ),
        ("CANCELLED", &["CANCELLED"]),
        (
            "RETURNED",
            &[
                "CONFIRMED",
                "PROCESSING",
                "SHIPPED",
                "DELIVERED",
                "RETURNED",
            ],
        ),
    ];
    let legal = |from: &str, to: &str| {
        matches!(
            (from, to),
            ("PENDING", "CONFIRMED" | "CANCELLED")
                | ("CONFIRMED", "PROCESSING" | "CANCELLED")
                | ("PROCESSING", "SHIPPED" | "CANCELLED")
                | ("SHIPPED", "DELIVERED")
                | ("DELIVERED", "RETURNED")
        )
    };
    for (n, (status, steps)) in paths.iter().enumerate() {
        let id = format!("o{n}");
        placed(&app, &id, &[("p1", 1)]).await;
        for step in *steps {
            moved(&app, &id, step).await;
        }
        let allowed: Vec<&str> = all.iter().copied().filter(|to| legal(status, to)).collect();
        for to in all {
            if to == *status || legal(status, to) {
                continue;
            }
            let before = app.snapshot().await;
            let r = move_to(&app, &id, to).await;
            r.assert_problem(409, "illegal_transition");
            assert_eq!(r.json["current_status"], *status, "{status} -> {to}");
            assert_eq!(r.json["allowed_next"], json!(allowed), "{status} -> {to}");
            assert_eq!(
                app.snapshot().await,
                before,
                "{status} -> {to} changed nothing"
            );
        }
        // Repeating the step it is at answers 200 and changes nothing.
        let before = app.snapshot().await;
        assert_eq!(move_to(&app, &id, status).await.status, 200);
        assert_eq!(app.snapshot().await, before, "a repeated {status}");
    }
}

#[tokio::test]
async fn fifty_concurrent_checkouts_for_the_last_20_units_place_exactly_20_orders() {
    let app = TestApp::new().await;
    app.given_stock(S, "p1", 20).await;

    let bodies: Vec<Value> = (0..50)
        .map(|n| checkout(&format!("race-{n}"), &[("p1", 1)]))
        .collect();
    let statuses: Vec<u16> = join_all(bodies.iter().map(|body| {
        let app = &app;
        async move { place(app, body).await.status }
    }))
    .await;

    let placed = statuses.iter().filter(|s| **s == 201).count();
    assert_eq!(placed, 20, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    assert_eq!(app.stock_of(S, "p1").await, (20, 20, 0), "0 oversold");
    let listed = app
        .get(&format!("{ORDERS}?store_id={S}&status=PENDING&limit=100"))
        .await;
    assert_eq!(listed.json["count"], 20, "{}", listed.text);
}

#[tokio::test]
async fn a_double_confirm_racing_a_cancel_has_exactly_one_winner_and_stock_matches_it() {
    for round in 0..3 {
        let app = TestApp::new().await;
        app.given_stock(S, "p1", 10).await;
        placed(&app, "o1", &[("p1", 4)]).await;

        let outcomes: Vec<(&str, u16)> =
            join_all(["CONFIRMED", "CONFIRMED", "CANCELLED"].map(|to| {
                let app = &app;
                async move { (to, move_to(app, "o1", to).await.status) }
            }))
            .await;

        let winner = status_of(&app, "o1").await;
        match winner.as_str() {
            "CONFIRMED" => {
                assert!(
                    outcomes.contains(&("CANCELLED", 409)),
                    "round {round}: {outcomes:?}"
                );
                assert_eq!(app.stock_of(S, "p1").await, (6, 0, 6), "round {round}");
                assert_eq!(
                    order_movements(&app, "p1", "o1").await,
                    [("reserve".to_owned(), 4), ("commit".to_owned(), -4)]
                );
            }
            "CANCELLED" => {
                assert!(
                    outcomes
                        .iter()
                        .all(|(to, s)| *to == "CANCELLED" || *s == 409),
                    "round {round}: {outcomes:?}"
                );
                assert_eq!(app.stock_of(S, "p1").await, (10, 0, 10), "round {round}");
                assert_eq!(
                    order_movements(&app, "p1", "o1").await,
                    [("reserve".to_owned(), 4), ("release".to_owned(), 4)]
                );
            }
            other => panic!("round {round}: the order is {other}: {outcomes:?}"),
        }
    }
}

#[tokio::test]
async fn a_cancellation_after_confirmation_restocks_exactly_once_even_when_retried() {
    let app = TestApp::new().await;
    app.given_stock(S, "p1", 10).await;
    placed(&app, "o1", &[("p1", 4)]).await;
    moved(&app, "o1", "CONFIRMED").await;
    assert_eq!(app.stock_of(S, "p1").await, (6, 0, 6));

    // Retries, some of them concurrent.
    let concurrent = join_all((0..3).map(|_| {
        let app = &app;
        async move { move_to(app, "o1", "CANCELLED").await.status }
    }))
    .await;
    let again = move_to(&app, "o1", "CANCELLED").await;

    for status in concurrent {
        assert_eq!(status, 200, "a repeat of the same step is done");
    }
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(app.stock_of(S, "p1").await, (10, 0, 10), "restocked once");
    assert_eq!(
        order_movements(&app, "p1", "o1").await,
        [
            ("reserve".to_owned(), 4),
            ("commit".to_owned(), -4),
            ("return".to_owned(), 4)
        ]
    );
}

#[tokio::test]
async fn a_short_pick_returns_the_units_recomputes_the_total_and_records_both() {
    let app = TestApp::new().await;
    app.given_stock(S, "p1", 10).await;
    app.given_stock(S, "p2", 10).await;
    placed(&app, "o1", &[("p1", 3), ("p2", 1)]).await;
    let pick = |quantity: i64| {
        json!({"short_pick": {"product_id": "p1", "quantity": quantity}}).to_string()
    };

    // Not before payment.
    app.post(&format!("{ORDERS}/o1/status"), &pick(1))
        .await
        .assert_problem(409, "illegal_transition");
    moved(&app, "o1", "CONFIRMED").await;
    assert_eq!(app.stock_of(S, "p1").await, (7, 0, 7));

    let r = app.post(&format!("{ORDERS}/o1/status"), &pick(1)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["lines"][0]["quantity"], 1);
    assert_eq!(r.json["lines"][0]["ordered_quantity"], 3);
    assert_eq!(r.json["total_amount"], json!(91.0), "2 x 45.50");
    assert_eq!(r.json["short_picks"][0]["from_quantity"], 3);
    assert_eq!(r.json["short_picks"][0]["total_before"], json!(182.0));
    assert_eq!(r.json["short_picks"][0]["total_after"], json!(91.0));
    assert_eq!(app.stock_of(S, "p1").await, (9, 0, 9), "2 units back");
    assert_eq!(
        order_movements(&app, "p1", "o1").await,
        [
            ("reserve".to_owned(), 3),
            ("commit".to_owned(), -3),
            ("return".to_owned(), 2)
        ]
    );

    // The same pick again changes nothing; a pick that is not a reduction is a 400.
    let before = app.snapshot().await;
    assert_eq!(
        app.post(&format!("{ORDERS}/o1/status"), &pick(1))
            .await
            .status,
        200
    );
    app.post(&format!("{ORDERS}/o1/status"), &pick(2))
        .await
        .assert_problem(400, "invalid_parameter");
    assert_eq!(app.snapshot().await, before);

    // A cancellation afterwards returns only what is still on the order.
    moved(&app, "o1", "PROCESSING").await;
    moved(&app, "o1", "CANCELLED").await;
    assert_eq!(app.stock_of(S, "p1").await, (10, 0, 10));
    assert_eq!(app.stock_of(S, "p2").await, (10, 0, 10));
}

#[tokio::test]
async fn a_pending_order_expires_on_its_next_read_and_its_stock_comes_back() {
    let app = TestApp::with_manual_clock().await;
    app.given_stock(S, "p1", 10).await;
    let mut body = checkout("o1", &[("p1", 3)]);
    body["expires_in_minutes"] = json!(10);
    assert_eq!(place(&app, &body).await.status, 201);

    app.app.clock.advance(chrono::Duration::minutes(9));
    assert_eq!(status_of(&app, "o1").await, "PENDING");
    app.app.clock.advance(chrono::Duration::minutes(1));

    assert_eq!(status_of(&app, "o1").await, "EXPIRED");
    assert_eq!(
        app.stock_of(S, "p1").await,
        (10, 0, 10),
        "released by the read"
    );
    let r = move_to(&app, "o1", "CONFIRMED").await;
    r.assert_problem(409, "illegal_transition");
    assert_eq!(r.json["current_status"], "EXPIRED");
}

#[tokio::test]
async fn the_sweeper_expires_a_pending_order_with_its_reservation() {
    let app = TestApp::with_manual_clock().await;
    app.given_stock(S, "p1", 10).await;
    placed(&app, "o1", &[("p1", 3)]).await;
    app.app.clock.advance(chrono::Duration::minutes(29));
    assert_eq!(inventory::expiry::sweep(&app.app).await.expired, 0);

    app.app.clock.advance(chrono::Duration::minutes(1));
    let report = inventory::expiry::sweep(&app.app).await;

    assert_eq!(report.expired, 1, "{report:?}");
    let stored = app
        .app
        .db
        .order(&inventory::domain::OrderId::parse("o1").expect("id"))
        .await
        .expect("reads")
        .expect("exists");
    assert_eq!(stored.status, inventory::domain::OrderStatus::Expired);
    assert_eq!(app.stock_of(S, "p1").await, (10, 0, 10));
}

#[tokio::test]
async fn a_customer_sees_only_its_own_orders_and_another_customers_look_missing() {
    let app = TestApp::new().await;
    app.given_stock(S, "p1", 10).await;
    let alice = app.token("alice", "customer", "");
    let bob = app.token("bob", "customer", "");
    let body = json!({"order_id": "o-alice", "store_id": S, "items": [{"product_id": "p1", "quantity": 1}]});
    let mine = app
        .send_as(Some(&alice), "POST", ORDERS, Some(&body.to_string()))
        .await;
    assert_eq!(mine.status, 201, "{}", mine.text);
    assert_eq!(mine.json["customer_id"], "alice");

    let own = app
        .send_as(Some(&alice), "GET", &format!("{ORDERS}/o-alice"), None)
        .await;
    assert_eq!(own.status, 200);
    let others = app
        .send_as(Some(&bob), "GET", &format!("{ORDERS}/o-alice"), None)
        .await;
    let missing = app
        .send_as(Some(&bob), "GET", &format!("{ORDERS}/o-nobody"), None)
        .await;
    others.assert_problem(404, "order_not_found");
    missing.assert_problem(404, "order_not_found");
    assert_eq!(
        others.json["detail"]
            .as_str()
            .map(|d| d.replace("o-alice", "ID")),
        missing.json["detail"]
            .as_str()
            .map(|d| d.replace("o-nobody", "ID")),
        "the same answer as for an order that does not exist"
    );

    let listed = app.send_as(Some(&bob), "GET", ORDERS, None).await;
    assert_eq!(listed.json["count"], 0, "{}", listed.text);
    let listed = app.send_as(Some(&alice), "GET", ORDERS, None).await;
    assert_eq!(listed.json["count"], 1, "{}", listed.text);
    app.send_as(
        Some(&bob),
        "GET",
        &format!("{ORDERS}?customer_id=alice"),
        None,
    )
    .await
    .assert_problem(403, "forbidden");

    // Not for someone else, and no steps.
    let for_alice = json!({"store_id": S, "customer_id": "alice", "items": [{"product_id": "p1", "quantity": 1}]});
    app.send_as(Some(&bob), "POST", ORDERS, Some(&for_alice.to_string()))
        .await
        .assert_problem(403, "forbidden");
    app.send_as(
        Some(&alice),
        "POST",
        &format!("{ORDERS}/o-alice/status"),
        Some(r#"{"status":"CONFIRMED"}"#),
    )
    .await
    .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn each_role_may_make_only_its_own_steps() {
    let app = TestApp::new().await;
    app.given_stock(S, "p1", 10).await;
    placed(&app, "o1", &[("p1", 1)]).await;
    let staff = app.token("clerk", "staff", S);
    let other_staff = app.token("clerk2", "staff", "s2");
    let service = app.token("checkout", "service", "");
    let step = |to: &str| json!({ "status": to }).to_string();
    let send = |token: &str, to: &str| {
        let token = token.to_owned();
        let body = step(to);
        let app = &app;
        async move {
            app.send_as(
                Some(&token),
                "POST",
                &format!("{ORDERS}/o1/status"),
                Some(&body),
            )
            .await
        }
    };

    send(&staff, "CONFIRMED")
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(send(&service, "CONFIRMED").await.status, 200);
    send(&service, "PROCESSING")
        .await
        .assert_problem(403, "forbidden");
    send(&other_staff, "PROCESSING")
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(send(&staff, "PROCESSING").await.status, 200);
    assert_eq!(send(&staff, "CANCELLED").await.status, 200);
    app.send_as(
        Some(&staff),
        "POST",
        ORDERS,
        Some(&checkout("o2", &[("p1", 1)]).to_string()),
    )
    .await
    .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn bad_input_on_every_order_route_answers_400_and_changes_nothing() {
    let app = TestApp::new().await;
    app.given_stock(S, "p1", 10).await;
    placed(&app, "o1", &[("p1", 1)]).await;
    let before = app.snapshot().await;
    let line = json!([{"product_id": "p1", "quantity": 1}]);
    let status = format!("{ORDERS}/o1/status");

    app.assert_refused(&[
        Case::post(ORDERS, json!({"store_id": S, "customer_id": "c", "items": line, "unit_price": 1}), 400, "invalid_body", Some("unit_price")),
        Case::post(ORDERS, json!({"store_id": S, "customer_id": "c", "items": [{"product_id": "p1", "quantity": 1, "unit_price": 1}]}), 400, "invalid_body", Some("unit_price")),
        Case::post(ORDERS, json!({"store_id": S, "customer_id": "c", "items": []}), 400, "invalid_parameter", Some("items")),
        Case::post(ORDERS, json!({"store_id": S, "customer_id": "c", "items": [{"product_id": "p1", "quantity": 0}]}), 400, "invalid_body", Some("quantity")),
        Case::post(ORDERS, json!({"store_id": "a#b", "customer_id": "c", "items": line}), 400, "invalid_body", Some("store_id")),
        Case::post(ORDERS, json!({"store_id": S, "items": line}), 400, "invalid_parameter", Some("customer_id")),
        Case::post(ORDERS, json!({"store_id": S, "customer_id": "c", "items": line, "expires_in_minutes": 0}), 400, "invalid_parameter", Some("expires_in_minutes")),
        Case::post(ORDERS, json!({"order_id": "x y", "store_id": S, "customer_id": "c", "items": line}), 400, "invalid_body", Some("order_id")),
        Case::post(ORDERS, "not json", 400, "invalid_body", None),
        Case::get(format!("{ORDERS}?store_id={S}&status=pending"), "status"),
        Case::get(format!("{ORDERS}?store_id={S}&limit=0"), "limit"),
        Case::get(format!("{ORDERS}?store_id={S}&next_token=abc"), "next_token"),
        Case::get(format!("{ORDERS}?limit=5"), "store_id"),
        Case::get(format!("{ORDERS}/a%23b"), "order_id"),
        Case::post(&status, json!({"status": "DONE"}), 400, "invalid_body", Some("DONE")),
        Case::post(&status, json!({}), 400, "invalid_parameter", Some("body")),
        Case::post(&status, json!({"status": "CONFIRMED", "short_pick": {"product_id": "p1", "quantity": 0}}), 400, "invalid_parameter", Some("body")),
        Case::post(&status, json!({"short_pick": {"product_id": "p1", "quantity": -1}}), 400, "invalid_parameter", Some("short_pick.quantity")),
        Case::post(&status, json!({"status": "CONFIRMED", "by": "me"}), 400, "invalid_body", Some("by")),
    ])
    .await;

    assert_eq!(app.snapshot().await, before, "nothing changed");
}

#[tokio::test]
async fn a_stores_orders_page_newest_first_by_cursor_and_a_cursor_fits_only_its_listing() {
    let app = TestApp::with_manual_clock().await;
    app.given_stock(S, "p1", 100).await;
    for n in 0..5 {
        placed(&app, &format!("o{n}"), &[("p1", 1)]).await;
        app.app.clock.advance(chrono::Duration::seconds(1));
    }
    moved(&app, "o1", "CONFIRMED").await;

    let mut seen = Vec::new();
    let mut uri = format!("{ORDERS}?store_id={S}&limit=2");
    let mut first_token = None;
    loop {
        let page = app.get(&uri).await;
        assert_eq!(page.status, 200, "{}", page.text);
        for o in page.json["orders"].as_array().expect("orders") {
            seen.push(o["order_id"].as_str().expect("id").to_owned());
        }
        match page.json["next_token"].as_str() {
            Some(token) => {
                first_token.get_or_insert(token.to_owned());
                uri = format!("{ORDERS}?store_id={S}&limit=2&next_token={token}");
            }
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["o4", "o3", "o2", "o1", "o0"],
        "newest first, each once"
    );

    let pending = app
        .get(&format!("{ORDERS}?store_id={S}&status=PENDING"))
        .await;
    assert_eq!(pending.json["count"], 4, "{}", pending.text);
    let by_customer = app
        .get(&format!("{ORDERS}?customer_id=cust-1&status=CONFIRMED"))
        .await;
    assert_eq!(by_customer.json["count"], 1, "{}", by_customer.text);

    let token = first_token.expect("a second page");
    app.get(&format!("{ORDERS}?store_id=s2&next_token={token}"))
        .await
        .assert_problem(400, "invalid_parameter");
    app.get(&format!("{ORDERS}?customer_id=cust-1&next_token={token}"))
        .await
        .assert_problem(400, "invalid_parameter");
}

/// Sabotage: the order's own write is made to fail inside the confirm's transaction (another
/// writer bumped its version after we read it). The stock effect must not happen without it:
/// the reservation stays active and the units stay reserved, never shipped for an unconfirmed
/// order.
#[tokio::test]
async fn when_the_orders_write_fails_its_stock_effect_is_not_written_either() {
    use inventory::domain::{Actor, OrderId, OrderStatus};
    let app = TestApp::new().await;
    app.given_stock(S, "p1", 10).await;
    placed(&app, "o1", &[("p1", 4)]).await;
    let id = OrderId::parse("o1").expect("id");
    let stale = app.app.db.order(&id).await.expect("reads").expect("exists");
    app.client
        .update_item()
        .table_name(&app.tables.orders)
        .key("order_id", testkit::AttributeValue::S("o1".into()))
        .update_expression("SET version = version + :one")
        .expression_attribute_values(":one", testkit::AttributeValue::N("1".into()))
        .send()
        .await
        .expect("sabotage written");
    let before = app.stock_of(S, "p1").await;

    let result = app
        .app
        .db
        .step_order(
            stale,
            OrderStatus::Confirmed,
            &Actor::parse("clerk").expect("actor"),
            app.app.now(),
        )
        .await;

    assert!(
        matches!(result, Err(inventory::db::OrderError::Changed(_))),
        "{result:?}"
    );
    assert_eq!(before, (10, 4, 6));
    assert_eq!(app.stock_of(S, "p1").await, before, "nothing shipped");
    let reservation = app.get("/api/v1/orders/o1").await.json["reservation_id"]
        .as_str()
        .expect("reservation")
        .to_owned();
    let held = app
        .get(&format!("/api/v1/reservations/{reservation}"))
        .await;
    assert_eq!(held.json["status"], "active", "{}", held.text);
    assert_eq!(status_of(&app, "o1").await, "PENDING");
    // And the order can still be confirmed, once, as read now.
    moved(&app, "o1", "CONFIRMED").await;
    assert_eq!(app.stock_of(S, "p1").await, (6, 0, 6));
}
