//! The bytes of the library snapshot file (format 2), laid out so that a lookup reads a
//! few kilobytes of a file that holds a million entries: a fixed header, the entry
//! records, their offsets, and three hash tables that say which entries a goal's words
//! can reach. Little-endian throughout.
//!
//! ```text
//! header (160 bytes)
//!   0   magic "LLMOSLS2"
//!   8   blake3 of everything after the header (checked by a full read only)
//!   40  blake3 of header bytes 48..160, first 8 bytes (checked by every reader)
//!   48  generation (i64), entry count (u32), 0 (u32)
//!   64  six sections, each (offset u64, length u64):
//!       records, record offsets, key table, exact table, near table, catch-all
//! records          per entry, in id order: blake3 of the rest of the record (8 bytes),
//!                  id (i64), rating (f64 bits), then template, program id and params,
//!                  each a u32 length and UTF-8
//! record offsets   per entry: the record's offset in the file (u64)
//! key table        a template's rarest whole literal word -> entries filed under it
//! exact table      a placeholder-free template's normalized goal -> entries
//! near table       every non-function word (stemmed, see `semantic::word_keys`) -> entries
//! catch-all        entries whose template has no whole literal word (u32 each)
//! ```
//!
//! A table is a bucket count `b` (u32, a power of two) and 0 (u32), then `b` buckets of
//! (start u32, length u32) into the entry-index array that follows (u32 each). A key goes
//! to bucket `hash & (b - 1)`; keys that share a bucket share its list, so a lookup
//! gives candidates that the caller checks against the records.

use std::collections::BTreeMap;

use super::LibraryRow;
use crate::dispatch::semantic::word_keys;
use crate::dispatch::template::{GoalTemplate, normalize_goal};

pub(super) const MAGIC: &[u8; 8] = b"LLMOSLS2";
pub(super) const HEADER_LEN: usize = 160;
/// Where the generation is (bytes 48..56).
pub(super) const GENERATION_AT: usize = 48;
pub(super) const SECTIONS: usize = 6;
pub(super) const RECORDS: usize = 0;
pub(super) const OFFSETS: usize = 1;
pub(super) const KEY_TABLE: usize = 2;
pub(super) const EXACT_TABLE: usize = 3;
pub(super) const NEAR_TABLE: usize = 4;
pub(super) const CATCH_ALL: usize = 5;

/// The smallest a record can be: check, id, rating and three empty strings.
pub(super) const MIN_RECORD: usize = 8 + 8 + 8 + 3 * 4;

/// 64-bit FNV-1a of a key's bytes: stable across builds and platforms.
pub(crate) fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The first 8 bytes of blake3.
pub(super) fn check8(bytes: &[u8]) -> [u8; 8] {
    let mut out = [0; 8];
    out.copy_from_slice(&blake3::hash(bytes).as_bytes()[..8]);
    out
}

/// What the dispatcher looks an entry up by.
struct Keys {
    /// Whole literal words (lower-cased), when the template parses.
    words: Option<Vec<String>>,
    exact: Option<String>,
    near: Vec<u64>,
}

fn keys_of(template: &str) -> Keys {
    let near = word_keys(template);
    let Ok(t) = GoalTemplate::parse(template) else {
        return Keys {
            words: None,
            exact: None,
            near,
        };
    };
    let exact = t
        .placeholders()
        .is_empty()
        .then(|| normalize_goal(&t.render(&indexmap::IndexMap::new())));
    Keys {
        words: Some(t.literal_words()),
        exact,
        near,
    }
}

