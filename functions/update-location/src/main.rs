//! Lambda for PUT /api/v1/locations/{location_id}; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::UpdateLocation.run_lambda().await
}
