//! Lambda for POST /api/v1/inventory/bulk; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::BulkUpdateStock.run_lambda().await
}
