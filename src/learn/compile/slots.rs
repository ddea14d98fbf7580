//! `ask` slots: prose the LLM wrote that may depend on the input and that data flow
//! plus short glue does not explain. The prompt holds the goal and the latest results the
//! text may depend on, interpolated, so that a new binding sends the new data; the
//! recorded text is the cached answer for the recorded binding.

use super::flow::{Piece, Src};
use crate::learn::recording::RecStep;
use crate::syntax::ast::StrPart;
use crate::value::Value;

pub struct SlotPlan {
    pub name: String,
    /// The kept step it feeds.
    pub before_step: usize,
    pub prompt: Vec<Piece>,
    pub answer: Value,
}

/// What a slot's prompt is built from.
pub struct PromptCtx<'a> {
    pub goal: &'a [StrPart],
    pub param_names: &'a [String],
    pub kept: &'a [(usize, &'a RecStep)],
    /// Per kept step: whether its result depends on a param.
    pub depends: &'a [bool],
    /// Per kept step: the steps that use its result.
    pub used_by: &'a [Vec<usize>],
}

/// Most results a prompt carries (the latest ones nothing else used yet).
const MAX_PROMPT_RESULTS: usize = 3;

/// The prompt of a slot for argument `arg` of kept step `k`: the goal (every param shown:
/// prose can depend on a value it does not quote, as a title on a file's name), the call
/// it feeds and the latest results it may depend on.
pub fn prompt(ctx: &PromptCtx<'_>, k: usize, arg: &str) -> Vec<Piece> {
    let mut p = vec![Piece::Text(
        "You are doing one step of this task: ".to_owned(),
    )];
    for part in ctx.goal {
        match part {
            StrPart::Text(t) => p.push(Piece::Text(t.clone())),
            StrPart::Interp(i) => {
                if let Some(idx) = ctx.param_names.iter().position(|q| *q == i.root.name) {
                    p.push(Piece::Value(Src::Param(idx)));
                }
            }
        }
    }
    p.push(Piece::Text(format!(
        "\nWrite the `{arg}` argument of the tool `{}`.\n",
        ctx.kept[k].1.tool
    )));
    let leaves: Vec<usize> = (0..k)
        .filter(|&j| {
            ctx.depends[j]
                && ctx.kept[j].1.result.is_some()
                && ctx.used_by[j].iter().all(|&u| u >= k)
        })
        .collect();
    let recent = &leaves[leaves.len().saturating_sub(MAX_PROMPT_RESULTS)..];
    if !recent.is_empty() {
        p.push(Piece::Text(
            "Base it on these results of earlier steps:\n".to_owned(),
        ));
        for &j in recent {
            p.push(Piece::Text(format!("{}: ", ctx.kept[j].1.tool)));
            p.push(Piece::Value(Src::Step(j)));
            p.push(Piece::Text("\n".to_owned()));
        }
    }
    p.push(Piece::Text(
        "Reply with the text only: no introduction, no Markdown fences.".to_owned(),
    ));
    p
}
