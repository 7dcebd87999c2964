//! Lambda for PATCH /api/v1/inventory/products/{store_id}/{product_id}; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::UpdateInventorySettings.run_lambda().await
}
