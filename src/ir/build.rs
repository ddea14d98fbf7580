//! Lowering a checked program ([`hir::Program`]) to the IR.

use std::collections::BTreeMap;

use indexmap::IndexMap;

use super::effects::EffectOrder;
use super::*;
use crate::check::ToolTable;
use crate::check::hir::{self, StepKind, TExpr, TExprKind, TPart};
use crate::types::Effect;

/// Lowers a checked program. Tool signatures and their hashes come from `tools` (the
/// table it was checked against). Fails only when the program names a tool the table
/// lacks (a checked program never does).
pub fn lower(p: &hir::Program, tools: &ToolTable) -> Result<Program, String> {
    // The tool table of the program: every tool called, sorted by name.
    let mut used: BTreeMap<String, ()> = BTreeMap::new();
    for s in &p.steps {
        match &s.kind {
            StepKind::Expr(e) => collect_tools(e, &mut used),
            StepKind::Ask(parts) => parts
                .iter()
                .for_each(|part| collect_part_tools(part, &mut used)),
        }
    }
    if let Some(r) = &p.ret {
        collect_tools(r, &mut used);
    }
    let mut tool_refs = Vec::with_capacity(used.len());
    let mut tool_ids = BTreeMap::new();
    for name in used.keys() {
        let entry = tools
            .entry(name)
            .ok_or_else(|| format!("unknown tool `{name}`"))?;
        tool_ids.insert(name.clone(), tool_refs.len() as ToolId);
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
        ops: Vec::new(),
        slots: Vec::new(),
        order: EffectOrder::default(),
        step_values: Vec::with_capacity(p.steps.len()),
        step: 0,
    };
    let mut steps = Vec::with_capacity(p.steps.len());
    for (i, s) in p.steps.iter().enumerate() {
        b.step = i as u32;
        let operand = match &s.kind {
            StepKind::Expr(e) => {
                let o = b.expr(e)?;
                b.check(o, &e.ty, &s.ty)
            }
            StepKind::Ask(parts) => {
                let prompt = b.parts(parts)?;
                let slot = b.slots.len() as SlotId;
                b.slots.push(Slot {
                    name: s.name.clone().unwrap_or_default(),
                    ty: s.ty.clone(),
                    prompt,
                });
                b.push(
                    OpKind::Ask { slot },
                    s.ty.clone(),
                    EffectSet::single(Effect::Llm),
                )
            }
        };
        b.step_values.push(operand);
        steps.push(Step {
            name: s.name.clone(),
            op: match operand {
                Operand::Op(id) => Some(id),
                _ => None,
            },
        });
    }
    b.step = p.steps.len() as u32;
    let output = p.ret.as_ref().map(|r| b.expr(r)).transpose()?;
    let mut effects = EffectSet::EMPTY;
    for t in &tool_refs {
        effects = effects.union(t.effects);
    }
    if !b.slots.is_empty() {
        effects.insert(Effect::Llm);
    }
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
        ops: b.ops,
        steps,
        output,
        effects,
    })
}

fn collect_tools(e: &TExpr, out: &mut BTreeMap<String, ()>) {
    match &e.kind {
        TExprKind::Call { tool, args } => {
            out.insert(tool.clone(), ());
            args.iter().for_each(|a| collect_tools(a, out));
        }
        TExprKind::Template(parts) => parts.iter().for_each(|p| collect_part_tools(p, out)),
        TExprKind::List(items) => items.iter().for_each(|i| collect_tools(i, out)),
        TExprKind::Object(entries) => entries.iter().for_each(|(_, v)| collect_tools(v, out)),
        TExprKind::Field(b, _) => collect_tools(b, out),
        TExprKind::Index(b, i) => {
            collect_tools(b, out);
            collect_tools(i, out);
        }
        TExprKind::Const(_) | TExprKind::Param(_) | TExprKind::Step(_) => {}
    }
}

fn collect_part_tools(p: &TPart, out: &mut BTreeMap<String, ()>) {
    if let TPart::Value(e) = p {
        collect_tools(e, out);
    }
}

struct Builder<'a> {
    tools: &'a ToolTable,
    tool_ids: BTreeMap<String, ToolId>,
    /// Constants by their exact JSON text (so `1` and `1.0` stay distinct).
    consts: IndexMap<String, Value>,
    ops: Vec<Op>,
    slots: Vec<Slot>,
    order: EffectOrder,
    step_values: Vec<Operand>,
    step: u32,
}

