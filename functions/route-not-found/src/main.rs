//! Lambda for every unmatched route ($default); the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::RouteNotFound.run_lambda().await
}
