//! HTTP glue, and nothing above it: reading a request into domain values, writing JSON replies,
//! and [`ApiError`], the one place errors become problem documents. This module is a leaf: it
//! knows the domain's value types, never the endpoints (`api`) or who is calling (`auth`).

mod error;

pub use error::{ApiError, Problem};

use crate::domain::InvalidValue;
use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The largest request body accepted; API Gateway allows more, we need far less.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A whole request parsed into one typed command before anything else happens: path, query,
/// body and headers are read here once, and the handler then works on the command alone.
pub trait FromRequest: Sized {
    /// # Errors
    /// 400 (or 413) when any part of the request is missing, malformed or out of range.
    fn from_request(req: &Request) -> Result<Self, ApiError>;
}

/// A request that needs nothing from the request (`GET /units`).
impl FromRequest for () {
    fn from_request(_req: &Request) -> Result<Self, ApiError> {
        Ok(())
    }
}

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

/// An optional query parameter, parsed into its domain type.
///
/// # Errors
/// When present and invalid.
pub fn optional_query<T>(
    req: &Request,
    name: &'static str,
    parse: impl Fn(String) -> Result<T, InvalidValue>,
) -> Result<Option<T>, ApiError> {
    Ok(query(req, name).map(parse).transpose()?)
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

/// A request header, as text (names are case-insensitive).
pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The bearer token of the `Authorization` header, if there is one.
pub fn bearer_token(req: &Request) -> Option<String> {
    let value = header(req, "authorization")?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
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

/// How long, and by whom, a reply may be kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cache {
    /// Never kept: the back office's answers, and every write.
    NoStore,
    /// Kept by anyone (browsers, CDNs) for `max_age` seconds: the storefront's view. Stock moves,
    /// so the age is short; `Vary: Authorization` keeps it apart from signed-in answers.
    Public { max_age: u32 },
    /// The back-office view of a public route: for the signed-in caller only, never shared.
    Private,
}

/// What a handler answers: a status, a JSON body, and its cache policy.
#[derive(Debug)]
pub struct Reply {
    status: StatusCode,
    body: String,
    cache: Cache,
}

impl Reply {
    /// 200 with `body`.
    ///
    /// # Errors
    /// When `body` does not serialise (a programming error, answered as 500).
    pub fn ok<T: Serialize>(body: &T) -> Result<Self, ApiError> {
        Self::with_status(StatusCode::OK, body)
    }

    /// `status` with `body`.
    ///
    /// # Errors
    /// When `body` does not serialise (a programming error, answered as 500).
    pub fn with_status<T: Serialize>(status: StatusCode, body: &T) -> Result<Self, ApiError> {
        let body = serde_json::to_string(body).map_err(|e| ApiError::Internal(Box::new(e)))?;
        Ok(Self {
            status,
            body,
            cache: Cache::NoStore,
        })
    }

    #[must_use]
    pub fn cached(mut self, cache: Cache) -> Self {
        self.cache = cache;
        self
    }

    pub fn into_response(self) -> Response<Body> {
        let mut response = with_body(self.status, "application/json", self.body);
        let headers = response.headers_mut();
        let cache_control = match self.cache {
            Cache::NoStore => "no-store".to_owned(),
            Cache::Private => "private, no-store".to_owned(),
            Cache::Public { max_age } => format!("public, max-age={max_age}"),
        };
        if let Ok(value) = HeaderValue::from_str(&cache_control) {
            headers.insert(header::CACHE_CONTROL, value);
        }
        if self.cache != Cache::NoStore {
            headers.insert(header::VARY, HeaderValue::from_static("Authorization"));
        }
        response
    }
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
    let mut response = with_body(status, "application/problem+json", text);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
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
