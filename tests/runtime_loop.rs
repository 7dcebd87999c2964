//! Every sample event through the real `lambda_runtime` loop: each function's own binary, spawned
//! under the local Runtime API, answers the same sequence of events as the in-process handlers,
//! each side on fresh tables with the demo data, and the answers must agree.
//!
//! The binaries come from the same build as this test (`make unit` builds them first with
//! `cargo build --workspace --all-targets`); a missing one fails the test, naming the command.

use inventory::domain::ReserveRequest;
use inventory::domain::{Actor, OrderId, ProductId, Quantity, StoreId};
use inventory::endpoints::Endpoint;
use inventory_local::lambda::{LambdaCommand, LocalLambda};
use inventory_local::runtime_api::Outcome;
use inventory_local::template::{repository_root, Template};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::Duration;
use testkit::TestApp;

/// The placeholder reservation id in the sample events, replaced by a real one on replay.
const SAMPLE_RESERVATION: &str = "res-0123456789abcdef0123456789abcdef";
/// Per start and per invocation; the whole replay takes seconds.
const LIMIT: Duration = Duration::from_secs(30);

/// What a function answered: HTTP status (200 for a direct invocation) and body.
#[derive(Debug, Clone, PartialEq)]
struct Answer {
    status: u16,
    content_type: String,
    body: Value,
}

fn binary_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| repository_root().join("target"), PathBuf::from);
    target.join("debug")
}

fn event_text(file: &str) -> String {
    std::fs::read_to_string(
        repository_root()
            .join("events")
            .join(format!("{file}.json")),
    )
    .unwrap_or_else(|e| panic!("events/{file}.json: {e}"))
}

/// One side of the comparison: its own tables, and how it answers an event.
struct Side {
    app: TestApp,
    /// The runtime-loop side's function processes, started on first use and kept warm.
    lambdas: Option<HashMap<String, LocalLambda>>,
    template: Template,
}

impl Side {
    async fn new(through_runtime: bool) -> Self {
        let app = TestApp::new().await;
        app.given_demo_data().await;
        Self {
            app,
            lambdas: through_runtime.then(HashMap::new),
            template: Template::of_repository().expect("template"),
        }
    }

    fn prefix(&self) -> String {
        self.app
            .tables
            .products
            .trim_end_matches("global-products")
            .to_owned()
    }

    async fn answer(&mut self, function: &str, event: &str) -> Answer {
        let prefix = self.prefix();
        match &mut self.lambdas {
            None => in_process(&self.app, function, event).await,
            Some(lambdas) => {
                if !lambdas.contains_key(function) {
                    let command = LambdaCommand::function(
                        &binary_dir(),
                        function,
                        &self.template,
                        &prefix,
                        &testkit::endpoint(),
                    );
                    assert!(
                        command.program.exists(),
                        "{} is missing: build the functions with `cargo build --workspace --all-targets` (make unit does)",
                        command.program.display()
                    );
                    let lambda = LocalLambda::start(&command)
                        .await
                        .expect("the function starts");
                    lambda
                        .init_duration(LIMIT)
                        .await
                        .unwrap_or_else(|e| panic!("{function} did not finish its init: {e}"));
                    lambdas.insert(function.to_owned(), lambda);
                }
                let outcome = lambdas[function]
                    .invoke(event.to_owned(), LIMIT)
                    .await
                    .unwrap_or_else(|e| panic!("{function} did not answer: {e}"));
                from_runtime(function, &outcome)
            }
        }
    }

    /// A held reservation of one unit, made directly: setup, not the thing under test.
    /// `age` moves its creation into the past, so it can already be due for expiry.
    async fn reservation(&self, order: &str, age: chrono::Duration) -> String {
        let request = ReserveRequest::new(
            StoreId::parse("store-blr-001").expect("store"),
            OrderId::parse(order).expect("order"),
            vec![(
                ProductId::parse("prd-0004").expect("product"),
                Quantity::new("quantity", 1).expect("quantity"),
            )],
            None,
        )
        .expect("request");
        let (reservation, _) = self
            .app
            .app
            .db
            .reserve(&request, &Actor::anonymous(), chrono::Utc::now() - age)
            .await
            .expect("reserved");
        reservation.reservation_id.to_string()
    }

