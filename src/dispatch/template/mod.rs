//! Goal templates: the `goal "TEMPLATE"` of a trace (`llt.md`), parsed into literal text
//! and `{name}` placeholders, and matched against the goals people type.
//!
//! # Syntax
//! `{name}` is a placeholder (`name` is `[A-Za-z_][A-Za-z0-9_]*`); `{{` and `}}` are literal
//! braces. Two placeholders with no literal text between them (`{a}{b}`) are refused:
//! nothing in a goal could say where one ends and the other begins. A placeholder may
//! appear more than once.
//!
//! # Matching rules
//! [`GoalTemplate::match_goal`] decides whether a goal has the template's shape and binds
//! each placeholder to a piece of the goal:
//! - The goal is trimmed; so are the template's ends.
//! - Literal text compares case-insensitively (character by character, with Unicode
//!   lower-casing). Bound values keep the goal's own case.
//! - A run of white space in the template matches any run of white space in the goal. It
//!   may also match nothing when it does not separate two words: it is required only where
//!   both of its sides are word-like (a letter or digit of the literal, or a placeholder),
//!   so `"{a}, {b}"` accepts `"x,y"` and `"x , y"`, but `"summarize {input}"` never matches
//!   inside `"summarizes.csv"`. White space in the goal next to a placeholder is never part
//!   of its value (values are trimmed).
//! - The punctuation that ends a sentence is not part of the match: a run of `.`, `?`
//!   and `!` at the end of the goal (after a word; `.` and `docs/.` are paths) and at the
//!   end of the template. `count the lines in {input}` binds `notes.txt` from `count the
//!   lines in notes.txt.`, and `how many words are in {input}?` matches the goal with or
//!   without its `?`.
//! - A value is never empty or white space only. A value written in matching quotes
//!   (`"my file.txt"`, `'x'`, `` `x` ``, `“x”`, `‘x’`) with no closing quote inside is one
//!   quoted value, bound without them, its inside kept exactly; `"a" or "b"` is not one
//!   quoted value but the text `"a" or "b"`.
//! - A learned program's params also have shapes ([`crate::dispatch::shape`]): a value
//!   that does not have its param's shape is refused like one of the wrong type, and the
//!   matcher tries the next split.
//! - Values are otherwise verbatim slices of the goal: inner white space is not collapsed.
//! - When several splits fit, the one where earlier placeholders are shortest wins, except
//!   that a value opening with a quote first tries to end at its closing quote (so
//!   `summarize "a into b.csv" into r.md` binds `a into b.csv`).
//! - A repeated placeholder must bind the same text (after trimming and quote stripping)
//!   at every occurrence.
//!
//! The search is a backtracking matcher with a table of failed states, so its work is
//! bounded by (template segments x goal length x goal length); a pathological goal that
//! exceeds [`MATCH_STEP_LIMIT`] steps simply does not match.

mod bind;
mod matcher;

use std::fmt;
use std::ops::Range;

use indexmap::IndexMap;

use super::shape::Bound;
use matcher::{Unit, compile_literal};

pub use bind::{BindError, BindReport, ParamSpec, ValueCheck};

/// The most placeholder occurrences a template may have (the matcher recurses once per
/// segment).
pub const MAX_PLACEHOLDERS: usize = 64;

/// The most search steps one match may take before it gives up (no match). Ordinary goals
/// take a few hundred.
pub const MATCH_STEP_LIMIT: usize = 1_000_000;

/// A parsed goal template.
#[derive(Clone, Debug)]
pub struct GoalTemplate {
    source: String,
    segments: Vec<Segment>,
    /// Literal units per segment (empty for placeholders), compiled once for matching.
    units: Vec<Vec<Unit>>,
    /// Placeholder names, distinct, in order of first occurrence.
    names: Vec<String>,
    /// For a placeholder segment, the index of its name in `names`.
    slots: Vec<usize>,
    /// `depends[i]`: a placeholder at or after segment `i` was already bound before `i`,
    /// so a failure at segment `i` depends on earlier bindings and cannot be memoized.
    depends: Vec<bool>,
}

