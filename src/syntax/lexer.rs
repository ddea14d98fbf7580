//! Cuts a source text into statements and comments before anything is parsed.
//!
//! A statement ends at the end of its line unless a bracket or a triple-quoted string is
//! still open. Cutting first lets every statement be parsed on its own, so one syntax
//! error does not hide the next, and lets bracket nesting be bounded before a recursive
//! parser ever sees it.

use super::ast::Comment;
use crate::diag::{Diagnostic, Span};

/// Deepest bracket nesting accepted. Deeper input is reported, not parsed, so no input
/// can exhaust the stack of the parser, checker or printer.
pub const MAX_NESTING: usize = 64;

/// What the lexer found.
#[derive(Debug, Default)]
pub struct Cut {
    /// Statement spans in source order (trailing white space and comments excluded).
    pub statements: Vec<Span>,
    pub comments: Vec<Comment>,
    pub diagnostics: Vec<Diagnostic>,
    /// Statements too deeply nested to parse (already reported).
    pub skipped: Vec<Span>,
}

/// Words that start a statement; seen at the start of a line inside an unclosed bracket,
/// they end the broken statement so that the rest of the file is still checked. Inside a
/// block (`for`/`if` braces) the block's own statement words (`let`, `expect`) do not.
const STATEMENT_WORDS: &[&str] = &["let", "param", "return", "trace", "goal", "tool", "expect"];
const BLOCK_WORDS: &[&str] = &["let", "expect"];

/// Words after which a `{` opens an object, not a block: they expect an expression.
const EXPR_WORDS: &[&str] = &[
    "return", "and", "or", "not", "in", "if", "expect", "let", "for",
];

pub fn cut(src: &str) -> Cut {
    let b = src.as_bytes();
    let mut out = Cut::default();
    let mut i = 0;
    // The open brackets, innermost last: `true` for a block's `{`.
    let mut open: Vec<bool> = Vec::new();
    let mut too_deep = false;
    let mut start: Option<usize> = None; // start of the current statement
    let mut last_code = 0usize; // end of the last code byte of the current statement
    let mut line_has_code = false;

    let finish = |out: &mut Cut, start: &mut Option<usize>, end: usize, too_deep: &mut bool| {
        if let Some(s) = start.take() {
            let span = Span::new(s, end);
            if *too_deep {
                out.skipped.push(span);
            } else {
                out.statements.push(span);
            }
        }
        *too_deep = false;
    };

    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                line_has_code = false;
                if open.is_empty() {
                    finish(&mut out, &mut start, last_code, &mut too_deep);
                } else if starts_statement(src, i + 1, open.last() == Some(&true)) {
                    // An unclosed bracket: end the broken statement here.
                    finish(&mut out, &mut start, last_code, &mut too_deep);
                    open.clear();
                }
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = memchr_newline(b, i);
                let doc = b.get(i + 2) == Some(&b'/') && b.get(i + 3) != Some(&b'/');
                let text_start = if doc { i + 3 } else { i + 2 };
                let text = src[text_start..end].trim_end_matches('\r').to_owned();
                out.comments.push(Comment {
                    span: Span::new(i, end),
                    text,
                    doc,
                    trailing: line_has_code,
                });
                i = end;
            }
            _ => {
                if start.is_none() {
                    start = Some(i);
                }
                line_has_code = true;
                match c {
                    b'"' if b.get(i + 1) == Some(&b'"') && b.get(i + 2) == Some(&b'"') => {
                        i = skip_triple(b, i + 3);
                    }
                    b'"' => i = skip_plain(b, i + 1),
                    b'(' | b'[' | b'{' => {
                        open.push(c == b'{' && opens_block(src, i));
                        if open.len() > MAX_NESTING && !too_deep {
                            too_deep = true;
                            out.diagnostics.push(
                                Diagnostic::error(
                                    "nesting-too-deep",
                                    Span::new(i, i + 1),
                                    format!("brackets nested more than {MAX_NESTING} deep"),
                                )
                                .label("too deep here")
                                .help("split the value into several `let` steps"),
                            );
                        }
                        i += 1;
                    }
                    b')' | b']' | b'}' => {
                        open.pop();
                        i += 1;
                    }
                    _ => i += utf8_len(c),
                }
                last_code = i.min(b.len());
            }
        }
    }
    finish(&mut out, &mut start, last_code, &mut too_deep);
    out
}

