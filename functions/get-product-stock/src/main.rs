//! Lambda for GET /api/v1/inventory/{product_id}; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::GetProductStock.run_lambda().await
}
