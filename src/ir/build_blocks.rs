//! Lowering `for`, `if`, `and`/`or`, comparisons and `not`.
//!
//! A block is lowered in a scope of its own, pushed on the builder's stack; its id is
//! taken before its body is lowered, so blocks are numbered in the order a walk of the
//! program meets them. Blocks of one op (`if` branches, `and`/`or` operands) share the
//! op's captures: each starts with the captures of the one before.

use super::build::{Builder, Scope};
use super::error::LowerError;
use super::*;
use crate::check::hir::{TBlock, TExpr, TExprKind};

/// A finished block scope: what the op that owns it needs.
struct Closed {
    captures: Vec<Operand>,
    effects: EffectSet,
    guard: bool,
}

impl Builder<'_> {
    /// Lowers a block-owning or boolean expression.
    pub(super) fn control(&mut self, e: &TExpr) -> Result<Operand, LowerError> {
        Ok(match &e.kind {
            TExprKind::For { var, list, body } => {
                let list = self.expr(list)?;
                let (id, closed) = self.block(Vec::new(), |b| {
                    let level = b.scopes.len() - 1;
                    b.locals.insert(*var, (level, Operand::Elem));
                    b.body(body)
                })?;
                self.push(
                    OpKind::For {
                        list,
                        captures: closed.captures,
                        body: id,
                    },
                    e.ty.clone(),
                    closed.effects,
                    closed.guard,
                )
            }
            TExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let cond = self.expr(cond)?;
                let (then, mut closed) = self.block(Vec::new(), |b| b.body(then))?;
                let otherwise = match otherwise {
                    Some(o) => {
                        let (id, c) = self.block(closed.captures, |b| b.body(o))?;
                        closed = merge(closed.effects, closed.guard, c);
                        Some(id)
                    }
                    None => None,
                };
                self.push(
                    OpKind::If {
                        cond,
                        captures: closed.captures,
                        then,
                        otherwise,
                    },
                    e.ty.clone(),
                    closed.effects,
                    closed.guard,
                )
            }
            TExprKind::Logic(op, items) => {
                let Some((first, rest)) = items.split_first() else {
                    return Ok(Operand::Const(ConstId(0)));
                };
                let first = self.expr(first)?;
                if rest.is_empty() {
                    return Ok(first);
                }
                let mut closed = Closed {
                    captures: Vec::new(),
                    effects: EffectSet::EMPTY,
                    guard: false,
                };
                let mut ids = Vec::with_capacity(rest.len());
                for item in rest {
                    let (id, c) = self.block(closed.captures, |b| b.expr(item))?;
                    closed = merge(closed.effects, closed.guard, c);
                    ids.push(id);
                }
                self.push(
                    OpKind::Logic {
                        op: *op,
                        first,
                        captures: closed.captures,
                        rest: ids,
                    },
                    Type::Bool,
                    closed.effects,
                    closed.guard,
                )
            }
            TExprKind::Compare(op, lhs, rhs) => {
                let lhs = self.expr(lhs)?;
                let rhs = self.expr(rhs)?;
                self.push(
                    OpKind::Compare { op: *op, lhs, rhs },
                    Type::Bool,
                    EffectSet::EMPTY,
                    false,
                )
            }
            TExprKind::Not(inner) => {
                let value = self.expr(inner)?;
                self.push(OpKind::Not { value }, Type::Bool, EffectSet::EMPTY, false)
            }
            _ => return Err(LowerError::NotControl),
        })
    }

    /// A block's statements, then its value.
    fn body(&mut self, b: &TBlock) -> Result<Operand, LowerError> {
        self.steps(&b.steps)?;
        self.scope().step = b.steps.len() as u32;
        self.expr(&b.value)
    }

    /// Lowers a block in a new scope that starts with `captures`; `inner` lowers its
    /// contents and gives its value.
    fn block(
        &mut self,
        captures: Vec<Operand>,
        inner: impl FnOnce(&mut Self) -> Result<Operand, LowerError>,
    ) -> Result<(BlockId, Closed), LowerError> {
        let id = BlockId(self.blocks.len() as u32);
        self.blocks.push(None);
        self.scopes.push(Scope {
            captures,
            ..Scope::default()
        });
        let result = inner(self);
        let scope = self.scopes.pop().ok_or(LowerError::NoScope)?;
        let result = result?;
        self.blocks[id.index()] = Some(Block {
            ops: scope.ops,
            steps: scope.steps,
            result,
        });
        Ok((
            id,
            Closed {
                captures: scope.captures,
                effects: scope.effects,
                guard: scope.guard,
            },
        ))
    }
}

/// The captures of the later of two sibling blocks (a superset of the earlier's), with
/// the effects and guards of both.
fn merge(effects: EffectSet, guard: bool, later: Closed) -> Closed {
    Closed {
        captures: later.captures,
        effects: effects.union(later.effects),
        guard: guard || later.guard,
    }
}
