//! `llmos fmt`: prints a syntax tree in the one canonical layout, keeping every comment.
//!
//! Layout: one statement per line; single spaces around `=`, `:`, `->`; a value that does
//! not fit in [`WIDTH`] columns, or holds a comment, is broken one element per line with
//! four-space indents and trailing commas; runs of blank lines between statements become
//! one blank line. Formatting is idempotent and never changes meaning: the output parses
//! to the same tree.

use std::fmt::Write as _;

mod flat;

use super::ast::*;
use flat::flat;
pub use flat::{plain_string_text, triple_string_text};

/// The line width the printer aims for.
pub const WIDTH: usize = 100;
const INDENT: &str = "    ";

/// Formats a parsed file. `src` is the text it was parsed from (for blank lines and
/// comment positions).
pub fn format(src: &str, file: &File) -> String {
    let mut p = Printer {
        src,
        comments: &file.comments,
        next: 0,
        out: String::new(),
    };
    let mut prev_end: Option<u32> = None;
    for item in &file.items {
        p.leading_comments(item.span.start, &mut prev_end, 0);
        p.blank_line_if(prev_end, item.span.start);
        p.item(item, 0);
        p.trailing_comment(item.span.end);
        p.out.push('\n');
        prev_end = Some(item.span.end);
    }
    p.leading_comments(u32::MAX, &mut prev_end, 0);
    p.out
}

/// Prints items that have no comments and no source text (a tree built in code): the
/// text [`format`] gives for a file of them, and where each item's text ends (at the
/// `\n` that ends its last line; the next item starts right after it).
pub fn format_items(items: &[Item]) -> (String, Vec<usize>) {
    let mut p = Printer {
        src: "",
        comments: &[],
        next: 0,
        out: String::new(),
    };
    let mut ends = Vec::with_capacity(items.len());
    for item in items {
        p.item(item, 0);
        ends.push(p.out.len());
        p.out.push('\n');
    }
    (p.out, ends)
}

struct Printer<'a> {
    src: &'a str,
    comments: &'a [Comment],
    /// The first comment not printed yet.
    next: usize,
    out: String,
}

