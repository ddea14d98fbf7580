//! Printing a plan as `.llt` source (the program a person could have written), then
//! compiling that source like any hand-written trace.

use std::collections::{BTreeMap, BTreeSet};

use super::emit::{self, Names, apply_key};
use super::flow::{Apply, Piece, Src};
use super::names::{inserted_name, result_name};
use super::plan::Plan;
use super::{Compiled, SlotAnswer};
use crate::learn::recording::{RecStep, Recording};
use crate::syntax::ast::{self, File, Item, ItemKind};
use crate::tools::ToolTable;
use crate::types::Type;
use crate::value::{Value, to_text};

/// Prints and compiles a plan. `generalized` says whether it is the generalized plan.
pub fn print(
    rec: &Recording,
    kept: &[(usize, &RecStep)],
    mut plan: Plan,
    generalized: bool,
    tools: &ToolTable,
) -> Result<Compiled, String> {
    let steps = step_names(kept, &mut plan);
    let applies = apply_names(kept, &mut plan, &steps);
    let param_names: Vec<String> = plan.params.iter().map(|p| p.name.clone()).collect();
    let slot_names: Vec<String> = plan.slots.iter().map(|s| s.name.clone()).collect();
    let names = Names {
        params: &param_names,
        steps: &steps,
        slots: &slot_names,
        applies: &applies,
    };
    let mut out = Out {
        items: vec![
            emit::trace_item(&plan.name),
            emit::goal_item(plan.goal.clone()),
        ],
        emitted: BTreeSet::new(),
        names: &names,
    };
    for p in &plan.params {
        out.items.push(emit::param_item(&p.name, &p.ty));
    }
    for (k, (_, s)) in kept.iter().enumerate() {
        for slot in plan.slots.iter().filter(|sl| sl.before_step == k) {
            for piece in &slot.prompt {
                if let Piece::Value(src) = piece {
                    out.inserted_steps(src);
                }
            }
            let prompt = emit::string(names.parts(&slot.prompt));
            out.items.push(emit::let_item(
                &slot.name,
                Some(&Type::Str),
                ast::LetValue::Ask(prompt),
            ));
        }
        plan.args[k]
            .iter()
            .for_each(|(_, src)| out.inserted_steps(src));
        let call = emit::call(
            &s.tool,
            plan.args[k]
                .iter()
                .map(|(n, src)| (n.clone(), names.expr(src)))
                .collect(),
        );
        out.items.push(match &steps[k] {
            Some(n) => emit::let_item(n, None, ast::LetValue::Expr(call)),
            None => emit::item(ItemKind::Expr(call)),
        });
    }
    if let Some(r) = &plan.ret {
        out.inserted_steps(r);
        out.items.push(emit::item(ItemKind::Return(names.expr(r))));
    }
    let file = File {
        items: out.items,
        comments: Vec::new(),
        broken_names: Vec::new(),
    };
    let body = spaced(&crate::syntax::printer::format("", &file));
    let source = format!("{}{body}", header(rec));
    let (program, _warnings) = crate::ir::build::compile_with(&source, tools).map_err(|diags| {
        let first = diags
            .iter()
            .find(|d| d.is_error())
            .map(ToString::to_string)
            .unwrap_or_default();
        format!("the compiled program does not check: {first}")
    })?;
    let values: Vec<Value> = plan.params.iter().map(|p| p.value.clone()).collect();
    let slot_answers = plan
        .slots
        .iter()
        .map(|s| SlotAnswer {
            slot: s.name.clone(),
            prompt: s
                .prompt
                .iter()
                .map(|p| match p {
                    Piece::Text(t) => t.clone(),
                    Piece::Value(src) => super::replay::value_of(src, &values, kept, &[])
                        .map(|v| to_text(&v).into_owned())
                        .unwrap_or_default(),
                })
                .collect(),
            answer: s.answer.clone(),
        })
        .collect();
    Ok(Compiled {
        source,
        program,
        generalized,
        slot_answers,
        bindings: plan
            .params
            .iter()
            .map(|p| (p.name.clone(), p.value.clone()))
            .collect(),
        shapes: plan
            .params
            .iter()
            .map(|p| (p.name.clone(), p.candidate.shape))
            .collect(),
        params: plan.params,
        notes: plan.notes,
    })
}

