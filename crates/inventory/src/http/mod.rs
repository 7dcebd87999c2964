//! HTTP glue: reading a request into domain values, writing JSON responses, and the table of
//! endpoints that both the Lambdas and the local gateway dispatch through.

mod endpoint;
mod error;

pub use endpoint::Endpoint;
pub use error::{ApiError, Problem};

use crate::domain::InvalidValue;
use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The largest request body accepted; API Gateway allows more, we need far less.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A required path parameter, parsed into its domain type.
///
/// # Errors
/// When the parameter is missing (a template/handler mismatch, answered as 400) or invalid.
pub fn path<T>(
    req: &Request,
    name: &'static str,
    parse: impl Fn(String) -> Result<T, InvalidValue>,
) -> Result<T, ApiError> {
    let raw = req
        .path_parameters_ref()
        .and_then(|p| p.first(name))
        .ok_or_else(|| InvalidValue::new(name, "is required in the path"))?;
    Ok(parse(raw.to_owned())?)
}

/// An optional query parameter, as text.
pub fn query(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref()
        .and_then(|q| q.first(name))
        .map(str::to_owned)
}

/// A request header, as text (names are case-insensitive).
pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// A required query parameter, parsed into its domain type.
///
/// # Errors
/// When the parameter is missing or invalid.
pub fn required_query<T>(
    req: &Request,
    name: &'static str,
    parse: impl Fn(String) -> Result<T, InvalidValue>,
) -> Result<T, ApiError> {
    let raw = query(req, name)
        .ok_or_else(|| InvalidValue::new(name, "is required in the query string"))?;
    Ok(parse(raw)?)
}

/// An optional boolean query parameter: `true` or `false`.
///
/// # Errors
/// When present with any other value.
pub fn bool_query(req: &Request, name: &'static str) -> Result<Option<bool>, ApiError> {
    match query(req, name).as_deref() {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(InvalidValue::new(name, "must be true or false").into()),
    }
}

/// The request body bytes, refused when too large.
///
/// # Errors
/// 413 when the body exceeds [`MAX_BODY_BYTES`].
pub fn body_bytes(req: &Request) -> Result<&[u8], ApiError> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::TooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    Ok(bytes)
}

/// A JSON body of type `T`, whose own deserialisation does all validation.
///
/// # Errors
/// 400 when the body is empty, malformed or of the wrong shape; 413 when too large.
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let bytes = body_bytes(req)?;
    if bytes.is_empty() {
        return Err(ApiError::Body("a JSON body is required".into()));
    }
    serde_json::from_slice(bytes).map_err(|e| ApiError::Body(e.to_string()))
}

/// A 200 response with a JSON body.
pub fn ok<T: Serialize>(body: &T) -> Result<Response<Body>, ApiError> {
    json(StatusCode::OK, body)
}

/// A response with a JSON body and the given status.
///
/// # Errors
/// When `body` does not serialise (a programming error, answered as 500).
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Result<Response<Body>, ApiError> {
    let text = serde_json::to_string(body).map_err(|e| ApiError::Internal(Box::new(e)))?;
    Ok(with_body(status, "application/json", text))
}

/// The problem response for an error, logging 5xx causes with their chain.
pub fn problem_response(err: &ApiError) -> Response<Body> {
    let status = err.status();
    if status.is_server_error() {
        let mut causes = Vec::new();
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            causes.push(cause.to_string());
            source = cause.source();
        }
        tracing::error!(code = err.code(), causes = ?causes, "request failed");
    } else {
        tracing::info!(code = err.code(), status = status.as_u16(), detail = %err, "request refused");
    }
    let text = serde_json::to_string(&err.problem())
        .unwrap_or_else(|_| r#"{"type":"/problems/internal_error","title":"Internal Server Error","status":500,"detail":"internal error","code":"internal_error"}"#.to_owned());
    with_body(status, "application/problem+json", text)
}

fn with_body(status: StatusCode, content_type: &'static str, text: String) -> Response<Body> {
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    response
}
