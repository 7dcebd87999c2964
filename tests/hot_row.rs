//! One hot row: a plain stock change is one blind conditional write with its movement on the
//! row's backlog (`db::pending`), the backlog drains into the ledger exactly once, and the
//! ledger stays one exact log whichever path wrote each movement.

use futures::future::join_all;
use inventory::db::{
    Blind, InventoryItem, Movement, MovementContext, RowChange, DRAIN_EVERY, PENDING_LIMIT,
};
use inventory::domain::{Actor, MovementType, ProductId, StockOp, StoreId};
use testkit::TestApp;

const ROW: &str = "/api/v1/inventory/products/s1/p1";

/// A row as this service leaves it after its first change (reserved and available stock
/// written), so that the next changes can take the blind path.
async fn given_written_row(app: &TestApp, stock: i64) {
    app.given_stock("s1", "p1", stock - 1).await;
    let first = app
        .put(&format!("{ROW}/stock"), r#"{"quantity_change": 1}"#)
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
}

fn key() -> (StoreId, ProductId) {
    (
        StoreId::parse("s1").expect("store"),
        ProductId::parse("p1").expect("product"),
    )
}

/// A change written by the blind path and never settled.
async fn unsettled(app: &TestApp, delta: i64) {
    app.given_waiting_movement("s1", "p1", delta, app.app.clock.now())
        .await;
}

/// What drain-ledger does, until the row has no backlog.
async fn drain_all(app: &TestApp) {
    let (store_id, product_id) = key();
    while !row(app).await.pending.is_empty() {
        app.app
            .db
            .drain_pending(&store_id, &product_id)
            .await
            .expect("drains");
    }
}

async fn row(app: &TestApp) -> InventoryItem {
    app.stored_row("s1", "p1").await.expect("the row")
}

/// Every ledger row of the product, oldest first, read from the ledger table itself.
async fn ledger_rows(app: &TestApp) -> Vec<Movement> {
    let out = app
        .client
        .query()
        .table_name(&app.tables.ledger)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S("MOV#s1#p1".into()),
        )
        .consistent_read(true)
        .send()
        .await
        .expect("query");
    assert!(out.last_evaluated_key.is_none(), "one page holds them");
    out.items
        .unwrap_or_default()
        .into_iter()
        .map(|item| inventory::db::item::from_item(&app.tables.ledger, item).expect("a movement"))
        .collect()
}

/// The whole history through the route, oldest first, following its cursor page by page.
async fn history(app: &TestApp, limit: usize) -> Vec<serde_json::Value> {
    let mut all = Vec::new();
    let base = testkit::routes::history("s1", "p1");
    let mut uri = format!("{base}?limit={limit}");
    loop {
        let page = app.get(&uri).await;
        assert_eq!(page.status, 200, "{}", page.text);
        all.extend(
            page.json["movements"]
                .as_array()
                .expect("movements")
                .clone(),
        );
        match page.json["next_token"].as_str() {
            Some(next) => uri = format!("{base}?limit={limit}&next_token={next}"),
            None => break,
        }
    }
    all.reverse();
    all
}

/// Seqs 1..=n, each movement's before its predecessor's after, and the last after the row.
fn assert_exact_log(movements: &[Movement], row: &InventoryItem) {
    let seqs: Vec<i64> = movements.iter().map(|m| m.seq).collect();
    let expected: Vec<i64> = (1..=i64::try_from(movements.len()).expect("small")).collect();
    assert_eq!(
        seqs, expected,
        "one movement per seq, none missing or twice"
    );
    for pair in movements.windows(2) {
        assert_eq!(pair[0].after(), pair[1].before(), "seq {}", pair[1].seq);
    }
    let last = movements.last().expect("movements");
    assert_eq!(last.after(), row.stock(), "the last movement is the row");
    assert_eq!(row.ledger_seq, last.seq);
}

