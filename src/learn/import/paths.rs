//! Paths of the original traces made relative to the workspace root.
//!
//! The original passed absolute paths. One under the workspace root becomes
//! relative to it (the root itself is `.`); one outside it is an error. Relative paths
//! stay, unless `..` leads out of the root. In shell commands, absolute paths under the
//! root are rewritten the same way.

use std::path::{Component, Path, PathBuf};

use super::CallError;

/// Removes `.` and resolves `..` without touching the file system. `None` when `..`
/// climbs above the start of a relative path.
fn normalize(p: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    let mut depth = 0usize;
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if depth == 0 {
                    if p.is_absolute() {
                        continue; // `/..` is `/`
                    }
                    return None;
                }
                out.pop();
                depth -= 1;
            }
            Component::Normal(s) => {
                out.push(s);
                depth += 1;
            }
            other => out.push(other.as_os_str()),
        }
    }
    Some(out)
}

fn slash_joined(p: &Path) -> String {
    let parts: Vec<String> = p
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// `p` relative to `root`: absolute paths must be under the root; relative ones must not
/// climb out of it.
pub(super) fn relative_path(p: &str, root: &Path) -> Result<String, CallError> {
    if p.is_empty() {
        return Err(CallError::EmptyPath);
    }
    let path = Path::new(p);
    let outside = || CallError::Outside {
        path: p.to_owned(),
        root: root.display().to_string(),
    };
    let norm = normalize(path).ok_or_else(outside)?;
    if !path.is_absolute() {
        return Ok(slash_joined(&norm));
    }
    let root = normalize(root).unwrap_or_else(|| root.to_path_buf());
    match norm.strip_prefix(&root) {
        Ok(rel) => Ok(slash_joined(rel)),
        Err(_) => Err(outside()),
    }
}
