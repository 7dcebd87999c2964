//! template.yaml read as a reviewer would before a deploy: every parameter wired, every write
//! route throttled, every function logged and alarmed, every table protected and streamed.

use inventory_local::template::{repository_root, Template, Trigger};
use serde_norway::Value;
use std::collections::BTreeSet;

fn document() -> Value {
    let text = std::fs::read_to_string(repository_root().join("template.yaml")).expect("reads");
    serde_norway::from_str(&text).expect("template.yaml is YAML")
}

fn resources(doc: &Value) -> &serde_norway::Mapping {
    doc["Resources"].as_mapping().expect("Resources")
}

/// Every name a value refers to: `!Ref X`, `!GetAtt X.Y`, `${X}` inside `!Sub`, and their
/// long forms.
fn references(value: &Value, out: &mut BTreeSet<String>) {
    let sub = |text: &str, out: &mut BTreeSet<String>| {
        for part in text.split("${").skip(1) {
            if let Some(name) = part.split('}').next() {
                out.insert(name.split('.').next().unwrap_or(name).to_owned());
            }
        }
    };
    match value {
        Value::Tagged(tagged) => {
            match (
                tagged.tag.to_string().trim_start_matches('!'),
                &tagged.value,
            ) {
                ("Ref", Value::String(name)) | ("GetAtt", Value::String(name)) => {
                    out.insert(name.split('.').next().unwrap_or(name).to_owned());
                }
                ("Sub", Value::String(text)) => sub(text, out),
                ("Sub", Value::Sequence(parts)) => {
                    if let Some(Value::String(text)) = parts.first() {
                        sub(text, out);
                    }
                }
                _ => {}
            }
            references(&tagged.value, out);
        }
        Value::Mapping(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    (Some("Ref"), Value::String(name)) => {
                        out.insert(name.clone());
                    }
                    (Some("Fn::Sub"), Value::String(text)) => sub(text, out),
                    _ => {}
                }
                if let Some(k) = key.as_str() {
                    sub(k, out); // Fn::ForEach keys such as `${Fn}LogGroup`
                }
                references(v, out);
            }
        }
        Value::Sequence(items) => items.iter().for_each(|v| references(v, out)),
        Value::String(text) => sub(text, out), // strings inside Fn::ForEach bodies
        _ => {}
    }
}

fn used_names(doc: &Value) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for section in ["Conditions", "Globals", "Resources", "Outputs"] {
        references(&doc[section], &mut used);
    }
    used
}

#[test]
fn every_declared_parameter_is_used() {
    let doc = document();
    let used = used_names(&doc);
    let unused: Vec<&str> = doc["Parameters"]
        .as_mapping()
        .expect("Parameters")
        .keys()
        .filter_map(Value::as_str)
        .filter(|p| !used.contains(*p))
        .collect();
    assert!(
        unused.is_empty(),
        "declared but never referenced: {unused:?}"
    );
}

#[test]
fn the_unused_parameter_check_catches_an_unused_parameter() {
    let mut doc = document();
    doc["Parameters"]
        .as_mapping_mut()
        .expect("Parameters")
        .insert(
            "Forgotten".into(),
            serde_norway::from_str("{Type: String}").expect("yaml"),
        );
    assert!(!used_names(&doc).contains("Forgotten"));
    assert!(used_names(&doc).contains("WriteRateLimit"));
}

#[test]
fn every_write_route_is_throttled_by_the_write_limits_and_every_throttled_route_exists() {
    let doc = document();
    let template = Template::of_repository().expect("parses");
    let settings = doc["Resources"]["InventoryApi"]["Properties"]["RouteSettings"]
        .as_mapping()
        .expect("RouteSettings");
    let throttled: BTreeSet<String> = settings
        .keys()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    let writes: BTreeSet<String> = template
        .routes()
        .into_iter()
        .filter(|(method, _, _)| method != "GET")
        .map(|(method, path, _)| format!("{method} {path}"))
        .collect();
    // A RouteSettings key without its route fails the deploy ("Unable to find Route by key").
    assert_eq!(throttled, writes);
    for (route, setting) in settings {
        let mut names = BTreeSet::new();
        references(setting, &mut names);
        assert_eq!(
            names,
            BTreeSet::from(["WriteBurstLimit".to_owned(), "WriteRateLimit".to_owned()]),
            "{route:?}"
        );
    }
}

/// The function ids listed in the per-function `Fn::ForEach` (log group and alarms).
fn for_each_functions(doc: &Value) -> BTreeSet<String> {
    let block = &doc["Resources"]["Fn::ForEach::PerFunction"];
    block[1]
        .as_sequence()
        .expect("the list of functions")
        .iter()
        .filter_map(Value::as_str)
        .map(|f| format!("{f}Function"))
        .collect()
}

