//! Finding known values inside recorded text without scanning every known value for
//! every argument (which made a 100,000-step recording quadratic).
//!
//! Distinct needle texts are numbered in the order they became known; each remembers the
//! best source seen for it. A short text (most searched arguments: a pattern, a
//! replacement, a number) is searched by looking each of its substrings up among the
//! needle texts. A longer one uses Aho-Corasick automata over runs of needles, merged
//! like a binary counter (the "logarithmic method"): building costs O(n log n) in all,
//! and a search costs one pass per automaton (at most log n of them) plus a plain scan of
//! the few needles not yet in one. Automata are built when a long text is first searched
//! after needles were added, not on every add: a recording whose arguments are earlier
//! results exactly never builds one.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use aho_corasick::{AhoCorasick, AhoCorasickKind};

/// Needles not yet in an automaton are scanned one by one; past this many, they get one.
const LOOSE_MAX: usize = 32;

/// Most substring lookups a search of a short text makes (its length in bytes times the
/// longest needle's, at most); a text that would need more is searched by the automata.
const SHORT_LOOKUPS: usize = 512;

/// A fast hasher for needle texts (no order depends on it: the map is only looked up).
type Hasher = foldhash::fast::FixedState;

/// One occurrence of a needle: byte range and the needle's number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit {
    pub start: usize,
    pub end: usize,
    pub needle: usize,
}

/// An automaton over the needles `first..first + len`.
struct Level {
    /// Pattern `2k` is the level's needle `k`, pattern `2k + 1` its padding (see
    /// [`Levels::absorb_loose`]).
    automaton: AhoCorasick,
    first: usize,
    len: usize,
}

/// The automata built so far.
#[derive(Default)]
struct Levels {
    levels: Vec<Level>,
    /// Needles from here on are in no automaton yet.
    loose_from: usize,
}

/// Distinct needle texts, each with a payload (its best source so far).
pub struct Needles<T> {
    /// Shared with `by_text`: one allocation per distinct text.
    texts: Vec<Rc<str>>,
    payloads: Vec<T>,
    by_text: HashMap<Rc<str>, usize, Hasher>,
    /// The longest needle text, in bytes.
    longest: usize,
    /// Built on demand by a search (see the module's doc).
    levels: RefCell<Levels>,
}

