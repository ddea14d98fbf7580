//! The library snapshot: what the dispatcher needs from the trace library (id, goal
//! template, program, params and rating of every entry) in one file beside the database,
//! `llmos.db-library`. A Follower run reads it instead of opening SQLite, which costs more
//! than the rest of a small run together (a process that opens a WAL database first
//! rebuilds the shared-memory index and parses the schema).
//!
//! Invariants:
//! - The database counts changes to those columns in `meta.library_generation` (triggers
//!   of schema version 2), and the snapshot carries the generation it was built from.
//! - Whoever changes the library refreshes the snapshot after the change commits
//!   ([`Db::refresh_snapshot`]), holding an exclusive lock on `llmos.db-lock` and reading
//!   the database under it: refreshes are serialized and each one reads the newest state,
//!   so the file never goes back to an older generation.
//! - The file is replaced whole (temp file and rename) and checked on read (magic,
//!   length, blake3 of the body): a reader sees a complete snapshot or none, and a
//!   reader that finds none uses the database, which rebuilds it.
//! - Every [`Db::open`] refreshes a stale snapshot, so one left stale by a crash between
//!   a commit and its refresh lasts only until the next process opens the database.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{Db, DbError};

/// The first bytes of a snapshot file (the digit is the format version).
const MAGIC: &[u8; 8] = b"LLMOSLS1";
/// Magic, blake3 of the body, then the body (generation first).
const HEADER_LEN: usize = MAGIC.len() + 32;

/// One entry of the library, as the dispatcher sees it: borrowed from the snapshot's
/// bytes, so reading a snapshot of 100,000 entries allocates one index, not 300,000
/// strings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SnapshotEntry<'a> {
    pub id: i64,
    pub goal_template: &'a str,
    /// 64 lowercase hex digits.
    pub program_id: &'a str,
    /// `{"params": [{"name", "type"}, ...]}` as canonical JSON text.
    pub params: &'a str,
    pub success_rating: f64,
}

/// An entry as read from the database, to build a snapshot from.
#[derive(Clone, Debug, PartialEq)]
pub struct LibraryRow {
    pub id: i64,
    pub goal_template: String,
    pub program_id: String,
    pub params: String,
    pub success_rating: f64,
}

/// The library as of one generation, entries by id: the file's body, checked, and where
/// each entry's strings are in it.
#[derive(Clone)]
pub struct Snapshot {
    pub generation: i64,
    /// The body starts at `body_start` (a snapshot read from a file keeps the header).
    bytes: Vec<u8>,
    body_start: usize,
    index: Vec<Slots>,
}

/// Where one entry is in the body: id, rating and three string ranges.
#[derive(Clone, Copy)]
struct Slots {
    id: i64,
    rating: f64,
    strings: [(u32, u32); 3],
}

impl PartialEq for Snapshot {
    fn eq(&self, other: &Snapshot) -> bool {
        self.generation == other.generation && self.iter().eq(other.iter())
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("generation", &self.generation)
            .field("entries", &self.iter().collect::<Vec<_>>())
            .finish()
    }
}

/// The snapshot file of the database at `db_path`.
pub fn snapshot_path(db_path: &Path) -> PathBuf {
    sibling(db_path, "-library")
}

/// The lock file that serializes snapshot refreshes and usage folds.
pub(super) fn lock_path(db_path: &Path) -> PathBuf {
    sibling(db_path, "-lock")
}

