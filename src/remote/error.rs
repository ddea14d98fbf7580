//! What can go wrong with the shared library: every error names the remote, the key or
//! the record at fault.

use std::path::PathBuf;

/// An error from the remote store, the shared index or the signing keys.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// `[remote]` in `config.toml` is missing or wrong.
    #[error("{0}")]
    Config(String),
    /// The remote could not be reached or answered with an error.
    #[error("remote {remote}: {doing} `{key}`: {message}")]
    Unreachable {
        remote: String,
        doing: &'static str,
        key: String,
        message: String,
    },
    /// A downloaded object is not what its key promises (its bytes do not hash to it, or
    /// it does not parse): it is never used.
    #[error("remote {remote}: `{key}` is corrupt: {reason}")]
    Corrupt {
        remote: String,
        key: String,
        reason: String,
    },
    /// An object is larger than `[remote] max_object_bytes`.
    #[error(
        "remote {remote}: `{key}` has {size} bytes, more than the limit of {limit} ([remote] max_object_bytes)"
    )]
    TooLarge {
        remote: String,
        key: String,
        size: u64,
        limit: u64,
    },
    /// The index head kept changing under us.
    #[error(
        "remote {remote}: the index changed {attempts} times while this push tried to update it; try again"
    )]
    Contended { remote: String, attempts: u32 },
    /// A local file (cache, key) could not be read or written.
    #[error("{doing} {}: {source}", path.display())]
    Io {
        doing: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The signing key of the workspace.
    #[error("{0}")]
    Key(String),
}

impl RemoteError {
    /// `TooLarge` when `size` is over `limit`.
    pub(crate) fn check_size(remote: &str, key: &str, size: u64, limit: u64) -> Result<(), Self> {
        match size > limit {
            true => Err(RemoteError::TooLarge {
                remote: remote.to_string(),
                key: key.to_string(),
                size,
                limit,
            }),
            false => Ok(()),
        }
    }

    pub(crate) fn io(
        doing: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        RemoteError::Io {
            doing,
            path: path.into(),
            source,
        }
    }
}
