//! Rows as production holds them: written by the previous service, without the catalog fields
//! this service copies in, or with values that do not fit today's types. Each shape is seeded
//! directly in DynamoDB Local, and none may hide a row from a listing or fail a page.

use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use testkit::{money, product_named, row, TestApp};

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.to_owned())
}

fn item(pairs: &[(&str, AttributeValue)]) -> HashMap<String, AttributeValue> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn ids(page: &testkit::TestResponse) -> Vec<String> {
    page.json["items"]
        .as_array()
        .unwrap_or_else(|| panic!("items in {}", page.text))
        .iter()
        .map(|i| i["product_id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn rows_without_the_copied_catalog_fields_are_joined_for_listing_search_and_category() {
    let app = TestApp::new().await;
    let mut ghee = product_named("p-ghee", "Legacy Pure Ghee 1 l");
    ghee.category = "Oils & Ghee".into();
    ghee.brand = "Oldbrand".into();
    app.given_product(&ghee).await;
    app.given_row(&row("s1", "p-ghee", 4)).await; // the legacy shape: no name, brand or category
    app.given_stock("s1", "p-rice", 9).await;

    let meter = app.app.db.meter();
    meter.take();
    let listing = app
        .get_anonymously("/api/v1/inventory/products?store_id=s1")
        .await;
    assert!(meter.take().calls_of("BatchGetItem") <= 1);
    let legacy = &listing.json["items"][0];
    assert_eq!(legacy["product_id"], "p-ghee");
    assert_eq!(legacy["name"], "Legacy Pure Ghee 1 l");
    assert_eq!(legacy["category"], "Oils & Ghee");

    let found = app
        .get_anonymously("/api/v1/inventory/search?store_id=s1&q=ghee")
        .await;
    assert_eq!(ids(&found), ["p-ghee"]);
    let by_brand = app
        .get_anonymously("/api/v1/inventory/search?store_id=s1&q=OLDBRAND")
        .await;
    assert_eq!(ids(&by_brand), ["p-ghee"]);
    let category = app
        .get_anonymously("/api/v1/inventory/products?store_id=s1&category=Oils%20%26%20Ghee")
        .await;
    assert_eq!(ids(&category), ["p-ghee"]);
    let numbered = app
        .get_anonymously("/api/v1/inventory/products?store_id=s1&category=Oils%20%26%20Ghee&page=1")
        .await;
    assert_eq!(ids(&numbered), ["p-ghee"]);
    let one = app
        .get_anonymously("/api/v1/inventory/products/s1/p-ghee")
        .await;
    assert_eq!(one.json["name"], "Legacy Pure Ghee 1 l");
}

#[tokio::test]
async fn a_row_of_the_wrong_types_is_served_with_what_can_be_read_and_never_fails_a_page() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p-good", 7).await;
    app.given_items(
        &app.tables.inventory,
        [
            item(&[
                ("store_id", s("s1")),
                ("product_id", s("p-fraction")),
                ("current_stock", n("5.5")),
                ("name", s("Loose Sugar")),
                ("selling_price", n("42.00")),
            ]),
            item(&[
                ("store_id", s("s1")),
                ("product_id", s("p-paise")),
                ("current_stock", n("3")),
                ("name", s("Three Decimals")),
                ("selling_price", n("12.345")),
                ("cost_price", n("10.00")),
            ]),
            item(&[
                ("store_id", s("s1")),
                ("product_id", s("p-number-name")),
                ("current_stock", n("2")),
                ("name", n("42")),
                ("brand", s("Numbrand")),
                ("reorder_point", s("five")),
            ]),
        ],
    )
    .await;
    let staff = app.token("asha", "staff", "s1");

    for uri in [
        "/api/v1/inventory/products?store_id=s1",
        "/api/v1/inventory/products?store_id=s1&page=1",
        "/api/v1/inventory/search?store_id=s1&q=e",
        "/api/v1/inventory/low-stock?store_id=s1",
        "/api/v1/inventory/summary?store_id=s1",
        "/api/v1/inventory/products/s1/p-paise",
    ] {
        let response = app.send_as(Some(&staff), "GET", uri, None).await;
        assert_eq!(response.status, 200, "{uri}: {}", response.text);
    }
    let listing = app
        .send_as(
            Some(&staff),
            "GET",
            "/api/v1/inventory/products?store_id=s1",
            None,
        )
        .await;
    assert_eq!(
        ids(&listing),
        ["p-fraction", "p-good", "p-number-name", "p-paise"]
    );
    let by_id = |id: &str| {
        listing.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["product_id"] == id)
            .cloned()
            .expect("row listed")
    };
    assert_eq!(by_id("p-fraction")["name"], "Loose Sugar");
    assert_eq!(by_id("p-fraction")["selling_price"], 42.0);
    assert!(by_id("p-paise").get("selling_price").is_none());
    assert_eq!(by_id("p-paise")["cost_price"], 10.0);
    assert!(
        listing.text.contains(r#""cost_price":10.00"#),
        "{}",
        listing.text
    );
    assert!(by_id("p-number-name").get("name").is_none());
    assert_eq!(by_id("p-number-name")["brand"], "Numbrand");
    let found = app
        .get_anonymously("/api/v1/inventory/search?store_id=s1&q=numbrand")
        .await;
    assert_eq!(ids(&found), ["p-number-name"]);
}

#[tokio::test]
async fn summary_totals_are_exact_decimals_without_a_business_cap() {
    let app = TestApp::new().await;
    let product = product_named("p-tv", "Television");
    let mut tv = row("s1", "p-tv", 1_000_000);
    tv.selling_price = money("1299.00");
    tv.cost_price = money("999.99");
    tv.denormalise(&product);
    app.given_product(&product).await;
    app.given_row(&tv).await;
    let staff = app.token("asha", "staff", "s1");

    let summary = app
        .send_as(
            Some(&staff),
            "GET",
            "/api/v1/inventory/summary?store_id=s1",
            None,
        )
        .await;
    assert_eq!(summary.status, 200, "{}", summary.text);
    assert!(
        summary
            .text
            .contains(r#""stock_value_at_selling_price":1299000000.00"#),
        "{}",
        summary.text
    );
    assert!(
        summary
            .text
            .contains(r#""stock_value_at_cost":999990000.00"#),
        "{}",
        summary.text
    );
}

#[tokio::test]
async fn free_text_with_unicode_format_characters_is_refused_naming_the_field_and_nothing_changes()
{
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    let before = app.snapshot().await;
    for (body, field) in [
        (
            r#"{"store_id":"s1","product_id":"p1","quantity_change":-1,"adjustment_type":"damage","reason":"refund \u202eyap ot"}"#,
            "reason",
        ),
        (
            r#"{"store_id":"s1","product_id":"p1","quantity_change":-1,"adjustment_type":"damage","reason":"ok","reference":"GRN\u200b1"}"#,
            "reference",
        ),
    ] {
        let response = app.post("/api/v1/inventory/adjust", body).await;
        response.assert_problem(400, "invalid_body");
        assert!(
            response.json["detail"]
                .as_str()
                .is_some_and(|d| d.contains(field) && d.contains("Cf")),
            "{}",
            response.text
        );
    }
    let stock = app
        .put(
            "/api/v1/inventory/products/s1/p1/stock",
            r#"{"quantity_change":-1,"reason":"\u2066sold\u2069"}"#,
        )
        .await;
    stock.assert_problem(400, "invalid_body");
    app.get_anonymously("/api/v1/inventory/search?store_id=s1&q=a%E2%80%8Bb")
        .await
        .assert_problem(400, "invalid_parameter");
    assert_eq!(app.snapshot().await, before, "nothing changed");
}

#[tokio::test]
async fn a_row_whose_stock_cannot_be_read_is_never_written_from_a_guess() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p-good", 7).await;
    app.given_items(
        &app.tables.inventory,
        [item(&[
            ("store_id", s("s1")),
            ("product_id", s("p-fraction")),
            ("current_stock", n("5.5")),
            ("name", s("Loose Sugar")),
        ])],
    )
    .await;
    let before = app.snapshot().await;

    app.put(
        "/api/v1/inventory/products/s1/p-fraction/stock",
        r#"{"quantity_change": 2}"#,
    )
    .await
    .assert_problem(409, "inventory_row_unreadable");
    app.post(
        "/api/v1/inventory/adjust",
        r#"{"store_id":"s1","product_id":"p-fraction","quantity_change":-1,"adjustment_type":"damage","reason":"spilt"}"#,
    )
    .await
    .assert_problem(409, "inventory_row_unreadable");
    let reserve = app
        .post(
            "/api/v1/inventory/reserve",
            r#"{"store_id":"s1","order_id":"o-1","items":[{"product_id":"p-good","quantity":1},{"product_id":"p-fraction","quantity":1}]}"#,
        )
        .await;
    reserve.assert_problem(409, "inventory_row_unreadable");
    assert_eq!(
        reserve.json["product_ids"],
        serde_json::json!(["p-fraction"])
    );
    assert_eq!(app.snapshot().await, before, "nothing was written");
}
