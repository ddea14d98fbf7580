//! The errors of the command line, and the one place that shows them to the user.
//!
//! Every command returns `Result<Outcome, CliError>`. [`CliError`] wraps the typed errors
//! of the layers below (workspace, host, kernel, database, store, remote, import) and
//! names the CLI's own (a program that does not load, a source that cannot be read, bad
//! input such as an unknown trace id). Each variant has a stable kind and kebab-case code
//! ([`Coded`]): [`CliError::print`] renders it on stderr, [`Coded::json`] is the `error`
//! object of `--json`. Every failure exits 1 (clap's usage errors exit 2).

use std::path::PathBuf;

use serde_json::{Value, json};

use super::program::LoadError;
use super::render::{print_all, render, stderr_color};
use super::source::ReadError;
use crate::db::DbError;
use crate::diag::{Coded, Span};
use crate::host::HostError;
use crate::kernel::KernelError;
use crate::learn::import::ImportError;
use crate::learn::recording::RecordingError;
use crate::llm::CassetteError;
use crate::remote::RemoteError;
use crate::store::StoreError;
use crate::vm::RunError;
use crate::workspace::WorkspaceError;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The workspace (its root, state folder or `config.toml`) cannot be used.
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    /// The host could not provide something (database, runtime, model).
    #[error(transparent)]
    Host(#[from] HostError),
    /// The kernel could not start, or could not reach a goal.
    #[error(transparent)]
    Kernel(#[from] KernelError),
    /// The workspace database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The program store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The program named on the command line could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A source file could not be read.
    #[error("{}", .0.text())]
    Read(#[from] ReadError),
    /// A program's run failed or was refused (with its step's source line when known).
    #[error("{}", .0.error)]
    Run(Box<RunFailure>),
    /// The team library (`[remote]`, the signing key).
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// A trace file could not be imported.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// A Learner recording does not parse.
    #[error(transparent)]
    Recording(#[from] RecordingError),
    /// A trace or recording does not compile to a program.
    #[error("{what}: {message}")]
    Compile { what: String, message: String },
    /// A recording does not compile: `error` says why (its code is the error's).
    #[error("{what}: {error}")]
    Uncompiled {
        what: String,
        #[source]
        error: crate::learn::compile::CompileError,
    },
    /// An MCP server's configuration or tool list.
    #[error(transparent)]
    Mcp(#[from] crate::mcp::SetupError),
    /// `llmos mcp serve` could not serve.
    #[error(transparent)]
    McpServe(#[from] crate::mcp::ServeError),
    /// The result could not be written to stdout (a full disk, a closed pipe).
    #[error("cannot write the output to stdout: {0}")]
    Stdout(String),
    /// `llmos demo` stopped.
    #[error(transparent)]
    Demo(#[from] super::demo::DemoError),
    /// `--record-cassette`: the cassette could not be written.
    #[error(transparent)]
    Cassette(#[from] CassetteError),
    /// A file the command reads or writes.
    #[error("{doing} {}: {source}", path.display())]
    Io {
        doing: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The input names something that is not there, or is wrong (`code` says what).
    #[error("{message}")]
    Input { code: &'static str, message: String },
    /// Failures already printed one by one (several files, several records); the
    /// message sums them up.
    #[error("{0}")]
    Reported(String),
}

/// A failed run and, when the program's source is known, where its step is.
#[derive(Debug)]
pub struct RunFailure {
    pub error: RunError,
    /// The source file name and text, and the failing step's span in it.
    pub at: Option<(String, String, Span)>,
}

impl CliError {
    /// Bad input named by the command: `code` is its stable code.
    pub fn input(code: &'static str, message: impl Into<String>) -> CliError {
        CliError::Input {
            code,
            message: message.into(),
        }
    }

    /// A run error, shown against the line of its step when `at` is known.
    pub fn run(error: RunError, at: Option<(String, String, Span)>) -> CliError {
        CliError::Run(Box::new(RunFailure { error, at }))
    }

    /// Prints the error on stderr as people read it: diagnostics against their source
    /// (then how many, and the first), a run error against its step's line, a source
    /// that cannot be read as `error[CODE]: ...`, anything else as `error: MESSAGE`.
    pub fn print(&self) {
        match self {
            CliError::Load(LoadError::Diagnostics {
                file,
                text,
                diagnostics,
            }) => {
                print_all(diagnostics, file, text, 100);
                eprintln!("{self}");
            }
            CliError::Load(LoadError::Read(e)) | CliError::Read(e) => eprintln!("{e}"),
            CliError::Run(f) => f.print(),
            CliError::Reported(_) => {}
            e => eprintln!("error: {e}"),
        }
    }

    /// The object a `--json` command prints on stdout when it fails before giving its
    /// result: `{"error": {kind, code, message, step}}`.
    pub fn json_object(&self) -> Value {
        json!({ "error": self.json() })
    }
}

impl RunFailure {
    fn print(&self) {
        let e = &self.error;
        if let Some((file, text, span)) = &self.at {
            let d = e.diagnostic(*span).label("this step");
            eprint!("{}", render(&d, file, text, stderr_color()));
            return;
        }
        for line in e.message.lines() {
            eprintln!("error[{}]: {line}", e.code());
        }
    }
}

impl From<RunError> for CliError {
    fn from(e: RunError) -> CliError {
        CliError::run(e, None)
    }
}

impl Coded for CliError {
    fn kind(&self) -> &'static str {
        match self {
            CliError::Workspace(_) => "workspace",
            CliError::Host(e) => e.kind(),
            CliError::Kernel(e) => e.kind(),
            CliError::Db(_) => "database",
            CliError::Store(_) => "store",
            CliError::Load(e) => e.kind(),
            CliError::Read(_) | CliError::Io { .. } | CliError::Input { .. } => "input",
            CliError::Stdout(_) => "output",
            CliError::Run(f) => f.error.kind(),
            CliError::Remote(e) => e.kind(),
            CliError::Import(e) => e.kind(),
            CliError::Recording(_) => "recording",
            CliError::Compile { .. } => "compile",
            CliError::Uncompiled { error, .. } => error.kind(),
            CliError::Mcp(_) | CliError::McpServe(_) => "mcp",
            CliError::Cassette(_) => "cassette",
            CliError::Demo(e) => e.kind(),
            CliError::Reported(_) => "failed",
        }
    }

    fn code(&self) -> &'static str {
        match self {
            CliError::Workspace(_) => "workspace",
            CliError::Host(e) => e.code(),
            CliError::Kernel(e) => e.code(),
            CliError::Db(_) => "database",
            CliError::Store(e) => store_code(e),
            CliError::Load(e) => e.code(),
            CliError::Read(e) => e.code,
            CliError::Run(f) => f.error.code(),
            CliError::Remote(e) => e.code(),
            CliError::Import(e) => e.code(),
            CliError::Recording(_) => "bad-recording",
            CliError::Compile { .. } => "compile-failed",
            CliError::Uncompiled { error, .. } => error.code(),
            CliError::Mcp(e) => e.code(),
            CliError::McpServe(e) => e.code(),
            CliError::Cassette(CassetteError::Write { .. }) => "cassette-write",
            CliError::Cassette(_) => "cassette",
            CliError::Demo(e) => e.code(),
            CliError::Io { .. } => "io",
            CliError::Stdout(_) => "stdout",
            CliError::Input { code, .. } => code,
            CliError::Reported(_) => "failed",
        }
    }

    fn step(&self) -> Option<u32> {
        match self {
            CliError::Kernel(e) => e.step(),
            CliError::Run(f) => f.error.step,
            _ => None,
        }
    }
}

/// The code of a store error.
pub fn store_code(e: &StoreError) -> &'static str {
    match e {
        StoreError::Corrupt { .. } => "corrupt-object",
        StoreError::Missing { .. } | StoreError::NotFound { .. } => "no-program",
        StoreError::Ambiguous { .. } => "ambiguous-id",
        StoreError::BadId { .. } | StoreError::BadRunId { .. } => "bad-id",
        _ => "store",
    }
}

/// A flag's value that is not what the flag takes (clap prints it; exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ArgError {
    #[error("expected NAME=VALUE, found `{0}`")]
    NotNameValue(String),
    #[error("unknown capability `{0}` (known: {known})", known = known_capabilities())]
    UnknownCapability(String),
    #[error("`{text}` is not a duration ({source}); write e.g. 500ms, 30s, 5m")]
    NotDuration {
        text: String,
        #[source]
        source: humantime::DurationError,
    },
    #[error("a time limit must be longer than 0")]
    ZeroLimit,
    #[error(
        "`{0}` is longer than the longest time limit, {max}",
        max = humantime::format_duration(super::exec::MAX_LIMIT)
    )]
    TooLong(String),
    #[error("`{0}` is not an amount of dollars (e.g. 5 or 0.25)")]
    NotDollars(String),
    #[error("`{0}` is not an amount of dollars: it must be a number from 0 to 1e9")]
    DollarsOutOfRange(String),
}

fn known_capabilities() -> String {
    let known: Vec<&str> = crate::types::Effect::ALL
        .iter()
        .map(|e| e.as_str())
        .collect();
    known.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_kind_a_code_and_the_message_it_prints() {
        let e = CliError::input("no-trace", "no trace 7 (`llmos traces ls` lists them)");
        let v = e.json_object();
        assert_eq!(v["error"]["kind"], "input");
        assert_eq!(v["error"]["code"], "no-trace");
        assert_eq!(v["error"]["step"], Value::Null);
        assert_eq!(v["error"]["message"], e.to_string());
        let e = CliError::from(KernelError::NoMatch);
        assert_eq!((e.kind(), e.code()), ("no_match", "no-match"));
        let e = CliError::from(LoadError::NotFound { spec: "x".into() });
        assert_eq!(e.code(), "no-program");
        assert!(e.to_string().starts_with("cannot load `x`"), "{e}");
    }

    #[test]
    fn a_run_error_keeps_its_step() {
        let run = RunError {
            kind: crate::vm::RunErrorKind::BadParam,
            op: None,
            step: None,
            message: "param `n`: `x` is not an int".into(),
            code: None,
        };
        let e = CliError::from(run);
        assert_eq!((e.kind(), e.code()), ("bad_param", "bad-param"));
        assert_eq!(e.json()["step"], Value::Null);
    }
}
