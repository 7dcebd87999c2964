//! Lambda for the every-minute expiry sweep; the logic lives in `inventory::expiry`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    inventory::expiry::run_lambda().await
}
