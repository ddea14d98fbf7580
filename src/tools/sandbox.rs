//! The workspace sandbox: every file a tool touches is opened relative to a handle of
//! the workspace root, and the kernel, not a check of names, keeps it beneath the root.
//!
//! A path as written in a trace (relative to the root, `/` separated) is first split and
//! resolved lexically ([`normalize`]): absolute paths, a `..` above the root and the
//! state folder `.llmos/` are refused before anything is opened. Then:
//! - **Fast path** (Linux 5.6 and later): one `openat2` from the root handle with
//!   `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS`. It succeeds only
//!   when no part of the path is a symbolic link and everything is beneath the root, so
//!   the lexical path is exactly what was opened and the state folder check on names is
//!   exact.
//! - **Walk** (a symbolic link on the way, or no `openat2`: older kernels, seccomp
//!   filters, other systems): one part at a time, each opened relative to the folder
//!   handle before it with `O_NOFOLLOW`. A link is read and its target resolved the same
//!   way (a relative target from the folder holding the link, an absolute one only if
//!   it is under the root; `..` pops a handle, never climbing above the root), at most
//!   [`MAX_LINKS`] links per path. Every folder passed through is compared by identity
//!   (device and inode) with the state folder. As the walk holds handles, swapping a
//!   folder for a link while it runs cannot lead it outside.
//!
//! Refused, with a [`ToolError::sandbox`] naming the path: whatever leads outside the
//! root; the state folder (`.llmos/` at the root by name, and the actual state folder,
//! `$LLMOS_HOME` included, wherever it is under the root, by identity); writes through a
//! symbolic link as the last part (a write replaces the link's own entry, never its
//! target); files with more than one hard link, for reads and writes (another name of the
//! same file may be outside the root, or be the state's `config.toml`).

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

use super::ToolError;

/// The state folder's name at the workspace root, which tools may not touch.
pub const STATE_DIR: &str = ".llmos";

/// Symbolic links followed in one path at most (as the kernel's own limit).
pub const MAX_LINKS: u32 = 40;

/// A file or folder's identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    #[allow(clippy::unnecessary_cast)] // the field types differ between targets
    fn of(st: &Stat) -> FileId {
        FileId {
            dev: st.st_dev as u64,
            ino: st.st_ino as u64,
        }
    }
}

/// The state folder, when it is under the root.
#[derive(Debug)]
struct StateDir {
    id: FileId,
    /// Its path from the root, in parts.
    parts: Vec<String>,
}

/// The workspace root, held open, and what tools may not touch in it.
#[derive(Debug)]
pub struct Sandbox {
    /// `None` outside any workspace: everything is refused.
    root: Option<Arc<OwnedFd>>,
    root_path: PathBuf,
    state: Option<StateDir>,
    /// Whether to try `openat2` first (off in tests of the walk).
    fast: bool,
}

/// An open folder, with its path from the root.
#[derive(Clone, Debug)]
pub struct Dir {
    pub fd: Arc<OwnedFd>,
    pub rel: String,
}

/// What a path names.
#[derive(Debug)]
pub enum Found {
    /// An open file or folder (opened for reading, non-blocking) and its metadata.
    Open(OwnedFd, Stat),
    /// Nothing (a missing part, or a part that is a file where a folder should be).
    Missing,
}

impl Sandbox {
    /// Opens the root (a canonical path); `state` is the state folder, refused by
    /// identity if it exists under the root.
    pub fn open(root: &Path, state: Option<&Path>) -> io::Result<Sandbox> {
        let fd = rustix::fs::open(root, dir_flags(), Mode::empty())?;
        let state = state.and_then(|s| state_under(root, s));
        Ok(Sandbox {
            root: Some(Arc::new(fd)),
            root_path: root.to_path_buf(),
            state,
            fast: cfg!(target_os = "linux"),
        })
    }

    /// No workspace: every path is refused.
    pub fn none() -> Sandbox {
        Sandbox {
            root: None,
            root_path: PathBuf::new(),
            state: None,
            fast: false,
        }
    }

    /// The root's handle, or the refusal when there is none.
    fn root_fd(&self, path: &str) -> Result<&Arc<OwnedFd>, ToolError> {
        self.root.as_ref().ok_or_else(|| {
            ToolError::sandbox(format!("`{path}`: there is no workspace to open it in"))
        })
    }

