//! The program of a printed plan, checked from the syntax tree it was printed from
//! instead of by parsing the printed text again (the parse was a third of the time of
//! compiling a long recording). The step→span table comes from where the printer put
//! each top-level item in the text. When the printer could not say (a blank line fell
//! inside an item), or when the tree does not check, the text is compiled as any
//! hand-written trace is, so the program and its error messages never depend on this
//! shortcut. Debug builds (every test) compile the text as well and assert that both ways
//! agree.

use crate::diag::Span;
use crate::ir::Program;
use crate::syntax::ast::{File, ItemKind};
use crate::tools::ToolTable;

/// The program of `source`, the text `file` was printed into, with its step→span
/// table; or the first error, as the text's compiler reports it. `items` is the span of
/// each item of `file` in `source`, when the printer knows it.
pub fn compile(
    mut file: File,
    source: &str,
    items: Option<Vec<Span>>,
    tools: &ToolTable,
) -> Result<(Program, Vec<Span>), String> {
    let found = items.and_then(|items| from_tree(&mut file, source, items, tools));
    match found {
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

/// Checks and lowers the tree, its items given their spans in `source`; `None` when the
/// spans do not fit the items or the tree does not check.
fn from_tree(
    file: &mut File,
    source: &str,
    items: Vec<Span>,
    tools: &ToolTable,
) -> Option<(Program, Vec<Span>)> {
    if items.len() != file.items.len() {
        return None;
    }
    for (item, span) in file.items.iter_mut().zip(items) {
        item.span = span;
        // The return value's span is its expression's, after `return `.
        if let ItemKind::Return(e) = &mut item.kind {
            let text = source.get(span.start as usize..span.end as usize)?;
            let expr = text.strip_prefix("return ")?;
            e.span = Span::new(span.end as usize - expr.len(), span.end as usize);
        }
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
