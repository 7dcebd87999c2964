//! CloudWatch Embedded Metric Format: a metric is a JSON line on stdout, which CloudWatch Logs
//! turns into a metric. No API call, no agent, nothing to flush at the end of an invocation.
//!
//! Written here rather than taken from a crate: the maintained Rust option
//! (`metrics_cloudwatch_embedded`) is a recorder for the `metrics` facade, a process-global that
//! aggregates and flushes per invocation through its own Lambda layer. That is a second
//! registry to wire into every function, and its output is hard to assert exactly in a test. The
//! format is one documented JSON shape; [`Line::to_json`] builds it and the tests below pin it.
//!
//! ```text
//! {"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"InventoryService",
//!   "Dimensions":[["Operation"]],"Metrics":[{"Name":"Latency","Unit":"Milliseconds"}]}]},
//!  "Operation":"reserve","Latency":12.5,"function_name":"inventory-reserve-stock"}
//! ```

use serde_json::{Map, Value};
use std::io::Write;
use std::sync::{Arc, Mutex};

/// CloudWatch's metric units (the ones this service uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
    None,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Milliseconds => "Milliseconds",
            Self::None => "None",
        }
    }
}

/// Where metric lines go: stdout in Lambda, a buffer in tests.
#[derive(Debug, Clone, Default)]
enum Sink {
    #[default]
    Stdout,
    Buffer(Arc<Mutex<Vec<String>>>),
}

/// Emits metric lines under one namespace. Cheap to clone; build once at init.
#[derive(Debug, Clone)]
pub struct Metrics {
    namespace: String,
    function_name: Option<String>,
    sink: Sink,
}

/// The namespace when `METRICS_NAMESPACE` is unset (template.yaml's `MetricsNamespace` default).
pub const DEFAULT_NAMESPACE: &str = "InventoryService";

impl Metrics {
    /// `METRICS_NAMESPACE` (set by template.yaml) and the Lambda's function name, to stdout.
    pub fn from_env() -> Self {
        Self {
            namespace: std::env::var("METRICS_NAMESPACE")
                .unwrap_or_else(|_| DEFAULT_NAMESPACE.to_owned()),
            function_name: std::env::var("AWS_LAMBDA_FUNCTION_NAME").ok(),
            sink: Sink::Stdout,
        }
    }

    /// The process's emitter, from the environment, built on first use.
    pub fn lambda() -> &'static Self {
        static METRICS: std::sync::OnceLock<Metrics> = std::sync::OnceLock::new();
        METRICS.get_or_init(Self::from_env)
    }

    /// Metrics that are kept in memory, for tests: read them with [`Metrics::lines`].
    pub fn capturing(namespace: &str) -> Self {
        Self {
            namespace: namespace.to_owned(),
            function_name: None,
            sink: Sink::Buffer(Arc::default()),
        }
    }

    /// What a capturing emitter has emitted, one JSON document per line.
    pub fn lines(&self) -> Vec<Value> {
        match &self.sink {
            Sink::Stdout => Vec::new(),
            Sink::Buffer(b) => b
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .iter()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect(),
        }
    }

    /// Starts a line: add dimensions, metrics and properties, then [`Line::emit`].
    pub fn line(&self) -> Line<'_> {
        Line {
            metrics: self,
            dimensions: Vec::new(),
            values: Vec::new(),
            properties: Map::new(),
            timestamp_ms: None,
        }
    }
}

/// One EMF document: every metric in it shares the line's one dimension set.
#[derive(Debug)]
#[must_use = "a line is only sent by emit()"]
pub struct Line<'a> {
    metrics: &'a Metrics,
    dimensions: Vec<(String, String)>,
    values: Vec<(String, f64, Unit)>,
    properties: Map<String, Value>,
    timestamp_ms: Option<i64>,
}

