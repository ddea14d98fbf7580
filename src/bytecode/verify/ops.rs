//! The checks of op tables, the program's and each block's: operands in range and
//! earlier, each kind's operands and type (`kinds.rs`), slots asked once in order, blocks
//! owned once in order, and effect edges that keep the workspace order and the guards.

use super::{Verifier, check_type, err};
use crate::bytecode::error::{Site, VerifyError};
use crate::bytecode::format::MAX_BLOCK_DEPTH;
use crate::ir::effects::EffectOrder;
use crate::ir::{ConstId, Op, OpId, Operand, Step};
use crate::stdlib::ToolDecl;
use crate::types::{EffectSet, Type};
use crate::value::Value;

/// One op table being checked: the program's, or a block's.
pub(super) struct Scope<'s> {
    pub ops: &'s [Op],
    pub steps: &'s [Step],
    /// The block, or `None` for the program.
    pub block: Option<u32>,
    /// The types of `Local(i)`: the captures of the op owning the block.
    pub locals: Vec<Type>,
    /// The type of `Elem`, in a `for` body.
    pub elem: Option<Type>,
    /// How many blocks enclose it.
    pub depth: usize,
}

impl Scope<'_> {
    pub fn site(&self, op: usize) -> Site {
        match self.block {
            None => Site::Op(op as u32),
            Some(b) => Site::BlockOp(b, op as u32),
        }
    }
}

/// What a walk of the program has met so far: slots and blocks are numbered in the order
/// the walk meets them.
#[derive(Default)]
pub(super) struct Walk {
    pub next_slot: usize,
    pub next_block: u32,
}

impl Verifier<'_> {
    /// A constant that must be a string (template text, object key, field name).
    pub(super) fn text_const(&self, site: Site, c: ConstId) -> Result<(), VerifyError> {
        match self.p.consts.get(c.index()) {
            Some(Value::String(_)) => Ok(()),
            Some(other) => Err(err(
                site,
                format!(
                    "c{c} is used as text but is a {}",
                    crate::value::kind_of(other)
                ),
            )),
            None => Err(err(
                site,
                format!("c{c} is out of range ({} constants)", self.p.consts.len()),
            )),
        }
    }

    /// An operand valid in `scope`; an op operand only to an op before `before`.
    pub(super) fn operand(
        &self,
        scope: &Scope<'_>,
        site: Site,
        o: Operand,
        before: usize,
    ) -> Result<(), VerifyError> {
        let (ok, what, len) = match o {
            Operand::Const(c) => (
                c.index() < self.p.consts.len(),
                "constant",
                self.p.consts.len(),
            ),
            Operand::Param(q) if scope.block.is_some() => {
                return Err(err(
                    site,
                    format!("a block reads param ${q} directly (blocks capture what they read)"),
                ));
            }
            Operand::Param(q) => (
                q.index() < self.p.params.len(),
                "param",
                self.p.params.len(),
            ),
            Operand::Op(i) => (i.index() < before, "op", before),
            Operand::Local(i) => (
                (i as usize) < scope.locals.len(),
                "capture",
                scope.locals.len(),
            ),
            Operand::Elem => {
                if scope.elem.is_some() {
                    return Ok(());
                }
                return Err(err(site, "`elem` is used outside a `for` body"));
            }
        };
        if ok {
            return Ok(());
        }
        Err(err(
            site,
            match o {
                Operand::Op(i) => format!(
                    "operand %{i} does not refer to an earlier op (only %0..%{} may be used here)",
                    before.saturating_sub(1)
                ),
                Operand::Const(c) => format!("operand c{c} is out of range ({len} {what}s)"),
                Operand::Param(q) => format!("operand ${q} is out of range ({len} {what}s)"),
                Operand::Local(i) => format!("operand &{i} is out of range ({len} {what}s)"),
                Operand::Elem => String::new(),
            },
        ))
    }

    /// The static type of an operand valid in `scope`: [`Program::operand_type`], with a
    /// block's own ops, captures and element.
    ///
    /// [`Program::operand_type`]: crate::ir::Program::operand_type
    pub(super) fn operand_type(&self, scope: &Scope<'_>, o: Operand) -> Type {
        match o {
            Operand::Const(_) | Operand::Param(_) => self.p.operand_type(o),
            Operand::Op(i) => scope
                .ops
                .get(i.index())
                .map_or(Type::Json, |op| op.ty.clone()),
            Operand::Local(i) => scope.locals.get(i as usize).cloned().unwrap_or(Type::Json),
            Operand::Elem => scope.elem.clone().unwrap_or(Type::Json),
        }
    }

    /// Checks every op of `scope` (and, through the ops that own them, its blocks);
    /// gives the union of their effects and whether one is a guard.
    pub(super) fn scope(
        &self,
        scope: &Scope<'_>,
        decls: &[&ToolDecl],
        walk: &mut Walk,
    ) -> Result<(EffectSet, bool), VerifyError> {
        if scope.depth > MAX_BLOCK_DEPTH {
            return Err(err(
                scope.site(0),
                format!("blocks nest more than {MAX_BLOCK_DEPTH} deep"),
            ));
        }
        let mut order = EffectOrder::default();
        let mut last_step = 0u32;
        let mut all = EffectSet::EMPTY;
        let mut any_guard = false;
        for (i, op) in scope.ops.iter().enumerate() {
            let site = scope.site(i);
            check_type(site, &op.ty)?;
            let mut bad = None;
            op.for_each_input(&self.p.slots, |o| {
                if bad.is_none() {
                    bad = self.operand(scope, site, o, i).err();
                }
            });
            if let Some(e) = bad {
                return Err(e);
            }
            let (effects, guard) = self.kind(scope, site, op, decls, walk)?;
            all = all.union(effects);
            any_guard |= guard;
            if op.step < last_step || op.step as usize > scope.steps.len() {
                return Err(err(
                    site,
                    format!(
                        "step index {} is out of order or range (ops follow the {} steps in order)",
                        op.step,
                        scope.steps.len()
                    ),
                ));
            }
            last_step = op.step;
            self.edges(site, i, op, order.add(OpId(i as u32), effects, guard))?;
        }
        Ok((all, any_guard))
    }

    /// Effect edges: sorted, unique, earlier, and covering the order `needs` (the
    /// workspace order and the guards).
    fn edges(&self, site: Site, i: usize, op: &Op, needs: Vec<OpId>) -> Result<(), VerifyError> {
        if op.after.windows(2).any(|w| w[0] >= w[1]) {
            return Err(err(site, "effect edges are not sorted and unique"));
        }
        if let Some(a) = op.after.iter().find(|a| (**a).index() >= i) {
            return Err(err(
                site,
                format!("effect edge to %{a}, which is not an earlier op"),
            ));
        }
        let inputs = if needs.is_empty() {
            Vec::new()
        } else {
            op.inputs(&self.p.slots)
        };
        for need in needs {
            let is_input = inputs.contains(&Operand::Op(need));
            if !is_input && op.after.binary_search(&need).is_err() {
                return Err(err(
                    site,
                    format!(
                        "missing effect edge: it must run after %{need} to keep the workspace order and guards"
                    ),
                ));
            }
        }
        Ok(())
    }
}
