//! Onboarding and offboarding from CSV: [`import::import`] loads locations, a catalog and store
//! inventory into any environment's tables; [`export::export_store`] writes a store's inventory
//! back in the import's own columns. The `inventory-csv` binary is a thin shell over this
//! library, which `inventory-local setup` and the tests call too.

pub mod batch;
pub mod checkpoint;
pub mod cli;
pub mod export;
pub mod import;
pub mod rows;

use inventory::db::DbError;
use std::path::{Path, PathBuf};

/// Why an import or export stopped. Rejected rows are not errors: they are reported and the
/// rest goes on.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Csv { path: PathBuf, message: String },
    #[error("state file {path}: {message}")]
    State { path: PathBuf, message: String },
    #[error("{path} changed since the state file recorded it (up to line {last_line}); use a new --state file: rows already written are found and skipped anyway")]
    Changed { path: PathBuf, last_line: u64 },
    #[error("{items} items were still unprocessed after retrying; nothing past the last complete batch is marked done, so run the import again")]
    Unprocessed { items: usize },
    #[error("dynamodb {operation} failed: {message}")]
    DynamoDb {
        operation: &'static str,
        message: String,
    },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{0}")]
    Usage(String),
}

impl ImportError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            source,
        }
    }

    pub(crate) fn dynamodb<E, R>(
        operation: &'static str,
        err: aws_sdk_dynamodb::error::SdkError<E, R>,
    ) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        Self::DynamoDb {
            operation,
            message: aws_sdk_dynamodb::error::DisplayErrorContext(&err).to_string(),
        }
    }

    pub(crate) fn dynamodb_build(
        operation: &'static str,
        err: aws_sdk_dynamodb::error::BuildError,
    ) -> Self {
        Self::DynamoDb {
            operation,
            message: err.to_string(),
        }
    }
}

/// A DynamoDB client: for `endpoint` (DynamoDB Local) with dummy credentials, else from the
/// standard AWS chain (environment, profile, SSO, instance role), in `region` when given.
pub async fn client(endpoint: Option<&str>, region: Option<String>) -> aws_sdk_dynamodb::Client {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(endpoint) = endpoint {
        loader = loader
            .endpoint_url(endpoint)
            .test_credentials()
            .region(aws_config::Region::new(
                region.clone().unwrap_or_else(|| "us-east-1".into()),
            ));
    } else if let Some(region) = region {
        loader = loader.region(aws_config::Region::new(region));
    }
    aws_sdk_dynamodb::Client::new(&loader.load().await)
}

/// Writes rejected rows as CSV: `file,line,reason`.
///
/// # Errors
/// When the file cannot be written.
pub fn write_rejects(path: &Path, rejections: &[import::Rejection]) -> Result<(), ImportError> {
    let mut writer = csv::Writer::from_path(path).map_err(|e| ImportError::Csv {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    let fail = |e: csv::Error| ImportError::Csv {
        path: path.to_owned(),
        message: e.to_string(),
    };
    writer
        .write_record(["file", "line", "reason"])
        .map_err(fail)?;
    for r in rejections {
        writer
            .write_record([r.file.as_str(), &r.line.to_string(), r.reason.as_str()])
            .map_err(fail)?;
    }
    writer.flush().map_err(|e| ImportError::io(path, e))
}
