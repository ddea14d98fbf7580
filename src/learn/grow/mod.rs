//! Programs grow branches. When a followed program stops at a failed `expect` (it does
//! not apply to the input) and the Learner then solves the goal, the new recording's
//! program is merged into the old one at that guard:
//!
//! ```llt
//! <the old program's statements before the guard>
//! let result = if <the guard's condition> {
//!     <the old program's statements after the guard>
//!     <its return value>
//! } else {
//!     <the new program's statements>
//!     <its return value>
//! }
//! return result
//! ```
//!
//! The merged program serves both cases and replaces the old one in the library (its
//! lineage records the parent). A merge is made only when it is sound: the same goal
//! template (params of the same types and shapes, named alike or renamed), a top-level
//! guard, statements before it that only read (nothing before the guard acted on the
//! world, so the Learner saw the world the old program saw), and branches whose values
//! check as one type. Otherwise the new program is stored beside the old one and the
//! note says why.

mod error;
mod names;

pub use error::GrowError;

use std::collections::BTreeMap;

use crate::dispatch::Shape;
use crate::learn::compile::Compiled;
use crate::syntax::ast::{self, Block, Expr, ExprKind, File, Item, ItemKind, StrPart};
use crate::tools::ToolTable;
use crate::types::Effect;

/// The program a goal's followed run stopped in.
pub struct Parent<'a> {
    /// Its `.llt` source (the store keeps it beside the program).
    pub source: &'a str,
    /// The top-level statement whose `expect` failed (`RunError::step`).
    pub failed_step: u32,
    /// Each param's shape, from its library entry (a param without one binds by type).
    pub shapes: &'a [(String, Option<Shape>)],
}

/// A merged program, or why the two could not be merged.
pub fn merge(
    parent: &Parent<'_>,
    child: &Compiled,
    tools: &ToolTable,
) -> Result<Compiled, GrowError> {
    let old = parse(parent.source, "the stored program")?;
    let new = parse(&child.source, "the new program")?;
    let (old_head, old_body, old_ret) = split(old);
    let (new_head, mut new_body, mut new_ret) = split(new);
    let (guard_at, cond) = guard(&old_body, parent.failed_step)?;
    let renames = param_map(&old_head, &new_head, parent.shapes, &child.shapes)?;
    let prefix = &old_body[..guard_at];
    acts_on_nothing(prefix, tools)?;
    // The new program's names: its params as the old ones are called, every other name
    // clear of the old program's.
    let mut taken = names::defined(&old_head);
    taken.extend(names::defined(&old_body));
    taken.extend(
        old_ret
            .iter()
            .flat_map(|r| names::defined(std::slice::from_ref(r))),
    );
    let mut map = renames;
    let mut new_names = names::defined(&new_body);
    new_names.extend(
        new_ret
            .iter()
            .flat_map(|r| names::defined(std::slice::from_ref(r))),
    );
    for name in &new_names {
        if taken.contains(name) && !map.contains_key(name) {
            let fresh = names::fresh(name, &taken.union(&new_names).cloned().collect());
            taken.insert(fresh.clone());
            map.insert(name.clone(), fresh);
        }
    }
    new_body
        .iter_mut()
        .for_each(|i| names::rename_item(i, &map));
    if let Some(r) = &mut new_ret {
        names::rename_item(r, &map);
    }
    reuse_prefix(prefix, &mut new_body, &mut new_ret, tools);
    let result = names::fresh("result", &taken.union(&new_names).cloned().collect());
    let (then_value, else_value) = match (old_ret, new_ret) {
        (Some(a), Some(b)) => (ret_expr(a), ret_expr(b)),
        (None, None) => (null(), null()),
        _ => return Err(GrowError::ReturnMismatch),
    };
    let then = block(old_body[guard_at + 1..].to_vec(), then_value);
    let otherwise = block(new_body, else_value);
    let branch = expr(ExprKind::If(Box::new(ast::If {
        arms: vec![(cond, then)],
        otherwise: Some(otherwise),
    })));
    let mut items = old_head;
    items.extend(old_body[..guard_at].iter().cloned());
    items.push(item(ItemKind::Let(ast::Let {
        name: ident(&result),
        ty: None,
        value: ast::LetValue::Expr(branch),
    })));
    items.push(item(ItemKind::Return(expr(ExprKind::Ref(ident(&result))))));
    let file = File {
        items,
        ..File::default()
    };
    let guard_text = crate::syntax::printer::format(
        "",
        &File {
            items: vec![old_body[guard_at].clone()],
            ..File::default()
        },
    );
    let note = format!(
        "merged a branch at `{}`: the old steps when it holds, the new recording's otherwise",
        guard_text.trim()
    );
    let source = format!(
        "// Grown from a stored program: {note}.\n{}",
        crate::syntax::printer::format("", &file)
    );
    let (program, _, spans) =
        crate::ir::build::compile_with_spans(&source, tools).map_err(|diags| {
            let first = diags.iter().find(|d| d.is_error());
            GrowError::DoesNotCheck(first.map(ToString::to_string).unwrap_or_default())
        })?;
    let program = crate::bytecode::verify(program, tools)
        .map_err(|e| GrowError::DoesNotCheck(e.to_string()))?;
    let slot_answers = child
        .slot_answers
        .iter()
        .map(|s| crate::learn::compile::SlotAnswer {
            slot: map.get(&s.slot).cloned().unwrap_or_else(|| s.slot.clone()),
            ..s.clone()
        })
        .collect();
    let rename = |n: &String| map.get(n).cloned().unwrap_or_else(|| n.clone());
    Ok(Compiled {
        source,
        program,
        spans,
        generalized: child.generalized,
        slot_answers,
        bindings: child
            .bindings
            .iter()
            .map(|(n, v)| (rename(n), v.clone()))
            .collect(),
        params: child.params.clone(),
        shapes: child.shapes.iter().map(|(n, s)| (rename(n), *s)).collect(),
        notes: vec![note],
    })
}

