//! Goal dispatch: which stored program, if any, answers a goal, and in which mode.
//!
//! `llmos run "GOAL" --mode auto` tries, in this order:
//! 1. **Exact goal.** The goal, normalized by [`normalize_goal`] (trimmed, white space
//!    collapsed, lower-cased), equals a stored goal: Follower mode, the program's own
//!    defaults (a learned program's params default to the values of its recording).
//! 2. **Template match.** The goal has the shape of a stored `goal "TEMPLATE"`
//!    ([`TemplateIndex::find_matches`], rules in [`template`]) and every bound value has
//!    its param's shape ([`shape`]: one token, a path, an int, ... as the value the
//!    program was learned from) and converts to its declared type
//!    ([`GoalTemplate::bind`]): Follower mode with those params. Matches are tried most
//!    specific first; a match whose values do not fit is passed over.
//! 3. **Near match.** The most similar stored goal ([`Similarity::query`]) scores at least
//!    the Mixed threshold ([`DEFAULT_MIXED_THRESHOLD`] for [`SemanticIndex`]): Mixed mode,
//!    where one short LLM call binds that program's params from the goal. A program whose
//!    template the goal matched but whose values mean more than it learned (step 2:
//!    several words or quoted values where it took one token) is never a near match.
//!    A value of another form (`ten` for an int) may still be bound by Mixed mode.
//! 4. Otherwise **Learner** mode.
//!
//! [`choose`] decides, once, over a [`Library`] (the entries a goal's words reach, read
//! through a trait so that a snapshot of a million entries costs a few reads) under a
//! [`Policy`] (the rating to follow from, the Mixed threshold, whether Mixed mode is
//! allowed): it builds the template and similarity indexes it needs and returns the
//! decision with what it read. [`choose_in`] is the same order over in-memory indexes.
//! Running the program is the caller's.
//!
//! Everything here is deterministic: equal scores and equally specific templates are
//! ordered by id, and no hash-map order reaches a result.

pub mod library;
pub mod mismatch;
pub mod semantic;
pub(crate) mod shape;
pub mod template;
pub mod template_index;

use indexmap::IndexMap;

use crate::value::Value;

pub use library::{Chosen, Entry, Library, Policy, Reach, choose, param_specs};
pub use mismatch::{ShapeMismatch, TypeMismatch};
pub use semantic::{DEFAULT_MIXED_THRESHOLD, SemanticIndex, Similarity};
pub use shape::{Shape, ShapeKind};
pub use template::{
    BindError, BindReport, GoalTemplate, ParamSpec, Segment, TemplateError, ValueCheck, goal_words,
    normalize_goal,
};
pub use template_index::TemplateIndex;

/// What [`choose`] decided for a goal. Ids are the ids the indexes were filled with.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Run `id` in Follower mode with `params` (those bound from the goal; empty for an
    /// exact goal).
    Follower {
        id: u64,
        params: IndexMap<String, Value>,
        via: Via,
    },
    /// Run `id` in Mixed mode: one LLM call binds its params from the goal.
    Mixed { id: u64, score: f32 },
    /// No stored program fits: Learner mode. `nearest` is the best near match, under the
    /// threshold, if any (for messages).
    Learner { nearest: Option<(u64, f32)> },
}

/// How a Follower decision was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    ExactGoal,
    Template,
}

/// A decision, with the template matches passed over because a value did not fit its
/// shape or type (so the caller can say why a goal that looked right went elsewhere).
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub decision: Decision,
    pub refused: Vec<(u64, BindError)>,
}

/// The `--mode auto` order (see the module doc) over in-memory indexes.
///
/// - `exact`: the id stored under [`normalize_goal`]`(goal)`, if any.
/// - `templates`: goal templates by id; `param_specs(id)` gives that template's param
///   types and shapes (`None`: the id is unknown and is passed over).
/// - `similar`: gives the similarity search over the stored goals (with its own
///   [`Similarity::mixed_threshold`]); called only when no template matches, since
///   building it over a large library costs far more than matching templates.
pub fn choose_in<'s>(
    goal: &str,
    exact: Option<u64>,
    templates: &TemplateIndex,
    param_specs: &dyn Fn(u64) -> Option<IndexMap<String, ParamSpec>>,
    similar: &mut dyn FnMut() -> &'s dyn Similarity,
) -> Choice {
    decide(goal, exact, templates, param_specs, similar, None)
}

/// [`choose_in`] with the Mixed threshold given (`None`: the similarity's own).
fn decide<'s>(
    goal: &str,
    exact: Option<u64>,
    templates: &TemplateIndex,
    param_specs: &dyn Fn(u64) -> Option<IndexMap<String, ParamSpec>>,
    similar: &mut dyn FnMut() -> &'s dyn Similarity,
    threshold: Option<f32>,
) -> Choice {
    let mut refused = Vec::new();
    if let Some(id) = exact {
        let decision = Decision::Follower {
            id,
            params: IndexMap::new(),
            via: Via::ExactGoal,
        };
        return Choice { decision, refused };
    }
    for (id, _) in templates.find_matches(goal) {
        let (Some(template), Some(specs)) = (templates.get(id), param_specs(id)) else {
            continue;
        };
        match template.bind(goal, &specs) {
            Ok(params) => {
                let decision = Decision::Follower {
                    id,
                    params,
                    via: Via::Template,
                };
                return Choice { decision, refused };
            }
            Err(e) => refused.push((id, e)),
        }
    }
    // A program whose template the goal matched but whose values mean more than the
    // values it learned (several words where it took one) does not fit the goal: it is
    // no near match either (Mixed mode would bind it anyway).
    let similar = similar();
    let nearest = similar
        .query(goal, refused.len() + 1)
        .into_iter()
        .find(|(id, _)| !refused.iter().any(|(r, why)| r == id && why.means_more()));
    let threshold = threshold.unwrap_or_else(|| similar.mixed_threshold());
    let decision = match nearest {
        Some((id, score)) if score >= threshold => Decision::Mixed { id, score },
        _ => Decision::Learner { nearest },
    };
    Choice { decision, refused }
}
