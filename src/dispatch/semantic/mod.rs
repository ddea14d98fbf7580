//! Semantic memory (L4): which stored goals are *like* a new goal, when none has its exact
//! shape. It needs no model download.
//!
//! # The scorer
//! A text becomes a sparse vector of features:
//! - word features: maximal runs of letters and digits, lower-cased, lightly stemmed
//!   (`reports` -> `report`, `copies` -> `copy`, `summarise` -> `summarize`), weighted
//!   [`WORD_WEIGHT`] times a 3-gram;
//! - character 3-grams of each word, padded with `^` and `$` (`csv` -> `^cs csv sv$`), so
//!   `summary` and `summarize` or a typo still share most features;
//! - function words (`the`, `of`, `into`, ...) only as a light word feature
//!   ([`STOP_WORD_WEIGHT`]), without 3-grams.
//!
//! Each feature is weighted `(1 + ln tf) * idf`, `idf = 1 + ln((N + 1) / (df + 1))` over
//! the `N` texts in the index, and the score is the cosine of the two vectors: in [0, 1],
//! 1 for the same words. An inverted index (feature -> postings) means a query touches
//! only the postings of its own features. Document norms depend on every `df`, so they are
//! computed once after a change, on the next query (or by [`SemanticIndex::prepare`]).
//!
//! # Placeholders are wildcards
//! `{name}` in a stored template produces no feature. A template stands for goals that
//! carry values where its placeholders are, so the query's features that a stored text
//! lacks weigh `1 / (1 + p)` in the query's norm, `p` being the text's number of
//! placeholders (`p = 0`: plain cosine). The score stays in [0, 1], and a concrete goal
//! such as `summarize data/sales.csv into reports/sales.md` is not held far from
//! `summarize {input} into {report}` by its file names.
//!
//! # Determinism
//! Scores never depend on the order texts were added: every sum runs in an order fixed
//! by the texts themselves. Results are sorted by score, then by id.
//!
//! # Limits
//! This is lexical similarity: `say hello to alice` is not near `greet alice`, and
//! `convert the pdf to word` is near `convert {input} to yaml`. In a library of a handful
//! of goals, idf has little to go on and scores run lower, which errs towards Learner.
//! The Mixed-mode LLM call that binds params is the place to notice a program that does
//! not fit after all.
//!
//! # Room for a real embedding model
//! The dispatcher sees only the [`Similarity`] trait: add, remove, query, and the
//! threshold above which a near match is good enough for Mixed mode. A dense embedding
//! model would implement it with its own vectors (brute force or an ANN index) and its
//! own calibrated [`Similarity::mixed_threshold`]; nothing else changes.

mod features;

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::{PoisonError, RwLock};

use features::{Feature, FeatureHasher, featurize};

/// The word keys of a text for near-match search over a large library: its stemmed
/// words that are not function words, hashed, each once, sorted. A stored goal that
/// shares none of them with a goal shares at most character 3-grams.
pub fn word_keys(text: &str) -> Vec<u64> {
    features::word_keys(text)
}

/// The score at or above which the best near match is trusted for Mixed mode (one short
/// LLM call binds the program's params). Chosen on the tests' goals: paraphrases that
/// keep the key words of a stored goal score 0.5 to 0.9 against it, unrelated goals stay
/// under 0.3, and the uncertain middle goes to Learner, the costly but safe side.
pub const DEFAULT_MIXED_THRESHOLD: f32 = 0.5;

/// How much a whole word counts relative to one of its 3-grams.
pub const WORD_WEIGHT: f32 = 2.0;

/// How much a function word (`the`, `of`, `into`, ...) counts relative to a 3-gram.
pub const STOP_WORD_WEIGHT: f32 = 0.5;

