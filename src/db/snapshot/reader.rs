//! Lookups in a snapshot file without reading it whole: a header, then only the table
//! buckets, entry lists and records a goal reaches ([`super::format`] has the layout).
//! Whatever is read is checked: the header against its own hash, every record against
//! its hash, every range against the section it must lie in. Anything else is damage,
//! and the caller goes to the database instead.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::format::{
    CATCH_ALL, EXACT_TABLE, GENERATION_AT, HEADER_LEN, KEY_TABLE, MAGIC, MIN_RECORD, NEAR_TABLE,
    OFFSETS, RECORDS, SECTIONS, check8, fnv,
};
use super::snapshot_path;

/// The snapshot file is damaged (or is not one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Damaged;

/// One library entry, read from a snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct LibraryEntry {
    /// Its position in the snapshot (entries are in id order).
    pub index: u32,
    pub id: i64,
    pub goal_template: String,
    /// 64 lowercase hex digits.
    pub program_id: String,
    /// `{"params": [{"name", "type", "shape"}, ...]}` as canonical JSON text.
    pub params: String,
    pub success_rating: f64,
}

enum Source {
    File(File),
    Bytes(Vec<u8>),
}

/// A snapshot opened for lookups.
pub struct SnapshotReader {
    source: Source,
    len: u64,
    pub generation: i64,
    count: u32,
    sections: [(u64, u64); SECTIONS],
}

impl SnapshotReader {
    /// The snapshot of the database at `db_path`; `None` when there is none or its header
    /// is not intact.
    pub fn open(db_path: &Path) -> Option<SnapshotReader> {
        SnapshotReader::open_file(&snapshot_path(db_path))
    }

    /// The snapshot file at `path` itself (the team library's lookup caches its own).
    pub fn open_file(path: &Path) -> Option<SnapshotReader> {
        let file = File::open(path).ok()?;
        let len = file.metadata().ok()?.len();
        SnapshotReader::new(Source::File(file), len).ok()
    }

