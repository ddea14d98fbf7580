//! The front end of the trace language: source text to a syntax tree.
//!
//! `parse` never fails: it returns the tree of every statement it could read and a
//! diagnostic for every one it could not, so `llmos check` reports all problems at once.

pub mod ast;
pub(crate) mod lexer;
mod parser;

pub use parser::{MAX_CHAIN, MAX_EXPR_DEPTH};
pub mod printer;

use ast::{Comment, File, Item, ItemKind};

use crate::diag::{Diagnostic, Span};

/// Largest source accepted (8 MiB). Bigger files are refused with a diagnostic.
pub const MAX_SOURCE_BYTES: usize = 8 * 1024 * 1024;

/// Parses a whole `.llt` source text.
pub fn parse(src: &str) -> (File, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    if src.len() > MAX_SOURCE_BYTES {
        diags.push(
            Diagnostic::error(
                "file-too-large",
                Span::new(0, 0),
                format!(
                    "file is {} bytes; the limit is {} bytes",
                    src.len(),
                    MAX_SOURCE_BYTES
                ),
            )
            .label("starts here")
            .help("split the trace into smaller programs"),
        );
        return (File::default(), diags);
    }
    let cut = lexer::cut(src);
    diags.extend(cut.diagnostics);
    let mut items = Vec::with_capacity(cut.statements.len());
    let mut broken_names = Vec::new();
    for span in cut.statements.iter().chain(&cut.skipped) {
        let text = &src[span.range()];
        let parsed = if cut.skipped.contains(span) {
            None
        } else {
            parser::parse_statement(text, span.start as usize, &mut diags, &mut broken_names)
        };
        match parsed {
            Some((kind, item_span)) => items.push(Item {
                kind,
                span: item_span,
                doc: None,
            }),
            None => broken_names.extend(defined_name(text)),
        }
    }
    items.sort_by_key(|i| i.span.start);
    attach_docs(src, &mut items, &cut.comments);
    (
        File {
            items,
            comments: cut.comments,
            broken_names,
        },
        diags,
    )
}

/// The name a statement defines, read from its first words (`let NAME`, `param NAME`).
pub(crate) fn defined_name(text: &str) -> Option<String> {
    let mut words = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty());
    match words.next() {
        Some("let" | "param") => words.next().map(str::to_owned),
        _ => None,
    }
}

/// Gives each `tool`, `param` and `let` the `///` lines directly above it.
fn attach_docs(src: &str, items: &mut [Item], comments: &[Comment]) {
    let mut ci = 0;
    for item in items.iter_mut() {
        // The run of doc comments that ends right before this item (only white space between).
        let mut run: Vec<&Comment> = Vec::new();
        while ci < comments.len() && comments[ci].span.start < item.span.start {
            let c = &comments[ci];
            let contiguous = run
                .last()
                .is_none_or(|prev| only_space(src, prev.span.end, c.span.start, 1));
            if c.doc && !c.trailing && contiguous {
                run.push(c);
            } else {
                run.clear();
                if c.doc && !c.trailing {
                    run.push(c);
                }
            }
            ci += 1;
        }
        let attaches = matches!(
            item.kind,
            ItemKind::Tool(_) | ItemKind::Param(_) | ItemKind::Let(_)
        );
        if attaches
            && let Some(last) = run.last()
            && only_space(src, last.span.end, item.span.start, 1)
        {
            let lines: Vec<&str> = run
                .iter()
                .map(|c| c.text.strip_prefix(' ').unwrap_or(&c.text))
                .collect();
            item.doc = Some(lines.join("\n"));
        }
        // Skip comments inside this item.
        while ci < comments.len() && comments[ci].span.start < item.span.end {
            ci += 1;
        }
    }
}

/// Whether `src[from..to]` is white space with at most `max_newlines` line ends.
fn only_space(src: &str, from: u32, to: u32, max_newlines: usize) -> bool {
    let Some(gap) = src.get(from as usize..to as usize) else {
        return false;
    };
    gap.chars().all(char::is_whitespace) && gap.matches('\n').count() <= max_newlines
}
