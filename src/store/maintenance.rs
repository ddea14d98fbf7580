//! `llmos store verify` and `llmos store gc`: re-hash every object, and drop the ones no
//! trace refers to.

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::StoreError;
use super::objects::{Entry, ObjectId, ObjectStore};
use super::sources::check_sidecar;

/// One thing wrong in the store, found by [`ObjectStore::verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file at fault.
    pub path: PathBuf,
    /// The object it belongs to, when its name says.
    pub id: Option<ObjectId>,
    pub kind: ProblemKind,
}

/// What is wrong with a file in the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// The object's bytes do not hash to its id.
    Corrupt,
    /// The source sidecar is malformed or does not match its hash (the reason says which).
    CorruptSource(String),
    /// A source sidecar whose object is not stored.
    OrphanSource,
    /// A file or folder whose name is not an object, a sidecar or a temp file.
    Stray,
    /// The file or folder could not be read (the I/O error).
    Unreadable(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match (&self.kind, &self.id) {
            (ProblemKind::Corrupt, Some(id)) => {
                write!(
                    f,
                    "object {id} is corrupt: its bytes do not hash to its id ({path})"
                )
            }
            (ProblemKind::CorruptSource(why), Some(id)) => {
                write!(f, "the source of object {id} is corrupt: {why} ({path})")
            }
            (ProblemKind::OrphanSource, Some(id)) => {
                write!(
                    f,
                    "a source is stored for object {id}, which is missing ({path})"
                )
            }
            (ProblemKind::Unreadable(e), Some(id)) => {
                write!(f, "object {id} cannot be read: {e} ({path})")
            }
            (ProblemKind::Unreadable(e), None) => write!(f, "{path} cannot be read: {e}"),
            (ProblemKind::Stray, _) => {
                write!(
                    f,
                    "{path} is not a stored object (stray file with a bad name)"
                )
            }
            (kind, _) => write!(f, "{path}: {kind:?}"),
        }
    }
}

/// What [`ObjectStore::gc`] removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Objects removed, sorted.
    pub removed: Vec<ObjectId>,
    /// Source sidecars removed (with their objects, or left without one), sorted.
    pub removed_sources: Vec<ObjectId>,
    /// Stale temp files removed (left by writers that crashed).
    pub removed_temp: Vec<PathBuf>,
    /// Objects kept.
    pub kept: usize,
    /// Bytes freed, counting every removed file.
    pub freed_bytes: u64,
}

impl ObjectStore {
    /// Re-hashes every object and checks every sidecar; returns each problem found, in
    /// path order (empty when the store is sound). Temp files of writes in progress are
    /// not problems.
    pub fn verify(&self) -> Result<Vec<Problem>, StoreError> {
        let entries = self.scan()?;
        let objects: BTreeSet<ObjectId> = entries
            .iter()
            .filter_map(|e| match e {
                Entry::Object { id, .. } => Some(*id),
                _ => None,
            })
            .collect();
        let mut problems = Vec::new();
        for entry in entries {
            let problem = |path: PathBuf, id: Option<ObjectId>, kind| Problem { path, id, kind };
            match entry {
                Entry::Object { id, path } => match fs::read(&path) {
                    Ok(bytes) if ObjectId::of(&bytes) == id => {}
                    Ok(_) => problems.push(problem(path, Some(id), ProblemKind::Corrupt)),
                    Err(e) => {
                        let kind = ProblemKind::Unreadable(e.to_string());
                        problems.push(problem(path, Some(id), kind));
                    }
                },
                Entry::Source { id, path } => {
                    let kind = match fs::read(&path) {
                        Err(e) => Some(ProblemKind::Unreadable(e.to_string())),
                        Ok(_) if !objects.contains(&id) => Some(ProblemKind::OrphanSource),
                        Ok(bytes) => match check_sidecar(&id, &path, &bytes) {
                            Ok(_) => None,
                            Err(StoreError::CorruptSource { reason, .. }) => {
                                Some(ProblemKind::CorruptSource(reason))
                            }
                            Err(e) => Some(ProblemKind::CorruptSource(e.to_string())),
                        },
                    };
                    if let Some(kind) = kind {
                        problems.push(problem(path, Some(id), kind));
                    }
                }
                Entry::Stray { path } => problems.push(problem(path, None, ProblemKind::Stray)),
                Entry::Unreadable { path, error } => {
                    problems.push(problem(path, None, ProblemKind::Unreadable(error)));
                }
                Entry::Temp { .. } => {}
            }
        }
        Ok(problems)
    }

