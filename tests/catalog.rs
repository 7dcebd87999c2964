//! Catalog reads: barcode, categories, units.

use testkit::{product_named, TestApp};

#[tokio::test]
async fn a_barcode_finds_its_product_through_the_index() {
    let app = TestApp::new().await;
    let product = product_named("p1", "Amul Butter 500 g");
    app.given_product(&product).await;
    app.given_product(&product_named("p2", "Other")).await;

    let response = app
        .get(&format!("/api/v1/inventory/barcode/{}", product.barcode))
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json["product_id"], "p1");
    assert_eq!(response.json["name"], "Amul Butter 500 g");
}

#[tokio::test]
async fn an_unknown_but_valid_barcode_answers_404() {
    let app = TestApp::new().await;

    app.get("/api/v1/inventory/barcode/4006381333931")
        .await
        .assert_problem(404, "product_not_found");
}

#[tokio::test]
async fn barcodes_with_a_bad_check_digit_or_length_answer_400() {
    let app = TestApp::new().await;

    for bad in [
        "4006381333932",
        "123",
        "40063813339311",
        "abcdefgh",
        "9638507%23",
    ] {
        let response = app.get(&format!("/api/v1/inventory/barcode/{bad}")).await;
        response.assert_problem(400, "invalid_parameter");
        assert_eq!(response.json["field"], "barcode");
    }
}

#[tokio::test]
async fn categories_are_the_distinct_catalog_categories_sorted() {
    let app = TestApp::new().await;
    for (id, category) in [("p1", "Staples"), ("p2", "Beverages"), ("p3", "Staples")] {
        let mut p = product_named(id, "x");
        p.category = category.into();
        app.given_product(&p).await;
    }

    let response = app.get("/api/v1/inventory/categories").await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response.json["categories"],
        serde_json::json!(["Beverages", "Staples"])
    );
}

#[tokio::test]
async fn units_lists_the_units_products_are_sold_in() {
    let app = TestApp::new().await;

    let response = app.get("/api/v1/inventory/units").await;

    assert_eq!(response.status, 200);
    let units: Vec<&str> = response.json["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap())
        .collect();
    assert_eq!(units, inventory::api::UNITS);
}
