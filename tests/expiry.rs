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

// The sweeper's bounds: time checked per reservation, one attempt per reservation.

/// Three reservations of one unit each (p1, p2, p3), due: each made 10 s after the one before,
/// so the sweeper meets them in that order, then the clock moved past all three.
async fn three_due_reservations(app: &TestApp) -> [String; 3] {
    let mut ids = Vec::new();
    for (i, product) in ["p1", "p2", "p3"].into_iter().enumerate() {
        app.given_stock("s1", product, 10).await;
        ids.push(
            app.reserved(&expiring(order(&format!("o{i}"), &[(product, 1)]), 1))
                .await,
        );
        app.app.clock.advance(Duration::seconds(10));
    }
    app.app.clock.advance(Duration::minutes(2));
    [ids[0].clone(), ids[1].clone(), ids[2].clone()]
}

#[tokio::test]
async fn the_sweep_checks_its_time_before_each_reservation_and_reports_what_it_left() {
    let app = TestApp::with_manual_clock().await;
    three_due_reservations(&app).await;
    let mut asked = 0;

    let report = inventory::expiry::sweep_while(&app.app, || {
        asked += 1;
        asked <= 1
    })
    .await;

    assert_eq!(
        (report.expired, report.left, report.more),
        (1, 2, true),
        "time ran out after the first reservation of the batch: {report:?}"
    );
    assert_eq!(app.stock_of("s1", "p1").await, (10, 0, 10), "p1 expired");
    assert_eq!(app.stock_of("s1", "p2").await, (10, 1, 9), "p2 still held");
    assert_eq!(app.stock_of("s1", "p3").await, (10, 1, 9), "p3 still held");
    let next = inventory::expiry::sweep(&app.app).await;
    assert_eq!(
        (next.expired, next.left, next.more),
        (2, 0, false),
        "the next run takes what was left: {next:?}"
    );
}

#[tokio::test]
async fn a_sweep_without_time_changes_nothing_and_reports_the_whole_batch_left() {
    let app = TestApp::with_manual_clock().await;
    three_due_reservations(&app).await;
    let before = app.snapshot().await;

    let report = inventory::expiry::sweep_while(&app.app, || false).await;

    assert_eq!(
        (report.expired, report.skipped, report.failed, report.left),
        (0, 0, 0, 3),
        "{report:?}"
    );
    assert!(report.more, "due reservations remain: {report:?}");
    assert_eq!(app.snapshot().await, before, "nothing was written");
}

/// Before the first TransactWriteItems of the client it is installed on, another writer (the
/// service's own engine, on a client of its own) delivers one unit to `row`: the sweeper's
/// write then meets a row that moved on since it was read.
#[derive(Debug)]
struct AnotherWriterFirst {
    fired: std::sync::atomic::AtomicBool,
    tables: inventory::db::Tables,
    row: (&'static str, &'static str),
    now: chrono::DateTime<chrono::Utc>,
}

impl aws_sdk_dynamodb::config::Intercept for AnotherWriterFirst {
    fn name(&self) -> &'static str {
        "AnotherWriterFirst"
    }

    // The operation's name is in the bag from serialization on (see `db::meter`).
    fn read_before_serialization(
        &self,
        _context: &aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &aws_sdk_dynamodb::config::RuntimeComponents,
        cfg: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        use aws_smithy_runtime_api::client::orchestrator::Metadata;
        let operation = cfg.load::<Metadata>().map(Metadata::name);
        if operation != Some("TransactWriteItems")
            || self.fired.swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return Ok(());
        }
        let (tables, (store, product), now) = (self.tables.clone(), self.row, self.now);
        // Interceptors are synchronous: the other writer runs on a thread and runtime of its own.
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                use inventory::db::{Db, MovementContext, RowChange, TxOutcome};
                use inventory::domain::{Actor, MovementType, ProductId, StockOp, StoreId};
                let db = Db::new(
                    inventory::db::local_client(&testkit::endpoint()).await,
                    tables,
                );
                let change = RowChange {
                    store_id: StoreId::parse(store).expect("store"),
                    product_id: ProductId::parse(product).expect("product"),
                    op: StockOp::Add(1),
                };
                let context = MovementContext::new(
                    MovementType::StockUpdate,
                    Actor::parse("delivery").expect("actor"),
                    now,
                );
                let outcome = db.transact(&[change], &context, &[]).await;
                assert!(
                    matches!(outcome, Ok(TxOutcome::Applied(_))),
                    "the other writer got there first: {outcome:?}"
                );
            });
        })
        .join()
        .expect("the other writer finished");
        Ok(())
    }
}

#[tokio::test]
async fn the_sweep_leaves_a_row_another_writer_holds_after_one_attempt_for_the_next_run() {
    let app = TestApp::with_manual_clock().await;
    let [first, second, third] = three_due_reservations(&app).await;
    let client = app
        .client
        .config()
        .to_builder()
        .interceptor(AnotherWriterFirst {
            fired: false.into(),
            tables: app.tables.clone(),
            row: ("s1", "p1"),
            now: app.app.clock.now(),
        })
        .build();
    let sweeper = inventory::App {
        db: inventory::db::Db::new(
            aws_sdk_dynamodb::Client::from_conf(client),
            app.tables.clone(),
        ),
        clock: app.app.clock.clone(),
        verifier: None,
        metrics: app.app.metrics.clone(),
    };

    let report = inventory::expiry::sweep(&sweeper).await;
    let writes = sweeper.db.meter().peek().calls_of("TransactWriteItems");
    let p1_after_first_run = app.stock_of("s1", "p1").await;
    let next = inventory::expiry::sweep(&app.app).await;

    assert_eq!(
        (report.expired, report.left, report.failed, report.more),
        (2, 1, 0, true),
        "the busy row's reservation was left, the others expired: {report:?}"
    );
    assert_eq!(
        writes, 3,
        "one attempt per reservation: the busy one was not retried"
    );
    assert_eq!(
        p1_after_first_run,
        (11, 1, 10),
        "p1 got its delivery and is still held for {first}"
    );
    assert_eq!(
        app.stock_of("s1", "p2").await,
        (10, 0, 10),
        "{second} expired"
    );
    assert_eq!(
        app.stock_of("s1", "p3").await,
        (10, 0, 10),
        "{third} expired"
    );
    assert_eq!(
        (next.expired, next.left, next.more),
        (1, 0, false),
        "the next run expires what was left: {next:?}"
    );
    assert_eq!(app.stock_of("s1", "p1").await, (11, 0, 11));
}
