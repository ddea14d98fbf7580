//! A remote in a shared folder (`url = "file:///srv/llmos-library"`): the same keys as
//! in a bucket, as files. Create-only writes hard-link a synced temp file to the key's
//! name (which fails if the name exists, also over NFS); compare-and-swap takes an
//! exclusive lock on `<key>.lock`, compares the blake3 of the current bytes with the
//! version read, and replaces the file atomically.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::RemoteError;
use super::backend::{Backend, Created, Fetched, Swapped, Version};
use crate::store::{write_atomic, write_new};

/// The suffix of the lock file beside a key that is swapped.
const LOCK_SUFFIX: &str = ".lock";

/// A remote in a folder.
pub struct DirBackend {
    root: PathBuf,
    url: String,
}

impl DirBackend {
    /// The remote in `root` (which must exist: a missing shared folder is more likely a
    /// mount that is not there than a library to start).
    pub fn open(root: &Path, url: &str) -> Result<DirBackend, RemoteError> {
        if !root.is_dir() {
            return Err(RemoteError::Config(format!(
                "remote {url}: {} is not a folder (create it to start a shared library there)",
                root.display()
            )));
        }
        Ok(DirBackend {
            root: root.to_path_buf(),
            url: url.to_string(),
        })
    }

    fn path(&self, key: &str) -> Result<PathBuf, RemoteError> {
        let ok = !key.is_empty()
            && key
                .split('/')
                .all(|part| !part.is_empty() && part != "." && part != "..");
        if !ok {
            return Err(self.fail("resolving", key, "not a key of the library".into()));
        }
        Ok(self.root.join(key))
    }

    fn fail(&self, doing: &'static str, key: &str, message: String) -> RemoteError {
        RemoteError::Unreachable {
            remote: self.url.clone(),
            doing,
            key: key.to_string(),
            message,
        }
    }

    fn ensure_parent(&self, key: &str, path: &Path) -> Result<(), RemoteError> {
        match path.parent() {
            Some(dir) => fs::create_dir_all(dir)
                .map_err(|e| self.fail("creating the folder of", key, e.to_string())),
            None => Ok(()),
        }
    }

    /// The bytes at `path`, or `None` when there is no file.
    fn read(&self, key: &str, path: &Path, limit: u64) -> Result<Option<Vec<u8>>, RemoteError> {
        let size = match fs::metadata(path) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.fail("reading", key, e.to_string())),
        };
        RemoteError::check_size(&self.url, key, size, limit)?;
        match fs::read(path) {
            Ok(bytes) => {
                RemoteError::check_size(&self.url, key, bytes.len() as u64, limit)?;
                Ok(Some(bytes))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.fail("reading", key, e.to_string())),
        }
    }
}

/// The version of a file's bytes.
fn version_of(bytes: &[u8]) -> Version {
    Version(blake3::hash(bytes).to_hex().to_string())
}

impl Backend for DirBackend {
    fn describe(&self) -> &str {
        &self.url
    }

    fn get(&self, key: &str, limit: u64) -> Result<Option<Fetched>, RemoteError> {
        let path = self.path(key)?;
        Ok(self.read(key, &path, limit)?.map(|bytes| Fetched {
            version: version_of(&bytes),
            bytes,
        }))
    }

    fn create(&self, key: &str, bytes: &[u8]) -> Result<Created, RemoteError> {
        let path = self.path(key)?;
        self.ensure_parent(key, &path)?;
        match write_new(&path, bytes) {
            Ok(true) => Ok(Created::New),
            Ok(false) => Ok(Created::Existed),
            Err(e) => Err(self.fail("writing", key, e.to_string())),
        }
    }

    fn swap(
        &self,
        key: &str,
        bytes: &[u8],
        expected: Option<&Version>,
    ) -> Result<Swapped, RemoteError> {
        let path = self.path(key)?;
        self.ensure_parent(key, &path)?;
        let mut lock_path = path.clone().into_os_string();
        lock_path.push(LOCK_SUFFIX);
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .and_then(|f| f.lock().map(|()| f))
            .map_err(|e| self.fail("locking", key, e.to_string()))?;
        let current = self.read(key, &path, u64::MAX)?.map(|b| version_of(&b));
        if current.as_ref() != expected {
            return Ok(Swapped::Conflict);
        }
        write_atomic(&path, bytes).map_err(|e| self.fail("writing", key, e.to_string()))?;
        drop(lock);
        Ok(Swapped::Done)
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, RemoteError> {
        let mut out = Vec::new();
        let start = self.root.join(prefix.trim_end_matches('/'));
        let mut stack = vec![start];
        while let Some(dir) = stack.pop() {
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(self.fail("listing", prefix, e.to_string())),
            };
            for entry in entries {
                let entry = entry.map_err(|e| self.fail("listing", prefix, e.to_string()))?;
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if path.is_dir() {
                    stack.push(path);
                } else if !name.starts_with('.') && !name.ends_with(LOCK_SUFFIX) {
                    let rel = path.strip_prefix(&self.root).unwrap_or(&path);
                    out.push(rel.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_only_and_compare_and_swap() {
        let dir = tempfile::tempdir().unwrap();
        let b = DirBackend::open(dir.path(), "file:///x").unwrap();
        assert_eq!(b.create("objects/ab/cd", b"one").unwrap(), Created::New);
        assert_eq!(b.create("objects/ab/cd", b"two").unwrap(), Created::Existed);
        assert_eq!(b.get("objects/ab/cd", 10).unwrap().unwrap().bytes, b"one");
        assert!(b.get("objects/ab/ef", 10).unwrap().is_none());
        assert!(matches!(
            b.get("objects/ab/cd", 2),
            Err(RemoteError::TooLarge { size: 3, .. })
        ));
        assert_eq!(b.swap("index/head", b"h1", None).unwrap(), Swapped::Done);
        assert_eq!(
            b.swap("index/head", b"h2", None).unwrap(),
            Swapped::Conflict
        );
        let v1 = b.get("index/head", 10).unwrap().unwrap().version;
        assert_eq!(
            b.swap("index/head", b"h2", Some(&v1)).unwrap(),
            Swapped::Done
        );
        assert_eq!(
            b.swap("index/head", b"h3", Some(&v1)).unwrap(),
            Swapped::Conflict
        );
        assert_eq!(b.list("").unwrap(), vec!["index/head", "objects/ab/cd"]);
        assert!(b.get("../etc/passwd", 10).is_err());
    }
}
