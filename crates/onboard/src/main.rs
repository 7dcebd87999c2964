//! `inventory-csv`: import locations, a catalog and store inventory from CSV into any
//! environment's tables, or export a store's inventory to CSV (see `inventory_onboard::cli`).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    std::process::ExitCode::from(inventory_onboard::cli::run(std::env::args_os()).await)
}