impl Line<'_> {
    /// A dimension: keep their values few (an operation, an event type), never an id.
    pub fn dimension(mut self, name: &str, value: &str) -> Self {
        self.dimensions.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn metric(mut self, name: &str, value: f64, unit: Unit) -> Self {
        self.values.push((name.to_owned(), value, unit));
        self
    }

    /// A searchable field that is not a dimension (ids go here: they would explode cardinality).
    pub fn property(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.properties.insert(name.to_owned(), value.into());
        self
    }

    /// The time of the metric, in Unix milliseconds; now if not given.
    pub fn at(mut self, timestamp_ms: i64) -> Self {
        self.timestamp_ms = Some(timestamp_ms);
        self
    }

    /// The EMF document.
    pub fn to_json(&self) -> Value {
        let timestamp = self
            .timestamp_ms
            .unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
        let dimension_names: Vec<Value> = self
            .dimensions
            .iter()
            .map(|(k, _)| Value::from(k.as_str()))
            .collect();
        let definitions: Vec<Value> = self
            .values
            .iter()
            .map(|(name, _, unit)| serde_json::json!({"Name": name, "Unit": unit.as_str()}))
            .collect();
        let mut doc = Map::new();
        doc.insert(
            "_aws".into(),
            serde_json::json!({
                "Timestamp": timestamp,
                "CloudWatchMetrics": [{
                    "Namespace": self.metrics.namespace,
                    "Dimensions": [dimension_names],
                    "Metrics": definitions,
                }],
            }),
        );
        for (k, v) in &self.dimensions {
            doc.insert(k.clone(), Value::from(v.as_str()));
        }
        for (name, value, _) in &self.values {
            doc.insert(name.clone(), Value::from(*value));
        }
        if let Some(f) = &self.metrics.function_name {
            doc.entry("function_name")
                .or_insert_with(|| Value::from(f.as_str()));
        }
        for (k, v) in &self.properties {
            doc.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Value::Object(doc)
    }

    /// Writes the line. A line with no metrics is not written (it would define nothing).
    pub fn emit(self) {
        if self.values.is_empty() {
            return;
        }
        let text = self.to_json().to_string();
        match &self.metrics.sink {
            Sink::Stdout => {
                // One write of the whole line, so it cannot interleave with a log line.
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(format!("{text}\n").as_bytes());
            }
            Sink::Buffer(b) => b
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_line_is_the_exact_emf_document() {
        let metrics = Metrics::capturing("InventoryService");

        metrics
            .line()
            .dimension("Operation", "reserve")
            .metric("Latency", 12.5, Unit::Milliseconds)
            .metric("ConsumedWriteCapacity", 6.0, Unit::Count)
            .property("store_id", "store-blr-001")
            .at(1_700_000_000_000)
            .emit();

        assert_eq!(
            metrics.lines(),
            vec![json!({
                "_aws": {
                    "Timestamp": 1_700_000_000_000_i64,
                    "CloudWatchMetrics": [{
                        "Namespace": "InventoryService",
                        "Dimensions": [["Operation"]],
                        "Metrics": [
                            {"Name": "Latency", "Unit": "Milliseconds"},
                            {"Name": "ConsumedWriteCapacity", "Unit": "Count"}
                        ]
                    }]
                },
                "Operation": "reserve",
                "Latency": 12.5,
                "ConsumedWriteCapacity": 6.0,
                "store_id": "store-blr-001"
            })]
        );
    }

    #[test]
    fn a_line_without_dimensions_declares_one_empty_dimension_set() {
        let metrics = Metrics::capturing("Ns");
        metrics
            .line()
            .metric("StockChanged", 3.0, Unit::Count)
            .at(5)
            .emit();
        assert_eq!(
            metrics.lines()[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([[]])
        );
        assert_eq!(metrics.lines()[0]["StockChanged"], json!(3.0));
    }

    #[test]
    fn a_property_never_overwrites_a_metric_or_a_dimension() {
        let metrics = Metrics::capturing("Ns");
        metrics
            .line()
            .dimension("Operation", "adjust")
            .metric("Rejected", 1.0, Unit::Count)
            .property("Operation", "spoofed")
            .property("Rejected", "spoofed")
            .at(5)
            .emit();
        let line = &metrics.lines()[0];
        assert_eq!(line["Operation"], "adjust");
        assert_eq!(line["Rejected"], json!(1.0));
    }

    #[test]
    fn a_line_with_no_metric_is_not_emitted() {
        let metrics = Metrics::capturing("Ns");
        metrics.line().dimension("Operation", "x").emit();
        assert!(metrics.lines().is_empty());
    }
}
