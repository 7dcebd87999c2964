//! Reserving an order's stock: all lines or none, once per order, within the limits.

use chrono::Duration;
use futures::future::join_all;
use serde_json::json;
use std::collections::BTreeSet;
use testkit::routes::{RESERVATIONS, RESERVE};
use testkit::{
    expiring, movement_types, order, reservation_ids, short, short_lines, stock_after,
    stock_before, time, to_the_millisecond, TestApp,
};

#[tokio::test]
async fn reserve_moves_units_from_available_to_reserved_and_writes_one_reserve_movement_per_line() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    app.given_stock("s1", "p2", 5).await;

    let response = app.reserve(&order("o1", &[("p1", 3), ("p2", 2)])).await;

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
        app.stock_of("s1", "p1").await,
        (10, 3, 7),
        "p1: 3 moved from available to reserved, on hand unchanged"
    );
    assert_eq!(
        app.stock_of("s1", "p2").await,
        (5, 2, 3),
        "p2: 2 moved from available to reserved, on hand unchanged"
    );
    for (product, quantity, was, is) in [
        ("p1", 3, (10, 0, 10), (10, 3, 7)),
        ("p2", 2, (5, 0, 5), (5, 2, 3)),
    ] {
        let movements = app.history("s1", product).await;
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

    let too_many = app.reserve(&order("o1", &[("p1", 3), ("p1", 3)])).await;
    let snapshot_after_refusal = app.snapshot().await;
    let exactly_enough = app.reserve(&order("o2", &[("p1", 2), ("p1", 3)])).await;

    too_many.assert_problem(409, "insufficient_stock");
    assert_eq!(
        short_lines(&too_many),
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
    assert_eq!(app.stock_of("s1", "p1").await, (5, 5, 0), "all 5 held");
}

#[tokio::test]
async fn reserve_fails_with_409_listing_every_short_line_and_reserves_nothing() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    app.given_stock("s1", "p2", 2).await;
    app.given_stock("s1", "p3", 10).await;
    app.given_stock("s1", "p4", 0).await;
    let before = app.snapshot().await;

    let response = app
        .reserve(&order("o1", &[("p1", 4), ("p2", 3), ("p3", 4), ("p4", 1)]))
        .await;

    response.assert_problem(409, "insufficient_stock");
    assert_eq!(
        short_lines(&response),
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

    let first = app.reserve(&body).await;
    let again = app.reserve(&body).await;
    // The same lines, split and in another order, are the same request.
    let reworded = app
        .reserve(&order("o1", &[("p2", 2), ("p1", 1), ("p1", 2)]))
        .await;

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
    assert_eq!(app.stock_of("s1", "p1").await, (10, 3, 7), "p1 held once");
    assert_eq!(app.stock_of("s1", "p2").await, (10, 2, 8), "p2 held once");
    assert_eq!(
        movement_types(&app.history("s1", "p1").await),
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
    assert_eq!(app.stock_of("s1", "p1").await, (100, 3, 97), "p1 held once");
    assert_eq!(app.stock_of("s1", "p2").await, (100, 2, 98), "p2 held once");
    for product in ["p1", "p2"] {
        assert_eq!(
            movement_types(&app.history("s1", product).await),
            ["reserve"],
            "{product}: exactly one reserve movement"
        );
    }
    let listed = app.get(&format!("{RESERVATIONS}?store_id=s1")).await;
    assert_eq!(
        reservation_ids(&listed).len(),
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
    let original = app.reserved(&order("o1", &[("p1", 3)])).await;
    let before = app.snapshot().await;

    let more = app.reserve(&order("o1", &[("p1", 4)])).await;
    let longer = app.reserve(&expiring(order("o1", &[("p1", 3)]), 30)).await;
    let elsewhere = app.reserve(&order("o1", &[("p1", 3), ("p2", 1)])).await;

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

    let refused = app.reserve(&order("o-big", &too_many)).await;
    let accepted = app.reserve(&order("o-fit", &fit)).await;

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
        app.stock_of("s1", "p00").await,
        (5, 2, 3),
        "p00 was named twice"
    );
    assert_eq!(
        app.stock_of("s1", "p48").await,
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

    let zero = app.reserve(&expiring(order("o0", &[("p1", 1)]), 0)).await;
    let too_long = app
        .reserve(&expiring(order("o1441", &[("p1", 1)]), 1441))
        .await;
    let refusals_left = app.snapshot().await;
    let default = app.reserve(&order("o-default", &[("p1", 1)])).await;
    let longest = app
        .reserve(&expiring(order("o1440", &[("p1", 1)]), 1440))
        .await;
    let shortest = app.reserve(&expiring(order("o1", &[("p1", 1)]), 1)).await;

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
