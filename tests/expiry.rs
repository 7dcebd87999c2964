//! Expiry: a reservation past its time holds nothing, and the sweeper returns its units.

use chrono::Duration;
use testkit::routes::RESERVATIONS;
use testkit::{
    assert_not_active, expiring, movement_types, order, reservation_ids, stock_after, stock_before,
    TestApp,
};

#[tokio::test]
async fn a_reservation_past_its_time_reads_expired_and_the_sweep_returns_its_units() {
    let app = TestApp::with_manual_clock().await;
    app.given_stock("s1", "p1", 10).await;
    let id = app.reserved(&expiring(order("o1", &[("p1", 3)]), 1)).await;
    let listed_in_time = app.get(&format!("{RESERVATIONS}/expired")).await;
    assert_eq!(
        reservation_ids(&listed_in_time),
        Vec::<String>::new(),
        "nothing is due yet"
    );

    app.app.clock.advance(Duration::minutes(2));
    let read = app.get(&format!("{RESERVATIONS}/{id}")).await;
    let due = app.get(&format!("{RESERVATIONS}/expired")).await;
    let report = inventory::expiry::sweep(&app.app).await;
    let read_after_sweep = app.get(&format!("{RESERVATIONS}/{id}")).await;
    let due_after_sweep = app.get(&format!("{RESERVATIONS}/expired")).await;
    let late_completion = app.complete(&id).await;
    let second = inventory::expiry::sweep(&app.app).await;

    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(
        read.json["status"], "expired",
        "past its time it reads expired before the sweep"
    );
    assert_eq!(due.status, 200, "{}", due.text);
    assert_eq!(
        reservation_ids(&due),
        [id.as_str()],
        "the expired list names it"
    );
    assert_eq!(report.expired, 1, "the sweep released it: {report:?}");
    assert_eq!((report.skipped, report.failed), (0, 0), "{report:?}");
    assert_eq!(
        app.stock_of("s1", "p1").await,
        (10, 0, 10),
        "the units are available again"
    );
    let movements = app.history("s1", "p1").await;
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
    assert_eq!(
        reservation_ids(&due_after_sweep),
        Vec::<String>::new(),
        "no longer due"
    );
    assert_not_active(&late_completion, &id, "expired");
    assert_eq!(
        second.expired, 0,
        "a second sweep expires nothing: {second:?}"
    );
    assert_eq!(
        app.stock_of("s1", "p1").await,
        (10, 0, 10),
        "nothing shipped late"
    );
}

#[tokio::test]
async fn completing_an_active_reservation_past_its_expiry_answers_409_and_changes_nothing() {
    let app = TestApp::with_manual_clock().await;
    app.given_stock("s1", "p1", 10).await;
    let id = app.reserved(&expiring(order("o1", &[("p1", 3)]), 1)).await;
    app.app.clock.advance(Duration::seconds(61));
    let before = app.snapshot().await;

    let response = app.complete(&id).await;

    assert_not_active(&response, &id, "expired");
    assert_eq!(
        app.snapshot().await,
        before,
        "nothing changed, not even the reservation"
    );
    assert_eq!(
        app.stock_of("s1", "p1").await,
        (10, 3, 7),
        "still held until the sweep"
    );
}

#[tokio::test]
async fn the_same_order_sent_after_its_reservation_expired_answers_it_as_expired() {
    let app = TestApp::with_manual_clock().await;
    app.given_stock("s1", "p1", 10).await;
    let body = expiring(order("o1", &[("p1", 3)]), 1);
    let id = app.reserved(&body).await;
    app.app.clock.advance(Duration::minutes(2));
    let before = app.snapshot().await;

    let repeat = app.reserve(&body).await;

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
    let id = app.reserved(&expiring(order("o1", &[("p1", 3)]), 1)).await;
    app.app.clock.advance(Duration::seconds(50));
    assert_eq!(app.complete(&id).await.status, 200, "completed in time");
    app.app.clock.advance(Duration::minutes(5));
    let before = app.snapshot().await;

    let report = inventory::expiry::sweep(&app.app).await;

    assert_eq!(report.expired, 0, "{report:?}");
    assert_eq!(app.snapshot().await, before, "the sweep changed nothing");
    assert_eq!(
        app.stock_of("s1", "p1").await,
        (7, 0, 7),
        "the shipment stands"
    );
}
