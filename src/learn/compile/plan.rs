//! The generalizing compiler's decisions, before anything is printed: params by evidence,
//! each argument's source, slots, the return value, and the checks that make a program
//! non-generalizable (then the literal version is kept, with the reason as a note).

use super::emit;
use super::evidence;
use super::flow::{Flow, Piece, Results, Src};
use super::glue::{Glue, Unexplained};
use super::guards::{self, Guard};
use super::loops::{self, LoopPlan};
use super::names::{Namer, slot_name};
use super::params::Param;
use super::roles::{Role, for_effect, role};
use super::slots::{self, PromptCtx, SlotPlan};
use super::sources::Recorded;
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
    pub loops: Vec<LoopPlan>,
    /// Per kept step: the loop it is an iteration of.
    pub in_loop: Vec<Option<usize>>,
    pub guards: Vec<Guard>,
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
    // Each result's forms, made once for both passes.
    let results = Results::new(&rec.goal, kept);
    let ev = evidence::collect(&rec.goal, kept, tools, &results);
    let params = evidence::choose(&rec.goal, ev, &mut namer);
    let plan = build(
        rec,
        kept,
        &results,
        final_text,
        params.clone(),
        namer,
        tools,
    )?;
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
    build(rec, kept, &results, final_text, params, namer, tools)
}

impl Plan {
    /// Per kept step: the slots asked before it (indices into `slots`), in order.
    pub fn slots_by_step(&self) -> Vec<Vec<usize>> {
        by_step(self.args.len(), self.slots.iter().map(|s| s.before_step))
    }

    /// Per kept step: the guards checked after it (indices into `guards`), in order.
    pub fn guards_by_step(&self) -> Vec<Vec<usize>> {
        by_step(self.args.len(), self.guards.iter().map(|g| g.after))
    }

    /// Calls `f` on every param, step and slot used by an argument, a slot prompt or the
    /// return value.
    pub fn walk_all(&self, f: &mut impl FnMut(&Src)) {
        for (k, args) in self.args.iter().enumerate() {
            if self.in_loop.get(k).is_none_or(Option::is_none) {
                args.iter().for_each(|(_, s)| s.walk(f));
            }
        }
        for lp in &self.loops {
            lp.over.walk(f);
            lp.body.iter().for_each(|(_, s)| s.walk(f));
        }
        for g in &self.guards {
            g.check.subject().walk(f);
        }
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

/// For each of `n` steps, the indices of the things `at` puts there (one pass, not one
/// scan per step).
fn by_step(n: usize, at: impl Iterator<Item = usize>) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); n];
    for (i, k) in at.enumerate() {
        if let Some(here) = out.get_mut(k) {
            here.push(i);
        }
    }
    out
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
    loops: Vec<LoopPlan>,
    /// Per kept step: the loop it is an iteration of.
    in_loop: Vec<Option<usize>>,
    /// Per kept step: whether its result depends on a param.
    depends: Vec<bool>,
    /// Per kept step: the kept steps that use its result.
    used_by: Vec<Vec<usize>>,
    /// Per kept step: its result was already known before it (a re-read to verify).
    known_before: Vec<bool>,
    seen_dependent: bool,
}

impl Pass {
    /// Whether a source uses a param, a slot, or a result that depends on a param.
    fn refers_to_input(&self, src: &Src) -> bool {
        let mut yes = false;
        src.walk(&mut |r| match r {
            Src::Param(_) | Src::Slot(_) => yes = true,
            Src::Step(j) => yes |= self.depends[*j],
            Src::Loop(l) => yes |= self.loops.get(*l).is_some_and(|lp| self.depends[lp.first]),
            _ => {}
        });
        yes
    }

    /// Notes that kept step `k` uses what `src` refers to.
    fn mark_used(&mut self, src: &Src, k: usize) {
        let loops = &self.loops;
        let used_by = &mut self.used_by;
        src.walk(&mut |s| match s {
            Src::Step(j) => used_by[*j].push(k),
            Src::Loop(l) => {
                if let Some(lp) = loops.get(*l) {
                    (lp.first..=lp.last()).for_each(|c| used_by[c].push(k));
                }
            }
            _ => {}
        });
    }

