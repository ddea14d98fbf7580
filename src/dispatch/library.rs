//! The dispatcher's decision over a trace library: [`choose`] reads the entries a goal
//! reaches through the [`Library`] trait, builds the template index (and, only when no
//! template binds and the policy allows Mixed mode, the similarity index), and decides
//! under a [`Policy`]. The caller carries the decision out; it decides nothing again.

use std::collections::BTreeMap;

use indexmap::IndexMap;

use super::semantic::SemanticIndex;
use super::template::{GoalTemplate, ParamSpec, goal_words, normalize_goal, same_goal};
use super::template_index::TemplateIndex;
use super::{Choice, Decision, Shape, Similarity, decide};
use crate::types::Type;
use crate::value::Value;

/// What the dispatcher reads of a library entry.
pub trait Entry {
    fn id(&self) -> u64;
    /// The goal template, `goal "..."` of the program.
    fn template(&self) -> &str;
    /// `{"params": [{"name", "type", "shape"}, ...]}` as JSON text.
    fn params(&self) -> &str;
    /// The success rating, 0 to 1.
    fn rating(&self) -> f64;
}

/// A trace library as the dispatcher reads it: only what a goal reaches.
pub trait Library {
    type Entry: Entry;
    type Error;
    /// The entries filed under a normalized goal text ([`normalize_goal`]).
    fn exact(&self, normalized: &str) -> Result<Vec<Self::Entry>, Self::Error>;
    /// The entries filed under one of `words` (a goal's, sorted: [`goal_words`]) or
    /// under no word at all, each once.
    fn by_words(&self, words: &[String]) -> Result<Vec<Self::Entry>, Self::Error>;
    /// The entries a near-match search for `goal` scores.
    fn near(&self, goal: &str) -> Result<Vec<Self::Entry>, Self::Error>;
}

/// How the caller wants goals dispatched.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Policy {
    /// Entries rated below this are not followed.
    pub min_rating: f64,
    /// The similarity score from which a near match goes to Mixed mode.
    pub near_threshold: f32,
    /// Whether a near match may go to Mixed mode (not in `--mode follower`; then no
    /// near-match search runs).
    pub mixed: bool,
}

/// What [`choose`] decided, with what it read to decide.
pub struct Chosen<E> {
    pub choice: Choice,
    pub reach: Reach<E>,
    /// The entries the near-match search read, if it ran.
    pub near: BTreeMap<u64, E>,
    /// The best near match, if the search ran (under the threshold too).
    pub nearest: Option<(u64, f32)>,
    /// The threshold the decision was made with.
    pub threshold: f32,
}

impl<E> Chosen<E> {
    /// The entry the decision names (Follower or Mixed), taken out.
    pub fn take_entry(&mut self) -> Option<E> {
        let id = match &self.choice.decision {
            Decision::Follower { id, .. } | Decision::Mixed { id, .. } => *id,
            Decision::Learner { .. } => return None,
        };
        self.reach
            .entries
            .remove(&id)
            .or_else(|| self.near.remove(&id))
    }

    /// Why no stored program serves the goal, in one sentence.
    pub fn miss_reason(&self) -> String {
        match self.choice.refused.first() {
            Some((id, why)) => format!("trace {id} was passed over: {why}"),
            None => "no stored goal template has the goal's words and shape".to_owned(),
        }
    }
}

/// The entries a goal can reach.
pub struct Reach<E> {
    /// Rated entries, by id.
    pub entries: BTreeMap<u64, E>,
    /// Their templates whose literal words are all in the goal.
    pub templates: TemplateIndex,
    pub exact: Option<u64>,
    /// Entries the goal reaches that are rated too low to follow.
    pub low_rated: Vec<E>,
}

impl<E: Entry> Reach<E> {
    /// Reads what `goal` can reach in `library`.
    pub fn of<L>(library: &L, goal: &str, min_rating: f64) -> Result<Reach<E>, L::Error>
    where
        L: Library<Entry = E>,
    {
        let mut reach = Reach {
            entries: BTreeMap::new(),
            templates: TemplateIndex::new(),
            exact: None,
            low_rated: Vec::new(),
        };
        let normalized = normalize_goal(goal);
        for e in library.exact(&normalized)? {
            let Ok(t) = GoalTemplate::parse(e.template()) else {
                continue;
            };
            let rendered = t.render(&IndexMap::new());
            let same = t.placeholders().is_empty()
                && normalize_goal(&rendered) == normalized
                && same_goal(&rendered, goal);
            if same && e.rating() >= min_rating && reach.exact.is_none() {
                reach.exact = Some(e.id());
                reach.entries.insert(e.id(), e);
            }
        }
        let words = goal_words(goal);
        for e in library.by_words(&words)? {
            let Ok(t) = GoalTemplate::parse(e.template()) else {
                continue;
            };
            if !t
                .literal_words()
                .iter()
                .all(|w| words.binary_search(w).is_ok())
            {
                continue;
            }
            if e.rating() < min_rating {
                reach.low_rated.push(e);
                continue;
            }
            // A template without placeholders serves its exact goal only (see above).
            if t.placeholders().is_empty() && !same_goal(&t.render(&IndexMap::new()), goal) {
                continue;
            }
            reach.templates.insert(e.id(), t);
            reach.entries.insert(e.id(), e);
        }
        Ok(reach)
    }