/// A similarity index over goal texts, keyed by caller ids (trace or program numbers).
pub trait Similarity {
    /// Adds a text under `id`, replacing any text already under it.
    fn add(&mut self, id: u64, text: &str);
    /// Removes the text under `id`; whether there was one.
    fn remove(&mut self, id: u64) -> bool;
    /// How many texts are indexed.
    fn len(&self) -> usize;
    /// Whether no text is indexed.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The `k` most similar texts: `(id, score)` with scores in [0, 1], best first, equal
    /// scores by increasing id. Texts that share nothing with the query are left out.
    fn query(&self, text: &str, k: usize) -> Vec<(u64, f32)>;
    /// The score at or above which a near match is good enough for Mixed mode.
    fn mixed_threshold(&self) -> f32 {
        DEFAULT_MIXED_THRESHOLD
    }
}

/// TF-IDF cosine similarity over words and character 3-grams with an inverted index.
#[derive(Debug, Default)]
pub struct SemanticIndex {
    /// Feature text -> feature number.
    features: HashMap<Feature, u32, BuildHasherDefault<FeatureHasher>>,
    /// Per feature: `(doc slot, tf weight)`, slots increasing.
    postings: Vec<Vec<(u32, f32)>>,
    /// Per slot: the document there, `None` once removed. Slots are never reused.
    docs: Vec<Option<Doc>>,
    slot_of: HashMap<u64, u32>,
    /// Document norms for the current contents; `None` after a change.
    norms: RwLock<Option<Vec<f32>>>,
}

#[derive(Debug)]
struct Doc {
    id: u64,
    /// How many `{placeholder}` wildcards the text has.
    wildcards: u32,
    /// `(feature, tf weight)` in the order the text produced them.
    terms: Vec<(u32, f32)>,
}

impl SemanticIndex {
    /// An empty index.
    pub fn new() -> SemanticIndex {
        SemanticIndex::default()
    }

    /// Adds a text under `id`, replacing any text already under it.
    pub fn add(&mut self, id: u64, text: &str) {
        self.remove(id);
        let Ok(slot) = u32::try_from(self.docs.len()) else {
            // More than four billion additions: refuse rather than wrap around.
            return;
        };
        let mut terms = Vec::new();
        let (features, wildcards) = featurize(text);
        for (feature, weight) in features {
            let next = self.postings.len() as u32;
            let f = *self.features.entry(feature).or_insert(next);
            if f == next {
                self.postings.push(Vec::new());
            }
            if let Some(list) = self.postings.get_mut(f as usize) {
                list.push((slot, weight));
            }
            terms.push((f, weight));
        }
        self.docs.push(Some(Doc {
            id,
            wildcards,
            terms,
        }));
        self.slot_of.insert(id, slot);
        self.invalidate();
    }

    /// Removes the text under `id`; whether there was one.
    pub fn remove(&mut self, id: u64) -> bool {
        let Some(slot) = self.slot_of.remove(&id) else {
            return false;
        };
        let Some(doc) = self.docs.get_mut(slot as usize).and_then(Option::take) else {
            return false;
        };
        for (f, _) in doc.terms {
            if let Some(list) = self.postings.get_mut(f as usize)
                && let Ok(at) = list.binary_search_by_key(&slot, |p| p.0)
            {
                list.remove(at);
            }
        }
        self.invalidate();
        true
    }

    /// How many texts are indexed.
    pub fn len(&self) -> usize {
        self.slot_of.len()
    }

    /// Whether no text is indexed.
    pub fn is_empty(&self) -> bool {
        self.slot_of.is_empty()
    }

    /// Computes the document norms now, so that the next query does not pay for it.
    pub fn prepare(&mut self) {
        let norms = self.compute_norms();
        *self.norms.get_mut().unwrap_or_else(PoisonError::into_inner) = Some(norms);
    }

