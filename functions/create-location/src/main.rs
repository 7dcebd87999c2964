//! Lambda for POST /api/v1/locations; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::CreateLocation.run_lambda().await
}
