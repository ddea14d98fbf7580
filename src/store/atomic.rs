//! Crash-safe file replacement: write a temp file beside the target, fsync it, rename it
//! over the target, fsync the folder. A reader sees the old file or the new one, never a
//! mix, and after `write_atomic` returns the new file survives a power cut.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The suffix of every temp file made by [`write_atomic`]; `gc` removes stale ones.
pub const TEMP_SUFFIX: &str = ".tmp";

/// Replaces `path` with `bytes` atomically: a temp file in the same folder is written,
/// flushed to disk, renamed over `path`, and the folder is flushed so the rename is
/// durable. Safe when several processes write the same path at once (the last rename
/// wins, and each rename installs a complete file). The folder must exist.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = parent_dir(path);
    let (tmp_path, mut tmp) = create_temp(path)?;
    let written = tmp
        .write_all(bytes)
        .and_then(|()| tmp.sync_all())
        .and_then(|()| fs::rename(&tmp_path, path));
    if let Err(e) = written {
        // Best effort: the temp file is garbage now; a stale one is also removed by gc.
        let _ = fs::remove_file(&tmp_path);
        return Err(e);
    }
    sync_dir(dir)
}

/// Creates `path` with `bytes` only if nothing is there yet: a synced temp file is
/// hard-linked to `path`, which fails when the name exists, so racing writers cannot
/// overwrite each other and no reader sees half a file. `Ok(false)` when `path` existed.
/// The folder must exist.
pub fn write_new(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    let (tmp_path, mut tmp) = create_temp(path)?;
    let linked = tmp
        .write_all(bytes)
        .and_then(|()| tmp.sync_all())
        .and_then(|()| fs::hard_link(&tmp_path, path));
    let _ = fs::remove_file(&tmp_path);
    match linked {
        Ok(()) => sync_dir(parent_dir(path)).map(|()| true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// Replaces `path` with `bytes` like [`write_atomic`] (a reader sees the old file or the
/// new one), without flushing anything to disk: for derived files that readers check
/// and rebuild, where a power cut may leave the old file, an empty one or none.
pub fn replace_unsynced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let (tmp_path, mut tmp) = create_temp(path)?;
    let written = tmp
        .write_all(bytes)
        .and_then(|()| fs::rename(&tmp_path, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp_path);
        return Err(e);
    }
    Ok(())
}

/// Whether `name` is the file name of a temp file made by [`write_atomic`].
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(TEMP_SUFFIX)
}

/// The folder holding `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Creates a fresh temp file beside `path`, named `.<file name>.<pid>.<random>.tmp`.
fn create_temp(path: &Path) -> io::Result<(PathBuf, File)> {
    let dir = parent_dir(path);
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let pid = std::process::id();
    loop {
        let name = format!(".{base}.{pid}.{:016x}{TEMP_SUFFIX}", fastrand::u64(..));
        let tmp_path = dir.join(name);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp_path)
        {
            Ok(f) => return Ok((tmp_path, f)),
            // A 64-bit random collision: draw again.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Flushes a folder's entries (new names, renames) to disk. A no-op where folders cannot
/// be opened as files (Windows), where rename is already durable enough.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.txt")]);
    }

    #[test]
    fn write_new_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a");
        assert!(write_new(&p, b"one").unwrap());
        assert!(!write_new(&p, b"two").unwrap());
        assert_eq!(fs::read(&p).unwrap(), b"one");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn temp_names_are_recognised() {
        assert!(is_temp_name(".ab.123.00ff.tmp"));
        assert!(!is_temp_name("ab.tmp"));
        assert!(!is_temp_name(".ab"));
    }

    #[test]
    fn missing_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(write_atomic(&dir.path().join("no/such/file"), b"x").is_err());
    }
}
