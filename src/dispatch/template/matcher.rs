//! The goal matcher behind [`GoalTemplate::match_goal`](super::GoalTemplate::match_goal):
//! literals compiled into units, and a backtracking search over placeholder ends with a
//! table of failed states. The rules it implements are in the doc of [`super`].

use std::collections::HashSet;

use super::{GoalTemplate, MATCH_STEP_LIMIT, Segment};
use crate::dispatch::shape::Bound;

/// One step of a compiled literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Unit {
    /// A character, compared case-insensitively.
    Char(char),
    /// A run of white space; `required: false` also matches no white space at all.
    Space { required: bool },
}

/// Compiles literal text into units: white space collapsed, dropped at the template's
/// ends, and required only between two word-like sides (see the module doc).
pub(super) fn compile_literal(
    text: &str,
    after_placeholder: bool,
    before_placeholder: bool,
) -> Vec<Unit> {
    // `None` is a collapsed run of white space.
    let mut raw: Vec<Option<char>> = Vec::new();
    for c in text.chars() {
        if !c.is_whitespace() {
            raw.push(Some(c));
        } else if raw.last() != Some(&None) {
            raw.push(None);
        }
    }
    // A side of a space: `None` is the template's end, `Some(word_like)` otherwise.
    let side = |k: Option<usize>, placeholder: bool| -> Option<bool> {
        match k.map(|k| raw.get(k)) {
            Some(Some(Some(c))) => Some(c.is_alphanumeric()),
            Some(_) => None,
            None => placeholder.then_some(true),
        }
    };
    let mut units = Vec::with_capacity(raw.len());
    for (k, r) in raw.iter().enumerate() {
        match r {
            Some(c) => units.push(Unit::Char(*c)),
            None => {
                let left = side(k.checked_sub(1), after_placeholder);
                let right = side(Some(k + 1).filter(|&k| k < raw.len()), before_placeholder);
                if let (Some(l), Some(r)) = (left, right) {
                    units.push(Unit::Space { required: l && r });
                }
            }
        }
    }
    units
}

fn eq_ci(a: char, b: char) -> bool {
    a == b || a.to_lowercase().eq(b.to_lowercase())
}

/// Matches compiled literal units at byte `pos` of `goal`; the end position on success.
fn match_units(units: &[Unit], goal: &str, pos: usize) -> Option<usize> {
    let mut p = pos;
    for unit in units {
        match *unit {
            Unit::Char(c) => {
                let g = goal.get(p..)?.chars().next()?;
                if !eq_ci(c, g) {
                    return None;
                }
                p += g.len_utf8();
            }
            Unit::Space { required } => {
                let rest = goal.get(p..)?;
                let len = rest.len() - rest.trim_start().len();
                if required && len == 0 {
                    return None;
                }
                p += len;
            }
        }
    }
    Some(p)
}

const QUOTES: [(char, char); 5] = [('"', '"'), ('\'', '\''), ('`', '`'), ('“', '”'), ('‘', '’')];

/// A value as bound: trimmed, and when it is one quoted value (quotes at both ends and no
/// closing quote inside), its inside; `None` if nothing is left.
fn clean_value(raw: &str) -> Option<Bound<'_>> {
    let t = raw.trim();
    let mut chars = t.chars();
    let (first, last) = (chars.next()?, chars.next_back());
    let bound = match last {
        Some(last) if QUOTES.contains(&(first, last)) => {
            let inner = &t[first.len_utf8()..t.len() - last.len_utf8()];
            match inner.contains(last) {
                false => Bound {
                    text: inner,
                    quoted: true,
                },
                true => Bound {
                    text: t,
                    quoted: false,
                },
            }
        }
        _ => Bound {
            text: t,
            quoted: false,
        },
    };
    (!bound.text.trim().is_empty()).then_some(bound)
}

/// The goal as matched: trimmed, without the punctuation that ends its sentence (a run of
/// `.`, `?`, `!` after a word: `count the lines in notes.txt.`).
pub(super) fn goal_body(goal: &str) -> &str {
    let goal = goal.trim();
    let body = goal.trim_end_matches(['.', '?', '!']);
    match body.chars().next_back() {
        Some(c) if !c.is_whitespace() && c != '/' && c != '.' && body.len() < goal.len() => body,
        _ => goal,
    }
}