/// One piece of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// Literal text, braces already unescaped.
    Literal(String),
    /// `{name}`, with its byte range in the template text (braces included).
    Placeholder { name: String, span: Range<usize> },
}

/// Why a template text is not a valid template. Offsets are byte offsets into the text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("the goal template is empty")]
    Empty,
    #[error("the goal template has {count} placeholders; at most {MAX_PLACEHOLDERS} are allowed")]
    TooManyPlaceholders { count: usize },
    #[error("unclosed `{{` at offset {offset}; write `{{{{` for a literal brace")]
    Unclosed { offset: usize },
    #[error("unmatched `}}` at offset {offset}; write `}}}}` for a literal brace")]
    UnmatchedClose { offset: usize },
    #[error("empty placeholder `{{}}` at offset {offset}")]
    EmptyPlaceholder { offset: usize },
    #[error(
        "invalid placeholder `{{{name}}}` at offset {offset}: a goal placeholder is a parameter name ([A-Za-z_][A-Za-z0-9_]*)"
    )]
    InvalidName { name: String, offset: usize },
    #[error(
        "placeholders `{{{first}}}` and `{{{second}}}` are adjacent at offset {offset}: with no text between them a goal cannot be split; put a word or punctuation between them"
    )]
    Adjacent {
        first: String,
        second: String,
        offset: usize,
    },
}

impl TemplateError {
    /// The byte offset in the template text where the problem is (0 for an empty template).
    pub fn offset(&self) -> usize {
        match self {
            TemplateError::Empty | TemplateError::TooManyPlaceholders { .. } => 0,
            TemplateError::Unclosed { offset }
            | TemplateError::UnmatchedClose { offset }
            | TemplateError::EmptyPlaceholder { offset }
            | TemplateError::InvalidName { offset, .. }
            | TemplateError::Adjacent { offset, .. } => *offset,
        }
    }
}

impl GoalTemplate {
    /// Parses a template text (the unescaped content of a `goal "..."` string).
    pub fn parse(text: &str) -> Result<GoalTemplate, TemplateError> {
        let segments = parse_segments(text)?;
        let all_blank = segments
            .iter()
            .all(|s| matches!(s, Segment::Literal(t) if t.trim().is_empty()));
        if all_blank {
            return Err(TemplateError::Empty);
        }
        let count = segments
            .iter()
            .filter(|s| matches!(s, Segment::Placeholder { .. }))
            .count();
        if count > MAX_PLACEHOLDERS {
            return Err(TemplateError::TooManyPlaceholders { count });
        }
        Ok(GoalTemplate::from_segments(text.to_owned(), segments))
    }

    fn from_segments(source: String, segments: Vec<Segment>) -> GoalTemplate {
        let n = segments.len();
        let mut names: Vec<String> = Vec::new();
        let mut slots = Vec::with_capacity(n);
        let mut first_seen = Vec::new(); // first segment index per slot
        let mut units = Vec::with_capacity(n);
        for (i, seg) in segments.iter().enumerate() {
            match seg {
                Segment::Literal(text) => {
                    // The punctuation that ends the sentence is optional (see the module
                    // doc): a goal may leave it out or end with its own.
                    let text = match i + 1 == n {
                        true => text.trim_end().trim_end_matches(['.', '?', '!']),
                        false => text,
                    };
                    units.push(compile_literal(text, i > 0, i + 1 < n));
                    slots.push(0);
                }
                Segment::Placeholder { name, .. } => {
                    units.push(Vec::new());
                    let slot = match names.iter().position(|x| x == name) {
                        Some(s) => s,
                        None => {
                            names.push(name.clone());
                            first_seen.push(i);
                            names.len() - 1
                        }
                    };
                    slots.push(slot);
                }
            }
        }
        let depends = (0..n)
            .map(|i| {
                segments.iter().enumerate().skip(i).any(|(j, s)| {
                    matches!(s, Segment::Placeholder { .. })
                        && slots
                            .get(j)
                            .and_then(|&s| first_seen.get(s))
                            .is_some_and(|&f| f < i)
                })
            })
            .collect();
        GoalTemplate {
            source,
            segments,
            units,
            names,
            slots,
            depends,
        }
    }

