//! The onboarding tool (`inventory-csv`) against DynamoDB Local: bad rows are reported with their
//! line and reason while good rows land; opening stock lands with its ledger row; an interrupted
//! import resumes without duplicating anything; unprocessed batch items are sent again; an
//! export imports again as it was; the demo data loads with the tool.

use aws_sdk_dynamodb::types::WriteRequest;
use inventory::db::LocationFields;
use inventory::domain::{Actor, Address, LocationName, LocationType, ProductId, StoreId};
use inventory_onboard::batch::{BatchWriter, Writes};
use inventory_onboard::import::{import, ImportOptions, ImportReport, Rejection};
use inventory_onboard::{cli, ImportError};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use testkit::{AttributeValue, TestApp};

/// A scratch folder for one test's files, named after its tables (unique per test).
fn scratch(app: &TestApp) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("onboard-{}", app.tables.products));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn write(dir: &Path, name: &str, lines: &[&str]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").expect("write csv");
    path
}

fn options() -> ImportOptions {
    ImportOptions::new(Actor::parse("onboarding-test").expect("actor"))
}

async fn store(app: &TestApp, id: &str) {
    app.app
        .db
        .create_location(
            StoreId::parse(id).expect("id"),
            LocationFields {
                location_type: LocationType::Store,
                name: LocationName::parse(format!("Store {id}")).expect("name"),
                address: Address::parse("1 Main Road").expect("address"),
            },
            chrono::Utc::now(),
        )
        .await
        .expect("location");
}

async fn run(app: &TestApp, options: &ImportOptions) -> ImportReport {
    import(
        &app.app.db,
        app.app.db.client(),
        options,
        chrono::Utc::now(),
    )
    .await
    .expect("import runs")
}

