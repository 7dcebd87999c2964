//! Catalog writes: unique barcodes through guard items, barcode moves, and renames reaching rows.

use futures::future::join_all;
use serde_json::{json, Value};
use testkit::{ean13, product_named, row, TestApp};

fn product(id: &str, barcode: &str) -> Value {
    json!({
        "product_id": id,
        "name": format!("{id} name"),
        "brand": "Amul",
        "barcode": barcode,
        "mrp": "56.50",
        "category": "Dairy",
        "unit": "pack",
    })
}

#[tokio::test]
async fn an_admin_creates_reads_and_replaces_a_product_and_the_rename_reaches_every_row() {
    let app = TestApp::new().await;
    let barcode = ean13(710_001).to_string();
    let created = app
        .post("/api/v1/products", &product("p-new", &barcode).to_string())
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(
        created.text.contains(r#""mrp":56.50"#),
        "money is written through its exact text: {}",
        created.text
    );
    app.given_row(&row("s1", "p-new", 3)).await;
    app.given_row(&row("s2", "p-new", 4)).await;

    let read = app.get_anonymously("/api/v1/products/p-new").await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json["barcode"], barcode);

    let mut renamed = product("p-new", &barcode);
    renamed["name"] = json!("Amul Gold 1 l");
    renamed.as_object_mut().unwrap().remove("brand");
    let updated = app
        .put("/api/v1/products/p-new", &renamed.to_string())
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.json["inventory_rows_updated"], 2);
    assert!(
        updated.json.get("brand").is_none(),
        "a field left out is removed"
    );
    for store in ["s1", "s2"] {
        let row = app.stored_row(store, "p-new").await.expect("row");
        assert_eq!(row.name.as_deref(), Some("Amul Gold 1 l"));
        assert_eq!(row.brand, None);
        assert_eq!(row.current_stock, if store == "s1" { 3 } else { 4 });
    }
    let search = app.get("/api/v1/inventory/search?store_id=s1&q=gold").await;
    assert_eq!(search.json["count"], 1, "the rename shows in search");
}

#[tokio::test]
async fn two_concurrent_creates_with_the_same_barcode_exactly_one_wins() {
    let app = TestApp::new().await;
    let barcode = ean13(710_002).to_string();

    let responses = join_all((0..6).map(|i| {
        let body = product(&format!("p-race-{i}"), &barcode).to_string();
        let app = &app;
        async move { app.post("/api/v1/products", &body).await }
    }))
    .await;

    let winners: Vec<&Value> = responses
        .iter()
        .filter(|r| r.status == 201)
        .map(|r| &r.json)
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "{:?}",
        responses.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    let winner = winners[0]["product_id"].as_str().unwrap();
    for r in responses.iter().filter(|r| r.status != 201) {
        r.assert_problem(409, "barcode_taken");
        assert_eq!(r.json["owner_product_id"], winner);
    }
    let lookup = app
        .get_anonymously(&format!("/api/v1/inventory/barcode/{barcode}"))
        .await;
    assert_eq!(lookup.json["product_id"], winner);
}

#[tokio::test]
async fn changing_a_barcode_moves_its_guard_so_the_old_one_is_free_and_the_new_one_is_held() {
    let app = TestApp::new().await;
    let (old, new) = (ean13(710_003).to_string(), ean13(710_004).to_string());
    assert_eq!(
        app.post("/api/v1/products", &product("p1", &old).to_string())
            .await
            .status,
        201
    );

    let moved = app
        .put("/api/v1/products/p1", &product("p1", &new).to_string())
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text);

    let reuse_old = app
        .post("/api/v1/products", &product("p2", &old).to_string())
        .await;
    assert_eq!(
        reuse_old.status, 201,
        "the old barcode is free: {}",
        reuse_old.text
    );
    app.post("/api/v1/products", &product("p3", &new).to_string())
        .await
        .assert_problem(409, "barcode_taken");
    app.put("/api/v1/products/p2", &product("p2", &new).to_string())
        .await
        .assert_problem(409, "barcode_taken");
}

#[tokio::test]
async fn a_product_from_before_the_guards_still_owns_its_barcode() {
    let app = TestApp::new().await;
    let legacy = product_named("legacy-1", "Old product");
    app.given_product(&legacy).await;
    let before = app.snapshot().await;

    app.post(
        "/api/v1/products",
        &product("p-new", legacy.barcode.as_str()).to_string(),
    )
    .await
    .assert_problem(409, "barcode_taken");
    assert_eq!(app.snapshot().await, before);
    app.post(
        "/api/v1/products",
        &product("legacy-1", &ean13(710_005).to_string()).to_string(),
    )
    .await
    .assert_problem(409, "product_exists");
}

#[tokio::test]
async fn catalog_writes_are_for_admins_only() {
    let app = TestApp::new().await;
    let manager = app.token("m1", "store_manager", "s1");
    app.send_as(
        Some(&manager),
        "POST",
        "/api/v1/products",
        Some(&product("p1", &ean13(710_006).to_string()).to_string()),
    )
    .await
    .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn bad_input_on_every_catalog_route_is_400_naming_the_problem_and_changes_nothing() {
    let app = TestApp::new().await;
    assert_eq!(
        app.post(
            "/api/v1/products",
            &product("p1", &ean13(710_007).to_string()).to_string()
        )
        .await
        .status,
        201
    );
    let before = app.snapshot().await;

    for (method, uri, body, needle) in [
        (
            "POST",
            "/api/v1/products",
            json!({"name": "x", "barcode": "8901234567893"}),
            "check digit",
        ),
        (
            "POST",
            "/api/v1/products",
            json!({"name": "x", "barcode": "12345"}),
            "barcode",
        ),
        (
            "POST",
            "/api/v1/products",
            json!({"name": "x", "unit": "kilo"}),
            "unit",
        ),
        (
            "POST",
            "/api/v1/products",
            json!({"name": "x", "mrp": -1}),
            "must not be negative",
        ),
        (
            "POST",
            "/api/v1/products",
            json!({"name": "x", "mrp": "1.234"}),
            "amount",
        ),
        ("POST", "/api/v1/products", json!({"name": ""}), "name"),
        ("POST", "/api/v1/products", json!({"brand": "x"}), "name"),
        (
            "POST",
            "/api/v1/products",
            json!({"name": "x", "image_url": "ftp://x"}),
            "image_url",
        ),
        (
            "POST",
            "/api/v1/products",
            json!({"name": "x", "colour": "red"}),
            "colour",
        ),
        (
            "PUT",
            "/api/v1/products/p1",
            json!({"product_id": "p2", "name": "x"}),
            "product_id",
        ),
        (
            "PUT",
            "/api/v1/products/a%23b",
            json!({"name": "x"}),
            "product_id",
        ),
    ] {
        let response = app.send(method, uri, Some(&body.to_string())).await;
        assert_eq!(
            response.status, 400,
            "{method} {uri} {body}: {}",
            response.text
        );
        assert!(response.text.contains(needle), "{body}: {}", response.text);
    }
    let get = app.get("/api/v1/products/a%23b").await;
    assert_eq!(get.status, 400);
    app.get("/api/v1/products/nope")
        .await
        .assert_problem(404, "product_not_found");
    app.put("/api/v1/products/nope", &json!({"name": "x"}).to_string())
        .await
        .assert_problem(404, "product_not_found");
    assert_eq!(app.snapshot().await, before);
}
