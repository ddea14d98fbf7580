//! The shared index: every record of the remote, found without listing the bucket.
//!
//! `index/head.json` names the index's segments in order; a segment is an immutable batch
//! of records (each with its hash), stored under its own blake3, so a reader downloads
//! the head (small) and only the segments it has not cached yet. A push writes its new
//! records as one segment, then appends the segment to the head with compare-and-swap
//! (`If-Match` on the head's ETag); when someone else changed the head first, it reads
//! the head again and retries. A segment holds at most [`SEGMENT_RECORDS`] records; when
//! more than [`COMPACT_AT`] segments are not full, the push that finds it so merges them.
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
use super::{RecordError, Remote, RemoteError};
use crate::value::{Value, canonical_json};

/// The format tag of the head.
pub const HEAD_FORMAT: &str = "llmos-index/1";
/// The format tag of a segment.
pub const SEGMENT_FORMAT: &str = "llmos-index-segment/1";
/// A segment holds at most this many records (about 2 MiB of JSON).
pub const SEGMENT_RECORDS: usize = 4096;
/// When more than this many segments are not full, the next push merges them.
pub const COMPACT_AT: usize = 32;
/// How many times a push retries a compare-and-swap that lost a race.
pub const MAX_ATTEMPTS: u32 = 50;

/// `index/head.json`: the segments that make the index, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Head {
    format: String,
    pub segments: Vec<SegmentRef>,
}

/// A segment as the head names it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentRef {
    /// The blake3 of the segment's bytes.
    pub hash: String,
    /// How many records it holds.
    pub records: u32,
}

/// The head as read: what it says, its bytes' hash and the version to swap against.
#[derive(Clone, Debug, Default)]
pub struct HeadRead {
    pub head: Head,
    /// blake3 of the head's bytes: names this state of the index.
    pub hash: String,
    version: Option<Version>,
}

impl HeadRead {
    /// Reads `index/head.json` (an empty index when there is none).
    pub fn read(remote: &Remote) -> Result<HeadRead, RemoteError> {
        let Some(fetched) = remote.backend().get(HEAD, remote.limit())? else {
            return Ok(HeadRead::default());
        };
        let head: Head = serde_json::from_slice(&fetched.bytes)
            .map_err(|e| remote.corrupt(HEAD, format!("not an index head: {e}")))?;
        if head.format != HEAD_FORMAT {
            return Err(remote.corrupt(
                HEAD,
                format!("index format `{}` is not `{HEAD_FORMAT}`", head.format),
            ));
        }
        Ok(HeadRead {
            head,
            hash: hash_of(&fetched.bytes),
            version: Some(fetched.version),
        })
    }
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
    pub fn check_hash(&self) -> Result<(), RecordError> {
        let actual = self.record.hash();
        match actual == self.hash {
            true => Ok(()),
            false => Err(RecordError::WrongHash {
                name: self.hash.clone(),
                actual,
            }),
        }
    }
}

/// The index as read: its records in order, each once.
#[derive(Clone, Debug, Default)]
pub struct Index {
    pub records: Vec<Indexed>,
    pub segments: usize,
    head: HeadRead,
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
        let head = HeadRead::read(remote)?;
        let mut seen = BTreeSet::new();
        let mut records = Vec::new();
        for seg in &head.head.segments {
            for r in read_segment(remote, &seg.hash)? {
                if seen.insert(r.hash.clone()) {
                    records.push(r);
                }
            }
        }
        Ok(Index {
            records,
            segments: head.head.segments.len(),
            head,
        })
    }

    /// Whether the index has the record with this hash.
    pub fn contains(&self, hash: &str) -> bool {
        self.records.iter().any(|r| r.hash == hash)
    }
}

/// How large segments grow and when small ones are merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub segment_records: usize,
    pub compact_at: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            segment_records: SEGMENT_RECORDS,
            compact_at: COMPACT_AT,
        }
    }
}

/// Adds `records` (already stored under `records/`) to the index.
pub fn publish(remote: &Remote, records: &[Indexed]) -> Result<Published, RemoteError> {
    publish_with(remote, records, Limits::default())
}