/// Every item of a table, keyed by its key attributes, without the write timestamps (which
/// differ between two imports of the same rows).
async fn table(
    app: &TestApp,
    name: &str,
    keys: &[&str],
) -> BTreeMap<String, HashMap<String, AttributeValue>> {
    let items: Vec<HashMap<String, AttributeValue>> = app
        .client
        .scan()
        .table_name(name)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("scan");
    items
        .into_iter()
        .map(|mut item| {
            for stamp in ["updated_at", "created_at", "movement_id"] {
                item.remove(stamp);
            }
            let key = keys
                .iter()
                .map(|k| {
                    item.get(*k)
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join("|");
            (key, item)
        })
        .collect()
}

/// The ledger's movements, by row (`MOV#store#product`): their sort keys.
async fn movements(app: &TestApp) -> BTreeMap<String, Vec<String>> {
    let mut by_row: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (_, item) in table(app, &app.tables.ledger, &["pk", "sk"]).await {
        let text = |k: &str| {
            item.get(k)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default()
        };
        if text("pk").starts_with("MOV#") {
            by_row.entry(text("pk")).or_default().push(text("sk"));
        }
    }
    by_row
}

const CATALOG_HEADER: &str =
    "product_id,name,brand,barcode,mrp,category,unit,description,image_url";
const INVENTORY_HEADER: &str = "store_id,product_id,current_stock,selling_price,cost_price,min_stock_level,reorder_point,max_stock_level,reorder_quantity,lead_time_days,location";

#[tokio::test]
async fn an_import_with_bad_rows_reports_each_with_its_line_and_reason_and_imports_the_good_ones() {
    let app = TestApp::new().await;
    let dir = scratch(&app);
    store(&app, "s1").await;
    store(&app, "s-closed").await;
    app.app
        .db
        .update_location(
            &StoreId::parse("s-closed").unwrap(),
            None,
            Some(false),
            chrono::Utc::now(),
        )
        .await
        .expect("soft delete");
    let long_name = "n".repeat(201);
    let catalog = write(&dir, "catalog.csv", &[
        CATALOG_HEADER,
        "p1,Atta 5 kg,Aashirvaad,8901058000290,285.00,Staples,kg,Whole wheat,https://img.example.com/p1.jpg",
        "p2,\"Salt, iodised 1 kg\",Tata,4006381333931,28,Staples,kg,,",
        "p3,Bad check digit,Tata,8901058000291,10,Staples,kg,,",
        "p4,Same barcode as p1,Tata,8901058000290,10,Staples,kg,,",
        &format!("p5,{long_name},Tata,,10,Staples,kg,,"),
        "p6,Too few fields,Tata",
        "p7,Unknown unit,Tata,96385074,10,Staples,bushel,,",
    ]);
    let inventory = write(
        &dir,
        "inventory.csv",
        &[
            INVENTORY_HEADER,
            "s1,p1,10,280.00,250.00,2,5,50,20,3,A1-01",
            "s1,p-missing,5,,,,,,,,",
            "s-unknown,p1,5,,,,,,,,",
            "s1,p2,-5,,,,,,,,",
            "s1,p2,5,,,10,,5,,,",
            "s1,p2,ten,,,,,,,,",
            "s1,p2,5,,",
            "s-closed,p1,5,,,,,,,,",
            "s1,p2,7,28.00,20.50,,,,,,B2-02",
            "s1,p1,3,,,,,,,,",
        ],
    );
    let mut options = options();
    options.catalog = Some(catalog.clone());
    options.inventory = Some(inventory.clone());

    let report = run(&app, &options).await;

    let reasons: Vec<(String, u64, String)> = report
        .rejections
        .iter()
        .map(|Rejection { file, line, reason }| {
            let name = Path::new(file)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, *line, reason.clone())
        })
        .collect();
    let expected = [
        ("catalog.csv", 4, "barcode has an invalid check digit"),
        ("catalog.csv", 5, "barcode 8901058000290 repeats line 2 (product p1): barcodes are unique across the catalog"),
        ("catalog.csv", 6, "name must be 1 to 200 characters"),
        ("catalog.csv", 7, "has 3 fields where the header has 9"),
        ("catalog.csv", 8, "unit must be one of kg, g, l, ml, piece, pack, dozen"),
        ("inventory.csv", 4, "store s-unknown is not a known location; create it first (POST /api/v1/locations, or --locations)"),
        ("inventory.csv", 5, "current_stock must be between 0 and 1000000"),
        ("inventory.csv", 6, "min_stock_level (10) must be at most max_stock_level (5)"),
        ("inventory.csv", 7, "current_stock must be a whole number"),
        ("inventory.csv", 8, "has 5 fields where the header has 11"),
        ("inventory.csv", 9, "location s-closed is inactive (deleted); it takes no new rows"),
        ("inventory.csv", 11, "store_id and product_id s1/p1 repeats line 2"),
        ("inventory.csv", 3, "product p-missing is not in the catalog; import it first (--catalog)"),
    ];
    let mut got = reasons.clone();
    got.sort();
    let mut want: Vec<(String, u64, String)> = expected
        .iter()
        .map(|(f, l, r)| ((*f).to_owned(), *l, (*r).to_owned()))
        .collect();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(report.files[0].written, 2, "p1 and p2 are in the catalog");
    assert_eq!(report.files[1].written, 2, "s1/p1 and s1/p2 are stocked");
    let products = table(&app, &app.tables.products, &["product_id"]).await;
    assert_eq!(products.keys().cloned().collect::<Vec<_>>(), ["p1", "p2"]);
    let guards: Vec<String> = table(&app, &app.tables.ledger, &["pk"])
        .await
        .into_keys()
        .filter(|k| k.starts_with("BARCODE#"))
        .collect();
    assert_eq!(guards, ["BARCODE#4006381333931", "BARCODE#8901058000290"]);
    let row = app.get("/api/v1/inventory/products/s1/p2").await;
    assert_eq!(row.status, 200, "{}", row.text);
    assert_eq!(row.json["current_stock"], 7);
    assert_eq!(row.json["available_stock"], 7);
    assert_eq!(
        row.json["name"], "Salt, iodised 1 kg",
        "catalog fields are copied onto the row"
    );
    assert_eq!(row.json["barcode"], "4006381333931");
    let history = app.get("/api/v1/inventory/history/s1/p1").await;
    assert_eq!(history.status, 200, "{}", history.text);
    let entries = history.json["movements"]
        .as_array()
        .expect("movements")
        .clone();
    assert_eq!(entries.len(), 1, "{}", history.text);
    assert_eq!(entries[0]["movement_type"], "initial_stock");
    assert_eq!(entries[0]["current_after"], 10);
    assert_eq!(entries[0]["actor"], "onboarding-test");
    assert_eq!(entries[0]["reference"], "inventory.csv:2");
    assert_eq!(
        movements(&app).await.into_keys().collect::<Vec<_>>(),
        ["MOV#s1#p1", "MOV#s1#p2"],
        "a ledger row for every stocked row, none for a rejected one"
    );
}

#[tokio::test]
async fn the_command_exits_non_zero_and_writes_the_rejects_file_when_rows_are_rejected() {
    let app = TestApp::new().await;
    let dir = scratch(&app);
    let catalog = write(
        &dir,
        "catalog.csv",
        &[
            CATALOG_HEADER,
            "p1,Atta,,8901058000290,,,,,",
            "p2,Bad,,8901058000291,,,,,",
        ],
    );
    let rejects = dir.join("rejects.csv");
    let args = |catalog: &Path| {
        vec![
            "inventory-csv".to_owned(),
            "--quiet".into(),
            "--endpoint-url".into(),
            testkit::endpoint(),
            "--products-table".into(),
            app.tables.products.clone(),
            "--inventory-table".into(),
            app.tables.inventory.clone(),
            "--ledger-table".into(),
            app.tables.ledger.clone(),
            "import".into(),
            "--catalog".into(),
            catalog.display().to_string(),
            "--rejects".into(),
            rejects.display().to_string(),
        ]
    };

    let code = cli::run(args(&catalog)).await;

    assert_eq!(code, cli::EXIT_REJECTED);
    let text = std::fs::read_to_string(&rejects).expect("rejects file");
    assert_eq!(
        text,
        format!(
            "file,line,reason\n{},3,barcode has an invalid check digit\n",
            catalog.display()
        )
    );
    let clean = write(
        &dir,
        "clean.csv",
        &[CATALOG_HEADER, "p1,Atta,,8901058000290,,,,,"],
    );
    assert_eq!(
        cli::run(args(&clean)).await,
        cli::EXIT_OK,
        "p1 already there is not a rejection"
    );
    assert_eq!(
        cli::run(["inventory-csv", "import"]).await,
        cli::EXIT_FAILED,
        "no file named"
    );
}

/// 60 products and a row of each in `s1`, with a few bad lines among them.
fn large_files(dir: &Path) -> (PathBuf, PathBuf) {
    let mut catalog = vec![CATALOG_HEADER.to_owned()];
    let mut inventory = vec![INVENTORY_HEADER.to_owned()];
    for i in 0..60 {
        // Distinct EAN-8 barcodes: 7 digits of body, then the check digit.
        let body = format!("{:07}", 1_000_000 + i);
        let sum: u32 = body
            .bytes()
            .rev()
            .enumerate()
            .map(|(j, b)| u32::from(b - b'0') * if j % 2 == 0 { 3 } else { 1 })
            .sum();
        let barcode = format!("{body}{}", (10 - sum % 10) % 10);
        catalog.push(format!(
            "p{i:03},Product {i},Brand,{barcode},{i}.50,Staples,piece,,"
        ));
        inventory.push(format!(
            "s1,p{i:03},{},{i}.50,{i}.00,1,2,500,10,2,A{i}",
            i * 3
        ));
        if i % 20 == 7 {
            inventory.push(format!("s1,p{i:03}x,1,,,,,,,,"));
        }
    }
    let catalog: Vec<&str> = catalog.iter().map(String::as_str).collect();
    let inventory: Vec<&str> = inventory.iter().map(String::as_str).collect();
    (
        write(dir, "catalog.csv", &catalog),
        write(dir, "inventory.csv", &inventory),
    )
}

#[tokio::test]
async fn a_resumed_import_after_an_interruption_duplicates_nothing() {
    let once = TestApp::new().await;
    let resumed = TestApp::new().await;
    for app in [&once, &resumed] {
        store(app, "s1").await;
    }
    let dir = scratch(&resumed);
    let (catalog, inventory) = large_files(&dir);
    let mut options = options();
    options.catalog = Some(catalog);
    options.inventory = Some(inventory);
    let one_shot = run(&once, &options).await;

    // Interrupted twice (after one batch, then inside the inventory file), then run to the end.
    options.state = Some(dir.join("state.json"));
    options.stop_after = Some(25);
    let first = run(&resumed, &options).await;
    options.stop_after = Some(60);
    let second = run(&resumed, &options).await;
    options.stop_after = None;
    let last = run(&resumed, &options).await;
    // And once more with the checkpoint lost: the tables themselves say what is done.
    options.state = None;
    let again = run(&resumed, &options).await;

    assert!(first.stopped_early && second.stopped_early && !last.stopped_early);
    assert_eq!(first.written(), 25);
    assert_eq!(
        second.files[0].done_before, 25,
        "the catalog's first batch is not read again"
    );
    assert_eq!(
        first.written() + second.written() + last.written(),
        one_shot.written(),
        "every row written exactly once across the runs"
    );
    assert_eq!(one_shot.written(), 120);
    assert_eq!(again.written(), 0);
    assert_eq!(again.exists(), 120);
    let lines = |reports: &[&ImportReport]| {
        let mut lines: Vec<(String, u64)> = reports
            .iter()
            .flat_map(|r| r.rejections.iter().map(|j| (j.file.clone(), j.line)))
            .collect();
        lines.sort();
        lines.dedup();
        lines
    };
    assert_eq!(one_shot.rejected(), 3, "{:?}", one_shot.rejections);
    assert_eq!(
        lines(&[&first, &second, &last]),
        lines(&[&one_shot]),
        "the same bad lines reported, each by the run that reached it"
    );
    for (mine, theirs, keys) in [
        (
            &once.tables.products,
            &resumed.tables.products,
            &["product_id"][..],
        ),
        (
            &once.tables.inventory,
            &resumed.tables.inventory,
            &["store_id", "product_id"][..],
        ),
    ] {
        assert_eq!(
            table(&once, mine, keys).await,
            table(&resumed, theirs, keys).await,
            "{mine}"
        );
    }
    let ledger = movements(&resumed).await;
    assert_eq!(ledger.len(), 60);
    assert!(
        ledger.values().all(|seqs| seqs == &["SEQ#000000000001"]),
        "exactly one seq-1 movement per row"
    );
    assert_eq!(ledger, movements(&once).await);
}

#[tokio::test]
async fn a_file_changed_since_the_checkpoint_is_refused_rather_than_resumed_at_the_wrong_line() {
    let app = TestApp::new().await;
    let dir = scratch(&app);
    let (catalog, _) = large_files(&dir);
    let mut options = options();
    options.catalog = Some(catalog.clone());
    options.state = Some(dir.join("state.json"));
    options.stop_after = Some(25);
    run(&app, &options).await;
    let mut text = std::fs::read_to_string(&catalog).unwrap();
    text.push_str("p999,One more,,,,,,,\n");
    std::fs::write(&catalog, text).unwrap();

    let refused = import(
        &app.app.db,
        app.app.db.client(),
        &options,
        chrono::Utc::now(),
    )
    .await;

    assert!(
        matches!(refused, Err(ImportError::Changed { last_line: 26, .. })),
        "{refused:?}"
    );
}

/// Forwards only the first half of each call's items to DynamoDB for the first `refusals`
/// calls and hands the rest back as unprocessed, as DynamoDB does when a table throttles.
struct HalfUnprocessed {
    client: aws_sdk_dynamodb::Client,
    refusals: AtomicUsize,
    calls: AtomicUsize,
}

impl BatchWriter for HalfUnprocessed {
    async fn send(&self, writes: Writes) -> Result<Writes, ImportError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let refuse = self
            .refusals
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        let mut all: Vec<(String, WriteRequest)> = writes
            .into_iter()
            .flat_map(|(table, requests)| requests.into_iter().map(move |r| (table.clone(), r)))
            .collect();
        let held: Vec<(String, WriteRequest)> = if refuse && all.len() > 1 {
            all.split_off(all.len() / 2)
        } else {
            Vec::new()
        };
        let mut sent: Writes = HashMap::new();
        for (table, request) in all {
            sent.entry(table).or_default().push(request);
        }
        let mut left = self.client.send(sent).await?;
        for (table, request) in held {
            left.entry(table).or_default().push(request);
        }
        Ok(left)
    }
}

