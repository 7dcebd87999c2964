//! `inventory-local`: set up DynamoDB Local from template.yaml and serve the API on 127.0.0.1.

use clap::{Parser, Subcommand};
use inventory::db::{local_client, Db, Tables};
use inventory::domain::{ProductId, StoreId};
use inventory::App;
use inventory_local::auth::{DevKeys, TokenSpec};
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
    /// Prefix for table names, to run beside other data (the fuzz run uses its own tables).
    #[arg(long, global = true, default_value = "")]
    table_prefix: String,
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
    /// Measure the hot paths through the gateway's router against DynamoDB Local.
    Bench {
        #[arg(long, default_value_t = 300)]
        requests: usize,
    },
    /// Copy the catalog fields (name, brand, category, unit, barcode) onto inventory rows that
    /// lack them, in pages of 100 rows (one Scan page, one BatchGetItem, one conditional update
    /// per row to fill). Safe to repeat: rows already filled are skipped, and no field that is
    /// there is overwritten.
    BackfillCatalogFields {
        /// Stop after this many pages (100 rows each); the report's `resume_after` says where
        /// the next run goes on.
        #[arg(long, default_value_t = 100)]
        max_pages: usize,
        /// Go on after this row (`STORE_ID/PRODUCT_ID`, a previous run's `resume_after`).
        #[arg(long, value_parser = parse_row_key)]
        resume_after: Option<(StoreId, ProductId)>,
        /// Use the real AWS account (the default credential chain and region) instead of
        /// `--endpoint`. Table names come from PRODUCTS_TABLE, INVENTORY_TABLE, LEDGER_TABLE and ORDERS_TABLE
        /// when set, else from the template (with `--table-prefix`).
        #[arg(long)]
        aws: bool,
    },
    /// Print a dev token signed with the local key (created on first use in .local/dev-jwt).
    Token {
        /// Comma-separated roles: admin, store_manager, staff, service.
        #[arg(long, default_value = "staff")]
        role: String,
        /// Comma-separated store ids the token covers.
        #[arg(long, default_value = "")]
        stores: String,
        /// The token's subject: the actor recorded in the ledger.
        #[arg(long, default_value = "dev-user")]
        subject: String,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 12 * 3600)]
        ttl: i64,
    },
}

fn parse_row_key(raw: &str) -> Result<(StoreId, ProductId), String> {
    let (store, product) = raw.split_once('/').ok_or("expected STORE_ID/PRODUCT_ID")?;
    Ok((
        StoreId::parse(store).map_err(|e| e.to_string())?,
        ProductId::parse(product).map_err(|e| e.to_string())?,
    ))
}

fn keys() -> Result<DevKeys, inventory_local::auth::KeyError> {
    DevKeys::load_or_create(&repository_root().join(".local/dev-jwt"))
}

fn list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
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
    let names = TableNames::for_template(&template, &cli.table_prefix);
    if let Command::Token {
        role,
        stores,
        subject,
        ttl,
    } = &cli.command
    {
        let spec = TokenSpec {
            subject: subject.clone(),
            roles: list(role),
            stores: list(stores),
            audience: template.jwt_audience().to_owned(),
            ttl_seconds: *ttl,
        };
        println!("{}", keys()?.sign(&spec.claims())?);
        return Ok(());
    }
    if let Command::BackfillCatalogFields {
        max_pages,
        resume_after,
        aws,
    } = &cli.command
    {
        let (client, tables) = if *aws {
            let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
            let tables = Tables::from_env().or_else(|_| names.tables())?;
            (aws_sdk_dynamodb::Client::new(&config), tables)
        } else {
            (local_client(&cli.endpoint).await, names.tables()?)
        };
        let report = Db::new(client, tables)
            .backfill_catalog_fields(*max_pages, resume_after.clone())
            .await?;
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    let client = local_client(&cli.endpoint).await;
    match cli.command {
        Command::Setup { demo } => {
            create_tables(&client, &template, &cli.table_prefix).await?;
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
            let verifier = keys()?.verifier(template.jwt_audience());
            let router = gateway::router(&template, app, verifier)?;
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let listener = tokio::net::TcpListener::bind(addr).await?;
            println!(
                "serving {} routes on http://{addr}",
                template.routes().len()
            );
            axum::serve(listener, router).await?;
        }
        Command::Token { .. } | Command::BackfillCatalogFields { .. } => {}
        Command::Bench { requests } => {
            let results = inventory_local::bench::run(&cli.endpoint, requests).await?;
            println!(
                "| scenario | requests | concurrency | 2xx | req/s | p50 ms | p95 ms | p99 ms |"
            );
            println!("|---|---|---|---|---|---|---|---|");
            for r in &results {
                println!("{}", r.row());
            }
            if let Some(mib) = inventory_local::bench::peak_rss_mib() {
                println!("\npeak resident memory of the process (gateway + handlers + SDK): {mib:.1} MiB");
            }
        }
    }
    Ok(())
}
