//! Reading, checking and changing one row's stock.

use futures::future::join_all;
use testkit::TestApp;

const ROW: &str = "/api/v1/inventory/products/s1/p1";

#[tokio::test]
async fn get_product_returns_the_row_with_its_catalog_details() {
    let app = TestApp::new().await;
    let (product, _) = app.given_stock("s1", "p1", 12).await;

    let response = app.get(ROW).await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json["current_stock"], 12);
    assert_eq!(response.json["available_stock"], 12);
    assert_eq!(response.json["reserved_stock"], 0);
    assert_eq!(
        response.json["product"]["barcode"],
        product.barcode.as_str()
    );
    // Money is an exact JSON number: the text is the decimal, not a float rendering.
    assert!(
        response.text.contains(r#""selling_price":45.50"#),
        "{}",
        response.text
    );
    assert!(
        response.text.contains(r#""mrp":50.00"#),
        "{}",
        response.text
    );
}

#[tokio::test]
async fn get_product_answers_404_for_a_product_the_store_does_not_stock() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 12).await;

    app.get("/api/v1/inventory/products/s1/p2")
        .await
        .assert_problem(404, "inventory_item_not_found");
    app.get("/api/v1/inventory/products/s2/p1")
        .await
        .assert_problem(404, "inventory_item_not_found");
}

#[tokio::test]
async fn a_negative_delta_takes_stock_and_stamps_the_row() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;

    let response = app
        .put(
            &format!("{ROW}/stock"),
            r#"{"quantity_change": -3, "reason": "sold"}"#,
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json["current_stock"], 7);
    let stored = app.stored_row("s1", "p1").await.expect("row");
    assert_eq!(
        (
            stored.current_stock,
            stored.available_stock,
            stored.reserved_stock
        ),
        (7, 7, 0)
    );
    assert!(stored.updated_at.is_some());
}

#[tokio::test]
async fn a_decrement_beyond_stock_answers_409_with_the_current_stock_and_changes_nothing() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 4).await;

    let response = app
        .put(&format!("{ROW}/stock"), r#"{"quantity_change": -5}"#)
        .await;

    response.assert_problem(409, "insufficient_stock");
    assert_eq!(response.json["current_stock"], 4);
    assert_eq!(response.json["available_stock"], 4);
    assert_eq!(response.json["requested"], 5);
    assert_eq!(
        app.stored_row("s1", "p1").await.expect("row").current_stock,
        4
    );
}

#[tokio::test]
async fn a_decrement_to_exactly_zero_is_allowed() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 4).await;

    let response = app
        .put(&format!("{ROW}/stock"), r#"{"quantity_change": -4}"#)
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        app.stored_row("s1", "p1").await.expect("row").current_stock,
        0
    );
}

#[tokio::test]
async fn a_count_is_applied_when_the_expected_stock_matches() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 42).await;

    let response = app
        .put(
            &format!("{ROW}/stock"),
            r#"{"new_stock": 40, "expected_stock": 42}"#,
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    let stored = app.stored_row("s1", "p1").await.expect("row");
    assert_eq!((stored.current_stock, stored.available_stock), (40, 40));
}

#[tokio::test]
async fn a_count_against_a_stale_expected_stock_answers_409_with_the_current_stock() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 41).await;

    let response = app
        .put(
            &format!("{ROW}/stock"),
            r#"{"new_stock": 40, "expected_stock": 42}"#,
        )
        .await;

    response.assert_problem(409, "stock_mismatch");
    assert_eq!(response.json["current_stock"], 41);
    assert_eq!(response.json["expected_stock"], 42);
    assert_eq!(
        app.stored_row("s1", "p1").await.expect("row").current_stock,
        41
    );
}

#[tokio::test]
async fn a_stock_change_for_an_unknown_row_answers_404_and_creates_nothing() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 5).await;

    for body in [
        r#"{"quantity_change": 3}"#,
        r#"{"new_stock": 1, "expected_stock": 0}"#,
    ] {
        app.put("/api/v1/inventory/products/s1/p9/stock", body)
            .await
            .assert_problem(404, "inventory_item_not_found");
    }
    assert!(
        app.stored_attributes("s1", "p9").await.is_none(),
        "no row was created by the update"
    );
}

