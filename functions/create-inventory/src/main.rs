//! Lambda for POST /api/v1/inventory; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::CreateInventory.run_lambda().await
}
