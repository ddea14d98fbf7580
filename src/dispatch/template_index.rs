//! The template index: finds every stored goal template that a goal matches, without
//! trying them all.
//!
//! Every goal that matches a template contains each whole literal word of the template as
//! a whole word ([`GoalTemplate::literal_words`], [`goal_words`]). So each template is
//! filed under one of its literal words (the rarest among the templates already stored,
//! when it is added), and a goal tries only the templates filed under one of its own
//! words whose other literal words it also contains. Templates without any whole literal
//! word (`"{task}"`, `"{a}: {b}"`) are tried for every goal.
//!
//! Matches come back most specific first ([`GoalTemplate::specificity`]: more literal
//! text), then by id, so `"summarize {input} into {report}"` wins over `"summarize {x}"`.

use std::collections::{BTreeSet, HashMap};

use indexmap::IndexMap;

use super::template::{GoalTemplate, goal_words};

/// Goal templates by id, indexed by their literal words.
#[derive(Clone, Debug, Default)]
pub struct TemplateIndex {
    entries: HashMap<u64, Entry>,
    /// Key word -> ids of the templates filed under it.
    buckets: HashMap<String, Vec<u64>>,
    /// Word -> how many stored templates contain it (to choose rare keys).
    word_counts: HashMap<String, usize>,
    /// Templates with no whole literal word, tried for every goal.
    catch_all: BTreeSet<u64>,
}

#[derive(Clone, Debug)]
struct Entry {
    template: GoalTemplate,
    /// Whole literal words, sorted, each once.
    words: Vec<String>,
    /// The bucket it is filed under; `None` for a catch-all.
    key: Option<String>,
}

impl TemplateIndex {
    /// An empty index.
    pub fn new() -> TemplateIndex {
        TemplateIndex::default()
    }

    /// Stores a template under `id`, replacing any template already there.
    pub fn insert(&mut self, id: u64, template: GoalTemplate) {
        self.remove(id);
        let words = template.literal_words();
        let key = words
            .iter()
            .min_by(|a, b| {
                let count = |w: &String| self.word_counts.get(w).copied().unwrap_or(0);
                count(a)
                    .cmp(&count(b))
                    .then(b.len().cmp(&a.len()))
                    .then(a.cmp(b))
            })
            .cloned();
        for w in &words {
            *self.word_counts.entry(w.clone()).or_insert(0) += 1;
        }
        match &key {
            Some(k) => self.buckets.entry(k.clone()).or_default().push(id),
            None => {
                self.catch_all.insert(id);
            }
        }
        self.entries.insert(
            id,
            Entry {
                template,
                words,
                key,
            },
        );
    }

    /// Removes and returns the template under `id`.
    pub fn remove(&mut self, id: u64) -> Option<GoalTemplate> {
        let entry = self.entries.remove(&id)?;
        for w in &entry.words {
            if let Some(n) = self.word_counts.get_mut(w) {
                *n -= 1;
                if *n == 0 {
                    self.word_counts.remove(w);
                }
            }
        }
        match &entry.key {
            Some(k) => {
                if let Some(ids) = self.buckets.get_mut(k) {
                    ids.retain(|&x| x != id);
                    if ids.is_empty() {
                        self.buckets.remove(k);
                    }
                }
            }
            None => {
                self.catch_all.remove(&id);
            }
        }
        Some(entry.template)
    }

    /// The template under `id`.
    pub fn get(&self, id: u64) -> Option<&GoalTemplate> {
        self.entries.get(&id).map(|e| &e.template)
    }

    /// How many templates are stored.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no template is stored.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The ids of the templates that a goal could match (all their literal words occur in
    /// it), by increasing id. Every template that matches is among them.
    pub fn candidates(&self, goal: &str) -> Vec<u64> {
        let words = goal_words(goal);
        let mut out: Vec<u64> = self.catch_all.iter().copied().collect();
        for w in &words {
            let Some(ids) = self.buckets.get(w) else {
                continue;
            };
            out.extend(ids.iter().copied().filter(|id| {
                self.entries
                    .get(id)
                    .is_some_and(|e| e.words.iter().all(|tw| words.binary_search(tw).is_ok()))
            }));
        }
        out.sort_unstable();
        out
    }

    /// Every template the goal matches, with its bindings: most specific first, then by
    /// increasing id.
    pub fn find_matches(&self, goal: &str) -> Vec<(u64, IndexMap<String, String>)> {
        let mut found: Vec<(usize, u64, IndexMap<String, String>)> = self
            .candidates(goal)
            .into_iter()
            .filter_map(|id| {
                let t = &self.entries.get(&id)?.template;
                Some((t.specificity(), id, t.match_goal(goal)?))
            })
            .collect();
        found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        found.into_iter().map(|(_, id, b)| (id, b)).collect()
    }
}