fn parse(source: &str, what: &'static str) -> Result<File, GrowError> {
    let (file, diags) = crate::syntax::parse(source);
    match diags.iter().find(|d| d.is_error()) {
        Some(d) => Err(GrowError::Parse {
            what,
            diagnostic: d.to_string(),
        }),
        None => Ok(file),
    }
}

/// A trace's header (`trace`, `goal`, `param`s), its statements and its `return`.
fn split(file: File) -> (Vec<Item>, Vec<Item>, Option<Item>) {
    let (mut head, mut body, mut ret) = (Vec::new(), Vec::new(), None);
    for item in file.items {
        match item.kind {
            ItemKind::Trace(_) | ItemKind::Goal(_) | ItemKind::Param(_) => head.push(item),
            ItemKind::Return(_) => ret = Some(item),
            _ => body.push(item),
        }
    }
    (head, body, ret)
}

/// The statement of the guard that failed (it must be a top-level `expect`) and its
/// condition.
fn guard(body: &[Item], step: u32) -> Result<(usize, Expr), GrowError> {
    match body.get(step as usize).map(|i| &i.kind) {
        Some(ItemKind::Expect(x)) => Ok((step as usize, x.cond.clone())),
        Some(_) => Err(GrowError::GuardInBlock(step + 1)),
        None => Err(GrowError::NoStatement(step + 1)),
    }
}

/// How the new program's params are called in the old one: the same template text with
/// params at the same places, of the same types and shapes.
fn param_map(
    old: &[Item],
    new: &[Item],
    old_shapes: &[(String, Option<Shape>)],
    new_shapes: &[(String, Shape)],
) -> Result<BTreeMap<String, String>, GrowError> {
    let goal = |items: &[Item]| {
        items.iter().find_map(|i| match &i.kind {
            ItemKind::Goal(g) => Some(g.parts.clone()),
            _ => None,
        })
    };
    let (Some(old_goal), Some(new_goal)) = (goal(old), goal(new)) else {
        return Err(GrowError::NoGoal);
    };
    let params = |items: &[Item]| -> BTreeMap<String, Option<crate::types::Type>> {
        items
            .iter()
            .filter_map(|i| match &i.kind {
                ItemKind::Param(p) => Some((p.name.name.clone(), p.ty.ty.clone())),
                _ => None,
            })
            .collect()
    };
    let (old_params, new_params) = (params(old), params(new));
    let differ = || {
        Err(GrowError::OtherGoal {
            new: template_text(&new_goal),
            old: template_text(&old_goal),
        })
    };
    if old_goal.len() != new_goal.len() || old_params.len() != new_params.len() {
        return differ();
    }
    let mut map = BTreeMap::new();
    for (a, b) in old_goal.iter().zip(&new_goal) {
        match (a, b) {
            (StrPart::Text(x), StrPart::Text(y)) if x == y => {}
            (StrPart::Interp(x), StrPart::Interp(y)) if x.path.is_empty() && y.path.is_empty() => {
                let (o, n) = (&x.root.name, &y.root.name);
                if old_params.get(o) != new_params.get(n) {
                    return Err(GrowError::OtherType {
                        param: o.clone(),
                        new: type_text(new_params.get(n)),
                    });
                }
                let old_shape = old_shapes
                    .iter()
                    .find(|(p, _)| p == o)
                    .and_then(|(_, s)| s.as_ref());
                let new_shape = new_shapes.iter().find(|(p, _)| p == n).map(|(_, s)| s);
                if old_shape != new_shape {
                    return Err(GrowError::OtherShape {
                        param: o.clone(),
                        new: new_shape.map_or("none".to_owned(), Shape::describe),
                        old: old_shape.map_or("none".to_owned(), Shape::describe),
                    });
                }
                if o != n {
                    map.insert(n.clone(), o.clone());
                }
            }
            _ => return differ(),
        }
    }
    Ok(map)
}