    /// A movement left waiting on a row, as a writer that was never settled leaves it (its
    /// drain failed, or other writers kept the row busy), made `age` ago so the scheduled drain
    /// finds it overdue.
    async fn backlog(&self, age: chrono::Duration) {
        self.app
            .given_waiting_movement("store-blr-001", "prd-0004", 1, chrono::Utc::now() - age)
            .await;
    }

    async fn stop(self) {
        for (_, lambda) in self.lambdas.into_iter().flatten() {
            lambda.stop().await;
        }
    }
}

async fn in_process(app: &TestApp, function: &str, event: &str) -> Answer {
    let json: Value = serde_json::from_str(event).expect("event is JSON");
    match function {
        "order-stock" => direct(&inventory::orders::handle(&app.app, json).await),
        "expire-reservations" => direct(&inventory::expiry::handle(&app.app, json).await),
        "drain-ledger" => direct(&inventory::drain::handle(&app.app, json).await),
        _ => {
            let endpoint = Endpoint::from_function_name(function)
                .unwrap_or_else(|| panic!("{function} is an endpoint"));
            let request = lambda_http::request::from_str(event).expect("an API Gateway event");
            let response = endpoint.handle(&app.app, request).await;
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body: &[u8] = response.body().as_ref();
            Answer {
                status: response.status().as_u16(),
                content_type,
                body: serde_json::from_slice(body).unwrap_or(Value::Null),
            }
        }
    }
}

fn direct(result: &impl serde::Serialize) -> Answer {
    Answer {
        status: 200,
        content_type: "application/json".into(),
        body: serde_json::to_value(result).expect("serialises"),
    }
}

