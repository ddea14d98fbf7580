//! Why a run did not give an output: one error, naming the step (when there is one) and
//! the kind of failure.

use std::fmt;

use serde::Serialize;

use crate::ir::OpId;

/// What went wrong, in one word (stable: `--json` and the run log carry it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunErrorKind {
    /// The program is malformed or links against tools that do not exist or changed.
    Link,
    /// A `--set` names neither a param nor a slot.
    UnknownName,
    /// A param without a default was not given.
    MissingParam,
    /// A param or slot value does not fit its declared type.
    BadParam,
    /// The program needs a capability that was not granted.
    Capability,
    /// A tool ran and reported a failure.
    Tool,
    /// A file tool tried to leave the workspace root.
    Sandbox,
    /// A step went over its time limit.
    StepTimeout,
    /// The run went over its time limit (`--timeout`).
    RunTimeout,
    /// The run was cancelled (Ctrl-C, SIGTERM).
    Cancelled,
    /// An `ask` slot got no value (or a value of the wrong type).
    Slot,
    /// A run-time check failed: a `json` value of the wrong shape, a missing field, an
    /// index out of range.
    Check,
    /// An `expect` did not hold: the program does not apply to this input. Nothing after
    /// it that acts on the world ran.
    ExpectFailed,
    /// A step went over a size limit (`[limits]` in config.toml).
    Limit,
    /// An `ask` slot's LLM call was refused by the budget (as a Learner's is).
    Budget,
    /// An `ask` slot's LLM call failed at the provider (as a Learner's does).
    Llm,
}

impl RunErrorKind {
    /// The kind's name, as in `--json` and the run log.
    pub fn as_str(self) -> &'static str {
        match self {
            RunErrorKind::Link => "link",
            RunErrorKind::UnknownName => "unknown_name",
            RunErrorKind::MissingParam => "missing_param",
            RunErrorKind::BadParam => "bad_param",
            RunErrorKind::Capability => "capability",
            RunErrorKind::Tool => "tool",
            RunErrorKind::Sandbox => "sandbox",
            RunErrorKind::StepTimeout => "step_timeout",
            RunErrorKind::RunTimeout => "run_timeout",
            RunErrorKind::Cancelled => "cancelled",
            RunErrorKind::Slot => "slot",
            RunErrorKind::Check => "check",
            RunErrorKind::ExpectFailed => "expect_failed",
            RunErrorKind::Limit => "limit",
            RunErrorKind::Budget => "budget",
            RunErrorKind::Llm => "llm",
        }
    }
}

impl RunErrorKind {
    /// The kind's diagnostic code (kebab-case), as `--json` and stderr name it.
    pub fn code(self) -> &'static str {
        match self {
            RunErrorKind::Link => "link",
            RunErrorKind::UnknownName => "unknown-name",
            RunErrorKind::MissingParam => "missing-param",
            RunErrorKind::BadParam => "bad-param",
            RunErrorKind::Capability => "capability-refused",
            RunErrorKind::Tool => "step-failed",
            RunErrorKind::Sandbox => "sandbox",
            RunErrorKind::StepTimeout => "step-timeout",
            RunErrorKind::RunTimeout => "run-timeout",
            RunErrorKind::Cancelled => "cancelled",
            RunErrorKind::Slot => "unresolved-slot",
            RunErrorKind::Check => "check-failed",
            RunErrorKind::ExpectFailed => "expect-failed",
            RunErrorKind::Limit => "limit-exceeded",
            RunErrorKind::Budget => "budget-exceeded",
            RunErrorKind::Llm => "llm-failed",
        }
    }
}

impl crate::diag::Coded for RunError {
    fn kind(&self) -> &'static str {
        self.kind.as_str()
    }
    fn code(&self) -> &'static str {
        self.code.unwrap_or(self.kind.code())
    }
    fn step(&self) -> Option<u32> {
        self.step
    }
}

impl From<crate::tools::ToolErrorKind> for RunErrorKind {
    fn from(kind: crate::tools::ToolErrorKind) -> RunErrorKind {
        use crate::tools::ToolErrorKind;
        match kind {
            ToolErrorKind::Sandbox => RunErrorKind::Sandbox,
            ToolErrorKind::Timeout => RunErrorKind::StepTimeout,
            ToolErrorKind::Failed | ToolErrorKind::BadArgument => RunErrorKind::Tool,
            ToolErrorKind::Limit => RunErrorKind::Limit,
        }
    }
}

/// A failed or refused run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunError {
    pub kind: RunErrorKind,
    /// The op that failed (or was running when the run stopped).
    pub op: Option<OpId>,
    /// The source statement of that op (index into `Program::steps`; equal to its length
    /// for the `return` expression).
    pub step: Option<u32>,
    /// The whole message, starting with the step's label when there is a step:
    /// ``step 2 (`text`) `fs.read`: no such file: notes.txt``.
    pub message: String,
    /// A code more precise than the kind's, when the failure has one (an `ask` slot's
    /// LLM call: the provider's `llm-auth`, `llm-timeout`, ...).
    #[serde(skip)]
    pub code: Option<&'static str>,
}

impl RunError {
    /// An error with no step (binding, linking).
    pub fn new(kind: RunErrorKind, message: impl Into<String>) -> RunError {
        RunError {
            kind,
            op: None,
            step: None,
            message: message.into(),
            code: None,
        }
    }

    /// An error at op `op` of statement `step`; `message` already names the step.
    pub fn at(kind: RunErrorKind, op: OpId, step: u32, message: impl Into<String>) -> RunError {
        RunError {
            kind,
            op: Some(op),
            step: Some(step),
            message: message.into(),
            code: None,
        }
    }

    /// The same error with a code more precise than its kind's (`None` keeps the kind's).
    pub fn with_code(self, code: Option<&'static str>) -> RunError {
        RunError { code, ..self }
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RunError {}
