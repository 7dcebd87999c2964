//! Lambda for POST /api/v1/inventory/reserve; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::ReserveStock.run_lambda().await
}
