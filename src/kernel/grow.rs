//! Growing a stored program a branch: after a followed run stopped at a failed `expect`
//! and the Learner solved the goal, the new program is merged into the stored one at
//! that guard (`learn::grow`).

use super::Kernel;
use super::learn::StoppedAt;
use crate::learn::compile::Compiled;
use crate::learn::grow::GrowError;

/// What becomes of the program a run stopped in.
pub enum Grown {
    /// The new program merged into it at the guard.
    Merged(Box<Compiled>),
    /// Both serve the same exact goal only and the old one no longer applies (its world
    /// changed): the new one replaces it.
    Replaced,
}

/// The merged program, or why the new program stays a separate entry.
pub fn grow(k: &Kernel, at: &StoppedAt, child: &Compiled) -> Result<Grown, GrowError> {
    let params: serde_json::Value =
        serde_json::from_str(&at.params).map_err(|e| GrowError::BadParams(e.to_string()))?;
    let literal = params.get("generalized") == Some(&serde_json::Value::Bool(false));
    if literal && !child.generalized && same_goal(k, at, child) {
        return Ok(Grown::Replaced);
    }
    if !child.generalized {
        return Err(GrowError::NotGeneralized);
    }
    if literal {
        return Err(GrowError::ExactGoalOnly);
    }
    let id: crate::store::ObjectId = at
        .program_id
        .parse()
        .map_err(|e| GrowError::Store(format!("stored program {}: {e}", at.program_id)))?;
    let store = |e: crate::store::StoreError| GrowError::Store(e.to_string());
    let Some((_, source)) = k.store.get_source(&id).map_err(store)? else {
        return Err(GrowError::NoSource(id.to_string()));
    };
    let shapes: Vec<(String, Option<crate::dispatch::Shape>)> =
        crate::dispatch::param_specs(&params)
            .into_iter()
            .map(|(name, spec)| (name, spec.shape))
            .collect();
    let parent = crate::learn::grow::Parent {
        source: &source,
        failed_step: at.step,
        shapes: &shapes,
    };
    crate::learn::grow::merge(&parent, child, &k.tools).map(|c| Grown::Merged(Box::new(c)))
}

/// Whether the stored program's goal is the new program's.
fn same_goal(k: &Kernel, at: &StoppedAt, child: &Compiled) -> bool {
    let Ok(id) = at.program_id.parse::<crate::store::ObjectId>() else {
        return false;
    };
    k.load(&id)
        .is_ok_and(|old| old.goal.is_some() && old.goal == child.program.goal)
}
