//! Lowering a checked program ([`hir::Program`]) to the IR.
//!
//! The builder keeps a stack of scopes: the program, then each block being lowered. An
//! op goes into the innermost scope; a reference to a value of an outer scope becomes a
//! capture of every block in between (`build_blocks.rs`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use indexmap::IndexMap;

use super::effects::EffectOrder;
use super::error::LowerError;
use super::*;
use crate::check::ToolTable;
use crate::check::hir::{self, StepDef, StepKind, TExpr, TExprKind, TPart};
use crate::diag::{Coded, Span};
use crate::types::Effect;

/// Lowers a checked program. Tool signatures and their hashes come from `tools` (the
/// table it was checked against). Fails only when the program names a tool the table
/// lacks (a checked program never does).
pub fn lower(p: &hir::Program, tools: &ToolTable) -> Result<Program, LowerError> {
    // The tool table of the program: every tool called, sorted by name.
    let mut used: BTreeMap<String, ()> = BTreeMap::new();
    let mut note = |e: &TExpr| {
        if let TExprKind::Call { tool, .. } = &e.kind {
            used.insert(tool.clone(), ());
        }
    };
    for s in &p.steps {
        s.walk(&mut note);
    }
    if let Some(r) = &p.ret {
        r.walk(&mut note);
    }
    let mut tool_refs = Vec::with_capacity(used.len());
    let mut tool_ids = BTreeMap::new();
    for name in used.keys() {
        let entry = tools
            .entry(name)
            .ok_or_else(|| LowerError::UnknownTool(name.clone()))?;
        tool_ids.insert(name.clone(), ToolId(tool_refs.len() as u32));
        tool_refs.push(ToolRef {
            name: name.clone(),
            sig_hash: entry.sig_hash,
            effects: entry.decl.effects,
        });
    }
    let mut b = Builder {
        tools,
        tool_ids,
        consts: IndexMap::new(),
        const_key: String::new(),
        slots: Vec::new(),
        blocks: Vec::new(),
        // About one op per step: the tables are not grown (and copied) 17 times.
        scopes: vec![Scope {
            ops: Vec::with_capacity(p.steps.len() + 1),
            steps: Vec::with_capacity(p.steps.len()),
            ..Scope::default()
        }],
        step_values: Vec::with_capacity(p.steps.len()),
        locals: BTreeMap::new(),
    };
    b.steps(&p.steps)?;
    b.scope().step = p.steps.len() as u32;
    let output = p.ret.as_ref().map(|r| b.expr(r)).transpose()?;
    let mut effects = EffectSet::EMPTY;
    for t in &tool_refs {
        effects = effects.union(t.effects);
    }
    if !b.slots.is_empty() {
        effects.insert(Effect::Llm);
    }
    let blocks = b
        .blocks
        .into_iter()
        .collect::<Option<Vec<Block>>>()
        .ok_or(LowerError::UnfinishedBlock)?;
    let top = b.scopes.pop().unwrap_or_default();
    Ok(Program {
        name: p.name.clone(),
        goal: p.goal.clone(),
        params: p
            .params
            .iter()
            .map(|q| Param {
                name: q.name.clone(),
                ty: q.ty.clone(),
                default: q.default.clone(),
            })
            .collect(),
        slots: b.slots,
        tools: tool_refs,
        consts: b.consts.into_values().collect(),
        ops: top.ops,
        steps: top.steps,
        output,
        effects,
        blocks,
    })
}

/// The program, or a block being lowered.
#[derive(Default)]
pub(super) struct Scope {
    pub ops: Vec<Op>,
    pub steps: Vec<Step>,
    pub order: EffectOrder,
    /// The outer values a block reads: operands of the scope around it. Inside the
    /// block, `Operand::Local(i)` is `captures[i]`.
    pub captures: Vec<Operand>,
    /// The union of the effects of its ops, and whether one of them is a guard.
    pub effects: EffectSet,
    pub guard: bool,
    /// The statement the ops being pushed belong to.
    pub step: u32,
}

pub(super) struct Builder<'a> {
    tools: &'a ToolTable,
    tool_ids: BTreeMap<String, ToolId>,
    /// Constants by their exact JSON text (so `1` and `1.0` stay distinct).
    consts: IndexMap<String, Value>,
    /// The buffer [`Builder::constant`] writes a key into.
    const_key: String,
    pub slots: Vec<Slot>,
    /// Blocks by id; `None` while one is being lowered.
    pub blocks: Vec<Option<Block>>,
    /// The program (first), then the blocks being lowered, innermost last.
    pub scopes: Vec<Scope>,
    /// The operand of each top-level step, in the program's scope.
    step_values: Vec<Operand>,
    /// The operand of each local (loop variable, block `let`): its scope and operand.
    pub locals: BTreeMap<usize, (usize, Operand)>,
}

