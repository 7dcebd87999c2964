//! The order Lambda's direct-invoke handler: check, reserve, commit, release and deduct by
//! order id, with the same semantics, errors and idempotency as the HTTP routes.

use inventory::db::Movement;
use inventory::domain::LineAvailability;
use inventory::domain::{MovementType, ProductId, StoreId};
use inventory::orders::{handle, OrderAction, OrderResult};
use serde_json::{json, Value};
use testkit::TestApp;

/// An order event for store `s1`.
fn event(action: &str, order_id: &str, items: &[(&str, i64)]) -> Value {
    json!({
        "action": action,
        "store_id": "s1",
        "order_id": order_id,
        "items": items
            .iter()
            .map(|(product, quantity)| json!({"product_id": product, "quantity": quantity}))
            .collect::<Vec<_>>(),
    })
}

/// An event that names only the order (commit, release).
fn by_order(action: &str, order_id: &str) -> Value {
    json!({"action": action, "store_id": "s1", "order_id": order_id})
}

/// A product's movements in `s1`, oldest first.
async fn movements(app: &TestApp, product: &str) -> Vec<Movement> {
    let (mut movements, _) = app
        .app
        .db
        .movements(
            &StoreId::parse("s1").expect("store id"),
            &ProductId::parse(product).expect("product id"),
            100,
            None,
        )
        .await
        .expect("movements read");
    movements.reverse();
    movements
}

/// Each line as (product, requested, available, shortage).
fn detail(lines: &[LineAvailability]) -> Vec<(String, i64, Option<i64>, i64)> {
    lines
        .iter()
        .map(|l| {
            (
                l.product_id.as_str().to_owned(),
                l.requested,
                l.available,
                l.shortage,
            )
        })
        .collect()
}

#[track_caller]
fn assert_ok(result: &OrderResult, action: OrderAction) {
    assert!(result.ok, "{action:?} succeeds: {result:?}");
    assert_eq!(result.action, Some(action), "{result:?}");
    assert!(result.error.is_none(), "no error: {result:?}");
}

#[track_caller]
fn assert_error(result: &OrderResult, status: u16, code: &str) {
    assert!(!result.ok, "refused: {result:?}");
    let error = result
        .error
        .as_ref()
        .unwrap_or_else(|| panic!("a problem: {result:?}"));
    assert_eq!((error.status, error.code), (status, code), "{error:?}");
    assert!(
        !error.detail.is_empty(),
        "the problem has a detail: {error:?}"
    );
    assert_eq!(
        error.r#type,
        format!("/problems/{code}"),
        "the problem's type: {error:?}"
    );
}

#[tokio::test]
async fn check_reports_each_lines_requested_available_and_shortage_and_writes_nothing() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    app.given_stock("s1", "p2", 2).await;
    let before = app.snapshot().await;

    let short = handle(
        &app.app,
        event("check", "o1", &[("p1", 4), ("p2", 3), ("p3", 1), ("p1", 2)]),
    )
    .await;
    let fits = handle(&app.app, event("check", "o2", &[("p1", 10), ("p2", 2)])).await;

    assert!(
        !short.ok,
        "a short line makes the cart unavailable: {short:?}"
    );
    assert_eq!(short.action, Some(OrderAction::Check), "{short:?}");
    assert!(
        short.error.is_none(),
        "a short cart is an answer, not an error: {short:?}"
    );
    assert_eq!(
        detail(&short.lines),
        [
            ("p1".to_owned(), 6, Some(10), 0),
            ("p2".to_owned(), 3, Some(2), 1),
            ("p3".to_owned(), 1, None, 1),
        ],
        "per product (lines summed): requested, available (none when not stocked), shortage"
    );
    assert!(short.reservation.is_none(), "a check reserves nothing");
    assert!(fits.ok, "a cart that fits exactly is available: {fits:?}");
    assert_eq!(
        detail(&fits.lines),
        [
            ("p1".to_owned(), 10, Some(10), 0),
            ("p2".to_owned(), 2, Some(2), 0),
        ],
        "{fits:?}"
    );
    assert_eq!(app.snapshot().await, before, "a check writes nothing");
}

