//! Lambda for POST /api/v1/inventory/adjust; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::AdjustStock.run_lambda().await
}
