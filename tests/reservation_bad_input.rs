//! Every bad request to the reservation routes gets a precise 4xx and changes nothing.

use serde_json::{json, Value};
use testkit::routes::{ADJUST, RELEASE, RESERVATIONS, RESERVE};
use testkit::{expiring, order, order_in, with, without, Case, TestApp};

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
    let malformed = |uri: &str, body: &str| Case::post(uri, body, 400, "invalid_body", None);
    let ill_typed = |uri: &str, body: Value| Case::post(uri, body, 400, "invalid_body", None);
    // Refused while reading the body: the detail names what was wrong.
    let refused =
        |uri: &str, body: Value, names| Case::post(uri, body, 400, "invalid_body", Some(names));
    let invalid = |uri: &str, body: Value, field| {
        Case::post(uri, body, 400, "invalid_parameter", Some(field))
    };
    let missing = |uri: &str, body: Value, code| Case::post(uri, body, 404, code, None);
    let on_path = |method, uri: String, status, code, field| {
        Case::new(method, uri, None, status, code, field)
    };

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
        Case::get(format!("{RESERVATIONS}/a%23b"), "reservation_id"),
        Case::get(format!("{RESERVATIONS}/{long}"), "reservation_id"),
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
        Case::get(RESERVATIONS, "store_id"),
        Case::get(format!("{RESERVATIONS}?store_id=a%23b"), "store_id"),
        Case::get(
            format!("{RESERVATIONS}?store_id=s1&status=pending"),
            "status",
        ),
        Case::get(format!("{RESERVATIONS}?store_id=s1&limit=0"), "limit"),
        Case::get(format!("{RESERVATIONS}?store_id=s1&limit=101"), "limit"),
        Case::get(
            format!("{RESERVATIONS}?store_id=s1&next_token=not-a-token"),
            "next_token",
        ),
        Case::get(format!("{RESERVATIONS}/expired?limit=0"), "limit"),
        // GET /inventory/history/{store_id}/{product_id}
        Case::get("/api/v1/inventory/history/s1/p1?limit=0", "limit"),
        Case::get("/api/v1/inventory/history/s1/p1?limit=101", "limit"),
        Case::get(
            "/api/v1/inventory/history/s1/p1?next_token=not-a-token",
            "next_token",
        ),
        Case::get("/api/v1/inventory/history/s1/p%231", "product_id"),
        Case::get(format!("/api/v1/inventory/history/{long}/p1"), "store_id"),
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
    let active = app.reserved(&order("o1", &[("p1", 2)])).await;
    let before = app.snapshot().await;

    app.assert_refused(&cases(&active)).await;

    assert_eq!(
        app.snapshot().await,
        before,
        "no bad request changed any table"
    );
    assert_eq!(
        app.stock_of("s1", "p1").await,
        (10, 2, 8),
        "the reservation still holds"
    );
}
