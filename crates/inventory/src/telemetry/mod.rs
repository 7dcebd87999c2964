//! Logs and metrics: one JSON object per line in Lambda (readable text on a terminal), a
//! per-request span that puts the request's ids on every line, and CloudWatch embedded metrics.
//!
//! Never logged: tokens, the `Authorization` header, request and response bodies. Nothing here
//! takes a header map or a body, so nothing here can log them.

pub mod metrics;

use std::sync::{Arc, Mutex, OnceLock};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

/// Installs the tracing subscriber once. JSON when `AWS_LAMBDA_LOG_FORMAT=JSON` (template.yaml
/// sets `LogFormat: JSON`), text otherwise; the level is `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`,
/// else INFO.
pub fn init() {
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let filter = filter();
    if json {
        let _ = json_subscriber(filter, std::io::stdout).try_init();
    } else {
        let _ = tracing_subscriber::fmt()
            .with_target(false)
            .with_env_filter(filter)
            .try_init();
    }
}

fn filter() -> EnvFilter {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "INFO".into());
    EnvFilter::try_new(level.to_lowercase()).unwrap_or_else(|_| EnvFilter::new("info"))
}

/// The production JSON format: the event's fields at the top level (`message`, `level`, ...) and
/// the current span's fields under `span` (`span.lambda_request_id`, `span.store_id`, ...).
fn json_subscriber<W>(filter: EnvFilter, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .with_env_filter(filter)
        .with_writer(writer)
        .finish()
}

/// What identifies one request in the logs. Fields left `None` can be recorded later on the
/// span (`Span::current().record("order_id", ...)`), e.g. once the body has been parsed.
#[derive(Debug, Default, Clone, Copy)]
pub struct RequestIds<'a> {
    pub lambda_request_id: Option<&'a str>,
    pub apigw_request_id: Option<&'a str>,
    pub store_id: Option<&'a str>,
    pub product_id: Option<&'a str>,
    pub order_id: Option<&'a str>,
    pub reservation_id: Option<&'a str>,
}

impl<'a> RequestIds<'a> {
    /// The ids an API Gateway request carries without reading its body or headers: the Lambda
    /// and API Gateway request ids, and `store_id`, `product_id`, `reservation_id` from the path
    /// (or `store_id` from the query string).
    pub fn of_http(request: &'a lambda_http::Request) -> Self {
        use lambda_http::RequestExt;
        let lambda_request_id = request
            .lambda_context_ref()
            .map(|c| c.request_id.as_str())
            .filter(|id| !id.is_empty());
        let apigw_request_id = match request.request_context_ref() {
            Some(lambda_http::request::RequestContext::ApiGatewayV2(ctx)) => {
                ctx.request_id.as_deref()
            }
            _ => None,
        };
        let path = request.path_parameters_ref();
        let query = request.query_string_parameters_ref();
        let param = |name: &str| {
            path.and_then(|p| p.first(name))
                .or_else(|| query.and_then(|q| q.first(name)))
        };
        Self {
            lambda_request_id,
            apigw_request_id,
            store_id: param("store_id"),
            product_id: param("product_id"),
            order_id: param("order_id"),
            reservation_id: param("reservation_id"),
        }
    }
}

/// The Lambda's function name, read once.
fn function_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default())
}

/// Opens the span a request runs in: every log line inside it carries these fields. Instrument
/// the handler's future with it (`handle(..).instrument(request_span(ids))`).
pub fn request_span(ids: RequestIds<'_>) -> tracing::Span {
    let span = tracing::info_span!(
        "request",
        lambda_request_id = tracing::field::Empty,
        apigw_request_id = tracing::field::Empty,
        function_name = function_name(),
        store_id = tracing::field::Empty,
        product_id = tracing::field::Empty,
        order_id = tracing::field::Empty,
        reservation_id = tracing::field::Empty,
    );
    for (name, value) in [
        ("lambda_request_id", ids.lambda_request_id),
        ("apigw_request_id", ids.apigw_request_id),
        ("store_id", ids.store_id),
        ("product_id", ids.product_id),
        ("order_id", ids.order_id),
        ("reservation_id", ids.reservation_id),
    ] {
        if let Some(value) = value {
            span.record(name, value);
        }
    }
    span
}

/// The span one invocation of a direct-invoke, scheduled or stream function runs in: its lines
/// carry the Lambda request id and the function name like an HTTP request's.
pub fn invocation_span(context: &lambda_runtime::Context) -> tracing::Span {
    request_span(RequestIds {
        lambda_request_id: Some(context.request_id.as_str()).filter(|id| !id.is_empty()),
        ..RequestIds::default()
    })
}

