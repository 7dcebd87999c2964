//! Locations: admin writes, back-office reads, soft delete, and what an inactive location refuses.

use serde_json::{json, Value};
use testkit::{order, row, TestApp};

fn location(id: &str, kind: &str) -> String {
    json!({
        "location_id": id,
        "type": kind,
        "name": format!("{id} name"),
        "address": "12 MG Road, Bengaluru 560001",
    })
    .to_string()
}

async fn create(app: &TestApp, id: &str, kind: &str) {
    let response = app.post("/api/v1/locations", &location(id, kind)).await;
    assert_eq!(response.status, 201, "{}", response.text);
}

fn ids(body: &Value) -> Vec<&str> {
    body["locations"]
        .as_array()
        .expect("locations")
        .iter()
        .map(|l| l["location_id"].as_str().expect("id"))
        .collect()
}

#[tokio::test]
async fn an_admin_creates_reads_updates_and_soft_deletes_a_location() {
    let app = TestApp::new().await;

    create(&app, "wh-1", "warehouse").await;
    let read = app.get("/api/v1/locations/wh-1").await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json["location_type"], "warehouse");
    assert_eq!(read.json["active"], true);

    let updated = app
        .put(
            "/api/v1/locations/wh-1",
            &json!({"type": "store", "name": "Koramangala", "address": "80 Feet Road"}).to_string(),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.json["location_type"], "store");
    assert_eq!(updated.json["name"], "Koramangala");

    let deleted = app.send("DELETE", "/api/v1/locations/wh-1", None).await;
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.json["active"], false);
    // Still readable after the delete: history stays with it.
    assert_eq!(
        app.get("/api/v1/locations/wh-1").await.json["active"],
        false
    );
}

