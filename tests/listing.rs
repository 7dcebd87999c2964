//! A store's inventory as a whole: list, search, low stock, summary.

use std::collections::BTreeSet;
use testkit::{product_named, row, TestApp};

const LIST: &str = "/api/v1/inventory/products";

/// A store of `n` products p01..pNN with stock equal to their number, and one out-of-stock row.
async fn store_of(app: &TestApp, store: &str, n: usize) {
    for i in 1..=n {
        app.given_stock(store, &format!("p{i:02}"), i as i64).await;
    }
}

#[tokio::test]
async fn listing_pages_through_every_row_exactly_once() {
    let app = TestApp::new().await;
    store_of(&app, "s1", 7).await;
    store_of(&app, "s2", 2).await;

    let mut seen = Vec::new();
    let mut uri = format!("{LIST}?store_id=s1&limit=3");
    let mut pages = 0;
    loop {
        let page = app.get(&uri).await;
        assert_eq!(page.status, 200, "{}", page.text);
        pages += 1;
        let items = page.json["items"].as_array().expect("items").clone();
        assert!(items.len() <= 3);
        assert_eq!(page.json["count"], items.len());
        seen.extend(
            items
                .iter()
                .map(|i| i["product_id"].as_str().expect("id").to_owned()),
        );
        match page.json["next_token"].as_str() {
            Some(token) => uri = format!("{LIST}?store_id=s1&limit=3&next_token={token}"),
            None => break,
        }
    }
    let expected: Vec<String> = (1..=7).map(|i| format!("p{i:02}")).collect();
    assert_eq!(
        seen, expected,
        "every row of s1, in order, none twice, none of s2"
    );
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn filters_do_not_shrink_pages_and_select_by_category_and_stock() {
    let app = TestApp::new().await;
    for i in 1..=6 {
        let mut p = product_named(&format!("p{i}"), "Item");
        p.category = if i % 2 == 0 {
            "Dairy & Bakery".into()
        } else {
            "Staples".into()
        };
        let mut r = row("s1", &format!("p{i}"), if i <= 2 { 0 } else { 5 });
        r.denormalise(&p);
        app.given_product(&p).await;
        app.given_row(&r).await;
    }

    let dairy = app
        .get(&format!(
            "{LIST}?store_id=s1&category=Dairy%20%26%20Bakery&limit=2"
        ))
        .await;
    let in_stock = app.get(&format!("{LIST}?store_id=s1&in_stock=true")).await;
    let out = app.get(&format!("{LIST}?store_id=s1&in_stock=false")).await;

    let ids = |r: &testkit::TestResponse| -> Vec<String> {
        r.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["product_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        ids(&dairy),
        ["p2", "p4"],
        "a filtered page is still full: {}",
        dairy.text
    );
    assert!(dairy.json["next_token"].is_string());
    assert_eq!(ids(&in_stock), ["p3", "p4", "p5", "p6"]);
    assert_eq!(ids(&out), ["p1", "p2"]);
}

#[tokio::test]
async fn listing_an_unknown_store_answers_404() {
    let app = TestApp::new().await;
    store_of(&app, "s1", 1).await;

    app.get(&format!("{LIST}?store_id=nowhere"))
        .await
        .assert_problem(404, "store_not_found");
}

#[tokio::test]
async fn a_token_from_another_store_is_refused() {
    let app = TestApp::new().await;
    store_of(&app, "s1", 3).await;
    store_of(&app, "s2", 3).await;
    let first = app.get(&format!("{LIST}?store_id=s1&limit=1")).await;
    let token = first.json["next_token"].as_str().expect("a next page");

    let response = app
        .get(&format!("{LIST}?store_id=s2&next_token={token}"))
        .await;

    response.assert_problem(400, "invalid_parameter");
    assert_eq!(response.json["field"], "next_token");
}

#[tokio::test]
async fn search_matches_name_or_brand_ignoring_case_within_the_store() {
    let app = TestApp::new().await;
    for (id, name, brand) in [
        ("p1", "Shudh Chakki Atta 5 kg", "Aashirvaad"),
        ("p2", "Butter 500 g", "Amul"),
        ("p3", "Taaza Tea", "Tata"),
    ] {
        let mut p = product_named(id, name);
        p.brand = brand.into();
        let mut r = row("s1", id, 3);
        r.denormalise(&p);
        app.given_product(&p).await;
        app.given_row(&r).await;
        let mut other = row("s2", id, 3);
        other.denormalise(&p);
        app.given_row(&other).await;
    }

    let by_name = app.get("/api/v1/inventory/search?store_id=s1&q=ATTA").await;
    let by_brand = app.get("/api/v1/inventory/search?store_id=s1&q=amul").await;
    let both = app.get("/api/v1/inventory/search?store_id=s1&q=ta").await;
    let limited = app
        .get("/api/v1/inventory/search?store_id=s1&q=ta&limit=1")
        .await;
    let none = app.get("/api/v1/inventory/search?store_id=s1&q=ghee").await;

    let ids = |r: &testkit::TestResponse| -> BTreeSet<String> {
        r.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["product_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&by_name), BTreeSet::from(["p1".to_owned()]));
    assert_eq!(ids(&by_brand), BTreeSet::from(["p2".to_owned()]));
    assert_eq!(
        ids(&both),
        BTreeSet::from(["p1".to_owned(), "p3".to_owned()])
    );
    assert!(both.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["store_id"] == "s1"));
    assert_eq!(limited.json["count"], 1);
    assert_eq!(none.status, 200);
    assert_eq!(none.json["count"], 0);
}

#[tokio::test]
async fn search_treats_expression_like_input_as_literal_text() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 3).await;

    for q in ["%23a", "%3Av", "%29%20OR%20attribute_exists%28x"] {
        let response = app
            .get(&format!("/api/v1/inventory/search?store_id=s1&q={q}"))
            .await;
        assert_eq!(response.status, 200, "{}", response.text);
        assert_eq!(response.json["count"], 0, "{q} matched nothing literally");
    }
}

#[tokio::test]
async fn low_stock_lists_out_of_stock_first_then_the_lowest() {
    let app = TestApp::new().await;
    // reorder point is 5 for every fixture row
    for (id, stock) in [("p1", 4), ("p2", 0), ("p3", 9), ("p4", 5), ("p5", 1)] {
        app.given_stock("s1", id, stock).await;
    }

    let response = app.get("/api/v1/inventory/low-stock?store_id=s1").await;

    assert_eq!(response.status, 200, "{}", response.text);
    let ids: Vec<&str> = response.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["product_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["p2", "p5", "p1", "p4"]);
}

#[tokio::test]
async fn the_summary_adds_units_and_values_exactly() {
    let app = TestApp::new().await;
    // Each row sells at 45.50 and costs 40.10.
    for (id, stock) in [("p1", 3), ("p2", 0), ("p3", 4), ("p4", 10)] {
        app.given_stock("s1", id, stock).await;
    }

    let response = app.get("/api/v1/inventory/summary?store_id=s1").await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json["total_products"], 4);
    assert_eq!(response.json["total_units"], 17);
    assert_eq!(response.json["out_of_stock_count"], 1);
    assert_eq!(
        response.json["low_stock_count"], 2,
        "p1 (3) and p3 (4) are at or under reorder point 5"
    );
    assert!(
        response.text.contains(r#""stock_value_at_cost":681.70"#),
        "{}",
        response.text
    );
    assert!(
        response
            .text
            .contains(r#""stock_value_at_selling_price":773.50"#),
        "{}",
        response.text
    );
}

#[tokio::test]
async fn store_wide_reads_of_an_unknown_store_answer_404() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 3).await;

    for uri in [
        "/api/v1/inventory/summary?store_id=s9",
        "/api/v1/inventory/low-stock?store_id=s9",
        "/api/v1/inventory/search?store_id=s9&q=x",
    ] {
        app.get(uri).await.assert_problem(404, "store_not_found");
    }
}
