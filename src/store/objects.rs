//! The content-addressed program store: `objects/<first 2 hex>/<remaining 62 hex>`, each
//! file holding the bytes whose blake3 hash is its name. Writes are atomic and idempotent,
//! so several processes may store programs at once; every load re-checks the hash, so a
//! corrupt object is reported, never run.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::StoreError;
use super::atomic::{is_temp_name, sync_dir, write_atomic};
pub use super::object_id::ObjectId;
use super::object_id::check_hex;

/// The fewest hex digits accepted as an id prefix.
pub const MIN_PREFIX: usize = 4;

/// The file-name suffix of a source sidecar: `objects/ab/<rest>.src.json`.
pub(crate) const SOURCE_SUFFIX: &str = ".src.json";

/// A handle on the object folder. Cheap to clone; holds no open files or locks.
#[derive(Clone, Debug)]
pub struct ObjectStore {
    dir: PathBuf,
}

/// One file found while scanning the store.
#[derive(Debug)]
pub(crate) enum Entry {
    Object { id: ObjectId, path: PathBuf },
    Source { id: ObjectId, path: PathBuf },
    Temp { path: PathBuf },
    Stray { path: PathBuf },
    Unreadable { path: PathBuf, error: String },
}

impl ObjectStore {
    /// Opens the store in `dir` (normally `<state dir>/objects`), creating the folder.
    pub fn open(dir: &Path) -> Result<ObjectStore, StoreError> {
        fs::create_dir_all(dir).map_err(|e| StoreError::io("creating", dir, e))?;
        Ok(ObjectStore {
            dir: dir.to_path_buf(),
        })
    }

    /// The folder this store lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the object `id` is (or would be) stored.
    pub fn object_path(&self, id: &ObjectId) -> PathBuf {
        let hex = id.to_string();
        let (shard, rest) = hex.split_at(2);
        self.dir.join(shard).join(rest)
    }

    /// Where the source sidecar of `id` is (or would be) stored.
    pub fn source_path(&self, id: &ObjectId) -> PathBuf {
        let mut p = self.object_path(id).into_os_string();
        p.push(SOURCE_SUFFIX);
        PathBuf::from(p)
    }

    /// Stores `bytes` under their blake3 hash and returns it. Idempotent: storing the same
    /// bytes again refreshes the file's time (so `gc` treats it as young) and leaves it be;
    /// an existing file that is corrupt is replaced by the good bytes.
    pub fn put(&self, bytes: &[u8]) -> Result<ObjectId, StoreError> {
        let id = ObjectId::of(bytes);
        let path = self.object_path(&id);
        if fs::read(&path).is_ok_and(|old| ObjectId::of(&old) == id) && touch(&path).is_ok() {
            return Ok(id);
        }
        self.ensure_parent(&path)?;
        write_atomic(&path, bytes).map_err(|e| StoreError::io("writing", &path, e))?;
        Ok(id)
    }

