//! The shared index: every record of the remote, found without listing the bucket.
//!
//! `index/head.json` names the index's segments in order; a segment is an immutable batch
//! of records (each with its hash), stored under its own blake3, so a reader downloads
//! the head (small) and only the segments it has not cached yet. A push writes its new
//! records as one segment, then appends the segment to the head with compare-and-swap
//! (`If-Match` on the head's ETag); when someone else changed the head first, it reads
//! the head again and retries. A head with more than [`COMPACT_AT`] segments is
//! rewritten with one merged segment by the push that finds it so.
//!
//! Invariant: the head names a segment only after the segment, its records and every
//! object and source they name were written; a push killed at any point leaves at most
//! complete keys that nothing names yet.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::backend::{Swapped, Version};
use super::layout::{self, HEAD, hash_of};
use super::record::Record;
use super::{Remote, RemoteError};
use crate::value::{Value, canonical_json};

/// The format tag of the head.
pub const HEAD_FORMAT: &str = "llmos-index/1";
/// The format tag of a segment.
pub const SEGMENT_FORMAT: &str = "llmos-index-segment/1";
/// A head with more segments than this is compacted by the next push.
pub const COMPACT_AT: usize = 32;
/// How many times a push retries a compare-and-swap that lost a race.
pub const MAX_ATTEMPTS: u32 = 50;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Head {
    format: String,
    /// Segment hashes, oldest first.
    segments: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Segment {
    format: String,
    records: Vec<Indexed>,
}

/// One record of the index, with the hash it is stored under.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indexed {
    pub hash: String,
    pub record: Record,
}

impl Indexed {
    /// A record with its hash.
    pub fn of(record: Record) -> Indexed {
        Indexed {
            hash: record.hash(),
            record,
        }
    }

    /// An error unless the record's bytes hash to the name it is listed under.
    pub fn check_hash(&self) -> Result<(), String> {
        let actual = self.record.hash();
        match actual == self.hash {
            true => Ok(()),
            false => Err(format!(
                "record {} does not hash to its name (its bytes hash to {actual})",
                self.hash
            )),
        }
    }
}

/// The index as read: its records in order, each once.
#[derive(Clone, Debug, Default)]
pub struct Index {
    pub records: Vec<Indexed>,
    pub segments: usize,
    head: Head,
    version: Option<Version>,
}

/// What publishing records found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Published {
    /// Records the index did not have.
    pub added: usize,
    /// Records it had already.
    pub present: usize,
    /// Compare-and-swap attempts that lost a race.
    pub conflicts: u32,
}

impl Index {
    /// Reads the head and every segment it names (from the local cache when there).
    pub fn read(remote: &Remote) -> Result<Index, RemoteError> {
        let Some(fetched) = remote.backend().get(HEAD, remote.limit())? else {
            return Ok(Index::default());
        };
        let head: Head = serde_json::from_slice(&fetched.bytes)
            .map_err(|e| remote.corrupt(HEAD, format!("not an index head: {e}")))?;
        if head.format != HEAD_FORMAT {
            return Err(remote.corrupt(
                HEAD,
                format!("index format `{}` is not `{HEAD_FORMAT}`", head.format),
            ));
        }
        let mut seen = BTreeSet::new();
        let mut records = Vec::new();
        for hash in &head.segments {
            for r in read_segment(remote, hash)?.records {
                if seen.insert(r.hash.clone()) {
                    records.push(r);
                }
            }
        }
        Ok(Index {
            records,
            segments: head.segments.len(),
            head,
            version: Some(fetched.version),
        })
    }

    /// Whether the index has the record with this hash.
    pub fn contains(&self, hash: &str) -> bool {
        self.records.iter().any(|r| r.hash == hash)
    }
}

