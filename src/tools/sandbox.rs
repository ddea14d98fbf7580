//! The workspace sandbox: turns a path as written in a trace (relative to the workspace
//! root, `/` separated) into a file system path that is certainly inside the root.
//!
//! Refused, with a [`ToolError::sandbox`] naming the path:
//! - absolute paths;
//! - `..` that climbs above the root (resolved lexically, before the file system is
//!   asked, so `a/../b` is `b` whatever `a` is);
//! - anything whose deepest existing ancestor resolves (through symbolic links) outside
//!   the root, or into the state folder `.llmos/` at the root;
//! - writes through a symbolic link whose target does not exist (it could be created
//!   anywhere).
//!
//! The check is done before anything is created, and the path handed back is the
//! resolved one, so a write never goes through a link. Races with another process that
//! changes the tree between the check and the use are out of scope.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::ToolError;

/// The state folder at the workspace root, which tools may not touch.
pub const STATE_DIR: &str = ".llmos";

/// What the caller will do with the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// A checked path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The path from the root, normalized: `data/x.csv`; empty for the root itself.
    pub rel: String,
    /// The file system path to use: the canonical deepest existing ancestor joined with
    /// the parts that do not exist yet.
    pub abs: PathBuf,
}

impl Resolved {
    /// The path from the root for messages: `.` for the root itself.
    pub fn shown(&self) -> &str {
        if self.rel.is_empty() { "." } else { &self.rel }
    }
}

/// Splits a path into its normal parts, resolving `.` and `..` lexically. Refuses
/// absolute paths, a `..` above the root and the state folder.
pub fn normalize(path: &str) -> Result<Vec<&str>, ToolError> {
    if path.starts_with('/') || path.starts_with('\\') || Path::new(path).is_absolute() {
        return Err(ToolError::sandbox(format!(
            "`{path}` is an absolute path; paths are relative to the workspace root"
        )));
    }
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(outside(path));
                }
            }
            part => parts.push(part),
        }
    }
    if parts.first() == Some(&STATE_DIR) {
        return Err(state_dir(path));
    }
    Ok(parts)
}

/// Checks `path` against the workspace at `root` (canonical) for `access`.
pub fn resolve(root: &Path, path: &str, access: Access) -> Result<Resolved, ToolError> {
    let parts = normalize(path)?;
    let rel = parts.join("/");
    let mut full = root.to_path_buf();
    full.extend(&parts);
    // Fast path: the whole path exists.
    match full.canonicalize() {
        Ok(canon) => {
            check_inside(root, &canon, path)?;
            return Ok(Resolved { rel, abs: canon });
        }
        Err(e) if missing(&e) => {}
        Err(e) => return Err(ToolError::failed(format!("{}: {e}", shown(&rel)))),
    }
    // Find the deepest existing ancestor; the root itself always exists.
    for n in (0..parts.len()).rev() {
        let mut ancestor = root.to_path_buf();
        ancestor.extend(&parts[..n]);
        let canon = match ancestor.canonicalize() {
            Ok(canon) => canon,
            Err(e) if missing(&e) => continue,
            Err(e) => return Err(ToolError::failed(format!("{}: {e}", shown(&rel)))),
        };
        check_inside(root, &canon, path)?;
        // `parts[n]` does not resolve: either it does not exist, or it is a symbolic link
        // whose target does not exist.
        let next = ancestor.join(parts[n]);
        if next
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            if access == Access::Write {
                return Err(ToolError::sandbox(format!(
                    "`{path}`: `{}` is a symbolic link to a missing target; refusing to write \
                     through it",
                    parts[..=n].join("/")
                )));
            }
            // A read finds nothing there.
            return Ok(Resolved { rel, abs: full });
        }
        let mut abs = canon;
        abs.extend(&parts[n..]);
        return Ok(Resolved { rel, abs });
    }
    Err(ToolError::failed(format!(
        "the workspace root `{}` no longer exists",
        root.display()
    )))
}

/// The path from the root of `abs` (a path under the root), `/` separated; `None` when it
/// is not under the root or not UTF-8.
pub fn rel_of(root: &Path, abs: &Path) -> Option<String> {
    let tail = abs.strip_prefix(root).ok()?;
    let mut out = String::new();
    for c in tail.components() {
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(c.as_os_str().to_str()?);
    }
    Some(out)
}

/// Whether a file system error means "not there" (including a file where a folder
/// should be, as in `a.txt/x`): the caller's operation will report it.
fn missing(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory)
}

/// Refuses a canonical path outside the root or inside the state folder.
fn check_inside(root: &Path, canon: &Path, path: &str) -> Result<(), ToolError> {
    match canon.strip_prefix(root) {
        Err(_) => Err(outside(path)),
        Ok(tail) if tail.starts_with(STATE_DIR) => Err(state_dir(path)),
        Ok(_) => Ok(()),
    }
}

fn shown(rel: &str) -> &str {
    if rel.is_empty() { "." } else { rel }
}