impl<T> Default for Needles<T> {
    fn default() -> Needles<T> {
        Needles {
            texts: Vec::new(),
            payloads: Vec::new(),
            by_text: HashMap::default(),
            longest: 0,
            levels: RefCell::default(),
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
        self.longest = self.longest.max(text.len());
        self.by_text.insert(Rc::clone(&text), self.texts.len());
        self.texts.push(text);
        self.payloads.push(payload);
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
        let mut hits = if self.is_short(text) {
            self.by_substrings(text)
        } else {
            self.by_automata(text)
        };
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

    /// Whether looking substrings up is cheaper than the automata for `text` (never with
    /// an empty needle, which the substring search does not look for).
    fn is_short(&self, text: &str) -> bool {
        text.len().saturating_mul(self.longest.min(text.len())) <= SHORT_LOOKUPS
            && !self.by_text.contains_key("")
    }

    /// Every occurrence of every needle, each substring of `text` no longer than the
    /// longest needle looked up (a needle is valid UTF-8, so an occurrence starts and
    /// ends on a character boundary).
    fn by_substrings(&self, text: &str) -> Vec<Hit> {
        let mut hits = Vec::new();
        for (start, _) in text.char_indices() {
            let rest = &text[start..];
            let ends = rest
                .char_indices()
                .skip(1)
                .map(|(i, _)| i)
                .chain(std::iter::once(rest.len()));
            for len in ends.take_while(|&len| len <= self.longest) {
                if let Some(&needle) = self.by_text.get(&rest[..len]) {
                    hits.push(Hit {
                        start,
                        end: start + len,
                        needle,
                    });
                }
            }
        }
        hits
    }

    /// Every occurrence of every needle (and some a `find` loop would skip), by the
    /// automata, building them first for the needles added since the last such search.
    fn by_automata(&self, text: &str) -> Vec<Hit> {
        let mut levels = self.levels.borrow_mut();
        levels.absorb_loose(&self.texts);
        let mut hits = Vec::new();
        for level in &levels.levels {
            for m in level.automaton.find_overlapping_iter(text) {
                let pattern = m.pattern().as_usize();
                if pattern % 2 == 0 {
                    hits.push(Hit {
                        start: m.start(),
                        end: m.end(),
                        needle: level.first + pattern / 2,
                    });
                }
            }
        }
        for (i, needle) in self.texts.iter().enumerate().skip(levels.loose_from) {
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
        hits
    }
}

impl Levels {
    /// Puts the loose needles into an automaton when there are enough of them, merging
    /// levels of equal or smaller size so that at most log n remain.
    fn absorb_loose(&mut self, texts: &[Rc<str>]) {
        if texts.len() - self.loose_from <= LOOSE_MAX {
            return;
        }
        let mut first = self.loose_from;
        while let Some(top) = self.levels.last() {
            if top.len > texts.len() - first {
                break;
            }
            first = top.first;
            self.levels.pop();
        }
        let patterns = &texts[first..];
        // Each needle comes with a padding pattern, itself followed by two NUL bytes
        // (its hits are dropped): the automaton's construction moves its match states
        // in front of the others, in time quadratic in the match states when almost no
        // state is a non-match one, as with thousands of known numbers (nearly every
        // prefix of one is another; 100,000 of them took 6 s). The padding gives every
        // needle a non-match state, which keeps the construction linear, at twice the
        // states of a set of short needles.
        let padded = patterns.iter().flat_map(|t| {
            let text = t.as_bytes();
            [Cow::Borrowed(text), Cow::Owned([text, b"\0\0"].concat())]
        });
        // Building fails only past the crate's size limits; the needles then stay loose
        // (found by the plain scan, slower but right).
        // The plain NFA: cheapest to build, and building is most of the cost here.
        let built = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::NoncontiguousNFA))
            .build(padded);
        match built {
            Ok(automaton) => {
                self.levels.push(Level {
                    automaton,
                    first,
                    len: patterns.len(),
                });
                self.loose_from = texts.len();
            }
            // The merged levels' needles are loose again.
            Err(_) => self.loose_from = first,
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

    /// What a `find` loop per needle finds.
    fn by_find_loops(n: &Needles<usize>, text: &str) -> Vec<(usize, usize, String)> {
        let mut hits = Vec::new();
        for needle in &n.texts {
            let mut from = 0;
            while let Some(pos) = text[from..].find(&**needle) {
                hits.push((from + pos, from + pos + needle.len(), needle.to_string()));
                from += pos + needle.len();
            }
        }
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
        let short = "k7x and k499x, aaa, k7x";
        assert!(n.is_short(short));
        let expected = vec![
            (0, 3, "k7x".to_owned()),
            (8, 13, "k499x".to_owned()),
            (15, 17, "aa".to_owned()),
            (20, 23, "k7x".to_owned()),
        ];
        assert_eq!(texts(&n, short), expected);
        assert!(n.levels.borrow().levels.is_empty(), "no automaton yet");
        // The same text in a long one: through the automata, built now.
        let long = format!("{short}{}", " ".repeat(200));
        assert!(!n.is_short(&long));
        assert_eq!(texts(&n, &long), expected);
        let levels = n.levels.borrow().levels.len();
        assert!((1..=10).contains(&levels), "{levels} levels");
        // Needles added after the automata were built are found too.
        for i in 500..540 {
            n.add(&format!("k{i}x"), i, |_, _| false);
        }
        let text = format!("k520x and k7x {}", " ".repeat(200));
        assert_eq!(texts(&n, &text), by_find_loops(&n, &text));
        assert_eq!(
            texts(&n, "k520x and k7x"),
            by_find_loops(&n, "k520x and k7x")
        );
    }

    #[test]
    fn both_searches_keep_what_a_find_loop_keeps_of_overlapping_occurrences() {
        let mut n = Needles::default();
        for (i, t) in ["aa", "aba", "é", "éé", "b", "ab"].into_iter().enumerate() {
            n.add(t, i, |_, _| false);
        }
        for text in ["aaaa", "ababa éééa", "xéaab", ""] {
            let long = format!("{text}{}", "-".repeat(600));
            assert!(n.is_short(text) && !n.is_short(&long));
            assert_eq!(texts(&n, text), by_find_loops(&n, text), "{text}");
            assert_eq!(texts(&n, &long), by_find_loops(&n, &long), "{text}");
        }
    }

    /// Numbers, where nearly every prefix of a needle is a needle too (the automata's
    /// hardest case to build), are found as a find loop finds them, in every level.
    #[test]
    fn numbers_whose_prefixes_are_needles_are_all_found() {
        let mut n = Needles::default();
        let text = format!("ids 7, 1299, 2999 and 3999 of 4000; {}", "x".repeat(600));
        for batch in [0..3_000, 3_000..4_000] {
            for i in batch {
                n.add(&i.to_string(), i, |_, _| false);
            }
            assert!(!n.is_short(&text));
            assert_eq!(texts(&n, &text), by_find_loops(&n, &text));
        }
        assert_eq!(n.levels.borrow().levels.len(), 2);
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
