//! Lambda for GET /api/v1/orders/{order_id}; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::GetOrder.run_lambda().await
}