#[tokio::test]
async fn reserve_then_commit_by_order_id_ships_the_reserved_units() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    app.given_stock("s1", "p2", 5).await;

    let reserved = handle(&app.app, event("reserve", "o1", &[("p1", 3), ("p2", 2)])).await;
    let held = (
        app.stock_of("s1", "p1").await,
        app.stock_of("s1", "p2").await,
    );
    let committed = handle(&app.app, by_order("commit", "o1")).await;
    let after_commit = app.snapshot().await;
    let again = handle(&app.app, by_order("commit", "o1")).await;

    assert_ok(&reserved, OrderAction::Reserve);
    assert!(!reserved.replayed, "the first reserve is not a replay");
    let reservation = reserved.reservation.as_ref().expect("a reservation");
    assert_eq!(reservation.status.as_str(), "active", "{reservation:?}");
    assert_eq!(held, ((10, 3, 7), (5, 2, 3)), "the units are held");
    assert_ok(&committed, OrderAction::Commit);
    let shipped = committed.reservation.as_ref().expect("the reservation");
    assert_eq!(
        shipped.reservation_id, reservation.reservation_id,
        "the order's reservation was committed"
    );
    assert_eq!(shipped.status.as_str(), "completed", "{shipped:?}");
    assert_eq!(app.stock_of("s1", "p1").await, (7, 0, 7), "p1 shipped");
    assert_eq!(app.stock_of("s1", "p2").await, (3, 0, 3), "p2 shipped");
    assert_eq!(
        app.movement_types_of("s1", "p1").await,
        ["reserve", "commit"],
        "a reserve then a commit movement"
    );
    assert_ok(&again, OrderAction::Commit);
    assert!(again.replayed, "a second commit is a replay: {again:?}");
    assert_eq!(app.snapshot().await, after_commit, "and changes nothing");
}

#[tokio::test]
async fn release_by_order_id_returns_the_units_to_available() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    assert_ok(
        &handle(&app.app, event("reserve", "o1", &[("p1", 4)])).await,
        OrderAction::Reserve,
    );

    let released = handle(&app.app, by_order("release", "o1")).await;
    let after_release = app.snapshot().await;
    let again = handle(&app.app, by_order("release", "o1")).await;
    let commit_after = handle(&app.app, by_order("commit", "o1")).await;

    assert_ok(&released, OrderAction::Release);
    assert!(!released.replayed, "{released:?}");
    assert_eq!(
        released.reservation.as_ref().map(|r| r.status.as_str()),
        Some("released"),
        "{released:?}"
    );
    assert_eq!(
        app.stock_of("s1", "p1").await,
        (10, 0, 10),
        "available again"
    );
    assert_eq!(
        app.movement_types_of("s1", "p1").await,
        ["reserve", "release"],
        "one release movement"
    );
    assert_ok(&again, OrderAction::Release);
    assert!(again.replayed, "a second release is a replay: {again:?}");
    assert_error(&commit_after, 409, "reservation_not_active");
    assert_eq!(
        commit_after
            .error
            .as_ref()
            .and_then(|e| e.extra.get("reservation_status")),
        Some(&json!("released")),
        "the problem says what the reservation is: {commit_after:?}"
    );
    assert_eq!(
        app.snapshot().await,
        after_release,
        "neither changed anything"
    );
}

