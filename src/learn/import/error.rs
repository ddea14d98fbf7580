//! What can go wrong importing the original traces: a file that cannot be read or is no
//! trace file ([`ImportError`], with a stable code), and the problems of its traces, each
//! naming the trace, the call's number and its tool ([`ImportProblem`]); why one call
//! cannot be carried over is a [`CallError`].

use std::fmt;

use crate::diag::Coded;
use crate::learn::recording::RecordingError;

/// Why a file could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// The YAML is malformed (or a native recording in it is invalid).
    #[error("{0}")]
    Yaml(#[source] RecordingError),
    /// The file is not a trace of the original llmos.
    #[error("{file}: {reason}")]
    NotATrace { file: String, reason: NotATrace },
    /// Traces that cannot be imported as they are; every problem of the file, one a line.
    #[error("{}", lines(file, problems))]
    Invalid {
        file: String,
        problems: Vec<ImportProblem>,
    },
}

fn lines(file: &str, problems: &[ImportProblem]) -> String {
    let lines: Vec<String> = problems.iter().map(|p| format!("{file}: {p}")).collect();
    lines.join("\n")
}

impl Coded for ImportError {
    fn kind(&self) -> &'static str {
        "import"
    }
    fn code(&self) -> &'static str {
        match self {
            ImportError::Io { .. } => "import-unreadable",
            ImportError::Yaml(_) => "import-yaml",
            ImportError::NotATrace { .. } => "not-a-trace",
            ImportError::Invalid { .. } => "import-invalid",
        }
    }
}

/// Why a file is not a trace file of the original llmos.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotATrace {
    #[error("{size} bytes, more than the limit of {limit}")]
    TooLarge { size: u64, limit: usize },
    #[error("no `{heading} <goal>` heading: not a Markdown trace of the original llmos")]
    NoHeading { heading: &'static str },
    #[error("no traces: the YAML is empty")]
    EmptyYaml,
    #[error("trace {0} is not a mapping: not an ExecutionTrace of the original llmos")]
    NotAMapping(usize),
    #[error(
        "trace {0} has neither `goal_text` nor `steps`: not an ExecutionTrace of the original llmos"
    )]
    NoGoalNorSteps(usize),
}

/// One thing wrong with one trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportProblem {
    /// Which trace: `trace "<goal>"`, with its line in a Markdown file or its number in a
    /// YAML file.
    pub trace: String,
    /// The call's number in the original trace, 1-based.
    pub step: Option<usize>,
    /// The call's original tool name.
    pub tool: Option<String>,
    pub message: String,
}

impl ImportProblem {
    pub(super) fn new(trace: impl Into<String>, message: impl fmt::Display) -> ImportProblem {
        ImportProblem {
            trace: trace.into(),
            step: None,
            tool: None,
            message: message.to_string(),
        }
    }

    pub(super) fn at_step(
        trace: &str,
        step: usize,
        tool: Option<String>,
        message: impl fmt::Display,
    ) -> ImportProblem {
        ImportProblem {
            step: Some(step),
            tool,
            ..ImportProblem::new(trace, message)
        }
    }
}

impl fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.trace)?;
        match (self.step, &self.tool) {
            (Some(n), Some(tool)) => write!(f, ", step {n} ({tool})")?,
            (Some(n), None) => write!(f, ", step {n}")?,
            _ => {}
        }
        write!(f, ": {}", self.message)
    }
}

/// Why one original call (or a step or metadata line around it) cannot be carried over.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("missing argument `{0}`")]
    Missing(&'static str),
    #[error("argument `{key}` must be {what}, found {found}")]
    WrongType {
        key: &'static str,
        what: &'static str,
        found: String,
    },
    #[error("unknown argument(s) `{}`: no counterpart", .0.join("`, `"))]
    UnknownArgs(Vec<String>),
    #[error("`run_in_background` has no counterpart: shell.run waits")]
    Background,
    #[error(
        "Grep over a folder or a glob has no counterpart (only a Grep of one file is \
         imported, as fs.read + text.regex_find)"
    )]
    GrepOverFolder,
    #[error("no llmos counterpart for the Claude Code tool `{0}`")]
    NoCounterpart(String),
    #[error("argument `edits` must be a list of {{old_string, new_string}}")]
    EditsNotAList,
    #[error("argument `edits` is empty")]
    NoEdits,
    #[error("edit {0} lacks `old_string` or `new_string`")]
    IncompleteEdit(usize),
    #[error("empty path")]
    EmptyPath,
    #[error("path `{path}` is outside the workspace root `{root}`")]
    Outside { path: String, root: String },
    #[error("empty command")]
    EmptyCommand,
    /// A YAML step that is not `{tool, input}`.
    #[error("a step must be a mapping with `tool` and `input`")]
    StepNotAMapping,
    #[error("a step needs a string `tool`")]
    NoTool,
    #[error("the step's `input` must be a mapping")]
    InputNotAMapping,
    #[error("unknown step key `{0}`")]
    UnknownStepKey(String),
    /// A field of a YAML trace whose value is not of its kind.
    #[error("`{key}` must be {what}")]
    BadField {
        key: &'static str,
        what: &'static str,
    },
    /// A metadata line of the trace whose value is not of its kind.
    #[error("metadata `{key}: {value}` is not {what}")]
    BadMetadata {
        key: String,
        value: String,
        what: &'static str,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_errors_have_codes_and_name_the_file() {
        let root = std::path::Path::new("/ws");
        let e = super::super::import_text("# Notes\n", "n.md", root).unwrap_err();
        assert_eq!((e.kind(), e.code()), ("import", "not-a-trace"));
        assert!(matches!(
            e,
            ImportError::NotATrace {
                reason: NotATrace::NoHeading { .. },
                ..
            }
        ));
        let text = "goal_text: g\nsteps:\n- tool: Grep\n  input: { pattern: x, path: /ws/src }\n";
        let e = super::super::import_text(text, "y.yaml", root).unwrap_err();
        assert_eq!(e.code(), "import-invalid");
        assert_eq!(
            e.to_string(),
            format!(
                "y.yaml: trace 1 \"g\", step 1 (Grep): {}",
                CallError::GrepOverFolder
            )
        );
    }
}
