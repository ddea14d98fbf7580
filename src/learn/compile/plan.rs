//! The generalizing compiler's decisions, before anything is printed: params by evidence,
//! each argument's source, slots, the return value, and the checks that make a program
//! non-generalizable (then the literal version is kept, with the reason as a note).

use super::emit;
use super::evidence;
use super::flow::{Flow, Src};
use super::glue::{Glue, Unexplained};
use super::names::{Namer, slot_name};
use super::params::Param;
use super::roles::{Role, for_effect, role};
use super::slots::{self, PromptCtx, SlotPlan};
use crate::learn::recording::{RecStep, Recording, as_step_ref};
use crate::syntax::ast::StrPart;
use crate::tools::ToolTable;
use crate::value::Value;

/// Everything the generalizing compiler decided, before printing.
pub struct Plan {
    pub name: String,
    pub goal: Vec<StrPart>,
    pub params: Vec<Param>,
    /// Per kept step: its arguments' sources.
    pub args: Vec<Vec<(String, Src)>>,
    pub slots: Vec<SlotPlan>,
    pub ret: Option<Src>,
    /// Names handed out so far (params, slots); printing names steps with it.
    pub namer: Namer,
    /// Remarks for the user (the final message was not kept, ...).
    pub notes: Vec<String>,
}

/// Why a recording cannot be generalized: the literal version is kept.
pub type NotGeneral = String;

/// Plans the generalized program of a recording.
pub fn generalize(
    rec: &Recording,
    kept: &[(usize, &RecStep)],
    final_text: Option<&str>,
    tools: &ToolTable,
) -> Result<Plan, NotGeneral> {
    let mut namer = Namer::default();
    let ev = evidence::collect(&rec.goal, kept, tools);
    let params = evidence::choose(&rec.goal, ev, &mut namer);
    let plan = build(rec, kept, final_text, params.clone(), namer, tools)?;
    // A param nothing ended up using (its evidence was explained otherwise) goes.
    let mut used = vec![false; plan.params.len()];
    plan.walk_all(&mut |s| {
        if let Src::Param(i) = s {
            used[*i] = true;
        }
    });
    if used.iter().all(|u| *u) {
        return Ok(plan);
    }
    let mut namer = Namer::default();
    let params: Vec<Param> = params
        .into_iter()
        .zip(used)
        .filter(|(_, u)| *u)
        .map(|(p, _)| Param::new(namer.take(&p.name), p.candidate))
        .collect();
    build(rec, kept, final_text, params, namer, tools)
}

impl Plan {
    /// Calls `f` on every param, step and slot used by an argument, a slot prompt or the
    /// return value.
    pub fn walk_all(&self, f: &mut impl FnMut(&Src)) {
        self.args.iter().flatten().for_each(|(_, s)| s.walk(f));
        for slot in &self.slots {
            for p in &slot.prompt {
                if let super::flow::Piece::Value(s) = p {
                    s.walk(f);
                }
            }
        }
        if let Some(r) = &self.ret {
            r.walk(f);
        }
    }
}

/// The goal as a template: each param's text replaced by its placeholder.
fn template(goal: &str, params: &[Param]) -> Vec<StrPart> {
    let mut parts = Vec::new();
    let mut at = 0;
    for p in params {
        let r = &p.candidate.range;
        parts.push(StrPart::Text(goal[at..r.start].to_owned()));
        parts.push(emit::interp_part(&p.name));
        at = r.end;
    }
    parts.push(StrPart::Text(goal[at..].to_owned()));
    parts.retain(|p| !matches!(p, StrPart::Text(t) if t.is_empty()));
    parts
}

/// What the pass over the kept steps found.
struct Pass {
    args: Vec<Vec<(String, Src)>>,
    slots: Vec<SlotPlan>,
    /// Per kept step: whether its result depends on a param.
    depends: Vec<bool>,
    /// Per kept step: the kept steps that use its result.
    used_by: Vec<Vec<usize>>,
    /// Per kept step: its result was already known before it (a re-read to verify).
    known_before: Vec<bool>,
    seen_dependent: bool,
    /// The first argument that picks an element of a data-sized list by position:
    /// (kept step, the list's step, index).
    positional: Option<(usize, usize, usize)>,
}

