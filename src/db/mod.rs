//! The workspace database: one SQLite file, `<state_dir>/llmos.db`, that holds the budget
//! ledger, the trace library (procedural memory) and the slot cache.
//!
//! Several `llmos` processes may open the same file at once: the database runs in WAL
//! mode with a busy timeout, every write is one transaction, and writes that must check
//! before they change anything (a budget reservation, a migration) take the write lock
//! up front with `BEGIN IMMEDIATE`. The schema is versioned by `PRAGMA user_version`;
//! opening a file applies the migrations it lacks, exactly once even when two processes
//! open a new file together.
//!
//! Two files beside the database spare a Follower run from opening it: the library
//! snapshot (`llmos.db-library`, what the dispatcher reads; see `snapshot.rs`) and the
//! usage log (`llmos.db-usage`, successful runs to fold in; see `usage.rs`).
//!
//! Money is stored as whole micro-dollars (`INTEGER`), so sums are exact; the API speaks
//! `f64` dollars. Timestamps are stored as RFC 3339 text in UTC with millisecond
//! precision, so their text order is their time order.

mod budget;
mod error;
mod holds;
mod ledger;
mod library;
mod lineage;
mod origin;
mod schema;
mod slots;
mod snapshot;
mod usage;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

pub use budget::{
    BudgetError, CallCost, Charge, Grant, Hold, Overrun, Settlement, format_micros, usd_to_micros,
};
pub use error::DbError;
pub use holds::{KIND_CALL, KIND_EXPIRED_HOLD, ProcessId};
pub use ledger::{HOLD_TTL, INITIAL_BALANCE_MICROS, Ledger};
pub use library::{Library, NewTrace, RATING_ALPHA, TraceEntry, TraceSource, is_program_id};
pub use lineage::{Lineage, Link};
pub use origin::{Origin, Origins};
pub use schema::SCHEMA_VERSION;
pub use slots::{SlotCache, prompt_hash};
pub use snapshot::{
    Damaged, LibraryEntry, LibraryRow, Snapshot, SnapshotEntry, SnapshotReader, snapshot_path,
};
pub use usage::{FOLD_THRESHOLD_BYTES, record_success, usage_path};

/// The file name of the database inside the state directory.
pub const DB_FILE_NAME: &str = "llmos.db";

/// How long a statement waits for another process's write lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// An open workspace database. Cheap views give the parts: [`Db::ledger`],
/// [`Db::library`], [`Db::slots`]. One `Db` per thread; open another for another thread.
pub struct Db {
    conn: Connection,
    path: PathBuf,
    hold_ttl: Duration,
}

impl Drop for Db {
    fn drop(&mut self) {
        // Best effort: when another process holds the database, the checkpoint waits at
        // most a moment and leaves the rest to whoever closes last (SQLite also
        // checkpoints on its own once the WAL passes 1000 pages).
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        if std::fs::metadata(&wal).is_ok_and(|m| m.len() > WAL_CHECKPOINT_BYTES) {
            let _ = self.conn.busy_timeout(Duration::from_millis(50));
            let _ = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
    }
}

/// The WAL size from which closing checkpoints it into the database and truncates it.
const WAL_CHECKPOINT_BYTES: u64 = 128 << 10;

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Db {
    /// Opens (creating if needed, with its parent directory) the database at `path`, sets
    /// WAL mode, the busy timeout and foreign keys, applies missing migrations, folds the
    /// usage log into the library and refreshes a stale library snapshot.
    pub fn open(path: &Path) -> Result<Db, DbError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| DbError::CreateDir {
                path: path.to_path_buf(),
                source,
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|e| DbError::sqlite(path, "cannot open", e))?;
        let db = Db {
            conn,
            path: path.to_path_buf(),
            hold_ttl: HOLD_TTL,
        };
        db.configure()?;
        schema::migrate(&db)?;
        // Whoever opens the database brings the library up to date: runs counted in the
        // usage log, and a snapshot a crash left stale.
        db.catch_up_library()?;
        Ok(db)
    }

    /// Opens `<state_dir>/llmos.db`.
    pub fn open_in(state_dir: &Path) -> Result<Db, DbError> {
        Db::open(&state_dir.join(DB_FILE_NAME))
    }

