//! Why a program could not be lowered to the IR. A program the checker accepted against
//! the same tool table never fails here: each variant is a broken invariant between the
//! checker and the builder, reported as an `internal` error with its own code.

use crate::diag::Coded;

/// A checked program the builder could not lower.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LowerError {
    /// The program calls a tool the table lacks.
    #[error("unknown tool `{0}`")]
    UnknownTool(String),
    /// A tool called in a step is not in the program's own tool table.
    #[error("unlinked tool `{0}`")]
    UnlinkedTool(String),
    /// A step refers to a step after it.
    #[error("reference to a later step")]
    LaterStep,
    /// A block refers to a local no enclosing block defines.
    #[error("reference to an unknown local")]
    UnknownLocal,
    /// A control expression is neither a block nor a boolean expression.
    #[error("not a block or boolean expression")]
    NotControl,
    /// A block was opened and never closed.
    #[error("a block was never finished")]
    UnfinishedBlock,
    /// A block closed a scope that was not open.
    #[error("the scope stack is empty")]
    NoScope,
}

impl Coded for LowerError {
    fn kind(&self) -> &'static str {
        "internal"
    }
    fn code(&self) -> &'static str {
        match self {
            LowerError::UnknownTool(_) => "lower-unknown-tool",
            LowerError::UnlinkedTool(_) => "lower-unlinked-tool",
            LowerError::LaterStep => "lower-later-step",
            LowerError::UnknownLocal => "lower-unknown-local",
            LowerError::NotControl => "lower-not-control",
            LowerError::UnfinishedBlock => "lower-unfinished-block",
            LowerError::NoScope => "lower-no-scope",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{ToolTable, check_source};

    #[test]
    fn a_tool_missing_from_the_table_is_an_internal_error_with_its_code() {
        let src = "trace t\ngoal \"read {p}\"\nparam p: str\nlet x = fs.read(path: p)\nreturn x\n";
        let (program, diags) = check_source(src, ToolTable::builtins());
        let program = program.unwrap_or_else(|| panic!("{diags:?}"));
        let mut tools = ToolTable::builtins().clone();
        tools.remove("fs.read");
        let e = crate::ir::build::lower(&program, &tools).unwrap_err();
        assert_eq!(e, LowerError::UnknownTool("fs.read".into()));
        assert_eq!((e.kind(), e.code()), ("internal", "lower-unknown-tool"));
        let d = e.diagnostic(crate::diag::Span::new(0, 0));
        assert_eq!(
            (d.code, d.message.as_str()),
            ("lower-unknown-tool", "unknown tool `fs.read`")
        );
    }
}
