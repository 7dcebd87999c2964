//! Lambda for GET /api/v1/inventory/categories; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::ListCategories.run_lambda().await
}