#[tokio::test]
async fn items_left_unprocessed_by_a_batch_write_are_sent_again_until_written() {
    let app = TestApp::new().await;
    let dir = scratch(&app);
    let (catalog, _) = large_files(&dir);
    let writer = HalfUnprocessed {
        client: app.app.db.client().clone(),
        refusals: AtomicUsize::new(4),
        calls: AtomicUsize::new(0),
    };
    let mut options = options();
    options.catalog = Some(catalog);

    let report = import(&app.app.db, &writer, &options, chrono::Utc::now())
        .await
        .expect("import");

    assert_eq!(report.written(), 60);
    assert!(report.retried_items >= 4, "{report:?}");
    assert_eq!(
        report.batch_write_calls,
        writer.calls.load(Ordering::SeqCst) as u64
    );
    // 60 products and 60 guards: 5 calls of 25 at least, plus one per refused call.
    assert!(report.batch_write_calls >= 5 + 4, "{report:?}");
    assert_eq!(
        table(&app, &app.tables.products, &["product_id"])
            .await
            .len(),
        60
    );
    let guards = table(&app, &app.tables.ledger, &["pk"])
        .await
        .into_keys()
        .filter(|k| k.starts_with("BARCODE#"))
        .count();
    assert_eq!(guards, 60, "no item dropped");
}

