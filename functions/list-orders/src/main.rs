//! Lambda for GET /api/v1/orders; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::ListOrders.run_lambda().await
}
