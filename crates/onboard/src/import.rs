//! The import: locations, then the catalog, then store inventory, each file read as a stream in
//! batches of [`BATCH_ROWS`] valid rows.
//!
//! Each batch first reads what it would write (one BatchGetItem, strongly consistent), so a row
//! that is already there is reported `exists` and never overwritten (its stock may have moved
//! since), and a rerun after any interruption duplicates nothing. Then:
//! - catalog products and their `BARCODE#` guards go in BatchWriteItem calls (25 items each),
//!   unprocessed items retried with a bounded backoff;
//! - inventory rows go in one TransactWriteItems per batch, each row with its first ledger
//!   movement (seq 1): the service's promise that no stock exists without its ledger row holds
//!   for imported stock too, which BatchWriteItem (no transaction) could not keep.

use crate::batch::{self, BatchWriter, WriteStats};
use crate::checkpoint::{sha256_of, Checkpoint};
use crate::rows::{CatalogRow, Header, InventoryRow, Kind, LocationRow};
use crate::ImportError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use inventory::db::item::{from_item, s, Item};
use inventory::db::{Db, LocationWrite, NewRow, Product};
use inventory::domain::{Actor, Barcode, ProductId, Reason, Reference, StoreId};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Valid rows per batch: one BatchGetItem of at most 50 keys, then (inventory) one
/// TransactWriteItems of 50 actions, under DynamoDB's 100.
pub const BATCH_ROWS: usize = 25;
/// Attempts at one inventory batch's transaction when other writers conflict with it.
const TRANSACTION_ATTEMPTS: usize = 8;
/// Concurrent `barcode-index` look-ups for barcodes that have no guard yet.
const LEGACY_LOOKUPS: usize = 8;

/// What to import, and how.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub locations: Option<PathBuf>,
    pub catalog: Option<PathBuf>,
    pub inventory: Option<PathBuf>,
    /// The checkpoint file; without it every run starts at line 2 (and still skips what exists).
    pub state: Option<PathBuf>,
    /// Stop once this many rows were handled in this run (a test's interruption).
    pub stop_after: Option<u64>,
    /// Recorded on every ledger movement the import writes.
    pub actor: Actor,
    /// Draw a progress bar on stderr (indicatif hides it anyway when stderr is not a terminal).
    pub progress: bool,
}

impl ImportOptions {
    pub fn new(actor: Actor) -> Self {
        Self {
            locations: None,
            catalog: None,
            inventory: None,
            state: None,
            stop_after: None,
            actor,
            progress: false,
        }
    }
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub file: String,
    /// 1-based; the header is line 1.
    pub line: u64,
    pub reason: String,
}

/// What happened to one file's rows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileReport {
    pub kind: &'static str,
    pub path: String,
    /// Data lines read (not the header).
    pub rows: u64,
    pub written: u64,
    /// Already in the table, left as it is.
    pub exists: u64,
    pub rejected: u64,
    /// Valid rows at or before the checkpoint's line, handled by an earlier run.
    pub done_before: u64,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub files: Vec<FileReport>,
    pub rejections: Vec<Rejection>,
    pub batch_write_calls: u64,
    /// Items DynamoDB left unprocessed and the import sent again (all of them were written).
    pub retried_items: u64,
    /// The run stopped at `stop_after` before the end of its files.
    pub stopped_early: bool,
}

impl ImportReport {
    pub fn rejected(&self) -> u64 {
        self.files.iter().map(|f| f.rejected).sum()
    }

    pub fn written(&self) -> u64 {
        self.files.iter().map(|f| f.written).sum()
    }

    pub fn exists(&self) -> u64 {
        self.files.iter().map(|f| f.exists).sum()
    }
}