/// Matches `goal` against `t`; `accept(slot, value)` may refuse a value. The bound value
/// per slot on success.
pub(super) fn search<'g>(
    t: &GoalTemplate,
    goal: &'g str,
    accept: &mut dyn FnMut(usize, Bound<'g>) -> bool,
) -> Option<Vec<Bound<'g>>> {
    let goal = goal_body(goal);
    let mut m = Matcher {
        t,
        goal,
        accept,
        binds: vec![None; t.names.len()],
        failed: HashSet::new(),
        steps: 0,
    };
    if !m.go(0, 0) {
        return None;
    }
    // Every slot is bound on success: each name comes from a placeholder segment the
    // matcher went through.
    m.binds.into_iter().collect()
}

struct Matcher<'a, 'g> {
    t: &'a GoalTemplate,
    goal: &'g str,
    accept: &'a mut dyn FnMut(usize, Bound<'g>) -> bool,
    binds: Vec<Option<Bound<'g>>>,
    /// (segment, position) states known to fail, for segments that do not depend on
    /// earlier bindings.
    failed: HashSet<(usize, usize)>,
    steps: usize,
}

impl<'g> Matcher<'_, 'g> {
    fn tick(&mut self) -> bool {
        self.steps += 1;
        self.steps <= MATCH_STEP_LIMIT
    }

    fn go(&mut self, i: usize, pos: usize) -> bool {
        if !self.tick() {
            return false;
        }
        let Some(seg) = self.t.segments.get(i) else {
            return pos == self.goal.len();
        };
        let memo = !self.t.depends.get(i).copied().unwrap_or(true);
        if memo && self.failed.contains(&(i, pos)) {
            return false;
        }
        let ok = match seg {
            Segment::Literal(_) => self
                .t
                .units
                .get(i)
                .and_then(|units| match_units(units, self.goal, pos))
                .is_some_and(|end| self.go(i + 1, end)),
            Segment::Placeholder { .. } => self.placeholder(i, pos),
        };
        if !ok && memo {
            self.failed.insert((i, pos));
        }
        ok
    }

    /// Tries each end of the value of placeholder segment `i` starting at `pos`.
    fn placeholder(&mut self, i: usize, pos: usize) -> bool {
        let t = self.t;
        let goal = self.goal;
        let (Some(&slot), Some(rest)) = (t.slots.get(i), goal.get(pos..)) else {
            return false;
        };
        if i + 1 == self.t.segments.len() {
            return self.try_bind(slot, rest, |m| m.go(i + 1, goal.len()));
        }
        let Some(next) = t.units.get(i + 1) else {
            return false;
        };
        // A value opening with a quote first tries to end at its closing quote.
        let body = rest.trim_start();
        let body_at = pos + (rest.len() - body.len());
        let quoted_end = body.chars().next().and_then(|open| {
            let (_, close) = QUOTES.iter().find(|(o, _)| *o == open)?;
            let after = open.len_utf8();
            let at = body.get(after..)?.find(*close)?;
            Some(body_at + after + at + close.len_utf8())
        });
        let ends = quoted_end.into_iter().chain(
            rest.char_indices()
                .skip(1)
                .map(|(k, _)| pos + k)
                .chain(std::iter::once(goal.len()))
                .filter(|&p| Some(p) != quoted_end),
        );
        for p in ends {
            if !self.tick() {
                return false;
            }
            let Some(end) = match_units(next, goal, p) else {
                continue;
            };
            let Some(raw) = goal.get(pos..p) else {
                continue;
            };
            if self.try_bind(slot, raw, |m| m.go(i + 2, end)) {
                return true;
            }
        }
        false
    }

    /// Binds `raw` (cleaned) to `slot` if allowed and runs `then`; undoes the binding if
    /// `then` fails.
    fn try_bind(
        &mut self,
        slot: usize,
        raw: &'g str,
        then: impl FnOnce(&mut Self) -> bool,
    ) -> bool {
        let Some(value) = clean_value(raw) else {
            return false;
        };
        let before = self.binds.get(slot).copied().flatten();
        match before {
            Some(prev) if prev.text != value.text => return false,
            Some(_) => {}
            None => {
                if !(self.accept)(slot, value) {
                    return false;
                }
            }
        }
        if let Some(b) = self.binds.get_mut(slot) {
            *b = Some(value);
        }
        if then(self) {
            return true;
        }
        if let Some(b) = self.binds.get_mut(slot) {
            *b = before;
        }
        false
    }
}
