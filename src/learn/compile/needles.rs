//! Finding known values inside recorded text without scanning every known value for
//! every argument (which made a 100,000-step recording quadratic).
//!
//! Distinct needle texts are numbered in the order they became known; each remembers the
//! best source seen for it. Searching uses Aho-Corasick automata over runs of needles,
//! merged like a binary counter (the "logarithmic method"): adding needles costs
//! O(n log n) automaton building in all, and a search costs one pass per automaton
//! (at most log n of them) plus a plain scan of the few needles not yet in one.

use std::collections::HashMap;
use std::rc::Rc;

use aho_corasick::{AhoCorasick, AhoCorasickKind};

/// Needles not yet in an automaton are scanned one by one; past this many, they get one.
const LOOSE_MAX: usize = 32;

/// One occurrence of a needle: byte range and the needle's number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit {
    pub start: usize,
    pub end: usize,
    pub needle: usize,
}

/// An automaton over the needles `first..first + len`.
struct Level {
    automaton: AhoCorasick,
    first: usize,
    len: usize,
}

/// Distinct needle texts, each with a payload (its best source so far).
pub struct Needles<T> {
    /// Shared with `by_text`: one allocation per distinct text.
    texts: Vec<Rc<str>>,
    payloads: Vec<T>,
    by_text: HashMap<Rc<str>, usize>,
    levels: Vec<Level>,
    /// Needles from here on are in no automaton yet.
    loose_from: usize,
}

impl<T> Default for Needles<T> {
    fn default() -> Needles<T> {
        Needles {
            texts: Vec::new(),
            payloads: Vec::new(),
            by_text: HashMap::new(),
            levels: Vec::new(),
            loose_from: 0,
        }
    }
}

impl<T> Needles<T> {
    /// Adds `text` with `payload`, or, when the text is known, lets `keep_new` decide
    /// whether `payload` replaces the one it has.
    pub fn add(&mut self, text: &str, payload: T, keep_new: impl FnOnce(&T, &T) -> bool) {
        if let Some(&i) = self.by_text.get(text) {
            if keep_new(&payload, &self.payloads[i]) {
                self.payloads[i] = payload;
            }
            return;
        }
        let text: Rc<str> = Rc::from(text);
        self.by_text.insert(Rc::clone(&text), self.texts.len());
        self.texts.push(text);
        self.payloads.push(payload);
        self.absorb_loose();
    }

    #[cfg(test)]
    pub fn text(&self, needle: usize) -> &str {
        &self.texts[needle]
    }

    pub fn payload(&self, needle: usize) -> &T {
        &self.payloads[needle]
    }

    /// Every occurrence of every needle in `text`, except that an occurrence starting
    /// inside the previous occurrence of the same needle is skipped (as a left-to-right
    /// `find` loop per needle would). Order: unspecified; callers sort.
    pub fn find_all(&self, text: &str) -> Vec<Hit> {
        let mut hits = Vec::new();
        for level in &self.levels {
            for m in level.automaton.find_overlapping_iter(text) {
                hits.push(Hit {
                    start: m.start(),
                    end: m.end(),
                    needle: level.first + m.pattern().as_usize(),
                });
            }
        }
        for (i, needle) in self.texts.iter().enumerate().skip(self.loose_from) {
            let mut from = 0;
            while let Some(pos) = text.get(from..).and_then(|rest| rest.find(&**needle)) {
                let start = from + pos;
                hits.push(Hit {
                    start,
                    end: start + needle.len(),
                    needle: i,
                });
                from = start + needle.len().max(1);
            }
        }
        // Overlapping occurrences of one needle: keep those a `find` loop would see.
        hits.sort_by_key(|h| (h.needle, h.start));
        let mut last: Option<(usize, usize)> = None;
        hits.retain(|h| {
            let keep = !matches!(last, Some((n, end)) if n == h.needle && h.start < end);
            if keep {
                last = Some((h.needle, h.end));
            }
            keep
        });
        hits
    }

    /// Puts the loose needles into an automaton once there are enough of them, merging
    /// levels of equal or smaller size so that at most log n remain.
    fn absorb_loose(&mut self) {
        if self.texts.len() - self.loose_from <= LOOSE_MAX {
            return;
        }
        let mut first = self.loose_from;
        while let Some(top) = self.levels.last() {
            if top.len > self.texts.len() - first {
                break;
            }
            first = top.first;
            self.levels.pop();
        }
        let patterns = &self.texts[first..];
        // Building fails only past the crate's size limits; the needles then stay loose
        // (found by the plain scan, slower but right).
        // The plain NFA: cheapest to build, and building is most of the cost here.
        let built = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::NoncontiguousNFA))
            .build(patterns.iter().map(|t| t.as_bytes()));
        if let Ok(automaton) = built {
            self.levels.push(Level {
                automaton,
                first,
                len: patterns.len(),
            });
            self.loose_from = self.texts.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(n: &Needles<usize>, text: &str) -> Vec<(usize, usize, String)> {
        let mut hits: Vec<_> = n
            .find_all(text)
            .into_iter()
            .map(|h| (h.start, h.end, n.text(h.needle).to_owned()))
            .collect();
        hits.sort();
        hits
    }

    #[test]
    fn finds_what_a_find_loop_finds_across_levels() {
        let mut n = Needles::default();
        for i in 0..500 {
            n.add(&format!("k{i}x"), i, |_, _| false);
        }
        n.add("aa", 1000, |_, _| false);
        let hits = texts(&n, "k7x and k499x, aaa, k7x");
        assert_eq!(
            hits,
            vec![
                (0, 3, "k7x".to_owned()),
                (8, 13, "k499x".to_owned()),
                (15, 17, "aa".to_owned()),
                (20, 23, "k7x".to_owned()),
            ]
        );
        assert!(n.levels.len() <= 10, "{} levels", n.levels.len());
    }

    #[test]
    fn a_known_text_keeps_the_better_payload() {
        let mut n = Needles::default();
        n.add("milk", 1, |new, old| new > old);
        n.add("milk", 5, |new, old| new > old);
        n.add("milk", 3, |new, old| new > old);
        let hits = n.find_all("buy milk");
        assert_eq!(hits.len(), 1);
        assert_eq!(*n.payload(hits[0].needle), 5);
    }
}
