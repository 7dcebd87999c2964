//! Rows as the previous service left them, on the write side: every write keeps the attributes
//! it does not know, and fills in the catalog fields a row lacks, with the write itself or by
//! the one-off backfill.

use chrono::Duration;
use std::collections::HashMap;
use testkit::routes::ADJUST;
use testkit::{expiring, order, product_named, routes, AttributeValue, TestApp};

type Item = HashMap<String, AttributeValue>;

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.to_owned())
}

/// Attributes this service has never heard of, of every DynamoDB type.
fn unknown_attributes() -> Item {
    HashMap::from([
        ("supplier_code".to_owned(), s("SUP-77")),
        ("shelf_life_days".to_owned(), n("180")),
        ("hsn_tax_rate".to_owned(), n("5.25")),
        ("discontinued".to_owned(), AttributeValue::Bool(false)),
        (
            "tags".to_owned(),
            AttributeValue::L(vec![s("fast-moving"), s("monsoon")]),
        ),
        (
            "pos_meta".to_owned(),
            AttributeValue::M(HashMap::from([("source".to_owned(), s("pos-v1"))])),
        ),
        (
            "alt_barcodes".to_owned(),
            AttributeValue::Ss(vec!["8901058000291".into()]),
        ),
    ])
}

/// A row as the previous service wrote it: stock and prices, none of the copied catalog fields,
/// none of this service's quantities, plus `extra`.
fn legacy_row(store: &str, product: &str, stock: i64, extra: &Item) -> Item {
    let mut row = HashMap::from([
        ("store_id".to_owned(), s(store)),
        ("product_id".to_owned(), s(product)),
        ("current_stock".to_owned(), n(&stock.to_string())),
        ("selling_price".to_owned(), n("45.50")),
        ("cost_price".to_owned(), n("40.10")),
        ("reorder_point".to_owned(), n("5")),
    ]);
    row.extend(extra.clone());
    row
}

/// `attributes` as the stored row has them now.
async fn kept(app: &TestApp, product: &str, attributes: &Item) -> Item {
    let row = app
        .stored_attributes("s1", product)
        .await
        .expect("the row exists");
    attributes
        .keys()
        .filter_map(|k| row.get(k).map(|v| (k.clone(), v.clone())))
        .collect()
}