/// Imports the files `options` names (locations, then catalog, then inventory) through `db`'s
/// tables, sending batch writes through `writer` (the client itself, or a test's seam).
///
/// # Errors
/// On an unreadable file or header, a changed file under the same state, or a DynamoDB
/// failure. Rejected rows are in the report, not errors.
pub async fn import<W: BatchWriter>(
    db: &Db,
    writer: &W,
    options: &ImportOptions,
    now: DateTime<Utc>,
) -> Result<ImportReport, ImportError> {
    let checkpoint = match &options.state {
        Some(path) => Checkpoint::load(path)?,
        None => Checkpoint::default(),
    };
    let mut run = Run {
        db,
        writer,
        options,
        now,
        checkpoint,
        report: ImportReport::default(),
        stats: WriteStats::default(),
        handled: 0,
        locations: HashMap::new(),
    };
    let files = [
        (Kind::Locations, &options.locations),
        (Kind::Catalog, &options.catalog),
        (Kind::Inventory, &options.inventory),
    ];
    for (kind, path) in files {
        let Some(path) = path else { continue };
        if run.file(kind, path).await? {
            run.report.stopped_early = true;
            break;
        }
    }
    run.report.batch_write_calls = run.stats.calls;
    run.report.retried_items = run.stats.retried_items;
    Ok(run.report)
}

enum Parsed {
    Location(LocationRow),
    Catalog(CatalogRow),
    Inventory(InventoryRow),
}

/// What earlier lines of the same file hold, for duplicate detection.
#[derive(Default)]
struct Seen {
    ids: HashMap<String, u64>,
    barcodes: HashMap<String, (u64, ProductId)>,
}

impl Seen {
    /// Refuses a row whose key (or barcode) an earlier line of the file already has.
    fn check(&mut self, line: u64, row: &Parsed) -> Result<(), String> {
        let (what, key) = match row {
            Parsed::Location(r) => ("location_id", r.location_id.to_string()),
            Parsed::Catalog(r) => ("product_id", r.product_id.to_string()),
            Parsed::Inventory(r) => (
                "store_id and product_id",
                format!("{}/{}", r.store_id, r.product_id),
            ),
        };
        if let Some(first) = self.ids.get(&key) {
            return Err(format!("{what} {key} repeats line {first}"));
        }
        if let Parsed::Catalog(r) = row {
            if let Some(barcode) = &r.fields.barcode {
                if let Some((first, owner)) = self.barcodes.get(barcode.as_str()) {
                    return Err(format!(
                        "barcode {barcode} repeats line {first} (product {owner}): barcodes are unique across the catalog"
                    ));
                }
                self.barcodes
                    .insert(barcode.to_string(), (line, r.product_id.clone()));
            }
        }
        self.ids.insert(key, line);
        Ok(())
    }
}

struct Run<'a, W> {
    db: &'a Db,
    writer: &'a W,
    options: &'a ImportOptions,
    now: DateTime<Utc>,
    checkpoint: Checkpoint,
    report: ImportReport,
    stats: WriteStats,
    /// Rows handled (written, found, or refused against the tables) in this run.
    handled: u64,
    /// Each store's location as read once: `Some(active)`, or `None` when unknown.
    locations: HashMap<StoreId, Option<bool>>,
}

/// How one batch's rows ended.
#[derive(Default)]
struct Outcome {
    written: u64,
    exists: u64,
    rejected: Vec<(u64, String)>,
}

