//! Lambda for GET /api/v1/inventory/barcode/{barcode}; the logic lives in `inventory::api`.

use inventory::endpoints::Endpoint;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Endpoint::LookupBarcode.run_lambda().await
}
