//! Lambda for GET /api/v1/locations/types/{type}; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::ListLocationsOfType.run_lambda().await
}
