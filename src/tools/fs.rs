//! `fs.*`: files inside the workspace root, through the [sandbox](super::sandbox). Every
//! path given and returned is a path from the root (`data/x.csv`), never absolute.
//!
//! Folder entries whose names are not UTF-8 are left out of `fs.list` and `fs.glob`
//! (they could not be named in a trace); so are entries `fs.glob` cannot read.

use std::io::{ErrorKind, Write as _};
use std::time::Duration;

use super::registry::{Body, Builtin};
use super::sandbox::{self, Access, Resolved, STATE_DIR};
use super::{ToolCtx, ToolError, ToolResult, arg_str};
use crate::value::Value;

/// Time limit of one file tool call.
pub const TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) const TOOLS: &[Builtin] = &[
    Builtin {
        name: "fs.read",
        params: &["path"],
        timeout: TIMEOUT,
        body: Body::Ready(read),
    },
    Builtin {
        name: "fs.write",
        params: &["path", "content"],
        timeout: TIMEOUT,
        body: Body::Ready(write),
    },
    Builtin {
        name: "fs.append",
        params: &["path", "content"],
        timeout: TIMEOUT,
        body: Body::Ready(append),
    },
    Builtin {
        name: "fs.exists",
        params: &["path"],
        timeout: TIMEOUT,
        body: Body::Ready(exists),
    },
    Builtin {
        name: "fs.list",
        params: &["dir"],
        timeout: TIMEOUT,
        body: Body::Ready(list),
    },
    Builtin {
        name: "fs.glob",
        params: &["pattern"],
        timeout: TIMEOUT,
        body: Body::Ready(glob),
    },
];

/// A file error in words, naming the path from the root.
fn io_error(r: &Resolved, e: &std::io::Error) -> ToolError {
    let path = r.shown();
    match e.kind() {
        ErrorKind::NotFound => ToolError::failed(format!("no such file: {path}")),
        ErrorKind::PermissionDenied => ToolError::failed(format!("permission denied: {path}")),
        ErrorKind::IsADirectory => ToolError::failed(format!("{path} is a folder, not a file")),
        ErrorKind::NotADirectory => ToolError::failed(format!(
            "{path}: a part of the path is a file, not a folder"
        )),
        _ => ToolError::failed(format!("{path}: {e}")),
    }
}

/// Refuses folders and special files (a FIFO or device would block or never end; file
/// tools answer at once, so they must not wait).
fn check_regular(r: &Resolved, meta: &std::fs::Metadata) -> Result<(), ToolError> {
    if meta.is_dir() {
        Err(ToolError::failed(format!(
            "{} is a folder, not a file",
            r.shown()
        )))
    } else if !meta.is_file() {
        Err(ToolError::failed(format!(
            "{} is not a regular file",
            r.shown()
        )))
    } else {
        Ok(())
    }
}

