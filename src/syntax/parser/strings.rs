//! Lowering string literals: text with escapes decoded, `{name.path}` interpolations,
//! and clear errors for unknown escapes, lone braces and unterminated strings.

use pest::iterators::Pair;

use super::{Lower, Rule};
use crate::diag::{Diagnostic, Span};
use crate::syntax::ast::*;

impl Lower<'_> {
    pub(super) fn string(&mut self, p: Pair<'_, Rule>) -> StrLit {
        let span = self.span(&p);
        let triple = p.as_rule() == Rule::triple_str;
        let mut parts: Vec<StrPart> = Vec::new();
        let mut text = String::new();
        for part in p.into_inner() {
            let pspan = self.span(&part);
            match part.as_rule() {
                Rule::plain_text | Rule::triple_text => text.push_str(part.as_str()),
                Rule::lbrace_esc => text.push('{'),
                Rule::rbrace_esc => text.push('}'),
                Rule::escape => {
                    match part.as_str().chars().nth(1) {
                        Some('n') => text.push('\n'),
                        Some('t') => text.push('\t'),
                        Some('r') => text.push('\r'),
                        Some('"') => text.push('"'),
                        Some('\\') => text.push('\\'),
                        other => {
                            let shown =
                                other.map_or(String::new(), |c| c.escape_debug().to_string());
                            self.diags.push(
                            Diagnostic::error("unknown-escape", pspan, format!("unknown escape `\\{shown}`"))
                                .label("not an escape")
                                .help("escapes are \\n \\t \\r \\\" \\\\; write `{{` and `}}` for braces"),
                        );
                        }
                    }
                }
                Rule::interp => {
                    if !text.is_empty() {
                        parts.push(StrPart::Text(std::mem::take(&mut text)));
                    }
                    let mut it = part.into_inner();
                    let Some(root) = it.next() else { continue };
                    let root = self.ident(root);
                    let mut path = Vec::new();
                    for step in it {
                        let sspan = self.span(&step);
                        let rule = step.as_rule();
                        let Some(inner) = step.into_inner().next() else {
                            continue;
                        };
                        match rule {
                            Rule::field => path.push(Access::Field(self.ident(inner))),
                            _ => match inner.as_str().parse::<i64>() {
                                Ok(i) => path.push(Access::Index(i, sspan)),
                                Err(_) => self.diags.push(
                                    Diagnostic::error("bad-number", sspan, "index out of range")
                                        .label("too large"),
                                ),
                            },
                        }
                    }
                    parts.push(StrPart::Interp(Interp {
                        root,
                        path,
                        span: pspan,
                    }));
                }
                Rule::bad_open => self.diags.push(
                    Diagnostic::error(
                        "bad-interpolation",
                        pspan,
                        "`{` must start an interpolation like `{name}` or `{name.field}`",
                    )
                    .label("not an interpolation")
                    .help("write `{{` for a literal `{`"),
                ),
                Rule::bad_close => self.diags.push(
                    Diagnostic::error("bad-interpolation", pspan, "unmatched `}` in a string")
                        .label("unmatched")
                        .help("write `}}` for a literal `}`"),
                ),
                Rule::unterminated => {
                    let (open, what) = if triple {
                        (3, "triple-quoted string")
                    } else {
                        (1, "string")
                    };
                    self.diags.push(
                        Diagnostic::error(
                            "unterminated-string",
                            Span::new(span.start as usize, span.start as usize + open),
                            format!("unterminated {what}"),
                        )
                        .label("this string is never closed")
                        .help(if triple {
                            "close it with `\"\"\"`"
                        } else {
                            "close it with `\"` on the same line, or use a triple-quoted string for several lines"
                        }),
                    );
                }
                _ => {}
            }
        }
        if !text.is_empty() {
            parts.push(StrPart::Text(text));
        }
        StrLit {
            parts,
            triple,
            span,
        }
    }
}
