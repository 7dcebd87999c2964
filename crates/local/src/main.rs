//! `inventory-local`: set up DynamoDB Local from template.yaml and serve the API on 127.0.0.1.

use clap::{Parser, Subcommand};
use inventory::db::{local_client, Db, Tables};
use inventory::domain::{ProductId, StoreId};
use inventory::App;
use inventory_local::auth::{DevKeys, TokenSpec};
use inventory_local::lambda::{LambdaCommand, LocalLambda};
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
    /// Create the template's tables (if missing) and load the demo data (demo/*.csv) with the
    /// onboarding tool's import (rows already there are left alone).
    Setup {
        #[arg(long)]
        demo: Option<PathBuf>,
    },
    /// Serve every route of the template on 127.0.0.1.
    Serve {
        #[arg(long, default_value_t = 3000)]
        port: u16,
    },
    /// Measure the functions as Lambda runs them, beside their floors and the Python peer, and
    /// write bench/REPORT.md and bench/report.json.
    Bench {
        /// Requests per scenario through the gateway router.
        #[arg(long, default_value_t = 300)]
        requests: usize,
        /// Fresh processes per cold-start measurement.
        #[arg(long, default_value_t = 5)]
        starts: usize,
        /// Warm invocations per function.
        #[arg(long, default_value_t = 1000)]
        warm: usize,
        /// Requests per hot-row design and concurrency.
        #[arg(long, default_value_t = 400)]
        hot_requests: usize,
        /// Seconds any one loop may run.
        #[arg(long, default_value_t = 60)]
        time_limit: u64,
        /// Release builds of the functions and hello-lambda.
        #[arg(long)]
        release_dir: Option<PathBuf>,
        /// Python 3.12 with awslambdaric and boto3.
        #[arg(long)]
        peer_python: Option<PathBuf>,
        /// Where REPORT.md and report.json go.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run one function's real binary under a local Lambda Runtime API with a sample event, and
    /// print its response: `sam local invoke` without Docker. Creates the tables and loads the
    /// demo data first (both only if missing).
    Invoke {
        /// The function, as named under functions/ (e.g. update-stock).
        function: String,
        /// The event file (default: events/<function>.json).
        #[arg(long)]
        event: Option<PathBuf>,
        /// Where the function binaries are (`cargo build` puts them in target/debug).
        #[arg(long)]
        bin_dir: Option<PathBuf>,
        /// Seconds to wait for init and for the answer (template.yaml's Timeout is 25).
        #[arg(long, default_value_t = 30)]
        timeout: u64,
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
            let dir = demo.unwrap_or_else(|| repository_root().join("demo"));
            let report = seed::import_demo(&client, &names.tables()?, &dir).await?;
            println!(
                "tables ready; demo data imported from {}: {} written, {} already present",
                dir.display(),
                report.written(),
                report.exists(),
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
        Command::Invoke {
            function,
            event,
            bin_dir,
            timeout,
        } => {
            create_tables(&client, &template, &cli.table_prefix).await?;
            seed::import_demo(&client, &names.tables()?, &repository_root().join("demo")).await?;
            let event = event.unwrap_or_else(|| {
                repository_root()
                    .join("events")
                    .join(format!("{function}.json"))
            });
            let payload = std::fs::read(&event)
                .map_err(|e| format!("cannot read {}: {e}", event.display()))?;
            let bin_dir = bin_dir.unwrap_or_else(|| repository_root().join("target/debug"));
            let mut command = LambdaCommand::function(
                &bin_dir,
                &function,
                &template,
                &cli.table_prefix,
                &cli.endpoint,
            );
            command.show_logs = true;
            if !command.program.exists() {
                return Err(format!(
                    "{} does not exist; build it with `cargo build -p {function}`",
                    command.program.display()
                )
                .into());
            }
            let limit = std::time::Duration::from_secs(timeout);
            let lambda = LocalLambda::start(&command).await?;
            let init = lambda.init_duration(limit).await?;
            let started = std::time::Instant::now();
            let outcome = lambda.invoke(payload, limit).await?;
            let duration = started.elapsed();
            let peak = lambda.peak_rss_kib();
            lambda.stop().await;
            let body = outcome.body();
            match serde_json::from_slice::<serde_json::Value>(body) {
                Ok(json) => println!("{}", serde_json::to_string_pretty(&json)?),
                Err(_) => println!("{}", String::from_utf8_lossy(body)),
            }
            eprintln!(
                "REPORT {function}: init {:.1} ms, duration {:.1} ms, max memory used {} MB",
                init.as_secs_f64() * 1000.0,
                duration.as_secs_f64() * 1000.0,
                peak.map_or_else(|| "?".into(), |kib| (kib / 1024).to_string()),
            );
            if let inventory_local::runtime_api::Outcome::Error { error_type, .. } = outcome {
                return Err(format!("the function reported an error: {error_type}").into());
            }
        }
        Command::Bench {
            requests,
            starts,
            warm,
            hot_requests,
            time_limit,
            release_dir,
            peer_python,
            out,
        } => {
            let root = repository_root();
            let settings = inventory_local::bench::Settings {
                endpoint: cli.endpoint.clone(),
                release_dir: release_dir.unwrap_or_else(|| root.join("target/release")),
                peer_python: peer_python
                    .unwrap_or_else(|| root.join("bench/.venv-peer/bin/python")),
                starts,
                warm_invocations: warm,
                hot_requests,
                time_limit: std::time::Duration::from_secs(time_limit),
                out_dir: out.unwrap_or_else(|| root.join("bench")),
            };
            let command = std::env::args().collect::<Vec<_>>().join(" ");
            let command = command
                .rsplit_once("target/")
                .map_or(command.clone(), |(_, rest)| format!("target/{rest}"));
            let out_dir = settings.out_dir.clone();
            let run = inventory_local::bench::measure(settings, requests, command).await?;
            let targets = inventory_local::bench::report::targets(&run);
            let markdown = inventory_local::bench::report::markdown(&run, &targets);
            std::fs::create_dir_all(&out_dir)?;
            std::fs::write(out_dir.join("REPORT.md"), &markdown)?;
            std::fs::write(
                out_dir.join("report.json"),
                serde_json::to_string_pretty(&inventory_local::bench::report::json(
                    &run, &targets,
                ))?,
            )?;
            println!("{markdown}");
        }
    }
    Ok(())
}