    /// The sources as printed: each use of a looped step's result made an element of its
    /// loop's values.
    fn remap(&mut self) {
        if self.loops.is_empty() {
            // No looped step: every source stays as it is.
            return;
        }
        let (loops, in_loop) = (&self.loops, &self.in_loop);
        for args in &mut self.args {
            for (_, s) in args.iter_mut() {
                *s = loops::remap(s, loops, in_loop);
            }
        }
        for slot in &mut self.slots {
            for piece in &mut slot.prompt {
                if let Piece::Value(s) = piece {
                    *s = loops::remap(s, loops, in_loop);
                }
            }
        }
        let remapped: Vec<LoopPlan> = loops
            .iter()
            .map(|lp| LoopPlan {
                over: loops::remap(&lp.over, loops, in_loop),
                body: lp
                    .body
                    .iter()
                    .map(|(n, s)| (n.clone(), loops::remap(s, loops, in_loop)))
                    .collect(),
                ..lp.clone()
            })
            .collect();
        self.loops = remapped;
    }
}

fn build(
    rec: &Recording,
    kept: &[(usize, &RecStep)],
    results: &Results<'_>,
    final_text: Option<&str>,
    params: Vec<Param>,
    mut namer: Namer,
    tools: &ToolTable,
) -> Result<Plan, NotGeneral> {
    let goal = template(&rec.goal, &params);
    let mut flow = Flow::new(&rec.goal);
    flow.reserve(kept.len());
    for (i, p) in params.iter().enumerate() {
        flow.add_param(i, p.value.clone());
    }
    let param_names: Vec<String> = params.iter().map(|p| p.name.clone()).collect();
    let param_values: Vec<Value> = params.iter().map(|p| p.value.clone()).collect();
    let ctx = PassCtx {
        rec,
        kept,
        goal: &goal,
        param_names: &param_names,
        param_values: &param_values,
        tools,
        results,
    };
    let mut pass = pass(&ctx, &mut flow, &mut namer);
    pass.remap();
    let goal_lower = rec.goal.to_lowercase();
    let numbers: Vec<usize> = kept.iter().map(|(i, _)| i + 1).collect();
    let glue = Glue {
        goal: &goal_lower,
        dependent: &pass.depends,
        numbers: &numbers,
    };
    let mut notes = Vec::new();
    let ret = output(&flow, kept, final_text, &pass, &glue, &mut notes)?;
    let recorded = Recorded {
        params: &param_values,
        kept,
        slots: &[],
        loops: &pass.loops,
    };
    let inputs = guards::Inputs {
        goal: &goal_lower,
        kept,
        depends: &pass.depends,
        known_before: &pass.known_before,
        loops: &pass.loops,
        in_loop: &pass.in_loop,
        recorded: &recorded,
    };
    let mut used: Vec<&Src> = Vec::new();
    for (k, args) in pass.args.iter().enumerate() {
        if pass.in_loop[k].is_none() {
            used.extend(args.iter().map(|(_, s)| s));
        }
    }
    for lp in &pass.loops {
        used.push(&lp.over);
        used.extend(lp.body.iter().map(|(_, s)| s));
    }
    for slot in &pass.slots {
        used.extend(slot.prompt.iter().filter_map(|p| match p {
            Piece::Value(s) => Some(s),
            Piece::Text(_) => None,
        }));
    }
    used.extend(ret.iter());
    let guards = guards::decide(&inputs, &used)?;
    Ok(Plan {
        name: super::names::trace_name(&rec.goal),
        goal,
        params,
        args: pass.args,
        slots: pass.slots,
        loops: pass.loops,
        in_loop: pass.in_loop,
        guards,
        ret,
        namer,
        notes,
    })
}

/// What the pass reads.
struct PassCtx<'a> {
    rec: &'a Recording,
    kept: &'a [(usize, &'a RecStep)],
    goal: &'a [StrPart],
    param_names: &'a [String],
    param_values: &'a [Value],
    tools: &'a ToolTable,
    results: &'a Results<'a>,
}

