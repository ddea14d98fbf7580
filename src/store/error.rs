//! What can go wrong in the store: every error names the object, file or line at fault.

use std::io;
use std::path::PathBuf;

use super::objects::ObjectId;

/// An error from the object store or the run logs.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file-system operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done ("reading", "writing", ...).
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The object's bytes no longer hash to its id: it must not be run.
    #[error("stored object {id} is corrupt: its bytes do not hash to its id")]
    Corrupt { id: ObjectId },
    /// No object with this full id is stored.
    #[error("no stored program {id}")]
    Missing { id: ObjectId },
    /// No stored object's id starts with this prefix.
    #[error("no stored program id starts with `{prefix}`")]
    NotFound { prefix: String },
    /// Several stored objects' ids start with this prefix.
    #[error(
        "program id prefix `{prefix}` is ambiguous: it matches {}",
        list_ids(candidates)
    )]
    Ambiguous {
        prefix: String,
        /// Every matching id, sorted.
        candidates: Vec<ObjectId>,
    },
    /// The text is not a program id or id prefix.
    #[error("`{text}` is not a program id: {reason}")]
    BadId { text: String, reason: String },
    /// A source sidecar does not match its own hash or its object.
    #[error("the source stored beside object {id} is corrupt ({}): {reason}", path.display())]
    CorruptSource {
        id: ObjectId,
        path: PathBuf,
        reason: String,
    },
    /// The text is not a run id.
    #[error("`{text}` is not a run id (expected e.g. 20261125T185300123Z-0a1b2c3d)")]
    BadRunId { text: String },
    /// A run-log line is not a JSON record.
    #[error("{}:{line}: bad run-log record: {message}", path.display())]
    BadRecord {
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        message: String,
    },
}

impl StoreError {
    /// Wraps an I/O error with what was being done and to which file.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> StoreError {
        StoreError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

fn list_ids(ids: &[ObjectId]) -> String {
    ids.iter()
        .map(ObjectId::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
