//! Idempotency keys on stock changes: scoped to the caller and the store, expiring on read, and
//! compared by a fingerprint that does not drift with the code.

use chrono::Duration;
use testkit::routes::{self, ADJUST};
use testkit::{order_in, AttributeValue, TestApp};

const DELTA: &str = r#"{"quantity_change": -1, "reason": "sold"}"#;

fn attribute<'a>(
    item: &'a std::collections::HashMap<String, AttributeValue>,
    name: &str,
) -> &'a str {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .unwrap_or_else(|| panic!("{name} in {item:?}"))
}

#[tokio::test]
async fn another_user_sending_the_same_key_makes_a_request_of_their_own() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    let asha = app.token("staff-asha", "staff", "s1");
    let ravi = app.token("staff-ravi", "staff", "s1");
    let stock = routes::stock("s1", "p1");

    let first = app.send_keyed(&asha, "till-7", "PUT", &stock, DELTA).await;
    let replay = app.send_keyed(&asha, "till-7", "PUT", &stock, DELTA).await;
    let other_user = app.send_keyed(&ravi, "till-7", "PUT", &stock, DELTA).await;
    let other_user_replay = app.send_keyed(&ravi, "till-7", "PUT", &stock, DELTA).await;

    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(replay.status, 200, "{}", replay.text);
    assert_eq!(replay.json["current_stock"], 9, "a replay changes nothing");
    assert_eq!(other_user.status, 200, "{}", other_user.text);
    assert_eq!(
        other_user.json["current_stock"], 8,
        "another user's request under the same key is applied, not answered from the first"
    );
    assert_eq!(
        other_user_replay.json["current_stock"], 8,
        "and their own replay is answered once"
    );
    assert_eq!(app.stock_of("s1", "p1").await, (8, 0, 8));
    let actors: Vec<String> = app
        .history("s1", "p1")
        .await
        .iter()
        .map(|m| m["actor"].as_str().expect("actor").to_owned())
        .collect();
    assert_eq!(
        actors,
        ["staff-asha", "staff-ravi"],
        "each change is recorded as its own caller's"
    );
}

#[tokio::test]
async fn a_key_past_its_24_hours_is_free_again_although_its_record_was_never_deleted() {
    let app = TestApp::with_manual_clock().await;
    app.given_stock("s1", "p1", 10).await;
    let asha = app.token("staff-asha", "staff", "s1");
    let stock = routes::stock("s1", "p1");
    let different = r#"{"quantity_change": -2, "reason": "sold"}"#;
    app.send_keyed(&asha, "till-7", "PUT", &stock, DELTA).await;

    app.app.clock.advance(Duration::hours(23));
    let within_a_day = app
        .send_keyed(&asha, "till-7", "PUT", &stock, different)
        .await;
    app.app
        .clock
        .advance(Duration::hours(1) + Duration::seconds(1));
    let records_left = app.ledger_items("IDEM").await.len();
    let after_a_day = app
        .send_keyed(&asha, "till-7", "PUT", &stock, different)
        .await;
    let its_replay = app
        .send_keyed(&asha, "till-7", "PUT", &stock, different)
        .await;

    within_a_day.assert_problem(409, "idempotency_mismatch");
    assert_eq!(
        records_left, 1,
        "the old record is still stored (no TTL here)"
    );
    assert_eq!(after_a_day.status, 200, "{}", after_a_day.text);
    assert_eq!(
        after_a_day.json["current_stock"], 7,
        "after 24 hours the key takes a new request"
    );
    assert_eq!(
        its_replay.json["current_stock"], 7,
        "which is then applied once"
    );
    assert_eq!(app.stock_of("s1", "p1").await, (7, 0, 7));
}

