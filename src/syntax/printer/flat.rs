//! The one-line text of expressions and the text of string literals: what the printer
//! writes when a value fits on its line.

use std::fmt::Write as _;

use crate::syntax::ast::*;

/// The one-line text of an expression, or `None` when it holds a line break (a
/// multi-line triple-quoted string).
pub(super) fn flat(e: &Expr) -> Option<String> {
    let mut out = String::new();
    write_flat(&mut out, e);
    (!out.contains('\n')).then_some(out)
}

fn write_flat(out: &mut String, e: &Expr) {
    match &e.kind {
        ExprKind::Str(s) if s.triple => out.push_str(&triple_string_text(&s.parts)),
        ExprKind::Str(s) => out.push_str(&plain_string_text(&s.parts)),
        ExprKind::Int(i) => {
            let _ = write!(out, "{i}");
        }
        ExprKind::Float(f) => {
            let _ = write!(out, "{f:?}");
        }
        ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ExprKind::Null => out.push_str("null"),
        ExprKind::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_flat(out, item);
            }
            out.push(']');
        }
        ExprKind::Object(entries) => {
            if entries.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push_str("{ ");
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&plain_string_text(&[StrPart::Text(k.name.clone())]));
                out.push_str(": ");
                write_flat(out, v);
            }
            out.push_str(" }");
        }
        ExprKind::Ref(id) => out.push_str(&id.name),
        ExprKind::Field(base, f) => {
            write_flat(out, base);
            out.push('.');
            out.push_str(&f.name);
        }
        ExprKind::Index(base, i) => {
            write_flat(out, base);
            out.push('[');
            write_flat(out, i);
            out.push(']');
        }
        ExprKind::Call(c) => {
            out.push_str(&c.tool.name);
            out.push('(');
            for (i, a) in c.args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&a.name.name);
                out.push_str(": ");
                write_flat(out, &a.value);
            }
            out.push(')');
        }
        ExprKind::Paren(inner) => {
            out.push('(');
            write_flat(out, inner);
            out.push(')');
        }
        ExprKind::Compare(a, op, b) => {
            write_flat(out, a);
            out.push(' ');
            out.push_str(op.as_str());
            out.push(' ');
            write_flat(out, b);
        }
        ExprKind::Logic(op, items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                    out.push_str(op.as_str());
                    out.push(' ');
                }
                write_flat(out, item);
            }
        }
        ExprKind::Not(inner) => {
            out.push_str("not ");
            write_flat(out, inner);
        }
        ExprKind::For(f) => {
            out.push_str("for ");
            out.push_str(&f.var.name);
            out.push_str(" in ");
            write_flat(out, &f.list);
            out.push(' ');
            flat_block(out, &f.body);
        }
        ExprKind::If(i) => {
            for (n, (cond, body)) in i.arms.iter().enumerate() {
                out.push_str(if n == 0 { "if " } else { " else if " });
                write_flat(out, cond);
                out.push(' ');
                flat_block(out, body);
            }
            if let Some(b) = &i.otherwise {
                out.push_str(" else ");
                flat_block(out, b);
            }
        }
    }
}

/// `{ value }` for a block that is only its value; a line break (so the caller prints it
/// over several lines) for one with statements.
fn flat_block(out: &mut String, b: &Block) {
    match (b.items.len(), b.value()) {
        (1, Some(v)) => {
            out.push_str("{ ");
            write_flat(out, v);
            out.push_str(" }");
        }
        _ => out.push('\n'),
    }
}

fn interp_text(out: &mut String, i: &Interp) {
    out.push('{');
    out.push_str(&i.root.name);
    for a in &i.path {
        match a {
            Access::Field(f) => {
                out.push('.');
                out.push_str(&f.name);
            }
            Access::Index(n, _) => {
                let _ = write!(out, "[{n}]");
            }
        }
    }
    out.push('}');
}

/// A plain string literal, escaped.
pub fn plain_string_text(parts: &[StrPart]) -> String {
    let mut out = String::from("\"");
    for part in parts {
        match part {
            StrPart::Text(t) => {
                for c in t.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\t' => out.push_str("\\t"),
                        '\r' => out.push_str("\\r"),
                        '{' => out.push_str("{{"),
                        '}' => out.push_str("}}"),
                        c => out.push(c),
                    }
                }
            }
            StrPart::Interp(i) => interp_text(&mut out, i),
        }
    }
    out.push('"');
    out
}

/// A triple-quoted string literal: line breaks and quotes kept, only what would end the
/// literal escaped.
pub fn triple_string_text(parts: &[StrPart]) -> String {
    let mut out = String::from("\"\"\"");
    let last = parts.len().saturating_sub(1);
    for (pi, part) in parts.iter().enumerate() {
        match part {
            StrPart::Text(t) => {
                let chars: Vec<char> = t.chars().collect();
                for (ci, &c) in chars.iter().enumerate() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '{' => out.push_str("{{"),
                        '}' => out.push_str("}}"),
                        '\r' => out.push_str("\\r"),
                        '"' => {
                            let next_quote = chars.get(ci + 1) == Some(&'"');
                            let at_end = ci + 1 == chars.len() && pi == last;
                            if next_quote || at_end {
                                out.push_str("\\\"")
                            } else {
                                out.push('"')
                            }
                        }
                        c => out.push(c),
                    }
                }
            }
            StrPart::Interp(i) => interp_text(&mut out, i),
        }
    }
    out.push_str("\"\"\"");
    out
}