    /// The same sandbox that always walks (for tests of the fallback).
    #[cfg(test)]
    pub fn walking(mut self) -> Sandbox {
        self.fast = false;
        self
    }

    /// Opens what `path` names for reading, following links that stay beneath the root.
    pub fn open_read(&self, path: &str) -> Result<(String, Found), ToolError> {
        let root = self.root_fd(path)?;
        let parts = self.check_names(path)?;
        let rel = parts.join("/");
        if self.fast
            && let Some(found) = fast_open(root, &rel, read_flags())
        {
            return Ok((rel, found));
        }
        let found = Walk::new(self, root, path, &parts).through()?;
        Ok((rel, found))
    }

    /// The folder that is to hold `path` (created, with the folders above it, when
    /// `create`), and the last part's name. `None` when a folder is missing and not
    /// created.
    pub fn parent(&self, path: &str, create: bool) -> Result<Option<(Dir, String)>, ToolError> {
        let root = self.root_fd(path)?;
        let parts = self.check_names(path)?;
        let Some((name, folders)) = parts.split_last() else {
            return Ok(None);
        };
        let rel = folders.join("/");
        if self.fast
            && let Some(Found::Open(fd, _)) = fast_open(root, &rel, dir_flags())
        {
            return Ok(Some((dir(fd, rel), name.clone())));
        }
        match Walk::new(self, root, path, folders).folders(create)? {
            Some(fd) => Ok(Some((dir(fd, rel), name.clone()))),
            None => Ok(None),
        }
    }

    /// The parts of `path` after the checks on names: [`normalize`], and the state
    /// folder under the root by its path.
    fn check_names(&self, path: &str) -> Result<Vec<String>, ToolError> {
        let parts: Vec<String> = normalize(path)?.into_iter().map(str::to_owned).collect();
        if let Some(state) = &self.state
            && parts.starts_with(&state.parts)
        {
            return Err(state_dir(path));
        }
        Ok(parts)
    }

    /// Whether an entry of the folder `dir` is the state folder (for listings).
    pub fn is_state(&self, st: &Stat) -> bool {
        self.state.as_ref().is_some_and(|s| s.id == FileId::of(st))
    }
}

fn dir(fd: OwnedFd, rel: String) -> Dir {
    Dir {
        fd: Arc::new(fd),
        rel,
    }
}

/// The state folder as seen from the root: its identity and path, if it exists under
/// the root.
fn state_under(root: &Path, state: &Path) -> Option<StateDir> {
    let canon = state.canonicalize().ok()?;
    let meta = std::fs::metadata(&canon).ok()?;
    let id = FileId {
        dev: meta.dev(),
        ino: meta.ino(),
    };
    let tail = canon.strip_prefix(root).ok()?;
    let parts: Option<Vec<String>> = tail
        .components()
        .map(|c| c.as_os_str().to_str().map(str::to_owned))
        .collect();
    Some(StateDir { id, parts: parts? })
}

/// Flags of a folder handle used only to open things relative to it.
fn dir_flags() -> OFlags {
    #[cfg(target_os = "linux")]
    let flags = OFlags::PATH | OFlags::DIRECTORY;
    #[cfg(not(target_os = "linux"))]
    let flags = OFlags::RDONLY | OFlags::DIRECTORY;
    flags | OFlags::CLOEXEC
}

/// Flags to open a file or folder for reading: never following a last link, never
/// blocking (a FIFO opens at once and is then refused as not a regular file).
pub fn read_flags() -> OFlags {
    OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC
}

/// The fast path: `openat2` beneath the root through no link at all. `None` when it
/// cannot answer (a link on the way, or no `openat2`); the walk answers then.
#[cfg(target_os = "linux")]
fn fast_open(root: &OwnedFd, rel: &str, flags: OFlags) -> Option<Found> {
    use rustix::fs::ResolveFlags;
    let how = ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
    let rel = if rel.is_empty() { "." } else { rel };
    match rustix::fs::openat2(root, rel, flags | OFlags::NOFOLLOW, Mode::empty(), how) {
        Ok(fd) => match rustix::fs::fstat(&fd) {
            Ok(st) => Some(Found::Open(fd, st)),
            Err(_) => None,
        },
        Err(Errno::NOENT | Errno::NOTDIR) => Some(Found::Missing),
        Err(_) => None,
    }
}