    /// The template text as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The literal and placeholder pieces, in order.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Placeholder names, each once, in order of first occurrence.
    pub fn placeholders(&self) -> Vec<&str> {
        self.names.iter().map(String::as_str).collect()
    }

    /// Every placeholder occurrence with its byte range in the template text (for
    /// diagnostics such as "goal placeholder that is not a param").
    pub fn placeholder_spans(&self) -> impl Iterator<Item = (&str, Range<usize>)> + '_ {
        self.segments.iter().filter_map(|s| match s {
            Segment::Placeholder { name, span } => Some((name.as_str(), span.clone())),
            Segment::Literal(_) => None,
        })
    }

    /// How much literal text the template pins down: its literal characters, white space
    /// not counted. Among several matching templates the most specific is preferred.
    pub fn specificity(&self) -> usize {
        self.units
            .iter()
            .flatten()
            .filter(|u| matches!(u, Unit::Char(_)))
            .count()
    }

    /// The whole words of the literal text, lower-cased, sorted, each once. A word glued to
    /// a placeholder (`s` in `{name}s`) is not whole and is left out. Every goal that
    /// matches the template contains each of these words as a whole word (see
    /// [`goal_words`]), which is what [`super::TemplateIndex`] relies on.
    pub fn literal_words(&self) -> Vec<String> {
        let n = self.segments.len();
        let mut words = Vec::new();
        for (i, seg) in self.segments.iter().enumerate() {
            let Segment::Literal(text) = seg else {
                continue;
            };
            let after_placeholder = i > 0;
            let before_placeholder = i + 1 < n;
            for (range, word) in word_runs(text) {
                let glued_left = range.start == 0 && after_placeholder;
                let glued_right = range.end == text.len() && before_placeholder;
                if !glued_left && !glued_right {
                    words.push(lowercase(word));
                }
            }
        }
        words.sort();
        words.dedup();
        words
    }

    /// The template with each placeholder replaced by its binding; a placeholder without a
    /// binding stays as `{name}`. Values are inserted verbatim (no quoting).
    pub fn render(&self, bindings: &IndexMap<String, String>) -> String {
        let mut out = String::with_capacity(self.source.len());
        for seg in &self.segments {
            match seg {
                Segment::Literal(text) => out.push_str(text),
                Segment::Placeholder { name, .. } => match bindings.get(name) {
                    Some(v) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                },
            }
        }
        out
    }

    /// Matches a goal (see the module doc for the rules) and binds every placeholder, in
    /// order of first occurrence. `None` when the goal does not have the template's shape.
    pub fn match_goal(&self, goal: &str) -> Option<IndexMap<String, String>> {
        let slots = self.search(goal, &mut |_, _| true)?;
        Some(
            self.names
                .iter()
                .cloned()
                .zip(slots.into_iter().map(|b| b.text.to_owned()))
                .collect(),
        )
    }

    /// Runs the matcher; `accept(slot, value)` may refuse a value (typed and shaped
    /// binding). Returns the bound value per slot.
    fn search<'g>(
        &self,
        goal: &'g str,
        accept: &mut dyn FnMut(usize, Bound<'g>) -> bool,
    ) -> Option<Vec<Bound<'g>>> {
        matcher::search(self, goal, accept)
    }
}

impl PartialEq for GoalTemplate {
    fn eq(&self, other: &Self) -> bool {
        self.segments == other.segments
    }
}

