//! Lambda for POST /api/v1/products; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::CreateProduct.run_lambda().await
}
