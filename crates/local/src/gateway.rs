//! A stand-in for API Gateway (HTTP API, payload format 2.0): it matches the template's routes,
//! builds the same event API Gateway would send, and hands it to the same handler the Lambda runs.

use crate::auth::JwtVerifier;
use crate::template::Template;
use axum::body::{to_bytes, Body as AxumBody};
use axum::extract::{Path, Request};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;
use base64::Engine;
use inventory::domain::InvalidValue;
use inventory::endpoints::Endpoint;
use inventory::App;
use lambda_http::Body as LambdaBody;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// API Gateway's own payload limit; our handlers refuse far less, with a problem response.
const GATEWAY_MAX_BODY: usize = 10 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(
        "template route {route} names function {function}, which has no endpoint in the core crate"
    )]
    UnknownFunction { route: String, function: String },
    #[error("template route {0} has a method the gateway does not know")]
    Method(String),
    #[error("template has no $default route to answer unmatched requests")]
    NoDefaultRoute,
}

/// One route as the gateway serves it.
#[derive(Clone)]
struct Route {
    endpoint: Endpoint,
    key: String,
    /// The authorizer for routes that need a token; `None` for public ones.
    authorizer: Option<Arc<JwtVerifier>>,
}

/// The router for every route of `template`, serving `app`, checking tokens with `verifier`
/// on the routes the template protects.
///
/// # Errors
/// When a route names a function with no endpoint, or the template has no `$default` route.
pub fn router(
    template: &Template,
    mut app: App,
    verifier: JwtVerifier,
) -> Result<Router, GatewayError> {
    // The same keys serve API Gateway's part (protected routes) and the functions' own check
    // of bearer tokens on public routes.
    let verifier = Arc::new(verifier);
    app.verifier = Some(Arc::clone(&verifier));
    let app = Arc::new(app);
    let mut by_path: BTreeMap<String, MethodRouter> = BTreeMap::new();
    // The same routes again, one router per method: API Gateway matches a route key (method and
    // path) as a whole, so `GET /api/v1/inventory/adjust` is `GET /api/v1/inventory/{product_id}`
    // even though `POST /api/v1/inventory/adjust` exists. A path router alone would stop at the
    // literal path and answer from $default.
    let mut by_method: HashMap<String, Router> = HashMap::new();
    for (function, method, path) in template.http_routes() {
        let key = format!("{method} {path}");
        let endpoint = Endpoint::from_function_name(&function.name).ok_or_else(|| {
            GatewayError::UnknownFunction {
                route: key.clone(),
                function: function.name.clone(),
            }
        })?;
        let filter = method_filter(method).ok_or_else(|| GatewayError::Method(key.clone()))?;
        let route = Route {
            endpoint,
            key,
            authorizer: function.requires_token.then(|| Arc::clone(&verifier)),
        };
        let app = Arc::clone(&app);
        let handler = on(
            filter,
            move |Path(params): Path<HashMap<String, String>>, req: Request| {
                invoke(app, route, params, req)
            },
        );
        let of_method = by_method.remove(method).unwrap_or_default();
        by_method.insert(method.to_owned(), of_method.route(path, handler.clone()));
        let entry = by_path.remove(path).unwrap_or_default();
        by_path.insert(path.to_owned(), entry.merge(handler));
    }
    let fallback = Endpoint::from_function_name(
        template
            .default_route()
            .ok_or(GatewayError::NoDefaultRoute)?,
    )
    .ok_or(GatewayError::NoDefaultRoute)?;
    let fallback = Route {
        endpoint: fallback,
        key: "$default".into(),
        authorizer: None,
    };
    let default =
        move |req: Request| invoke(Arc::clone(&app), fallback.clone(), HashMap::new(), req);
    let by_method: Arc<HashMap<String, Router>> = Arc::new(
        by_method
            .into_iter()
            .map(|(method, r)| (method, r.fallback(default.clone())))
            .collect(),
    );
    // A path whose routes do not take this method: the method's own routes decide (a
    // parameterised path of that method may match), else $default, as in API Gateway.
    let other_method = {
        let default = default.clone();
        move |req: Request| {
            let by_method = Arc::clone(&by_method);
            let default = default.clone();
            async move {
                match by_method.get(req.method().as_str()) {
                    Some(routes) => match tower::ServiceExt::oneshot(routes.clone(), req).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    },
                    None => default(req).await,
                }
            }
        }
    };
    let mut router = Router::new();
    for (path, methods) in by_path {
        // API Gateway answers an unmatched method through $default, not with a 405.
        router = router.route(&path, methods.fallback(other_method.clone()));
    }
    // Local extras, outside the API: the contract and its rendered reference.
    let router = router
        .route(
            "/openapi.yaml",
            axum::routing::get(|| async {
                (
                    [(http::header::CONTENT_TYPE, "application/yaml")],
                    crate::docs::OPENAPI_YAML,
                )
            }),
        )
        .route("/docs", axum::routing::get(docs_page));
    Ok(router.fallback(default))
}

