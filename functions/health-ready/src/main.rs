//! Lambda for GET /health/ready (readiness); the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::HealthReady.run_lambda().await
}
