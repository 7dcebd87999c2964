//! Lambda for GET /api/v1/inventory/summary; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::StockSummary.run_lambda().await
}
