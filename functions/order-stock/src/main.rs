//! Lambda for the order Lambda's direct invocations; the logic lives in `inventory::orders`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    inventory::orders::run_lambda().await
}
