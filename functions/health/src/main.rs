//! Lambda for GET /health (liveness); the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::Health.run_lambda().await
}
