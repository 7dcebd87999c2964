//! What one request can make DynamoDB do is bounded, and counted here by the meter on the real
//! SDK client: a listing reads at most 5 slices of 100 rows, whatever the filter; a page that is
//! not full by then answers short, with a cursor that resumes after the last row examined.

use inventory::db::{Usage, MAX_CALLS_PER_PAGE};
use inventory_local::seed::InventoryEntry;
use serde_json::Value;
use std::collections::BTreeSet;
use testkit::{product_named, row, TestApp};

/// A row with the catalog fields copied in, as this service writes them.
fn denormalised(store: &str, n: usize, category: &str) -> InventoryEntry {
    let id = format!("p{n:05}");
    let mut product = product_named(&id, &format!("Product {n}"));
    product.category = category.into();
    let mut r = row(store, &id, (n % 5) as i64);
    r.denormalise(&product);
    r
}

async fn store_of(app: &TestApp, rows: usize, category_of: impl Fn(usize) -> &'static str) {
    let rows: Vec<_> = (0..rows)
        .map(|n| denormalised("big", n, category_of(n)))
        .collect();
    app.given_rows(&rows).await;
}

/// Every product id across the pages of a listing, following `next_token` to the end.
async fn follow(app: &TestApp, first: &str) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut requests = 0;
    let mut uri = first.to_owned();
    loop {
        let page = app.get_anonymously(&uri).await;
        requests += 1;
        assert_eq!(page.status, 200, "{}", page.text);
        for item in page.json["items"].as_array().expect("items") {
            ids.push(item["product_id"].as_str().expect("id").to_owned());
        }
        match page.json["next_token"].as_str() {
            Some(token) => uri = format!("{first}&next_token={token}"),
            None => return (ids, requests),
        }
        assert!(requests < 1000, "the cursors never end");
    }
}

#[track_caller]
fn assert_within_listing_bound(usage: &Usage) {
    assert!(
        usage.calls_of("Query") <= MAX_CALLS_PER_PAGE as u64,
        "{usage:?}"
    );
    assert!(
        usage.total_calls() <= 3 * MAX_CALLS_PER_PAGE as u64,
        "{usage:?}"
    );
    assert!(usage.response_bytes <= 5 * 1024 * 1024, "{usage:?}");
}

#[tokio::test]
async fn a_filter_matching_nothing_on_a_thousand_row_store_makes_a_bounded_number_of_calls() {
    let app = TestApp::new().await;
    store_of(&app, 1000, |_| "Staples").await;
    let meter = app.app.db.meter();

    for uri in [
        "/api/v1/inventory/products?store_id=big&category=zzz&limit=1",
        "/api/v1/inventory/search?store_id=big&q=zzz&limit=1",
        "/api/v1/inventory/products?store_id=big&in_stock=false&category=zzz",
    ] {
        meter.take();
        let page = app.get_anonymously(uri).await;
        let usage = meter.take();
        assert_eq!(page.status, 200, "{}", page.text);
        assert_eq!(page.json["count"], 0, "{uri}");
        assert!(
            page.json["next_token"].is_string(),
            "a short page says where to resume: {}",
            page.text
        );
        assert_within_listing_bound(&usage);
        assert_eq!(
            usage.calls_of("Query"),
            MAX_CALLS_PER_PAGE as u64,
            "{usage:?}"
        );
    }

    // Following the cursors to the end: 1,000 rows in slices of 500, and never a call per row.
    meter.take();
    let (ids, requests) =
        follow(&app, "/api/v1/inventory/products?store_id=big&category=zzz").await;
    assert!(ids.is_empty());
    assert_eq!(requests, 3, "500 rows examined per request, then the end");
    assert!(meter.take().calls_of("Query") <= 3 * MAX_CALLS_PER_PAGE as u64);
}

#[tokio::test]
async fn following_the_cursors_of_a_filtered_listing_sees_every_match_exactly_once() {
    let app = TestApp::new().await;
    store_of(&app, 700, |n| if n % 7 == 3 { "Rare" } else { "Staples" }).await;
    let expected: BTreeSet<String> = (0..700)
        .filter(|n| n % 7 == 3)
        .map(|n| format!("p{n:05}"))
        .collect();

    for limit in [1, 3, 100] {
        let (ids, _) = follow(
            &app,
            &format!("/api/v1/inventory/products?store_id=big&category=Rare&limit={limit}"),
        )
        .await;
        let unique: BTreeSet<String> = ids.iter().cloned().collect();
        assert_eq!(unique.len(), ids.len(), "limit {limit}: a row seen twice");
        assert_eq!(unique, expected, "limit {limit}");
    }
    let (ids, _) = follow(
        &app,
        "/api/v1/inventory/search?store_id=big&q=product%2010&limit=4",
    )
    .await;
    let expected_search: Vec<String> = (0..700)
        .filter(|n| format!("Product {n}").contains("Product 10"))
        .map(|n| format!("p{n:05}"))
        .collect();
    assert_eq!(ids, expected_search);
}

