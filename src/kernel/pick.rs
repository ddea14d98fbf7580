//! Which library entry a goal goes to: [`crate::dispatch::choose`] decides over the
//! entries the goal can reach in the library snapshot, read through its tables
//! ([`SnapshotReader`], behind the dispatcher's [`Library`] trait) so that a library of a
//! million programs costs a few reads:
//!
//! - **exact goal**: the entries filed under the goal's normalized text;
//! - **templates**: the entries filed under one of the goal's words (each template is
//!   filed under its rarest whole literal word, and every goal that matches it contains
//!   that word), plus the few templates with no literal word;
//! - **near match** (only when no template binds, and never in `--mode follower`): the
//!   whole library when it holds at most [`NEAR_SCAN_ALL`] entries; a larger one's
//!   [`NEAR_CANDIDATES`] entries that share the most (and rarest) words with the goal (a
//!   word counts for at most [`NEAR_POSTINGS`] entries: the first ones).
//!
//! The kernel carries the decision out; this file only reads the snapshot for it.

use indexmap::IndexMap;

use super::{BindingError, DEFAULT_NEAR_THRESHOLD, Kernel, MIN_RATING, Mode, Request};
use crate::db::{Damaged, LibraryEntry, SnapshotReader};
use crate::dispatch::semantic::word_keys;
use crate::dispatch::{BindError, Chosen, Decision, Entry, Library, Policy, param_specs};
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

/// The library snapshot as the dispatcher reads it.
pub(super) struct Snapshot<'a>(pub &'a SnapshotReader);

impl Entry for LibraryEntry {
    fn id(&self) -> u64 {
        self.id as u64
    }
    fn template(&self) -> &str {
        &self.goal_template
    }
    fn params(&self) -> &str {
        &self.params
    }
    fn rating(&self) -> f64 {
        self.success_rating
    }
}

impl Library for Snapshot<'_> {
    type Entry = LibraryEntry;
    type Error = Damaged;

    fn exact(&self, normalized: &str) -> Result<Vec<LibraryEntry>, Damaged> {
        let r = self.0;
        r.exact(normalized)?
            .into_iter()
            .map(|i| r.entry(i))
            .collect()
    }

    fn by_words(&self, words: &[String]) -> Result<Vec<LibraryEntry>, Damaged> {
        let r = self.0;
        let mut indices = r.catch_all()?;
        for w in words {
            indices.extend(r.keyed(w)?);
        }
        indices.sort_unstable();
        indices.dedup();
        indices.into_iter().map(|i| r.entry(i)).collect()
    }

    fn near(&self, goal: &str) -> Result<Vec<LibraryEntry>, Damaged> {
        let r = self.0;
        let indices: Vec<u32> = match r.len() <= NEAR_SCAN_ALL {
            true => (0..r.len() as u32).collect(),
            false => near_candidates(r, goal)?,
        };
        indices.into_iter().map(|i| r.entry(i)).collect()
    }
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

impl Kernel {
    /// What the library offers for this goal: a program to follow with its params, or a
    /// near one for Mixed mode, and why candidates were passed over.
    pub(super) fn pick(&self, req: &Request, r: &SnapshotReader) -> Result<Pick, Damaged> {
        let mut chosen = self.choose(req, r)?;
        let mut pick = Pick {
            target: None,
            notes: chosen
                .choice
                .refused
                .iter()
                .map(|(id, why)| refusal_note(*id, why))
                .collect(),
            miss: None,
        };
        let (params, mixed) = match &chosen.choice.decision {
            Decision::Follower { params, .. } => (params.clone(), false),
            Decision::Mixed { .. } => (IndexMap::new(), true),
            Decision::Learner { .. } => {
                pick.miss = Some(miss_event(&req.goal, &chosen));
                return Ok(pick);
            }
        };
        pick.target = chosen.take_entry().map(|entry| Target {
            entry,
            params,
            mixed,
        });
        Ok(pick)
    }

    /// [`crate::dispatch::choose`] over what the goal reaches in `r`, under this
    /// workspace's policy for `req`'s mode.
    pub(super) fn choose(
        &self,
        req: &Request,
        r: &SnapshotReader,
    ) -> Result<Chosen<LibraryEntry>, Damaged> {
        crate::dispatch::choose(&req.goal, &Snapshot(r), &self.policy(req.mode))
    }

    /// How goals are dispatched in `mode`: followed from [`MIN_RATING`], Mixed from the
    /// configured threshold, never Mixed in `--mode follower`.
    pub(super) fn policy(&self, mode: Mode) -> Policy {
        Policy {
            min_rating: MIN_RATING,
            near_threshold: self
                .config()
                .dispatch
                .near_threshold
                .map_or(DEFAULT_NEAR_THRESHOLD, |t| t as f32),
            mixed: mode != Mode::Follower,
        }
    }
}

/// The run log's `dispatch` event for a goal no stored program serves: the templates
/// passed over and why, and the nearest stored goal.
fn miss_event(goal: &str, chosen: &Chosen<LibraryEntry>) -> Value {
    let refused = &chosen.choice.refused;
    serde_json::json!({
        "event": "dispatch",
        "goal": goal,
        "decision": "miss",
        "reason": chosen.miss_reason(),
        "refused": refused
            .iter()
            .map(|(id, why)| serde_json::json!({ "trace": id, "why": why.to_string() }))
            .collect::<Vec<_>>(),
        "nearest": chosen.nearest.map(|(id, score)| serde_json::json!({
            "trace": id, "score": score, "threshold": chosen.threshold,
        })),
    })
}

/// The params an LLM bound in Mixed mode, checked against the shapes the program
/// learned (as if each value were written in the goal as the learned one was): a binding
/// that means more than the program does (`a.txt and b.txt` for one path) does not fit.
pub(super) fn check_shapes(
    params_json: &str,
    bound: IndexMap<String, Value>,
) -> Result<IndexMap<String, Value>, BindingError> {
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
        shape.check(as_written).map_err(|why| BindingError::Shape {
            name: name.clone(),
            takes: shape.describe(),
            why,
        })?;
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
