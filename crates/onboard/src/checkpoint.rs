//! The `--state` file: per input file, its SHA-256 and the last line fully handled (written,
//! found existing, or rejected), so a rerun after an interruption skips what is done. It is an
//! optimisation only: every batch is also checked against the tables before it is written.

use crate::rows::Kind;
use crate::ImportError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// How far one file got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMark {
    pub path: String,
    pub sha256: String,
    /// 1-based; the header is line 1.
    pub last_line: u64,
}

/// The state file's content, by file kind (`catalog`, `inventory`, `locations`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub files: BTreeMap<String, FileMark>,
}

impl Checkpoint {
    /// The state at `path`, or an empty one when the file does not exist yet.
    ///
    /// # Errors
    /// When it exists and cannot be read or parsed.
    pub fn load(path: &Path) -> Result<Self, ImportError> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| ImportError::State {
                path: path.to_owned(),
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(ImportError::io(path, e)),
        }
    }

    /// Writes the state through a temporary file and a rename, so an interruption leaves the
    /// old state or the new one, never half of one.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn save(&self, path: &Path) -> Result<(), ImportError> {
        let mut tmp = PathBuf::from(path);
        tmp.as_mut_os_string().push(".tmp");
        let text = serde_json::to_string_pretty(self).map_err(|e| ImportError::State {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        std::fs::write(&tmp, text).map_err(|e| ImportError::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| ImportError::io(path, e))
    }

    /// The last line already handled in this file: 0 when the state does not know it.
    ///
    /// # Errors
    /// When the state knows the kind under another content: the file changed since, and its
    /// line numbers may no longer mean the same rows.
    pub fn resume_after(&self, kind: Kind, path: &Path, sha256: &str) -> Result<u64, ImportError> {
        match self.files.get(kind.name()) {
            None => Ok(0),
            Some(mark) if mark.sha256 == sha256 => Ok(mark.last_line),
            Some(mark) => Err(ImportError::Changed {
                path: path.to_owned(),
                last_line: mark.last_line,
            }),
        }
    }

    pub fn mark(&mut self, kind: Kind, path: &Path, sha256: &str, last_line: u64) {
        self.files.insert(
            kind.name().to_owned(),
            FileMark {
                path: path.display().to_string(),
                sha256: sha256.to_owned(),
                last_line,
            },
        );
    }
}

/// The file's SHA-256 in hex, read in blocks (bounded memory).
///
/// # Errors
/// When the file cannot be read.
pub fn sha256_of(path: &Path) -> Result<String, ImportError> {
    let mut file = std::fs::File::open(path).map_err(|e| ImportError::io(path, e))?;
    let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    let mut block = vec![0u8; 64 * 1024];
    loop {
        let n = file
            .read(&mut block)
            .map_err(|e| ImportError::io(path, e))?;
        if n == 0 {
            break;
        }
        context.update(&block[..n]);
    }
    Ok(context
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
