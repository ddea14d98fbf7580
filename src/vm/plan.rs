//! The plan of a run, computed once before the first op from a [`Verified`] program (so
//! nothing here checks its shape again): its tools linked through the [`ToolTable`]
//! (with the signatures it was compiled for), and the tables
//! the scheduler needs: how many ops each op waits for, who waits for it, and how many
//! times its value is read (so the last reader can take it instead of copying it).

use std::sync::Arc;

use super::error::{RunError, RunErrorKind};
use super::plan_blocks::{BlockPlan, plan_blocks};
use crate::bytecode::Verified;
use crate::ir::{BlockId, OpId, OpKind, Operand, Program};
use crate::tools::{Tool, ToolTable};
use crate::types::{Effect, EffectSet};

/// A checked and linked program.
pub(crate) struct Plan<'p> {
    pub program: &'p Program,
    /// The implementation of each of the program's tools, by `ToolId`.
    pub tools: Vec<Arc<dyn Tool>>,
    /// The declared effects of each tool, by `ToolId` (from the table's declarations,
    /// which the signature hash ties to the program).
    pub effects: Vec<EffectSet>,
    /// For each op, how many dependency edges it has (a repeated input counts each time).
    pub waits: Vec<u32>,
    /// Successor lists in one table: the ops waiting for op `i` are
    /// `succ[succ_start[i]..succ_start[i + 1]]`.
    pub succ_start: Vec<u32>,
    pub succ: Vec<OpId>,
    /// For each op, how many times its value is read (inputs and the output).
    pub uses: Vec<u32>,
    /// The ops that call a tool, resolve a slot or run blocks, in order: the ones with
    /// step events.
    pub tool_ops: Arc<[OpId]>,
    /// What the runner of blocks needs of each block (`plan_blocks.rs`).
    pub blocks: Vec<BlockPlan>,
}

impl<'p> Plan<'p> {
    /// Links `program` against `table` and computes the tables. The program's shape was
    /// checked by the verifier (its type says so): every operand and effect edge refers to
    /// an earlier op, every tool, slot, block and text constant exists, blocks form a
    /// tree. The signature hashes tie the linked declarations to the verified ones.
    pub fn new(program: &'p Verified, table: &ToolTable) -> Result<Plan<'p>, RunError> {
        let program: &'p Program = program;
        let linked = table
            .link(&program.tools)
            .map_err(|e| RunError::new(RunErrorKind::Link, e.message))?;
        let tools: Vec<Arc<dyn Tool>> = linked.iter().map(|e| Arc::clone(&e.imp)).collect();
        let effects: Vec<EffectSet> = linked.iter().map(|e| e.decl.effects).collect();
        let n = program.ops.len();
        let mut waits = vec![0_u32; n];
        let mut uses = vec![0_u32; n];
        let mut edges: Vec<(OpId, OpId)> = Vec::with_capacity(n * 2);
        let mut tool_ops = Vec::new();
        for (i, op) in program.ops.iter().enumerate() {
            let id = OpId(i as u32);
            if matches!(op.kind, OpKind::Call { .. } | OpKind::Ask { .. })
                || !op.blocks().is_empty()
            {
                tool_ops.push(id);
            }
            op.for_each_input(&program.slots, |o| {
                if let Operand::Op(d) = o {
                    // Verified: `d < id < n`, so the index is in range.
                    edges.push((d, id));
                    uses[d.index()] += 1;
                    waits[i] += 1;
                }
            });
            for &d in &op.after {
                edges.push((d, id));
                waits[i] += 1;
            }
        }
        if let Some(Operand::Op(d)) = program.output {
            uses[d.index()] += 1;
        }
        // Successor lists, grouped by predecessor (counting sort keeps them in op order).
        // Every edge's `d` is below `n`, and `fill[d]` stays below `succ_start[d + 1]`,
        // so the indexing below is in range.
        let mut succ_start = vec![0_u32; n + 1];
        for &(d, _) in &edges {
            succ_start[d.index() + 1] += 1;
        }
        for i in 0..n {
            succ_start[i + 1] += succ_start[i];
        }
        let blocks = plan_blocks(program, &effects);
        let mut fill = succ_start.clone();
        let mut succ = vec![OpId(0); edges.len()];
        for &(d, to) in &edges {
            let at = &mut fill[d.index()];
            succ[*at as usize] = to;
            *at += 1;
        }
        Ok(Plan {
            program,
            tools,
            effects,
            waits,
            succ_start,
            succ,
            uses,
            tool_ops: tool_ops.into(),
            blocks,
        })
    }

    /// The ops waiting for op `op`.
    pub fn successors(&self, op: OpId) -> &[OpId] {
        let i = op.index();
        match (self.succ_start.get(i), self.succ_start.get(i + 1)) {
            (Some(&a), Some(&b)) => self.succ.get(a as usize..b as usize).unwrap_or_default(),
            _ => &[],
        }
    }

    /// The effects of op `op`: its tool's, `llm` for a slot, none otherwise.
    pub fn op_effects(&self, op: OpId) -> EffectSet {
        match self.program.ops.get(op.index()).map(|o| &o.kind) {
            Some(OpKind::Call { tool, .. }) => {
                self.effects.get(tool.index()).copied().unwrap_or_default()
            }
            Some(OpKind::Ask { .. }) => EffectSet::single(Effect::Llm),
            Some(op @ (OpKind::For { .. } | OpKind::If { .. } | OpKind::Logic { .. })) => {
                self.owned_effects(op)
            }
            _ => EffectSet::EMPTY,
        }
    }

    /// The effects of the blocks an op owns.
    pub fn owned_effects(&self, kind: &OpKind) -> EffectSet {
        let blocks: &[BlockId] = match kind {
            OpKind::For { body, .. } => std::slice::from_ref(body),
            OpKind::If { then, .. } => std::slice::from_ref(then),
            OpKind::Logic { rest, .. } => rest,
            _ => &[],
        };
        let mut all = EffectSet::EMPTY;
        let extra = match kind {
            OpKind::If {
                otherwise: Some(o), ..
            } => Some(*o),
            _ => None,
        };
        for b in blocks.iter().copied().chain(extra) {
            if let Some(bp) = self.blocks.get(b.index()) {
                all = all.union(bp.effects);
            }
        }
        all
    }

    /// The tool name of op `op` for events and messages: the tool, `ask`, or the kind
    /// of inline op.
    pub fn op_tool(&self, op: OpId) -> &'static str {
        match self.program.ops.get(op.index()).map(|o| &o.kind) {
            Some(OpKind::Call { tool, .. }) => {
                self.tools.get(tool.index()).map_or("?", |t| t.name())
            }
            Some(OpKind::Ask { .. }) => "ask",
            Some(OpKind::Template { .. }) => "template",
            Some(OpKind::List { .. }) => "list",
            Some(OpKind::Object { .. }) => "object",
            Some(OpKind::Field { .. }) => "field",
            Some(OpKind::Index { .. }) => "index",
            Some(OpKind::Check { .. }) => "check",
            Some(OpKind::For { .. }) => "for",
            Some(OpKind::If { .. }) => "if",
            Some(OpKind::Logic { op, .. }) => op.as_str(),
            Some(OpKind::Compare { .. }) => "compare",
            Some(OpKind::Not { .. }) => "not",
            Some(OpKind::Expect { .. }) => "expect",
            None => "?",
        }
    }
}
