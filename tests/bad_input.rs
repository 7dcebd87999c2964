//! Every bad request gets a 4xx problem response and changes nothing.

use testkit::{Case, TestApp};

const STOCK: &str = "/api/v1/inventory/products/s1/p1/stock";

/// A stock change refused with 400 and `code`, naming `field` (for `invalid_parameter`).
fn put(body: &str, code: &'static str, field: Option<&'static str>) -> Case {
    Case::put(STOCK, body, 400, code, field)
}

fn get(uri: impl Into<String>, field: &'static str) -> Case {
    Case::get(uri, field)
}

fn cases() -> Vec<Case> {
    let long = "x".repeat(501);
    vec![
        put("{", "invalid_body", None),
        put("", "invalid_body", None),
        put("[]", "invalid_body", None),
        put(r#"{"quantity_change": "3"}"#, "invalid_body", None),
        put(r#"{"quantity_change": 1.5}"#, "invalid_body", None),
        put(
            r#"{"quantity_change": 3, "colour": "red"}"#,
            "invalid_body",
            None,
        ),
        put(
            r#"{"quantity_change": 0}"#,
            "invalid_parameter",
            Some("quantity_change"),
        ),
        put(
            r#"{"quantity_change": 1000001}"#,
            "invalid_parameter",
            Some("quantity_change"),
        ),
        put(
            r#"{"quantity_change": -1000001}"#,
            "invalid_parameter",
            Some("quantity_change"),
        ),
        put(
            r#"{"quantity_change": 99999999999999999999}"#,
            "invalid_body",
            None,
        ),
        put(
            r#"{"quantity_change": 1, "new_stock": 4, "expected_stock": 5}"#,
            "invalid_parameter",
            Some("body"),
        ),
        put(
            r#"{"new_stock": 4}"#,
            "invalid_parameter",
            Some("expected_stock"),
        ),
        put(
            r#"{"new_stock": -1, "expected_stock": 5}"#,
            "invalid_parameter",
            Some("new_stock"),
        ),
        put(
            r#"{"new_stock": 1000001, "expected_stock": 5}"#,
            "invalid_parameter",
            Some("new_stock"),
        ),
        put(
            &format!(r#"{{"quantity_change": 1, "reason": "{long}"}}"#),
            "invalid_body",
            None,
        ),
        put(
            r#"{"quantity_change": 1, "reason": ""}"#,
            "invalid_body",
            None,
        ),
        Case::new(
            "PUT",
            format!("/api/v1/inventory/products/{}/p1/stock", "s".repeat(65)),
            Some(r#"{"quantity_change": 1}"#.into()),
            400,
            "invalid_parameter",
            Some("store_id"),
        ),
        Case::new(
            "PUT",
            "/api/v1/inventory/products/s1/p%231/stock",
            Some(r#"{"quantity_change": 1}"#.into()),
            400,
            "invalid_parameter",
            Some("product_id"),
        ),
        Case::new(
            "PUT",
            STOCK,
            Some(format!(
                r#"{{"quantity_change": 1, "pad": "{}"}}"#,
                "x".repeat(300 * 1024)
            )),
            413,
            "payload_too_large",
            None,
        ),
        get("/api/v1/inventory/products", "store_id"),
        get("/api/v1/inventory/products?store_id=s1&limit=0", "limit"),
        get("/api/v1/inventory/products?store_id=s1&limit=101", "limit"),
        get("/api/v1/inventory/products?store_id=s1&limit=ten", "limit"),
        get(
            "/api/v1/inventory/products?store_id=s1&in_stock=maybe",
            "in_stock",
        ),
        get(
            "/api/v1/inventory/products?store_id=s1&next_token=not-a-token",
            "next_token",
        ),
        get(
            format!(
                "/api/v1/inventory/products?store_id=s1&category={}",
                "c".repeat(101)
            ),
            "category",
        ),
        get("/api/v1/inventory/search?store_id=s1", "q"),
        get(
            format!("/api/v1/inventory/search?store_id=s1&q={}", "q".repeat(101)),
            "q",
        ),
        get("/api/v1/inventory/search?q=atta", "store_id"),
        get("/api/v1/inventory/products/s1/p1/availability", "quantity"),
        get(
            "/api/v1/inventory/products/s1/p1/availability?quantity=0",
            "quantity",
        ),
        get(
            "/api/v1/inventory/products/s1/p1/availability?quantity=1000001",
            "quantity",
        ),
        get(
            "/api/v1/inventory/products/s1/p1/availability?quantity=two",
            "quantity",
        ),
        get("/api/v1/inventory/low-stock", "store_id"),
        get("/api/v1/inventory/summary?store_id=a%20b", "store_id"),
        get("/api/v1/inventory/barcode/8901058000291", "barcode"),
    ]
}

#[tokio::test]
async fn every_bad_request_answers_a_precise_4xx_and_changes_nothing() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 10).await;
    let before = app.snapshot().await;

    app.assert_refused(&cases()).await;

    assert_eq!(
        app.snapshot().await,
        before,
        "no bad request changed any table"
    );
}