#[tokio::test]
async fn one_batch_of_inventory_rows_costs_a_bounded_number_of_dynamodb_calls() {
    let app = TestApp::new().await;
    let dir = scratch(&app);
    store(&app, "s1").await;
    let (catalog, inventory) = large_files(&dir);
    let mut options = options();
    options.catalog = Some(catalog);
    run(&app, &options).await;
    options.catalog = None;
    options.inventory = Some(inventory);
    let before = app.app.db.meter().peek();

    let report = run(&app, &options).await;

    let used = app.app.db.meter().peek().since(&before);
    // 63 lines in batches of 25 valid rows: 3 batches; one location read for the one store.
    assert_eq!(report.written(), 60);
    assert_eq!(used.calls_of("BatchGetItem"), 3, "{used:?}");
    assert_eq!(used.calls_of("TransactWriteItems"), 3, "{used:?}");
    assert_eq!(used.calls_of("GetItem"), 1, "{used:?}");
    assert_eq!(used.total_calls(), 7, "{used:?}");
}

#[tokio::test]
async fn an_exported_store_imports_again_as_it_was() {
    let source = TestApp::new().await;
    source.given_demo_data().await;
    let store_id = StoreId::parse("store-blr-001").unwrap();
    let sold = source
        .put(
            "/api/v1/inventory/products/store-blr-001/prd-0003/stock",
            r#"{"quantity_change": -4}"#,
        )
        .await;
    assert_eq!(sold.status, 200, "{}", sold.text);
    let mut exported = Vec::new();
    let report = inventory_onboard::export::export_store(&source.app.db, &store_id, &mut exported)
        .await
        .expect("export");
    assert_eq!(report.rows, 110);

    let target = TestApp::new().await;
    let dir = scratch(&target);
    let demo = inventory_local::template::repository_root().join("demo");
    let file = dir.join("store-blr-001.csv");
    std::fs::write(&file, &exported).unwrap();
    let mut options = options();
    options.locations = Some(demo.join("locations.csv"));
    options.catalog = Some(demo.join("catalog.csv"));
    options.inventory = Some(file);
    let imported = run(&target, &options).await;
    let mut again = Vec::new();
    inventory_onboard::export::export_store(&target.app.db, &store_id, &mut again)
        .await
        .expect("export");

    assert_eq!(imported.rejected(), 0, "{:?}", imported.rejections);
    assert_eq!(
        String::from_utf8(again).unwrap(),
        String::from_utf8(exported.clone()).unwrap()
    );
    let text = String::from_utf8(exported).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("store-blr-001,prd-0003,57,")),
        "the export carries the stock as it is now (61 - 4)"
    );
    let unknown = inventory_onboard::export::export_store(
        &target.app.db,
        &StoreId::parse("nowhere").unwrap(),
        Vec::new(),
    )
    .await;
    assert!(matches!(unknown, Err(ImportError::Usage(_))));
}

