//! What can go wrong with the shared library: every error names the remote, the key or
//! the record at fault.

use std::path::PathBuf;

use crate::diag::Coded;

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
    /// This workspace's own library, program store or database failed (not the remote).
    #[error("{0}")]
    Local(String),
}

impl Coded for RemoteError {
    fn kind(&self) -> &'static str {
        "remote"
    }
    fn code(&self) -> &'static str {
        match self {
            RemoteError::Config(_) => "remote-config",
            RemoteError::Unreachable { .. } => "remote-unreachable",
            RemoteError::Corrupt { .. } => "remote-corrupt",
            RemoteError::TooLarge { .. } => "remote-too-large",
            RemoteError::Contended { .. } => "remote-contended",
            RemoteError::Io { .. } => "remote-io",
            RemoteError::Key(_) => "signing-key",
            RemoteError::Local(_) => "local-library",
        }
    }
}

/// Why a library record is refused: it does not parse, is of another format, does not
/// hash to its name, or its signature is not valid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("not a library record: {0}")]
    NotARecord(String),
    #[error("record format `{found}` is not `{known}` (a newer llmos wrote it?)")]
    Format { found: String, known: &'static str },
    #[error("record {name} does not hash to its name (its bytes hash to {actual})")]
    WrongHash { name: String, actual: String },
    /// The key (`ed25519:...`) the record claims signed it.
    #[error("its signature is not a valid signature of {key} on its contents")]
    BadSignature { key: String },
}

impl RecordError {
    /// The stable diagnostic code (kebab-case).
    pub fn code(&self) -> &'static str {
        match self {
            RecordError::NotARecord(_) => "not-a-record",
            RecordError::Format { .. } => "record-format",
            RecordError::WrongHash { .. } => "record-hash",
            RecordError::BadSignature { .. } => "bad-signature",
        }
    }
}

/// A text that is not a public key (`ed25519:` and 32 bytes of base64).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a public key: {why}")]
pub struct BadPublicKey {
    pub text: String,
    pub why: KeyProblem,
}

/// What is wrong with a public key's text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyProblem {
    #[error("it does not start with `ed25519:`")]
    Prefix,
    #[error("bad base64 ({0})")]
    Base64(String),
    #[error("{0} bytes, not 32")]
    Length(usize),
    #[error("not a point of the curve")]
    NotOnCurve,
}

/// A `[remote] url` that is not `s3://bucket[/prefix]` or `file:///folder`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadRemoteUrl {
    #[error("`{text}`: `{bucket}` is not an S3 bucket name (3 to 63 of a-z, 0-9, `-`, `.`)")]
    Bucket { text: String, bucket: String },
    #[error("`{text}`: the prefix `{prefix}` has an empty, `.` or `..` part")]
    Prefix { text: String, prefix: String },
    #[error("`{text}`: a file:// remote names an absolute folder, e.g. file:///srv/llmos")]
    RelativeFolder { text: String },
    #[error("`{text}` is not a remote: write s3://bucket/prefix or file:///folder")]
    Scheme { text: String },
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::RemoteUrl;
    use crate::remote::keys::PublicKey;

    #[test]
    fn remote_errors_have_codes() {
        let e = RemoteUrl::parse("http://x").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`http://x` is not a remote: write s3://bucket/prefix or file:///folder"
        );
        let e = RemoteError::Contended {
            remote: "s3://b".into(),
            attempts: 3,
        };
        assert_eq!((e.kind(), e.code()), ("remote", "remote-contended"));
        let e = "ed25519:AAAA".parse::<PublicKey>().unwrap_err();
        assert_eq!(e.why, KeyProblem::Length(3));
        assert_eq!(
            e.to_string(),
            "`ed25519:AAAA` is not a public key: 3 bytes, not 32"
        );
    }
}
