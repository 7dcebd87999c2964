//! What `make run` does: tables from the template, demo data loaded once, a gateway on loopback.

use inventory::db::local_client;
use inventory_local::tables::{create_tables, TableNames};
use inventory_local::template::{repository_root, Template};
use std::collections::BTreeSet;
use testkit::TestApp;

#[tokio::test]
async fn the_demo_data_is_a_realistic_catalog_across_three_stores_with_low_and_empty_shelves() {
    let (catalog, inventory) =
        testkit::seed::load_demo(&repository_root().join("demo")).expect("demo data parses");

    assert!(catalog.len() >= 170, "{} products", catalog.len());
    assert!(inventory.len() >= 200, "{} rows", inventory.len());
    let stores: BTreeSet<_> = inventory.iter().map(|r| r.store_id.as_str()).collect();
    assert!(stores.len() >= 3);
    let barcodes: BTreeSet<_> = catalog.iter().map(|p| p.barcode.as_str()).collect();
    assert_eq!(
        barcodes.len(),
        catalog.len(),
        "barcodes are unique (each parsed with its check digit)"
    );
    for store in stores {
        let rows: Vec<_> = inventory
            .iter()
            .filter(|r| r.store_id.as_str() == store)
            .collect();
        assert!(
            rows.iter().any(|r| r.current_stock == 0),
            "{store} has an empty shelf"
        );
        assert!(
            rows.iter()
                .any(|r| r.current_stock > 0 && r.current_stock <= r.reorder_point),
            "{store} has a low shelf"
        );
    }
}

#[tokio::test]
async fn setting_up_twice_creates_no_duplicates_and_keeps_changes() {
    let app = TestApp::new().await;
    let first = app.given_demo_data().await;
    let changed = app
        .put(
            "/api/v1/inventory/products/store-blr-001/prd-0003/stock",
            r#"{"quantity_change": 5}"#,
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    let stock = changed.json["current_stock"].clone();

    let second = app.given_demo_data().await;
    // The template's tables already exist under this prefix: creating them again is a no-op.
    let template = Template::of_repository().expect("template");
    let prefix = app
        .tables
        .products
        .trim_end_matches("global-products")
        .to_owned();
    create_tables(
        &local_client(&testkit::endpoint()).await,
        &template,
        &prefix,
    )
    .await
    .expect("idempotent");

    assert_eq!(first.already_present, 0);
    assert_eq!(second.written, 0, "nothing written twice");
    assert_eq!(second.already_present, first.written);
    let after = app
        .get("/api/v1/inventory/products/store-blr-001/prd-0003")
        .await;
    assert_eq!(
        after.json["current_stock"], stock,
        "a rerun does not reset stock"
    );
}

#[tokio::test]
async fn the_gateway_serves_real_http_on_loopback() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 3).await;
    let template = Template::of_repository().expect("template");
    let router = inventory_local::gateway::router(
        &template,
        app.app.clone(),
        testkit::dev_keys().verifier(template.jwt_audience()),
    )
    .expect("router");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let client = reqwest::Client::new();
    let base = format!("http://{addr}/api/v1/inventory");

    let got = client
        .get(format!("{base}/products/s1/p1"))
        .send()
        .await
        .expect("get");
    let put = client
        .put(format!("{base}/products/s1/p1/stock"))
        .bearer_auth(app.token("staff-1", "staff", "s1"))
        .body(r#"{"quantity_change": -1}"#)
        .send()
        .await
        .expect("put");
    let missing = client
        .get(format!("{base}/nothing-here"))
        .send()
        .await
        .expect("404");

    assert_eq!(got.status(), 200);
    assert_eq!(put.status(), 200);
    assert_eq!(
        put.json::<serde_json::Value>().await.expect("json")["current_stock"],
        2
    );
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
    server.abort();
    let names = TableNames::for_template(&template, "");
    assert_eq!(
        names.tables().expect("names").inventory,
        "store-inventory",
        "make run uses the production table names"
    );
}