    /// Removes every object not in `roots` whose file is older than `grace`, with its
    /// source sidecar; sidecars left without an object and temp files, once older than
    /// `grace`, too. The grace period protects objects that a concurrent compile has just
    /// stored but not yet recorded as a root (storing an existing object refreshes its
    /// time). Stray files are left for a human (see `verify`).
    pub fn gc(&self, roots: &BTreeSet<ObjectId>, grace: Duration) -> Result<GcReport, StoreError> {
        let now = SystemTime::now();
        let mut report = GcReport::default();
        let mut present = BTreeSet::new();
        let mut sources = Vec::new();
        for entry in self.scan()? {
            match entry {
                Entry::Object { id, path } => {
                    if roots.contains(&id) || !is_old(&path, now, grace)? {
                        report.kept += 1;
                        present.insert(id);
                        continue;
                    }
                    if let Some(size) = remove(&path)? {
                        report.freed_bytes += size;
                        report.removed.push(id);
                    }
                }
                Entry::Source { id, path } => sources.push((id, path)),
                Entry::Temp { path } => {
                    if is_old(&path, now, grace)?
                        && let Some(size) = remove(&path)?
                    {
                        report.freed_bytes += size;
                        report.removed_temp.push(path);
                    }
                }
                Entry::Stray { .. } | Entry::Unreadable { .. } => {}
            }
        }
        let removed: BTreeSet<ObjectId> = report.removed.iter().copied().collect();
        for (id, path) in sources {
            let orphan_and_old = !present.contains(&id) && is_old(&path, now, grace)?;
            if (removed.contains(&id) || orphan_and_old)
                && let Some(size) = remove(&path)?
            {
                report.freed_bytes += size;
                report.removed_sources.push(id);
            }
        }
        report.removed.sort();
        report.removed_sources.sort();
        report.removed_temp.sort();
        Ok(report)
    }
}

/// Removes the temp files (see [`super::atomic`]) directly in `dir` that are older than
/// `grace`: what a process killed in the middle of a write left in the state folder (a
/// library snapshot being replaced, say). Returns them with the bytes freed.
pub fn remove_stale_temps(dir: &Path, grace: Duration) -> Result<(Vec<PathBuf>, u64), StoreError> {
    let now = SystemTime::now();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(StoreError::io("listing", dir, e)),
    };
    let mut removed = Vec::new();
    let mut freed = 0;
    for entry in entries {
        let entry = entry.map_err(|e| StoreError::io("listing", dir, e))?;
        let path = entry.path();
        let is_temp = entry
            .file_name()
            .to_str()
            .is_some_and(super::atomic::is_temp_name);
        if is_temp
            && entry.file_type().is_ok_and(|t| t.is_file())
            && is_old(&path, now, grace)?
            && let Some(size) = remove(&path)?
        {
            freed += size;
            removed.push(path);
        }
    }
    removed.sort();
    Ok((removed, freed))
}

/// Whether the file was last modified more than `grace` ago (a file gone meanwhile, or
/// dated in the future, is not old).
fn is_old(path: &Path, now: SystemTime, grace: Duration) -> Result<bool, StoreError> {
    let modified = match fs::symlink_metadata(path).and_then(|m| m.modified()) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(StoreError::io("reading the time of", path, e)),
    };
    Ok(now.duration_since(modified).is_ok_and(|age| age > grace))
}

/// Removes a file; its size, or `None` if another process removed it first.
fn remove(path: &Path) -> Result<Option<u64>, StoreError> {
    let size = fs::symlink_metadata(path).map(|m| m.len()).unwrap_or(0);
    match fs::remove_file(path) {
        Ok(()) => Ok(Some(size)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::io("removing", path, e)),
    }
}
