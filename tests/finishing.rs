//! Completing and releasing a reservation: each happens once, and only from active.

use serde_json::json;
use testkit::routes::RELEASE;
use testkit::{assert_not_active, movement_types, order, stock_after, stock_before, TestApp};

#[tokio::test]
async fn complete_ships_the_reserved_units_once_however_often_it_is_sent() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    app.given_stock("s1", "p2", 5).await;
    let id = app.reserved(&order("o1", &[("p1", 3), ("p2", 2)])).await;

    let first = app.complete(&id).await;
    let after_first = app.snapshot().await;
    let again = app.complete(&id).await;

    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.json["status"], "completed", "{}", first.text);
    assert_eq!(
        app.stock_of("s1", "p1").await,
        (7, 0, 7),
        "p1: on hand and reserved drop by 3, available unchanged"
    );
    assert_eq!(
        app.stock_of("s1", "p2").await,
        (3, 0, 3),
        "p2: on hand and reserved drop by 2, available unchanged"
    );
    let p1 = app.history("s1", "p1").await;
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
    let id = app.reserved(&order("o1", &[("p1", 3)])).await;
    assert_eq!(app.release(&id).await.status, 200, "released");
    let before = app.snapshot().await;

    let response = app.complete(&id).await;

    assert_not_active(&response, &id, "released");
    assert_eq!(app.snapshot().await, before, "nothing changed");
    assert_eq!(
        app.stock_of("s1", "p1").await,
        (10, 0, 10),
        "nothing shipped"
    );
}

#[tokio::test]
async fn release_returns_the_units_to_available_once_however_often_it_is_sent() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    let id = app.reserved(&order("o1", &[("p1", 3)])).await;

    let first = app.release(&id).await;
    let after_first = app.snapshot().await;
    let again = app.release(&id).await;

    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.json["status"], "released", "{}", first.text);
    assert_eq!(
        app.stock_of("s1", "p1").await,
        (10, 0, 10),
        "the 3 units are available again"
    );
    let movements = app.history("s1", "p1").await;
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
    let by_id = app.reserved(&order("o1", &[("p1", 3)])).await;
    let by_order = app.reserved(&order("o2", &[("p1", 4)])).await;
    assert_eq!(app.stock_of("s1", "p1").await, (10, 7, 3), "both held");

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
        app.stock_of("s1", "p1").await,
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
    let id = app.reserved(&order("o1", &[("p1", 3)])).await;
    assert_eq!(app.complete(&id).await.status, 200, "completed");
    let before = app.snapshot().await;

    let by_path = app.release(&id).await;
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
        app.stock_of("s1", "p1").await,
        (7, 0, 7),
        "the shipment stands"
    );
}

#[tokio::test]
async fn a_reservation_not_active_problem_keeps_its_numeric_http_status() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    let id = app.reserved(&order("o1", &[("p1", 3)])).await;
    assert_eq!(app.release(&id).await.status, 200, "released");

    let response = app.complete(&id).await;

    assert_eq!(
        response.text.matches(r#""status":"#).count(),
        1,
        "one `status` member in the problem document: {}",
        response.text
    );
    response.assert_problem(409, "reservation_not_active");
}