/// The items printed so far.
struct Out<'a> {
    items: Vec<Item>,
    /// Inserted steps already printed, by key.
    emitted: BTreeSet<String>,
    names: &'a Names<'a>,
}

impl Out<'_> {
    /// Prints the inserted steps `src` needs that are not printed yet (inner ones first).
    fn inserted_steps(&mut self, src: &Src) {
        src.refs(&mut |r| {
            if let Src::Apply(a) = r {
                self.inserted_steps(&a.base);
                let key = apply_key(a);
                if self.emitted.insert(key) {
                    self.items.push(inserted_item(a, self.names));
                }
            }
        });
    }
}

/// `let name = tool(input: base, extra...)`, arguments in declaration order.
fn inserted_item(a: &Apply, names: &Names<'_>) -> Item {
    // Inserted steps are built-in pure tools (see `forms`).
    let Some(decl) = crate::tools::ToolTable::builtins().get(a.tool) else {
        return emit::item(ItemKind::Expr(emit::constant(&Value::Null)));
    };
    let args = decl
        .params
        .iter()
        .filter_map(|p| {
            if p.name == a.input {
                Some((p.name.clone(), names.expr(&a.base)))
            } else {
                a.extra
                    .iter()
                    .find(|(n, _)| *n == p.name)
                    .map(|(n, v)| ((*n).to_owned(), emit::constant(v)))
            }
        })
        .collect();
    let name = names
        .applies
        .get(&apply_key(a))
        .cloned()
        .unwrap_or_default();
    emit::let_item(&name, None, ast::LetValue::Expr(emit::call(a.tool, args)))
}

/// Names of the steps whose values something uses.
fn step_names(kept: &[(usize, &RecStep)], plan: &mut Plan) -> Vec<Option<String>> {
    let mut used = BTreeSet::new();
    plan.walk_all(&mut |s| {
        if let Src::Step(j) = s {
            used.insert(*j);
        }
    });
    kept.iter()
        .enumerate()
        .map(|(j, (_, s))| {
            used.contains(&j)
                .then(|| plan.namer.take(result_name(&s.tool)))
        })
        .collect()
}

/// Names of the inserted steps, in the order they are first used.
fn apply_names(
    kept: &[(usize, &RecStep)],
    plan: &mut Plan,
    steps: &[Option<String>],
) -> BTreeMap<String, String> {
    let mut order: Vec<Apply> = Vec::new();
    fn collect(src: &Src, order: &mut Vec<Apply>) {
        src.refs(&mut |r| {
            if let Src::Apply(a) = r {
                collect(&a.base, order);
                if !order.contains(a) {
                    order.push((**a).clone());
                }
            }
        });
    }
    for k in 0..kept.len() {
        for slot in plan.slots.iter().filter(|s| s.before_step == k) {
            for p in &slot.prompt {
                if let Piece::Value(s) = p {
                    collect(s, &mut order);
                }
            }
        }
        plan.args[k]
            .iter()
            .for_each(|(_, s)| collect(s, &mut order));
    }
    if let Some(r) = &plan.ret {
        collect(r, &mut order);
    }
    let mut names = BTreeMap::new();
    for a in order {
        let base = match &a.base {
            Src::Param(i) => plan.params.get(*i).map(|p| p.name.clone()),
            Src::Step(j) => steps.get(*j).cloned().flatten(),
            Src::Apply(b) => names.get(&apply_key(b)).cloned(),
            _ => None,
        };
        let name = plan.namer.take(&inserted_name(a.tool, base.as_deref()));
        names.insert(apply_key(&a), name);
    }
    names
}

/// Blank lines between the groups: header, params, steps.
fn spaced(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 8);
    let mut prev_group = 0;
    for line in body.lines() {
        let group = if line.starts_with("trace ") || line.starts_with("goal ") {
            0
        } else if line.starts_with("param ") {
            1
        } else if line.starts_with(|c: char| c.is_whitespace())
            || line.is_empty()
            || line.starts_with(|c: char| !c.is_ascii_alphabetic())
        {
            prev_group
        } else {
            2
        };
        if group != prev_group {
            out.push('\n');
        }
        prev_group = group;
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn header(rec: &Recording) -> String {
    let mut h = format!("// Learned from a recording of {:?}", rec.goal);
    if !rec.model.is_empty() {
        h.push_str(&format!(" ({})", rec.model));
    }
    h.push_str(".\n");
    h
}