/// The golden values are the same ones `domain::requests` and `domain::reservation` pin in
/// their unit tests: what a request parsed from HTTP hashes to, and what the table keeps.
#[tokio::test]
async fn stored_fingerprints_are_the_canonical_hashes_of_the_requests_and_do_not_drift() {
    let app = TestApp::new().await;
    app.given_stock("store-blr-001", "prd-0003", 10).await;
    app.given_stock("store-blr-001", "prd-0004", 10).await;

    let changed = app
        .send_as_admin_with(
            &[("idempotency-key", "golden-1")],
            "PUT",
            &routes::stock("store-blr-001", "prd-0003"),
            Some(r#"{"reason": "sold at counter", "quantity_change": -2}"#),
        )
        .await;
    let adjusted = app
        .send_as_admin_with(
            &[("idempotency-key", "golden-2")],
            "POST",
            ADJUST,
            Some(
                r#"{"reference": "GRN-1187", "store_id": "store-blr-001", "product_id": "prd-0003",
                   "quantity_change": -1, "adjustment_type": "damage", "reason": "pack torn in delivery"}"#,
            ),
        )
        .await;
    // Split lines of one product and another order of lines: the same order, summed and sorted.
    let mut body = order_in(
        "store-blr-001",
        "ord-1001",
        &[("prd-0004", 1), ("prd-0003", 1), ("prd-0003", 1)],
    );
    body["expires_in_minutes"] = 15.into();
    let reserved = app.reserve(&body).await;

    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(adjusted.status, 200, "{}", adjusted.text);
    assert_eq!(reserved.status, 201, "{}", reserved.text);
    let mut keys: Vec<&str> = Vec::new();
    let records = app.ledger_items("IDEM").await;
    for record in &records {
        keys.push(attribute(record, "request_sha256"));
    }
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "5387419b73005f25dc3b1dfb3a89b7f32d11d6b1501bf1c6b208a8981253a84d",
            "b8c44a2da07538263e6224781ff2f343f46175a08edcfcd3b56e7a1049c1f9e0",
        ],
        "the adjustment's and the stock change's fingerprints"
    );
    let markers = app.ledger_items("ORDER").await;
    assert_eq!(markers.len(), 1);
    assert_eq!(
        attribute(&markers[0], "payload_sha256"),
        "3e100da6dcf63eeac3366f1c3fbbf6dcc61694c5e45d5c4751c6d28bdce7f160",
        "the order marker's fingerprint"
    );
    assert!(
        records
            .iter()
            .chain(&markers)
            .all(|item| !format!("{item:?}").contains("Delta")
                && !format!("{item:?}").contains("Reserve")),
        "no Rust names are stored"
    );
}

#[tokio::test]
async fn concurrent_sends_of_one_key_apply_once_per_caller() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 100).await;
    let stock = routes::stock("s1", "p1");
    let callers: Vec<String> = (0..5)
        .map(|i| app.token(&format!("staff-{i}"), "staff", "s1"))
        .collect();

    // Each of five callers sends the same key four times at once: twenty requests in flight.
    let sends = callers
        .iter()
        .flat_map(|token| (0..4).map(|_| app.send_keyed(token, "till-7", "PUT", &stock, DELTA)));
    let responses = futures::future::join_all(sends).await;

    // A send may be answered busy (503, nothing written) when the row stays contended past the
    // retry budget on a loaded machine; a client then retries, as each caller does here.
    let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    let mut retries = Vec::new();
    for token in &callers {
        let mut retry = app.send_keyed(token, "till-7", "PUT", &stock, DELTA).await;
        for _ in 0..3 {
            if retry.status != 503 {
                break;
            }
            retry = app.send_keyed(token, "till-7", "PUT", &stock, DELTA).await;
        }
        retries.push(retry);
    }

    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "every send is answered as applied, as a replay, or busy: {statuses:?}"
    );
    assert!(
        retries.iter().all(|r| r.status == 200),
        "each caller's retry is answered: {:?}",
        retries.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    assert_eq!(
        retries.last().map(|r| r.json["current_stock"].clone()),
        Some(95.into()),
        "the last retry sees every caller's change applied once"
    );
    assert_eq!(
        app.stock_of("s1", "p1").await,
        (95, 0, 95),
        "one unit per caller, however many times each sent it"
    );
    let mut actors: Vec<String> = app
        .history("s1", "p1")
        .await
        .iter()
        .map(|m| m["actor"].as_str().expect("actor").to_owned())
        .collect();
    actors.sort();
    assert_eq!(
        actors,
        (0..5).map(|i| format!("staff-{i}")).collect::<Vec<_>>(),
        "one ledger row per caller"
    );
}