    /// The same database with another lifetime for budget holds (default [`HOLD_TTL`]):
    /// a hold older than this is taken to belong to a crashed process and ignored.
    pub fn with_hold_ttl(mut self, ttl: Duration) -> Db {
        self.hold_ttl = ttl;
        self
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open file (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<i64, DbError> {
        self.conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.err("cannot read the schema version", e))
    }

    /// The budget ledger.
    pub fn ledger(&self) -> Ledger<'_> {
        Ledger::new(self)
    }

    /// The trace library.
    pub fn library(&self) -> Library<'_> {
        Library::new(self)
    }

    /// Where traces pulled from a team's remote came from.
    pub fn origins(&self) -> Origins<'_> {
        Origins::new(self)
    }

    /// The cache of `ask` slot answers.
    pub fn slots(&self) -> SlotCache<'_> {
        SlotCache::new(self)
    }

    /// Which program grew from which.
    pub fn lineage(&self) -> Lineage<'_> {
        Lineage::new(self)
    }

    fn configure(&self) -> Result<(), DbError> {
        self.conn
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| self.err("cannot set the busy timeout", e))?;
        // Switching a new file to WAL takes a lock briefly; another process doing the same
        // can make it report busy even with the timeout, so retry a few times.
        let mut attempt = 0;
        loop {
            let mode: Result<String, _> =
                self.conn
                    .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0));
            match mode {
                Ok(m) if m.eq_ignore_ascii_case("wal") => break,
                Ok(m) => {
                    return Err(DbError::Invalid {
                        path: self.path.clone(),
                        what: format!("cannot switch to WAL mode (journal mode is {m})"),
                    });
                }
                Err(e) if is_busy(&e) && attempt < 50 => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(20 * attempt));
                }
                Err(e) => return Err(self.err("cannot switch to WAL mode", e)),
            }
        }
        self.conn
            .execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
            .map_err(|e| self.err("cannot set pragmas", e))?;
        // Short-lived processes open and close the database all the time: instead of
        // SQLite's checkpoint-and-delete of the `-wal` and `-shm` files at every close (two
        // file creations and a checkpoint per process), both files are kept, and `Drop`
        // checkpoints and truncates the WAL once it passes 128 KiB (a process that opens the
        // database reads the whole WAL to rebuild its index, so it must stay small).
        self.conn
            .set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
                true,
            )
            .map_err(|e| self.err("cannot configure closing", e))?;
        Ok(())
    }

    /// Runs `f` in one write transaction, then refreshes the library snapshot once: for
    /// many changes at a time (each library change made alone refreshes the snapshot,
    /// which reads the whole library). On an error nothing of `f` is kept.
    pub fn batch<T>(&self, f: impl FnOnce(&Db) -> Result<T, DbError>) -> Result<T, DbError> {
        let tx = self.write_tx()?;
        let out = f(self)?;
        tx.commit()
            .map_err(|e| self.err("cannot commit a batch of changes", e))?;
        self.refresh_snapshot(false)?;
        Ok(out)
    }

    /// Starts a transaction that takes the write lock now (`BEGIN IMMEDIATE`), so what it
    /// reads cannot change before it writes.
    pub(crate) fn write_tx(&self) -> Result<Transaction<'_>, DbError> {
        Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.err("cannot begin a write transaction", e))
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn hold_ttl(&self) -> Duration {
        self.hold_ttl
    }

    /// A SQLite error with what was being done, naming this database.
    pub(crate) fn err(&self, doing: &str, e: rusqlite::Error) -> DbError {
        DbError::sqlite(&self.path, doing, e)
    }

    /// Bad data (stored or given), naming this database.
    pub(crate) fn invalid(&self, what: impl Into<String>) -> DbError {
        DbError::Invalid {
            path: self.path.clone(),
            what: what.into(),
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Now, as stored: RFC 3339 in UTC with millisecond precision.
pub(crate) fn now_text() -> String {
    timestamp_text(jiff::Timestamp::now())
}

/// A timestamp as stored: RFC 3339 in UTC with millisecond precision.
pub(crate) fn timestamp_text(t: jiff::Timestamp) -> String {
    format!("{t:.3}")
}