#[tokio::test]
async fn fifty_concurrent_decrements_of_one_on_a_stock_of_twenty_sell_exactly_twenty() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 20).await;

    let uri = format!("{ROW}/stock");
    let attempts = (0..50).map(|_| app.put(&uri, r#"{"quantity_change": -1}"#));
    let responses = join_all(attempts).await;

    let ok = responses.iter().filter(|r| r.status == 200).count();
    let conflicts = responses
        .iter()
        .filter(|r| r.status == 409 && r.code() == "insufficient_stock")
        .count();
    assert_eq!(
        (ok, conflicts),
        (20, 30),
        "every attempt is a sale or a 409, and exactly 20 sell"
    );
    let stored = app.stored_row("s1", "p1").await.expect("row");
    assert_eq!((stored.current_stock, stored.available_stock), (0, 0));
}

#[tokio::test]
async fn availability_reports_whether_n_can_be_sold_and_the_shortage() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 7).await;

    let enough = app.get(&format!("{ROW}/availability?quantity=7")).await;
    let short = app.get(&format!("{ROW}/availability?quantity=10")).await;

    assert_eq!(enough.status, 200, "{}", enough.text);
    assert_eq!(enough.json["available"], true);
    assert_eq!(enough.json["shortage"], 0);
    assert_eq!(short.json["available"], false);
    assert_eq!(short.json["shortage"], 3);
    assert_eq!(short.json["available_stock"], 7);
    assert_eq!(short.json["requested_quantity"], 10);
}

#[tokio::test]
async fn a_legacy_row_without_reserved_or_available_stock_reads_and_migrates_on_first_write() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 9).await;
    let before = app.stored_attributes("s1", "p1").await.expect("row");
    assert!(!before.contains_key("available_stock") && !before.contains_key("reserved_stock"));

    let read = app.get(ROW).await;
    let changed = app
        .put(&format!("{ROW}/stock"), r#"{"quantity_change": 1}"#)
        .await;

    assert_eq!(
        (
            read.json["available_stock"].clone(),
            read.json["reserved_stock"].clone()
        ),
        (9.into(), 0.into())
    );
    assert_eq!(changed.status, 200, "{}", changed.text);
    let after = app.stored_attributes("s1", "p1").await.expect("row");
    assert_eq!(after["available_stock"].as_n().expect("number"), "10");
    assert_eq!(after["reserved_stock"].as_n().expect("number"), "0");
    // Attributes the previous service wrote are kept, with their names and exact values
    // (DynamoDB stores numbers without trailing zeros).
    assert_eq!(after["selling_price"].as_n().expect("number"), "45.5");
    assert_eq!(after["reorder_point"], before["reorder_point"]);
}

#[tokio::test]
async fn a_retried_delta_with_the_same_idempotency_key_is_applied_once() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    let key = [("idempotency-key", "7d9f2c1e-retry-1")];
    let body = r#"{"quantity_change": -3, "reason": "sold"}"#;

    let first = app
        .send_as_admin_with(&key, "PUT", &format!("{ROW}/stock"), Some(body))
        .await;
    let retry = app
        .send_as_admin_with(&key, "PUT", &format!("{ROW}/stock"), Some(body))
        .await;

    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(retry.status, 200, "{}", retry.text);
    assert_eq!(
        retry.json["current_stock"], 7,
        "the retry answers the row as it is"
    );
    assert_eq!(
        app.stored_row("s1", "p1").await.expect("row").current_stock,
        7,
        "applied once"
    );
    let (movements, _) = app
        .app
        .db
        .movements(
            &inventory::domain::StoreId::parse("s1").expect("store"),
            &inventory::domain::ProductId::parse("p1").expect("product"),
            10,
            None,
        )
        .await
        .expect("history");
    assert_eq!(movements.len(), 1, "one ledger row");
}

#[tokio::test]
async fn an_idempotency_key_reused_for_a_different_request_answers_409_and_changes_nothing() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    let key = [("idempotency-key", "key-1")];
    app.send_as_admin_with(
        &key,
        "PUT",
        &format!("{ROW}/stock"),
        Some(r#"{"quantity_change": -3}"#),
    )
    .await;
    let before = app.snapshot().await;

    let other = app
        .send_as_admin_with(
            &key,
            "PUT",
            &format!("{ROW}/stock"),
            Some(r#"{"quantity_change": -4}"#),
        )
        .await;
    let adjust = app
        .send_as_admin_with(
            &key,
            "POST",
            "/api/v1/inventory/adjust",
            Some(r#"{"store_id": "s1", "product_id": "p1", "quantity_change": -3, "adjustment_type": "damage", "reason": "torn"}"#),
        )
        .await;

    other.assert_problem(409, "idempotency_mismatch");
    adjust.assert_problem(409, "idempotency_mismatch");
    assert_eq!(app.snapshot().await, before, "nothing changed");
}

#[tokio::test]
async fn a_malformed_idempotency_key_answers_400_and_changes_nothing() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    let before = app.snapshot().await;
    let long = "k".repeat(129);

    for key in ["has space", "a#b", long.as_str()] {
        let response = app
            .send_as_admin_with(
                &[("idempotency-key", key)],
                "PUT",
                &format!("{ROW}/stock"),
                Some(r#"{"quantity_change": 1}"#),
            )
            .await;
        response.assert_problem(400, "invalid_parameter");
        assert_eq!(response.json["field"], "Idempotency-Key");
    }
    assert_eq!(app.snapshot().await, before);
}
