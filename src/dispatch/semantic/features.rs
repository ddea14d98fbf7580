//! Text features of the semantic index: words (stemmed, function words light) and
//! character 3-grams, hashed to 64-bit feature ids. See the doc of [`super`].

use std::hash::Hasher;

use super::{STOP_WORD_WEIGHT, WORD_WEIGHT};

/// A feature: a 64-bit FNV-1a hash of its text (`w` + stemmed word, or `g` + 3-gram).
/// Hashing keeps featurization free of allocations; a collision between two of the few
/// million features of a large library has a probability around 1e-7 and would only
/// blur two features together.
pub(super) type Feature = u64;

/// The weighted features of a text, each once, sorted by feature: `(1 + ln tf) * base`;
/// and how many placeholders it has.
pub(super) fn featurize(text: &str) -> (Vec<(Feature, f32)>, u32) {
    let (words, wildcards) = words_outside_placeholders(text);
    let mut raw = raw_features(&words);
    raw.sort_unstable_by_key(|&(f, _)| f);
    let mut out: Vec<(Feature, f32)> = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&(feature, base)) = raw.get(i) {
        let run = raw
            .get(i..)
            .map_or(1, |rest| rest.iter().take_while(|x| x.0 == feature).count());
        out.push((feature, base * (1.0 + (run as f32).ln())));
        i += run.max(1);
    }
    (out, wildcards)
}

/// Every feature occurrence with its base weight, before counting.
fn raw_features(words: &[&str]) -> Vec<(Feature, f32)> {
    let mut out = Vec::new();
    let mut lower: Vec<char> = Vec::new();
    for word in words {
        lower.clear();
        lower.push('^');
        for c in word.chars() {
            if c.is_ascii() {
                lower.push(c.to_ascii_lowercase());
            } else {
                lower.extend(c.to_lowercase());
            }
        }
        lower.push('$');
        let inner = lower.get(1..lower.len() - 1).unwrap_or(&[]);
        let mut h = Fnv::new(b'w');
        stem(inner, &mut h);
        if is_stop_word(inner) {
            // Function words say little about what a goal is for: a light word feature,
            // no 3-grams (which would tie `the` to `then` and `there`).
            out.push((h.finish(), STOP_WORD_WEIGHT));
            continue;
        }
        out.push((h.finish(), WORD_WEIGHT));
        for gram in lower.windows(3) {
            let mut h = Fnv::new(b'g');
            gram.iter().for_each(|&c| h.char(c));
            out.push((h.finish(), 1.0));
        }
    }
    out
}