fn outside(path: &str) -> ToolError {
    ToolError::sandbox(format!("`{path}` leads outside the workspace root"))
}

fn state_dir(path: &str) -> ToolError {
    ToolError::sandbox(format!(
        "`{path}` is in `{STATE_DIR}/`, the workspace state, which tools may not touch"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::ToolErrorKind;

    fn root() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        (dir, root)
    }

    fn refused(r: Result<Resolved, ToolError>, needle: &str) {
        let e = r.unwrap_err();
        assert_eq!(e.kind, ToolErrorKind::Sandbox, "{e}");
        assert!(
            e.message.contains(needle),
            "`{e}` should contain `{needle}`"
        );
    }

    #[test]
    fn normalizes_lexically() {
        assert_eq!(normalize("a/./b//c/../d").unwrap(), vec!["a", "b", "d"]);
        assert_eq!(normalize("").unwrap(), Vec::<&str>::new());
        assert_eq!(normalize("a/..").unwrap(), Vec::<&str>::new());
        assert!(normalize("a/../../b").is_err());
        assert!(normalize("/etc/passwd").is_err());
        assert!(normalize(".llmos/config.toml").is_err());
        assert!(normalize("x/../.llmos").is_err());
        // only the state folder at the root is special
        assert_eq!(normalize("x/.llmos").unwrap(), vec!["x", ".llmos"]);
    }

    #[test]
    fn resolves_existing_and_new_paths() {
        let (_d, root) = root();
        std::fs::create_dir(root.join("data")).unwrap();
        std::fs::write(root.join("data/x.csv"), "a").unwrap();
        let r = resolve(&root, "./data/x.csv", Access::Read).unwrap();
        assert_eq!(r.rel, "data/x.csv");
        assert_eq!(r.abs, root.join("data/x.csv"));
        let r = resolve(&root, "data/new/deep.txt", Access::Write).unwrap();
        assert_eq!(r.rel, "data/new/deep.txt");
        assert_eq!(r.abs, root.join("data/new/deep.txt"));
        let r = resolve(&root, ".", Access::Read).unwrap();
        assert_eq!((r.shown(), r.abs.as_path()), (".", root.as_path()));
    }

    #[test]
    fn refuses_escapes() {
        let (_d, root) = root();
        refused(resolve(&root, "../x", Access::Read), "leads outside");
        refused(resolve(&root, "a/../../x", Access::Write), "leads outside");
        refused(resolve(&root, "/tmp/x", Access::Write), "absolute");
        refused(resolve(&root, ".llmos", Access::Read), ".llmos");
        refused(resolve(&root, ".llmos/store/x", Access::Write), ".llmos");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlinks_that_leave_the_root() {
        use std::os::unix::fs::symlink;
        let (_d, root) = root();
        let (_o, outside_dir) = self::root();
        std::fs::write(outside_dir.join("secret"), "s").unwrap();
        symlink(outside_dir.join("secret"), root.join("file_link")).unwrap();
        symlink(&outside_dir, root.join("dir_link")).unwrap();
        symlink(outside_dir.join("nothing"), root.join("dangling_out")).unwrap();
        std::fs::create_dir(root.join(".llmos")).unwrap();
        symlink(root.join(".llmos"), root.join("state_link")).unwrap();

        refused(resolve(&root, "file_link", Access::Read), "leads outside");
        refused(
            resolve(&root, "dir_link/secret", Access::Read),
            "leads outside",
        );
        refused(
            resolve(&root, "dir_link/new/file", Access::Write),
            "leads outside",
        );
        refused(
            resolve(&root, "dangling_out", Access::Write),
            "symbolic link",
        );
        refused(
            resolve(&root, "dangling_out/x", Access::Write),
            "symbolic link",
        );
        refused(resolve(&root, "state_link/x", Access::Write), ".llmos");
        // reading a dangling link is allowed: it finds nothing
        assert!(resolve(&root, "dangling_out", Access::Read).is_ok());
        assert!(!outside_dir.join("new").exists());
        assert!(!outside_dir.join("nothing").exists());
    }

    #[cfg(unix)]
    #[test]
    fn follows_symlinks_that_stay_inside() {
        use std::os::unix::fs::symlink;
        let (_d, root) = root();
        std::fs::create_dir(root.join("real")).unwrap();
        symlink(root.join("real"), root.join("alias")).unwrap();
        let r = resolve(&root, "alias/f.txt", Access::Write).unwrap();
        assert_eq!(r.rel, "alias/f.txt");
        assert_eq!(r.abs, root.join("real/f.txt"));
    }

    #[test]
    fn rel_of_uses_slashes() {
        let (_d, root) = root();
        assert_eq!(
            rel_of(&root, &root.join("a").join("b.txt")).unwrap(),
            "a/b.txt"
        );
        assert_eq!(rel_of(&root, Path::new("/elsewhere")), None);
    }
}