impl Builder<'_> {
    /// The innermost scope.
    pub(super) fn scope(&mut self) -> &mut Scope {
        let last = self.scopes.len() - 1;
        &mut self.scopes[last]
    }

    fn constant(&mut self, v: Value) -> ConstId {
        // The key is written into a buffer kept for the next one: a constant seen before
        // costs no allocation.
        let mut key = std::mem::take(&mut self.const_key);
        key.clear();
        // `Display` writes the compact JSON text; writing into a `String` cannot fail.
        let _ = write!(key, "{v}");
        match self.consts.get_index_of(key.as_str()) {
            Some(i) => {
                self.const_key = key;
                ConstId(i as u32)
            }
            None => {
                self.consts.insert(key, v);
                ConstId((self.consts.len() - 1) as u32)
            }
        }
    }

    /// Adds an op to the innermost scope.
    pub(super) fn push(
        &mut self,
        kind: OpKind,
        ty: Type,
        effects: EffectSet,
        guard: bool,
    ) -> Operand {
        let slots = std::mem::take(&mut self.slots);
        let scope = self.scope();
        let id = OpId(scope.ops.len() as u32);
        let mut after = scope.order.add(id, effects, guard);
        let mut op = Op {
            kind,
            ty,
            after: Vec::new(),
            step: scope.step,
        };
        // An effect edge that is also a data input adds nothing.
        if !after.is_empty() {
            let inputs = op.inputs(&slots);
            after.retain(|a| !inputs.contains(&Operand::Op(*a)));
        }
        op.after = after;
        scope.ops.push(op);
        scope.effects = scope.effects.union(effects);
        scope.guard |= guard;
        self.slots = slots;
        Operand::Op(id)
    }

    /// `o`, an operand of scope `level`, as seen from the innermost scope: captured by
    /// every block in between.
    pub(super) fn reference(&mut self, level: usize, mut o: Operand) -> Operand {
        if matches!(o, Operand::Const(_)) {
            return o;
        }
        for scope in self.scopes.iter_mut().skip(level + 1) {
            let i = match scope.captures.iter().position(|c| *c == o) {
                Some(i) => i,
                None => {
                    scope.captures.push(o);
                    scope.captures.len() - 1
                }
            };
            o = Operand::Local(i as u32);
        }
        o
    }

    /// Wraps `o` in a run-time check when a `json` value flows into a precise type.
    fn check(&mut self, o: Operand, found: &Type, expected: &Type) -> Operand {
        if *found == Type::Json && *expected != Type::Json {
            self.push(
                OpKind::Check { value: o },
                expected.clone(),
                EffectSet::EMPTY,
                false,
            )
        } else {
            o
        }
    }

    /// Lowers statements into the innermost scope: top-level steps when it is the
    /// program's, a block's otherwise.
    pub(super) fn steps(&mut self, steps: &[StepDef]) -> Result<(), LowerError> {
        let top = self.scopes.len() == 1;
        for (i, s) in steps.iter().enumerate() {
            self.scope().step = i as u32;
            let operand = self.step(s)?;
            if top {
                self.step_values.push(operand);
            } else if let Some(local) = s.local {
                let level = self.scopes.len() - 1;
                self.locals.insert(local, (level, operand));
            }
            self.scope().steps.push(Step {
                name: s.name.clone(),
                op: match operand {
                    Operand::Op(id) => Some(id),
                    _ => None,
                },
            });
        }
        Ok(())
    }

    fn step(&mut self, s: &StepDef) -> Result<Operand, LowerError> {
        Ok(match &s.kind {
            StepKind::Expr(e) => {
                let o = self.expr(e)?;
                self.check(o, &e.ty, &s.ty)
            }
            StepKind::Ask(parts) => {
                let prompt = self.parts(parts)?;
                let slot = SlotId(self.slots.len() as u32);
                self.slots.push(Slot {
                    name: s.name.clone().unwrap_or_default(),
                    ty: s.ty.clone(),
                    prompt,
                });
                self.push(
                    OpKind::Ask { slot },
                    s.ty.clone(),
                    EffectSet::single(Effect::Llm),
                    false,
                )
            }
            StepKind::Expect { cond, message } => {
                let cond = self.expr(cond)?;
                let message = message.as_ref().map(|m| self.parts(m)).transpose()?;
                self.push(
                    OpKind::Expect { cond, message },
                    Type::Bool,
                    EffectSet::EMPTY,
                    true,
                )
            }
        })
    }

    pub(super) fn parts(&mut self, parts: &[TPart]) -> Result<Vec<Part>, LowerError> {
        parts
            .iter()
            .map(|p| match p {
                TPart::Text(t) => Ok(Part::Text(self.constant(Value::String(t.clone())))),
                TPart::Value(e) => self.expr(e).map(Part::Value),
            })
            .collect()
    }

    pub(super) fn expr(&mut self, e: &TExpr) -> Result<Operand, LowerError> {
        Ok(match &e.kind {
            TExprKind::Const(v) => Operand::Const(self.constant(v.clone())),
            TExprKind::Param(i) => self.reference(0, Operand::Param(ParamId(*i as u32))),
            TExprKind::Step(i) => {
                let o = *self.step_values.get(*i).ok_or(LowerError::LaterStep)?;
                self.reference(0, o)
            }
            TExprKind::Local(i) => {
                let (level, o) = *self.locals.get(i).ok_or(LowerError::UnknownLocal)?;
                self.reference(level, o)
            }
            TExprKind::Template(parts) => {
                let parts = self.parts(parts)?;
                self.push(
                    OpKind::Template { parts },
                    Type::Str,
                    EffectSet::EMPTY,
                    false,
                )
            }
            TExprKind::List(items) => {
                let items = items
                    .iter()
                    .map(|i| self.expr(i))
                    .collect::<Result<Vec<_>, _>>()?;
                match self.fold(&items) {
                    Some(values) => Operand::Const(self.constant(Value::Array(values))),
                    None => self.push(
                        OpKind::List { items },
                        e.ty.clone(),
                        EffectSet::EMPTY,
                        false,
                    ),
                }
            }
            TExprKind::Object(entries) => {
                let mut out = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let key = self.constant(Value::String(k.clone()));
                    out.push((key, self.expr(v)?));
                }
                let values: Vec<Operand> = out.iter().map(|(_, o)| *o).collect();
                match self.fold(&values) {
                    Some(vals) => {
                        let map = entries.iter().map(|(k, _)| k.clone()).zip(vals).collect();
                        Operand::Const(self.constant(Value::Object(map)))
                    }
                    None => self.push(
                        OpKind::Object { entries: out },
                        Type::Json,
                        EffectSet::EMPTY,
                        false,
                    ),
                }
            }
            TExprKind::Field(base, key) => {
                let base = self.expr(base)?;
                let key = self.constant(Value::String(key.clone()));
                self.push(
                    OpKind::Field { base, key },
                    Type::Json,
                    EffectSet::EMPTY,
                    false,
                )
            }
            TExprKind::Index(base, index) => {
                let base = self.expr(base)?;
                let index = self.expr(index)?;
                self.push(
                    OpKind::Index { base, index },
                    e.ty.clone(),
                    EffectSet::EMPTY,
                    false,
                )
            }
            TExprKind::Call { tool, args } => self.call(tool, args)?,
            TExprKind::For { .. }
            | TExprKind::If { .. }
            | TExprKind::Logic(..)
            | TExprKind::Compare(..)
            | TExprKind::Not(_) => self.control(e)?,
        })
    }

    fn call(&mut self, tool: &str, args: &[TExpr]) -> Result<Operand, LowerError> {
        // The table outlives the builder: its declarations are borrowed, not copied.
        let tools = self.tools;
        let decl = tools
            .get(tool)
            .ok_or_else(|| LowerError::UnknownTool(tool.to_owned()))?;
        let (params, ret, effects) = (&decl.params, decl.ret.clone(), decl.effects);
        let mut ops = Vec::with_capacity(args.len());
        for (a, p) in args.iter().zip(params) {
            let o = self.expr(a)?;
            ops.push(self.check(o, &a.ty, &p.ty));
        }
        let id = *self
            .tool_ids
            .get(tool)
            .ok_or_else(|| LowerError::UnlinkedTool(tool.to_owned()))?;
        Ok(self.push(
            OpKind::Call {
                tool: id,
                args: ops,
            },
            ret,
            effects,
            false,
        ))
    }

    /// The values of operands that are all constants.
    fn fold(&self, operands: &[Operand]) -> Option<Vec<Value>> {
        operands
            .iter()
            .map(|o| match o {
                Operand::Const(c) => self.consts.get_index((*c).index()).map(|(_, v)| v.clone()),
                _ => None,
            })
            .collect()
    }
}