fn build(
    rec: &Recording,
    kept: &[(usize, &RecStep)],
    final_text: Option<&str>,
    params: Vec<Param>,
    mut namer: Namer,
    tools: &ToolTable,
) -> Result<Plan, NotGeneral> {
    let goal = template(&rec.goal, &params);
    let mut flow = Flow::new(&rec.goal);
    for (i, p) in params.iter().enumerate() {
        flow.add_param(i, p.value.clone());
    }
    let param_names: Vec<String> = params.iter().map(|p| p.name.clone()).collect();
    let pass = pass(rec, kept, &mut flow, &goal, &param_names, &mut namer, tools);
    if let Some((k, step, index)) = pass.positional {
        return Err(format!(
            "step {} (`{}`) uses element {index} of the result of step {}, a list whose length depends on the input",
            kept[k].0 + 1,
            kept[k].1.tool,
            kept[step].0 + 1
        ));
    }
    let goal_lower = rec.goal.to_lowercase();
    let numbers: Vec<usize> = kept.iter().map(|(i, _)| i + 1).collect();
    let glue = Glue {
        goal: &goal_lower,
        dependent: &pass.depends,
        numbers: &numbers,
    };
    let mut notes = Vec::new();
    let ret = output(&flow, kept, final_text, &pass, &glue, &mut notes)?;
    let mut used_by = pass.used_by.clone();
    if let Some(r) = &ret {
        r.walk(&mut |s| {
            if let Src::Step(j) = s {
                used_by[*j].push(kept.len());
            }
        });
    }
    check_consumed(kept, &pass, &used_by)?;
    Ok(Plan {
        name: super::names::trace_name(&rec.goal),
        goal,
        params,
        args: pass.args,
        slots: pass.slots,
        ret,
        namer,
        notes,
    })
}

/// Derives every argument of every kept step, turning unexplained prose into slots.
fn pass(
    rec: &Recording,
    kept: &[(usize, &RecStep)],
    flow: &mut Flow,
    goal: &[StrPart],
    param_names: &[String],
    namer: &mut Namer,
    tools: &ToolTable,
) -> Pass {
    let n = kept.len();
    let mut p = Pass {
        args: Vec::with_capacity(n),
        slots: Vec::new(),
        depends: vec![false; n],
        used_by: vec![Vec::new(); n],
        known_before: vec![false; n],
        seen_dependent: false,
        positional: None,
    };
    let goal_lower = rec.goal.to_lowercase();
    let numbers: Vec<usize> = kept.iter().map(|(i, _)| i + 1).collect();
    // Recording index -> kept index, for imported `$result_of` references.
    let kept_index = |rec_i: usize| kept.iter().position(|(i, _)| *i == rec_i);
    for (k, (_, step)) in kept.iter().enumerate() {
        let Some(decl) = tools.get(&step.tool) else {
            // `clean` checked every kept tool against this table.
            p.args.push(Vec::new());
            continue;
        };
        let mut step_args = Vec::new();
        for param in &decl.params {
            let Some(v) = step.args.get(&param.name) else {
                continue;
            };
            let mut src = match as_step_ref(v).and_then(kept_index) {
                Some(j) if j < k => Src::Step(j),
                _ => flow.derive(v),
            };
            let mut refs_param = refers_to_input(&src, &p.depends);
            let glue = Glue {
                goal: &goal_lower,
                dependent: &p.depends,
                numbers: &numbers,
            };
            if role(&step.tool, &param.name) == Role::Prose
                && (p.seen_dependent || refs_param)
                && matches!(v, Value::String(_))
                && glue.check(&src).is_err()
            {
                let ctx = PromptCtx {
                    goal,
                    param_names,
                    kept,
                    depends: &p.depends,
                    used_by: &p.used_by,
                };
                let prompt = slots::prompt(&ctx, k, &param.name);
                p.slots.push(SlotPlan {
                    name: namer.take(slot_name(&param.name)),
                    before_step: k,
                    prompt,
                    answer: v.clone(),
                });
                src = Src::Slot(p.slots.len() - 1);
                refs_param = true;
            }
            if p.positional.is_none()
                && let Some((j, i)) = glue.positional(&src)
            {
                p.positional = Some((k, j, i));
            }
            let mut mark = |s: &Src| {
                if let Src::Step(j) = s {
                    p.used_by[*j].push(k);
                }
            };
            src.walk(&mut mark);
            if let Src::Slot(i) = src {
                for piece in &p.slots[i].prompt {
                    if let super::flow::Piece::Value(s) = piece {
                        s.walk(&mut mark);
                    }
                }
            }
            p.depends[k] |= refs_param;
            step_args.push((param.name.clone(), src));
        }
        p.args.push(step_args);
        if let Some(result) = &step.result {
            p.known_before[k] = flow.knows(result);
            flow.add_result(k, result);
            p.seen_dependent |= p.depends[k];
        }
    }
    p
}

