//! Lambda for PUT /api/v1/products/{product_id}; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::UpdateProduct.run_lambda().await
}