impl Eq for GoalTemplate {}

impl fmt::Display for GoalTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl std::str::FromStr for GoalTemplate {
    type Err = TemplateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GoalTemplate::parse(s)
    }
}

/// The key of exact-goal lookups: trimmed, white space runs collapsed to one space,
/// lower-cased. Two goals that differ only in spacing or case are the same goal.
pub fn normalize_goal(goal: &str) -> String {
    let mut out = String::with_capacity(goal.len());
    for word in goal.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

/// Whether a goal is the stored goal of a program that serves its exact goal only: equal
/// up to white space, the punctuation that ends the sentence, and the case of a word's
/// first letter (`Count the lines` is `count the lines`, but `ERROR` is not `error` and
/// `TimeOut` not `timeout`: every word of such a goal may be a value the program uses as
/// it was written).
pub fn same_goal(a: &str, b: &str) -> bool {
    let collapse = |s: &str| {
        matcher::goal_body(s)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (a, b) = (collapse(a), collapse(b));
    let mut prev: Option<char> = None;
    let mut bs = b.chars();
    for x in a.chars() {
        let Some(y) = bs.next() else {
            return false;
        };
        let word_start = prev.is_none_or(|p| !p.is_alphanumeric());
        if x != y && !(word_start && x.to_lowercase().eq(y.to_lowercase())) {
            return false;
        }
        prev = Some(x);
    }
    bs.next().is_none()
}

/// The whole words of a goal (maximal runs of letters and digits), lower-cased, each once,
/// sorted: the other side of [`GoalTemplate::literal_words`].
pub fn goal_words(goal: &str) -> Vec<String> {
    let mut words: Vec<String> = word_runs(goal).map(|(_, w)| lowercase(w)).collect();
    words.sort();
    words.dedup();
    words
}

/// Character-wise Unicode lower-casing (the same mapping the matcher compares with).
pub(crate) fn lowercase(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// Maximal runs of alphanumeric characters, with their byte ranges.
fn word_runs(text: &str) -> impl Iterator<Item = (Range<usize>, &str)> {
    let mut start: Option<usize> = None;
    let mut out = Vec::new();
    for (i, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s..i, &text[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s..text.len(), &text[s..]));
    }
    out.into_iter()
}

fn parse_segments(text: &str) -> Result<Vec<Segment>, TemplateError> {
    let mut segments = Vec::new();
    let mut lit = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.peek().is_some_and(|&(_, d)| d == '{') => {
                chars.next();
                lit.push('{');
            }
            '}' if chars.peek().is_some_and(|&(_, d)| d == '}') => {
                chars.next();
                lit.push('}');
            }
            '}' => return Err(TemplateError::UnmatchedClose { offset: i }),
            '{' => {
                let mut name = String::new();
                let mut end = None;
                for (j, d) in chars.by_ref() {
                    match d {
                        '}' => {
                            end = Some(j + 1);
                            break;
                        }
                        '{' => break,
                        d => name.push(d),
                    }
                }
                let Some(end) = end else {
                    return Err(TemplateError::Unclosed { offset: i });
                };
                if name.is_empty() {
                    return Err(TemplateError::EmptyPlaceholder { offset: i });
                }
                if !is_param_name(&name) {
                    return Err(TemplateError::InvalidName { name, offset: i });
                }
                if !lit.is_empty() {
                    segments.push(Segment::Literal(std::mem::take(&mut lit)));
                } else if let Some(Segment::Placeholder { name: first, .. }) = segments.last() {
                    return Err(TemplateError::Adjacent {
                        first: first.clone(),
                        second: name,
                        offset: i,
                    });
                }
                segments.push(Segment::Placeholder { name, span: i..end });
            }
            c => lit.push(c),
        }
    }
    if !lit.is_empty() {
        segments.push(Segment::Literal(lit));
    }
    Ok(segments)
}

fn is_param_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