impl Builder<'_> {
    fn constant(&mut self, v: Value) -> ConstId {
        let key = serde_json::to_string(&v).unwrap_or_default();
        match self.consts.get_index_of(&key) {
            Some(i) => i as ConstId,
            None => {
                self.consts.insert(key, v);
                (self.consts.len() - 1) as ConstId
            }
        }
    }

    fn push(&mut self, kind: OpKind, ty: Type, effects: EffectSet) -> Operand {
        let id = self.ops.len() as OpId;
        let mut after = self.order.add(id, effects);
        let mut op = Op {
            kind,
            ty,
            after: Vec::new(),
            step: self.step,
        };
        // An effect edge that is also a data input adds nothing.
        let inputs = op.inputs(&self.slots);
        after.retain(|a| !inputs.contains(&Operand::Op(*a)));
        op.after = after;
        self.ops.push(op);
        Operand::Op(id)
    }

    /// Wraps `o` in a run-time check when a `json` value flows into a precise type.
    fn check(&mut self, o: Operand, found: &Type, expected: &Type) -> Operand {
        if *found == Type::Json && *expected != Type::Json {
            self.push(
                OpKind::Check { value: o },
                expected.clone(),
                EffectSet::EMPTY,
            )
        } else {
            o
        }
    }

    fn parts(&mut self, parts: &[TPart]) -> Result<Vec<Part>, String> {
        parts
            .iter()
            .map(|p| match p {
                TPart::Text(t) => Ok(Part::Text(self.constant(Value::String(t.clone())))),
                TPart::Value(e) => self.expr(e).map(Part::Value),
            })
            .collect()
    }

    fn expr(&mut self, e: &TExpr) -> Result<Operand, String> {
        Ok(match &e.kind {
            TExprKind::Const(v) => Operand::Const(self.constant(v.clone())),
            TExprKind::Param(i) => Operand::Param(*i as ParamId),
            TExprKind::Step(i) => *self
                .step_values
                .get(*i)
                .ok_or("reference to a later step")?,
            TExprKind::Template(parts) => {
                let parts = self.parts(parts)?;
                self.push(OpKind::Template { parts }, Type::Str, EffectSet::EMPTY)
            }
            TExprKind::List(items) => {
                let items = items
                    .iter()
                    .map(|i| self.expr(i))
                    .collect::<Result<Vec<_>, _>>()?;
                match self.fold(&items) {
                    Some(values) => Operand::Const(self.constant(Value::Array(values))),
                    None => self.push(OpKind::List { items }, e.ty.clone(), EffectSet::EMPTY),
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
                    ),
                }
            }
            TExprKind::Field(base, key) => {
                let base = self.expr(base)?;
                let key = self.constant(Value::String(key.clone()));
                self.push(OpKind::Field { base, key }, Type::Json, EffectSet::EMPTY)
            }
            TExprKind::Index(base, index) => {
                let base = self.expr(base)?;
                let index = self.expr(index)?;
                self.push(
                    OpKind::Index { base, index },
                    e.ty.clone(),
                    EffectSet::EMPTY,
                )
            }
            TExprKind::Call { tool, args } => {
                let decl = self
                    .tools
                    .get(tool)
                    .ok_or_else(|| format!("unknown tool `{tool}`"))?;
                let (params, ret, effects) = (decl.params.clone(), decl.ret.clone(), decl.effects);
                let mut ops = Vec::with_capacity(args.len());
                for (a, p) in args.iter().zip(&params) {
                    let o = self.expr(a)?;
                    ops.push(self.check(o, &a.ty, &p.ty));
                }
                let id = *self
                    .tool_ids
                    .get(tool)
                    .ok_or_else(|| format!("unlinked tool `{tool}`"))?;
                self.push(
                    OpKind::Call {
                        tool: id,
                        args: ops,
                    },
                    ret,
                    effects,
                )
            }
        })
    }

    /// The values of operands that are all constants.
    fn fold(&self, operands: &[Operand]) -> Option<Vec<Value>> {
        operands
            .iter()
            .map(|o| match o {
                Operand::Const(c) => self.consts.get_index(*c as usize).map(|(_, v)| v.clone()),
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
    let (program, diags) = crate::check::check_source(src, tools);
    match program {
        Some(p) if !crate::diag::has_errors(&diags) => match lower(&p, tools) {
            Ok(ir) => Ok((ir, diags)),
            Err(msg) => Err(vec![crate::diag::Diagnostic::error(
                "internal",
                crate::diag::Span::new(0, 0),
                msg,
            )]),
        },
        _ => Err(diags),
    }
}
