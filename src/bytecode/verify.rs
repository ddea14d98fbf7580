//! Program-level checks: everything a decoded (or freshly compiled) program must satisfy
//! before the VM may run it. References in range and only to earlier ops (so the DAG is
//! acyclic by construction), well-formed types, the tool table sorted and linked against
//! the current tool declarations (a changed signature is a link error), call arity and
//! result types, effect edges that keep the workspace order, and the capability set.
//!
//! Runs in one pass over the ops without recursion (beyond the bounded depth of types and
//! constants); a 10,000-op program verifies in well under a millisecond per thousand ops.

use std::collections::BTreeSet;

use super::error::{Site, VerifyError};
use super::format::{MAX_TYPE_DEPTH, MAX_VALUE_DEPTH};
use crate::check::ToolTable;
use crate::check::literal::const_type;
use crate::ir::effects::EffectOrder;
use crate::ir::{OpKind, Operand, Part, Program};
use crate::stdlib::ToolDecl;
use crate::types::{Effect, EffectSet, Type};
use crate::value::{Value, conforms};

/// Checks that `p` is a valid program linked against `tools`.
pub fn verify(p: &Program, tools: &ToolTable) -> Result<(), VerifyError> {
    let v = Verifier { p };
    v.header()?;
    let decls = v.tools(tools)?;
    v.consts()?;
    v.params()?;
    v.slots()?;
    v.ops(&decls)?;
    v.steps()?;
    if let Some(o) = p.output {
        v.operand(Site::Output, o, p.ops.len())?;
    }
    // Acyclic by construction (every op refers only to earlier ops); checked again on the
    // graph as a safety net, with petgraph's iterative toposort (`ir::graph::is_acyclic`
    // recurses once per op on a long chain).
    if let Err(cycle) = petgraph::algo::toposort(&crate::ir::graph::op_graph(p), None) {
        let at = cycle.node_id().index() as u32;
        return Err(err(Site::Op(at), "the op is part of a cycle"));
    }
    Ok(())
}

fn err(site: Site, message: impl Into<String>) -> VerifyError {
    VerifyError {
        site,
        link: false,
        message: message.into(),
    }
}

/// Whether `s` is an identifier: ASCII letters, digits and `_`, not starting with a digit.
fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn type_depth_ok(t: &Type) -> bool {
    let mut depth = 0;
    let mut t = t;
    while let Type::List(elem) = t {
        depth += 1;
        t = elem;
    }
    depth <= MAX_TYPE_DEPTH
}

/// Whether a value nests at most [`MAX_VALUE_DEPTH`] deep (recursion bounded by it).
fn value_depth_ok(v: &Value, depth: usize) -> bool {
    if depth > MAX_VALUE_DEPTH {
        return false;
    }
    match v {
        Value::Array(items) => items.iter().all(|x| value_depth_ok(x, depth + 1)),
        Value::Object(map) => map.values().all(|x| value_depth_ok(x, depth + 1)),
        _ => true,
    }
}

fn check_type(site: Site, t: &Type) -> Result<(), VerifyError> {
    if type_depth_ok(t) {
        Ok(())
    } else {
        Err(err(
            site,
            format!("a type is nested more than {MAX_TYPE_DEPTH} lists deep"),
        ))
    }
}

struct Verifier<'a> {
    p: &'a Program,
}

impl<'a> Verifier<'a> {
    fn header(&self) -> Result<(), VerifyError> {
        if !is_ident(&self.p.name) {
            return Err(err(
                Site::Header,
                format!("the program name {:?} is not an identifier", self.p.name),
            ));
        }
        let mut expected = self
            .p
            .tools
            .iter()
            .fold(EffectSet::EMPTY, |acc, t| acc.union(t.effects));
        if !self.p.slots.is_empty() {
            expected.insert(Effect::Llm);
        }
        if self.p.effects != expected {
            return Err(err(
                Site::Effects,
                format!(
                    "it is ({}) but the tools and slots need exactly ({expected})",
                    self.p.effects
                ),
            ));
        }
        Ok(())
    }