#[tokio::test]
async fn deduct_takes_stock_out_of_on_hand_and_available_in_one_step_and_only_once() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    app.given_stock("s1", "p2", 5).await;
    let sale = event("deduct", "o1", &[("p1", 3), ("p2", 5)]);

    let first = handle(&app.app, sale.clone()).await;
    let after_first = app.snapshot().await;
    let again = handle(&app.app, sale).await;

    assert_ok(&first, OrderAction::Deduct);
    assert!(!first.replayed, "{first:?}");
    let reservation = first.reservation.as_ref().expect("the sale's record");
    assert_eq!(
        reservation.status.as_str(),
        "completed",
        "a sale is complete at once"
    );
    assert_eq!(
        app.stock_of("s1", "p1").await,
        (7, 0, 7),
        "p1: on hand and available drop by 3"
    );
    assert_eq!(app.stock_of("s1", "p2").await, (0, 0, 0), "p2: sold out");
    let movements = movements(&app, "p1").await;
    assert_eq!(movements.len(), 1, "one movement: {movements:?}");
    let m = &movements[0];
    assert_eq!(m.movement_type, MovementType::Deduct, "{m:?}");
    assert_eq!((m.current_before, m.current_after), (10, 7), "{m:?}");
    assert_eq!((m.available_before, m.available_after), (10, 7), "{m:?}");
    assert_eq!((m.reserved_before, m.reserved_after), (0, 0), "{m:?}");
    assert_eq!(m.order_id.as_ref().map(|o| o.as_str()), Some("o1"), "{m:?}");
    assert_ok(&again, OrderAction::Deduct);
    assert!(again.replayed, "the same sale again is a replay: {again:?}");
    assert_eq!(
        again.reservation.as_ref().map(|r| &r.reservation_id),
        Some(&reservation.reservation_id),
        "the replay answers the original sale"
    );
    assert_eq!(app.snapshot().await, after_first, "stock was taken once");
}

#[tokio::test]
async fn a_short_reserve_returns_409_insufficient_stock_with_the_shortage_of_each_line() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    app.given_stock("s1", "p2", 2).await;
    app.given_stock("s1", "p3", 0).await;
    let before = app.snapshot().await;

    let result = handle(
        &app.app,
        event("reserve", "o1", &[("p1", 4), ("p2", 3), ("p3", 2)]),
    )
    .await;

    assert_error(&result, 409, "insufficient_stock");
    assert_eq!(result.action, Some(OrderAction::Reserve), "{result:?}");
    assert!(result.reservation.is_none(), "{result:?}");
    let shortage: Vec<(String, i64, i64)> = result
        .lines
        .iter()
        .map(|l| (l.product_id.as_str().to_owned(), l.requested, l.shortage))
        .collect();
    assert_eq!(
        shortage,
        [
            ("p1".to_owned(), 4, 0),
            ("p2".to_owned(), 3, 1),
            ("p3".to_owned(), 2, 2),
        ],
        "every line with its shortage"
    );
    let short: Vec<_> = detail(&result.lines)
        .into_iter()
        .filter(|(_, _, _, shortage)| *shortage > 0)
        .collect();
    assert_eq!(
        short,
        [
            ("p2".to_owned(), 3, Some(2), 1),
            ("p3".to_owned(), 2, Some(0), 2),
        ],
        "the short lines with what is available"
    );
    let listed = result
        .error
        .as_ref()
        .and_then(|e| e.extra.get("lines"))
        .and_then(Value::as_array)
        .map(Vec::len);
    assert_eq!(
        listed,
        Some(2),
        "the problem lists the two short lines: {result:?}"
    );
    assert_eq!(app.snapshot().await, before, "nothing was reserved");
}

#[tokio::test]
async fn a_short_reserve_reports_the_real_available_stock_of_the_lines_that_were_not_short() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    app.given_stock("s1", "p2", 2).await;

    let result = handle(&app.app, event("reserve", "o1", &[("p1", 4), ("p2", 3)])).await;

    assert_error(&result, 409, "insufficient_stock");
    assert_eq!(
        detail(&result.lines),
        [
            ("p1".to_owned(), 4, Some(10), 0),
            ("p2".to_owned(), 3, Some(2), 1),
        ],
        "available is the stock there is, as `check` reports it"
    );
}

