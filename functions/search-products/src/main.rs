//! Lambda for GET /api/v1/inventory/search; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::SearchProducts.run_lambda().await
}