#[tokio::test]
async fn a_taken_id_is_409_with_the_location_as_it_is_and_nothing_changes() {
    let app = TestApp::new().await;
    create(&app, "s1", "store").await;
    let before = app.snapshot().await;

    let again = app
        .post("/api/v1/locations", &location("s1", "warehouse"))
        .await;

    again.assert_problem(409, "location_exists");
    assert_eq!(again.json["location"]["location_type"], "store");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn listings_filter_by_type_hide_inactive_unless_asked_and_page_with_a_cursor() {
    let app = TestApp::new().await;
    for (id, kind) in [
        ("a-store", "store"),
        ("b-store", "store"),
        ("c-store", "store"),
        ("d-wh", "warehouse"),
        ("e-online", "online"),
    ] {
        create(&app, id, kind).await;
    }
    app.send("DELETE", "/api/v1/locations/b-store", None).await;

    let stores = app.get("/api/v1/locations?type=store").await;
    assert_eq!(ids(&stores.json), ["a-store", "c-store"]);
    let with_inactive = app
        .get("/api/v1/locations/types/store?include_inactive=true")
        .await;
    assert_eq!(ids(&with_inactive.json), ["a-store", "b-store", "c-store"]);

    let mut seen = Vec::new();
    let mut uri = "/api/v1/locations?limit=2".to_owned();
    loop {
        let page = app.get(&uri).await;
        assert_eq!(page.status, 200, "{}", page.text);
        seen.extend(ids(&page.json).into_iter().map(str::to_owned));
        match page.json["next_token"].as_str() {
            Some(token) => uri = format!("/api/v1/locations?limit=2&next_token={token}"),
            None => break,
        }
    }
    // Type then id: online, store, warehouse.
    assert_eq!(seen, ["e-online", "a-store", "c-store", "d-wh"]);
}

#[tokio::test]
async fn location_writes_are_for_admins_and_reads_for_the_back_office() {
    let app = TestApp::new().await;
    create(&app, "s1", "store").await;
    let manager = app.token("m1", "store_manager", "s1");

    app.send_as(
        Some(&manager),
        "POST",
        "/api/v1/locations",
        Some(&location("s2", "store")),
    )
    .await
    .assert_problem(403, "forbidden");
    app.send_as(Some(&manager), "DELETE", "/api/v1/locations/s1", None)
        .await
        .assert_problem(403, "forbidden");
    let read = app
        .send_as(Some(&manager), "GET", "/api/v1/locations/s1", None)
        .await;
    assert_eq!(read.status, 200);
    app.send_with_authorization(None, "GET", "/api/v1/locations", None)
        .await
        .assert_problem(401, "unauthenticated");
}

#[tokio::test]
async fn a_known_location_with_no_rows_lists_empty_and_only_an_unknown_one_is_404() {
    let app = TestApp::new().await;
    create(&app, "new-store", "store").await;
    // A store from before locations existed: rows, no location item.
    app.given_row(&row("legacy", "p1", 5)).await;

    for uri in [
        "/api/v1/inventory/products?store_id=new-store",
        "/api/v1/inventory/products?store_id=new-store&page=1",
        "/api/v1/inventory/search?store_id=new-store&q=milk",
        "/api/v1/inventory/low-stock?store_id=new-store",
    ] {
        let response = app.get(uri).await;
        assert_eq!(response.status, 200, "{uri}: {}", response.text);
        assert_eq!(response.json["count"], 0, "{uri}");
    }
    let summary = app
        .get("/api/v1/inventory/summary?store_id=new-store")
        .await;
    assert_eq!(summary.status, 200);
    assert_eq!(summary.json["total_products"], 0);

    assert_eq!(
        app.get("/api/v1/inventory/products?store_id=legacy")
            .await
            .json["count"],
        1
    );
    app.get("/api/v1/inventory/products?store_id=nowhere")
        .await
        .assert_problem(404, "store_not_found");
    app.get("/api/v1/locations/nowhere")
        .await
        .assert_problem(404, "location_not_found");
}

#[tokio::test]
async fn an_inactive_location_refuses_stock_changes_and_reservations_but_finishes_held_ones() {
    let app = TestApp::new().await;
    create(&app, "s1", "store").await;
    app.given_stock("s1", "p1", 10).await;
    let reservation = app.reserved(&order("o-held", &[("p1", 2)])).await;
    app.send("DELETE", "/api/v1/locations/s1", None).await;
    let before = app.snapshot().await;

    app.put(
        "/api/v1/inventory/products/s1/p1/stock",
        &json!({"quantity_change": 1}).to_string(),
    )
    .await
    .assert_problem(409, "location_inactive");
    app.post(
        "/api/v1/inventory/adjust",
        &json!({"store_id": "s1", "product_id": "p1", "quantity_change": -1, "adjustment_type": "damage", "reason": "torn"}).to_string(),
    )
    .await
    .assert_problem(409, "location_inactive");
    app.reserve(&order("o-new", &[("p1", 1)]))
        .await
        .assert_problem(409, "location_inactive");
    assert_eq!(app.snapshot().await, before, "nothing changed");

    // What was already held settles: completing it takes the stock out.
    let completed = app.complete(&reservation).await;
    assert_eq!(completed.status, 200, "{}", completed.text);
    // History stays readable.
    let history = app.get("/api/v1/inventory/history/s1/p1").await;
    assert_eq!(history.status, 200);

    // Brought back, it takes changes again.
    let revived = app
        .put(
            "/api/v1/locations/s1",
            &json!({"type": "store", "name": "s1", "address": "12 MG Road", "active": true})
                .to_string(),
        )
        .await;
    assert_eq!(revived.json["active"], true);
    let changed = app
        .put(
            "/api/v1/inventory/products/s1/p1/stock",
            &json!({"quantity_change": 1}).to_string(),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
}

#[tokio::test]
async fn bad_input_on_every_location_route_is_400_naming_the_field_and_changes_nothing() {
    let app = TestApp::new().await;
    create(&app, "s1", "store").await;
    let before = app.snapshot().await;

    for (method, uri, body, field) in [
        ("GET", "/api/v1/locations?type=depot", None, Some("type")),
        (
            "GET",
            "/api/v1/locations?include_inactive=yes",
            None,
            Some("include_inactive"),
        ),
        ("GET", "/api/v1/locations?limit=0", None, Some("limit")),
        (
            "GET",
            "/api/v1/locations?next_token=bm9wZQ",
            None,
            Some("next_token"),
        ),
        ("GET", "/api/v1/locations/types/depot", None, Some("type")),
        ("GET", "/api/v1/locations/a%23b", None, Some("location_id")),
        (
            "DELETE",
            "/api/v1/locations/a%23b",
            None,
            Some("location_id"),
        ),
        (
            "POST",
            "/api/v1/locations",
            Some(r#"{"location_id":"x","type":"depot","name":"n","address":"a"}"#),
            None,
        ),
        (
            "POST",
            "/api/v1/locations",
            Some(r#"{"location_id":"x","type":"store","name":"","address":"a"}"#),
            None,
        ),
        (
            "POST",
            "/api/v1/locations",
            Some(r#"{"location_id":"x","type":"store","name":"n"}"#),
            None,
        ),
        (
            "POST",
            "/api/v1/locations",
            Some(r#"{"location_id":"x","type":"store","name":"n","address":"a","colour":"red"}"#),
            None,
        ),
        (
            "PUT",
            "/api/v1/locations/s1",
            Some(r#"{"type":"store","name":"n","address":"a","active":"yes"}"#),
            None,
        ),
        ("PUT", "/api/v1/locations/s1", None, None),
    ] {
        let response = app.send(method, uri, body).await;
        assert_eq!(
            response.status, 400,
            "{method} {uri} {body:?}: {}",
            response.text
        );
        if let Some(field) = field {
            assert_eq!(response.json["field"], field, "{method} {uri}");
        }
    }
    assert_eq!(app.snapshot().await, before);
}
