//! The API contract (openapi.yaml) as a test oracle: every response a test receives is checked
//! against the spec's documented statuses, content types and body schemas.

use inventory_local::template::repository_root;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The spec, parsed once per test process.
pub fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text = std::fs::read_to_string(repository_root().join("openapi.yaml"))
            .expect("openapi.yaml reads");
        serde_norway::from_str(&text).expect("openapi.yaml is YAML")
    })
}

/// The spec's operations as `(METHOD, path template)`.
pub fn operations() -> Vec<(String, String)> {
    let mut ops = Vec::new();
    for (path, item) in spec()["paths"].as_object().expect("paths") {
        for method in ["get", "put", "post", "patch", "delete"] {
            if item.get(method).is_some() {
                ops.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

fn matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.trim_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_matches('/').split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}')) || t == p)
}

/// The operation serving `method path`, preferring literal segments over parameters, as API
/// Gateway does (`/reservations/expired` over `/reservations/{reservation_id}`).
fn operation(method: &str, path: &str) -> Option<(String, &'static Value)> {
    let mut candidates: Vec<(String, &Value)> = spec()["paths"]
        .as_object()?
        .iter()
        .filter(|(template, _)| matches(template, path))
        .filter_map(|(template, item)| Some((template.clone(), item.get(method.to_lowercase())?)))
        .collect();
    candidates.sort_by_key(|(template, _)| template.matches('{').count());
    candidates.into_iter().next()
}

type Validators = Mutex<HashMap<String, Arc<jsonschema::Validator>>>;

fn validator(key: String, schema: &Value) -> Arc<jsonschema::Validator> {
    static CACHE: OnceLock<Validators> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Arc::clone(cache.entry(key).or_insert_with(|| {
        // Local refs (#/components/...) resolve against the document they sit in.
        let mut document = schema.clone();
        if let Some(object) = document.as_object_mut() {
            object.insert("components".into(), spec()["components"].clone());
        } else {
            document = serde_json::json!({ "allOf": [schema], "components": spec()["components"] });
        }
        Arc::new(
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .build(&document)
                .unwrap_or_else(|e| panic!("the spec's schema does not compile: {e}")),
        )
    }))
}

/// Panics unless the response is one the spec documents for this request.
#[track_caller]
pub fn check_response(method: &str, path: &str, status: u16, content_type: &str, body: &Value) {
    // The local gateway's own pages (/docs, /openapi.yaml) are not part of the API.
    if !path.starts_with("/api/") && !path.starts_with("/health") {
        return;
    }
    let (key, schema) = match operation(method, path) {
        Some((template, op)) => {
            let responses = &op["responses"];
            let response = responses
                .get(status.to_string())
                .or_else(|| responses.get("default"))
                .unwrap_or_else(|| panic!("{method} {template} answered {status}, which openapi.yaml does not document"));
            let response = resolve(response);
            let media = response["content"]
                .get(content_type)
                .unwrap_or_else(|| panic!("{method} {template} {status} answered {content_type}, which openapi.yaml does not document"));
            (
                format!("{method} {template} {status} {content_type}"),
                &media["schema"],
            )
        }
        // Unmatched routes are answered by the $default route: a problem document.
        None => (
            "$default".to_owned(),
            &spec()["components"]["schemas"]["Problem"],
        ),
    };
    let validator = validator(key.clone(), schema);
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "response to {key} violates openapi.yaml: {errors:?}\nbody: {body}"
    );
}

/// Follows a `$ref` to a component response.
fn resolve(value: &'static Value) -> &'static Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            spec()
                .pointer(pointer)
                .unwrap_or_else(|| panic!("openapi.yaml has no {reference}"))
        }
        None => value,
    }
}
