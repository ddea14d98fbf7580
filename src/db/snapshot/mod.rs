//! The library snapshot: what the dispatcher needs from the trace library (id, goal
//! template, program, params and rating of every entry) in one file beside the database,
//! `llmos.db-library`. A Follower run reads it instead of opening SQLite, which costs more
//! than the rest of a small run together (a process that opens a WAL database first
//! rebuilds the shared-memory index and parses the schema).
//!
//! The file also holds the tables that say which entries a goal can reach (by its words,
//! its exact text, and for near matches its stemmed words; layout in `format.rs`), so a
//! run against a library of a million programs reads a few kilobytes of it through a
//! [`SnapshotReader`], not the whole file.
//!
//! Invariants:
//! - The database counts changes to those columns in `meta.library_generation` (triggers
//!   of schema version 2), and the snapshot carries the generation it was built from.
//! - Whoever changes the library refreshes the snapshot after the change commits
//!   ([`Db::refresh_snapshot`]), holding an exclusive lock on `llmos.db-lock` and reading
//!   the database under it: refreshes are serialized and each one reads the newest state,
//!   so the file never goes back to an older generation.
//! - The file is replaced whole (temp file and rename) and checked on read: a
//!   [`SnapshotReader`] checks the header's own hash and every record it reads against
//!   the record's hash and every range against its section; [`Snapshot::read`] (the whole
//!   file) also checks the blake3 of the body. A reader sees a complete snapshot or
//!   damage, and a reader that finds damage (or no file) uses the database, which
//!   rebuilds it.
//! - Every [`Db::open`] refreshes a stale snapshot, so one left stale by a crash between
//!   a commit and its refresh lasts only until the next process opens the database.

mod format;
mod reader;

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{Db, DbError};
use format::{GENERATION_AT, HEADER_LEN, MAGIC, RECORDS, SECTIONS, check8};

pub use reader::{Damaged, LibraryEntry, SnapshotReader};

/// One entry of the library, as the dispatcher sees it: borrowed from the snapshot's
/// bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SnapshotEntry<'a> {
    pub id: i64,
    pub goal_template: &'a str,
    /// 64 lowercase hex digits.
    pub program_id: &'a str,
    /// `{"params": [{"name", "type", "shape"}, ...]}` as canonical JSON text.
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

/// The library as of one generation, read whole and checked (the dispatcher reads only
/// what it needs through a [`SnapshotReader`] instead): the file's bytes and where each
/// entry's strings are in them.
#[derive(Clone)]
pub struct Snapshot {
    pub generation: i64,
    bytes: Vec<u8>,
    index: Vec<Slots>,
}

