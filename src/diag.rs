//! Diagnostics as plain data. Every stage (parser, checker, compiler, decoder) returns
//! these; only the CLI edge renders them (with miette, see `cli::render`).

use std::fmt;

/// A byte range in one source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }
    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }
    pub fn is_empty(self) -> bool {
        self.end == self.start
    }
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

/// A labelled span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One problem found in one source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable, kebab-case code (`unknown-tool`, `type-mismatch`, ...); users and tests rely
    /// on it.
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// The primary span: `file:line:col` points at its start.
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            primary: Label {
                span,
                message: String::new(),
            },
            secondary: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    /// Sets the label text of the primary span.
    pub fn label(mut self, text: impl Into<String>) -> Diagnostic {
        self.primary.message = text.into();
        self
    }

    pub fn secondary(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            span,
            message: text.into(),
        });
        self
    }

    pub fn help(mut self, text: impl Into<String>) -> Diagnostic {
        self.help = Some(text.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}[{}]: {}", self.code, self.message)
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = &src.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, col)
}

/// Whether any diagnostic is an error.
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(Diagnostic::is_error)
}

/// An error reported at the edge: a stable kind (snake_case: the `kind` of `--json` and
/// the run log), a stable diagnostic code (kebab-case, as the checker's), its message
/// and, when it happened at a statement, which one (counted from 0). The one shape of
/// the `error` object of `llmos run --json` and `llmos exec --json`.
pub trait Coded: std::fmt::Display {
    fn kind(&self) -> &'static str;
    fn code(&self) -> &'static str;
    /// The statement the error happened at, if any.
    fn step(&self) -> Option<u32> {
        None
    }
    /// The diagnostic the CLI renders, at `span` (the step's, when the source is known).
    fn diagnostic(&self, span: Span) -> Diagnostic {
        Diagnostic::error(self.code(), span, self.to_string())
    }
    /// The `error` object of `--json`: `kind`, `code`, `message` and `step` (counted
    /// from 1; null when there is none).
    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "kind": self.kind(),
            "code": self.code(),
            "message": self.to_string(),
            "step": self.step().map(|s| s + 1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns() {
        let src = "ab\ncdé f\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 3), (2, 1));
        assert_eq!(line_col(src, 7), (2, 4)); // after "cdé" (é is two bytes)
    }
}