fn from_runtime(function: &str, outcome: &Outcome) -> Answer {
    let Outcome::Response(bytes) = outcome else {
        panic!("{function} reported a runtime error: {outcome:?}");
    };
    let json: Value = serde_json::from_slice(bytes).expect("the runtime answered JSON");
    if matches!(
        function,
        "order-stock" | "expire-reservations" | "drain-ledger"
    ) {
        return direct(&json);
    }
    // lambda_http's API Gateway v2 response: status, headers, body text.
    Answer {
        status: json["statusCode"].as_u64().expect("statusCode") as u16,
        content_type: json["headers"]["content-type"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        body: json["body"]
            .as_str()
            .and_then(|b| serde_json::from_str(b).ok())
            .unwrap_or(Value::Null),
    }
}

/// A UUID's text (movement ids are UUIDv7: they carry the time).
fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// The answer with what must differ between two runs masked: times, generated ids, and this
/// side's reservation ids.
fn stable(answer: &Answer, reservations: &[String]) -> Answer {
    fn mask(value: &Value, reservations: &[String]) -> Value {
        match value {
            Value::String(s) if reservations.contains(s) => Value::String("<reservation>".into()),
            Value::String(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => {
                Value::String("<time>".into())
            }
            Value::String(s) if is_uuid(s) => Value::String("<uuid>".into()),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| mask(v, reservations)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), mask(v, reservations)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    Answer {
        body: mask(&answer.body, reservations),
        ..answer.clone()
    }
}

/// The scenario, run on one side: every sample event once, in an order that gives each its
/// preconditions. Returns the answer to each step and the reservation ids the side made.
async fn replay(side: &mut Side) -> (Vec<(String, Answer)>, Vec<String>) {
    let mut answers = Vec::new();
    let mut made = Vec::new();
    // Every HTTP endpoint of the registry, in its order (reserve-stock reserves ord-1001 before
    // release-stock releases it; create-order places the order the other order events name). An
    // event naming the placeholder reservation gets a fresh reservation of its own.
    for &endpoint in Endpoint::ALL {
        let name = endpoint.function_name();
        let mut event = event_text(name);
        if event.contains(SAMPLE_RESERVATION) {
            let held = side
                .reservation(&format!("ord-replay-{name}"), chrono::Duration::zero())
                .await;
            event = event.replace(SAMPLE_RESERVATION, &held);
            made.push(held);
        }
        answers.push((name.to_owned(), side.answer(name, &event).await));
    }
    // The order Lambda's events: check, reserve, commit ord-2001; release ord-2002; deduct ord-2003.
    made.push(side.reservation("ord-2002", chrono::Duration::zero()).await);
    for action in ["check", "reserve", "commit", "release", "deduct"] {
        let file = format!("order-stock-{action}");
        answers.push((
            file.clone(),
            side.answer("order-stock", &event_text(&file)).await,
        ));
    }
    // A reservation already past its expiry, for the sweeper.
    made.push(
        side.reservation("ord-due", chrono::Duration::minutes(16))
            .await,
    );
    answers.push((
        "expire-reservations".into(),
        side.answer("expire-reservations", &event_text("expire-reservations"))
            .await,
    ));
    // A movement waiting on its row for two minutes, for the drain's scheduled pass.
    side.backlog(chrono::Duration::minutes(2)).await;
    answers.push((
        "drain-ledger".into(),
        side.answer("drain-ledger", &event_text("drain-ledger"))
            .await,
    ));
    // Reservations made by the functions themselves (reserve-stock, order-stock reserve/deduct).
    for (_, answer) in &answers {
        collect_reservation_ids(&answer.body, &mut made);
    }
    (answers, made)
}

fn collect_reservation_ids(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "reservation_id" {
                    if let Some(id) = v.as_str() {
                        into.push(id.to_owned());
                    }
                }
                collect_reservation_ids(v, into);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_reservation_ids(v, into)),
        _ => {}
    }
}

/// Functions this test cannot run: publish-events publishes to EventBridge, which does not run
/// here; tests/events.rs runs its handler on real DynamoDB Local stream records instead.
const NOT_RUN_HERE: [&str; 1] = ["publish-events"];

#[tokio::test]
async fn every_sample_event_answers_the_same_through_the_lambda_runtime_loop_as_in_process() {
    let mut direct = Side::new(false).await;
    let mut runtime = Side::new(true).await;

    // A guard against a hung function, not a speed target: each step has its own 30 s limit too.
    let ((expected, expected_ids), (actual, actual_ids)) =
        tokio::time::timeout(Duration::from_secs(600), async {
            (replay(&mut direct).await, replay(&mut runtime).await)
        })
        .await
        .expect("the replay finishes within 10 minutes");
    let started_functions: BTreeSet<String> = runtime
        .lambdas
        .as_ref()
        .map(|l| l.keys().cloned().collect())
        .unwrap_or_default();
    runtime.stop().await;
    direct.stop().await;

    assert_eq!(expected.len(), actual.len());
    for ((name, want), (_, got)) in expected.iter().zip(&actual) {
        assert!(
            want.status < 500,
            "events/{name}.json answered {want:?} in process"
        );
        assert_eq!(
            stable(got, &actual_ids),
            stable(want, &expected_ids),
            "events/{name}.json: the runtime loop (left) and in-process (right) disagree"
        );
    }
    let statuses: BTreeMap<&str, u16> =
        actual.iter().map(|(n, a)| (n.as_str(), a.status)).collect();
    assert_eq!(statuses["reserve-stock"], 201);
    assert_eq!(statuses["route-not-found"], 404);
    assert!(
        actual
            .iter()
            .filter(|(n, _)| n == "expire-reservations")
            .all(|(_, a)| a.body["expired"].as_u64() >= Some(1)),
        "the sweeper released the due reservation"
    );
    assert_eq!(
        actual
            .iter()
            .find(|(n, _)| n == "drain-ledger")
            .map(|(_, a)| a.body.clone()),
        Some(serde_json::json!({ "rows": 1, "entries": 1, "more": false })),
        "the scheduled drain wrote the overdue movement"
    );

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
    let replayed: BTreeSet<String> = actual.iter().map(|(n, _)| n.clone()).collect();
    let files: BTreeSet<String> = files
        .into_iter()
        .filter(|f| !NOT_RUN_HERE.contains(&f.as_str()))
        .collect();
    assert_eq!(replayed, files, "every sample event is replayed");
    let functions: BTreeSet<String> = Template::of_repository()
        .expect("template")
        .functions
        .into_iter()
        .map(|f| f.name)
        .filter(|f| !NOT_RUN_HERE.contains(&f.as_str()))
        .collect();
    assert_eq!(
        started_functions, functions,
        "every function ran under the runtime loop"
    );
}