/// Captures, on this thread, what the production JSON format writes, for tests. Use with a
/// current-thread runtime (`#[tokio::test]`'s default).
pub struct LogCapture {
    buffer: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

impl LogCapture {
    /// Captures every level from now until the capture is dropped.
    pub fn start() -> Self {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = SharedBuffer(buffer.clone());
        let subscriber = json_subscriber(EnvFilter::new("trace"), writer);
        Self {
            buffer,
            _guard: tracing::subscriber::set_default(subscriber),
        }
    }

    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        let bytes = self
            .buffer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Every line, parsed; a line that is not one JSON object is a bug and comes back as `Null`.
    pub fn lines(&self) -> Vec<serde_json::Value> {
        self.text()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or(serde_json::Value::Null))
            .collect()
    }
}

#[derive(Clone)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'w> MakeWriter<'w> for SharedBuffer {
    type Writer = Self;
    fn make_writer(&'w self) -> Self::Writer {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_in_a_request_span_is_one_json_object_with_the_request_ids() {
        let capture = LogCapture::start();
        let span = request_span(RequestIds {
            lambda_request_id: Some("lambda-1"),
            apigw_request_id: Some("apigw-1"),
            store_id: Some("store-blr-001"),
            product_id: Some("prd-0003"),
            ..RequestIds::default()
        });
        span.in_scope(|| {
            tracing::Span::current().record("order_id", "ord-9");
            tracing::info!(delta = -2, "stock adjusted");
            tracing::warn!("second line");
        });

        let lines = capture.lines();
        assert_eq!(lines.len(), 2, "{}", capture.text());
        for line in &lines {
            assert_eq!(line["span"]["lambda_request_id"], "lambda-1");
            assert_eq!(line["span"]["apigw_request_id"], "apigw-1");
            assert_eq!(line["span"]["store_id"], "store-blr-001");
            assert_eq!(line["span"]["product_id"], "prd-0003");
            assert_eq!(line["span"]["order_id"], "ord-9");
            assert!(
                line["span"].get("reservation_id").is_none(),
                "unknown ids are left out"
            );
            assert!(line["span"].get("function_name").is_some());
        }
        assert_eq!(lines[0]["message"], "stock adjusted");
        assert_eq!(lines[0]["delta"], -2);
        assert_eq!(lines[0]["level"], "INFO");
    }

    #[test]
    fn the_ids_of_an_http_request_come_from_its_context_and_path_never_its_headers_or_body() {
        use lambda_http::RequestExt;
        let event = serde_json::json!({
            "version": "2.0",
            "routeKey": "PUT /api/v1/inventory/products/{store_id}/{product_id}/stock",
            "rawPath": "/api/v1/inventory/products/store-blr-001/prd-0003/stock",
            "rawQueryString": "",
            "headers": {"authorization": "Bearer secret-token", "content-type": "application/json"},
            "requestContext": {
                "accountId": "123456789012", "apiId": "api", "domainName": "x", "domainPrefix": "x",
                "http": {"method": "PUT", "path": "/api/v1/inventory/products/store-blr-001/prd-0003/stock",
                         "protocol": "HTTP/1.1", "sourceIp": "1.2.3.4", "userAgent": "t"},
                "requestId": "apigw-req-7", "routeKey": "PUT /x", "stage": "$default",
                "time": "22/Nov/2026:02:00:00 +0000", "timeEpoch": 1_700_000_000_000_i64
            },
            "pathParameters": {"store_id": "store-blr-001", "product_id": "prd-0003"},
            "body": "{\"quantity_change\": -2, \"reason\": \"secret-body\"}",
            "isBase64Encoded": false
        });
        let request =
            lambda_http::request::from_str(&event.to_string()).expect("an API Gateway v2 event");
        let mut context = lambda_http::Context::default();
        context.request_id = "lambda-req-7".into();
        let request = request.with_lambda_context(context);

        let capture = LogCapture::start();
        let ids = RequestIds::of_http(&request);
        request_span(ids).in_scope(|| tracing::info!("handled"));

        let line = &capture.lines()[0];
        assert_eq!(line["span"]["lambda_request_id"], "lambda-req-7");
        assert_eq!(line["span"]["apigw_request_id"], "apigw-req-7");
        assert_eq!(line["span"]["store_id"], "store-blr-001");
        assert_eq!(line["span"]["product_id"], "prd-0003");
        let text = capture.text();
        assert!(!text.contains("secret-token"), "{text}");
        assert!(!text.contains("secret-body"), "{text}");
    }
}
