//! Lambda for GET /api/v1/inventory/history/{store_id}/{product_id}; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::StockHistory.run_lambda().await
}
