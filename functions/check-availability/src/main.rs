//! Lambda for GET /api/v1/inventory/products/{store_id}/{product_id}/availability; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::CheckAvailability.run_lambda().await
}
