//! Legacy rows, audited adjustments, and the ledger every change writes.

use serde_json::json;
use testkit::routes::ADJUST;
use testkit::{movement_types, order, stock_after, stock_before, TestApp};

#[tokio::test]
async fn a_legacy_row_can_be_reserved_and_migrates_to_reserved_and_available_stock() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 9).await;
    let legacy = app.stored_attributes("s1", "p1").await.expect("row");
    assert!(
        !legacy.contains_key("reserved_stock") && !legacy.contains_key("available_stock"),
        "given_stock writes the legacy shape"
    );

    let response = app.reserve(&order("o1", &[("p1", 4)])).await;

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
    app.reserved(&order("o1", &[("p1", 8)])).await;
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
        app.stock_of("s1", "p1").await,
        (8, 8, 0),
        "available is 0, never below"
    );
    let movements = app.history("s1", "p1").await;
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
        app.reserve(&order("o1", &[("p1", 4)])).await,
        app.reserve(&order("o2", &[("p1", 3)])).await,
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
    assert_eq!(app.complete(&first).await.status, 200, "completed");
    assert_eq!(app.release(&second).await.status, 200, "released");
    let count = app
        .put(stock, r#"{"new_stock": 12, "expected_stock": 10}"#)
        .await;
    assert_eq!(count.status, 200, "{}", count.text);

    let movements = app.history("s1", "p1").await;

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
        app.stock_of("s1", "p1").await,
        "the last movement ends at the stored row"
    );
    assert_eq!(app.stock_of("s1", "p1").await, (12, 0, 12), "{movements:?}");
}
