//! The checks of the op table: operands in range and earlier, each kind's operands and
//! type, calls against their tool's declaration, slots asked once in order, and effect
//! edges that keep the workspace order.

use std::collections::BTreeSet;

use super::{Verifier, check_type, err};
use crate::bytecode::error::{Site, VerifyError};
use crate::check::literal::const_type;
use crate::ir::effects::EffectOrder;
use crate::ir::{OpKind, Operand, Part};
use crate::stdlib::ToolDecl;
use crate::types::{Effect, EffectSet, Type};
use crate::value::Value;

impl Verifier<'_> {
    /// A constant that must be a string (template text, object key, field name).
    pub(super) fn text_const(&self, site: Site, c: u32) -> Result<(), VerifyError> {
        match self.p.consts.get(c as usize) {
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

    /// An operand in range; an op operand only to an op before `before`.
    pub(super) fn operand(&self, site: Site, o: Operand, before: usize) -> Result<(), VerifyError> {
        let (ok, what, len) = match o {
            Operand::Const(c) => (
                (c as usize) < self.p.consts.len(),
                "constant",
                self.p.consts.len(),
            ),
            Operand::Param(q) => (
                (q as usize) < self.p.params.len(),
                "param",
                self.p.params.len(),
            ),
            Operand::Op(i) => ((i as usize) < before, "op", before),
        };
        if ok {
            return Ok(());
        }
        let shown = match o {
            Operand::Const(c) => format!("c{c}"),
            Operand::Param(q) => format!("${q}"),
            Operand::Op(i) => format!("%{i}"),
        };
        Err(err(
            site,
            match o {
                Operand::Op(_) => format!(
                    "operand {shown} does not refer to an earlier op (only %0..%{} may be used here)",
                    before.saturating_sub(1)
                ),
                _ => format!("operand {shown} is out of range ({len} {what}s)"),
            },
        ))
    }

    /// The static type of an operand (ops and params are in range by now).
    fn operand_type(&self, o: Operand) -> Type {
        match o {
            Operand::Const(c) => self.p.consts.get(c as usize).map_or(Type::Json, const_type),
            Operand::Param(q) => self
                .p
                .params
                .get(q as usize)
                .map_or(Type::Json, |q| q.ty.clone()),
            Operand::Op(i) => self
                .p
                .ops
                .get(i as usize)
                .map_or(Type::Json, |op| op.ty.clone()),
        }
    }

    pub(super) fn ops(&self, decls: &[&ToolDecl]) -> Result<(), VerifyError> {
        let mut order = EffectOrder::default();
        let mut next_slot = 0usize;
        let mut last_step = 0u32;
        for (i, op) in self.p.ops.iter().enumerate() {
            let site = Site::Op(i as u32);
            check_type(site, &op.ty)?;
            let mut bad = None;
            op.for_each_input(&self.p.slots, |o| {
                if bad.is_none() {
                    bad = self.operand(site, o, i).err();
                }
            });
            if let Some(e) = bad {
                return Err(e);
            }
            let effects = self.kind(site, op, decls, &mut next_slot)?;
            if op.step < last_step || op.step as usize > self.p.steps.len() {
                return Err(err(
                    site,
                    format!(
                        "step index {} is out of order or range (ops follow the {} steps in order)",
                        op.step,
                        self.p.steps.len()
                    ),
                ));
            }
            last_step = op.step;
            // Effect edges: sorted, unique, earlier, and covering the workspace order.
            if op.after.windows(2).any(|w| w[0] >= w[1]) {
                return Err(err(site, "effect edges are not sorted and unique"));
            }
            if let Some(a) = op.after.iter().find(|a| **a as usize >= i) {
                return Err(err(
                    site,
                    format!("effect edge to %{a}, which is not an earlier op"),
                ));
            }
            let needs = order.add(i as u32, effects);
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
                            "missing effect edge: it must run after %{need} to keep the workspace order"
                        ),
                    ));
                }
            }
        }
        if next_slot != self.p.slots.len() {
            return Err(err(
                Site::Slot(next_slot as u32),
                "the slot is never asked (every slot has exactly one ask op, in order)",
            ));
        }
        Ok(())
    }

    /// Checks what an op's kind requires; returns the effects of running it.
    fn kind(
        &self,
        site: Site,
        op: &crate::ir::Op,
        decls: &[&ToolDecl],
        next_slot: &mut usize,
    ) -> Result<EffectSet, VerifyError> {
        let want = |expected: &Type| -> Result<(), VerifyError> {
            if op.ty == *expected {
                Ok(())
            } else {
                Err(err(
                    site,
                    format!("the op's type is {}, expected {expected}", op.ty),
                ))
            }
        };
        match &op.kind {
            OpKind::Call { tool, args } => {
                let (Some(t), Some(decl)) =
                    (self.p.tools.get(*tool as usize), decls.get(*tool as usize))
                else {
                    return Err(err(
                        site,
                        format!(
                            "tool #{tool} is out of range ({} tools)",
                            self.p.tools.len()
                        ),
                    ));
                };
                if args.len() != decl.params.len() {
                    return Err(err(
                        site,
                        format!(
                            "`{}` takes {} arguments, the call passes {}",
                            t.name,
                            decl.params.len(),
                            args.len()
                        ),
                    ));
                }
                for (a, param) in args.iter().zip(&decl.params) {
                    let found = self.operand_type(*a);
                    if !param.ty.accepts(&found) {
                        return Err(err(
                            site,
                            format!(
                                "argument `{}` of `{}` wants {}, found {found}",
                                param.name, t.name, param.ty
                            ),
                        ));
                    }
                }
                want(&decl.ret)?;
                Ok(t.effects)
            }
            OpKind::Ask { slot } => {
                if *slot as usize != *next_slot {
                    return Err(err(
                        site,
                        format!(
                            "asks slot @{slot}, expected @{next_slot} (slots are asked once each, in order)"
                        ),
                    ));
                }
                *next_slot += 1;
                let Some(s) = self.p.slots.get(*slot as usize) else {
                    return Err(err(
                        site,
                        format!(
                            "slot @{slot} is out of range ({} slots)",
                            self.p.slots.len()
                        ),
                    ));
                };
                want(&s.ty)?;
                Ok(EffectSet::single(Effect::Llm))
            }
            OpKind::Template { parts } => {
                for part in parts {
                    if let Part::Text(c) = part {
                        self.text_const(site, *c)?;
                    }
                }
                want(&Type::Str)?;
                Ok(EffectSet::EMPTY)
            }
            OpKind::List { .. } => match op.ty {
                Type::List(_) => Ok(EffectSet::EMPTY),
                _ => Err(err(site, format!("a list op has type {}", op.ty))),
            },
            OpKind::Object { entries } => {
                let mut keys = BTreeSet::new();
                for (k, _) in entries {
                    self.text_const(site, *k)?;
                    if !keys.insert(*k) {
                        return Err(err(site, format!("object key c{k} appears twice")));
                    }
                }
                want(&Type::Json)?;
                Ok(EffectSet::EMPTY)
            }
            OpKind::Field { key, .. } => {
                self.text_const(site, *key)?;
                want(&Type::Json)?;
                Ok(EffectSet::EMPTY)
            }
            OpKind::Index { .. } | OpKind::Check { .. } => Ok(EffectSet::EMPTY),
        }
    }
}
