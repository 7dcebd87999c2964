//! Lambda on the inventory, ledger and catalog streams; the logic lives in `inventory::events`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    inventory::events::run_lambda().await
}
