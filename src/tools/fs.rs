//! `fs.*`: files inside the workspace root, opened through the [sandbox](super::sandbox)'s
//! handle of the root. Every path given and returned is a path from the root
//! (`data/x.csv`), never absolute.
//!
//! A call stopped by a time limit or a cancellation leaves no effect ([`Work`]):
//! - `fs.write` (and `fs.append` to a new file) fills a temporary file beside the target
//!   (`.llmos-tmp-…`, a name listings leave out) and renames it over the target only
//!   when the call commits, so readers see the old file or the new one, never a part;
//!   a stopped call removes its temporary file. The replaced file's permission bits are
//!   kept.
//! - `fs.append` to an existing file writes at its end a chunk at a time; a stopped call
//!   cuts the file back to its old length before the stop is reported.
//!
//! Files with other names (hard links) and symbolic links as the last part are refused
//! ([`sandbox`]).
//!
//! Sizes: a file read is at most `limits.file_read`, a file left by a write or append at
//! most `limits.file_write`, and all the bytes a run asks to write at most
//! `limits.run_writes` ([`crate::limits`]).
//!
//! Folder entries whose names are not UTF-8 are left out of `fs.list` and `fs.glob`
//! (they could not be named in a trace); so are entries `fs.glob` cannot read.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::Duration;

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Stat};

use super::registry::{Body, Builtin, INLINE_BYTES, Offload};
use super::sandbox::{self, Dir, Found, STATE_DIR, check_single_link, io_error};
use super::work::{self, Undo, Work};
use super::{Invocation, ToolCtx, ToolError, ToolResult, arg_str};
use crate::limits::{Limit, format_size};
use crate::value::Value;

/// Time limit of one file tool call.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Files are read and written this much at a time, with a look for a stop in between.
const CHUNK: usize = 1 << 20;

/// The start of the names of temporary files (left out of listings).
pub const TEMP_PREFIX: &str = ".llmos-tmp-";

pub(crate) const TOOLS: &[Builtin] = &[
    Builtin {
        name: "fs.read",
        params: &["path"],
        timeout: TIMEOUT,
        body: Body::Call(read),
    },
    Builtin {
        name: "fs.write",
        params: &["path", "content"],
        timeout: TIMEOUT,
        body: Body::Work(write, Offload::Large),
    },
    Builtin {
        name: "fs.append",
        params: &["path", "content"],
        timeout: TIMEOUT,
        body: Body::Work(append, Offload::Large),
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
        body: Body::Work(list, Offload::Always),
    },
    Builtin {
        name: "fs.glob",
        params: &["pattern"],
        timeout: TIMEOUT,
        body: Body::Work(glob, Offload::Always),
    },
];

/// A file error from a system call, naming the path.
fn errno(rel: &str, e: rustix::io::Errno) -> ToolError {
    io_error(rel, &e.into())
}

/// `path`, or `.` for the root.
fn shown(rel: &str) -> &str {
    if rel.is_empty() { "." } else { rel }
}

/// Refuses folders and special files (a FIFO or device would block or never end).
fn check_regular(rel: &str, st: &Stat) -> Result<(), ToolError> {
    match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => Ok(()),
        FileType::Directory => Err(ToolError::failed(format!(
            "{} is a folder, not a file",
            shown(rel)
        ))),
        _ => Err(ToolError::failed(format!(
            "{} is not a regular file",
            shown(rel)
        ))),
    }
}

/// A file open for reading, checked, with its path and size.
struct OpenFile {
    rel: String,
    file: File,
    len: u64,
}

fn read(ctx: &Arc<ToolCtx>, args: Vec<Value>) -> Invocation {
    let opened = arg_str(&args, 0, "path").and_then(|path| open_file(ctx, path));
    match opened {
        Err(e) => Invocation::Ready(Err(e)),
        Ok(f) if f.len <= INLINE_BYTES as u64 => Invocation::Ready(read_text(f, &Work::inline())),
        Ok(f) => Invocation::Pending(work::offload(move |w| read_text(f, w))),
    }
}

