//! The program of a printed plan, checked from the syntax tree it was printed from
//! instead of by parsing the printed text again (the parse was a third of the time of
//! compiling a long recording). The step→span table is found in the printed text: each
//! top-level item, printed alone, must appear there in order. When it does not, or when
//! the tree does not check, the text is compiled as any hand-written trace is, so the
//! program and its error messages never depend on this shortcut. Debug builds (every
//! test) compile the text as well and assert that both ways agree.

use crate::diag::Span;
use crate::ir::Program;
use crate::syntax::ast::{File, ItemKind};
use crate::tools::ToolTable;

/// The program of `source`, the text `file` was printed into (after a header), with
/// its step→span table; or the first error, as the text's compiler reports it.
pub fn compile(
    mut file: File,
    source: &str,
    tools: &ToolTable,
) -> Result<(Program, Vec<Span>), String> {
    match from_tree(&mut file, source, tools) {
        Some(found) => {
            #[cfg(debug_assertions)]
            {
                let parsed = from_text(source, tools);
                assert!(
                    parsed.as_ref() == Ok(&found),
                    "the checked syntax tree and the printed source differ:\n{source}"
                );
            }
            Ok(found)
        }
        None => from_text(source, tools),
    }
}

/// Parses, checks and lowers the text, as `llmos compile` does for a trace.
fn from_text(source: &str, tools: &ToolTable) -> Result<(Program, Vec<Span>), String> {
    crate::ir::build::compile_with_spans(source, tools)
        .map(|(program, _warnings, spans)| (program, spans))
        .map_err(|diags| {
            let first = diags
                .iter()
                .find(|d| d.is_error())
                .map(ToString::to_string)
                .unwrap_or_default();
            format!("the compiled program does not check: {first}")
        })
}

/// Checks and lowers the tree, its items given the spans they have in `source`; `None`
/// when an item is not where it should be or the tree does not check.
fn from_tree(file: &mut File, source: &str, tools: &ToolTable) -> Option<(Program, Vec<Span>)> {
    // The header is comment lines; then the items, one after another, each ending its
    // line, with blank lines between groups.
    let mut at = 0;
    while source[at..].starts_with("//") {
        at += source[at..].find('\n')? + 1;
    }
    let mut one = File {
        items: Vec::with_capacity(1),
        comments: Vec::new(),
        broken_names: Vec::new(),
    };
    let items = std::mem::take(&mut file.items);
    for item in items {
        while source[at..].starts_with('\n') {
            at += 1;
        }
        one.items.push(item);
        let printed = crate::syntax::printer::format("", &one);
        let mut item = one.items.pop()?;
        let text = printed.strip_suffix('\n')?;
        if !source[at..].starts_with(text) {
            return None;
        }
        let end = at + text.len();
        item.span = Span::new(at, end);
        // The return value's span is its expression's, after `return `.
        if let ItemKind::Return(e) = &mut item.kind {
            let expr = text.strip_prefix("return ")?;
            e.span = Span::new(end - expr.len(), end);
        }
        file.items.push(item);
        at = end;
    }
    if !source[at..].trim().is_empty() {
        return None;
    }
    let mut diags = Vec::new();
    let crate::check::Checked::Trace(Some(hir)) = crate::check::check_file(file, tools, &mut diags)
    else {
        return None;
    };
    if crate::diag::has_errors(&diags) {
        return None;
    }
    let program = crate::ir::build::lower(&hir, tools).ok()?;
    Some((program, crate::ir::build::step_spans(&hir)))
}