#[tokio::test]
async fn a_plain_stock_change_is_one_blind_write_and_reads_in_history_as_before() {
    let app = TestApp::new().await;
    given_written_row(&app, 10).await;
    let meter = app.app.db.meter();
    meter.take();

    let sold = app
        .put(
            &format!("{ROW}/stock"),
            r#"{"quantity_change": -3, "reason": "sold", "sale": true}"#,
        )
        .await;

    assert_eq!(sold.status, 200, "{}", sold.text);
    assert_eq!(sold.json["current_stock"], 7);
    let usage = meter.take();
    assert_eq!(
        (
            usage.calls_of("BatchGetItem"),
            usage.calls_of("UpdateItem"),
            usage.calls_of("PutItem"),
            usage.calls_of("TransactWriteItems"),
            usage.total_calls()
        ),
        (1, 2, 1, 0, 4),
        "the location read, the blind write, then its ledger row and the cleared backlog: {usage:?}"
    );
    let attributes = app.stored_attributes("s1", "p1").await.expect("row");
    assert!(
        ["pending", "pending_since", "pending_shard"]
            .iter()
            .all(|a| !attributes.contains_key(*a)),
        "a writer alone on the row leaves no backlog: {attributes:?}"
    );
    let ledger = ledger_rows(&app).await;
    assert_exact_log(&ledger, &row(&app).await);
    let last = ledger.last().expect("the sale");
    assert_eq!(
        (last.delta, last.current_before, last.current_after),
        (-3, 10, 7)
    );
    assert!(last.sale, "the sale mark reaches the ledger row");
    assert_eq!(last.reason.as_ref().map(|r| r.as_str()), Some("sold"));
}