fn method_filter(method: &str) -> Option<MethodFilter> {
    Some(match method {
        "GET" => MethodFilter::GET,
        "POST" => MethodFilter::POST,
        "PUT" => MethodFilter::PUT,
        "PATCH" => MethodFilter::PATCH,
        "DELETE" => MethodFilter::DELETE,
        _ => return None,
    })
}

async fn invoke(
    app: Arc<App>,
    route: Route,
    path_parameters: HashMap<String, String>,
    req: Request,
) -> Response {
    let Route {
        endpoint,
        key: route_key,
        authorizer,
    } = route;
    let (parts, body) = req.into_parts();
    let Ok(body) = to_bytes(body, GATEWAY_MAX_BODY).await else {
        return (
            http::StatusCode::PAYLOAD_TOO_LARGE,
            "Request Entity Too Large",
        )
            .into_response();
    };
    // As API Gateway's JWT authorizer: a protected route without a valid token never reaches
    // the function. (API Gateway answers `{"message":"Unauthorized"}`; we answer a problem.)
    let claims = match authorizer {
        None => None,
        Some(verifier) => match bearer_token(&parts.headers) {
            Some(token) => match verifier.verify(token).await {
                Ok(claims) => Some(claims),
                Err(why) => return unauthorized(&format!("{why}")),
            },
            None => return unauthorized("this route needs an Authorization: Bearer token"),
        },
    };
    // API Gateway only routes requests for its own host name, so a function never sees a Host
    // that is not one; lambda_http assumes as much and panics on any other (it builds the
    // request URL with `unwrap`). The gateway refuses such a request as API Gateway would.
    if let Err(invalid) = check_host(&parts) {
        return into_axum(inventory::http::problem_response(
            &inventory::http::ApiError::Invalid(invalid),
        ));
    }
    let mut event = api_gateway_event(&route_key, &path_parameters, &parts, &body);
    if let Some(claims) = claims {
        event["requestContext"]["authorizer"] = json!({ "jwt": { "claims": claims } });
    }
    let text = event.to_string();
    // A backstop for any other shape lambda_http cannot turn into a request: the client gets a
    // 400 problem, never a dropped connection.
    let request = match std::panic::catch_unwind(|| lambda_http::request::from_str(&text)) {
        Ok(Ok(request)) => request,
        Ok(Err(err)) => {
            tracing::error!(error = %err, "the gateway built an event lambda_http cannot read");
            return into_axum(inventory::http::problem_response(
                &inventory::http::ApiError::Internal(Box::new(err)),
            ));
        }
        Err(_) => {
            tracing::warn!(path = %parts.uri.path(), "a request lambda_http cannot represent");
            return into_axum(inventory::http::problem_response(
                &inventory::http::ApiError::Invalid(InvalidValue::new(
                    "request",
                    "cannot be passed to a function as an API Gateway event",
                )),
            ));
        }
    };
    let started = std::time::Instant::now();
    let response = endpoint.handle(&app, request).await;
    tracing::info!(
        method = %parts.method,
        path = %parts.uri.path(),
        status = response.status().as_u16(),
        function = endpoint.function_name(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    into_axum(response)
}

/// The `Host` header, when present, must be a host name (and port) that a URL can carry: the
/// same check lambda_http makes when it turns the event into a request.
fn check_host(parts: &http::request::Parts) -> Result<(), InvalidValue> {
    let Some(host) = parts.headers.get(http::header::HOST) else {
        return Ok(());
    };
    let host = host
        .to_str()
        .map_err(|_| InvalidValue::new("host", "must be ASCII"))?;
    url::Url::parse(&format!("http://{host}{}", parts.uri.path()))
        .map(|_| ())
        .map_err(|e| InvalidValue::new("host", format!("is not a valid host name: {e}")))
}

/// The API Gateway HTTP API payload 2.0 event for this request.
pub fn api_gateway_event(
    route_key: &str,
    path_parameters: &HashMap<String, String>,
    parts: &http::request::Parts,
    body: &[u8],
) -> Value {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    let mut cookies = Vec::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == http::header::COOKIE {
            cookies.extend(value.split(';').map(|c| c.trim().to_owned()));
            continue;
        }
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push(',');
                v.push_str(&value);
            })
            .or_insert(value);
    }
    // API Gateway sets this itself; a client's own value would reach lambda_http's URL builder.
    headers.insert("x-forwarded-proto".into(), "http".into());
    let raw_query = parts.uri.query().unwrap_or_default();
    let mut query: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(raw_query.as_bytes()) {
        query
            .entry(k.into_owned())
            .and_modify(|existing| {
                existing.push(',');
                existing.push_str(&v);
            })
            .or_insert_with(|| v.into_owned());
    }
    let (body, is_base64) = match std::str::from_utf8(body) {
        Ok(text) => (text.to_owned(), false),
        Err(_) => (base64::engine::general_purpose::STANDARD.encode(body), true),
    };
    let now = chrono::Utc::now();
    let mut event = Map::new();
    event.insert("version".into(), json!("2.0"));
    event.insert("routeKey".into(), json!(route_key));
    event.insert("rawPath".into(), json!(parts.uri.path()));
    event.insert("rawQueryString".into(), json!(raw_query));
    if !cookies.is_empty() {
        event.insert("cookies".into(), json!(cookies));
    }
    event.insert("headers".into(), json!(headers));
    if !query.is_empty() {
        event.insert("queryStringParameters".into(), json!(query));
    }
    if !path_parameters.is_empty() {
        event.insert("pathParameters".into(), json!(path_parameters));
    }
    event.insert(
        "requestContext".into(),
        json!({
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": headers.get("host").cloned().unwrap_or_else(|| "127.0.0.1".into()),
            "domainPrefix": "local",
            "http": {
                "method": parts.method.as_str(),
                "path": parts.uri.path(),
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": headers.get("user-agent").cloned().unwrap_or_default(),
            },
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": route_key,
            "stage": "$default",
            "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "timeEpoch": now.timestamp_millis(),
        }),
    );
    if !body.is_empty() {
        event.insert("body".into(), json!(body));
    }
    event.insert("isBase64Encoded".into(), json!(is_base64));
    Value::Object(event)
}

async fn docs_page() -> Response {
    match crate::docs::render() {
        Ok(html) => axum::response::Html(html).into_response(),
        Err(err) => (
            http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("openapi.yaml does not parse: {err}"),
        )
            .into_response(),
    }
}

fn bearer_token(headers: &http::HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

fn unauthorized(detail: &str) -> Response {
    into_axum(inventory::http::problem_response(
        &inventory::http::ApiError::Unauthenticated(detail.to_owned()),
    ))
}

fn into_axum(response: lambda_http::Response<LambdaBody>) -> Response {
    let (parts, body) = response.into_parts();
    let body = match body {
        LambdaBody::Empty => AxumBody::empty(),
        LambdaBody::Text(text) => AxumBody::from(text),
        LambdaBody::Binary(bytes) => AxumBody::from(bytes),
        _ => AxumBody::empty(),
    };
    Response::from_parts(parts, body)
}
