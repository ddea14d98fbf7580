//! What each op kind requires of its operands and type, and the blocks that `for`,
//! `if` and `and`/`or` own: numbered in the order a walk meets them, each owned once,
//! checked as scopes of their own with the owner's captures as their locals.

use std::collections::BTreeSet;

use super::ops::{Scope, Walk};
use super::{Verifier, err};
use crate::bytecode::error::{Site, VerifyError};
use crate::ir::{BlockId, Op, OpKind, Operand, Part};
use crate::stdlib::ToolDecl;
use crate::types::{Effect, EffectSet, Type};

impl Verifier<'_> {
    /// Checks what an op's kind requires; returns the effects of running it and whether
    /// it is a guard.
    pub(super) fn kind(
        &self,
        scope: &Scope<'_>,
        site: Site,
        op: &Op,
        decls: &[&ToolDecl],
        walk: &mut Walk,
    ) -> Result<(EffectSet, bool), VerifyError> {
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
        let condition = |o: Operand| -> Result<(), VerifyError> {
            match self.operand_type(scope, o) {
                Type::Bool | Type::Json => Ok(()),
                other => Err(err(site, format!("a condition is {other}, not bool"))),
            }
        };
        let none = (EffectSet::EMPTY, false);
        Ok(match &op.kind {
            OpKind::Call { tool, args } => {
                let (Some(t), Some(decl)) =
                    (self.p.tools.get(tool.index()), decls.get(tool.index()))
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
                    let found = self.operand_type(scope, *a);
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
                (t.effects, false)
            }
            OpKind::Ask { slot } => {
                if slot.index() != walk.next_slot {
                    return Err(err(
                        site,
                        format!(
                            "asks slot @{slot}, expected @{} (slots are asked once each, in order)",
                            walk.next_slot
                        ),
                    ));
                }
                walk.next_slot += 1;
                let Some(s) = self.p.slots.get(slot.index()) else {
                    return Err(err(
                        site,
                        format!(
                            "slot @{slot} is out of range ({} slots)",
                            self.p.slots.len()
                        ),
                    ));
                };
                want(&s.ty)?;
                (EffectSet::single(Effect::Llm), false)
            }
            OpKind::Template { parts } => {
                self.texts(site, parts)?;
                want(&Type::Str)?;
                none
            }
            OpKind::List { .. } => match op.ty {
                Type::List(_) => none,
                _ => return Err(err(site, format!("a list op has type {}", op.ty))),
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
                none
            }
            OpKind::Field { key, .. } => {
                self.text_const(site, *key)?;
                want(&Type::Json)?;
                none
            }
            OpKind::Index { .. } | OpKind::Check { .. } => none,
            OpKind::Compare { op: cmp, lhs, rhs } => {
                let (l, r) = (
                    self.operand_type(scope, *lhs),
                    self.operand_type(scope, *rhs),
                );
                if !l.comparable(&r, *cmp) {
                    return Err(err(
                        site,
                        format!("cannot compare {l} with {r} by `{}`", cmp.as_str()),
                    ));
                }
                want(&Type::Bool)?;
                none
            }
            OpKind::Not { value } => {
                condition(*value)?;
                want(&Type::Bool)?;
                none
            }
            OpKind::Expect { cond, message } => {
                condition(*cond)?;
                if let Some(m) = message {
                    self.texts(site, m)?;
                }
                want(&Type::Bool)?;
                (EffectSet::EMPTY, true)
            }
            OpKind::For {
                list,
                captures,
                body,
            } => {
                let elem = match self.operand_type(scope, *list) {
                    Type::List(t) => *t,
                    Type::Json => Type::Json,
                    other => return Err(err(site, format!("`for` goes over {other}, not a list"))),
                };
                let (ty, effects, guard) =
                    self.block(scope, site, captures, Some(elem), *body, decls, walk)?;
                want(&Type::List(Box::new(ty)))?;
                (effects, guard)
            }
            OpKind::If {
                cond,
                captures,
                then,
                otherwise,
            } => {
                condition(*cond)?;
                let (t, mut effects, mut guard) =
                    self.block(scope, site, captures, None, *then, decls, walk)?;
                let ty = match otherwise {
                    Some(o) => {
                        let (e, eff, g) =
                            self.block(scope, site, captures, None, *o, decls, walk)?;
                        effects = effects.union(eff);
                        guard |= g;
                        t.branch_join(&e)
                            .ok_or_else(|| err(site, format!("the branches give {t} and {e}")))?
                    }
                    None => Type::Json,
                };
                want(&ty)?;
                (effects, guard)
            }
            OpKind::Logic {
                first,
                captures,
                rest,
                ..
            } => {
                condition(*first)?;
                if rest.is_empty() {
                    return Err(err(site, "`and`/`or` needs at least two operands"));
                }
                let (mut effects, mut guard) = none;
                for b in rest {
                    let (t, eff, g) = self.block(scope, site, captures, None, *b, decls, walk)?;
                    if !matches!(t, Type::Bool | Type::Json) {
                        return Err(err(site, format!("an operand is {t}, not bool")));
                    }
                    effects = effects.union(eff);
                    guard |= g;
                }
                want(&Type::Bool)?;
                (effects, guard)
            }
        })
    }

    fn texts(&self, site: Site, parts: &[Part]) -> Result<(), VerifyError> {
        for part in parts {
            if let Part::Text(c) = part {
                self.text_const(site, *c)?;
            }
        }
        Ok(())
    }

    /// Checks block `id`, owned by the op at `site` of `outer` with `captures` (and the
    /// element type `elem` for a `for` body): its value's type, effects and guard.
    #[allow(clippy::too_many_arguments)]
    fn block(
        &self,
        outer: &Scope<'_>,
        site: Site,
        captures: &[Operand],
        elem: Option<Type>,
        id: BlockId,
        decls: &[&ToolDecl],
        walk: &mut Walk,
    ) -> Result<(Type, EffectSet, bool), VerifyError> {
        if id.0 != walk.next_block {
            return Err(err(
                site,
                format!(
                    "owns block ^{id}, expected ^{} (blocks are numbered in the order ops own them)",
                    walk.next_block
                ),
            ));
        }
        let Some(b) = self.p.blocks.get(id.index()) else {
            return Err(err(
                site,
                format!(
                    "block ^{id} is out of range ({} blocks)",
                    self.p.blocks.len()
                ),
            ));
        };
        walk.next_block += 1;
        let inner = Scope {
            ops: &b.ops,
            steps: &b.steps,
            block: Some(id.0),
            locals: captures
                .iter()
                .map(|c| self.operand_type(outer, *c))
                .collect(),
            elem,
            depth: outer.depth + 1,
        };
        let (effects, guard) = self.scope(&inner, decls, walk)?;
        self.block_steps(id, &b.steps, b.ops.len())?;
        self.operand(&inner, Site::Block(id.0), b.result, b.ops.len())?;
        Ok((self.operand_type(&inner, b.result), effects, guard))
    }

    /// A block's steps: names are identifiers, ops in range.
    fn block_steps(
        &self,
        id: BlockId,
        steps: &[crate::ir::Step],
        ops: usize,
    ) -> Result<(), VerifyError> {
        for (i, s) in steps.iter().enumerate() {
            let site = Site::BlockStep(id.0, i as u32);
            if let Some(name) = &s.name
                && !super::is_ident(name)
            {
                return Err(err(site, format!("{name:?} is not an identifier")));
            }
            if let Some(op) = s.op
                && op.index() >= ops
            {
                return Err(err(site, format!("op %{op} is out of range ({ops} ops)")));
            }
        }
        Ok(())
    }
}
