//! Why a recording does not compile: it failed, names a tool or an argument the table
//! does not have, has no successful call, or passes a failed call's error on; or (a
//! defect of the compiler, never of the recording) the program it printed does not check.

/// Why a recording does not compile. Reported with kind `compile` and a code per case.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CompileError {
    /// The recording's outcome is `failure`.
    #[error(
        "the recording's outcome is `failure`{}: only successful runs are compiled",
        error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default()
    )]
    FailedRun { error: Option<String> },
    /// A kept step names a tool the table does not have (steps count from 1).
    #[error("step {step}: unknown tool `{tool}`")]
    UnknownTool { step: usize, tool: String },
    /// A kept step passes an argument its tool does not take.
    #[error("step {step}: `{tool}` has no parameter `{name}`")]
    UnknownArgument {
        step: usize,
        tool: String,
        name: String,
    },
    /// No step worked.
    #[error("the recording has no successful tool call to compile")]
    NothingToCompile,
    /// A kept step (or the final answer) holds the error text of an earlier failed step.
    #[error(
        "step {step} (`{tool}`): its `{name}` argument holds the error of the failed step \
         {failed_step} (\"{error}\"); a recording that passes on an error is not compiled, \
         since the program would repeat the failure as an answer"
    )]
    PassesOnError {
        step: usize,
        tool: String,
        name: String,
        failed_step: usize,
        error: String,
    },
    /// The compiler's own output does not check, or its replay cannot start: a defect of
    /// llmos, with what went wrong.
    #[error("{0}")]
    Internal(String),
}

impl crate::diag::Coded for CompileError {
    fn kind(&self) -> &'static str {
        "compile"
    }
    fn code(&self) -> &'static str {
        match self {
            CompileError::FailedRun { .. } => "recording-failed",
            CompileError::UnknownTool { .. } => "unknown-tool",
            CompileError::UnknownArgument { .. } => "unknown-argument",
            CompileError::NothingToCompile => "nothing-to-compile",
            CompileError::PassesOnError { .. } => "passes-on-error",
            CompileError::Internal(_) => "compile-internal",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Coded;

    #[test]
    fn messages_and_codes() {
        let failed = CompileError::FailedRun {
            error: Some("boom".into()),
        };
        assert_eq!(
            failed.to_string(),
            "the recording's outcome is `failure` (boom): only successful runs are compiled"
        );
        assert_eq!(failed.code(), "recording-failed");
        let unknown = CompileError::UnknownTool {
            step: 2,
            tool: "fs.reed".into(),
        };
        assert_eq!(unknown.to_string(), "step 2: unknown tool `fs.reed`");
        assert_eq!(
            (unknown.kind(), unknown.code()),
            ("compile", "unknown-tool")
        );
    }
}