    /// The param specs of entry `id`.
    pub fn specs(&self, id: u64) -> Option<IndexMap<String, ParamSpec>> {
        let params: Value = serde_json::from_str(self.entries.get(&id)?.params()).ok()?;
        Some(param_specs(&params))
    }
}

/// Decides, once, what serves `goal` in `library` under `policy`: an exact goal or a
/// template that binds (Follower), else a near match at or above the threshold when the
/// policy allows Mixed mode, else the Learner. See the module doc of [`super`].
pub fn choose<L: Library>(
    goal: &str,
    library: &L,
    policy: &Policy,
) -> Result<Chosen<L::Entry>, L::Error> {
    let reach = Reach::of(library, goal, policy.min_rating)?;
    let mut failed = None;
    let near: std::cell::OnceCell<NearIndex<L::Entry>> = std::cell::OnceCell::new();
    let choice = {
        let specs = |id: u64| reach.specs(id);
        let mut similar = || {
            &near
                .get_or_init(|| match policy.mixed {
                    false => Default::default(),
                    true => near_index(library, goal, policy.min_rating).unwrap_or_else(|e| {
                        failed = Some(e);
                        Default::default()
                    }),
                })
                .0 as &dyn Similarity
        };
        decide(
            goal,
            reach.exact,
            &reach.templates,
            &specs,
            &mut similar,
            Some(policy.near_threshold),
        )
    };
    if let Some(e) = failed {
        return Err(e);
    }
    let nearest = match &choice.decision {
        Decision::Mixed { id, score } => Some((*id, *score)),
        Decision::Learner { nearest } => *nearest,
        Decision::Follower { .. } => None,
    };
    Ok(Chosen {
        choice,
        reach,
        near: near.into_inner().map(|n| n.1).unwrap_or_default(),
        nearest,
        threshold: policy.near_threshold,
    })
}

/// A similarity index with the entries it holds.
type NearIndex<E> = (SemanticIndex, BTreeMap<u64, E>);

/// The similarity index over the rated entries a near-match search for `goal` scores.
fn near_index<L: Library>(
    library: &L,
    goal: &str,
    min_rating: f64,
) -> Result<NearIndex<L::Entry>, L::Error> {
    let mut index = SemanticIndex::new();
    let mut entries = BTreeMap::new();
    for e in library.near(goal)? {
        // A learned program kept literal serves its exact goal only: a near goal would be
        // given its recorded answer.
        if e.rating() >= min_rating && !literal(e.params()) {
            index.add(e.id(), e.template());
            entries.insert(e.id(), e);
        }
    }
    index.prepare();
    Ok((index, entries))
}

/// Whether a library entry's `params` say it is a learned program kept literal
/// (`"generalized": false`).
fn literal(params: &str) -> bool {
    serde_json::from_str::<Value>(params)
        .is_ok_and(|p| p.get("generalized") == Some(&Value::Bool(false)))
}

