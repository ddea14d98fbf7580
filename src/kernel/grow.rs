//! Growing a stored program a branch: after a followed run stopped at a failed `expect`
//! and the Learner solved the goal, the new program is merged into the stored one at
//! that guard (`learn::grow`).

use super::Kernel;
use super::learn::StoppedAt;
use crate::learn::compile::Compiled;

/// The merged program, or why the new program stays a separate entry.
pub fn grow(k: &Kernel, at: &StoppedAt, child: &Compiled) -> Result<Compiled, String> {
    if !child.generalized {
        return Err("the new recording could not be generalized".to_owned());
    }
    let id: crate::store::ObjectId = at
        .program_id
        .parse()
        .map_err(|e| format!("stored program {}: {e}", at.program_id))?;
    let Some((_, source)) = k.store.get_source(&id).map_err(|e| e.to_string())? else {
        return Err(format!("the store has no source of program {id}"));
    };
    let params: serde_json::Value = serde_json::from_str(&at.params)
        .map_err(|e| format!("the library entry's params are not JSON: {e}"))?;
    if params.get("generalized") == Some(&serde_json::Value::Bool(false)) {
        return Err("the stored program serves its exact goal only".to_owned());
    }
    let shapes: Vec<(String, Option<crate::dispatch::Shape>)> = super::pick::param_specs(&params)
        .into_iter()
        .map(|(name, spec)| (name, spec.shape))
        .collect();
    let parent = crate::learn::grow::Parent {
        source: &source,
        failed_step: at.step,
        shapes: &shapes,
    };
    crate::learn::grow::merge(&parent, child, &k.tools)
}
