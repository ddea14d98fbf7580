//! The checker: name resolution, types with the coercions of `llt.md`, and lints.
//!
//! It turns a syntax tree into a typed [`hir::Program`] and reports every problem it
//! finds (not only the first). Tool signatures come from a [`ToolTable`]: the built-in
//! declarations in `stdlib/`, compiled into the binary, and the tools of the workspace's
//! MCP servers.

mod blocks;
mod calls;
pub(crate) mod decls;
pub(crate) mod hir;
mod lints;
pub(crate) mod literal;
mod operators;
pub(crate) mod suggest;
mod trace;

use crate::diag::{Diagnostic, Span};
use crate::stdlib::ToolDecl;
pub use blocks::KEYWORDS;

use crate::syntax::ast::{File, ItemKind};

/// Tool signatures by name, in name order (built-in and MCP tools alike).
pub use crate::tools::ToolTable;

/// What a checked file is.
#[derive(Debug)]
pub enum Checked {
    /// A trace; `None` when it has errors.
    Trace(Option<hir::Program>),
    /// A declaration file; its tools (those without errors).
    Declarations(Vec<ToolDecl>),
}

/// Checks a parsed file. `diags` gets every error and warning; the result is only
/// usable when no error was reported.
pub fn check_file(file: &File, tools: &ToolTable, diags: &mut Vec<Diagnostic>) -> Checked {
    let is_decl = file
        .items
        .iter()
        .any(|i| matches!(i.kind, ItemKind::Tool(_)))
        && !file
            .items
            .iter()
            .any(|i| matches!(i.kind, ItemKind::Trace(_)));
    if is_decl {
        return Checked::Declarations(decls::declarations(file, diags));
    }
    if file.items.is_empty() && !crate::diag::has_errors(diags) {
        diags.push(
            Diagnostic::error(
                "missing-trace",
                Span::new(0, 0),
                "empty file: expected `trace NAME`",
            )
            .label("nothing here")
            .help("a trace starts with `trace NAME`; a declaration file holds `tool` items"),
        );
        return Checked::Trace(None);
    }
    let errors_before = diags.iter().filter(|d| d.is_error()).count();
    let program = trace::check_trace(file, tools, diags);
    let errors_after = diags.iter().filter(|d| d.is_error()).count();
    Checked::Trace(if errors_after == errors_before && errors_before == 0 {
        program
    } else {
        None
    })
}

/// Parses and checks a trace source in one go: the typed program, or `None`, plus every
/// diagnostic, sorted by position.
pub fn check_source(src: &str, tools: &ToolTable) -> (Option<hir::Program>, Vec<Diagnostic>) {
    let (file, mut diags) = crate::syntax::parse(src);
    let checked = check_file(&file, tools, &mut diags);
    sort(&mut diags);
    match checked {
        Checked::Trace(p) => (p, diags),
        Checked::Declarations(_) => {
            diags.push(
                Diagnostic::error(
                    "not-a-trace",
                    Span::new(0, 0),
                    "this is a declaration file, not a trace",
                )
                .label("starts here"),
            );
            (None, diags)
        }
    }
}

/// Diagnostics in source order (errors before warnings at the same place).
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (a.primary.span.start, std::cmp::Reverse(a.severity), a.code).cmp(&(
            b.primary.span.start,
            std::cmp::Reverse(b.severity),
            b.code,
        ))
    });
}
