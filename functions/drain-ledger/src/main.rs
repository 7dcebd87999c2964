//! Lambda on the inventory stream and a one-minute schedule: writes the ledger rows of movements
//! waiting on inventory rows. The logic lives in `inventory::drain`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    inventory::drain::run_lambda().await
}
