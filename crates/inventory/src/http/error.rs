//! The one place where errors become HTTP responses, as RFC 9457 problem details.

use crate::domain::InvalidValue;
use lambda_http::http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value};

/// Everything a request can fail with. Each variant's status is in [`ApiError::status`].
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: a parameter, query value or body field is missing, ill-typed or out of range.
    #[error("{0}")]
    Invalid(#[from] InvalidValue),
    /// 400: the body is not JSON of the expected shape.
    #[error("request body is invalid: {0}")]
    Body(String),
    /// 400: one line of a multi-line body (a bulk request) is ill-typed or out of range; the
    /// whole request is refused. `field` names the line and its field, as `lines[3].reason`.
    #[error("{field}: {problem}")]
    InvalidLine {
        index: usize,
        field: String,
        problem: String,
    },
    /// 401: no token, or a token without a usable identity.
    #[error("{0}")]
    Unauthenticated(String),
    /// 403: a valid token whose roles or stores do not cover the request.
    #[error("{0}")]
    Forbidden(String),
    /// 404: the store, product or other resource does not exist.
    #[error("{detail}")]
    NotFound { code: &'static str, detail: String },
    /// 404: no route matches the method and path.
    #[error("no route matches {method} {path}")]
    NoRoute { method: String, path: String },
    /// 409: the request is valid but conflicts with the current state; `state` tells it.
    #[error("{detail}")]
    Conflict {
        code: &'static str,
        detail: String,
        state: Map<String, Value>,
    },
    /// 413: the body is larger than we accept.
    #[error("request body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    /// 503: DynamoDB is throttling; the client may retry.
    #[error("the service is busy, retry shortly")]
    Busy(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// 503: a table the service needs is missing (`/health/ready`); names them by role.
    #[error("not ready: tables missing: {}", .missing.join(", "))]
    NotReady { missing: Vec<&'static str> },
    /// 503: too many writers on the same rows at once; the client may retry.
    #[error("the stock rows are busy with other changes, retry shortly")]
    Contended,
    /// 500: a fault of ours or of DynamoDB. Logged with its cause, never described to the client.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn not_found(code: &'static str, detail: impl Into<String>) -> Self {
        Self::NotFound {
            code,
            detail: detail.into(),
        }
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>, state: impl Serialize) -> Self {
        let state = match serde_json::to_value(state) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        Self::Conflict {
            code,
            detail: detail.into(),
            state,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Invalid(_) | Self::Body(_) | Self::InvalidLine { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound { .. } | Self::NoRoute { .. } => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Busy(_) | Self::Contended | Self::NotReady { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A stable, machine-readable name for the problem; clients switch on this, not on `detail`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) | Self::InvalidLine { .. } => "invalid_parameter",
            Self::Body(_) => "invalid_body",
            Self::Unauthenticated(_) => "unauthenticated",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound { code, .. } | Self::Conflict { code, .. } => code,
            Self::NoRoute { .. } => "route_not_found",
            Self::TooLarge { .. } => "payload_too_large",
            Self::Busy(_) | Self::Contended => "service_busy",
            Self::NotReady { .. } => "not_ready",
            Self::Internal(_) => "internal_error",
        }
    }

    /// The problem document sent to the client.
    pub fn problem(&self) -> Problem {
        let status = self.status();
        let mut extra = Map::new();
        if let Self::Conflict { state, .. } = self {
            extra.clone_from(state);
            // The problem's own members win over state of the same name.
            for member in ["type", "title", "status", "detail", "code"] {
                extra.remove(member);
            }
        }
        if let Self::NotReady { missing } = self {
            extra.insert("missing_tables".into(), serde_json::json!(missing));
        }
        if let Self::Invalid(invalid) = self {
            extra.insert("field".into(), Value::String(invalid.field.into()));
        }
        if let Self::InvalidLine { index, field, .. } = self {
            extra.insert("field".into(), Value::String(field.clone()));
            extra.insert("line_index".into(), Value::from(*index));
        }
        Problem {
            r#type: format!("/problems/{}", self.code()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.to_string(),
            code: self.code(),
            extra,
        }
    }
}

/// An `application/problem+json` body: `type`, `title`, `status`, `detail`, `code`, and for
/// some problems the state that explains them (a 409 carries the current stock).
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub r#type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: &'static str,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