#[test]
fn every_function_has_its_log_group_error_alarm_and_canary_rollback() {
    let doc = document();
    let functions: BTreeSet<String> = resources(&doc)
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .filter_map(|(id, _)| id.as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        for_each_functions(&doc),
        functions,
        "Fn::ForEach::PerFunction lists every function"
    );
    for id in &functions {
        let props = &doc["Resources"][id.as_str()]["Properties"];
        let stem = id.trim_end_matches("Function");
        let mut log_group = BTreeSet::new();
        references(&props["LoggingConfig"]["LogGroup"], &mut log_group);
        assert_eq!(
            log_group,
            BTreeSet::from([format!("{stem}LogGroup")]),
            "{id}"
        );
        let mut alarms = BTreeSet::new();
        references(&props["DeploymentPreference"]["Alarms"], &mut alarms);
        assert!(
            alarms.contains(&format!("{stem}ErrorsAlarm")),
            "{id} rolls back on its errors"
        );
        let is_http = Template::of_repository()
            .expect("parses")
            .functions
            .iter()
            .any(|f| f.logical_id == *id && matches!(f.trigger, Trigger::Http { .. }));
        if is_http {
            assert!(
                alarms.contains("ApiServerErrorRateAlarm"),
                "{id} rolls back on API 5xx"
            );
        }
    }
}

#[test]
fn checkout_and_stock_writes_have_reserved_concurrency_and_the_sweeper_runs_alone() {
    let doc = document();
    let template = Template::of_repository().expect("parses");
    let mut reserved: Vec<String> = template
        .http_routes()
        .filter(|(_, method, _)| *method != "GET")
        .map(|(f, _, _)| f.logical_id.clone())
        .collect();
    reserved.push("OrderStockFunction".into());
    for id in &reserved {
        let c = &doc["Resources"][id.as_str()]["Properties"]["ReservedConcurrentExecutions"];
        assert!(!c.is_null(), "{id} has reserved concurrency");
    }
    let sweeper = &doc["Resources"]["ExpireReservationsFunction"]["Properties"];
    assert_eq!(sweeper["ReservedConcurrentExecutions"].as_u64(), Some(1));
    assert_eq!(
        sweeper["EventInvokeConfig"]["MaximumRetryAttempts"].as_u64(),
        Some(0)
    );
    assert!(!sweeper["EventInvokeConfig"]["DestinationConfig"]["OnFailure"].is_null());
}

#[test]
fn every_table_is_protected_and_streamed_into_the_event_publisher() {
    let doc = document();
    let publisher = &doc["Resources"]["PublishEventsFunction"]["Properties"]["Events"];
    let mut streamed = BTreeSet::new();
    for (_, event) in publisher.as_mapping().expect("Events") {
        let p = &event["Properties"];
        assert_eq!(event["Type"].as_str(), Some("DynamoDB"));
        assert_eq!(p["BisectBatchOnFunctionError"].as_bool(), Some(true));
        assert_eq!(
            p["FunctionResponseTypes"][0].as_str(),
            Some("ReportBatchItemFailures")
        );
        assert!(!p["DestinationConfig"]["OnFailure"]["Destination"].is_null());
        references(&p["Stream"], &mut streamed);
    }
    for (id, table) in resources(&doc) {
        if table["Type"].as_str() != Some("AWS::DynamoDB::Table") {
            continue;
        }
        let id = id.as_str().expect("id");
        assert_eq!(
            table["Properties"]["DeletionProtectionEnabled"].as_bool(),
            Some(true),
            "{id}"
        );
        assert!(
            matches!(
                table["DeletionPolicy"].as_str(),
                Some("Retain" | "RetainExceptOnCreate")
            ),
            "{id}"
        );
        assert_eq!(
            table["Properties"]["StreamSpecification"]["StreamViewType"].as_str(),
            Some("NEW_AND_OLD_IMAGES"),
            "{id}"
        );
        assert!(streamed.contains(id), "publish-events reads {id}'s stream");
    }
}

#[test]
fn the_catalog_declares_the_three_production_indexes() {
    let template = Template::of_repository().expect("parses");
    let catalog = template
        .tables
        .iter()
        .find(|t| t.logical_id == "ProductsTable")
        .expect("catalog");
    let names: Vec<&str> = catalog.indexes.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        ["barcode-index", "name-brand-index", "image_hash-index"]
    );
}

#[test]
fn no_deploy_parameter_defaults_to_a_placeholder() {
    let doc = document();
    for name in ["JwtIssuer", "JwtAudience", "CorsAllowedOrigins"] {
        let p = &doc["Parameters"][name];
        assert!(
            p["Default"].is_null(),
            "{name} must be given at deploy time"
        );
        assert!(
            p["AllowedPattern"].as_str().is_some(),
            "{name} refuses placeholders"
        );
    }
}