/// Whether a source uses a param, a slot, or a result that depends on a param.
fn refers_to_input(src: &Src, depends: &[bool]) -> bool {
    let mut yes = false;
    src.walk(&mut |r| match r {
        Src::Param(_) | Src::Slot(_) => yes = true,
        Src::Step(j) => yes |= depends[*j],
        _ => {}
    });
    yes
}

/// The program's output: the final answer when data flow and short glue explain it;
/// else the last file written; else the recording cannot be generalized (the LLM worked
/// the answer out itself). Without a final answer, the last result.
fn output(
    flow: &Flow,
    kept: &[(usize, &RecStep)],
    final_text: Option<&str>,
    pass: &Pass,
    glue: &Glue<'_>,
    notes: &mut Vec<String>,
) -> Result<Option<Src>, NotGeneral> {
    let last_result = || {
        kept.last()
            .and_then(|(_, s)| s.result.as_ref())
            .map(|_| Src::Step(kept.len() - 1))
    };
    let Some(text) = final_text else {
        return Ok(last_result());
    };
    let src = flow.derive(&Value::String(text.to_owned()));
    if !pass.seen_dependent && !refers_to_input(&src, &pass.depends) {
        return Ok(Some(src));
    }
    let why = match glue.check(&src) {
        Ok(()) => return Ok(Some(src)),
        Err(why) => why,
    };
    let last_write = kept.iter().rposition(|(_, s)| for_effect(&s.tool));
    if let Some(j) = last_write {
        notes.push(format!(
            "the final answer {why}; the program returns the path it wrote instead"
        ));
        return Ok(Some(Src::Step(j)));
    }
    if why == Unexplained::Prose
        && let Some(j) = last_whole_result(&src)
    {
        notes.push(format!(
            "the final answer {why}; the program returns the result it gives instead"
        ));
        return Ok(Some(Src::Step(j)));
    }
    Err(format!(
        "the final answer {why}, so a program could not give it for another input"
    ))
}

/// The last whole result a text interpolates.
fn last_whole_result(src: &Src) -> Option<usize> {
    let mut last = None;
    src.refs(&mut |r| {
        if let Src::Step(j) = r {
            last = Some(*j);
        }
    });
    last
}

/// A result that depends on a param and that nothing uses (no argument, no slot prompt,
/// not the output) may have been used by the LLM in its head: a program that ignores it
/// would not follow a new input. Writes (done for their effect) and re-reads of a value
/// already known (a check after a write) are explained.
fn check_consumed(
    kept: &[(usize, &RecStep)],
    pass: &Pass,
    used_by: &[Vec<usize>],
) -> Result<(), NotGeneral> {
    for (k, (i, step)) in kept.iter().enumerate() {
        if step.result.is_none()
            || !pass.depends[k]
            || !used_by[k].is_empty()
            || for_effect(&step.tool)
            || pass.known_before[k]
        {
            continue;
        }
        return Err(format!(
            "step {} (`{}`) depends on the goal's values but nothing uses its result: \
             the LLM may have read the answer from it, so a program could not follow a \
             new input",
            i + 1,
            step.tool
        ));
    }
    Ok(())
}
