//! The blocks of a run's plan. Each block's shape is checked before the first op runs,
//! so that running it never reads out of range or recurses without end: every block has
//! exactly one owner, owned blocks come after their owner's block (so ownership is a
//! tree), nesting is bounded, and operands refer only to what the block can see. Then
//! what running a block needs: how often each op's value is read (the last reader takes
//! it), the block's effects, and whether a `for` body's iterations may overlap.

use super::error::RunError;
use super::plan::{kind_ok, malformed};
use crate::bytecode::format::MAX_BLOCK_DEPTH;
use crate::ir::{Op, OpKind, Operand, Program};
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

/// Who owns a block: how many captures it has, whether it is a `for` body, how deep.
#[derive(Clone, Copy)]
struct Owner {
    captures: usize,
    is_for: bool,
    depth: usize,
}

/// Checks every block of `p` and plans it; `arity` and `tool_effects` are the number of
/// parameters and the effects of each tool.
pub(super) fn plan_blocks(
    p: &Program,
    arity: &[usize],
    tool_effects: &[EffectSet],
) -> Result<Vec<BlockPlan>, RunError> {
    let n = p.blocks.len();
    let mut owners: Vec<Option<Owner>> = vec![None; n];
    for op in &p.ops {
        own(&mut owners, None, 0, op)?;
    }
    let mut plans = Vec::with_capacity(n);
    for (bi, block) in p.blocks.iter().enumerate() {
        let Some(owner) = owners[bi] else {
            return Err(malformed(format!("block ^{bi} belongs to no op")));
        };
        let mut uses = vec![0_u32; block.ops.len()];
        let mut count = |o: Operand, before: usize| -> Result<(), RunError> {
            let ok = match o {
                Operand::Const(c) => (c as usize) < p.consts.len(),
                Operand::Param(_) => false,
                Operand::Op(d) => (d as usize) < before,
                Operand::Local(i) => (i as usize) < owner.captures,
                Operand::Elem => owner.is_for,
            };
            if !ok {
                return Err(malformed(format!(
                    "an op of block ^{bi} reads {o:?}, which it cannot see"
                )));
            }
            if let Operand::Op(d) = o {
                uses[d as usize] += 1;
            }
            Ok(())
        };
        for (i, op) in block.ops.iter().enumerate() {
            if !kind_ok(p, op, arity) || op.step as usize > block.steps.len() {
                return Err(malformed(format!(
                    "op {i} of block ^{bi} refers to something that does not exist"
                )));
            }
            let mut bad = None;
            op.for_each_input(&p.slots, |o| {
                if bad.is_none() {
                    bad = count(o, i).err();
                }
            });
            if let Some(e) = bad {
                return Err(e);
            }
            own(&mut owners, Some(bi), owner.depth, op)?;
        }
        count(block.result, block.ops.len())?;
        plans.push(BlockPlan {
            uses,
            effects: EffectSet::EMPTY,
            concurrent: false,
        });
    }
    // Effects bottom-up: owned blocks come after their owner's.
    for bi in (0..n).rev() {
        let mut all = EffectSet::EMPTY;
        for op in &p.blocks[bi].ops {
            let e = match &op.kind {
                OpKind::Call { tool, .. } => tool_effects
                    .get(*tool as usize)
                    .copied()
                    .unwrap_or_default(),
                OpKind::Ask { .. } => EffectSet::single(Effect::Llm),
                _ => op
                    .blocks()
                    .iter()
                    .filter_map(|b| plans.get(*b as usize))
                    .fold(EffectSet::EMPTY, |acc, bp| acc.union(bp.effects)),
            };
            all = all.union(e);
        }
        plans[bi].effects = all;
        plans[bi].concurrent = ![Effect::Write, Effect::Exec, Effect::Clock]
            .into_iter()
            .any(|e| all.contains(e));
    }
    Ok(plans)
}

/// Records `op` (of block `scope`, or of the program) as the owner of its blocks.
fn own(
    owners: &mut [Option<Owner>],
    scope: Option<usize>,
    depth: usize,
    op: &Op,
) -> Result<(), RunError> {
    for b in op.blocks() {
        let b = b as usize;
        if b >= owners.len() || scope.is_some_and(|s| b <= s) {
            return Err(malformed(format!(
                "block ^{b} is out of range or comes before its owner"
            )));
        }
        if owners[b].is_some() {
            return Err(malformed(format!("block ^{b} has two owners")));
        }
        if depth + 1 > MAX_BLOCK_DEPTH {
            return Err(malformed(format!(
                "blocks nest more than {MAX_BLOCK_DEPTH} deep"
            )));
        }
        owners[b] = Some(Owner {
            captures: op.captures().len(),
            is_for: matches!(op.kind, OpKind::For { .. }),
            depth: depth + 1,
        });
    }
    Ok(())
}