/// Derives every argument of every kept step, turning unexplained prose into slots and
/// calls over every element of a list into loops.
fn pass<'a>(ctx: &PassCtx<'a>, flow: &mut Flow<'a>, namer: &mut Namer) -> Pass {
    let kept = ctx.kept;
    let n = kept.len();
    let mut p = Pass {
        args: Vec::with_capacity(n),
        slots: Vec::new(),
        loops: Vec::new(),
        in_loop: vec![None; n],
        depends: vec![false; n],
        used_by: vec![Vec::new(); n],
        known_before: vec![false; n],
        seen_dependent: false,
    };
    let goal_lower = ctx.rec.goal.to_lowercase();
    let numbers: Vec<usize> = kept.iter().map(|(i, _)| i + 1).collect();
    // Recording index -> kept index, for imported `$result_of` references (kept steps
    // are in recording order).
    let kept_index = |rec_i: usize| kept.binary_search_by_key(&rec_i, |(i, _)| *i).ok();
    for (k, (_, step)) in kept.iter().enumerate() {
        let Some(decl) = ctx.tools.get(&step.tool) else {
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
            let mut refs_param = p.refers_to_input(&src);
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
                let prompt_ctx = PromptCtx {
                    goal: ctx.goal,
                    param_names: ctx.param_names,
                    kept,
                    depends: &p.depends,
                    used_by: &p.used_by,
                };
                let prompt = slots::prompt(&prompt_ctx, k, &param.name);
                p.slots.push(SlotPlan {
                    name: namer.take(slot_name(&param.name)),
                    before_step: k,
                    prompt,
                    answer: v.clone(),
                });
                src = Src::Slot(p.slots.len() - 1);
                refs_param = true;
            }
            p.mark_used(&src, k);
            if let Src::Slot(i) = src {
                let prompt: Vec<Src> = p.slots[i]
                    .prompt
                    .iter()
                    .filter_map(|piece| match piece {
                        Piece::Value(s) => Some(s.clone()),
                        Piece::Text(_) => None,
                    })
                    .collect();
                prompt.iter().for_each(|s| p.mark_used(s, k));
            }
            p.depends[k] |= refs_param;
            step_args.push((param.name.clone(), src));
        }
        p.args.push(step_args);
        if let Some((result, forms)) = ctx.results.get(k) {
            p.known_before[k] = flow.knows(result);
            flow.add_result(k, result, forms);
            p.seen_dependent |= p.depends[k];
            find_loop(ctx, &mut p, flow, k);
        }
    }
    p
}

/// Makes the steps ending at `k` a loop when they call one tool over every element of a
/// list, and the loop's values known.
fn find_loop(ctx: &PassCtx<'_>, p: &mut Pass, flow: &mut Flow<'_>, k: usize) {
    if !loops::may_end_at(&p.args[k], &p.in_loop) {
        return;
    }
    let recorded = Recorded {
        params: ctx.param_values,
        kept: ctx.kept,
        slots: &[],
        loops: &p.loops,
    };
    let len = |s: &Src| recorded.value(s).and_then(|v| v.as_array().map(Vec::len));
    // A result of an earlier loop's call is that element of the loop's values, so calls
    // over every value of a loop are a loop too (read each file, then search each text).
    let args_at = |c: usize| -> Vec<(String, Src)> {
        p.args[c]
            .iter()
            .map(|(n, s)| (n.clone(), loops::remap(s, &p.loops, &p.in_loop)))
            .collect()
    };
    let Some(lp) = loops::detect(k, &args_at, ctx.kept, &p.in_loop, &len, p.loops.len()) else {
        return;
    };
    let l = p.loops.len();
    for c in lp.first..=lp.last() {
        p.in_loop[c] = Some(l);
    }
    flow.add_loop(l, loops::values(&lp, ctx.kept), k);
    p.loops.push(lp);
}

/// The program's output: the final answer when data flow and short glue explain it;
/// else the last file written; else the recording cannot be generalized (the LLM worked
/// the answer out itself). Without a final answer, the last result.
fn output(
    flow: &Flow<'_>,
    kept: &[(usize, &RecStep)],
    final_text: Option<&str>,
    pass: &Pass,
    glue: &Glue<'_>,
    notes: &mut Vec<String>,
) -> Result<Option<Src>, NotGeneral> {
    let whole = |j: usize| match pass.in_loop[j] {
        Some(l) => Src::Loop(l),
        None => Src::Step(j),
    };
    let Some(text) = final_text else {
        return Ok(kept
            .last()
            .and_then(|(_, s)| s.result.as_ref())
            .map(|_| whole(kept.len() - 1)));
    };
    let src = loops::remap(
        &flow.derive(&Value::String(text.to_owned())),
        &pass.loops,
        &pass.in_loop,
    );
    if !pass.seen_dependent && !pass.refers_to_input(&src) {
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
        return Ok(Some(whole(j)));
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
