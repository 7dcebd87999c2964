//! Health: liveness (the function runs) and readiness (its tables are there).

use crate::auth::Caller;
use crate::http::{ApiError, Reply};
use crate::App;
use serde_json::json;

/// `GET /health`: the function starts and answers; no DynamoDB call.
pub async fn health(_app: &App, _caller: &Caller, _cmd: ()) -> Result<Reply, ApiError> {
    Reply::ok(&json!({ "status": "ok" }))
}

/// `GET /health/ready`: DescribeTable on every table the service uses; 503 naming (by role,
/// not by deployed name) the tables that are missing.
pub async fn health_ready(app: &App, _caller: &Caller, _cmd: ()) -> Result<Reply, ApiError> {
    let missing = app.db.missing_tables().await?;
    if missing.is_empty() {
        Reply::ok(&json!({ "status": "ready" }))
    } else {
        Err(ApiError::NotReady { missing })
    }
}