/// `db_path` with `suffix` appended to its file name (`llmos.db` -> `llmos.db-library`).
pub(super) fn sibling(db_path: &Path, suffix: &str) -> PathBuf {
    let mut name = db_path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

impl Snapshot {
    /// The snapshot of the database at `db_path`, or `None` when there is none or it is
    /// not a complete, intact snapshot (the database then has the answer).
    pub fn read(db_path: &Path) -> Option<Snapshot> {
        let bytes = std::fs::read(snapshot_path(db_path)).ok()?;
        Snapshot::checked(bytes)
    }

    /// A snapshot of `rows` (in id order) at `generation`.
    pub fn build(generation: i64, rows: &[LibraryRow]) -> Snapshot {
        let mut body = Vec::with_capacity(16 + rows.len() * 160);
        body.extend_from_slice(&generation.to_le_bytes());
        body.extend_from_slice(&(rows.len() as u32).to_le_bytes());
        for e in rows {
            body.extend_from_slice(&e.id.to_le_bytes());
            body.extend_from_slice(&e.success_rating.to_bits().to_le_bytes());
            for s in [&e.goal_template, &e.program_id, &e.params] {
                body.extend_from_slice(&(s.len() as u32).to_le_bytes());
                body.extend_from_slice(s.as_bytes());
            }
        }
        Snapshot::index(body, 0).expect("a body just written indexes")
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the library is empty.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The entries, by id.
    pub fn iter(&self) -> impl Iterator<Item = SnapshotEntry<'_>> {
        self.index.iter().map(|slots| {
            // Every range was checked to be in the body and valid UTF-8 by `index`.
            let text = |(start, end): (u32, u32)| {
                std::str::from_utf8(&self.bytes[start as usize..end as usize]).unwrap_or("")
            };
            SnapshotEntry {
                id: slots.id,
                success_rating: slots.rating,
                goal_template: text(slots.strings[0]),
                program_id: text(slots.strings[1]),
                params: text(slots.strings[2]),
            }
        })
    }

    /// The file's bytes: magic, blake3 of the body, body. The body is the generation
    /// (i64), the entry count (u32), then per entry the id (i64), the rating (f64 bits)
    /// and three strings (u32 length, UTF-8): template, program id, params. Little-endian.
    pub fn encode(&self) -> Vec<u8> {
        let body = &self.bytes[self.body_start..];
        let mut out = Vec::with_capacity(HEADER_LEN + body.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(blake3::hash(body).as_bytes());
        out.extend_from_slice(body);
        out
    }

    /// The snapshot in `bytes` (a whole file), or `None` when they are not one.
    pub fn decode(bytes: &[u8]) -> Option<Snapshot> {
        Snapshot::checked(bytes.to_vec())
    }

    /// The snapshot in a whole file's bytes, after checking magic and hash.
    fn checked(bytes: Vec<u8>) -> Option<Snapshot> {
        let (header, body) = bytes.split_at_checked(HEADER_LEN)?;
        if &header[..MAGIC.len()] != MAGIC
            || header[MAGIC.len()..] != *blake3::hash(body).as_bytes()
        {
            return None;
        }
        Snapshot::index(bytes, HEADER_LEN)
    }

    /// Finds every entry of the body that starts at `start`; `None` when it does not
    /// parse to the end.
    fn index(bytes: Vec<u8>, start: usize) -> Option<Snapshot> {
        let mut r = Reader {
            body: &bytes,
            at: start,
        };
        let generation = r.i64()?;
        let count = r.u32()? as usize;
        // Every entry takes at least 28 bytes: a count larger than that is a lie.
        if count > (bytes.len() - r.at) / 28 {
            return None;
        }
        let mut index = Vec::with_capacity(count);
        for _ in 0..count {
            let id = r.i64()?;
            let rating = f64::from_bits(r.i64()? as u64);
            let strings = [r.string()?, r.string()?, r.string()?];
            index.push(Slots {
                id,
                rating,
                strings,
            });
        }
        (r.at == bytes.len()).then_some(Snapshot {
            generation,
            bytes,
            body_start: start,
            index,
        })
    }
}

/// The generation a snapshot file says it has, from its first bytes alone (no check).
fn file_generation(path: &Path) -> Option<i64> {
    let mut head = [0u8; HEADER_LEN + 8];
    std::fs::File::open(path).ok()?.read_exact(&mut head).ok()?;
    (&head[..MAGIC.len()] == MAGIC)
        .then(|| i64::from_le_bytes(head[HEADER_LEN..].try_into().expect("8 bytes")))
}

struct Reader<'a> {
    body: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let bytes = self.body.get(self.at..self.at.checked_add(N)?)?;
        self.at += N;
        bytes.try_into().ok()
    }

    fn i64(&mut self) -> Option<i64> {
        self.take::<8>().map(i64::from_le_bytes)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take::<4>().map(u32::from_le_bytes)
    }

    /// A string's range in the body, checked to be UTF-8.
    fn string(&mut self) -> Option<(u32, u32)> {
        let len = self.u32()? as usize;
        let start = self.at;
        let end = start.checked_add(len)?;
        std::str::from_utf8(self.body.get(start..end)?).ok()?;
        self.at = end;
        Some((u32::try_from(start).ok()?, u32::try_from(end).ok()?))
    }
}