#[tokio::test]
async fn a_malformed_event_returns_a_400_problem_and_changes_nothing() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    let before = app.snapshot().await;
    let valid = event("reserve", "o1", &[("p1", 1)]);
    let with = |key: &str, value: Value| {
        let mut e = valid.clone();
        e[key] = value;
        e
    };
    let without = |key: &str| {
        let mut e = valid.clone();
        e.as_object_mut().expect("an object").remove(key);
        e
    };

    let cases = [
        (with("action", json!("cancel")), "invalid_body"),
        (without("action"), "invalid_body"),
        (without("store_id"), "invalid_body"),
        (without("order_id"), "invalid_body"),
        (with("priority", json!(1)), "invalid_body"),
        (with("store_id", json!("s#1")), "invalid_body"),
        (with("order_id", json!("o".repeat(65))), "invalid_body"),
        (
            with("items", json!([{"product_id": "p1", "quantity": 0}])),
            "invalid_body",
        ),
        (with("items", json!("p1")), "invalid_body"),
        (json!("reserve"), "invalid_body"),
        (without("items"), "invalid_parameter"),
        (event("deduct", "o1", &[]), "invalid_parameter"),
        (with("expires_in_minutes", json!(0)), "invalid_parameter"),
    ];
    for (event, code) in cases {
        let result = handle(&app.app, event.clone()).await;

        assert!(!result.ok, "{event}: refused: {result:?}");
        let error = result
            .error
            .as_ref()
            .unwrap_or_else(|| panic!("{event}: a problem: {result:?}"));
        assert_eq!(
            (error.status, error.code),
            (400, code),
            "{event}: {error:?}"
        );
        assert!(result.reservation.is_none(), "{event}: {result:?}");
    }
    assert_eq!(
        app.snapshot().await,
        before,
        "no malformed event changed anything"
    );
}

#[tokio::test]
async fn commit_or_release_of_an_unknown_order_returns_reservation_not_found() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    assert_ok(
        &handle(&app.app, event("reserve", "o1", &[("p1", 1)])).await,
        OrderAction::Reserve,
    );
    let before = app.snapshot().await;

    let commit = handle(&app.app, by_order("commit", "o-unknown")).await;
    let release = handle(&app.app, by_order("release", "o-unknown")).await;
    let other_store = handle(
        &app.app,
        json!({"action": "commit", "store_id": "s2", "order_id": "o1"}),
    )
    .await;

    for result in [&commit, &release, &other_store] {
        assert_error(result, 404, "reservation_not_found");
    }
    assert_eq!(commit.action, Some(OrderAction::Commit), "{commit:?}");
    assert_eq!(app.snapshot().await, before, "nothing changed");
}

#[tokio::test]
async fn reserve_is_idempotent_per_order_and_refuses_a_different_request_under_the_same_id() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;

    let first = handle(&app.app, event("reserve", "o1", &[("p1", 3)])).await;
    let after_first = app.snapshot().await;
    let again = handle(&app.app, event("reserve", "o1", &[("p1", 3)])).await;
    let different = handle(&app.app, event("reserve", "o1", &[("p1", 4)])).await;
    let as_a_sale = handle(&app.app, event("deduct", "o1", &[("p1", 3)])).await;

    assert_ok(&first, OrderAction::Reserve);
    assert_ok(&again, OrderAction::Reserve);
    assert!(again.replayed, "{again:?}");
    assert_eq!(
        again.reservation.as_ref().map(|r| &r.reservation_id),
        first.reservation.as_ref().map(|r| &r.reservation_id),
        "the replay answers the original reservation"
    );
    assert_error(&different, 409, "idempotency_mismatch");
    assert_error(&as_a_sale, 409, "idempotency_mismatch");
    assert_eq!(app.stock_of("s1", "p1").await, (10, 3, 7), "held once");
    assert_eq!(
        app.snapshot().await,
        after_first,
        "only the first wrote anything"
    );
}

#[tokio::test]
async fn a_refused_commit_serialises_its_numeric_status_once() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    assert_ok(
        &handle(&app.app, event("reserve", "o1", &[("p1", 1)])).await,
        OrderAction::Reserve,
    );
    assert_ok(
        &handle(&app.app, by_order("release", "o1")).await,
        OrderAction::Release,
    );

    let result = handle(&app.app, by_order("commit", "o1")).await;

    assert_error(&result, 409, "reservation_not_active");
    let text = serde_json::to_string(&result).expect("serialises");
    assert_eq!(
        text.matches(r#""status":"#).count(),
        1,
        "one `status` member, as the Lambda's caller receives it: {text}"
    );
    let value: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(value["error"]["status"], 409, "{text}");
}