#[cfg(not(target_os = "linux"))]
fn fast_open(_: &OwnedFd, _: &str, _: OFlags) -> Option<Found> {
    None
}

/// One walk down a path (see the module docs).
struct Walk<'s> {
    sandbox: &'s Sandbox,
    root: &'s Arc<OwnedFd>,
    /// The path as given, for messages.
    path: &'s str,
    /// Handles of the folders walked through; the first is the root.
    stack: Vec<Arc<OwnedFd>>,
    /// Parts still to walk.
    todo: VecDeque<String>,
    links: u32,
}

/// What a part turned out to be.
enum Step {
    Folder(OwnedFd),
    Link(Vec<u8>),
    Other(OwnedFd, Stat),
    Missing,
}

impl<'s> Walk<'s> {
    fn new(
        sandbox: &'s Sandbox,
        root: &'s Arc<OwnedFd>,
        path: &'s str,
        parts: &[String],
    ) -> Walk<'s> {
        Walk {
            sandbox,
            root,
            path,
            stack: vec![Arc::clone(root)],
            todo: parts.iter().cloned().collect(),
            links: 0,
        }
    }

    fn top(&self) -> &OwnedFd {
        // The stack always holds the root.
        self.stack.last().unwrap_or(self.root)
    }

    /// Walks every part; the last is opened for reading (a link there is followed).
    fn through(mut self) -> Result<Found, ToolError> {
        while let Some(part) = self.todo.pop_front() {
            if part == ".." {
                self.up()?;
                continue;
            }
            let last = self.todo.is_empty();
            let step = if last {
                self.open_last(&part)?
            } else {
                self.probe(&part)?
            };
            match step {
                Step::Folder(fd) if last => {
                    let st = rustix::fs::fstat(&fd).map_err(|e| self.io(e))?;
                    return Ok(Found::Open(fd, st));
                }
                Step::Folder(fd) => self.stack.push(Arc::new(fd)),
                Step::Link(target) => self.follow(&target)?,
                Step::Other(fd, st) if last => return Ok(Found::Open(fd, st)),
                Step::Other(..) | Step::Missing => return Ok(Found::Missing),
            }
        }
        // Only `..` parts, or none: the folder reached.
        let fd = rustix::fs::openat(self.top(), ".", read_flags(), Mode::empty())
            .map_err(|e| self.io(e))?;
        let st = rustix::fs::fstat(&fd).map_err(|e| self.io(e))?;
        Ok(Found::Open(fd, st))
    }

    /// Walks every part as a folder, creating missing ones when `create`; the handle of
    /// the last, or `None` when one is missing.
    fn folders(mut self, create: bool) -> Result<Option<OwnedFd>, ToolError> {
        while let Some(part) = self.todo.pop_front() {
            if part == ".." {
                self.up()?;
                continue;
            }
            let mut step = self.probe(&part)?;
            if let (Step::Missing, true) = (&step, create) {
                match rustix::fs::mkdirat(self.top(), part.as_str(), Mode::from_raw_mode(0o777)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(self.io(e)),
                }
                step = self.probe(&part)?;
            }
            match step {
                Step::Folder(fd) => self.stack.push(Arc::new(fd)),
                Step::Link(target) => self.follow(&target)?,
                Step::Other(..) => {
                    return Err(ToolError::failed(format!(
                        "{}: a part of the path is a file, not a folder",
                        self.shown()
                    )));
                }
                Step::Missing => return Ok(None),
            }
        }
        let top = self.top();
        let fd =
            rustix::fs::openat(top, ".", dir_flags(), Mode::empty()).map_err(|e| self.io(e))?;
        Ok(Some(fd))
    }

    /// Opens a part that is not the last: a folder, a link, or something else.
    fn probe(&self, part: &str) -> Result<Step, ToolError> {
        #[cfg(target_os = "linux")]
        let flags = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        #[cfg(not(target_os = "linux"))]
        let flags = read_flags();
        self.classify(part, flags)
    }

    /// Opens the last part for reading.
    fn open_last(&self, part: &str) -> Result<Step, ToolError> {
        self.classify(part, read_flags())
    }

    fn classify(&self, part: &str, flags: OFlags) -> Result<Step, ToolError> {
        let top = self.top();
        let fd = match rustix::fs::openat(top, part, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT | Errno::NOTDIR) => return Ok(Step::Missing),
            // O_NOFOLLOW without O_PATH: the part is a link.
            Err(Errno::LOOP) => return self.read_link(part).map(Step::Link),
            Err(e) => return Err(self.io(e)),
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| self.io(e))?;
        Ok(match FileType::from_raw_mode(st.st_mode) {
            FileType::Directory => {
                if self.sandbox.is_state(&st) {
                    return Err(state_dir(self.path));
                }
                Step::Folder(fd)
            }
            FileType::Symlink => Step::Link(self.read_link(part)?),
            _ => Step::Other(fd, st),
        })
    }

    fn read_link(&self, part: &str) -> Result<Vec<u8>, ToolError> {
        rustix::fs::readlinkat(self.top(), part, Vec::new())
            .map(|t| t.into_bytes())
            .map_err(|e| self.io(e))
    }

    /// Puts a link's target in front of the parts still to walk.
    fn follow(&mut self, target: &[u8]) -> Result<(), ToolError> {
        self.links += 1;
        if self.links > MAX_LINKS {
            return Err(ToolError::failed(format!(
                "`{}`: more than {MAX_LINKS} symbolic links on the way",
                self.path
            )));
        }
        let target = Path::new(OsStr::from_bytes(target));
        let rel = if target.is_absolute() {
            let inside = target
                .strip_prefix(&self.sandbox.root_path)
                .map_err(|_| outside(self.path))?;
            self.stack.truncate(1);
            inside
        } else {
            target
        };
        let mut parts = Vec::new();
        for c in rel.components() {
            match c {
                std::path::Component::Normal(p) => match p.to_str() {
                    Some(p) => parts.push(p.to_owned()),
                    None => {
                        return Err(ToolError::failed(format!(
                            "`{}`: a symbolic link on the way has a name that is not UTF-8",
                            self.path
                        )));
                    }
                },
                std::path::Component::ParentDir => parts.push("..".to_owned()),
                _ => {}
            }
        }
        for p in parts.into_iter().rev() {
            self.todo.push_front(p);
        }
        Ok(())
    }

    /// `..`: back to the folder before, never above the root.
    fn up(&mut self) -> Result<(), ToolError> {
        if self.stack.len() <= 1 {
            return Err(outside(self.path));
        }
        self.stack.pop();
        Ok(())
    }

    fn shown(&self) -> &str {
        if self.path.is_empty() { "." } else { self.path }
    }

    fn io(&self, e: Errno) -> ToolError {
        io_error(self.shown(), &io::Error::from(e))
    }
}

