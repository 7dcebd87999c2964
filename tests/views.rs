//! Who sees what on the storefront's public routes: anonymous callers get the storefront view
//! (nothing of the back office), staff of the store get the full row on the same routes, and
//! the caches are told which is which.

use inventory::api::View;
use inventory::auth::jwt::JwtVerifier;
use inventory::endpoints::Endpoint;
use inventory_local::auth::DEV_ISSUER;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use testkit::{dev_keys, TestApp, TestResponse};

/// Fields that belong to the back office: with them anyone could read a store's margins and
/// rebuild its low-stock and summary reports.
const BACK_OFFICE_FIELDS: [&str; 9] = [
    "cost_price",
    "min_stock_level",
    "max_stock_level",
    "reorder_point",
    "location",
    "reserved_stock",
    "current_stock",
    "ledger_seq",
    "updated_at",
];

fn keys_anywhere(json: &Value, into: &mut BTreeSet<String>) {
    match json {
        Value::Object(map) => {
            for (key, value) in map {
                into.insert(key.clone());
                keys_anywhere(value, into);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| keys_anywhere(v, into)),
        _ => {}
    }
}

#[track_caller]
fn assert_storefront_only(response: &TestResponse) {
    assert_eq!(response.status, 200, "{}", response.text);
    let mut keys = BTreeSet::new();
    keys_anywhere(&response.json, &mut keys);
    let leaked: Vec<_> = BACK_OFFICE_FIELDS
        .iter()
        .filter(|f| keys.contains(**f))
        .collect();
    assert!(
        leaked.is_empty(),
        "public answer carries {leaked:?}: {}",
        response.text
    );
    assert_eq!(response.cache_control, "public, max-age=30");
}

/// One request to every public route that answers rows of a store.
fn public_row_routes() -> Vec<String> {
    vec![
        "/api/v1/inventory/products?store_id=s1".into(),
        "/api/v1/inventory/products?store_id=s1&page=1&limit=5".into(),
        "/api/v1/inventory/products/s1/p1".into(),
        "/api/v1/inventory/search?store_id=s1&q=product".into(),
        "/api/v1/inventory/products/s1/p1/availability?quantity=2".into(),
    ]
}

#[tokio::test]
async fn anonymous_callers_get_the_storefront_view_on_every_public_row_route() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 12).await;
    for uri in public_row_routes() {
        let response = app.get_anonymously(&uri).await;
        assert_storefront_only(&response);
    }
    let row = app
        .get_anonymously("/api/v1/inventory/products/s1/p1")
        .await;
    assert_eq!(row.json["available_stock"], 12);
    assert_eq!(row.json["in_stock"], true);
    assert!(
        row.text.contains(r#""selling_price":45.50"#),
        "{}",
        row.text
    );
}

#[tokio::test]
async fn staff_of_the_store_get_the_full_row_on_the_same_routes_and_it_is_not_shared() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 12).await;
    let staff = app.token("asha", "staff", "s1");
    for uri in public_row_routes() {
        let response = app.send_as(Some(&staff), "GET", &uri, None).await;
        assert_eq!(response.status, 200, "{uri}: {}", response.text);
        assert!(
            response.text.contains("current_stock"),
            "{uri}: {}",
            response.text
        );
        assert_eq!(response.cache_control, "private, no-store", "{uri}");
    }
    let row = app
        .send_as(
            Some(&staff),
            "GET",
            "/api/v1/inventory/products/s1/p1",
            None,
        )
        .await;
    assert!(row.text.contains(r#""cost_price":40.10"#), "{}", row.text);
    assert_eq!(row.json["reorder_point"], 5);
}

#[tokio::test]
async fn staff_of_another_store_customers_and_bad_tokens_get_the_storefront_view() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 12).await;
    let other_store = app.token("ravi", "staff", "s2");
    let customer = app.token("c-1", "customer", "");
    let expired = app.token_with("asha", "staff", "s1", |claims| {
        claims["exp"] = serde_json::json!(1_000_000_000);
    });
    for token in [
        other_store.as_str(),
        customer.as_str(),
        expired.as_str(),
        "not.a.jwt",
    ] {
        for uri in public_row_routes() {
            let response = app.send_as(Some(token), "GET", &uri, None).await;
            assert_storefront_only(&response);
        }
    }
}

