//! Errors of the workspace database; every message names the database file.

use std::path::{Path, PathBuf};

/// Something went wrong with the workspace database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A SQLite call failed.
    #[error("database {}: {doing}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        doing: String,
        #[source]
        source: rusqlite::Error,
    },
    /// The directory that should hold the database could not be created.
    #[error("database {}: cannot create its directory: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file was written by a newer llmos.
    #[error(
        "database {}: schema version {found} is newer than this llmos supports ({supported}); upgrade llmos",
        path.display()
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    /// A value given to the database, or read back from it, is not valid.
    #[error("database {}: {what}", path.display())]
    Invalid { path: PathBuf, what: String },
    /// A file kept beside the database (library snapshot, usage log, lock) failed.
    #[error("{}: {doing}: {source}", path.display())]
    Io {
        path: PathBuf,
        doing: String,
        #[source]
        source: std::io::Error,
    },
    /// No trace with this id is in the library.
    #[error("database {}: no trace with id {id} in the library", path.display())]
    NoSuchTrace { path: PathBuf, id: i64 },
}

impl DbError {
    pub(crate) fn sqlite(path: &Path, doing: &str, source: rusqlite::Error) -> DbError {
        DbError::Sqlite {
            path: path.to_path_buf(),
            doing: doing.to_string(),
            source,
        }
    }
}