    /// Loads the object `id`, checking that its bytes still hash to `id`.
    pub fn get(&self, id: &ObjectId) -> Result<Vec<u8>, StoreError> {
        let path = self.object_path(id);
        let bytes = fs::read(&path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => StoreError::Missing { id: *id },
            _ => StoreError::io("reading", &path, e),
        })?;
        if ObjectId::of(&bytes) != *id {
            return Err(StoreError::Corrupt { id: *id });
        }
        Ok(bytes)
    }

    /// Whether an object file for `id` exists (its bytes are not checked).
    pub fn contains(&self, id: &ObjectId) -> bool {
        self.object_path(id).is_file()
    }

    /// Turns a full id or a unique prefix of at least [`MIN_PREFIX`] hex digits (either
    /// case) into the id of a stored object.
    pub fn resolve(&self, text: &str) -> Result<ObjectId, StoreError> {
        check_hex(text)?;
        let bad = |reason: String| StoreError::BadId {
            text: text.to_string(),
            reason,
        };
        if text.len() < MIN_PREFIX {
            return Err(bad(format!(
                "an id prefix needs at least {MIN_PREFIX} hex digits"
            )));
        }
        if text.len() > 64 {
            return Err(bad(format!(
                "an id has 64 hex digits, this has {}",
                text.len()
            )));
        }
        let lower = text.to_ascii_lowercase();
        let (shard, rest) = lower.split_at(2);
        let not_found = || StoreError::NotFound {
            prefix: text.to_string(),
        };
        let shard_dir = self.dir.join(shard);
        let entries = match fs::read_dir(&shard_dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(not_found()),
            Err(e) => return Err(StoreError::io("listing", &shard_dir, e)),
        };
        let mut candidates = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| StoreError::io("listing", &shard_dir, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with(rest) && is_object_name(name) {
                candidates.push(parse_id(shard, name)?);
            }
        }
        candidates.sort();
        match candidates.as_slice() {
            [] => Err(not_found()),
            [id] => Ok(*id),
            _ => Err(StoreError::Ambiguous {
                prefix: text.to_string(),
                candidates,
            }),
        }
    }

    /// Every stored object's id, sorted. Bytes are not checked (see `verify`).
    pub fn list(&self) -> Result<Vec<ObjectId>, StoreError> {
        let mut ids: Vec<ObjectId> = self
            .scan()?
            .into_iter()
            .filter_map(|e| match e {
                Entry::Object { id, .. } => Some(id),
                _ => None,
            })
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// Creates the shard folder of `path` if needed, making its name durable.
    pub(crate) fn ensure_parent(&self, path: &Path) -> Result<(), StoreError> {
        let Some(shard) = path.parent() else {
            return Ok(());
        };
        match fs::create_dir(shard) {
            Ok(()) => sync_dir(&self.dir).map_err(|e| StoreError::io("syncing", &self.dir, e)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(StoreError::io("creating", shard, e)),
        }
    }

    /// Every file in the store, classified, in path order. A shard folder that cannot be
    /// listed becomes an `Unreadable` entry; only the top folder failing is an error.
    pub(crate) fn scan(&self) -> Result<Vec<Entry>, StoreError> {
        let mut out = Vec::new();
        for (name, path, is_dir) in
            sorted_entries(&self.dir).map_err(|e| StoreError::io("listing", &self.dir, e))?
        {
            if !is_dir {
                if name == super::LOCK_FILE {
                    continue;
                }
                out.push(if is_temp_name(&name) {
                    Entry::Temp { path }
                } else {
                    Entry::Stray { path }
                });
                continue;
            }
            if !is_shard_name(&name) {
                out.push(Entry::Stray { path });
                continue;
            }
            let files = match sorted_entries(&path) {
                Ok(files) => files,
                Err(e) => {
                    let error = e.to_string();
                    out.push(Entry::Unreadable { path, error });
                    continue;
                }
            };
            for (file, file_path, file_is_dir) in files {
                out.push(classify(&name, &file, file_path, file_is_dir));
            }
        }
        Ok(out)
    }
}

/// Classifies the file `file` in the shard folder `shard`.
fn classify(shard: &str, file: &str, path: PathBuf, is_dir: bool) -> Entry {
    if is_dir {
        return Entry::Stray { path };
    }
    if is_temp_name(file) {
        return Entry::Temp { path };
    }
    if is_object_name(file)
        && let Ok(id) = parse_id(shard, file)
    {
        return Entry::Object { id, path };
    }
    if let Some(stem) = file.strip_suffix(SOURCE_SUFFIX)
        && is_object_name(stem)
        && let Ok(id) = parse_id(shard, stem)
    {
        return Entry::Source { id, path };
    }
    Entry::Stray { path }
}

/// A folder's entries as (name, path, is a folder), sorted by name. Names that are not
/// UTF-8 are shown lossily (they are stray files in any case).
fn sorted_entries(dir: &Path) -> io::Result<Vec<(String, PathBuf, bool)>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let is_dir = entry.file_type()?.is_dir();
        out.push((
            entry.file_name().to_string_lossy().into_owned(),
            entry.path(),
            is_dir,
        ));
    }
    out.sort();
    Ok(out)
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn is_shard_name(name: &str) -> bool {
    name.len() == 2 && is_lower_hex(name)
}

fn is_object_name(name: &str) -> bool {
    name.len() == 62 && is_lower_hex(name)
}

fn parse_id(shard: &str, rest: &str) -> Result<ObjectId, StoreError> {
    format!("{shard}{rest}").parse()
}

/// Sets a file's modification time to now.
fn touch(path: &Path) -> io::Result<()> {
    fs::File::open(path)?.set_modified(SystemTime::now())
}