/// The whole file for `rows` (in id order) at `generation`.
pub(super) fn encode(generation: i64, rows: &[LibraryRow]) -> Vec<u8> {
    let keys: Vec<Keys> = rows.iter().map(|r| keys_of(&r.goal_template)).collect();
    let mut out = vec![0u8; HEADER_LEN];
    let mut sections = [(0u64, 0u64); SECTIONS];
    let mut offsets = Vec::with_capacity(rows.len() * 8);
    let start = out.len();
    for r in rows {
        offsets.extend_from_slice(&(out.len() as u64).to_le_bytes());
        write_record(&mut out, r);
    }
    sections[RECORDS] = (start as u64, (out.len() - start) as u64);
    push_section(&mut out, &mut sections[OFFSETS], &offsets);
    let key = key_table(&keys);
    push_section(&mut out, &mut sections[KEY_TABLE], &key);
    let exact = table(keys.iter().enumerate().filter_map(|(i, k)| {
        let e = k.exact.as_ref()?;
        Some((fnv(e.as_bytes()), i as u32))
    }));
    push_section(&mut out, &mut sections[EXACT_TABLE], &exact);
    let near = table(
        keys.iter()
            .enumerate()
            .flat_map(|(i, k)| k.near.iter().map(move |&h| (h, i as u32))),
    );
    push_section(&mut out, &mut sections[NEAR_TABLE], &near);
    let catch_all: Vec<u8> = keys
        .iter()
        .enumerate()
        .filter(|(_, k)| k.words.as_ref().is_some_and(Vec::is_empty))
        .flat_map(|(i, _)| (i as u32).to_le_bytes())
        .collect();
    push_section(&mut out, &mut sections[CATCH_ALL], &catch_all);
    write_header(&mut out, generation, rows.len() as u32, &sections);
    out
}

fn write_record(out: &mut Vec<u8>, r: &LibraryRow) {
    let at = out.len();
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&r.id.to_le_bytes());
    out.extend_from_slice(&r.success_rating.to_bits().to_le_bytes());
    for s in [&r.goal_template, &r.program_id, &r.params] {
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    let check = check8(&out[at + 8..]);
    out[at..at + 8].copy_from_slice(&check);
}

fn push_section(out: &mut Vec<u8>, section: &mut (u64, u64), bytes: &[u8]) {
    *section = (out.len() as u64, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn write_header(out: &mut [u8], generation: i64, count: u32, sections: &[(u64, u64); SECTIONS]) {
    let mut h = Vec::with_capacity(HEADER_LEN - GENERATION_AT);
    h.extend_from_slice(&generation.to_le_bytes());
    h.extend_from_slice(&count.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes());
    for (off, len) in sections {
        h.extend_from_slice(&off.to_le_bytes());
        h.extend_from_slice(&len.to_le_bytes());
    }
    debug_assert_eq!(h.len(), HEADER_LEN - GENERATION_AT);
    out[GENERATION_AT..HEADER_LEN].copy_from_slice(&h);
    out[..8].copy_from_slice(MAGIC);
    let body = *blake3::hash(&out[HEADER_LEN..]).as_bytes();
    out[8..40].copy_from_slice(&body);
    let check = check8(&out[GENERATION_AT..HEADER_LEN]);
    out[40..48].copy_from_slice(&check);
}

/// Each template under its rarest whole literal word (fewest templates have it; then the
/// longer; then the first in order).
fn key_table(keys: &[Keys]) -> Vec<u8> {
    let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
    for w in keys.iter().filter_map(|k| k.words.as_ref()).flatten() {
        *counts.entry(w).or_insert(0) += 1;
    }
    table(keys.iter().enumerate().filter_map(|(i, k)| {
        let key = k.words.as_ref()?.iter().min_by(|a, b| {
            counts[a.as_str()]
                .cmp(&counts[b.as_str()])
                .then(b.len().cmp(&a.len()))
                .then(a.cmp(b))
        })?;
        Some((fnv(key.as_bytes()), i as u32))
    }))
}

/// A hash table of (key hash, entry index) pairs, as laid out in the module doc.
fn table(pairs: impl Iterator<Item = (u64, u32)>) -> Vec<u8> {
    let pairs: Vec<(u64, u32)> = pairs.collect();
    let buckets = pairs.len().max(1).next_power_of_two();
    let mask = (buckets - 1) as u64;
    let mut lists: Vec<Vec<u32>> = vec![Vec::new(); buckets];
    for (h, i) in pairs {
        let list = &mut lists[(h & mask) as usize];
        if list.last() != Some(&i) {
            list.push(i);
        }
    }
    let total: usize = lists.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(8 + buckets * 8 + total * 4);
    out.extend_from_slice(&(buckets as u32).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    let mut start = 0u32;
    for list in &lists {
        out.extend_from_slice(&start.to_le_bytes());
        out.extend_from_slice(&(list.len() as u32).to_le_bytes());
        start += list.len() as u32;
    }
    for list in &lists {
        for i in list {
            out.extend_from_slice(&i.to_le_bytes());
        }
    }
    out
}