impl<W: BatchWriter> Run<'_, W> {
    /// Imports one file; true when the run stopped early.
    async fn file(&mut self, kind: Kind, path: &Path) -> Result<bool, ImportError> {
        let sha = sha256_of(path)?;
        let after = self.checkpoint.resume_after(kind, path, &sha)?;
        let file = std::fs::File::open(path).map_err(|e| ImportError::io(path, e))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(std::io::BufReader::new(file));
        let csv_error = |message: String| ImportError::Csv {
            path: path.to_owned(),
            message,
        };
        let mut record = csv::StringRecord::new();
        if !reader
            .read_record(&mut record)
            .map_err(|e| csv_error(format!("line 1: {e}")))?
        {
            return Err(csv_error("is empty: line 1 must be the header".into()));
        }
        let header = Header::parse(kind, &record).map_err(|m| csv_error(format!("line 1: {m}")))?;
        let bar = if self.options.progress {
            let bar = ProgressBar::new(size);
            bar.set_style(
                ProgressStyle::with_template("{prefix:>9} [{bar:30}] {percent:>3}% {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_prefix(kind.name());
            bar
        } else {
            ProgressBar::hidden()
        };
        let name = path.display().to_string();
        let mut file_report = FileReport {
            kind: kind.name(),
            path: name.clone(),
            ..FileReport::default()
        };
        let mut seen = Seen::default();
        let mut pending: Vec<(u64, Parsed)> = Vec::new();
        let mut last_line = 1;
        let mut stopped = false;
        loop {
            let line = match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => record.position().map_or(last_line + 1, |p| p.line()),
                Err(e) => match e.kind() {
                    csv::ErrorKind::Utf8 { pos, .. } => {
                        let line = pos.as_ref().map_or(last_line + 1, csv::Position::line);
                        file_report.rows += 1;
                        self.reject(&mut file_report, line, "is not valid UTF-8".into());
                        last_line = line;
                        continue;
                    }
                    _ => return Err(csv_error(e.to_string())),
                },
            };
            last_line = line;
            file_report.rows += 1;
            bar.set_position(record.position().map_or(0, csv::Position::byte));
            let parsed = header.fields(&record).and_then(|fields| {
                let row = match kind {
                    Kind::Locations => LocationRow::parse(&fields).map(Parsed::Location),
                    Kind::Catalog => CatalogRow::parse(&fields).map(Parsed::Catalog),
                    Kind::Inventory => InventoryRow::parse(&fields).map(Parsed::Inventory),
                };
                row.map_err(|e| e.to_string())
            });
            let row = match parsed.and_then(|row| seen.check(line, &row).map(|()| row)) {
                Ok(row) => row,
                Err(reason) => {
                    self.reject(&mut file_report, line, reason);
                    continue;
                }
            };
            if line <= after {
                file_report.done_before += 1;
                continue;
            }
            pending.push((line, row));
            if pending.len() == BATCH_ROWS {
                self.flush(kind, &mut pending, &mut file_report, &name)
                    .await?;
                self.mark(kind, path, &sha, line)?;
                bar.set_message(progress_message(&file_report));
                if self.options.stop_after.is_some_and(|n| self.handled >= n) {
                    stopped = true;
                    break;
                }
            }
        }
        if !stopped {
            self.flush(kind, &mut pending, &mut file_report, &name)
                .await?;
            self.mark(kind, path, &sha, last_line.max(after))?;
        }
        bar.finish_with_message(progress_message(&file_report));
        tracing::info!(
            kind = kind.name(),
            path = %name,
            rows = file_report.rows,
            written = file_report.written,
            exists = file_report.exists,
            rejected = file_report.rejected,
            done_before = file_report.done_before,
            stopped,
            "file imported"
        );
        self.report.files.push(file_report);
        Ok(stopped)
    }

    fn reject(&mut self, file: &mut FileReport, line: u64, reason: String) {
        file.rejected += 1;
        self.report.rejections.push(Rejection {
            file: file.path.clone(),
            line,
            reason,
        });
    }

    fn mark(&mut self, kind: Kind, path: &Path, sha: &str, line: u64) -> Result<(), ImportError> {
        if let Some(state) = &self.options.state {
            self.checkpoint.mark(kind, path, sha, line);
            self.checkpoint.save(state)?;
        }
        Ok(())
    }

    async fn flush(
        &mut self,
        kind: Kind,
        pending: &mut Vec<(u64, Parsed)>,
        file: &mut FileReport,
        name: &str,
    ) -> Result<(), ImportError> {
        if pending.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(pending);
        self.handled += rows.len() as u64;
        let outcome = match kind {
            Kind::Locations => self.locations(rows).await?,
            Kind::Catalog => self.catalog(rows).await?,
            Kind::Inventory => self.inventory(rows, name).await?,
        };
        file.written += outcome.written;
        file.exists += outcome.exists;
        for (line, reason) in outcome.rejected {
            self.reject(file, line, reason);
        }
        Ok(())
    }

    /// Locations are few: one conditional PutItem each ([`Db::create_location`]).
    async fn locations(&mut self, rows: Vec<(u64, Parsed)>) -> Result<Outcome, ImportError> {
        let mut outcome = Outcome::default();
        for (_, row) in rows {
            let Parsed::Location(row) = row else { continue };
            let id = row.location_id.clone();
            match self
                .db
                .create_location(id.clone(), row.fields, self.now)
                .await?
            {
                LocationWrite::Written(_) => outcome.written += 1,
                LocationWrite::Exists(_) | LocationWrite::Missing => outcome.exists += 1,
            }
            self.locations.remove(&id);
        }
        Ok(outcome)
    }

    /// Products and their barcode guards. A product that exists is left alone (its guard is
    /// written if it lacks one and holds this barcode: a run interrupted between the two, or a
    /// product from before the guards); a barcode another product holds, by its guard or (for
    /// products from before the guards) through `barcode-index`, rejects the row.
    async fn catalog(&mut self, rows: Vec<(u64, Parsed)>) -> Result<Outcome, ImportError> {
        let rows: Vec<(u64, CatalogRow)> = rows
            .into_iter()
            .filter_map(|(line, row)| match row {
                Parsed::Catalog(r) => Some((line, r)),
                _ => None,
            })
            .collect();
        let tables = self.db.tables();
        let mut keys = Vec::new();
        for (_, row) in &rows {
            keys.push((
                tables.products.clone(),
                Item::from([("product_id".to_owned(), s(row.product_id.as_str()))]),
            ));
            if let Some(barcode) = &row.fields.barcode {
                keys.push((tables.ledger.clone(), Db::barcode_guard_key(barcode)));
            }
        }
        let mut products: HashMap<String, Product> = HashMap::new();
        let mut guards: HashMap<String, String> = HashMap::new();
        for (table, item) in batch::get_all(self.db.client(), keys).await? {
            if table == tables.products {
                let product: Product = from_item(&table, item)?;
                products.insert(product.product_id.to_string(), product);
            } else {
                let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
                if let (Some(barcode), Some(owner)) = (text("barcode"), text("product_id")) {
                    guards.insert(barcode, owner);
                }
            }
        }
        let unguarded: Vec<&Barcode> = rows
            .iter()
            .filter(|(_, r)| !products.contains_key(r.product_id.as_str()))
            .filter_map(|(_, r)| r.fields.barcode.as_ref())
            .filter(|b| !guards.contains_key(b.as_str()))
            .collect();
        let db = self.db;
        let legacy: HashMap<String, String> = futures::stream::iter(unguarded)
            .map(|barcode| async move {
                let owner = db.product_by_barcode(barcode).await?;
                Ok::<_, ImportError>(owner.map(|p| (barcode.to_string(), p.product_id.to_string())))
            })
            .buffer_unordered(LEGACY_LOOKUPS)
            .try_collect::<Vec<_>>()
            .await?
            .into_iter()
            .flatten()
            .collect();
        let mut outcome = Outcome::default();
        let mut writes = Vec::new();
        let put = |table: &str, item: Item| -> Result<(String, WriteRequest), ImportError> {
            let request = PutRequest::builder()
                .set_item(Some(item))
                .build()
                .map_err(|e| ImportError::dynamodb_build("BatchWriteItem", e))?;
            Ok((
                table.to_owned(),
                WriteRequest::builder().put_request(request).build(),
            ))
        };
        for (line, row) in &rows {
            let id = row.product_id.as_str();
            let barcode = row.fields.barcode.as_ref();
            let owner = barcode.and_then(|b| {
                guards
                    .get(b.as_str())
                    .or_else(|| legacy.get(b.as_str()))
                    .filter(|owner| owner.as_str() != id)
            });
            if let Some(existing) = products.get(id) {
                outcome.exists += 1;
                if let Some(barcode) = barcode.filter(|b| {
                    !guards.contains_key(b.as_str())
                        && existing.barcode.as_deref() == Some(b.as_str())
                }) {
                    let guard = self.db.barcode_guard_item(barcode, &row.product_id)?;
                    writes.push(put(&tables.ledger, guard)?);
                }
            } else if let (Some(barcode), Some(owner)) = (barcode, owner) {
                outcome.rejected.push((
                    *line,
                    format!("barcode {barcode} already belongs to product {owner}: barcodes are unique across the catalog"),
                ));
            } else {
                let item = self
                    .db
                    .product_item(&row.product_id, &row.fields, self.now)?;
                writes.push(put(&tables.products, item)?);
                if let Some(barcode) = barcode.filter(|b| !guards.contains_key(b.as_str())) {
                    let guard = self.db.barcode_guard_item(barcode, &row.product_id)?;
                    writes.push(put(&tables.ledger, guard)?);
                }
                outcome.written += 1;
            }
        }
        batch::write_all(self.writer, writes, &mut self.stats).await?;
        Ok(outcome)
    }

    /// Whether each store is a known, active location; each store read once per run.
    async fn known_stores(
        &mut self,
        stores: impl Iterator<Item = StoreId>,
    ) -> Result<(), ImportError> {
        for store in stores {
            if !self.locations.contains_key(&store) {
                let active = self.db.location(&store).await?.map(|l| l.active);
                self.locations.insert(store, active);
            }
        }
        Ok(())
    }

    /// Rows with their first movement, one transaction per batch. The store must be a known
    /// active location and the product in the catalog; a row that exists is left alone.
    async fn inventory(
        &mut self,
        rows: Vec<(u64, Parsed)>,
        file: &str,
    ) -> Result<Outcome, ImportError> {
        let rows: Vec<(u64, InventoryRow)> = rows
            .into_iter()
            .filter_map(|(line, row)| match row {
                Parsed::Inventory(r) => Some((line, r)),
                _ => None,
            })
            .collect();
        self.known_stores(rows.iter().map(|(_, r)| r.store_id.clone()))
            .await?;
        let tables = self.db.tables().clone();
        let mut keys = Vec::new();
        for (_, row) in &rows {
            keys.push((
                tables.inventory.clone(),
                Item::from([
                    ("store_id".to_owned(), s(row.store_id.as_str())),
                    ("product_id".to_owned(), s(row.product_id.as_str())),
                ]),
            ));
            keys.push((
                tables.products.clone(),
                Item::from([("product_id".to_owned(), s(row.product_id.as_str()))]),
            ));
        }
        let mut products: HashMap<String, Product> = HashMap::new();
        let mut existing: HashSet<(String, String)> = HashSet::new();
        for (table, item) in batch::get_all(self.db.client(), keys).await? {
            if table == tables.products {
                let product: Product = from_item(&table, item)?;
                products.insert(product.product_id.to_string(), product);
            } else {
                let text = |k: &str| {
                    item.get(k)
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                        .unwrap_or_default()
                };
                existing.insert((text("store_id"), text("product_id")));
            }
        }
        let mut outcome = Outcome::default();
        let mut create: Vec<(u64, InventoryRow, Product)> = Vec::new();
        for (line, row) in rows {
            match self.locations.get(&row.store_id).copied().flatten() {
                None => {
                    outcome.rejected.push((line, format!(
                        "store {} is not a known location; create it first (POST /api/v1/locations, or --locations)",
                        row.store_id
                    )));
                    continue;
                }
                Some(false) => {
                    outcome.rejected.push((
                        line,
                        format!(
                            "location {} is inactive (deleted); it takes no new rows",
                            row.store_id
                        ),
                    ));
                    continue;
                }
                Some(true) => {}
            }
            let Some(product) = products.get(row.product_id.as_str()).cloned() else {
                outcome.rejected.push((
                    line,
                    format!(
                        "product {} is not in the catalog; import it first (--catalog)",
                        row.product_id
                    ),
                ));
                continue;
            };
            if existing.contains(&(row.store_id.to_string(), row.product_id.to_string())) {
                outcome.exists += 1;
                continue;
            }
            create.push((line, row, product));
        }
        self.create_rows(create, file, &mut outcome).await?;
        Ok(outcome)
    }

    async fn create_rows(
        &self,
        mut create: Vec<(u64, InventoryRow, Product)>,
        file: &str,
        outcome: &mut Outcome,
    ) -> Result<(), ImportError> {
        let mut delays = inventory::backoff::jittered(
            Duration::from_millis(10),
            Duration::from_millis(500),
            Some(Duration::from_secs(30)),
        );
        for _ in 0..TRANSACTION_ATTEMPTS {
            if create.is_empty() {
                return Ok(());
            }
            let mut actions = Vec::with_capacity(create.len() * 2);
            for (line, row, product) in &create {
                let opening = self.db.opening_writes(
                    &NewRow {
                        store_id: row.store_id.clone(),
                        product_id: row.product_id.clone(),
                        current_stock: row.current_stock.get(),
                        settings: row.settings.clone(),
                    },
                    product,
                    &self.options.actor,
                    provenance(file, *line),
                    self.now,
                )?;
                actions.push(opening.row_put);
                actions.push(opening.movement_put);
            }
            let error = match self
                .db
                .client()
                .transact_write_items()
                .set_transact_items(Some(actions))
                .send()
                .await
            {
                Ok(_) => {
                    outcome.written += create.len() as u64;
                    return Ok(());
                }
                Err(error) => error,
            };
            let failed: Vec<(usize, bool)> = match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => cancelled
                    .cancellation_reasons()
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
                    .map(|(i, _)| (i / 2, i % 2 == 0))
                    .collect(),
                Some(e)
                    if aws_sdk_dynamodb::error::ProvideErrorMetadata::code(e)
                        == Some("TransactionConflictException") =>
                {
                    Vec::new()
                }
                _ => return Err(ImportError::dynamodb("TransactWriteItems", error)),
            };
            if failed.is_empty() {
                // Another writer's transaction held a row: try the same batch again shortly.
                let Some(delay) = delays.next() else { break };
                tokio::time::sleep(delay).await;
                continue;
            }
            // Rows created meanwhile (by the API, or another import) are left alone; a movement
            // key already taken means the ledger has history for a row that is not there, which a
            // person must look at.
            let mut dropped: Vec<usize> = failed.iter().map(|(i, _)| *i).collect();
            dropped.sort_unstable();
            dropped.dedup();
            for &i in dropped.iter().rev() {
                let (line, row, _) = create.remove(i);
                if failed.contains(&(i, true)) {
                    outcome.exists += 1;
                } else {
                    outcome.rejected.push((line, format!(
                        "the ledger already holds movements for {}/{} though the row does not exist; not overwritten",
                        row.store_id, row.product_id
                    )));
                }
            }
        }
        if create.is_empty() {
            Ok(())
        } else {
            Err(ImportError::DynamoDb {
                operation: "TransactWriteItems",
                message: format!(
                    "{} rows stayed contended by other writers; run the import again",
                    create.len()
                ),
            })
        }
    }
}

/// Where an opening stock came from, on its ledger entry: the file and the line (`csv:LINE` when
/// the file's name is not a valid reference); `None`, and the entry carries neither, if even that
/// does not parse.
fn provenance(file: &str, line: u64) -> Option<(Reason, Reference)> {
    let file_name = Path::new(file)
        .file_name()
        .map_or_else(|| file.to_owned(), |n| n.to_string_lossy().into_owned());
    let reference = Reference::parse(format!("{file_name}:{line}"))
        .or_else(|_| Reference::parse(format!("csv:{line}")))
        .ok()?;
    Some((
        Reason::parse("opening stock from a CSV import").ok()?,
        reference,
    ))
}

fn progress_message(file: &FileReport) -> String {
    format!(
        "{} written, {} exist, {} rejected",
        file.written, file.exists, file.rejected
    )
}