#[tokio::test]
async fn attributes_the_service_does_not_know_survive_every_kind_of_write() {
    let app = TestApp::with_manual_clock().await;
    let extra = unknown_attributes();
    app.given_product(&product_named("p1", "Aashirvaad Atta 5kg"))
        .await;
    app.given_item(&app.tables.inventory, legacy_row("s1", "p1", 20, &extra))
        .await;
    let stock = routes::stock("s1", "p1");
    let mut after = Vec::new();

    let delta = app.put(&stock, r#"{"quantity_change": 5}"#).await;
    after.push(("stock change", delta.status, kept(&app, "p1", &extra).await));
    let count = app
        .put(&stock, r#"{"new_stock": 30, "expected_stock": 25}"#)
        .await;
    after.push(("count", count.status, kept(&app, "p1", &extra).await));
    let adjust = app
        .post(
            ADJUST,
            r#"{"store_id": "s1", "product_id": "p1", "quantity_change": -1,
                "adjustment_type": "damage", "reason": "torn"}"#,
        )
        .await;
    after.push(("adjust", adjust.status, kept(&app, "p1", &extra).await));
    let to_complete = app.reserved(&order("o1", &[("p1", 2)])).await;
    after.push(("reserve", 201, kept(&app, "p1", &extra).await));
    let complete = app.complete(&to_complete).await;
    after.push(("complete", complete.status, kept(&app, "p1", &extra).await));
    let to_release = app.reserved(&order("o2", &[("p1", 1)])).await;
    let release = app.release(&to_release).await;
    after.push(("release", release.status, kept(&app, "p1", &extra).await));
    app.reserved(&expiring(order("o3", &[("p1", 1)]), 1)).await;
    app.app.clock.advance(Duration::minutes(2));
    let swept = inventory::expiry::sweep(&app.app).await;
    after.push(("expire", 200, kept(&app, "p1", &extra).await));

    assert_eq!(swept.expired, 1, "{swept:?}");
    for (write, status, attributes) in after {
        assert!((200..300).contains(&status), "{write} answered {status}");
        assert_eq!(
            attributes, extra,
            "after the {write}, the unknown attributes are as they were"
        );
    }
    assert_eq!(
        app.stock_of("s1", "p1").await,
        (27, 0, 27),
        "every write applied: 20 + 5, counted 30, -1, 2 shipped"
    );
}

#[tokio::test]
async fn a_rows_next_write_copies_in_the_catalog_fields_it_lacks_and_keeps_its_own() {
    let app = TestApp::new().await;
    let product = product_named("p1", "Aashirvaad Atta 5kg");
    app.given_product(&product).await;
    let mut own_name = legacy_row("s1", "p1", 20, &HashMap::new());
    own_name.insert("name".into(), s("Atta (store's own label)"));
    app.given_item(&app.tables.inventory, own_name).await;
    let untouched = app.stored_attributes("s1", "p1").await;

    let changed = app
        .put(&routes::stock("s1", "p1"), r#"{"quantity_change": -1}"#)
        .await;
    let row = app.stored_row("s1", "p1").await.expect("the row");
    let listed_after = app
        .get("/api/v1/inventory/products?store_id=s1&category=Staples")
        .await;

    assert!(
        untouched.is_some_and(|r| !r.contains_key("brand") && !r.contains_key("category")),
        "the row starts without the copied fields"
    );
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(
        row.name.as_deref(),
        Some("Atta (store's own label)"),
        "a field the row has is never overwritten"
    );
    assert_eq!(row.brand.as_deref(), Some(product.brand.as_str()));
    assert_eq!(row.category.as_deref(), Some(product.category.as_str()));
    assert_eq!(row.unit.as_deref(), Some(product.unit.as_str()));
    assert_eq!(row.barcode.as_deref(), Some(product.barcode.as_str()));
    assert_eq!(
        changed.json["brand"], product.brand,
        "the answer is the row as written"
    );
    assert_eq!(
        listed_after.json["count"], 1,
        "and now the category filter finds it: {}",
        listed_after.text
    );
}

#[tokio::test]
async fn the_backfill_fills_only_rows_that_lack_fields_and_can_run_again() {
    let app = TestApp::new().await;
    let extra = unknown_attributes();
    for id in ["p1", "p2", "p3"] {
        app.given_product(&product_named(id, &format!("Product {id}")))
            .await;
        app.given_item(&app.tables.inventory, legacy_row("s1", id, 5, &extra))
            .await;
    }
    app.given_stock("s1", "p4", 5).await;
    app.given_item(&app.tables.inventory, legacy_row("s1", "p-gone", 5, &extra))
        .await;
    let mut odd = legacy_row("s1", "p-odd", 5, &extra);
    odd.insert("current_stock".into(), n("2.5"));
    app.given_item(&app.tables.inventory, odd).await;
    let complete_row = app.stored_attributes("s1", "p4").await;

    let first = app
        .app
        .db
        .backfill_catalog_fields(10, None)
        .await
        .expect("backfill");
    let second = app
        .app
        .db
        .backfill_catalog_fields(10, None)
        .await
        .expect("backfill");

    assert_eq!(
        (
            first.scanned,
            first.updated,
            first.unfillable,
            first.gone,
            first.unreadable
        ),
        (6, 3, 1, 0, 1),
        "three legacy rows filled; the row without a catalog product cannot be, and the row \
         with a fractional stock is skipped, not fatal: {first:?}"
    );
    for id in ["p1", "p2", "p3"] {
        let row = app.stored_row("s1", id).await.expect("row");
        assert_eq!(row.name, Some(format!("Product {id}")), "{row:?}");
        assert!(
            row.brand.is_some()
                && row.category.is_some()
                && row.unit.is_some()
                && row.barcode.is_some(),
            "{row:?}"
        );
        assert_eq!(
            kept(&app, id, &extra).await,
            extra,
            "{id} kept its unknown attributes"
        );
        assert_eq!(row.current_stock, 5, "and its stock");
    }
    assert_eq!(
        app.stored_attributes("s1", "p4").await,
        complete_row,
        "a complete row is not written"
    );
    assert_eq!(
        (second.updated, second.unfillable),
        (0, 1),
        "a second run finds nothing left to fill: {second:?}"
    );
}

#[tokio::test]
async fn the_backfill_stops_after_its_page_budget_and_the_next_run_goes_on() {
    let app = TestApp::new().await;
    app.given_product(&product_named("p1", "Product p1")).await;
    // 101 rows in one store: more than one page of 100.
    for i in 0..101 {
        app.given_item(
            &app.tables.inventory,
            legacy_row(&format!("s{i:03}"), "p1", 1, &HashMap::new()),
        )
        .await;
    }

    let first = app
        .app
        .db
        .backfill_catalog_fields(1, None)
        .await
        .expect("backfill");
    let second = app
        .app
        .db
        .backfill_catalog_fields(1, first.resume_after.clone())
        .await
        .expect("backfill");

    assert_eq!(
        (first.scanned, first.updated),
        (100, 100),
        "one page of 100: {first:?}"
    );
    assert!(first.resume_after.is_some(), "it says where to go on");
    assert_eq!(
        (second.scanned, second.updated, second.resume_after.clone()),
        (1, 1, None),
        "the next run goes on from there, fills the one left and reaches the end: {second:?}"
    );
}
