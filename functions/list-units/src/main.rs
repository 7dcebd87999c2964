//! Lambda for GET /api/v1/inventory/units; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::ListUnits.run_lambda().await
}
