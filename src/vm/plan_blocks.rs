//! The blocks of a run's plan. Their shape was checked by the verifier (every block has
//! exactly one owner, owned blocks come after their owner's block, so ownership is a
//! tree; nesting is bounded; operands refer only to what the block can see), so running
//! one never reads out of range or recurses without end. What running a block needs: how often each op's value is read (the last reader takes
//! it), the block's effects, and whether a `for` body's iterations may overlap.

use crate::ir::{OpKind, Operand, Program};
use crate::types::{Effect, EffectSet};

/// What running a block needs.
#[derive(Debug, Clone)]
pub(crate) struct BlockPlan {
    /// For each op, how many times its value is read in the block (inputs of later ops
    /// and the block's value).
    pub uses: Vec<u32>,
    /// The effects of its ops, blocks within included.
    pub effects: EffectSet,
    /// A `for` body whose iterations may run at the same time: none of its effects is
    /// `write`, `exec` or `clock` (those keep element order).
    pub concurrent: bool,
}

/// Plans every block of `p` (verified: every block has exactly one owner, owned blocks
/// come after their owner's block, operands refer only to what a block can see);
/// `tool_effects` are the effects of each tool.
pub(super) fn plan_blocks(p: &Program, tool_effects: &[EffectSet]) -> Vec<BlockPlan> {
    let mut plans: Vec<BlockPlan> = p
        .blocks
        .iter()
        .map(|block| {
            let mut uses = vec![0_u32; block.ops.len()];
            let mut count = |o: Operand| {
                if let Operand::Op(d) = o
                    && let Some(u) = uses.get_mut(d.index())
                {
                    *u += 1;
                }
            };
            for op in &block.ops {
                op.for_each_input(&p.slots, &mut count);
            }
            count(block.result);
            BlockPlan {
                uses,
                effects: EffectSet::EMPTY,
                concurrent: false,
            }
        })
        .collect();
    // Effects bottom-up: owned blocks come after their owner's.
    for bi in (0..p.blocks.len()).rev() {
        let mut all = EffectSet::EMPTY;
        for op in &p.blocks[bi].ops {
            let e = match &op.kind {
                OpKind::Call { tool, .. } => {
                    tool_effects.get(tool.index()).copied().unwrap_or_default()
                }
                OpKind::Ask { .. } => EffectSet::single(Effect::Llm),
                _ => op
                    .blocks()
                    .iter()
                    .filter_map(|b| plans.get(b.index()))
                    .fold(EffectSet::EMPTY, |acc, bp| acc.union(bp.effects)),
            };
            all = all.union(e);
        }
        plans[bi].effects = all;
        plans[bi].concurrent = ![Effect::Write, Effect::Exec, Effect::Clock]
            .into_iter()
            .any(|e| all.contains(e));
    }
    plans
}