impl Printer<'_> {
    /// Whether the source has a blank line between `from` and `to`.
    fn blank_between(&self, from: u32, to: u32) -> bool {
        self.src
            .get(from as usize..to as usize)
            .is_some_and(|gap| gap.matches('\n').count() >= 2)
    }

    fn blank_line_if(&mut self, prev_end: Option<u32>, start: u32) {
        if let Some(end) = prev_end
            && self.blank_between(end, start)
        {
            self.out.push('\n');
        }
    }

    /// Prints the own-line comments that come before `before`, each on its own line.
    fn leading_comments(&mut self, before: u32, prev_end: &mut Option<u32>, indent: usize) {
        while let Some(c) = self.comments.get(self.next) {
            if c.span.start >= before {
                break;
            }
            self.next += 1;
            // A trailing comment not attached to its line's code lands on its own line.
            self.blank_line_if(*prev_end, c.span.start);
            self.indent(indent);
            self.comment(c);
            self.out.push('\n');
            *prev_end = Some(c.span.end);
        }
    }

    /// Appends ` // ...` when a trailing comment follows `end` on the same source line.
    fn trailing_comment(&mut self, end: u32) -> bool {
        if let Some(c) = self.comments.get(self.next)
            && c.trailing
            && c.span.start >= end
            && self
                .src
                .get(end as usize..c.span.start as usize)
                .is_some_and(|gap| gap.chars().all(|ch| ch == ' ' || ch == '\t'))
        {
            self.next += 1;
            self.out.push(' ');
            self.comment(c);
            return true;
        }
        false
    }

    fn comment(&mut self, c: &Comment) {
        self.out.push_str(if c.doc { "///" } else { "//" });
        self.out.push_str(&c.text);
    }

    fn indent(&mut self, level: usize) {
        for _ in 0..level {
            self.out.push_str(INDENT);
        }
    }

    fn column(&self) -> usize {
        let line_start = self.out.rfind('\n').map_or(0, |i| i + 1);
        self.out[line_start..].chars().count()
    }

    /// Whether a comment starts inside `from..to`.
    fn has_comment_in(&self, from: u32, to: u32) -> bool {
        self.comments[self.next..]
            .iter()
            .take_while(|c| c.span.start < to)
            .any(|c| c.span.start >= from)
    }

    fn item(&mut self, item: &Item, level: usize) {
        match &item.kind {
            ItemKind::Trace(id) => {
                let _ = write!(self.out, "trace {}", id.name);
            }
            ItemKind::Goal(s) => {
                self.out.push_str("goal ");
                self.string(s);
            }
            ItemKind::Param(p) => {
                let _ = write!(self.out, "param {}: {}", p.name.name, type_text(&p.ty));
                if let Some(d) = &p.default {
                    self.out.push_str(" = ");
                    self.expr(d, level);
                }
            }
            ItemKind::Tool(t) => self.tool(t, item.span.end),
            ItemKind::Let(l) => {
                let _ = write!(self.out, "let {}", l.name.name);
                if let Some(t) = &l.ty {
                    let _ = write!(self.out, ": {}", type_text(t));
                }
                self.out.push_str(" = ");
                match &l.value {
                    LetValue::Ask(s) => {
                        self.out.push_str("ask ");
                        self.string(s);
                    }
                    LetValue::Expr(e) => self.expr(e, level),
                }
            }
            ItemKind::Expr(e) => self.expr(e, level),
            ItemKind::Return(e) => {
                self.out.push_str("return ");
                self.expr(e, level);
            }
            ItemKind::Expect(x) => {
                self.out.push_str("expect ");
                self.expr(&x.cond, level);
                if let Some(m) = &x.message {
                    self.out.push_str(", ");
                    self.string(m);
                }
            }
        }
    }

    /// A block over several lines: `{`, each statement on its own line one level in
    /// (comments and single blank lines kept), `}` at `level`.
    fn block(&mut self, b: &Block, level: usize) {
        self.out.push('{');
        self.trailing_comment(b.span.start + 1);
        let mut prev_end: Option<u32> = None;
        for item in &b.items {
            self.out.push('\n');
            self.leading_comments(item.span.start, &mut prev_end, level + 1);
            self.blank_line_if(prev_end, item.span.start);
            self.indent(level + 1);
            self.item(item, level + 1);
            self.trailing_comment(item.span.end);
            prev_end = Some(item.span.end);
        }
        self.out.push('\n');
        self.leading_comments(b.span.end.saturating_sub(1), &mut prev_end, level + 1);
        self.indent(level);
        self.out.push('}');
    }

    /// `for` and `if` that do not fit on one line.
    fn control(&mut self, e: &Expr, level: usize) {
        match &e.kind {
            ExprKind::For(f) => {
                let _ = write!(self.out, "for {} in ", f.var.name);
                self.expr(&f.list, level);
                self.out.push(' ');
                self.block(&f.body, level);
            }
            ExprKind::If(i) => {
                for (n, (cond, body)) in i.arms.iter().enumerate() {
                    self.out.push_str(if n == 0 { "if " } else { " else if " });
                    self.expr(cond, level);
                    self.out.push(' ');
                    self.block(body, level);
                }
                if let Some(b) = &i.otherwise {
                    self.out.push_str(" else ");
                    self.block(b, level);
                }
            }
            _ => {}
        }
    }

    fn tool(&mut self, t: &ToolItem, end: u32) {
        let params: Vec<String> = t
            .params
            .iter()
            .map(|p| {
                let mut s = format!("{}: {}", p.name.name, type_text(&p.ty));
                if let Some(d) = &p.default {
                    s.push_str(" = ");
                    s.push_str(&flat(d).unwrap_or_default());
                }
                s
            })
            .collect();
        let effects: Vec<&str> = t.effects.iter().map(|e| e.name.as_str()).collect();
        let tail = format!(") -> {} effects({})", type_text(&t.ret), effects.join(", "));
        let one_line = format!("tool {}({}{tail}", t.name.name, params.join(", "));
        if one_line.chars().count() <= WIDTH && !self.has_comment_in(t.name.span.end, end) {
            self.out.push_str(&one_line);
            return;
        }
        let _ = write!(self.out, "tool {}(", t.name.name);
        for (p, text) in t.params.iter().zip(&params) {
            self.out.push('\n');
            let mut prev = None;
            self.leading_comments(p.name.span.start, &mut prev, 1);
            self.indent(1);
            self.out.push_str(text);
            self.out.push(',');
            let pend = p.default.as_ref().map_or(p.ty.span.end, |d| d.span.end);
            self.trailing_after_comma(pend);
        }
        self.out.push('\n');
        let mut prev = None;
        self.leading_comments(t.ret.span.start, &mut prev, 1);
        self.out.push_str(&tail);
    }

    /// After an element and its comma: a trailing comment on the element's source line.
    fn trailing_after_comma(&mut self, elem_end: u32) {
        let comma_end = self
            .src
            .get(elem_end as usize..)
            .and_then(|rest| {
                let trimmed = rest.trim_start_matches([' ', '\t']);
                trimmed
                    .starts_with(',')
                    .then(|| elem_end as usize + (rest.len() - trimmed.len()) + 1)
            })
            .unwrap_or(elem_end as usize);
        self.trailing_comment(comma_end as u32);
    }

    fn expr(&mut self, e: &Expr, level: usize) {
        if let Some(text) = flat(e)
            && self.column() + text.chars().count() <= WIDTH
            && !self.has_comment_in(e.span.start, e.span.end)
        {
            self.out.push_str(&text);
            return;
        }
        match &e.kind {
            ExprKind::List(items) => {
                self.out.push('[');
                let spans: Vec<_> = items.iter().map(|i| (i.span, i)).collect();
                for (span, item) in spans {
                    self.open_element(span.start, level + 1);
                    self.expr(item, level + 1);
                    self.close_element(span.end);
                }
                self.close_container(e.span.end, level, ']');
            }
            ExprKind::Object(entries) => {
                self.out.push('{');
                for (k, v) in entries {
                    self.open_element(k.span.start, level + 1);
                    self.key(&k.name);
                    self.out.push_str(": ");
                    self.expr(v, level + 1);
                    self.close_element(v.span.end);
                }
                self.close_container(e.span.end, level, '}');
            }
            ExprKind::Call(c) => {
                self.out.push_str(&c.tool.name);
                self.out.push('(');
                for a in &c.args {
                    self.open_element(a.name.span.start, level + 1);
                    let _ = write!(self.out, "{}: ", a.name.name);
                    self.expr(&a.value, level + 1);
                    self.close_element(a.value.span.end);
                }
                self.close_container(e.span.end, level, ')');
            }
            ExprKind::Field(base, f) => {
                self.expr(base, level);
                let _ = write!(self.out, ".{}", f.name);
            }
            ExprKind::Index(base, i) => {
                self.expr(base, level);
                self.out.push('[');
                self.expr(i, level);
                self.out.push(']');
            }
            ExprKind::Paren(inner) => {
                self.out.push('(');
                self.expr(inner, level);
                self.out.push(')');
            }
            ExprKind::Str(s) => self.string(s),
            ExprKind::For(_) | ExprKind::If(_) => self.control(e, level),
            ExprKind::Compare(a, op, b) => {
                self.expr(a, level);
                let _ = write!(self.out, " {} ", op.as_str());
                self.expr(b, level);
            }
            ExprKind::Logic(op, items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        let _ = write!(self.out, " {} ", op.as_str());
                    }
                    self.expr(item, level);
                }
            }
            ExprKind::Not(inner) => {
                self.out.push_str("not ");
                self.expr(inner, level);
            }
            _ => self.out.push_str(&flat(e).unwrap_or_default()),
        }
    }

    fn open_element(&mut self, start: u32, level: usize) {
        self.out.push('\n');
        let mut prev = None;
        self.leading_comments(start, &mut prev, level);
        self.indent(level);
    }

    fn close_element(&mut self, end: u32) {
        self.out.push(',');
        self.trailing_after_comma(end);
    }

    fn close_container(&mut self, end: u32, level: usize, bracket: char) {
        self.out.push('\n');
        let mut prev = None;
        self.leading_comments(end, &mut prev, level + 1);
        self.indent(level);
        self.out.push(bracket);
    }

    fn key(&mut self, name: &str) {
        self.out
            .push_str(&plain_string_text(&[StrPart::Text(name.to_owned())]));
    }

    fn string(&mut self, s: &StrLit) {
        if s.triple {
            self.out.push_str(&triple_string_text(&s.parts));
        } else {
            self.out.push_str(&plain_string_text(&s.parts));
        }
    }
}

fn type_text(t: &TypeExpr) -> String {
    t.ty.as_ref()
        .map_or_else(|| "?".to_owned(), ToString::to_string)
}
