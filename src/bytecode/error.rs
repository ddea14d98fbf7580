//! Why bytes are not a program: every error names the byte offset and what is wrong.

use std::fmt;

/// What kind of problem a [`DecodeError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// Not `.llb` bytes at all (bad magic), or cut short, or bytes that do not parse.
    Malformed,
    /// A format version this build does not read.
    Version,
    /// The program calls a tool this build lacks, or one whose signature changed since it
    /// was compiled: like a link error, it is refused instead of running wrongly.
    Link,
    /// Well-formed bytes that spell an invalid program (a bad reference, a wrong type, a
    /// missing effect edge, a non-canonical encoding, ...).
    Invalid,
}

/// Why a `.llb` byte string was refused. Decoding checks everything before anything runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// The byte offset of the fault (of the item at fault when no finer place is known).
    pub offset: usize,
    pub kind: DecodeErrorKind,
    /// What is wrong, naming the item (`op %3`, `tool #1 `fs.read``, ...).
    pub message: String,
}

impl DecodeError {
    pub(crate) fn new(offset: usize, kind: DecodeErrorKind, message: impl Into<String>) -> Self {
        DecodeError {
            offset,
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for DecodeError {}

/// Where in a program (not its bytes) a [`VerifyError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Site {
    /// The name or goal.
    Header,
    /// The capability set.
    Effects,
    Tool(u32),
    Const(u32),
    Param(u32),
    Slot(u32),
    Op(u32),
    Step(u32),
    Output,
    /// Block `b` as a whole (its result, or its place in the program).
    Block(u32),
    /// Op `i` of block `b`.
    BlockOp(u32, u32),
    /// Step `i` of block `b`.
    BlockStep(u32, u32),
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Site::Header => f.write_str("header"),
            Site::Effects => f.write_str("capability set"),
            Site::Tool(i) => write!(f, "tool #{i}"),
            Site::Const(i) => write!(f, "const c{i}"),
            Site::Param(i) => write!(f, "param ${i}"),
            Site::Slot(i) => write!(f, "slot @{i}"),
            Site::Op(i) => write!(f, "op %{i}"),
            Site::Step(i) => write!(f, "step {}", u64::from(*i) + 1),
            Site::Output => f.write_str("output"),
            Site::Block(b) => write!(f, "block ^{b}"),
            Site::BlockOp(b, i) => write!(f, "block ^{b} op %{i}"),
            Site::BlockStep(b, i) => write!(f, "block ^{b} step {}", u64::from(*i) + 1),
        }
    }
}

/// Why an IR program is invalid (see [`super::verify`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyError {
    pub site: Site,
    /// Whether this is a link error (unknown tool or changed signature).
    pub link: bool,
    pub message: String,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.site, self.message)
    }
}

impl std::error::Error for VerifyError {}
