//! Everything llmos keeps on disk between commands, in the state folder: `.llmos/` in the
//! workspace root, or `$LLMOS_HOME` (see [`crate::workspace`]). Created on first use;
//! several `llmos` processes may use it at once.
//!
//! ```text
//! .llmos/
//! ├── config.toml              workspace settings (crate::workspace::Config)
//! ├── objects/                 the content-addressed program store (ObjectStore)
//! │   └── ab/                  shard: the first 2 hex digits of the id
//! │       ├── cdef…            a program's .llb bytes; the name is the remaining 62 hex
//! │       │                    digits of their blake3 hash, re-checked on every load
//! │       ├── cdef….src.json   its source sidecar: {object, file, text, blake3 of text}
//! │       └── .cdef….<pid>.<random>.tmp   a write in progress (gc removes stale ones)
//! │   gc.lock                  shared by writers until the library refers to what they
//! │                            stored, exclusive for `store gc` (see lease.rs)
//! ├── runs/
//! │   └── 20261125T185300123Z-0a1b2c3d.jsonl   one JSON Lines event log per run (RunLog)
//! ├── recordings/              Learner recordings (.yaml), see crate::learn::recording
//! └── llmos.db                 SQLite: trace index, budget ledger, slot cache (owned by
//!                              the index/economy modules, not this one)
//! ```
//!
//! Every file is written atomically ([`write_atomic`]: temp file, fsync, rename, folder
//! fsync), so a reader never sees half a file and a crash never leaves one under its
//! real name. Run logs are the exception: they are appended line by line, and a line cut
//! off by a crash is reported when read.

mod atomic;
mod error;
mod lease;
mod maintenance;
mod object_id;
pub(crate) mod objects;
pub(crate) mod runlog;
mod sources;

pub use atomic::{replace_unsynced, sync_dir, write_atomic, write_new};
pub use error::StoreError;
pub use lease::{LOCK_FILE, Lease};
pub use maintenance::{GcReport, Problem, ProblemKind, remove_stale_temps};
pub use objects::{MIN_PREFIX, ObjectId, ObjectStore};
pub use runlog::{RunId, RunLog, list_runs};
pub use sources::Source;
pub(crate) use sources::check_sidecar;