    /// A reader over a whole file's bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Option<SnapshotReader> {
        let len = bytes.len() as u64;
        SnapshotReader::new(Source::Bytes(bytes), len).ok()
    }

    fn new(source: Source, len: u64) -> Result<SnapshotReader, Damaged> {
        let mut r = SnapshotReader {
            source,
            len,
            generation: 0,
            count: 0,
            sections: [(0, 0); SECTIONS],
        };
        let h = r.read(0, HEADER_LEN)?;
        if &h[..8] != MAGIC || h[40..48] != check8(&h[GENERATION_AT..HEADER_LEN]) {
            return Err(Damaged);
        }
        r.generation = i64::from_le_bytes(array(&h[48..56]));
        r.count = u32::from_le_bytes(array(&h[56..60]));
        for (k, s) in r.sections.iter_mut().enumerate() {
            let at = 64 + k * 16;
            *s = (
                u64::from_le_bytes(array(&h[at..at + 8])),
                u64::from_le_bytes(array(&h[at + 8..at + 16])),
            );
            let end = s.0.checked_add(s.1).ok_or(Damaged)?;
            if s.0 < HEADER_LEN as u64 || end > len {
                return Err(Damaged);
            }
        }
        if r.sections[OFFSETS].1 != u64::from(r.count) * 8 {
            return Err(Damaged);
        }
        Ok(r)
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether the library is empty.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Entry `index` (0 to `len() - 1`, in id order).
    pub fn entry(&self, index: u32) -> Result<LibraryEntry, Damaged> {
        if index >= self.count {
            return Err(Damaged);
        }
        let off = u64::from_le_bytes(array(&self.section_read(
            OFFSETS,
            u64::from(index) * 8,
            8,
        )?));
        let (start, len) = self.sections[RECORDS];
        if off < start || off + MIN_RECORD as u64 > start + len {
            return Err(Damaged);
        }
        // Records are small: read a little more than the smallest at once, then the rest.
        let head_len = (start + len - off).min(512) as usize;
        let mut rec = self.read(off, head_len)?;
        let strings_at = 24;
        let mut lens = [0usize; 3];
        let mut at = strings_at;
        for l in &mut lens {
            let need = at + 4;
            if rec.len() < need {
                self.extend(&mut rec, off, need, start + len)?;
            }
            *l = u32::from_le_bytes(array(&rec[at..at + 4])) as usize;
            at += 4 + *l;
            if rec.len() < at {
                self.extend(&mut rec, off, at, start + len)?;
            }
        }
        rec.truncate(at);
        if rec[..8] != check8(&rec[8..]) {
            return Err(Damaged);
        }
        let text = |from: usize, n: usize| {
            String::from_utf8(rec[from..from + n].to_vec()).map_err(|_| Damaged)
        };
        let t_at = strings_at + 4;
        let p_at = t_at + lens[0] + 4;
        let q_at = p_at + lens[1] + 4;
        Ok(LibraryEntry {
            index,
            id: i64::from_le_bytes(array(&rec[8..16])),
            success_rating: f64::from_bits(u64::from_le_bytes(array(&rec[16..24]))),
            goal_template: text(t_at, lens[0])?,
            program_id: text(p_at, lens[1])?,
            params: text(q_at, lens[2])?,
        })
    }

    /// Entries filed under `word` (lower-cased) as their rarest literal word.
    pub fn keyed(&self, word: &str) -> Result<Vec<u32>, Damaged> {
        self.lookup(KEY_TABLE, fnv(word.as_bytes()))
    }

    /// Placeholder-free entries whose normalized goal may be `normalized`.
    pub fn exact(&self, normalized: &str) -> Result<Vec<u32>, Damaged> {
        self.lookup(EXACT_TABLE, fnv(normalized.as_bytes()))
    }

    /// Entries with the near-match word key `key` (`semantic::word_keys`): how many there
    /// are, and the first `limit` of them.
    pub fn near(&self, key: u64, limit: usize) -> Result<(usize, Vec<u32>), Damaged> {
        self.lookup_capped(NEAR_TABLE, key, limit as u64)
    }

    /// Entries whose template has no whole literal word: tried for every goal.
    pub fn catch_all(&self) -> Result<Vec<u32>, Damaged> {
        let (_, len) = self.sections[CATCH_ALL];
        let bytes = self.section_read(CATCH_ALL, 0, len)?;
        Ok(u32s(&bytes))
    }

    /// The entry list of the bucket `hash` falls in.
    fn lookup(&self, section: usize, hash: u64) -> Result<Vec<u32>, Damaged> {
        self.lookup_capped(section, hash, u64::MAX)
            .map(|(_, list)| list)
    }

    /// The length of the entry list of the bucket `hash` falls in, and its first `cap`
    /// entries.
    fn lookup_capped(
        &self,
        section: usize,
        hash: u64,
        cap: u64,
    ) -> Result<(usize, Vec<u32>), Damaged> {
        let head = self.section_read(section, 0, 8)?;
        let buckets = u64::from(u32::from_le_bytes(array(&head[..4])));
        if !buckets.is_power_of_two() {
            return Err(Damaged);
        }
        let bucket = hash & (buckets - 1);
        let b = self.section_read(section, 8 + bucket * 8, 8)?;
        let start = u64::from(u32::from_le_bytes(array(&b[..4])));
        let n = u64::from(u32::from_le_bytes(array(&b[4..8])));
        let list = self.section_read(section, 8 + buckets * 8 + start * 4, n.min(cap) * 4)?;
        let out = u32s(&list);
        match out.iter().all(|&i| i < self.count) {
            true => Ok((n as usize, out)),
            false => Err(Damaged),
        }
    }

    /// `len` bytes at `at` within a section.
    fn section_read(&self, section: usize, at: u64, len: u64) -> Result<Vec<u8>, Damaged> {
        let (start, size) = self.sections[section];
        let end = at.checked_add(len).ok_or(Damaged)?;
        if end > size {
            return Err(Damaged);
        }
        self.read(start + at, usize::try_from(len).map_err(|_| Damaged)?)
    }

    /// Grows `rec` (read at `off`) to at least `need` bytes, within `limit`.
    fn extend(&self, rec: &mut Vec<u8>, off: u64, need: usize, limit: u64) -> Result<(), Damaged> {
        if off + need as u64 > limit {
            return Err(Damaged);
        }
        let more = self.read(off + rec.len() as u64, need - rec.len())?;
        rec.extend_from_slice(&more);
        Ok(())
    }

    fn read(&self, at: u64, len: usize) -> Result<Vec<u8>, Damaged> {
        if at.checked_add(len as u64).is_none_or(|end| end > self.len) {
            return Err(Damaged);
        }
        match &self.source {
            Source::Bytes(b) => Ok(b[at as usize..at as usize + len].to_vec()),
            Source::File(f) => {
                let mut buf = vec![0; len];
                let mut f = f;
                f.seek(SeekFrom::Start(at)).map_err(|_| Damaged)?;
                f.read_exact(&mut buf).map_err(|_| Damaged)?;
                Ok(buf)
            }
        }
    }
}

fn array<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut out = [0; N];
    out.copy_from_slice(&b[..N]);
    out
}

fn u32s(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes(array(c)))
        .collect()
}
