//! Printing a plan as `.llt` source (the program a person could have written), then
//! compiling that source like any hand-written trace.

use std::collections::BTreeSet;

use super::emit::{self, Names, apply_key};
use super::flow::{Apply, Piece, Src};
use super::guards::{Check, Guard};
use super::loops::LoopPlan;
use super::naming::name_plan;
use super::plan::Plan;
use super::sources::Recorded;
use super::{Compiled, SlotAnswer};
use crate::diag::Span;
use crate::learn::recording::{RecStep, Recording};
use crate::syntax::ast::{self, File, Item, ItemKind};
use crate::tools::ToolTable;
use crate::types::{CmpOp, Type};
use crate::value::{Value, to_text};

/// Prints and compiles a plan. `generalized` says whether it is the generalized plan.
pub fn print(
    rec: &Recording,
    kept: &[(usize, &RecStep)],
    mut plan: Plan,
    generalized: bool,
    tools: &ToolTable,
) -> Result<Compiled, String> {
    let pn = name_plan(kept, &mut plan);
    let names = Names {
        params: &pn.params,
        steps: &pn.steps,
        slots: &pn.slots,
        applies: &pn.applies,
        loops: &pn.loops,
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
    let (slots_at, guards_at) = (plan.slots_by_step(), plan.guards_by_step());
    for (k, (_, s)) in kept.iter().enumerate() {
        for slot in slots_at[k].iter().map(|&i| &plan.slots[i]) {
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
        match plan.in_loop[k] {
            Some(l) if plan.loops[l].first == k => out.push_loop(&plan.loops[l], l),
            Some(_) => {}
            None => {
                plan.args[k]
                    .iter()
                    .for_each(|(_, src)| out.inserted_steps(src));
                let call = call_expr(&s.tool, &plan.args[k], &names);
                out.items.push(match &pn.steps[k] {
                    Some(n) => emit::let_item(n, None, ast::LetValue::Expr(call)),
                    None => emit::item(ItemKind::Expr(call)),
                });
            }
        }
        for g in guards_at[k].iter().map(|&i| &plan.guards[i]) {
            out.push_guard(g);
        }
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
    let (body, ends) = crate::syntax::printer::format_items(&file.items);
    let mut source = header(rec);
    let at = source.len();
    let items = spaced(&body, &ends, &mut source).map(|spans| {
        spans
            .into_iter()
            .map(|(start, end)| Span::new(at + start, at + end))
            .collect()
    });
    let (program, spans) = super::typed::compile(file, &source, items, tools)?;
    let program = crate::bytecode::verify(program, tools)
        .map_err(|e| format!("the program is invalid: {e}"))?;
    let values: Vec<Value> = plan.params.iter().map(|p| p.value.clone()).collect();
    let recorded = Recorded {
        params: &values,
        kept,
        slots: &[],
        loops: &plan.loops,
    };
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
                    Piece::Value(src) => recorded
                        .value(src)
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
        spans,
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

fn call_expr(tool: &str, args: &[(String, Src)], names: &Names<'_>) -> ast::Expr {
    emit::call(
        tool,
        args.iter()
            .map(|(n, src)| (n.clone(), names.expr(src)))
            .collect(),
    )
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
        let (items, emitted, names) = (&mut self.items, &mut self.emitted, self.names);
        inserted_into(src, items, emitted, names);
    }

    /// `let values = for elem in list { inserted steps; call }`.
    fn push_loop(&mut self, lp: &LoopPlan, l: usize) {
        self.inserted_steps(&lp.over);
        let mut body = Vec::new();
        let mut emitted = self.emitted.clone();
        for (_, s) in &lp.body {
            inserted_into(s, &mut body, &mut emitted, self.names);
        }
        body.push(emit::item(ItemKind::Expr(call_expr(
            &lp.tool, &lp.body, self.names,
        ))));
        let (values, elem) = &self.names.loops[l];
        let e = emit::for_expr(elem, self.names.expr(&lp.over), body);
        self.items.push(match values {
            Some(n) => emit::let_item(n, None, ast::LetValue::Expr(e)),
            None => emit::item(ItemKind::Expr(e)),
        });
    }

    /// `expect VALUE == CONSTANT, "..."` or `expect list.len(items: LIST) == N, "..."`.
    fn push_guard(&mut self, g: &Guard) {
        let (lhs, rhs, message) = match &g.check {
            Check::Equals(src, v) => {
                self.inserted_steps(src);
                let message = vec![
                    Piece::Text(format!(
                        "this program was learned where {} was {}; here it is ",
                        describe(src, self.names),
                        crate::value::canonical_json(v)
                    )),
                    Piece::Value(src.clone()),
                ];
                (self.names.expr(src), emit::constant(v), message)
            }
            Check::Length(list, n) => {
                self.inserted_steps(list);
                let len = emit::call("list.len", vec![("items".into(), self.names.expr(list))]);
                let message = vec![Piece::Text(format!(
                    "this program was learned for {n} elements of {}",
                    describe(list, self.names)
                ))];
                (len, emit::constant(&Value::from(*n)), message)
            }
            Check::AtLeast(list, n) => {
                self.inserted_steps(list);
                let len = emit::call("list.len", vec![("items".into(), self.names.expr(list))]);
                let message = vec![Piece::Text(format!(
                    "the goal asks for element {n} of {}, which has fewer",
                    describe(list, self.names)
                ))];
                let message = emit::string(self.names.parts(&message));
                let rhs = emit::constant(&Value::from(*n));
                self.items
                    .push(emit::expect_cmp(len, CmpOp::Ge, rhs, message));
                return;
            }
        };
        let message = emit::string(self.names.parts(&message));
        self.items
            .push(emit::expect_cmp(lhs, CmpOp::Eq, rhs, message));
    }
}

/// Prints the inserted steps `src` needs that `emitted` does not hold yet.
fn inserted_into(
    src: &Src,
    items: &mut Vec<Item>,
    emitted: &mut BTreeSet<String>,
    names: &Names<'_>,
) {
    src.refs(&mut |r| {
        if let Src::Apply(a) = r {
            inserted_into(&a.base, items, emitted, names);
            if emitted.insert(apply_key(a)) {
                items.push(inserted_item(a, names));
            }
        }
    });
}

/// A short description of a value for messages: `exists`, `run.status`.
fn describe(src: &Src, names: &Names<'_>) -> String {
    let parts = names.parts(&[Piece::Value(src.clone())]);
    match parts.first() {
        Some(ast::StrPart::Interp(i)) => {
            let mut s = i.root.name.clone();
            for a in &i.path {
                match a {
                    ast::Access::Field(f) => s.push_str(&format!(".{}", f.name)),
                    ast::Access::Index(n, _) => s.push_str(&format!("[{n}]")),
                }
            }
            s
        }
        _ => "a value".to_owned(),
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

/// Appends `body` (items printed one after another, item `k` ending at `ends[k]`) to
/// `out` with blank lines between the groups: header, params, steps. Gives where each
/// item is in what was appended, or `None` when a blank line fell inside an item's text
/// (a multi-line string with a line that looks like an item) or the text holds a `\r`
/// (`lines` drops it): then the items are not where they were printed.
fn spaced(body: &str, ends: &[usize], out: &mut String) -> Option<Vec<(usize, usize)>> {
    out.reserve(body.len() + 8);
    let base = out.len();
    let mut spans = Some(Vec::with_capacity(ends.len()));
    if body.contains('\r') {
        spans = None;
    }
    // The next item (by index into `ends`) and where it starts in `body`.
    let (mut next, mut next_start) = (0, 0);
    let mut old = 0;
    let mut prev_group = 0;
    for line in body.lines() {
        let group = group(line, prev_group);
        let blank = group != prev_group;
        if blank {
            out.push('\n');
        }
        prev_group = group;
        if let Some(found) = &mut spans {
            if old == next_start && next < ends.len() {
                let start = out.len() - base;
                found.push((start, start + ends[next] - next_start));
                next_start = ends[next] + 1;
                next += 1;
            } else if blank {
                spans = None;
            }
        }
        out.push_str(line);
        out.push('\n');
        old += line.len() + 1;
    }
    spans.filter(|s| s.len() == ends.len())
}

/// The group of a line (0 header, 1 params, 2 steps); lines that continue an item, blank
/// lines and lines of punctuation stay in the group before.
fn group(line: &str, prev_group: u8) -> u8 {
    if line.starts_with("trace ") || line.starts_with("goal ") {
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
    }
}

fn header(rec: &Recording) -> String {
    let mut h = format!("// Learned from a recording of {:?}", rec.goal);
    if !rec.model.is_empty() {
        h.push_str(&format!(" ({})", rec.model));
    }
    h.push_str(".\n");
    h
}
