//! The team's shared program library: a remote store (an S3 bucket or a shared folder)
//! that holds programs, their sources and signed library records, and an index a
//! Follower searches without listing the bucket. `llmos remote push` publishes learned
//! programs, `llmos remote pull` brings the team's into the local library, and `llmos run
//! --mode auto` asks the remote before paying the Learner (`lookup.rs`).
//!
//! Layers, each knowing only the one below:
//! - `backend.rs`: the [`Backend`] trait (read, create-only write, compare-and-swap),
//!   with `s3.rs` (object_store) and `dir.rs` (a folder) behind it;
//! - [`Remote`]: a backend with the local cache, the size limit and re-hashing of every
//!   download;
//! - `record.rs` (signed records), `index.rs` (head and segments), `keys.rs`;
//! - `push.rs`, `pull.rs`, `lookup.rs`: what the commands and the kernel call.
//!
//! Invariants:
//! - Every key except `index/head.json` is content-addressed and written create-only:
//!   racing writers cannot overwrite each other, and a download that does not hash to
//!   its key is refused, never used.
//! - The index names only complete records whose objects exist (written in that order).
//! - A pulled program enters the local library only when its record's signature is good
//!   and by a trusted key (or the user said `--trust-unsigned`), and its bytes hash to
//!   the id the record names. Ratings and usage are never shared.

mod backend;
pub(crate) mod config;
mod dir;
mod error;
pub mod index;
pub mod keys;
pub mod layout;
pub mod lookup;
pub mod pull;
pub(crate) mod push;
pub mod record;
mod s3;
pub mod view;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

pub use backend::{Backend, Created, Fetched, Swapped, Version};
pub use config::{RemoteConfig, RemoteUrl};
pub use dir::DirBackend;
pub use error::{BadPublicKey, BadRemoteUrl, KeyProblem, RecordError, RemoteError};
pub use s3::{S3Backend, S3Settings};

/// A remote with its local cache: what the rest of llmos talks to.
pub struct Remote {
    backend: Box<dyn Backend>,
    cache: PathBuf,
    limit: u64,
    writes: AtomicU64,
    crash_after: Option<u64>,
}

impl Remote {
    /// Opens the remote of `config` (nothing is sent yet). `env` reads the environment
    /// (the AWS variables); a bucket's requests run on `runtime` (the host's). The cache
    /// lives in `<state>/remote/`.
    pub fn open(
        config: &RemoteConfig,
        state_dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
        runtime: std::sync::Arc<tokio::runtime::Runtime>,
    ) -> Result<Remote, RemoteError> {
        let Some(url) = &config.url else {
            return Err(RemoteError::Config(
                "no remote: set `url` in the [remote] table of .llmos/config.toml \
                 (s3://bucket/prefix or file:///folder)"
                    .into(),
            ));
        };
        let backend: Box<dyn Backend> = match url {
            RemoteUrl::S3 {
                text,
                bucket,
                prefix,
            } => Box::new(S3Backend::open(
                S3Settings {
                    url: text,
                    bucket,
                    prefix,
                    endpoint: config.endpoint.clone(),
                    region: config.region.clone(),
                    timeout: config.timeout(),
                },
                env,
                runtime,
            )?),
            RemoteUrl::Dir { text, path } => Box::new(DirBackend::open(path, text)?),
        };
        let mut remote = Remote::with_backend(backend, state_dir, config.max_object_bytes());
        remote.crash_after = crash_after(env);
        Ok(remote)
    }

    /// A remote on any backend, caching in `<state_dir>/remote/`.
    pub fn with_backend(backend: Box<dyn Backend>, state_dir: &Path, limit: u64) -> Remote {
        let id = layout::hash_of(backend.describe().as_bytes());
        Remote {
            cache: state_dir.join("remote").join(&id[..16]),
            backend,
            limit,
            writes: AtomicU64::new(0),
            crash_after: None,
        }
    }

    /// The backend.
    pub fn backend(&self) -> &dyn Backend {
        self.backend.as_ref()
    }

    /// The remote as written in the config.
    pub fn describe(&self) -> &str {
        self.backend.describe()
    }

    /// The largest key downloaded.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// This remote's folder in the local cache.
    pub fn cache_dir(&self) -> PathBuf {
        self.cache.clone()
    }

    /// The bytes of `key`, which must hash to `hash` (else `Corrupt`).
    pub fn get_hashed(&self, key: &str, hash: &str) -> Result<Option<Vec<u8>>, RemoteError> {
        let Some(fetched) = self.backend.get(key, self.limit)? else {
            return Ok(None);
        };
        let actual = layout::hash_of(&fetched.bytes);
        if actual != hash {
            return Err(self.corrupt(
                key,
                format!("its bytes hash to {actual}, not to the name they are stored under"),
            ));
        }
        Ok(Some(fetched.bytes))
    }

    /// Writes a content-addressed key (create-only).
    pub fn create(&self, key: &str, bytes: &[u8]) -> Result<Created, RemoteError> {
        let created = self.backend.create(key, bytes)?;
        self.wrote();
        Ok(created)
    }

    /// Replaces `key` if it is still `expected`.
    pub fn swap(
        &self,
        key: &str,
        bytes: &[u8],
        expected: Option<&Version>,
    ) -> Result<Swapped, RemoteError> {
        let swapped = self.backend.swap(key, bytes, expected)?;
        self.wrote();
        Ok(swapped)
    }

    pub(crate) fn corrupt(&self, key: &str, reason: String) -> RemoteError {
        RemoteError::Corrupt {
            remote: self.describe().to_string(),
            key: key.to_string(),
            reason,
        }
    }

    /// Counts a write; the crash test hook ends the process after the n-th.
    fn wrote(&self) {
        let n = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        if self.crash_after == Some(n) {
            // As if killed: no destructor, no flush, nothing more sent.
            std::process::abort();
        }
    }
}

/// `LLMOS_TEST_CRASH_AFTER_WRITES=N`: a debug build ends itself right after its N-th
/// remote write, so tests can check what a push killed at each point leaves behind.
fn crash_after(env: &dyn Fn(&str) -> Option<String>) -> Option<u64> {
    if cfg!(debug_assertions) {
        env("LLMOS_TEST_CRASH_AFTER_WRITES")?.parse().ok()
    } else {
        None
    }
}
