//! The dispatcher's view of the team's index: a library snapshot (the local library's
//! file format, read the same way: only the pages a goal reaches) whose entries are the
//! index's records, cached in `<cache>/lookup/` per state of the index (the head's hash)
//! and per trust. A lookup then costs one GET of the head, a few reads of the cached file
//! and, on a match, the one segment that holds the record.
//!
//! An entry's id locates its record: segment ordinal in the head << 32 | position in the
//! segment. Records whose signer the view's side does not admit are rated 0, which the
//! dispatcher never follows; a record's signature is checked when it is pulled, not here.

use std::path::{Path, PathBuf};

use super::index::{self, HeadRead, Indexed};
use super::pull::Trust;
use super::{Remote, RemoteError};
use crate::db::{LibraryRow, Snapshot, SnapshotReader};
use crate::kernel::{Kernel, Request};
use crate::value::canonical_json;

/// Which records a view lets the goal match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Those whose claimed signer the trust admits.
    Trusted,
    /// The others (to say that an untrusted record would have matched).
    Others,
}

/// How many cached views are kept (the most recent).
const KEEP: usize = 8;

/// The record the goal would follow among the records of `side`.
pub fn find(
    k: &Kernel,
    remote: &Remote,
    head: &HeadRead,
    req: &Request,
    trust: &Trust,
    side: Side,
) -> Result<Option<Indexed>, RemoteError> {
    let path = view_path(remote, head, trust, side);
    for _ in 0..2 {
        if let Some(reader) = SnapshotReader::open_file(&path) {
            match k.follower_pick(req, &reader) {
                Ok(Some(id)) => return locate(remote, head, id),
                Ok(None) => return Ok(None),
                // A damaged cache file: built again.
                Err(_) => {
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        build(remote, head, trust, side, &path)?;
    }
    Ok(None)
}

/// `<cache>/lookup/<blake3 of the head's hash, the side and the trust>.snapshot`.
fn view_path(remote: &Remote, head: &HeadRead, trust: &Trust, side: Side) -> PathBuf {
    let mut keys: Vec<String> = trust.keys.iter().map(ToString::to_string).collect();
    keys.sort();
    let what = format!(
        "{}\n{side:?}\n{}\n{}",
        head.hash,
        trust.anyone,
        keys.join("\n")
    );
    let name = blake3::hash(what.as_bytes()).to_hex();
    remote
        .cache_dir()
        .join("lookup")
        .join(format!("{}.snapshot", &name[..32]))
}

/// Writes the view of `head` for `side` at `path`.
fn build(
    remote: &Remote,
    head: &HeadRead,
    trust: &Trust,
    side: Side,
    path: &Path,
) -> Result<(), RemoteError> {
    let mut rows = Vec::new();
    for (si, seg) in head.head.segments.iter().enumerate() {
        for (j, r) in index::read_segment(remote, &seg.hash)?.iter().enumerate() {
            let admitted = trust.admits(r.record.claimed_key()) == (side == Side::Trusted);
            rows.push(LibraryRow {
                id: ((si as i64) << 32) | j as i64,
                goal_template: r.record.entry.goal.clone(),
                program_id: r.record.entry.program.to_string(),
                params: canonical_json(&r.record.entry.params),
                success_rating: if admitted { 1.0 } else { 0.0 },
            });
        }
    }
    let bytes = Snapshot::build(0, &rows).encode();
    let dir = path.parent().unwrap_or(path);
    std::fs::create_dir_all(dir).map_err(|e| RemoteError::io("creating", dir, e))?;
    crate::store::write_atomic(path, &bytes).map_err(|e| RemoteError::io("writing", path, e))?;
    prune(dir);
    Ok(())
}

/// The record at entry `id` of a view of `head`.
fn locate(remote: &Remote, head: &HeadRead, id: i64) -> Result<Option<Indexed>, RemoteError> {
    let (si, j) = ((id >> 32) as usize, (id & 0xffff_ffff) as usize);
    let Some(seg) = head.head.segments.get(si) else {
        return Ok(None);
    };
    Ok(index::read_segment(remote, &seg.hash)?.into_iter().nth(j))
}

/// Keeps the [`KEEP`] most recent views (best effort).
fn prune(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .filter(|(_, p)| p.extension().is_some_and(|x| x == "snapshot"))
        .collect();
    files.sort();
    let extra = files.len().saturating_sub(KEEP);
    for (_, path) in files.into_iter().take(extra) {
        let _ = std::fs::remove_file(path);
    }
}