/// A file error in words, naming the path from the root.
pub fn io_error(path: &str, e: &io::Error) -> ToolError {
    match e.kind() {
        io::ErrorKind::NotFound => ToolError::failed(format!("no such file: {path}")),
        io::ErrorKind::PermissionDenied => ToolError::failed(format!("permission denied: {path}")),
        io::ErrorKind::IsADirectory => ToolError::failed(format!("{path} is a folder, not a file")),
        io::ErrorKind::NotADirectory => ToolError::failed(format!(
            "{path}: a part of the path is a file, not a folder"
        )),
        _ => ToolError::failed(format!("{path}: {e}")),
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

fn outside(path: &str) -> ToolError {
    ToolError::sandbox(format!("`{path}` leads outside the workspace root"))
}

fn state_dir(path: &str) -> ToolError {
    ToolError::sandbox(format!(
        "`{path}` is in `{STATE_DIR}/`, the workspace state, which tools may not touch"
    ))
}

/// Refuses a file with more than one hard link (see the module docs).
pub fn check_single_link(path: &str, st: &Stat) -> Result<(), ToolError> {
    if st.st_nlink > 1 {
        return Err(ToolError::sandbox(format!(
            "`{path}` has {} hard links; files with more than one are refused (another \
             name of the file may be outside the workspace)",
            st.st_nlink
        )));
    }
    Ok(())
}

#[cfg(test)]
#[path = "sandbox_tests.rs"]
mod tests;
