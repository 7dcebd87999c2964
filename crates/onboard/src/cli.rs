//! The `inventory-csv` command line: arguments, the summary, rejections on stderr, exit codes.

use crate::export::export_store;
use crate::import::{import, ImportOptions, ImportReport};
use clap::{Parser, Subcommand};
use inventory::db::{Db, Tables};
use inventory::domain::{Actor, StoreId};
use std::path::PathBuf;

/// Every row was imported or was already there.
pub const EXIT_OK: u8 = 0;
/// The run failed (a file, the state file or DynamoDB); what was done before stays done.
pub const EXIT_FAILED: u8 = 1;
/// The arguments were wrong (clap's own code).
pub const EXIT_USAGE: u8 = 2;
/// Some rows were rejected (each is listed on stderr); the rest were imported.
pub const EXIT_REJECTED: u8 = 3;
/// `--stop-after` stopped the run; run it again (with the same `--state`) to go on.
pub const EXIT_STOPPED: u8 = 4;

#[derive(Parser)]
#[command(
    name = "inventory-csv",
    about = "Onboard and offboard stores: import locations, a catalog and inventory from CSV; export a store to CSV",
    after_help = "Exit codes: 0 all rows imported (or already there), 1 the run failed, 2 wrong arguments, 3 some rows were rejected (listed on stderr), 4 stopped by --stop-after."
)]
struct Cli {
    /// DynamoDB endpoint, e.g. http://127.0.0.1:8000 for DynamoDB Local (dummy credentials).
    /// Without it, the standard AWS chain gives credentials and region.
    #[arg(long, env = "DYNAMODB_ENDPOINT", global = true)]
    endpoint_url: Option<String>,
    /// AWS region (default: the standard chain's; us-east-1 for DynamoDB Local).
    #[arg(long, env = "AWS_REGION", global = true)]
    region: Option<String>,
    #[arg(
        long,
        env = "PRODUCTS_TABLE",
        default_value = "global-products",
        global = true
    )]
    products_table: String,
    #[arg(
        long,
        env = "INVENTORY_TABLE",
        default_value = "store-inventory",
        global = true
    )]
    inventory_table: String,
    /// Ledger movements, barcode guards and locations.
    #[arg(
        long,
        env = "LEDGER_TABLE",
        default_value = "inventory-ledger",
        global = true
    )]
    ledger_table: String,
    /// No progress bar, no summary on stdout.
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import the given files, in the order locations, catalog, inventory. Rows already in the
    /// tables are reported as existing and left alone, so a rerun duplicates nothing.
    Import {
        /// location_id,location_type,name,address
        #[arg(long)]
        locations: Option<PathBuf>,
        /// product_id,name,brand,barcode,mrp,category,unit,description,image_url
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// store_id,product_id,current_stock,selling_price,cost_price,min_stock_level,
        /// reorder_point,max_stock_level,reorder_quantity,lead_time_days,location
        #[arg(long)]
        inventory: Option<PathBuf>,
        /// Checkpoint file: each file's hash and last line done; a rerun skips to there.
        #[arg(long)]
        state: Option<PathBuf>,
        /// Also write the rejected rows (file,line,reason) to this CSV.
        #[arg(long)]
        rejects: Option<PathBuf>,
        /// Recorded as the actor of every opening-stock ledger movement.
        #[arg(long, env = "USER", default_value = "inventory-csv")]
        actor: String,
        /// Stop after this many rows (whole batches): simulates an interruption.
        #[arg(long, hide = true)]
        stop_after: Option<u64>,
    },
    /// Write a store's inventory as CSV (the import's columns) to a file or stdout.
    Export {
        #[arg(long)]
        store_id: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Runs the tool on `args` (the program name first) and answers its exit code.
pub async fn run<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let usage = e.use_stderr();
            let _ = e.print();
            return if usage { EXIT_USAGE } else { EXIT_OK };
        }
    };
    match execute(cli).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("inventory-csv: {error}");
            EXIT_FAILED
        }
    }
}

async fn execute(cli: Cli) -> Result<u8, Box<dyn std::error::Error>> {
    let db = Db::new(
        crate::client(cli.endpoint_url.as_deref(), cli.region.clone()).await,
        Tables {
            products: cli.products_table,
            inventory: cli.inventory_table,
            ledger: cli.ledger_table,
            orders: String::new(),
        },
    );
    match cli.command {
        Command::Import {
            locations,
            catalog,
            inventory,
            state,
            rejects,
            actor,
            stop_after,
        } => {
            if locations.is_none() && catalog.is_none() && inventory.is_none() {
                return Err("name at least one of --locations, --catalog, --inventory".into());
            }
            let mut options = ImportOptions::new(Actor::parse(actor)?);
            options.locations = locations;
            options.catalog = catalog;
            options.inventory = inventory;
            options.state = state;
            options.stop_after = stop_after;
            options.progress = !cli.quiet;
            let report = import(&db, db.client(), &options, chrono::Utc::now()).await?;
            for r in &report.rejections {
                eprintln!("rejected {}:{}: {}", r.file, r.line, r.reason);
            }
            if let Some(path) = rejects {
                crate::write_rejects(&path, &report.rejections)?;
            }
            if !cli.quiet {
                print_summary(&report);
            }
            Ok(if report.stopped_early {
                EXIT_STOPPED
            } else if report.rejected() > 0 {
                eprintln!(
                    "inventory-csv: {} rows rejected (exit code {EXIT_REJECTED})",
                    report.rejected()
                );
                EXIT_REJECTED
            } else {
                EXIT_OK
            })
        }
        Command::Export { store_id, out } => {
            let store = StoreId::parse(store_id)?;
            let report = match &out {
                Some(path) => {
                    let file = std::fs::File::create(path)
                        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                    export_store(&db, &store, std::io::BufWriter::new(file)).await?
                }
                None => export_store(&db, &store, std::io::stdout().lock()).await?,
            };
            if !cli.quiet {
                eprintln!(
                    "exported {} rows of {store} ({} pages)",
                    report.rows, report.pages
                );
            }
            Ok(EXIT_OK)
        }
    }
}

fn print_summary(report: &ImportReport) {
    for f in &report.files {
        println!(
            "{}: {} rows: {} written, {} already there, {} rejected, {} done by an earlier run",
            f.path, f.rows, f.written, f.exists, f.rejected, f.done_before
        );
    }
    if report.retried_items > 0 {
        println!(
            "{} unprocessed items were retried and written",
            report.retried_items
        );
    }
}