/// Param types and shapes from a library entry's `params` (`{"params": [{"name",
/// "type", "shape"}, ...]}`; `shape` only for a learned program). A shape that does not
/// parse makes the param unbindable (a goal then misses), never looser.
pub fn param_specs(v: &Value) -> IndexMap<String, ParamSpec> {
    let mut out = IndexMap::new();
    let Some(list) = v.get("params").and_then(Value::as_array) else {
        return out;
    };
    for p in list {
        let (Some(n), Some(t)) = (
            p.get("name").and_then(Value::as_str),
            p.get("type").and_then(Value::as_str),
        ) else {
            continue;
        };
        let Some(ty) = Type::parse(t) else { continue };
        let shape = match p.get("shape") {
            None | Some(Value::Null) => None,
            Some(s) => match serde_json::from_value::<Shape>(s.clone()) {
                Ok(shape) => Some(shape),
                Err(_) => continue,
            },
        };
        out.insert(n.to_owned(), ParamSpec { ty, shape });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct E(u64, &'static str, f64);

    impl Entry for E {
        fn id(&self) -> u64 {
            self.0
        }
        fn template(&self) -> &str {
            self.1
        }
        fn params(&self) -> &str {
            match self.0 >= 100 {
                // A learned program kept literal.
                true => r#"{"generalized": false, "params": []}"#,
                false => r#"{"params": [{"name": "file", "type": "path"}]}"#,
            }
        }
        fn rating(&self) -> f64 {
            self.2
        }
    }

    /// A library of a few entries; `near` counts the near-match searches.
    struct Lib(Vec<(u64, &'static str, f64)>, std::cell::Cell<u32>);

    impl Library for Lib {
        type Entry = E;
        type Error = ();
        fn exact(&self, normalized: &str) -> Result<Vec<E>, ()> {
            let all = self.0.iter().filter(|e| normalize_goal(e.1) == normalized);
            Ok(all.map(|e| E(e.0, e.1, e.2)).collect())
        }
        fn by_words(&self, _: &[String]) -> Result<Vec<E>, ()> {
            Ok(self.0.iter().map(|e| E(e.0, e.1, e.2)).collect())
        }
        fn near(&self, goal: &str) -> Result<Vec<E>, ()> {
            self.1.set(self.1.get() + 1);
            self.by_words(&goal_words(goal))
        }
    }

    fn lib() -> Lib {
        let entries = vec![
            (1, "count the words in {file}", 1.0),
            (2, "summarize the sales report", 1.0),
            (3, "count the lines in {file}", 0.2),
        ];
        Lib(entries, std::cell::Cell::new(0))
    }

    fn policy(mixed: bool) -> Policy {
        Policy {
            min_rating: 0.5,
            near_threshold: 0.3,
            mixed,
        }
    }

    #[test]
    fn a_literal_program_serves_its_exact_goal_only() {
        let lib = Lib(
            vec![(100, "how many lines contain TimeOut?", 1.0)],
            std::cell::Cell::new(0),
        );
        let c = choose("How many lines contain TimeOut", &lib, &policy(true)).unwrap();
        assert!(
            matches!(c.choice.decision, Decision::Follower { id: 100, .. }),
            "{:?}",
            c.choice
        );
        // Case inside a word may be the value's meaning: no exact goal, no template, and
        // never a near match for Mixed mode.
        let c = choose("how many lines contain timeout?", &lib, &policy(true)).unwrap();
        assert!(
            matches!(c.choice.decision, Decision::Learner { nearest: None }),
            "{:?}",
            c.choice
        );
    }

    #[test]
    fn a_template_that_binds_is_followed_without_a_near_search() {
        let lib = lib();
        let mut c = choose("count the words in a.txt", &lib, &policy(true)).unwrap();
        assert!(matches!(
            &c.choice.decision,
            Decision::Follower { id: 1, params, .. } if params["file"] == "a.txt"
        ));
        assert_eq!(lib.1.get(), 0);
        assert_eq!(c.take_entry().map(|e| e.0), Some(1));
    }

    #[test]
    fn the_policy_decides_mixed_mode_and_the_rating() {
        let lib = lib();
        let goal = "summarize the sales report of march";
        let c = choose(goal, &lib, &policy(true)).unwrap();
        assert!(
            matches!(c.choice.decision, Decision::Mixed { id: 2, .. }),
            "{:?}",
            c.choice
        );
        // `--mode follower`: no near search at all.
        let c = choose(goal, &lib, &policy(false)).unwrap();
        assert_eq!(c.choice.decision, Decision::Learner { nearest: None });
        assert_eq!(lib.1.get(), 1);
        // Over the threshold: the Learner, naming the nearest goal.
        let strict = Policy {
            near_threshold: 0.99,
            ..policy(true)
        };
        let c = choose(goal, &lib, &strict).unwrap();
        assert!(matches!(
            c.choice.decision,
            Decision::Learner {
                nearest: Some((2, _))
            }
        ));
        // A low-rated template is reached but not followed.
        let c = choose("count the lines in a.txt", &lib, &policy(false)).unwrap();
        assert_eq!(
            c.reach.low_rated.iter().map(|e| e.0).collect::<Vec<_>>(),
            [3]
        );
        assert!(matches!(c.choice.decision, Decision::Learner { .. }));
        assert_eq!(
            c.miss_reason(),
            "no stored goal template has the goal's words and shape"
        );
    }
}
