//! Which library entry a goal goes to: the dispatcher's order ([`crate::dispatch::choose`])
//! over the entries the goal can reach in the library snapshot, read through its tables
//! ([`SnapshotReader`]) so that a library of a million programs costs a few reads:
//!
//! - **exact goal**: the entries filed under the goal's normalized text;
//! - **templates**: the entries filed under one of the goal's words (each template is
//!   filed under its rarest whole literal word, and every goal that matches it contains
//!   that word), plus the few templates with no literal word; each is kept only when all
//!   its literal words are in the goal, then matched and bound with shapes and types;
//! - **near match** (only when no template binds, and never in `--mode follower`): the
//!   similarity index over the rated library when it holds at most
//!   [`NEAR_SCAN_ALL`] entries; over a larger one, over the [`NEAR_CANDIDATES`] entries
//!   that share the most (and rarest) words with the goal (a word counts for at most
//!   [`NEAR_POSTINGS`] entries: the first ones).
//!
//! Entries rated under [`super::MIN_RATING`] are not followed.

use std::collections::BTreeMap;

use indexmap::IndexMap;

use super::{DEFAULT_NEAR_THRESHOLD, Kernel, MIN_RATING, Mode, Request};
use crate::db::{Damaged, LibraryEntry, SnapshotReader};
use crate::dispatch::semantic::{SemanticIndex, word_keys};
use crate::dispatch::template::{GoalTemplate, goal_words, normalize_goal};
use crate::dispatch::template_index::TemplateIndex;
use crate::dispatch::{BindError, Choice, Decision, ParamSpec, Shape, Similarity};
use crate::types::Type;
use crate::value::Value;

/// Up to this many entries, a near-match search scores the whole rated library.
pub const NEAR_SCAN_ALL: usize = 2_000;

/// Over a larger library, a near-match search scores this many entries: those sharing
/// the most goal words, rarer words counting more.
pub const NEAR_CANDIDATES: usize = 512;

/// A word that more entries have counts (toward choosing the near-match candidates)
/// only for the first this many of them: its weight is low, and reading and counting
/// all of a very common word's entries is most of a search's cost.
pub const NEAR_POSTINGS: usize = 16_384;

/// What [`Kernel::pick`] found.
pub(super) struct Pick {
    pub target: Option<Target>,
    pub notes: Vec<String>,
    /// Why nothing was picked, for the run log: a `dispatch` event.
    pub miss: Option<Value>,
}

/// A library entry to run, with the params the goal binds (none yet in Mixed mode).
pub(super) struct Target {
    pub entry: LibraryEntry,
    pub params: IndexMap<String, Value>,
    pub mixed: bool,
}

/// The entries a goal can reach, read from the snapshot.
pub(super) struct Reach {
    /// Rated entries, by trace id.
    pub entries: BTreeMap<u64, LibraryEntry>,
    /// Their templates whose literal words are all in the goal.
    pub templates: TemplateIndex,
    pub exact: Option<u64>,
    /// Entries the goal reaches that are rated too low to follow.
    pub low_rated: Vec<LibraryEntry>,
}

impl Reach {
    /// Reads what `goal` can reach in `r`.
    pub fn of(r: &SnapshotReader, goal: &str) -> Result<Reach, Damaged> {
        let mut reach = Reach {
            entries: BTreeMap::new(),
            templates: TemplateIndex::new(),
            exact: None,
            low_rated: Vec::new(),
        };
        let normalized = normalize_goal(goal);
        for i in r.exact(&normalized)? {
            let e = r.entry(i)?;
            let Ok(t) = GoalTemplate::parse(&e.goal_template) else {
                continue;
            };
            let same = t.placeholders().is_empty()
                && normalize_goal(&t.render(&IndexMap::new())) == normalized;
            if same && e.success_rating >= MIN_RATING && reach.exact.is_none() {
                reach.exact = Some(e.id as u64);
                reach.entries.insert(e.id as u64, e);
            }
        }
        let words = goal_words(goal);
        let mut indices = r.catch_all()?;
        for w in &words {
            indices.extend(r.keyed(w)?);
        }
        indices.sort_unstable();
        indices.dedup();
        for i in indices {
            let e = r.entry(i)?;
            let Ok(t) = GoalTemplate::parse(&e.goal_template) else {
                continue;
            };
            if !t
                .literal_words()
                .iter()
                .all(|w| words.binary_search(w).is_ok())
            {
                continue;
            }
            if e.success_rating < MIN_RATING {
                reach.low_rated.push(e);
                continue;
            }
            reach.templates.insert(e.id as u64, t);
            reach.entries.insert(e.id as u64, e);
        }
        Ok(reach)
    }