    /// The tool table: sorted, unique, and each tool linked against `table`.
    fn tools(&self, table: &'a ToolTable) -> Result<Vec<&'a ToolDecl>, VerifyError> {
        let mut decls = Vec::with_capacity(self.p.tools.len());
        for (i, t) in self.p.tools.iter().enumerate() {
            let site = Site::Tool(i as u32);
            if i > 0 && self.p.tools[i - 1].name >= t.name {
                return Err(err(
                    site,
                    format!(
                        "tool `{}` is out of order or repeated (the table is sorted by name)",
                        t.name
                    ),
                ));
            }
            let link = |message: String| VerifyError {
                site,
                link: true,
                message,
            };
            let Some(decl) = table.get(&t.name) else {
                return Err(link(format!(
                    "link error: the program calls tool `{}`, which this llmos does not have",
                    t.name
                )));
            };
            let now = crate::ir::signature_hash(decl);
            if now != t.sig_hash {
                return Err(link(format!(
                    "link error: tool `{}`: the program was compiled against another signature \
                     (hash {}); the current signature differs: `{}` (hash {}). Recompile the program",
                    t.name,
                    short_hash(&t.sig_hash),
                    crate::ir::signature_text(decl),
                    short_hash(&now)
                )));
            }
            if t.effects != decl.effects {
                return Err(err(
                    site,
                    format!(
                        "tool `{}` is recorded with effects ({}), its declaration has ({})",
                        t.name, t.effects, decl.effects
                    ),
                ));
            }
            decls.push(decl);
        }
        Ok(decls)
    }

    fn consts(&self) -> Result<(), VerifyError> {
        for (i, c) in self.p.consts.iter().enumerate() {
            if !value_depth_ok(c, 0) {
                return Err(err(
                    Site::Const(i as u32),
                    format!("the constant is nested more than {MAX_VALUE_DEPTH} deep"),
                ));
            }
        }
        Ok(())
    }

    fn params(&self) -> Result<(), VerifyError> {
        let mut names = BTreeSet::new();
        for (i, q) in self.p.params.iter().enumerate() {
            let site = Site::Param(i as u32);
            if !is_ident(&q.name) {
                return Err(err(site, format!("{:?} is not an identifier", q.name)));
            }
            if !names.insert(q.name.as_str()) {
                return Err(err(site, format!("param `{}` is declared twice", q.name)));
            }
            check_type(site, &q.ty)?;
            if let Some(d) = &q.default {
                if !value_depth_ok(d, 0) {
                    return Err(err(site, "the default is nested too deep"));
                }
                if !conforms(d, &q.ty) {
                    return Err(err(
                        site,
                        format!(
                            "the default of `{}` is not a {}: {}",
                            q.name,
                            q.ty,
                            crate::value::short(d)
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn slots(&self) -> Result<(), VerifyError> {
        let mut names = BTreeSet::new();
        for (i, s) in self.p.slots.iter().enumerate() {
            let site = Site::Slot(i as u32);
            if !is_ident(&s.name) {
                return Err(err(site, format!("{:?} is not an identifier", s.name)));
            }
            if !names.insert(s.name.as_str()) {
                return Err(err(site, format!("slot `{}` appears twice", s.name)));
            }
            check_type(site, &s.ty)?;
            for part in &s.prompt {
                if let Part::Text(c) = part {
                    self.text_const(site, *c)?;
                }
            }
        }
        Ok(())
    }

    /// A constant that must be a string (template text, object key, field name).
    fn text_const(&self, site: Site, c: u32) -> Result<(), VerifyError> {
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
    fn operand(&self, site: Site, o: Operand, before: usize) -> Result<(), VerifyError> {
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

    fn ops(&self, decls: &[&ToolDecl]) -> Result<(), VerifyError> {
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

    fn steps(&self) -> Result<(), VerifyError> {
        let mut names: BTreeSet<&str> = self.p.params.iter().map(|q| q.name.as_str()).collect();
        for (i, s) in self.p.steps.iter().enumerate() {
            let site = Site::Step(i as u32);
            if let Some(name) = &s.name {
                if !is_ident(name) {
                    return Err(err(site, format!("{name:?} is not an identifier")));
                }
                if !names.insert(name.as_str()) {
                    return Err(err(site, format!("the name `{name}` is defined twice")));
                }
            }
            if let Some(op) = s.op
                && op as usize >= self.p.ops.len()
            {
                return Err(err(
                    site,
                    format!("op %{op} is out of range ({} ops)", self.p.ops.len()),
                ));
            }
        }
        Ok(())
    }
}

/// The first 12 hex digits of a hash.
pub(crate) fn short_hash(h: &[u8; 32]) -> String {
    h.iter().take(6).map(|b| format!("{b:02x}")).collect()
}