fn read(ctx: &ToolCtx, args: &[Value]) -> ToolResult {
    let r = sandbox::resolve(&ctx.root, arg_str(args, 0, "path")?, Access::Read)?;
    let meta = std::fs::metadata(&r.abs).map_err(|e| io_error(&r, &e))?;
    check_regular(&r, &meta)?;
    if meta.len() > ctx.limits.fs_read_max {
        return Err(ToolError::failed(format!(
            "{} is {} bytes, over the limit of {} bytes",
            r.shown(),
            meta.len(),
            ctx.limits.fs_read_max
        )));
    }
    let bytes = std::fs::read(&r.abs).map_err(|e| io_error(&r, &e))?;
    String::from_utf8(bytes).map(Value::String).map_err(|e| {
        ToolError::failed(format!(
            "{} is not UTF-8 text (invalid byte at offset {})",
            r.shown(),
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Checks a write target and creates its parent folders (after the check).
fn prepare_write(ctx: &ToolCtx, path: &str, tool: &str) -> Result<Resolved, ToolError> {
    let r = sandbox::resolve(&ctx.root, path, Access::Write)?;
    if r.rel.is_empty() {
        return Err(ToolError::bad_argument(format!(
            "{tool} needs a file path, not the workspace root"
        )));
    }
    if let Ok(meta) = std::fs::metadata(&r.abs) {
        check_regular(&r, &meta)?;
    }
    if let Some(parent) = r.abs.parent() {
        std::fs::create_dir_all(parent).map_err(|e| {
            ToolError::failed(format!("cannot create the folders of {}: {e}", r.rel))
        })?;
    }
    Ok(r)
}

fn write(ctx: &ToolCtx, args: &[Value]) -> ToolResult {
    let content = arg_str(args, 1, "content")?;
    let r = prepare_write(ctx, arg_str(args, 0, "path")?, "fs.write")?;
    std::fs::write(&r.abs, content).map_err(|e| io_error(&r, &e))?;
    Ok(Value::String(r.rel))
}

fn append(ctx: &ToolCtx, args: &[Value]) -> ToolResult {
    let content = arg_str(args, 1, "content")?;
    let r = prepare_write(ctx, arg_str(args, 0, "path")?, "fs.append")?;
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&r.abs)
        .and_then(|mut f| f.write_all(content.as_bytes()))
        .map_err(|e| io_error(&r, &e))?;
    Ok(Value::String(r.rel))
}

fn exists(ctx: &ToolCtx, args: &[Value]) -> ToolResult {
    let r = sandbox::resolve(&ctx.root, arg_str(args, 0, "path")?, Access::Read)?;
    match r.abs.try_exists() {
        Ok(b) => Ok(Value::Bool(b)),
        Err(e) if e.kind() == ErrorKind::NotADirectory => Ok(Value::Bool(false)),
        Err(e) => Err(io_error(&r, &e)),
    }
}

/// `base/name`, or `name` when `base` is the root.
fn child(base: &str, name: &str) -> String {
    if base.is_empty() {
        name.to_owned()
    } else {
        format!("{base}/{name}")
    }
}

fn list(ctx: &ToolCtx, args: &[Value]) -> ToolResult {
    let r = sandbox::resolve(&ctx.root, arg_str(args, 0, "dir")?, Access::Read)?;
    let entries = std::fs::read_dir(&r.abs).map_err(|e| match e.kind() {
        ErrorKind::NotFound => ToolError::failed(format!("no such folder: {}", r.shown())),
        ErrorKind::NotADirectory => {
            ToolError::failed(format!("{} is a file, not a folder", r.shown()))
        }
        _ => io_error(&r, &e),
    })?;
    let at_root = r.abs == ctx.root;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io_error(&r, &e))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if at_root && name == STATE_DIR {
            continue;
        }
        out.push(child(&r.rel, &name));
    }
    out.sort_unstable();
    Ok(Value::Array(out.into_iter().map(Value::String).collect()))
}

/// Whether a glob character occurs in a pattern part.
fn has_glob_chars(part: &str) -> bool {
    part.contains(['*', '?', '[', ']', '{', '}', '\\'])
}

fn glob(ctx: &ToolCtx, args: &[Value]) -> ToolResult {
    let pattern = arg_str(args, 0, "pattern")?;
    if pattern.starts_with('/') || pattern.split('/').any(|p| p == "..") {
        return Err(ToolError::sandbox(format!(
            "glob pattern `{pattern}` leads outside the workspace root"
        )));
    }
    let pattern = pattern.trim_start_matches("./");
    let matcher = globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| ToolError::bad_argument(format!("bad glob pattern `{pattern}`: {e}")))?
        .compile_matcher();
    // Walk only below the pattern's leading literal folders (`data/*.csv` walks `data`).
    let parts: Vec<&str> = pattern.split('/').collect();
    let literal = parts.len().saturating_sub(1);
    let literal = parts
        .iter()
        .take(literal)
        .take_while(|p| !has_glob_chars(p))
        .count();
    let base = match sandbox::resolve(&ctx.root, &parts[..literal].join("/"), Access::Read) {
        Ok(base) => base,
        // `.llmos/*` and the like match nothing: that folder is never listed.
        Err(e) if e.kind == super::ToolErrorKind::Sandbox && parts.first() == Some(&STATE_DIR) => {
            return Ok(Value::Array(Vec::new()));
        }
        Err(e) => return Err(e),
    };
    if !base.abs.is_dir() {
        return Ok(Value::Array(Vec::new()));
    }
    let at_root = base.abs == ctx.root;
    let walk = walkdir::WalkDir::new(&base.abs)
        .min_depth(1)
        .follow_links(false);
    let walk = walk
        .into_iter()
        .filter_entry(|e| !(at_root && e.depth() == 1 && e.file_name() == STATE_DIR));
    let mut out = Vec::new();
    for entry in walk.flatten() {
        let Some(tail) = sandbox::rel_of(&base.abs, entry.path()) else {
            continue;
        };
        let rel = child(&base.rel, &tail);
        let ft = entry.file_type();
        if !(ft.is_file() || ft.is_symlink()) || !matcher.is_match(&rel) {
            continue;
        }
        // A link is listed only when it leads to a file inside the root.
        if ft.is_symlink()
            && !sandbox::resolve(&ctx.root, &rel, Access::Read).is_ok_and(|r| r.abs.is_file())
        {
            continue;
        }
        out.push(rel);
    }
    out.sort_unstable();
    Ok(Value::Array(out.into_iter().map(Value::String).collect()))
}

#[cfg(test)]
#[path = "fs_tests.rs"]
mod tests;
