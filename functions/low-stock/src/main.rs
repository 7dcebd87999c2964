//! Lambda for GET /api/v1/inventory/low-stock; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::LowStock.run_lambda().await
}
