//! The three operations the shared library needs from a store, behind one trait, so the
//! rest of `remote` knows nothing of S3 or folders: read a key, create a key that must
//! not exist yet, and replace a key only if it is still the version read
//! (compare-and-swap). Keys are `/`-separated paths below the remote's prefix.

use super::RemoteError;

/// The version of a key as read: an S3 ETag, or the blake3 of a file's bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version(pub String);

/// A key's bytes and the version they are.
#[derive(Clone, Debug)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub version: Version,
}

/// What a create-only write found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Created {
    /// The key was written.
    New,
    /// The key already existed and was left as it was.
    Existed,
}

/// What a compare-and-swap found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Swapped {
    /// The key now holds the new bytes.
    Done,
    /// Someone else changed the key since it was read: read again and retry.
    Conflict,
}

/// A store the shared library lives in. Every write is whole: a reader sees a key's old
/// bytes or its new ones, never a mix.
pub trait Backend: Send + Sync {
    /// The remote as the user wrote it, for messages (`s3://bucket/prefix`).
    fn describe(&self) -> &str;

    /// The bytes of `key`, or `None` when there is no such key. A key larger than
    /// `limit` bytes is an error (`TooLarge`), not downloaded.
    fn get(&self, key: &str, limit: u64) -> Result<Option<Fetched>, RemoteError>;

    /// Writes `key` only if it does not exist (`If-None-Match: *`).
    fn create(&self, key: &str, bytes: &[u8]) -> Result<Created, RemoteError>;

    /// Replaces `key` only if its current version is `expected` (`If-Match`); with
    /// `None`, only if the key does not exist yet.
    fn swap(
        &self,
        key: &str,
        bytes: &[u8],
        expected: Option<&Version>,
    ) -> Result<Swapped, RemoteError>;

    /// Every key below `prefix` (a folder such as `objects/`), sorted. For checks and
    /// tests; the library itself never lists.
    fn list(&self, prefix: &str) -> Result<Vec<String>, RemoteError>;
}