/// Opens a file to read: a regular file with one name, within the read limit.
fn open_file(ctx: &ToolCtx, path: &str) -> Result<OpenFile, ToolError> {
    let (rel, found) = ctx.sandbox.open_read(path)?;
    let Found::Open(fd, st) = found else {
        return Err(ToolError::failed(format!("no such file: {}", shown(&rel))));
    };
    check_regular(&rel, &st)?;
    check_single_link(&rel, &st)?;
    let len = st.st_size.max(0) as u64;
    let max = ctx.limits.fs_read_max.min(ctx.limits.value_max);
    if len > max {
        let limit = if max == ctx.limits.fs_read_max {
            Limit::FileRead
        } else {
            Limit::Value
        };
        return Err(ToolError::limit(
            limit,
            format!("{rel} is {}", format_size(len)),
            max,
        ));
    }
    Ok(OpenFile {
        rel,
        file: File::from(fd),
        len,
    })
}

/// Reads an open file's text, a chunk at a time so that a stop is noticed.
fn read_text(f: OpenFile, work: &Work<'_>) -> ToolResult {
    let OpenFile { rel, file, len } = f;
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    // One byte more than the size seen, to notice a file that grew meanwhile.
    let mut rest = file.take(len + 1);
    loop {
        work.check()?;
        let n = (&mut rest)
            .take(CHUNK as u64)
            .read_to_end(&mut bytes)
            .map_err(|e| io_error(&rel, &e))?;
        if n == 0 {
            break;
        }
    }
    if bytes.len() as u64 > len {
        return Err(ToolError::failed(format!("{rel} grew while it was read")));
    }
    String::from_utf8(bytes).map(Value::String).map_err(|e| {
        ToolError::failed(format!(
            "{rel} is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Where a write goes: the folder (created), the file's name, and what is there now.
struct Target {
    dir: Dir,
    name: String,
    rel: String,
    /// The metadata of the file there now.
    existing: Option<Stat>,
}

/// Checks a write target and creates its folders (after the checks).
fn target(ctx: &ToolCtx, path: &str, tool: &str) -> Result<Target, ToolError> {
    if sandbox::normalize(path)?.is_empty() {
        return Err(ToolError::bad_argument(format!(
            "{tool} needs a file path, not the workspace root"
        )));
    }
    let Some((dir, name)) = ctx.sandbox.parent(path, true)? else {
        return Err(ToolError::failed(format!("no such folder for {path}")));
    };
    let rel = if dir.rel.is_empty() {
        name.clone()
    } else {
        format!("{}/{name}", dir.rel)
    };
    let existing = match rustix::fs::statat(&*dir.fd, name.as_str(), AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Some(check_target(path, &rel, st)?),
        Err(rustix::io::Errno::NOENT) => None,
        Err(e) => return Err(errno(&rel, e)),
    };
    Ok(Target {
        dir,
        name,
        rel,
        existing,
    })
}

/// Refuses to write to a link, a folder, a special file or a file with other names.
fn check_target(path: &str, rel: &str, st: Stat) -> Result<Stat, ToolError> {
    if FileType::from_raw_mode(st.st_mode) == FileType::Symlink {
        return Err(ToolError::sandbox(format!(
            "`{path}` is a symbolic link; writes do not go through links"
        )));
    }
    check_regular(rel, &st)?;
    check_single_link(rel, &st)?;
    Ok(st)
}

/// Counts `bytes` against the file and run write limits.
fn check_write(ctx: &ToolCtx, t: &Target, file_size: u64, bytes: u64) -> Result<(), ToolError> {
    if file_size > ctx.limits.file_write_max {
        return Err(ToolError::limit(
            Limit::FileWrite,
            format!("{} would be {}", t.rel, format_size(file_size)),
            ctx.limits.file_write_max,
        ));
    }
    ctx.count_write(bytes)
}

fn write(ctx: &ToolCtx, args: &[Value], work: &Work<'_>) -> ToolResult {
    let content = arg_str(args, 1, "content")?;
    let t = target(ctx, arg_str(args, 0, "path")?, "fs.write")?;
    check_write(ctx, &t, content.len() as u64, content.len() as u64)?;
    replace(&t, work, |file| {
        write_chunks(file, content.as_bytes(), work)
    })?;
    Ok(Value::String(t.rel))
}

fn append(ctx: &ToolCtx, args: &[Value], work: &Work<'_>) -> ToolResult {
    let path = arg_str(args, 0, "path")?;
    let content = arg_str(args, 1, "content")?;
    let t = target(ctx, path, "fs.append")?;
    if t.existing.is_none() {
        check_write(ctx, &t, content.len() as u64, content.len() as u64)?;
        replace(&t, work, |file| {
            write_chunks(file, content.as_bytes(), work)
        })?;
        return Ok(Value::String(t.rel));
    }
    // Checked again on the open file: the name may have changed since.
    let flags =
        OFlags::WRONLY | OFlags::APPEND | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let opened = rustix::fs::openat(&*t.dir.fd, t.name.as_str(), flags, Mode::empty());
    let fd = opened.map_err(|e| match e {
        rustix::io::Errno::LOOP => ToolError::sandbox(format!(
            "`{path}` is a symbolic link; writes do not go through links"
        )),
        e => errno(&t.rel, e),
    })?;
    let st = rustix::fs::fstat(&fd).map_err(|e| errno(&t.rel, e))?;
    let old = check_target(path, &t.rel, st)?.st_size.max(0) as u64;
    check_write(ctx, &t, old + content.len() as u64, content.len() as u64)?;
    let file = Arc::new(File::from(fd));
    let undo = Arc::clone(&file);
    work.on_stop(Box::new(move || {
        let _ = undo.set_len(old);
    }))?;
    for chunk in content.as_bytes().chunks(CHUNK) {
        work.apply(|| (&*file).write_all(chunk))?.map_err(|e| {
            let _ = file.set_len(old);
            io_error(&t.rel, &e)
        })?;
    }
    Ok(Value::String(t.rel))
}

fn write_chunks(file: &mut File, bytes: &[u8], work: &Work<'_>) -> std::io::Result<()> {
    for chunk in bytes.chunks(CHUNK) {
        if work.check().is_err() {
            return Err(std::io::Error::other("stopped"));
        }
        file.write_all(chunk)?;
    }
    Ok(())
}

/// Fills a temporary file beside the target with `fill` and renames it over the target
/// when the call commits (see the module docs).
fn replace(
    t: &Target,
    work: &Work<'_>,
    fill: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> Result<(), ToolError> {
    let tmp = format!("{TEMP_PREFIX}{:016x}", fastrand::u64(..));
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let (dir, name) = (Arc::clone(&t.dir.fd), tmp.clone());
    let remove = move || {
        let _ = rustix::fs::unlinkat(&*dir, name.as_str(), AtFlags::empty());
    };
    // Made and registered for removal in one step: a stop never leaves it behind.
    let fd = work
        .prepare(|| {
            rustix::fs::openat(&*t.dir.fd, tmp.as_str(), flags, Mode::from_raw_mode(0o666))
                .map(|fd| (fd, Box::new(remove.clone()) as Undo))
        })?
        .map_err(|e| errno(&t.rel, e))?;
    let mut file = File::from(fd);
    let filled = t
        .existing
        .as_ref()
        .map_or(Ok(()), |st| {
            rustix::fs::fchmod(&file, Mode::from_raw_mode(st.st_mode & 0o7777)).map_err(Into::into)
        })
        .and_then(|()| fill(&mut file));
    drop(file);
    if let Err(e) = filled {
        remove();
        work.check()?;
        return Err(io_error(&t.rel, &e));
    }
    let renamed = work
        .commit(|| rustix::fs::renameat(&*t.dir.fd, tmp.as_str(), &*t.dir.fd, t.name.as_str()))?;
    renamed.map_err(|e| {
        remove();
        errno(&t.rel, e)
    })
}

fn exists(ctx: &ToolCtx, args: &[Value]) -> ToolResult {
    let (_, found) = ctx.sandbox.open_read(arg_str(args, 0, "path")?)?;
    Ok(Value::Bool(matches!(found, Found::Open(..))))
}

/// `base/name`, or `name` when `base` is the root.
fn child(base: &str, name: &str) -> String {
    if base.is_empty() {
        name.to_owned()
    } else {
        format!("{base}/{name}")
    }
}

/// An open folder's entries that a trace may see: UTF-8 names, no temporary files, not
/// the state folder. Each with its type (resolved when the folder does not say).
fn entries(
    ctx: &ToolCtx,
    fd: OwnedFd,
    rel: &str,
    work: &Work<'_>,
) -> Result<Vec<(String, FileType)>, ToolError> {
    let mut dir = rustix::fs::Dir::new(fd).map_err(|e| errno(shown(rel), e))?;
    let mut out = Vec::new();
    while let Some(entry) = dir.read() {
        work.check()?;
        let entry = entry.map_err(|e| errno(shown(rel), e))?;
        let Ok(name) = entry.file_name().to_str() else {
            continue;
        };
        if matches!(name, "." | "..")
            || name.starts_with(TEMP_PREFIX)
            || (rel.is_empty() && name == STATE_DIR)
        {
            continue;
        }
        let mut ty = entry.file_type();
        if matches!(ty, FileType::Directory | FileType::Unknown) {
            let parent = dir.fd().map_err(|e| errno(shown(rel), e))?;
            let Ok(st) = rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW) else {
                continue;
            };
            if ctx.sandbox.is_state(&st) {
                continue;
            }
            ty = FileType::from_raw_mode(st.st_mode);
        }
        out.push((name.to_owned(), ty));
    }
    Ok(out)
}

/// Opens a folder named by a path, for listing.
fn open_folder(ctx: &ToolCtx, path: &str) -> Result<Option<(String, OwnedFd)>, ToolError> {
    let (rel, found) = ctx.sandbox.open_read(path)?;
    match found {
        Found::Open(fd, st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => {
            Ok(Some((rel, fd)))
        }
        Found::Open(..) => Err(ToolError::failed(format!(
            "{} is a file, not a folder",
            shown(&rel)
        ))),
        Found::Missing => Ok(None),
    }
}

fn list(ctx: &ToolCtx, args: &[Value], work: &Work<'_>) -> ToolResult {
    let path = arg_str(args, 0, "dir")?;
    let Some((rel, fd)) = open_folder(ctx, path)? else {
        let rel = sandbox::normalize(path)?.join("/");
        return Err(ToolError::failed(format!(
            "no such folder: {}",
            shown(&rel)
        )));
    };
    let mut out: Vec<String> = entries(ctx, fd, &rel, work)?
        .into_iter()
        .map(|(name, _)| child(&rel, &name))
        .collect();
    out.sort_unstable();
    Ok(Value::Array(out.into_iter().map(Value::String).collect()))
}

/// Whether a glob character occurs in a pattern part.
fn has_glob_chars(part: &str) -> bool {
    part.contains(['*', '?', '[', ']', '{', '}', '\\'])
}

fn glob(ctx: &ToolCtx, args: &[Value], work: &Work<'_>) -> ToolResult {
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
    let base = match open_folder(ctx, &parts[..literal].join("/")) {
        Ok(Some(base)) => base,
        Ok(None) => return Ok(Value::Array(Vec::new())),
        // `.llmos/*` and the like match nothing: that folder is never listed.
        Err(e) if e.kind == super::ToolErrorKind::Sandbox && parts.first() == Some(&STATE_DIR) => {
            return Ok(Value::Array(Vec::new()));
        }
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    let mut folders = vec![base];
    while let Some((rel, fd)) = folders.pop() {
        let parent = Arc::new(fd.try_clone().map_err(|e| io_error(shown(&rel), &e))?);
        for (name, ty) in entries(ctx, fd, &rel, work)? {
            let path = child(&rel, &name);
            match ty {
                FileType::Directory => {
                    let flags = sandbox::read_flags() | OFlags::DIRECTORY;
                    if let Ok(sub) =
                        rustix::fs::openat(&*parent, name.as_str(), flags, Mode::empty())
                    {
                        folders.push((path, sub));
                    }
                }
                FileType::RegularFile if matcher.is_match(&path) => out.push(path),
                // A link is listed only when it leads to a file inside the root.
                FileType::Symlink if matcher.is_match(&path) => {
                    if let Ok((_, Found::Open(_, st))) = ctx.sandbox.open_read(&path)
                        && FileType::from_raw_mode(st.st_mode) == FileType::RegularFile
                    {
                        out.push(path);
                    }
                }
                _ => {}
            }
        }
    }
    out.sort_unstable();
    Ok(Value::Array(out.into_iter().map(Value::String).collect()))
}

#[cfg(test)]
#[path = "fs_tests.rs"]
mod tests;
