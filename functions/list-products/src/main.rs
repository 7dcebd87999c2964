//! Lambda for GET /api/v1/inventory/products; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::ListProducts.run_lambda().await
}