/// [`publish`] with other segment limits (tests use small ones).
pub fn publish_with(
    remote: &Remote,
    records: &[Indexed],
    limits: Limits,
) -> Result<Published, RemoteError> {
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
        let head = appended(remote, &index.head.head, fresh, limits)?;
        match remote.swap(HEAD, &to_canonical(&head), index.head.version.as_ref())? {
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

/// The head with `fresh` written as new segments. When that makes more than
/// [`COMPACT_AT`] segments that are not full, those are merged into full ones (the full
/// ones stay as they are, so a large index is never rewritten whole).
fn appended(
    remote: &Remote,
    head: &Head,
    fresh: Vec<Indexed>,
    limits: Limits,
) -> Result<Head, RemoteError> {
    let full = |s: &SegmentRef| s.records as usize >= limits.segment_records;
    let small = head.segments.iter().filter(|s| !full(s)).count();
    let mut out = Head {
        format: HEAD_FORMAT.to_string(),
        segments: Vec::new(),
    };
    let mut pending = Vec::new();
    for seg in &head.segments {
        if small + 1 > limits.compact_at && !full(seg) {
            pending.extend(read_segment(remote, &seg.hash)?);
        } else {
            out.segments.push(seg.clone());
        }
    }
    pending.extend(fresh);
    let mut seen = BTreeSet::new();
    pending.retain(|r| seen.insert(r.hash.clone()));
    for chunk in pending.chunks(limits.segment_records.max(1)) {
        out.segments.push(write_segment(remote, chunk)?);
    }
    Ok(out)
}

/// Writes a segment of `records` (create-only) and caches it.
fn write_segment(remote: &Remote, records: &[Indexed]) -> Result<SegmentRef, RemoteError> {
    let segment = Segment {
        format: SEGMENT_FORMAT.to_string(),
        records: records.to_vec(),
    };
    let bytes = to_canonical(&segment);
    let hash = hash_of(&bytes);
    remote.create(&layout::segment(&hash), &bytes)?;
    cache_put(&remote.cache_dir(), &hash, &bytes);
    Ok(SegmentRef {
        hash,
        records: records.len() as u32,
    })
}

/// The records of a segment: from the cache when there, else downloaded, checked and
/// cached.
pub fn read_segment(remote: &Remote, hash: &str) -> Result<Vec<Indexed>, RemoteError> {
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
    Ok(segment.records)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::TraceSource;
    use crate::remote::DirBackend;
    use crate::remote::record::Entry;
    use crate::store::ObjectId;

    fn records(range: std::ops::Range<usize>) -> Vec<Indexed> {
        range
            .map(|i| {
                Indexed::of(Record::new(
                    Entry {
                        goal: format!("task {i} on {{file}}"),
                        name: format!("t{i}"),
                        params: serde_json::json!({"params": []}),
                        program: ObjectId::of(&i.to_le_bytes()),
                        parent: None,
                        source: None,
                        kind: TraceSource::Compiled,
                        learn_cost_micros: 0,
                        publisher: "test".into(),
                    },
                    None,
                ))
            })
            .collect()
    }

    #[test]
    fn segments_stay_bounded_and_small_ones_are_merged() {
        let shared = tempfile::tempdir().unwrap();
        let state = tempfile::tempdir().unwrap();
        let backend = DirBackend::open(shared.path(), "file:///shared").unwrap();
        let remote = Remote::with_backend(Box::new(backend), state.path(), 1 << 30);
        let limits = Limits {
            segment_records: 16,
            compact_at: 4,
        };
        // One large push: full segments and the rest.
        let big = records(0..16 + 10);
        assert_eq!(publish_with(&remote, &big, limits).unwrap().added, 16 + 10);
        let head = HeadRead::read(&remote).unwrap().head;
        let full = head.segments[0].clone();
        let sizes: Vec<u32> = head.segments.iter().map(|s| s.records).collect();
        assert_eq!(sizes, vec![16, 10]);
        // Many small pushes: past COMPACT_AT small segments, they are merged; the full
        // segment is left as it was.
        let n = 16 + 10;
        for i in 0..7 {
            publish_with(&remote, &records(n + i..n + i + 1), limits).unwrap();
        }
        let head = HeadRead::read(&remote).unwrap().head;
        assert!(
            head.segments.len() <= COMPACT_AT + 1,
            "{}",
            head.segments.len()
        );
        assert_eq!(head.segments[0], full);
        let index = Index::read(&remote).unwrap();
        assert_eq!(index.records.len(), n + 7);
        // Publishing what is there already adds nothing.
        let again = publish(&remote, &records(0..5)).unwrap();
        assert_eq!((again.added, again.present), (0, 5));
    }
}