#[tokio::test]
async fn numbered_pages_give_the_previous_services_pages_with_totals() {
    let app = TestApp::new().await;
    store_of(&app, 95, |_| "Staples").await;

    let first = app
        .get_anonymously("/api/v1/inventory/products?store_id=big&page=1&limit=3")
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(
        (
            &first.json["page"],
            &first.json["total"],
            &first.json["total_pages"],
            &first.json["count"]
        ),
        (
            &Value::from(1),
            &Value::from(95),
            &Value::from(32),
            &Value::from(3)
        )
    );
    assert!(first.json.get("next_token").is_none());
    let last = app
        .get_anonymously("/api/v1/inventory/products?store_id=big&page=32&limit=3")
        .await;
    assert_eq!(last.json["count"], 2);
    let past = app
        .get_anonymously("/api/v1/inventory/products?store_id=big&page=33&limit=3")
        .await;
    assert_eq!((past.status, &past.json["count"]), (200, &Value::from(0)));

    // Page by page is the same order as cursor by cursor.
    let mut by_number = Vec::new();
    for page in 1..=10 {
        let p = app
            .get_anonymously(&format!(
                "/api/v1/inventory/products?store_id=big&page={page}&limit=10"
            ))
            .await;
        by_number.extend(
            p.json["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|i| i["product_id"].as_str().expect("id").to_owned()),
        );
    }
    let (by_cursor, _) = follow(&app, "/api/v1/inventory/products?store_id=big&limit=10").await;
    assert_eq!(by_number, by_cursor);

    let mixed = app
        .get_anonymously(&format!(
            "/api/v1/inventory/products?store_id=big&page=2&next_token={}",
            first_token(&app).await
        ))
        .await;
    mixed.assert_problem(400, "invalid_parameter");
    assert_eq!(mixed.json["field"], "page");
    for bad in ["0", "-1", "two", "10001"] {
        app.get_anonymously(&format!(
            "/api/v1/inventory/products?store_id=big&page={bad}"
        ))
        .await
        .assert_problem(400, "invalid_parameter");
    }
}

async fn first_token(app: &TestApp) -> String {
    app.get_anonymously("/api/v1/inventory/products?store_id=big&limit=1")
        .await
        .json["next_token"]
        .as_str()
        .expect("a token")
        .to_owned()
}

#[tokio::test]
async fn categories_are_read_from_the_catalog_once_then_served_from_memory() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 1).await;
    let meter = app.app.db.meter();
    meter.take();
    let first = app.get_anonymously("/api/v1/inventory/categories").await;
    assert_eq!(first.json["categories"], serde_json::json!(["Staples"]));
    assert_eq!(meter.take().calls_of("Scan"), 1);
    let second = app.get_anonymously("/api/v1/inventory/categories").await;
    assert_eq!(second.json, first.json);
    assert_eq!(meter.take().total_calls(), 0, "served without a scan");
}

#[tokio::test]
async fn a_five_line_reservation_reads_its_rows_and_location_in_one_call_and_writes_in_one() {
    let app = TestApp::new().await;
    app.given_location("s1").await;
    for product in ["p1", "p2", "p3", "p4", "p5"] {
        app.given_stock("s1", product, 10).await;
    }
    let meter = app.app.db.meter();
    meter.take();

    let reserved = app
        .reserve(&testkit::order(
            "o1",
            &[("p1", 1), ("p2", 1), ("p3", 1), ("p4", 1), ("p5", 1)],
        ))
        .await;

    assert_eq!(reserved.status, 201, "{}", reserved.text);
    let usage = meter.take();
    assert_eq!(
        (
            usage.calls_of("BatchGetItem"),
            usage.calls_of("TransactWriteItems"),
            usage.total_calls()
        ),
        (1, 1, 2),
        "five rows and their location in one read, then one transaction: {usage:?}"
    );
}

#[tokio::test]
async fn a_stock_change_at_a_deleted_location_is_refused_after_one_read_and_no_write() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    app.given_deleted_location("s1").await;
    let meter = app.app.db.meter();
    meter.take();

    app.put(
        "/api/v1/inventory/products/s1/p1/stock",
        r#"{"quantity_change": -1}"#,
    )
    .await
    .assert_problem(409, "location_inactive");

    let usage = meter.take();
    assert_eq!(
        (usage.calls_of("BatchGetItem"), usage.total_calls()),
        (1, 1),
        "one read of the row and its location, nothing written: {usage:?}"
    );
    assert_eq!(app.stock_of("s1", "p1").await, (10, 0, 10));
}