#[tokio::test]
async fn sixty_four_concurrent_buyers_of_one_row_never_oversell_and_none_is_told_busy() {
    let app = TestApp::new().await;
    given_written_row(&app, 100).await;

    let uri = format!("{ROW}/stock");
    let bodies: Vec<String> = (0..64)
        .map(|i| format!(r#"{{"quantity_change": -{}, "sale": true}}"#, 1 + i % 3))
        .collect();
    let responses = join_all(bodies.iter().map(|body| app.put(&uri, body))).await;

    let sold: i64 = responses
        .iter()
        .zip(&bodies)
        .filter(|(r, _)| r.status == 200)
        .map(|(_, body)| {
            let body: serde_json::Value = serde_json::from_str(body).expect("json");
            -body["quantity_change"].as_i64().expect("delta")
        })
        .sum();
    let refused = responses
        .iter()
        .filter(|r| r.status == 409 && r.code() == "insufficient_stock")
        .count();
    let applied = responses.iter().filter(|r| r.status == 200).count();
    assert_eq!(
        applied + refused,
        64,
        "every buyer is sold to or told the stock ran out, none busy: {:?}",
        responses
            .iter()
            .filter(|r| r.status != 200 && r.status != 409)
            .map(|r| &r.text)
            .collect::<Vec<_>>()
    );
    let stored = row(&app).await;
    assert!(sold <= 100, "sold {sold} of 100");
    assert_eq!(stored.current_stock, 100 - sold, "the row is what was sold");
    assert!(
        sold > 100 - 3,
        "the buyers refused were refused for want of stock: {} left",
        stored.current_stock
    );
    // History is exact before anything drains: the waiting movements are merged in.
    let before_drain = history(&app, 25).await;
    assert_eq!(
        before_drain.len(),
        applied + 1,
        "each sale once, plus the first change"
    );
    drain_all(&app).await;
    let ledger = ledger_rows(&app).await;
    assert_exact_log(&ledger, &row(&app).await);
    let drained_history = history(&app, 25).await;
    assert_eq!(
        drained_history, before_drain,
        "draining changes nothing a reader sees"
    );
}

#[tokio::test]
async fn blind_changes_the_engine_and_settings_edits_racing_on_one_row_keep_one_exact_log() {
    let app = TestApp::new().await;
    given_written_row(&app, 500).await;

    let uri = format!("{ROW}/stock");
    let blind = (0..24).map(|_| app.put(&uri, r#"{"quantity_change": -1}"#));
    let keyed = (0..6).map(|i| {
        let token = app.token("clerk", "[admin]", "[]");
        let uri = uri.clone();
        let app = &app;
        async move {
            app.send_keyed(
                &token,
                &format!("key-{i}"),
                "PUT",
                &uri,
                r#"{"quantity_change": 2}"#,
            )
            .await
        }
    });
    let reserve = (0..4).map(|i| {
        let app = &app;
        async move {
            app.reserve(&testkit::order(&format!("o{i}"), &[("p1", 1)]))
                .await
        }
    });
    let settings = (0..3).map(|i| {
        let app = &app;
        async move {
            let body = format!(r#"{{"reorder_point": {}}}"#, 10 + i);
            app.send("PATCH", ROW, Some(&body)).await
        }
    });
    let (blind, keyed, reserve, settings) = tokio::join!(
        join_all(blind),
        join_all(keyed),
        join_all(reserve),
        join_all(settings)
    );
    for response in blind.iter().chain(&keyed).chain(&settings) {
        assert_eq!(response.status, 200, "{}", response.text);
    }
    for response in &reserve {
        assert_eq!(response.status, 201, "{}", response.text);
    }

    drain_all(&app).await;
    let stored = row(&app).await;
    assert_eq!(
        (
            stored.current_stock,
            stored.reserved_stock,
            stored.available_stock
        ),
        (500 - 24 + 12, 4, 500 - 24 + 12 - 4)
    );
    let ledger = ledger_rows(&app).await;
    assert_eq!(ledger.len(), 1 + 24 + 6 + 4 + 3, "one movement per change");
    assert_exact_log(&ledger, &stored);
}

#[tokio::test]
async fn a_full_backlog_takes_no_blind_write_and_the_next_change_drains_it_first() {
    let app = TestApp::new().await;
    given_written_row(&app, 1_000).await;
    for _ in 0..PENDING_LIMIT {
        unsettled(&app, -1).await;
    }
    let (store_id, product_id) = key();
    let declined = app
        .app
        .db
        .blind_change(
            &RowChange {
                store_id,
                product_id,
                op: StockOp::Add(-1),
            },
            &MovementContext::new(
                MovementType::StockUpdate,
                Actor::anonymous(),
                app.app.clock.now(),
            ),
        )
        .await
        .expect("answered");
    assert!(
        matches!(&declined, Blind::Full(row) if row.pending.len() == PENDING_LIMIT),
        "{declined:?}"
    );

    let changed = app
        .put(&format!("{ROW}/stock"), r#"{"quantity_change": -1}"#)
        .await;

    assert_eq!(changed.status, 200, "{}", changed.text);
    let stored = row(&app).await;
    assert!(
        stored.pending.is_empty(),
        "{} still waiting",
        stored.pending.len()
    );
    let limit = i64::try_from(PENDING_LIMIT).expect("small");
    assert_eq!(stored.current_stock, 1_000 - limit - 1);
    assert_exact_log(&ledger_rows(&app).await, &stored);
}

#[tokio::test]
async fn draining_twice_or_concurrently_writes_each_ledger_row_once() {
    let app = TestApp::new().await;
    given_written_row(&app, 100).await;
    for delta in [-1, -2, 3, -4, 5, -6, 7, -8] {
        unsettled(&app, delta).await;
    }
    let (store_id, product_id) = key();
    let db = &app.app.db;

    let (a, b) = tokio::join!(
        db.drain_pending(&store_id, &product_id),
        db.drain_pending(&store_id, &product_id)
    );
    let again = db
        .drain_pending(&store_id, &product_id)
        .await
        .expect("drains");

    assert_eq!(
        a.expect("drains") + b.expect("drains"),
        8,
        "the 8 entries were removed once"
    );
    assert_eq!(again, 0, "nothing is left to drain");
    let ledger = ledger_rows(&app).await;
    assert_eq!(ledger.len(), 9);
    assert_exact_log(&ledger, &row(&app).await);
}

#[tokio::test]
async fn history_pages_through_waiting_and_written_movements_in_order_without_repeats() {
    let app = TestApp::new().await;
    given_written_row(&app, 50).await;
    for _ in 0..3 {
        let sold = app
            .put(&format!("{ROW}/stock"), r#"{"quantity_change": -1}"#)
            .await;
        assert_eq!(sold.status, 200, "{}", sold.text);
    }
    for delta in [-2, -3, 4, -5, 6] {
        unsettled(&app, delta).await;
    }
    assert_eq!(row(&app).await.pending.len(), 5);

    for limit in [1, 2, 3, 7, 50] {
        let seqs: Vec<i64> = history(&app, limit)
            .await
            .iter()
            .map(|m| m["seq"].as_i64().expect("seq"))
            .collect();
        assert_eq!(seqs, (1..=9).collect::<Vec<_>>(), "pages of {limit}");
    }
    let newest = app
        .get(&format!("{}?limit=1", testkit::routes::history("s1", "p1")))
        .await;
    assert_eq!(newest.json["movements"][0]["delta"], 6);
    assert_eq!(
        newest.json["movements"][0]["current_after"],
        50 - 3 - 2 - 3 + 4 - 5 + 6
    );
}

#[tokio::test]
async fn under_contention_every_sixteenth_writer_drains_so_the_backlog_stays_short() {
    let app = TestApp::new().await;
    given_written_row(&app, 1_000).await;
    for _ in 0..DRAIN_EVERY - 2 {
        unsettled(&app, -1).await;
    }

    // The 15th waiting entry: not alone, not a multiple of 16, so left waiting.
    let left = app
        .put(&format!("{ROW}/stock"), r#"{"quantity_change": -1}"#)
        .await;
    assert_eq!(left.status, 200, "{}", left.text);
    assert_eq!(row(&app).await.pending.len(), DRAIN_EVERY - 1);
    // The 16th drains all of them.
    let drains = app
        .put(&format!("{ROW}/stock"), r#"{"quantity_change": -1}"#)
        .await;

    assert_eq!(drains.status, 200, "{}", drains.text);
    let stored = row(&app).await;
    assert!(stored.pending.is_empty(), "{:?}", stored.pending);
    assert_exact_log(&ledger_rows(&app).await, &stored);
}

#[tokio::test]
async fn the_stream_and_the_schedule_each_drain_what_writers_left() {
    let app = TestApp::with_manual_clock().await;
    given_written_row(&app, 40).await;
    unsettled(&app, -2).await;
    let (store_id, product_id) = key();

    // A stream record naming the row, as the inventory table's stream delivers it.
    let record = serde_json::json!({ "Records": [{
        "eventID": "1", "eventName": "MODIFY", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
        "awsRegion": "ap-south-1",
        "eventSourceARN": format!("arn:aws:dynamodb:ap-south-1:123456789012:table/{}/stream/2026", app.tables.inventory),
        "dynamodb": {
            "ApproximateCreationDateTime": 1764000000,
            "Keys": { "store_id": { "S": "s1" }, "product_id": { "S": "p1" } },
            "SequenceNumber": "100", "SizeBytes": 100, "StreamViewType": "NEW_AND_OLD_IMAGES"
        }
    }]});
    let answer = inventory::drain::handle(&app.app, record).await;
    assert_eq!(
        serde_json::to_value(&answer).expect("json"),
        serde_json::json!({ "batchItemFailures": [] })
    );
    assert!(
        row(&app).await.pending.is_empty(),
        "the stream's record drained the row"
    );

    unsettled(&app, -3).await;
    let schedule = serde_json::json!({ "detail-type": "Scheduled Event", "detail": {} });
    let early = inventory::drain::handle(&app.app, schedule.clone()).await;
    app.app.clock.advance(chrono::Duration::minutes(2));
    let overdue = inventory::drain::handle(&app.app, schedule).await;

    assert_eq!(
        serde_json::to_value(&early).expect("json"),
        serde_json::json!({ "rows": 0, "entries": 0, "more": false }),
        "a backlog younger than a minute is the stream's"
    );
    assert_eq!(
        serde_json::to_value(&overdue).expect("json"),
        serde_json::json!({ "rows": 1, "entries": 1, "more": false })
    );
    let stored = row(&app).await;
    assert!(stored.pending.is_empty());
    assert_eq!(stored.current_stock, 35);
    assert_exact_log(&ledger_rows(&app).await, &stored);
    let _ = (store_id, product_id);
}