#[tokio::test]
async fn catalog_reads_may_be_cached_longer_and_back_office_reads_never() {
    let app = TestApp::new().await;
    app.given_stock("s1", "p1", 12).await;
    assert_eq!(
        app.get_anonymously("/api/v1/inventory/units")
            .await
            .cache_control,
        "public, max-age=300"
    );
    assert_eq!(
        app.get("/api/v1/inventory/summary?store_id=s1")
            .await
            .cache_control,
        "no-store"
    );
    let missing = app
        .get_anonymously("/api/v1/inventory/products/s1/nope")
        .await;
    missing.assert_problem(404, "inventory_item_not_found");
    assert_eq!(missing.cache_control, "no-store");
}

/// A JWKS endpoint on loopback, counting how often it is fetched.
async fn serve_jwks(jwks: Value) -> (String, Arc<AtomicUsize>) {
    let fetches = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&fetches);
    let router = axum::Router::new().route(
        "/.well-known/jwks.json",
        axum::routing::get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let jwks = jwks.clone();
            async move { axum::Json(jwks) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{addr}/.well-known/jwks.json"), fetches)
}

fn event_with_bearer(name: &str, token: &str) -> lambda_http::Request {
    let path = inventory_local::template::repository_root()
        .join("events")
        .join(format!("{name}.json"));
    let mut event: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("event")).expect("json");
    event["headers"]["authorization"] = Value::String(format!("Bearer {token}"));
    lambda_http::request::from_str(&event.to_string()).expect("event parses")
}

#[tokio::test]
async fn a_public_function_checks_tokens_against_the_issuers_published_keys_fetched_once() {
    let app = TestApp::new().await;
    app.given_demo_data().await;
    let (url, fetches) = serve_jwks(dev_keys().jwks()).await;
    let mut lambda = app.app.clone();
    let audience = inventory_local::template::Template::of_repository()
        .expect("template")
        .jwt_audience()
        .to_owned();
    lambda.verifier = Some(Arc::new(JwtVerifier::with_jwks(
        DEV_ISSUER, &audience, &url,
    )));
    let staff = app.token("asha", "staff", "store-blr-001");

    // The sample event, as API Gateway sends it on a public route: no authorizer claims.
    let response = Endpoint::GetProduct
        .handle(&lambda, event_with_bearer("get-product", &staff))
        .await;
    let body: Value = serde_json::from_slice(response.body().as_ref()).expect("json");
    assert!(body.get("cost_price").is_some(), "{body}");
    let again = Endpoint::GetProduct
        .handle(&lambda, event_with_bearer("get-product", &staff))
        .await;
    assert_eq!(again.status(), 200);
    assert_eq!(fetches.load(Ordering::SeqCst), 1, "the key set is cached");

    // A token signed by someone else is not accepted, and does not trigger another fetch.
    let forged = inventory_local::auth::DevKeys::generate()
        .expect("keys")
        .sign(&serde_json::json!({
            "iss": DEV_ISSUER, "aud": audience, "sub": "mallory", "roles": ["admin"],
            "exp": chrono::Utc::now().timestamp() + 600,
        }))
        .expect("token");
    let response = Endpoint::GetProduct
        .handle(&lambda, event_with_bearer("get-product", &forged))
        .await;
    let body: Value = serde_json::from_slice(response.body().as_ref()).expect("json");
    assert!(body.get("cost_price").is_none(), "{body}");
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
}

#[test]
fn the_view_follows_the_callers_store_scope() {
    use inventory::auth::{Access, Caller};
    use inventory::domain::StoreId;
    let claims = std::collections::HashMap::from([
        ("sub".to_owned(), "asha".to_owned()),
        ("roles".to_owned(), "[store_manager]".to_owned()),
        ("store_ids".to_owned(), "[s1]".to_owned()),
    ]);
    let caller = Caller::admit(Access::Public, Some(&claims)).expect("public");
    let s1 = StoreId::parse("s1").expect("id");
    let s2 = StoreId::parse("s2").expect("id");
    assert_eq!(View::for_caller(&caller, &s1), View::BackOffice);
    assert_eq!(View::for_caller(&caller, &s2), View::Storefront);
}
