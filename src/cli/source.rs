//! Reading source files for the commands: `-` for stdin, a folder for every `.llt` file
//! below it, the size limit and the UTF-8 check, each problem named with its file.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::syntax::MAX_SOURCE_BYTES;

/// The name stdin goes by in messages.
pub const STDIN_NAME: &str = "<stdin>";

/// Why a source could not be read: a stable code, where, and what happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    /// `io`, `file-too-large`, `not-utf8` or `no-sources`.
    pub code: &'static str,
    pub file: String,
    /// 1-based line and column (in characters) of the fault; 1:1 when it has no place.
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl ReadError {
    /// What went wrong and where, without the `error` label.
    pub fn text(&self) -> String {
        match self.code {
            "not-utf8" => format!("{}:{}:{}: {}", self.file, self.line, self.col, self.message),
            _ => self.message.clone(),
        }
    }
}

/// The line printed on stderr: `error: ...`, or `error[CODE]: ...` for the problems with
/// a code of their own.
impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            "io" => write!(f, "error: {}", self.text()),
            code => write!(f, "error[{code}]: {}", self.text()),
        }
    }
}

impl std::error::Error for ReadError {}

/// One source to read: a file, or stdin (`-`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    File(PathBuf),
    Stdin,
}

impl Input {
    /// The name used in messages.
    pub fn name(&self) -> String {
        match self {
            Input::File(p) => p.display().to_string(),
            Input::Stdin => STDIN_NAME.to_owned(),
        }
    }

    /// The text, read with the size limit and checked to be UTF-8.
    pub fn read(&self) -> Result<String, ReadError> {
        let name = self.name();
        let io = |e: std::io::Error| ReadError {
            code: "io",
            file: name.clone(),
            line: 1,
            col: 1,
            message: format!("cannot read {name}: {e}"),
        };
        match self {
            Input::File(path) => read_limited(std::fs::File::open(path).map_err(io)?, &name),
            Input::Stdin => read_limited(std::io::stdin().lock(), &name),
        }
    }
}

fn read_limited(reader: impl Read, name: &str) -> Result<String, ReadError> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_SOURCE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError {
            code: "io",
            file: name.to_owned(),
            line: 1,
            col: 1,
            message: format!("cannot read {name}: {e}"),
        })?;
    if bytes.len() > MAX_SOURCE_BYTES {
        return Err(ReadError {
            code: "file-too-large",
            file: name.to_owned(),
            line: 1,
            col: 1,
            message: format!(
                "{name} is larger than {MAX_SOURCE_BYTES} bytes, the limit for a source file"
            ),
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
        let (line, col) = crate::diag::line_col(&prefix, valid);
        ReadError {
            code: "not-utf8",
            file: name.to_owned(),
            line,
            col,
            message: format!("the file is not valid UTF-8 (bad byte at offset {valid})"),
        }
    })
}

/// Reads a source file; an error names the file and the problem.
pub fn read_source(path: &Path) -> Result<String, ReadError> {
    Input::File(path.to_path_buf()).read()
}

/// The sources the command line names, in order: `-` is stdin (once), a folder stands for
/// every `.llt` file below it (sorted; folders whose name starts with `.` are skipped,
/// such as `.git` and `.llmos`), anything else is a file. A folder with no `.llt` file
/// is an error, so a mistyped path never checks nothing.
pub fn expand(args: &[PathBuf]) -> Vec<Result<Input, ReadError>> {
    let mut out = Vec::new();
    for arg in args {
        if arg.as_os_str() == "-" {
            out.push(Ok(Input::Stdin));
        } else if arg.is_dir() {
            let found = llt_files_below(arg);
            if found.is_empty() {
                let name = arg.display().to_string();
                out.push(Err(ReadError {
                    code: "no-sources",
                    message: format!("{name} holds no .llt file"),
                    file: name,
                    line: 1,
                    col: 1,
                }));
            }
            out.extend(found.into_iter().map(|p| Ok(Input::File(p))));
        } else {
            out.push(Ok(Input::File(arg.clone())));
        }
    }
    out
}

fn llt_files_below(dir: &Path) -> Vec<PathBuf> {
    let hidden =
        |e: &walkdir::DirEntry| e.depth() > 0 && e.file_name().to_string_lossy().starts_with('.');
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| !(e.file_type().is_dir() && hidden(e)))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "llt"))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

/// Runs `f(input, name, text)` on every source the arguments name (see [`expand`]), in
/// order; a source that cannot be read goes to `on_error` and counts as a failure. Fails
/// when any source failed (`f` returns false).
pub fn for_each_input(
    args: &[PathBuf],
    mut on_error: impl FnMut(&ReadError),
    mut f: impl FnMut(&Input, &str, &str) -> bool,
) -> super::Outcome {
    let mut failed = false;
    for input in expand(args) {
        let text = input.and_then(|i| i.read().map(|t| (i, t)));
        match text {
            Ok((input, src)) => failed |= !f(&input, &input.name(), &src),
            Err(e) => {
                on_error(&e);
                failed = true;
            }
        }
    }
    if failed {
        super::Outcome::Failed
    } else {
        super::Outcome::Success
    }
}

/// [`for_each_input`], with read errors printed on stderr.
pub fn for_each_source(
    args: &[PathBuf],
    f: impl FnMut(&Input, &str, &str) -> bool,
) -> super::Outcome {
    for_each_input(args, |e| eprintln!("{e}"), f)
}
