//! A fast reader for the plain YAML that recordings are written in (block mappings and
//! sequences, one-line flow collections, one-line scalars), giving the same [`RawDoc`] as
//! serde-saphyr without locations.
//!
//! It reads only a subset it is sure about and answers [`Outside`] for anything else:
//! comments, anchors, aliases, tags, directives, document markers, block scalars (`|`,
//! `>`), scalars or flow collections over several lines, tabs, control characters,
//! escapes other than `\\ \" \/ \n \t \r \uXXXX`, duplicate keys, keys that are not plain
//! strings, and plain scalars whose type it cannot tell for certain (`0x1F`, `1e3`,
//! `+1`, `.5`, `0755`, ...). The caller then reads the text with serde-saphyr, which gives
//! the same value or the error with its location. Its bounds stay under serde-saphyr's
//! budget (nodes, events, depth, key length), so a text it reads is one the budget accepts.
//! `fast/tests.rs` checks it against serde-saphyr on every recording in the repository and
//! on generated ones.

use serde_saphyr::{Location, Spanned};

use super::raw::{RawDoc, RawEntry};
use crate::value::Value;

mod scalar;
mod steps;

use scalar::plain_value;

/// The text is not in the subset this reader is sure about.
#[derive(Debug)]
pub(super) struct Outside;

type Fast<T> = Result<T, Outside>;

/// Nodes (scalars, keys included, and collections): serde-saphyr's budget allows 4,000,000
/// nodes and 8,000,000 events (at most two per node, plus four).
const MAX_NODES: usize = 3_900_000;
/// Collection nesting: the budget allows 128.
const MAX_DEPTH: usize = 64;
/// Bytes of an implicit key: the scanner looks at most 1,024 characters ahead for its `:`.
const MAX_KEY: usize = 512;

/// Reads a recording in the plain subset, or says it is outside it.
pub(super) fn read(text: &str) -> Fast<Spanned<RawDoc>> {
    plain_chars(text)?;
    let mut r = Reader {
        s: text.as_bytes(),
        pos: 0,
        line_start: 0,
        nodes: 0,
        depth: 0,
    };
    if r.content_indent()? != Some(0) {
        return Err(Outside);
    }
    let mut entries: Vec<(String, RawEntry)> = Vec::new();
    r.block_map(0, |r, key, n| {
        let entry = if key == "steps" {
            RawEntry::Steps(spanned(r.steps(n)?))
        } else {
            RawEntry::Other(spanned(r.block_value(n)?))
        };
        push_new(&mut entries, key, entry)
    })?;
    if r.content_indent()?.is_some() {
        return Err(Outside);
    }
    Ok(spanned(RawDoc { entries }))
}

pub(super) fn spanned<T>(value: T) -> Spanned<T> {
    Spanned::new(value, Location::UNKNOWN, Location::UNKNOWN)
}

/// A key met for the first time (`previous`: what inserting it replaced).
pub(super) fn first<T>(previous: Option<T>) -> Fast<()> {
    match previous {
        Some(_) => Err(Outside),
        None => Ok(()),
    }
}

/// Adds an entry under a key met for the first time.
pub(super) fn push_new<E>(entries: &mut Vec<(String, E)>, key: String, entry: E) -> Fast<()> {
    if entries.iter().any(|(k, _)| *k == key) {
        return Err(Outside);
    }
    entries.push((key, entry));
    Ok(())
}

/// Every character is one YAML reads as itself: printable, no tab, no carriage return,
/// no byte order mark, no line or paragraph separator.
fn plain_chars(text: &str) -> Fast<()> {
    if text
        .bytes()
        .all(|b| b == b'\n' || (b' '..=b'~').contains(&b))
    {
        return Ok(());
    }
    let ok = |c: char| match c {
        '\n' | ' '..='~' => true,
        '\u{2028}' | '\u{2029}' | '\u{feff}' => false,
        _ => {
            ('\u{a0}'..='\u{d7ff}').contains(&c)
                || ('\u{e000}'..='\u{fffd}').contains(&c)
                || c >= '\u{10000}'
        }
    };
    match text.chars().all(ok) {
        true => Ok(()),
        false => Err(Outside),
    }
}