#[tokio::test]
async fn the_demo_data_loads_with_the_tool_as_locations_catalog_and_stock_with_ledger_rows() {
    let app = TestApp::new().await;

    let report = app.given_demo_data().await;

    assert_eq!(report.written, 3 + 271 + 250);
    for store in ["store-blr-001", "store-mum-002", "store-del-003"] {
        let location = app.get(&format!("/api/v1/locations/{store}")).await;
        assert_eq!(location.status, 200, "{}", location.text);
        assert_eq!(location.json["active"], true);
    }
    let ledger = movements(&app).await;
    assert_eq!(ledger.len(), 250, "one opening movement per demo row");
    let product = ProductId::parse("prd-0003").unwrap();
    let (history, _) = app
        .app
        .db
        .movements(
            &StoreId::parse("store-blr-001").unwrap(),
            &product,
            10,
            None,
        )
        .await
        .expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].current_after, 61);
}

#[tokio::test]
async fn a_product_left_without_its_barcode_guard_by_an_interruption_gets_it_on_the_rerun() {
    let app = TestApp::new().await;
    let dir = scratch(&app);
    let catalog = write(
        &dir,
        "catalog.csv",
        &[CATALOG_HEADER, "p1,Atta,,8901058000290,,,,,"],
    );
    let mut options = options();
    options.catalog = Some(catalog.clone());
    run(&app, &options).await;
    // As if the run had stopped between the product's write and its guard's.
    app.client
        .delete_item()
        .table_name(&app.tables.ledger)
        .key("pk", AttributeValue::S("BARCODE#8901058000290".into()))
        .key("sk", AttributeValue::S("BARCODE".into()))
        .send()
        .await
        .expect("guard deleted");

    let rerun = run(&app, &options).await;
    let taken = write(
        &dir,
        "other.csv",
        &[CATALOG_HEADER, "p2,Another,,8901058000290,,,,,"],
    );
    options.catalog = Some(taken);
    let other = run(&app, &options).await;

    assert_eq!((rerun.written(), rerun.exists()), (0, 1));
    let guards: Vec<String> = table(&app, &app.tables.ledger, &["pk"])
        .await
        .into_keys()
        .filter(|k| k.starts_with("BARCODE#"))
        .collect();
    assert_eq!(guards, ["BARCODE#8901058000290"], "the guard is back");
    assert_eq!(other.written(), 0);
    assert_eq!(
        other.rejections[0].reason,
        "barcode 8901058000290 already belongs to product p1: barcodes are unique across the catalog"
    );
}
