//! The route table is declared once (template.yaml); everything else must agree with it.

use inventory::http::Endpoint;
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
    app.get("/api/v1/inventory/unknown")
        .await
        .assert_problem(404, "route_not_found");
    app.send("DELETE", "/api/v1/inventory/units", None)
        .await
        .assert_problem(404, "route_not_found");
}

#[tokio::test]
async fn every_sample_event_replays_through_its_function_against_demo_data() {
    let app = TestApp::new().await;
    app.given_demo_data().await;
    let dir = repository_root().join("events");
    let mut replayed = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("events/") {
        let path = entry.expect("entry").path();
        let name = path
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        let Some(endpoint) = Endpoint::from_function_name(&name) else {
            continue;
        };
        let event = std::fs::read_to_string(&path).expect("event reads");
        let request =
            lambda_http::request::from_str(&event).unwrap_or_else(|e| panic!("{name}.json: {e}"));
        let response = endpoint.handle(&app.app, request).await;
        let expected = if endpoint == Endpoint::RouteNotFound {
            404
        } else {
            200
        };
        assert_eq!(
            response.status().as_u16(),
            expected,
            "events/{name}.json: {:?}",
            response.body()
        );
        replayed.insert(name);
    }
    let http_functions: BTreeSet<String> = template()
        .functions
        .into_iter()
        .filter(|f| matches!(f.trigger, Trigger::Http { .. }))
        .map(|f| f.name)
        .collect();
    assert_eq!(
        replayed, http_functions,
        "every HTTP function has an event in events/"
    );
}