    /// The param specs of entry `id`.
    pub fn specs(&self, id: u64) -> Option<IndexMap<String, ParamSpec>> {
        let params: Value = serde_json::from_str(&self.entries.get(&id)?.params).ok()?;
        Some(param_specs(&params))
    }
}

/// The similarity index a near-match search uses for `goal` (see the module doc), with
/// the entries it holds.
pub(super) fn near_index(
    r: &SnapshotReader,
    goal: &str,
) -> Result<(SemanticIndex, BTreeMap<u64, LibraryEntry>), Damaged> {
    let indices: Vec<u32> = match r.len() <= NEAR_SCAN_ALL {
        true => (0..r.len() as u32).collect(),
        false => near_candidates(r, goal)?,
    };
    let mut index = SemanticIndex::new();
    let mut entries = BTreeMap::new();
    for i in indices {
        let e = r.entry(i)?;
        if e.success_rating >= MIN_RATING {
            index.add(e.id as u64, &e.goal_template);
            entries.insert(e.id as u64, e);
        }
    }
    index.prepare();
    Ok((index, entries))
}

/// The entries that share the most goal words, each word weighted by its rarity.
fn near_candidates(r: &SnapshotReader, goal: &str) -> Result<Vec<u32>, Damaged> {
    let n = r.len();
    let mut score = vec![0f32; n];
    let mut touched = Vec::new();
    for key in word_keys(goal) {
        let (df, list) = r.near(key, NEAR_POSTINGS)?;
        if df * 2 > n {
            continue; // in most of the library: says little
        }
        let idf = 1.0 + ((n as f32 + 1.0) / (df as f32 + 1.0)).ln();
        for i in list {
            if let Some(s) = score.get_mut(i as usize) {
                if *s == 0.0 {
                    touched.push(i);
                }
                *s += idf;
            }
        }
    }
    let order = |a: &u32, b: &u32| {
        score[*b as usize]
            .total_cmp(&score[*a as usize])
            .then(a.cmp(b))
    };
    if touched.len() > NEAR_CANDIDATES {
        touched.select_nth_unstable_by(NEAR_CANDIDATES - 1, order);
        touched.truncate(NEAR_CANDIDATES);
    }
    touched.sort_unstable();
    Ok(touched)
}

/// What [`Kernel::choose`] decided, with what it read to decide.
pub(super) struct Chosen {
    pub choice: Choice,
    pub reach: Reach,
    /// The entries the near-match search read, if it ran.
    pub near: BTreeMap<u64, LibraryEntry>,
    /// The best near match, if the search ran.
    pub nearest: Option<(u64, f32)>,
}

impl Kernel {
    /// What the library offers for this goal: a program to follow with its params, or a
    /// near one for Mixed mode, and why candidates were passed over.
    pub(super) fn pick(&self, req: &Request, r: &SnapshotReader) -> Result<Pick, Damaged> {
        let Chosen {
            choice,
            mut reach,
            mut near,
            nearest,
        } = self.choose(req, r)?;
        let mut pick = Pick {
            target: None,
            notes: choice
                .refused
                .iter()
                .map(|(id, why)| refusal_note(*id, why))
                .collect(),
            miss: None,
        };
        let threshold = self.near_threshold();
        let (id, params, mixed) = match choice.decision {
            Decision::Follower { id, params, .. } => (id, params, false),
            Decision::Mixed { id, score }
            | Decision::Learner {
                nearest: Some((id, score)),
            } if score >= threshold && req.mode != Mode::Follower => (id, IndexMap::new(), true),
            _ => {
                pick.miss = Some(miss_event(&req.goal, &choice.refused, nearest, threshold));
                return Ok(pick);
            }
        };
        let entry = reach.entries.remove(&id).or_else(|| near.remove(&id));
        pick.target = entry.map(|entry| Target {
            entry,
            params,
            mixed,
        });
        Ok(pick)
    }

