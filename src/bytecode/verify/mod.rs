//! Program-level checks: everything a decoded (or freshly compiled) program must satisfy
//! before the VM may run it. References in range and only to earlier ops (so the DAG is
//! acyclic by construction), well-formed types, the tool table sorted and linked against
//! the current tool declarations (a changed signature is a link error), call arity and
//! result types, effect edges that keep the workspace order, and the capability set.
//!
//! Linear in the size of the program: one pass over the ops, no recursion beyond the
//! bounded depth of constants.

mod kinds;
mod ops;

use std::collections::BTreeSet;

use super::error::{Site, VerifyError};
use super::format::{MAX_TYPE_DEPTH, MAX_VALUE_DEPTH};
use super::verified::Verified;
use crate::check::ToolTable;
use crate::ir::{Part, Program};
use crate::stdlib::ToolDecl;
use crate::tools::table::LinkErrorKind;
use crate::types::{Effect, EffectSet, Type};
use crate::value::{Value, conforms};

/// Checks that `p` is a valid program linked against `tools`; the [`Verified`] program
/// is what the VM runs.
pub fn verify(p: Program, tools: &ToolTable) -> Result<Verified, VerifyError> {
    check(&p, tools)?;
    Ok(Verified::new(p))
}

/// The checks of [`verify`], on a borrowed program.
pub(super) fn check(p: &Program, tools: &ToolTable) -> Result<(), VerifyError> {
    let v = Verifier { p };
    v.header()?;
    let decls = v.tools(tools)?;
    v.consts()?;
    v.params()?;
    v.slots()?;
    let top = ops::Scope {
        ops: &p.ops,
        steps: &p.steps,
        block: None,
        locals: Vec::new(),
        elem: None,
        depth: 0,
    };
    let mut walk = ops::Walk::default();
    v.scope(&top, &decls, &mut walk)?;
    if walk.next_slot != p.slots.len() {
        return Err(err(
            Site::Slot(walk.next_slot as u32),
            "the slot is never asked (every slot has exactly one ask op, in order)",
        ));
    }
    if walk.next_block as usize != p.blocks.len() {
        return Err(err(
            Site::Block(walk.next_block),
            "no op owns the block (every block has exactly one owner, in order)",
        ));
    }
    v.steps()?;
    if let Some(o) = p.output {
        v.operand(&top, Site::Output, o, p.ops.len())?;
    }
    // Acyclic by construction (every op refers only to earlier ops, checked above); checked
    // again on the graph as a safety net.
    if let Some(at) = cycle(p) {
        return Err(err(Site::Op(at), "the op is part of a cycle"));
    }
    Ok(())
}

/// An op on a cycle of the op graph, if there is one (petgraph's iterative toposort, so
/// long chains cannot exhaust the stack). Every dependency must already be in range.
fn cycle(p: &Program) -> Option<u32> {
    petgraph::algo::toposort(&crate::ir::graph::op_graph(p), None)
        .err()
        .map(|c| c.node_id().index() as u32)
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
        }
        let linked = table.link(&self.p.tools).map_err(|e| VerifyError {
            site: Site::Tool(e.index as u32),
            link: e.kind != LinkErrorKind::Effects,
            message: match e.kind {
                LinkErrorKind::Effects => e.message,
                _ => format!("link error: {}", e.message),
            },
        })?;
        Ok(linked.into_iter().map(|e| &e.decl).collect())
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
                && op.index() >= self.p.ops.len()
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

pub(crate) use crate::tools::table::short_hash;