    /// The `k` most similar texts, best first (see [`Similarity::query`]).
    pub fn query(&self, text: &str, k: usize) -> Vec<(u64, f32)> {
        if k == 0 || self.is_empty() {
            return Vec::new();
        }
        let (query, _) = featurize(text);
        if query.is_empty() {
            return Vec::new();
        }
        let n = self.len() as f32;
        // Per slot: the dot product and the query mass on features the document shares.
        let mut acc = vec![(0f32, 0f32); self.docs.len()];
        let mut touched: Vec<u32> = Vec::new();
        let mut query_norm2 = 0f32;
        for (feature, weight) in &query {
            let list = self
                .features
                .get(feature)
                .and_then(|&f| self.postings.get(f as usize));
            let df = list.map_or(0, Vec::len);
            let idf = idf(n, df);
            query_norm2 += (weight * idf) * (weight * idf);
            let Some(list) = list else { continue };
            let factor = weight * idf * idf;
            let mass = (weight * idf) * (weight * idf);
            for &(slot, w) in list {
                if let Some(a) = acc.get_mut(slot as usize) {
                    if a.1 == 0.0 {
                        touched.push(slot);
                    }
                    a.0 += w * factor;
                    a.1 += mass;
                }
            }
        }
        self.with_norms(|norms| {
            let mut hits: Vec<(u64, f32)> = touched
                .iter()
                .filter_map(|&slot| {
                    let doc = self.docs.get(slot as usize)?.as_ref()?;
                    let (dot, shared) = *acc.get(slot as usize)?;
                    let norm = *norms.get(slot as usize)?;
                    // Query mass the document lacks counts 1 / (1 + wildcards).
                    let unshared = (query_norm2 - shared).max(0.0) / (1.0 + doc.wildcards as f32);
                    let query_norm = (shared + unshared).sqrt();
                    let score = if norm > 0.0 && query_norm > 0.0 {
                        dot / (norm * query_norm)
                    } else {
                        0.0
                    };
                    Some((doc.id, score.clamp(0.0, 1.0)))
                })
                .collect();
            let order = |a: &(u64, f32), b: &(u64, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
            if hits.len() > k {
                hits.select_nth_unstable_by(k - 1, order);
                hits.truncate(k);
            }
            hits.sort_by(order);
            hits
        })
    }

    fn invalidate(&mut self) {
        *self.norms.get_mut().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Runs `f` with up-to-date document norms, computing them if a change made them stale.
    fn with_norms<R>(&self, f: impl FnOnce(&[f32]) -> R) -> R {
        {
            let cached = self.norms.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(norms) = cached.as_ref() {
                return f(norms);
            }
        }
        let mut cached = self.norms.write().unwrap_or_else(PoisonError::into_inner);
        let norms = cached.get_or_insert_with(|| self.compute_norms());
        f(norms)
    }

    fn compute_norms(&self) -> Vec<f32> {
        let n = self.len() as f32;
        let idfs: Vec<f32> = self
            .postings
            .iter()
            .map(|list| idf(n, list.len()))
            .collect();
        self.docs
            .iter()
            .map(|doc| {
                let Some(doc) = doc else { return 0.0 };
                let sum: f32 = doc
                    .terms
                    .iter()
                    .map(|&(f, w)| {
                        let x = w * idfs.get(f as usize).copied().unwrap_or(0.0);
                        x * x
                    })
                    .sum();
                sum.sqrt()
            })
            .collect()
    }
}

impl Similarity for SemanticIndex {
    fn add(&mut self, id: u64, text: &str) {
        SemanticIndex::add(self, id, text);
    }
    fn remove(&mut self, id: u64) -> bool {
        SemanticIndex::remove(self, id)
    }
    fn len(&self) -> usize {
        SemanticIndex::len(self)
    }
    fn query(&self, text: &str, k: usize) -> Vec<(u64, f32)> {
        SemanticIndex::query(self, text, k)
    }
}

fn idf(n: f32, df: usize) -> f32 {
    1.0 + ((n + 1.0) / (df as f32 + 1.0)).ln()
}