/// Parses, checks and lowers a source text in one go, against the built-in tools.
pub fn compile_source(
    src: &str,
) -> Result<(Program, Vec<crate::diag::Diagnostic>), Vec<crate::diag::Diagnostic>> {
    compile_with(src, ToolTable::builtins())
}

/// Parses, checks and lowers a source text in one go, against `tools`.
pub fn compile_with(
    src: &str,
    tools: &ToolTable,
) -> Result<(Program, Vec<crate::diag::Diagnostic>), Vec<crate::diag::Diagnostic>> {
    compile_with_spans(src, tools).map(|(p, warnings, _)| (p, warnings))
}

/// [`compile_with`], with the step→span table: the span of each statement of the
/// program, by step index, then that of the `return` expression (the program holds no
/// positions; the store keeps this table beside the source so a run-time error names
/// its line without checking the source again).
#[allow(clippy::type_complexity)]
pub fn compile_with_spans(
    src: &str,
    tools: &ToolTable,
) -> Result<(Program, Vec<crate::diag::Diagnostic>, Vec<Span>), Vec<crate::diag::Diagnostic>> {
    let (program, diags) = crate::check::check_source(src, tools);
    match program {
        Some(p) if !crate::diag::has_errors(&diags) => match lower(&p, tools) {
            Ok(ir) => Ok((ir, diags, step_spans(&p))),
            Err(e) => Err(vec![e.diagnostic(Span::new(0, 0))]),
        },
        _ => Err(diags),
    }
}

/// The step→span table of a checked program (see [`compile_with_spans`]).
pub fn step_spans(p: &hir::Program) -> Vec<Span> {
    p.steps
        .iter()
        .map(|s| s.span)
        .chain(p.ret.as_ref().map(|r| r.span))
        .collect()
}
