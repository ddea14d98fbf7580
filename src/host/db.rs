//! The workspace database, opened on first use: a Follower run that the library
//! snapshot serves, or a program without `ask` slots, never opens it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::economy::meter::{SharedDb, shared};

/// The database of a state folder, opened (and created) the first time it is asked for.
/// Clones share the one connection.
#[derive(Clone, Debug)]
pub struct LazyDb {
    state_dir: PathBuf,
    cell: Arc<OnceLock<SharedDb>>,
}

impl LazyDb {
    /// The database in `state_dir`, not opened yet.
    pub fn new(state_dir: &Path) -> LazyDb {
        LazyDb {
            state_dir: state_dir.to_owned(),
            cell: Arc::new(OnceLock::new()),
        }
    }

    /// A database that is already open.
    pub fn opened(db: SharedDb) -> LazyDb {
        let cell = OnceLock::new();
        let _ = cell.set(db);
        LazyDb {
            state_dir: PathBuf::new(),
            cell: Arc::new(cell),
        }
    }

    /// The database, opened on the first call.
    pub fn get(&self) -> Result<&SharedDb, crate::db::DbError> {
        if let Some(db) = self.cell.get() {
            return Ok(db);
        }
        let db = crate::db::Db::open_in(&self.state_dir)?;
        Ok(self.cell.get_or_init(|| shared(db)))
    }

    /// Where the database file is, whether or not it is open.
    pub fn path(&self) -> PathBuf {
        self.state_dir.join(crate::db::DB_FILE_NAME)
    }
}