    /// [`crate::dispatch::choose`] over what the goal reaches in `r`.
    pub(super) fn choose(&self, req: &Request, r: &SnapshotReader) -> Result<Chosen, Damaged> {
        let reach = Reach::of(r, &req.goal)?;
        let damaged = std::cell::Cell::new(false);
        let near: std::cell::OnceCell<(SemanticIndex, BTreeMap<u64, LibraryEntry>)> =
            std::cell::OnceCell::new();
        let choice = {
            let specs = |id: u64| reach.specs(id);
            let mut similar = || {
                &near
                    .get_or_init(|| match req.mode {
                        // Follower mode never goes to Mixed: no need to look.
                        Mode::Follower => Default::default(),
                        _ => near_index(r, &req.goal).unwrap_or_else(|_| {
                            damaged.set(true);
                            Default::default()
                        }),
                    })
                    .0 as &dyn Similarity
            };
            crate::dispatch::choose(
                &req.goal,
                reach.exact,
                &reach.templates,
                &specs,
                &mut similar,
            )
        };
        if damaged.get() {
            return Err(Damaged);
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
        })
    }

    /// The score from which a near match goes to Mixed mode.
    pub(super) fn near_threshold(&self) -> f32 {
        self.config()
            .dispatch
            .near_threshold
            .map_or(DEFAULT_NEAR_THRESHOLD, |t| t as f32)
    }
}

/// The run log's `dispatch` event for a goal no stored program serves: the templates
/// passed over and why, and the nearest stored goal.
fn miss_event(
    goal: &str,
    refused: &[(u64, BindError)],
    nearest: Option<(u64, f32)>,
    threshold: f32,
) -> Value {
    let reason = match refused.first() {
        Some((id, why)) => format!("trace {id} was passed over: {why}"),
        None => "no stored goal template has the goal's words and shape".to_owned(),
    };
    serde_json::json!({
        "event": "dispatch",
        "goal": goal,
        "decision": "miss",
        "reason": reason,
        "refused": refused
            .iter()
            .map(|(id, why)| serde_json::json!({ "trace": id, "why": why.to_string() }))
            .collect::<Vec<_>>(),
        "nearest": nearest.map(|(id, score)| serde_json::json!({
            "trace": id, "score": score, "threshold": threshold,
        })),
    })
}

/// The params an LLM bound in Mixed mode, checked against the shapes the program
/// learned (as if each value were written in the goal as the learned one was): a binding
/// that means more than the program does (`a.txt and b.txt` for one path) does not fit.
pub(super) fn check_shapes(
    params_json: &str,
    bound: IndexMap<String, Value>,
) -> Result<IndexMap<String, Value>, String> {
    let specs = serde_json::from_str::<Value>(params_json)
        .map(|v| param_specs(&v))
        .unwrap_or_default();
    for (name, value) in &bound {
        let Some(shape) = specs.get(name).and_then(|s| s.shape) else {
            continue;
        };
        let text = crate::value::to_text(value);
        let as_written = crate::dispatch::shape::Bound {
            text: &text,
            quoted: shape.quoted,
        };
        shape
            .check(as_written)
            .map_err(|why| format!("`{name}` takes {}: {why}", shape.describe()))?;
    }
    Ok(bound)
}

/// The note for a template passed over.
pub(super) fn refusal_note(id: u64, why: &BindError) -> String {
    match why {
        BindError::Shape { .. } => {
            format!("note: trace {id} matches the goal's words but not its value shapes: {why}")
        }
        _ => format!("note: trace {id} matches the goal's shape but not its types: {why}"),
    }
}

/// Param types and shapes from a library entry's `params` (`{"params": [{"name",
/// "type", "shape"}, ...]}`; `shape` only for a learned program). A shape that does not
/// parse makes the param unbindable (a goal then misses), never looser.
pub(super) fn param_specs(v: &Value) -> IndexMap<String, ParamSpec> {
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
