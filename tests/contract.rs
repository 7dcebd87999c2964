//! The route table is declared once (template.yaml); everything else must agree with it.

use inventory::domain::ReserveRequest;
use inventory::domain::{Actor, OrderId, ProductId, Quantity, StoreId};
use inventory::endpoints::Endpoint;
use inventory_local::template::{repository_root, Template, Trigger};
use std::collections::BTreeSet;
use testkit::TestApp;

fn template() -> Template {
    Template::of_repository().expect("template.yaml parses")
}

fn function_folders() -> BTreeSet<String> {
    std::fs::read_dir(repository_root().join("functions"))
        .expect("functions/ exists")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn every_template_function_has_a_crate_of_the_same_name_and_every_crate_is_in_the_template() {
    let in_template: BTreeSet<String> = template().functions.into_iter().map(|f| f.name).collect();
    assert_eq!(in_template, function_folders());
    for name in &in_template {
        let manifest = std::fs::read_to_string(
            repository_root()
                .join("functions")
                .join(name)
                .join("Cargo.toml"),
        )
        .expect("Cargo.toml");
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "functions/{name} builds a binary named {name}"
        );
    }
}

#[test]
fn every_direct_or_scheduled_function_runs_its_core_entry_point() {
    for function in template().functions {
        if function.trigger != Trigger::Other {
            continue;
        }
        let module = match function.name.as_str() {
            "order-stock" => "orders",
            "expire-reservations" => "expiry",
            "drain-ledger" => "drain",
            "publish-events" => "events",
            other => {
                panic!("{other} is neither HTTP nor a known direct-invoke or scheduled function")
            }
        };
        let main = std::fs::read_to_string(
            repository_root()
                .join("functions")
                .join(&function.name)
                .join("src/main.rs"),
        )
        .expect("main.rs");
        assert!(
            main.contains(&format!("inventory::{module}::run_lambda()")),
            "functions/{}/src/main.rs",
            function.name
        );
    }
}

#[test]
fn every_http_function_is_an_endpoint_and_its_main_runs_that_endpoint() {
    for function in template().functions {
        if !matches!(function.trigger, Trigger::Http { .. }) {
            continue;
        }
        let endpoint = Endpoint::from_function_name(&function.name)
            .unwrap_or_else(|| panic!("{} has no Endpoint in the core crate", function.name));
        let main = std::fs::read_to_string(
            repository_root()
                .join("functions")
                .join(&function.name)
                .join("src/main.rs"),
        )
        .expect("main.rs");
        assert!(
            main.contains(&format!("Endpoint::{endpoint:?}.run_lambda()")),
            "functions/{}/src/main.rs runs Endpoint::{endpoint:?}",
            function.name
        );
    }
}

#[test]
fn every_endpoint_is_routed_in_the_template_exactly_once() {
    let t = template();
    let mut routed: Vec<String> = t.routes().into_iter().map(|(_, _, f)| f).collect();
    routed.extend(t.default_route().map(str::to_owned));
    for endpoint in Endpoint::ALL {
        let n = routed
            .iter()
            .filter(|f| *f == endpoint.function_name())
            .count();
        assert_eq!(n, 1, "{} is routed {n} times", endpoint.function_name());
    }
    assert_eq!(
        routed.len(),
        Endpoint::ALL.len(),
        "the template routes only known endpoints"
    );
}

