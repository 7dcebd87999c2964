//! Lambda for PUT /api/v1/inventory/products/{store_id}/{product_id}/stock; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::UpdateStock.run_lambda().await
}