/// Where one entry is in the bytes: id, rating and three string ranges.
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
    /// The snapshot of the database at `db_path`, read whole, or `None` when there is none
    /// or it is not a complete, intact snapshot (the database then has the answer).
    pub fn read(db_path: &Path) -> Option<Snapshot> {
        let bytes = std::fs::read(snapshot_path(db_path)).ok()?;
        Snapshot::checked(bytes)
    }

    /// A snapshot of `rows` (in id order) at `generation`.
    pub fn build(generation: i64, rows: &[LibraryRow]) -> Snapshot {
        Snapshot::checked(format::encode(generation, rows)).expect("a file just written reads")
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
            // Every range was checked to be in the file and valid UTF-8 by `checked`.
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

    /// The file's bytes (the layout is in `format.rs`).
    pub fn encode(&self) -> Vec<u8> {
        self.bytes.clone()
    }

    /// A reader for lookups over this snapshot's bytes.
    pub fn reader(&self) -> SnapshotReader {
        self.clone().into_reader()
    }

    /// A reader for lookups over this snapshot's bytes, which it takes.
    pub fn into_reader(self) -> SnapshotReader {
        SnapshotReader::from_bytes(self.bytes).expect("a checked snapshot reads")
    }

    /// The snapshot in `bytes` (a whole file), or `None` when they are not one.
    pub fn decode(bytes: &[u8]) -> Option<Snapshot> {
        Snapshot::checked(bytes.to_vec())
    }

    /// The snapshot in a whole file's bytes, after checking magic, both hashes and every
    /// record.
    fn checked(bytes: Vec<u8>) -> Option<Snapshot> {
        let (header, body) = bytes.split_at_checked(HEADER_LEN)?;
        if &header[..8] != MAGIC
            || header[8..40] != *blake3::hash(body).as_bytes()
            || header[40..48] != check8(&header[GENERATION_AT..])
        {
            return None;
        }
        let reader = SnapshotReader::from_bytes(bytes.clone())?;
        let (start, len) = read_section(header, RECORDS);
        let mut r = Reader {
            body: &bytes,
            at: usize::try_from(start).ok()?,
        };
        let end = r.at.checked_add(usize::try_from(len).ok()?)?;
        let mut index = Vec::with_capacity(reader.len());
        for _ in 0..reader.len() {
            let rec_start = r.at;
            let check = r.take::<8>()?;
            let id = r.i64()?;
            let rating = f64::from_bits(r.i64()? as u64);
            let strings = [r.string()?, r.string()?, r.string()?];
            if check != check8(bytes.get(rec_start + 8..r.at)?) {
                return None;
            }
            index.push(Slots {
                id,
                rating,
                strings,
            });
        }
        (r.at == end).then_some(Snapshot {
            generation: reader.generation,
            bytes,
            index,
        })
    }
}

fn read_section(header: &[u8], k: usize) -> (u64, u64) {
    let at = 64 + k * 16;
    debug_assert!(k < SECTIONS);
    let word = |a: usize| u64::from_le_bytes(header[a..a + 8].try_into().expect("8 bytes"));
    (word(at), word(at + 8))
}

/// The generation a snapshot file says it has, from its header alone.
fn file_generation(path: &Path) -> Option<i64> {
    let mut head = [0u8; HEADER_LEN];
    std::fs::File::open(path).ok()?.read_exact(&mut head).ok()?;
    (&head[..8] == MAGIC && head[40..48] == check8(&head[GENERATION_AT..])).then(|| {
        i64::from_le_bytes(
            head[GENERATION_AT..GENERATION_AT + 8]
                .try_into()
                .expect("8 bytes"),
        )
    })
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

    /// A string's range in the bytes, checked to be UTF-8.
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
    fn lookups_reach_the_entries_a_goal_can_match() {
        let s = sample();
        let r = s.reader();
        assert_eq!(r.len(), 2);
        // `count the words in {file}` is filed under its rarest word.
        let keyed: Vec<u32> = ["count", "the", "words", "in"]
            .iter()
            .flat_map(|w| r.keyed(w).unwrap())
            .collect();
        assert!(keyed.contains(&0), "{keyed:?}");
        let e = r.entry(0).unwrap();
        assert_eq!(
            (e.id, e.goal_template.as_str()),
            (1, "count the words in {file}")
        );
        assert_eq!(r.entry(1).unwrap().goal_template, "say hello — ünïcode");
        assert!(r.entry(2).is_err());
        // The placeholder-free template is an exact goal.
        assert!(r.exact("say hello — ünïcode").unwrap().contains(&1));
        assert!(r.catch_all().unwrap().is_empty());
    }

    #[test]
    fn a_damaged_record_is_noticed_when_it_is_read() {
        let mut bytes = sample().encode();
        let e = sample().reader().entry(1).unwrap();
        let at = bytes
            .windows(e.program_id.len())
            .position(|w| w == e.program_id.as_bytes())
            .unwrap();
        bytes[at] ^= 1;
        let r = SnapshotReader::from_bytes(bytes).expect("the header is intact");
        assert!(r.entry(0).is_ok());
        assert_eq!(r.entry(1), Err(Damaged));
    }
}