impl Db {
    /// The library generation: how many changes the snapshot's columns have seen.
    pub fn library_generation(&self) -> Result<i64, DbError> {
        self.conn()
            .query_row(
                "SELECT value FROM meta WHERE key = 'library_generation'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err("cannot read the library generation", e))
    }

    /// The library as a snapshot, read in one transaction.
    pub fn library_snapshot(&self) -> Result<Snapshot, DbError> {
        let tx = self
            .conn()
            .unchecked_transaction()
            .map_err(|e| self.err("cannot read the trace library", e))?;
        let generation = self.library_generation()?;
        let entries = {
            let mut stmt = tx
                .prepare(
                    "SELECT id, goal_template, program_id, params, success_rating
                     FROM traces ORDER BY id",
                )
                .map_err(|e| self.err("cannot read the trace library", e))?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(LibraryRow {
                        id: r.get(0)?,
                        goal_template: r.get(1)?,
                        program_id: r.get(2)?,
                        params: r.get(3)?,
                        success_rating: r.get(4)?,
                    })
                })
                .map_err(|e| self.err("cannot read the trace library", e))?;
            rows.collect::<Result<Vec<_>, _>>()
                .map_err(|e| self.err("cannot read the trace library", e))?
        };
        tx.finish()
            .map_err(|e| self.err("cannot read the trace library", e))?;
        Ok(Snapshot::build(generation, &entries))
    }

    /// Brings the snapshot file up to the database's generation; with `force`, rewrites
    /// it even when its header says it is current (for a reader that found it damaged).
    /// If it cannot be written, it is removed, so no reader trusts an old one. Returns
    /// the library as read for the refresh, when it had to read it.
    pub fn refresh_snapshot(&self, force: bool) -> Result<Option<Snapshot>, DbError> {
        let path = snapshot_path(self.path());
        if !force && file_generation(&path) == Some(self.library_generation()?) {
            return Ok(None);
        }
        let lock = self.lock_file()?;
        let snapshot = self.library_snapshot()?;
        if !force && file_generation(&path) == Some(snapshot.generation) {
            // Another process refreshed it while we waited for the lock.
            return Ok(Some(snapshot));
        }
        let written = crate::store::replace_unsynced(&path, &snapshot.encode());
        drop(lock);
        match written {
            Ok(()) => Ok(Some(snapshot)),
            Err(source) => match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(DbError::Io {
                    path: path.clone(),
                    doing: "cannot write the library snapshot, nor remove the old one".into(),
                    source,
                }),
                _ => Ok(Some(snapshot)),
            },
        }
    }

    /// Brings the library up to date: runs counted in the usage log folded in, and a
    /// snapshot that a crash left stale refreshed.
    pub fn catch_up_library(&self) -> Result<(), DbError> {
        self.fold_usage()?;
        self.refresh_snapshot(false).map(drop)
    }

    /// Holds the exclusive lock that serializes snapshot refreshes and usage folds until
    /// the returned file is dropped.
    pub(super) fn lock_file(&self) -> Result<std::fs::File, DbError> {
        let path = lock_path(self.path());
        let io = |source| DbError::Io {
            path: path.clone(),
            doing: "cannot lock".into(),
            source,
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        file.lock().map_err(io)?;
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Snapshot {
        Snapshot::build(
            7,
            &[
                LibraryRow {
                    id: 1,
                    goal_template: "count the words in {file}".into(),
                    program_id: "ab".repeat(32),
                    params: r#"{"params":[{"name":"file","type":"path"}]}"#.into(),
                    success_rating: 0.9,
                },
                LibraryRow {
                    id: 4,
                    goal_template: "say hello — ünïcode".into(),
                    program_id: "cd".repeat(32),
                    params: "{}".into(),
                    success_rating: 1.0,
                },
            ],
        )
    }

    #[test]
    fn round_trips() {
        let s = sample();
        assert_eq!(Snapshot::decode(&s.encode()), Some(s.clone()));
        let entries: Vec<_> = s.iter().collect();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].goal_template, "say hello — ünïcode");
        assert_eq!((entries[0].id, entries[0].success_rating), (1, 0.9));
        let empty = Snapshot::build(1, &[]);
        assert!(empty.is_empty());
        assert_eq!(Snapshot::decode(&empty.encode()), Some(empty));
    }

    #[test]
    fn any_damage_is_detected() {
        let bytes = sample().encode();
        for cut in 0..bytes.len() {
            assert_eq!(Snapshot::decode(&bytes[..cut]), None, "cut at {cut}");
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x40;
            assert_eq!(Snapshot::decode(&b), None, "flip at {i}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(Snapshot::decode(&longer), None);
    }

    #[test]
    fn a_lying_count_is_refused_without_allocating_for_it() {
        let mut body = Vec::new();
        body.extend_from_slice(&1i64.to_le_bytes());
        body.extend_from_slice(&u32::MAX.to_le_bytes());
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(blake3::hash(&body).as_bytes());
        bytes.extend_from_slice(&body);
        assert_eq!(Snapshot::decode(&bytes), None);
    }
}