fn template_text(parts: &[StrPart]) -> String {
    parts
        .iter()
        .map(|p| match p {
            StrPart::Text(t) => t.clone(),
            StrPart::Interp(i) => format!("{{{}}}", i.root.name),
        })
        .collect()
}

fn type_text(t: Option<&Option<crate::types::Type>>) -> String {
    match t {
        Some(Some(t)) => t.to_string(),
        _ => "none".to_owned(),
    }
}

/// The statements before the guard only read and compute: the Learner saw the world the
/// stored program saw when it stopped, and the new branch may do it all again.
fn acts_on_nothing(prefix: &[Item], tools: &ToolTable) -> Result<(), GrowError> {
    for (k, item) in prefix.iter().enumerate() {
        if let ItemKind::Let(ast::Let {
            value: ast::LetValue::Ask(_),
            ..
        }) = &item.kind
        {
            return Err(GrowError::AskBeforeGuard(k + 1));
        }
        for tool in names::tools_called(item) {
            let acts = tools.get(&tool).is_none_or(|d| {
                d.effects
                    .iter()
                    .any(|e| !matches!(e, Effect::Pure | Effect::Read))
            });
            if acts {
                return Err(GrowError::ActsBeforeGuard { step: k + 1, tool });
            }
        }
    }
    Ok(())
}

/// The new branch's leading reads that the statements before the guard already made
/// (the same call with the same arguments) use those results instead.
fn reuse_prefix(prefix: &[Item], body: &mut Vec<Item>, ret: &mut Option<Item>, tools: &ToolTable) {
    let printed = |e: &Expr| {
        crate::syntax::printer::format(
            "",
            &File {
                items: vec![item(ItemKind::Expr(e.clone()))],
                ..File::default()
            },
        )
    };
    let known: Vec<(String, String)> = prefix
        .iter()
        .filter_map(|i| match &i.kind {
            ItemKind::Let(ast::Let {
                name,
                ty: None,
                value: ast::LetValue::Expr(e),
            }) if matches!(e.kind, ExprKind::Call(_)) => Some((printed(e), name.name.clone())),
            _ => None,
        })
        .collect();
    let mut map = BTreeMap::new();
    let mut kept = Vec::new();
    let mut leading = true;
    for mut it in std::mem::take(body) {
        names::rename_item(&mut it, &map);
        let reads_only = acts_on_nothing(std::slice::from_ref(&it), tools).is_ok();
        leading &= reads_only;
        if leading
            && let ItemKind::Let(ast::Let {
                name,
                ty: None,
                value: ast::LetValue::Expr(e),
            }) = &it.kind
            && let Some((_, old)) = known.iter().find(|(p, _)| *p == printed(e))
        {
            map.insert(name.name.clone(), old.clone());
            continue;
        }
        kept.push(it);
    }
    *body = kept;
    if let Some(r) = ret {
        names::rename_item(r, &map);
    }
}

fn ret_expr(item: Item) -> Expr {
    match item.kind {
        ItemKind::Return(e) => e,
        _ => null(),
    }
}

fn block(mut items: Vec<Item>, value: Expr) -> Block {
    items.push(item(ItemKind::Expr(value)));
    Block {
        items,
        span: Default::default(),
        broken: false,
    }
}

fn null() -> Expr {
    expr(ExprKind::Null)
}

fn expr(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Default::default(),
    }
}

fn item(kind: ItemKind) -> Item {
    Item {
        kind,
        span: Default::default(),
        doc: None,
    }
}

fn ident(name: &str) -> ast::Ident {
    ast::Ident {
        name: name.to_owned(),
        span: Default::default(),
    }
}

#[cfg(test)]
mod tests;
