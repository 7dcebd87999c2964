//! Lambda for GET /api/v1/inventory/reorder-suggestions; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::ReorderSuggestions.run_lambda().await
}