/// The offset of the innermost bracket left open in `text`, strings and comments skipped.
pub fn unclosed_bracket(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let mut open: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => i = memchr_newline(b, i),
            b'"' if b.get(i + 1) == Some(&b'"') && b.get(i + 2) == Some(&b'"') => {
                i = skip_triple(b, i + 3)
            }
            b'"' => i = skip_plain(b, i + 1),
            b'(' | b'[' | b'{' => {
                open.push(i);
                i += 1;
            }
            b')' | b']' | b'}' => {
                open.pop();
                i += 1;
            }
            _ => i += 1,
        }
    }
    open.pop()
}

fn memchr_newline(b: &[u8], from: usize) -> usize {
    b[from..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| from + p)
}

/// Skips a plain string body; it ends at the closing quote or, unterminated, before the
/// line end.
fn skip_plain(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' if b.get(i + 1).is_some_and(|&n| n != b'\n') => i += 2,
            b'"' => return i + 1,
            b'\n' => return i,
            _ => i += 1,
        }
    }
    b.len()
}

fn skip_triple(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' if b.get(i + 1) == Some(&b'"') && b.get(i + 2) == Some(&b'"') => return i + 3,
            _ => i += 1,
        }
    }
    b.len()
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}

/// Whether the line from `from` starts with a statement word that ends a broken
/// statement (inside a block, `let` and `expect` belong to the block).
fn starts_statement(src: &str, from: usize, in_block: bool) -> bool {
    let rest = src[from..].trim_start_matches([' ', '\t']);
    STATEMENT_WORDS.iter().any(|w| {
        rest.strip_prefix(w)
            .is_some_and(|after| after.starts_with([' ', '\t']))
            && !(in_block && BLOCK_WORDS.contains(w))
    })
}

/// Whether the `{` at `at` opens a block (`for ... {`, `if ... {`, `else {`) rather than
/// an object: it follows the end of an expression on the same line (a name, a number, a
/// closing bracket or quote) or `else`, not a word that wants an expression (`in`, ...).
pub fn opens_block(src: &str, at: usize) -> bool {
    let before = src[..at].trim_end_matches([' ', '\t']);
    let Some(last) = before.chars().next_back() else {
        return false;
    };
    if matches!(last, ')' | ']' | '}' | '"') {
        return true;
    }
    if !(last.is_ascii_alphanumeric() || last == '_') {
        return false;
    }
    let head = before.trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_');
    !EXPR_WORDS.contains(&&before[head.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<&str> {
        cut(src)
            .statements
            .iter()
            .map(|s| &src[s.range()])
            .collect()
    }

    #[test]
    fn statements_end_at_line_ends_outside_brackets() {
        let src = "trace t\nlet x = f.g(\n  a: 1, // note\n)\n\n// own line\nreturn x // done\n";
        assert_eq!(
            texts(src),
            ["trace t", "let x = f.g(\n  a: 1, // note\n)", "return x"]
        );
        let c = cut(src);
        assert_eq!(c.comments.len(), 3);
        assert!(c.comments[0].trailing && !c.comments[1].trailing && c.comments[2].trailing);
    }

    #[test]
    fn strings_hide_brackets_and_comments() {
        let src = "let a = \"( // {\"\nlet b = \"\"\"x\n)\"\"\"\n";
        assert_eq!(
            texts(src),
            ["let a = \"( // {\"", "let b = \"\"\"x\n)\"\"\""]
        );
        assert!(cut(src).comments.is_empty());
    }

    #[test]
    fn unclosed_bracket_stops_at_next_statement_word() {
        let src = "let a = f.g(x: 1\nlet b = 2\n";
        assert_eq!(texts(src), ["let a = f.g(x: 1", "let b = 2"]);
    }

    #[test]
    fn blocks_keep_their_statement_words() {
        let src =
            "let a = for x in xs {\n  let t = 1\n  expect t > 0\n  t\n}\nlet b = [\nlet c = 2\n";
        assert_eq!(
            texts(src),
            [
                "let a = for x in xs {\n  let t = 1\n  expect t > 0\n  t\n}",
                "let b = [",
                "let c = 2"
            ]
        );
        assert!(opens_block("if a == {} {", 11));
        assert!(opens_block("} else {", 7));
        assert!(!opens_block("let o = {", 8));
        assert!(!opens_block("return {", 7));
        assert!(!opens_block("for x in {", 9));
        assert!(opens_block("é𐮚x {", 8));
    }

    #[test]
    fn deep_nesting_is_reported_not_parsed() {
        let src = format!("let a = {}", "[".repeat(100_000));
        let c = cut(&src);
        assert_eq!(c.diagnostics.len(), 1);
        assert!(c.statements.is_empty());
        assert_eq!(c.skipped.len(), 1);
    }
}