/// Adds `records` (already stored under `records/`) to the index.
pub fn publish(remote: &Remote, records: &[Indexed]) -> Result<Published, RemoteError> {
    let mut out = Published::default();
    for attempt in 0..MAX_ATTEMPTS {
        let index = Index::read(remote)?;
        let have: BTreeSet<&str> = index.records.iter().map(|r| r.hash.as_str()).collect();
        let mut fresh: Vec<Indexed> = records
            .iter()
            .filter(|r| !have.contains(r.hash.as_str()))
            .cloned()
            .collect();
        fresh.sort_by(|a, b| a.hash.cmp(&b.hash));
        fresh.dedup_by(|a, b| a.hash == b.hash);
        out.present = records.len() - fresh.len();
        out.added = fresh.len();
        if fresh.is_empty() {
            return Ok(out);
        }
        let mut head = index.head.clone();
        head.format = HEAD_FORMAT.to_string();
        if head.segments.len() >= COMPACT_AT {
            let mut all = index.records;
            all.extend(fresh);
            head.segments = vec![write_segment(remote, all)?];
        } else {
            head.segments.push(write_segment(remote, fresh)?);
        }
        let bytes = to_canonical(&head);
        match remote.swap(HEAD, &bytes, index.version.as_ref())? {
            Swapped::Done => return Ok(out),
            Swapped::Conflict => {
                out.conflicts += 1;
                // Jittered backoff, growing a little with each lost race.
                let ms = 5 + fastrand::u64(0..(10 * u64::from(attempt.min(20) + 1)));
                std::thread::sleep(Duration::from_millis(ms));
            }
        }
    }
    Err(RemoteError::Contended {
        remote: remote.backend().describe().to_string(),
        attempts: MAX_ATTEMPTS,
    })
}

/// Writes a segment of `records` (create-only) and caches it; returns its hash.
fn write_segment(remote: &Remote, records: Vec<Indexed>) -> Result<String, RemoteError> {
    let mut seen = BTreeSet::new();
    let records: Vec<Indexed> = records
        .into_iter()
        .filter(|r| seen.insert(r.hash.clone()))
        .collect();
    let segment = Segment {
        format: SEGMENT_FORMAT.to_string(),
        records,
    };
    let bytes = to_canonical(&segment);
    let hash = hash_of(&bytes);
    remote.create(&layout::segment(&hash), &bytes)?;
    cache_put(&remote.cache_dir(), &hash, &bytes);
    Ok(hash)
}

/// A segment: from the cache when there, else downloaded, checked and cached.
fn read_segment(remote: &Remote, hash: &str) -> Result<Segment, RemoteError> {
    let key = layout::segment(hash);
    if !layout::is_hash(hash) {
        return Err(remote.corrupt(HEAD, format!("it names segment `{hash}`, not a hash")));
    }
    let cache = remote.cache_dir();
    let bytes = match cache_get(&cache, hash) {
        Some(bytes) => bytes,
        None => {
            let bytes = remote.get_hashed(&key, hash)?.ok_or_else(|| {
                remote.corrupt(HEAD, format!("it names segment {hash}, which is missing"))
            })?;
            cache_put(&cache, hash, &bytes);
            bytes
        }
    };
    let segment: Segment = serde_json::from_slice(&bytes)
        .map_err(|e| remote.corrupt(&key, format!("not an index segment: {e}")))?;
    if segment.format != SEGMENT_FORMAT {
        return Err(remote.corrupt(
            &key,
            format!(
                "segment format `{}` is not `{SEGMENT_FORMAT}`",
                segment.format
            ),
        ));
    }
    Ok(segment)
}

fn to_canonical<T: Serialize>(value: &T) -> Vec<u8> {
    let value = serde_json::to_value(value).unwrap_or(Value::Null);
    canonical_json(&value).into_bytes()
}

fn cache_path(dir: &Path, hash: &str) -> PathBuf {
    dir.join("segments").join(format!("{hash}.json"))
}

/// A cached segment whose bytes still hash to its name.
fn cache_get(dir: &Path, hash: &str) -> Option<Vec<u8>> {
    let bytes = std::fs::read(cache_path(dir, hash)).ok()?;
    (hash_of(&bytes) == hash).then_some(bytes)
}

/// Caches a segment; a cache that cannot be written only costs a download next time.
fn cache_put(dir: &Path, hash: &str, bytes: &[u8]) {
    let path = cache_path(dir, hash);
    if let Some(parent) = path.parent()
        && std::fs::create_dir_all(parent).is_ok()
    {
        let _ = crate::store::write_atomic(&path, bytes);
    }
}