#[test]
fn the_template_declares_the_routes_the_marketplace_calls() {
    let routes: BTreeSet<String> = template()
        .routes()
        .into_iter()
        .map(|(m, p, _)| format!("{m} {p}"))
        .collect();
    let expected: BTreeSet<String> = [
        "GET /api/v1/inventory/products",
        "GET /api/v1/inventory/products/{store_id}/{product_id}",
        "GET /api/v1/inventory/search",
        "PUT /api/v1/inventory/products/{store_id}/{product_id}/stock",
        "GET /api/v1/inventory/products/{store_id}/{product_id}/availability",
        "GET /api/v1/inventory/low-stock",
        "GET /api/v1/inventory/barcode/{barcode}",
        "GET /api/v1/inventory/summary",
        "GET /api/v1/inventory/categories",
        "GET /api/v1/inventory/units",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert!(
        expected.is_subset(&routes),
        "missing: {:?}",
        expected.difference(&routes).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn the_local_gateway_serves_every_template_route_and_nothing_else() {
    let app = TestApp::new().await;
    for (method, path, function) in template().routes() {
        let concrete = path
            .replace("{store_id}", "s1")
            .replace("{product_id}", "p1")
            .replace("{barcode}", "96385074");
        let response = app.send(&method, &concrete, Some("{}")).await;
        assert_ne!(
            response.code(),
            "route_not_found",
            "{method} {path} ({function}) is not served"
        );
    }
    // (`/api/v1/inventory/unknown` is a product id: `GET /api/v1/inventory/{product_id}`.)
    app.get("/api/v1/inventory/unknown/route")
        .await
        .assert_problem(404, "route_not_found");
    app.send("DELETE", "/api/v1/inventory/units", None)
        .await
        .assert_problem(404, "route_not_found");
}

/// The placeholder reservation id in the sample events, replaced by a real one on replay.
const SAMPLE_RESERVATION: &str = "res-0123456789abcdef0123456789abcdef";

async fn reservation_for(app: &TestApp, order: &str) -> String {
    let request = ReserveRequest::new(
        StoreId::parse("store-blr-001").unwrap(),
        OrderId::parse(order).unwrap(),
        vec![(
            ProductId::parse("prd-0004").unwrap(),
            Quantity::new("quantity", 1).unwrap(),
        )],
        None,
    )
    .unwrap();
    let (reservation, _) = app
        .app
        .db
        .reserve(&request, &Actor::anonymous(), app.app.clock.now())
        .await
        .expect("reserved");
    reservation.reservation_id.to_string()
}

fn event_text(name: &str) -> String {
    std::fs::read_to_string(
        repository_root()
            .join("events")
            .join(format!("{name}.json")),
    )
    .expect("event reads")
}

async fn replay_http(app: &TestApp, name: &str, reservation: Option<&str>) -> u16 {
    let endpoint =
        Endpoint::from_function_name(name).unwrap_or_else(|| panic!("{name} is an endpoint"));
    let mut event = event_text(name);
    if let Some(id) = reservation {
        event = event.replace(SAMPLE_RESERVATION, id);
    }
    let request =
        lambda_http::request::from_str(&event).unwrap_or_else(|e| panic!("{name}.json: {e}"));
    let response = endpoint.handle(&app.app, request).await;
    let status = response.status().as_u16();
    assert!(
        status < 500,
        "events/{name}.json answered {status}: {:?}",
        response.body()
    );
    status
}

fn event_json(name: &str) -> serde_json::Value {
    serde_json::from_str(&event_text(name)).expect("event is JSON")
}

#[tokio::test]
async fn every_sample_event_replays_through_its_function_against_demo_data() {
    let app = TestApp::with_manual_clock().await;
    app.given_demo_data().await;
    let mut replayed = BTreeSet::new();

    // Every endpoint of the registry, in its order (reserve-stock reserves order ord-1001
    // before release-stock releases it by order id). An event naming the placeholder
    // reservation gets a fresh reservation of its own.
    for &endpoint in Endpoint::ALL {
        let name = endpoint.function_name();
        let held = if event_text(name).contains(SAMPLE_RESERVATION) {
            Some(reservation_for(&app, &format!("ord-replay-{name}")).await)
        } else {
            None
        };
        let expected = match endpoint {
            Endpoint::RouteNotFound => 404,
            Endpoint::ReserveStock
            | Endpoint::CreateOrder
            | Endpoint::CreateLocation
            | Endpoint::CreateInventory
            | Endpoint::CreateProduct => 201,
            _ => 200,
        };
        assert_eq!(
            replay_http(&app, name, held.as_deref()).await,
            expected,
            "events/{name}.json"
        );
        replayed.insert(name.to_owned());
    }

    // The order Lambda's events: check, reserve, commit ord-2001; release ord-2002; deduct ord-2003.
    reservation_for(&app, "ord-2002").await;
    for action in ["check", "reserve", "commit", "release", "deduct"] {
        let name = format!("order-stock-{action}");
        let result = inventory::orders::handle(&app.app, event_json(&name)).await;
        assert!(result.ok, "events/{name}.json: {result:?}");
        replayed.insert(name);
    }

    // The sweeper's scheduled event releases what is due.
    reservation_for(&app, "ord-due").await;
    app.app.clock.advance(chrono::Duration::minutes(16));
    let report = inventory::expiry::handle(&app.app, event_json("expire-reservations")).await;
    assert!(report.expired >= 1, "{report:?}");
    replayed.insert("expire-reservations".to_owned());

    // The drain's scheduled pass writes the ledger row of a movement left waiting on its row
    // for two minutes (a writer that could not settle it).
    app.given_waiting_movement("store-blr-001", "prd-0004", 1, app.app.clock.now())
        .await;
    app.app.clock.advance(chrono::Duration::minutes(2));
    let drained = inventory::drain::handle(&app.app, event_json("drain-ledger")).await;
    assert_eq!(
        serde_json::to_value(&drained).expect("json"),
        serde_json::json!({ "rows": 1, "entries": 1, "more": false })
    );
    replayed.insert("drain-ledger".to_owned());

    // The stream processor's sample: one inventory change crossing the reorder point and its
    // movement, from the tables the template names (here, this test's own).
    let sample = std::fs::read_to_string(repository_root().join("events/publish-events.json"))
        .expect("event reads")
        .replace(
            "table/store-inventory/",
            &format!("table/{}/", app.tables.inventory),
        )
        .replace(
            "table/inventory-ledger/",
            &format!("table/{}/", app.tables.ledger),
        );
    let publisher = inventory::events::Capturing::new();
    let response = inventory::events::handle(
        &publisher,
        &app.tables,
        &inventory::telemetry::metrics::Metrics::capturing("Test"),
        serde_json::from_str(&sample).expect("a DynamoDB stream event"),
    )
    .await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let published: Vec<&str> = publisher
        .published()
        .iter()
        .map(|e| e.detail_type)
        .collect();
    assert_eq!(published, ["LowStock", "StockChanged"]);
    replayed.insert("publish-events".to_owned());

    let files: BTreeSet<String> = std::fs::read_dir(repository_root().join("events"))
        .expect("events/")
        .map(|e| {
            e.expect("entry")
                .path()
                .file_stem()
                .expect("stem")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(replayed, files, "every sample event is replayed");
    for function in template().functions {
        assert!(
            files
                .iter()
                .any(|f| f == &function.name || f.starts_with(&format!("{}-", function.name))),
            "{} has a sample event",
            function.name
        );
    }
}

fn route_set(routes: impl IntoIterator<Item = (String, String)>) -> BTreeSet<String> {
    routes
        .into_iter()
        .map(|(method, path)| format!("{method} {path}"))
        .collect()
}

#[test]
fn the_spec_and_the_template_declare_the_same_routes() {
    let in_template = route_set(template().routes().into_iter().map(|(m, p, _)| (m, p)));
    let in_spec = route_set(testkit::contract::operations());

    assert_eq!(
        in_spec, in_template,
        "openapi.yaml and template.yaml disagree"
    );
}

#[test]
fn public_routes_are_the_same_in_the_template_the_core_and_the_spec() {
    let spec = testkit::contract::spec();
    for (function, method, path) in template().http_routes() {
        let endpoint = Endpoint::from_function_name(&function.name).expect("an endpoint");
        let public_in_core = endpoint.is_public();
        let operation = &spec["paths"][path][method.to_lowercase()];
        let public_in_spec = operation["security"].as_array().is_some_and(Vec::is_empty);
        assert_eq!(
            !function.requires_token, public_in_core,
            "{method} {path}: template vs auth.rs"
        );
        assert_eq!(
            public_in_spec, public_in_core,
            "{method} {path}: openapi.yaml vs auth.rs"
        );
    }
}

#[tokio::test]
async fn the_gateway_serves_every_spec_route_and_answers_others_with_route_not_found() {
    let app = TestApp::new().await;
    for (method, path) in testkit::contract::operations() {
        let concrete = path
            .replace("{store_id}", "s1")
            .replace("{product_id}", "p1")
            .replace("{barcode}", "96385074")
            .replace("{reservation_id}", "res-0123456789abcdef0123456789abcdef");
        let response = app.send(&method, &concrete, Some("{}")).await;
        assert_ne!(
            response.code(),
            "route_not_found",
            "{method} {path} is in the spec but not served"
        );
    }
    for (method, path) in [
        ("PATCH", "/api/v1/inventory/products"),
        ("GET", "/api/v2/inventory/units"),
        ("POST", "/api/v1/inventory/units"),
    ] {
        app.send(method, path, None)
            .await
            .assert_problem(404, "route_not_found");
    }
}

#[tokio::test]
async fn the_gateway_serves_the_spec_and_a_rendered_reference_at_docs() {
    let app = TestApp::new().await;

    let spec = app.get("/openapi.yaml").await;
    let docs = app.get("/docs").await;

    assert_eq!(spec.status, 200);
    assert_eq!(spec.text, inventory_local::docs::OPENAPI_YAML);
    assert_eq!(docs.status, 200);
    assert!(
        docs.content_type.starts_with("text/html"),
        "{}",
        docs.content_type
    );
    for (_, operation) in testkit::contract::spec()["paths"].as_object().unwrap() {
        for op in operation.as_object().unwrap().values() {
            if let Some(id) = op.get("operationId").and_then(|v| v.as_str()) {
                assert!(
                    docs.text.contains(&format!("id=\"{id}\"")),
                    "/docs documents {id}"
                );
            }
        }
    }
}
