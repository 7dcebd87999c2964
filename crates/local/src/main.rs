//! `inventory-local`: set up DynamoDB Local from template.yaml and serve the API on 127.0.0.1.

use clap::{Parser, Subcommand};
use inventory::db::{local_client, Db};
use inventory::App;
use inventory_local::tables::{create_tables, TableNames};
use inventory_local::template::{repository_root, Template};
use inventory_local::{gateway, seed};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(about = "Runs the inventory service locally against DynamoDB Local")]
struct Cli {
    /// DynamoDB Local's address.
    #[arg(
        long,
        env = "DYNAMODB_ENDPOINT",
        default_value = "http://127.0.0.1:8000",
        global = true
    )]
    endpoint: String,
    /// The SAM template that declares tables and routes.
    #[arg(long, global = true)]
    template: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the template's tables (if missing) and load the demo data (if missing).
    Setup {
        #[arg(long)]
        demo: Option<PathBuf>,
    },
    /// Serve every route of the template on 127.0.0.1.
    Serve {
        #[arg(long, default_value_t = 3000)]
        port: u16,
    },
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    let template = Template::load(
        &cli.template
            .unwrap_or_else(|| repository_root().join("template.yaml")),
    )?;
    let names = TableNames::for_template(&template, "");
    let client = local_client(&cli.endpoint).await;
    match cli.command {
        Command::Setup { demo } => {
            create_tables(&client, &template, "").await?;
            let (catalog, inventory) =
                seed::load_demo(&demo.unwrap_or_else(|| repository_root().join("demo")))?;
            let report = seed::seed(&client, &names.tables()?, &catalog, &inventory).await?;
            println!(
                "tables ready; demo data: {} written, {} already present ({} products, {} inventory rows)",
                report.written,
                report.already_present,
                catalog.len(),
                inventory.len()
            );
        }
        Command::Serve { port } => {
            let app = App::new(Db::new(client, names.tables()?));
            let router = gateway::router(&template, app)?;
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let listener = tokio::net::TcpListener::bind(addr).await?;
            println!(
                "serving {} routes on http://{addr}",
                template.routes().len()
            );
            axum::serve(listener, router).await?;
        }
    }
    Ok(())
}
