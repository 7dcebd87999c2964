//! Lambda for POST /api/v1/orders/{order_id}/status; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::ChangeOrderStatus.run_lambda().await
}