/// The word features of a text that are not function words, each once, sorted: the keys
/// under which the library snapshot files a goal template for near-match search (two
/// texts that share none of them share at most 3-grams).
pub(crate) fn word_keys(text: &str) -> Vec<Feature> {
    let (words, _) = words_outside_placeholders(text);
    let mut out = Vec::with_capacity(words.len());
    let mut lower: Vec<char> = Vec::new();
    for word in words {
        lower.clear();
        lower.extend(word.chars().flat_map(char::to_lowercase));
        if is_stop_word(&lower) {
            continue;
        }
        let mut h = Fnv::new(b'w');
        stem(&lower, &mut h);
        out.push(h.finish());
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// English function words: weighted [`STOP_WORD_WEIGHT`], without 3-grams.
const STOP_WORDS: [&str; 40] = [
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "i", "in", "into", "is", "it",
    "its", "me", "my", "of", "on", "onto", "or", "our", "please", "so", "that", "the", "then",
    "this", "to", "up", "us", "was", "we", "what", "with", "you", "your", "all", "some",
];

fn is_stop_word(word: &[char]) -> bool {
    STOP_WORDS
        .iter()
        .any(|w| w.chars().eq(word.iter().copied()))
}

/// Light English stemming, fed into a hash: plural `-ies` -> `-y`, plural `-s` (not
/// `-ss`, `-us`, `-is`) dropped, British `-ise`/`-ising`/`-isation` spelled with `z`.
fn stem(word: &[char], h: &mut Fnv) {
    let ends = |w: &[char], suffix: &str| {
        let k = suffix.chars().count();
        w.len() >= k
            && w.get(w.len() - k..)
                .is_some_and(|t| t.iter().copied().eq(suffix.chars()))
    };
    let n = word.len();
    let (keep, add) = if n > 4 && ends(word, "ies") {
        (n - 3, Some('y'))
    } else if n > 3 && ends(word, "s") && !["ss", "us", "is"].iter().any(|x| ends(word, x)) {
        (n - 1, None)
    } else {
        (n, None)
    };
    let base = word.get(..keep).unwrap_or(word);
    // The `s` of a British suffix, counted from the end of `base`.
    let british = ["ise", "ised", "ising", "isation"]
        .iter()
        .find(|x| base.len() > x.len() + 2 && ends(base, x))
        .map(|x| base.len() - x.len() + 1);
    for (i, &c) in base.iter().enumerate() {
        h.char(if Some(i) == british { 'z' } else { c });
    }
    add.iter().for_each(|&c| h.char(c));
}

/// The hasher of the feature table: features are already well-mixed hashes, so one
/// multiplication spreads them over the table's buckets.
#[derive(Default)]
pub(super) struct FeatureHasher(u64);

impl Hasher for FeatureHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Not used for `u64` keys; a plain FNV-1a keeps it correct for anything else.
        let mut h = Fnv(self.0 ^ 0xcbf2_9ce4_8422_2325);
        bytes.iter().for_each(|&b| h.byte(b));
        self.0 = h.0;
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ (n >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// 64-bit FNV-1a.
struct Fnv(u64);

impl Fnv {
    fn new(namespace: u8) -> Fnv {
        let mut h = Fnv(0xcbf2_9ce4_8422_2325);
        h.byte(namespace);
        h
    }
    fn byte(&mut self, b: u8) {
        self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    fn char(&mut self, c: char) {
        if c.is_ascii() {
            return self.byte(c as u8);
        }
        let mut buf = [0; 4];
        c.encode_utf8(&mut buf).bytes().for_each(|b| self.byte(b));
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Runs of letters and digits, skipping `{name}` placeholders (wildcards), and the number
/// of placeholders. `{{` is a literal brace, as in templates.
fn words_outside_placeholders(text: &str) -> (Vec<&str>, u32) {
    let mut out = Vec::new();
    let mut wildcards = 0u32;
    let mut i = 0;
    let mut word_start = None;
    while let Some(c) = text.get(i..).and_then(|rest| rest.chars().next()) {
        if c.is_alphanumeric() {
            word_start.get_or_insert(i);
            i += c.len_utf8();
            continue;
        }
        if let Some(start) = word_start.take() {
            out.push(&text[start..i]);
        }
        i += match text.get(i..) {
            Some(rest) if rest.starts_with("{{") => 2,
            Some(rest) => match placeholder_len(rest) {
                Some(len) => {
                    wildcards = wildcards.saturating_add(1);
                    len
                }
                None => c.len_utf8(),
            },
            None => c.len_utf8(),
        };
    }
    if let Some(start) = word_start {
        out.push(&text[start..]);
    }
    (out, wildcards)
}

/// The byte length of a `{identifier}` placeholder at the start of `s`.
fn placeholder_len(s: &str) -> Option<usize> {
    let after = s.strip_prefix('{')?;
    let close = after.find('}')?;
    let name = after.get(..close)?;
    let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then_some(close + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_wildcards() {
        assert_eq!(
            words_outside_placeholders("summarize {input} into {report}"),
            (vec!["summarize", "into"], 2)
        );
        assert_eq!(
            words_outside_placeholders("a {{b}} {c d} {"),
            (vec!["a", "b", "c", "d"], 0)
        );
        assert_eq!(words_outside_placeholders("{x}"), (vec![], 1));
    }

    fn word(text: &str) -> Feature {
        let mut h = Fnv::new(b'w');
        text.chars().for_each(|c| h.char(c));
        h.finish()
    }

    fn stemmed(text: &str) -> Feature {
        let chars: Vec<char> = text.chars().collect();
        let mut h = Fnv::new(b'w');
        stem(&chars, &mut h);
        h.finish()
    }

    #[test]
    fn stems_plurals_lightly() {
        assert_eq!(stemmed("reports"), word("report"));
        assert_eq!(stemmed("copies"), word("copy"));
        assert_eq!(stemmed("class"), word("class"));
        assert_eq!(stemmed("status"), word("status"));
        assert_eq!(stemmed("is"), word("is"));
        assert_ne!(stemmed("reports"), word("reports"));
        assert_eq!(stemmed("summarise"), word("summarize"));
        assert_eq!(stemmed("summarised"), word("summarized"));
        assert_eq!(stemmed("organisation"), word("organization"));
        assert_eq!(stemmed("wise"), word("wise"));
    }

    #[test]
    fn repeated_features_are_counted_once_with_log_weight() {
        let (f, wildcards) = featurize("go Go");
        assert_eq!(wildcards, 0);
        let weight_of = |feature| f.iter().find(|(k, _)| *k == feature).map(|x| x.1);
        assert_eq!(weight_of(word("go")), Some(WORD_WEIGHT * (1.0 + 2f32.ln())));
        // `^go`, `go$` and the word, each once.
        assert_eq!(f.len(), 3);
        assert!(f.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