#[derive(Clone)]
struct Reader<'a> {
    s: &'a [u8],
    pos: usize,
    line_start: usize,
    nodes: usize,
    depth: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.s.get(self.pos + offset).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    fn at_eol(&self) -> bool {
        matches!(self.peek(), None | Some(b'\n'))
    }

    fn slice(&self, from: usize, to: usize) -> Fast<&'a str> {
        std::str::from_utf8(&self.s[from..to]).map_err(|_| Outside)
    }

    fn node(&mut self) -> Fast<()> {
        self.nodes += 1;
        match self.nodes <= MAX_NODES {
            true => Ok(()),
            false => Err(Outside),
        }
    }

    fn enter(&mut self) -> Fast<()> {
        self.depth += 1;
        self.node()?;
        match self.depth <= MAX_DEPTH {
            true => Ok(()),
            false => Err(Outside),
        }
    }

    /// Ends the current line: only spaces may be left on it.
    fn end_line(&mut self) -> Fast<()> {
        self.skip_spaces();
        match self.peek() {
            None => Ok(()),
            Some(b'\n') => {
                self.pos += 1;
                self.line_start = self.pos;
                Ok(())
            }
            Some(_) => Err(Outside),
        }
    }

    /// Skips blank lines; the indent of the next line with content (left unconsumed), or
    /// `None` at the end of the text.
    fn content_indent(&mut self) -> Fast<Option<usize>> {
        loop {
            let start = self.pos;
            self.skip_spaces();
            let indent = self.pos - start;
            match self.peek() {
                None => return Ok(None),
                Some(b'\n') => {
                    self.pos += 1;
                    self.line_start = self.pos;
                }
                Some(_) => {
                    let line = &self.s[self.pos..];
                    if indent == 0 && (line.starts_with(b"---") || line.starts_with(b"...")) {
                        return Err(Outside);
                    }
                    self.pos = start;
                    return Ok(Some(indent));
                }
            }
        }
    }

    /// Whether a sequence entry (`- `) starts here.
    fn at_dash(&self) -> bool {
        self.peek() == Some(b'-') && self.peek_at(1) == Some(b' ')
    }

    /// A block mapping whose first key is here, at column `n`; `entry` reads each value.
    fn block_map(
        &mut self,
        n: usize,
        mut entry: impl FnMut(&mut Self, String, usize) -> Fast<()>,
    ) -> Fast<()> {
        self.enter()?;
        loop {
            let key = self.key(false)?;
            entry(self, key, n)?;
            match self.content_indent()? {
                Some(i) if i == n => self.pos += i,
                Some(i) if i < n => break,
                None => break,
                Some(_) => return Err(Outside),
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// A block sequence whose first `- ` is here, at column `n`; `item` reads each entry
    /// (at the column of its content).
    fn block_seq(
        &mut self,
        n: usize,
        mut item: impl FnMut(&mut Self, usize) -> Fast<()>,
    ) -> Fast<()> {
        self.enter()?;
        loop {
            if !self.at_dash() {
                return Err(Outside);
            }
            self.pos += 1;
            self.skip_spaces();
            if self.at_eol() || self.at_dash() {
                return Err(Outside);
            }
            item(self, self.pos - self.line_start)?;
            match self.content_indent()? {
                Some(i) if i == n && self.s.get(self.pos + i) == Some(&b'-') => self.pos += i,
                Some(i) if i <= n => break,
                None => break,
                Some(_) => return Err(Outside),
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// The value after `key:` in a block mapping at column `n`, through the end of its
    /// last line.
    fn block_value(&mut self, n: usize) -> Fast<Value> {
        self.skip_spaces();
        if !self.at_eol() {
            let v = self.inline()?;
            return self.after_inline(n).map(|()| v);
        }
        self.end_line()?;
        match self.nested_indent(n)? {
            Some(i) => self.block_node(i),
            None => {
                self.node()?;
                Ok(Value::Null)
            }
        }
    }

    /// At the start of the line after `key:` (with nothing after it) in a block mapping at
    /// column `n`: the column of the block collection that is its value, moving to it, or
    /// `None` when the value is empty.
    fn nested_indent(&mut self, n: usize) -> Fast<Option<usize>> {
        match self.content_indent()? {
            Some(i) if i > n || (i == n && self.s[self.pos + i..].starts_with(b"- ")) => {
                self.pos += i;
                Ok(Some(i))
            }
            _ => Ok(None),
        }
    }

    /// After a value on one line: the line ends, and no line more indented than `n`
    /// continues it.
    fn after_inline(&mut self, n: usize) -> Fast<()> {
        self.end_line()?;
        match self.content_indent()? {
            Some(i) if i > n => Err(Outside),
            _ => Ok(()),
        }
    }

    /// A block collection starting here, at column `n`.
    fn block_node(&mut self, n: usize) -> Fast<Value> {
        if self.at_dash() {
            let mut items = Vec::new();
            self.block_seq(n, |r, col| {
                items.push(r.seq_item(n, col)?);
                Ok(())
            })?;
            return Ok(Value::Array(items));
        }
        let mut map = serde_json::Map::new();
        self.block_map(n, |r, key, n| {
            let v = r.block_value(n)?;
            first(map.insert(key, v))
        })?;
        Ok(Value::Object(map))
    }

    /// The content of an entry of the block sequence at column `n`, at column `col`: a
    /// compact block mapping (`- key: value`) or a value on one line.
    fn seq_item(&mut self, n: usize, col: usize) -> Fast<Value> {
        if !matches!(self.peek(), Some(b'{' | b'[')) && self.key_ahead() {
            return self.block_node(col);
        }
        let v = self.inline()?;
        self.after_inline(n)?;
        Ok(v)
    }

    /// Whether the line from here is `key:` followed by a space or its end.
    fn key_ahead(&self) -> bool {
        self.clone().key(false).is_ok()
    }

    /// A key and its `:`, which a space follows (or in a block mapping, the line's end).
    fn key(&mut self, flow: bool) -> Fast<String> {
        let start = self.pos;
        let key = match self.peek() {
            Some(b'"' | b'\'') => {
                let k = self.quoted()?;
                if self.peek() != Some(b':') {
                    return Err(Outside);
                }
                k
            }
            _ => {
                let (from, to) = self.plain_span(flow)?;
                if self.peek() != Some(b':') {
                    return Err(Outside);
                }
                match plain_value(self.slice(from, to)?)? {
                    Value::String(k) => k,
                    _ => return Err(Outside),
                }
            }
        };
        self.pos += 1;
        let separated = self.peek() == Some(b' ') || !flow && self.at_eol();
        if self.pos - start > MAX_KEY || !separated {
            return Err(Outside);
        }
        self.node()?;
        Ok(key)
    }

    /// A value on the current line: a flow collection or a scalar.
    fn inline(&mut self) -> Fast<Value> {
        self.value(false)
    }

    fn value(&mut self, flow: bool) -> Fast<Value> {
        match self.peek() {
            Some(b'{') => self.flow_map(),
            Some(b'[') => self.flow_seq(),
            Some(b'"' | b'\'') => {
                let s = self.quoted()?;
                self.node()?;
                Ok(Value::String(s))
            }
            _ => {
                let (from, to) = self.plain_span(flow)?;
                if self.peek() == Some(b':') {
                    return Err(Outside);
                }
                let v = plain_value(self.slice(from, to)?)?;
                self.node()?;
                Ok(v)
            }
        }
    }

    /// A plain scalar from here: its span (trailing spaces cut). It stops at the line's
    /// end, at `: ` (or `:` at the end of a line), and in flow at `,`, `}` or `]`, where
    /// it leaves the position.
    fn plain_span(&mut self, flow: bool) -> Fast<(usize, usize)> {
        let start = self.pos;
        let next = self.peek_at(1);
        let next_is_blank = matches!(next, None | Some(b' ' | b'\n'))
            || flow && matches!(next, Some(b',' | b'[' | b']' | b'{' | b'}'));
        match self.peek().ok_or(Outside)? {
            b'-' if next_is_blank => return Err(Outside),
            b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|'
            | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`' | b' ' | b'\n' => return Err(Outside),
            _ => {}
        }
        let mut end = start;
        loop {
            match self.peek() {
                None | Some(b'\n') => break,
                Some(b'#') => return Err(Outside),
                Some(b':') if matches!(self.peek_at(1), None | Some(b' ' | b'\n')) => break,
                Some(b':') if flow => return Err(Outside),
                Some(b',' | b']' | b'}') if flow => break,
                Some(b'[' | b'{') if flow => return Err(Outside),
                Some(b' ') => {}
                Some(_) => end = self.pos + 1,
            }
            self.pos += 1;
        }
        if self.peek() == Some(b':') && self.pos != end {
            // `key :`, a space before the colon.
            return Err(Outside);
        }
        Ok((start, end))
    }

    /// `{key: value, ...}` on one line.
    fn flow_map(&mut self) -> Fast<Value> {
        let mut map = serde_json::Map::new();
        self.flow_entries(|r, key| {
            let v = r.value(true)?;
            first(map.insert(key, v))
        })?;
        Ok(Value::Object(map))
    }

    /// The entries of a flow mapping, `{` to `}`; `entry` reads each value.
    fn flow_entries(&mut self, mut entry: impl FnMut(&mut Self, String) -> Fast<()>) -> Fast<()> {
        self.enter()?;
        self.pos += 1;
        self.skip_spaces();
        if self.peek() != Some(b'}') {
            loop {
                let key = self.key(true)?;
                self.skip_spaces();
                if matches!(self.peek(), None | Some(b',' | b'}' | b'\n')) {
                    return Err(Outside);
                }
                entry(self, key)?;
                if self.flow_next(b'}')? {
                    break;
                }
            }
        }
        self.pos += 1;
        self.depth -= 1;
        Ok(())
    }

    /// After a flow entry: `,` and the next entry (false), or the closing `close` (true).
    fn flow_next(&mut self, close: u8) -> Fast<bool> {
        self.skip_spaces();
        match self.peek() {
            Some(b) if b == close => Ok(true),
            Some(b',') => {
                self.pos += 1;
                self.skip_spaces();
                match matches!(self.peek(), None | Some(b',' | b'}' | b']' | b'\n')) {
                    true => Err(Outside),
                    false => Ok(false),
                }
            }
            _ => Err(Outside),
        }
    }

    /// `[value, ...]` on one line.
    fn flow_seq(&mut self) -> Fast<Value> {
        self.enter()?;
        self.pos += 1;
        self.skip_spaces();
        let mut items = Vec::new();
        if self.peek() != Some(b']') {
            loop {
                items.push(self.value(true)?);
                if self.flow_next(b']')? {
                    break;
                }
            }
        }
        self.pos += 1;
        self.depth -= 1;
        Ok(Value::Array(items))
    }
}

#[cfg(test)]
mod tests;
