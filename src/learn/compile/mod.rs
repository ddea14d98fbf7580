//! The recording compiler (`recording.md`): a Learner recording becomes an ordinary,
//! checked `.llt` program.
//!
//! 1. Failed calls (and `llm.final`) are dropped; only the path that worked is compiled.
//! 2. Values of the goal (paths, URLs, numbers, quoted words) that the calls use become
//!    `param`s, and the goal becomes a template. Unused ones stay constants.
//! 3. Data flow ([`flow`]): an argument equal to a param or an earlier result (or a field or
//!    element of one) becomes a reference; text containing such values is interpolated.
//! 4. Slots: text the LLM wrote (file contents, stdin, long prose) that may depend on a
//!    param, because it contains a param's value or was written after a result that
//!    depends on one, becomes an `ask` slot. Its prompt holds the goal and the latest
//!    results it may depend on, so a new binding sends the new data; the recorded text is
//!    the cached answer for the recorded binding. Short configuration values (`sep: ""`)
//!    stay constants.
//! 5. The result is printed as source and compiled like any hand-written trace, then
//!    replayed against the recording ([`replay`]); if it would not make the same calls
//!    with the same arguments, the literal version (every value as recorded) is kept.

mod emit;
mod flow;
mod params;
mod replay;

use std::collections::BTreeSet;

use flow::{Flow, Piece, Src};

use crate::learn::recording::{FINAL_TOOL, Outcome, RecStep, Recording, as_step_ref};
use crate::syntax::ast::{self, File, ItemKind, StrPart};
use crate::tools::ToolTable;
use crate::types::Type;
use crate::value::{Value, to_text};

/// A compiled recording.
#[derive(Debug)]
pub struct Compiled {
    /// The program's `.llt` source.
    pub source: String,
    pub program: crate::ir::Program,
    /// False when generalizing failed the replay and the literal version was kept.
    pub generalized: bool,
    /// The recorded answer of each slot, keyed by its prompt as interpolated for the
    /// recorded binding: seeds for the slot cache.
    pub slot_answers: Vec<SlotAnswer>,
    /// The params with the values the recording used.
    pub bindings: Vec<(String, Value)>,
    /// The shape of each param's value in the recorded goal (kept in the library; a new
    /// goal binds only values of the same shape).
    pub shapes: Vec<(String, crate::dispatch::Shape)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SlotAnswer {
    pub slot: String,
    pub prompt: String,
    pub answer: Value,
}

/// Compiles a recording of built-in tool calls. The error names what is wrong and where
/// (step numbers count from 1, as a person reads the file).
pub fn compile(rec: &Recording) -> Result<Compiled, String> {
    compile_with(rec, ToolTable::builtins())
}

/// Compiles a recording against `tools` (the table its calls were made with).
pub fn compile_with(rec: &Recording, tools: &ToolTable) -> Result<Compiled, String> {
    if rec.outcome == Outcome::Failure {
        return Err(format!(
            "the recording's outcome is `failure`{}: only successful runs are compiled",
            rec.error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        ));
    }
    // The calls that worked, with their index in the recording.
    let mut kept: Vec<(usize, &RecStep)> = Vec::new();
    for (i, s) in rec.steps.iter().enumerate() {
        if s.tool == FINAL_TOOL || s.error.is_some() {
            continue;
        }
        let decl = tools
            .get(&s.tool)
            .ok_or_else(|| format!("step {}: unknown tool `{}`", i + 1, s.tool))?;
        for name in s.args.keys() {
            if decl.param(name).is_none() {
                return Err(format!(
                    "step {}: `{}` has no parameter `{name}`",
                    i + 1,
                    s.tool
                ));
            }
        }
        kept.push((i, s));
    }
    if kept.is_empty() {
        return Err("the recording has no successful tool call to compile".to_owned());
    }
    let final_text = rec
        .steps
        .iter()
        .rev()
        .find(|s| s.tool == FINAL_TOOL)
        .and_then(|s| s.args.get("text"))
        .and_then(Value::as_str)
        .map(str::to_owned);

    let general = generalize(rec, &kept, final_text.as_deref(), tools);
    if let Ok(c) = general
        && replay::matches_recording(&c, &kept, tools)
    {
        return Ok(c);
    }
    let literal = literal(rec, &kept, final_text.as_deref(), tools)?;
    Ok(Compiled {
        generalized: false,
        ..literal
    })
}

/// Everything the generalizing compiler decided, before printing.
struct Plan {
    name: String,
    goal: Vec<StrPart>,
    params: Vec<(String, Type, Value)>,
    shapes: Vec<(String, crate::dispatch::Shape)>,
    /// Per kept step: its arguments' sources.
    args: Vec<Vec<(String, Src)>>,
    slots: Vec<SlotPlan>,
    ret: Option<Src>,
}

struct SlotPlan {
    name: String,
    /// The kept step it feeds.
    before_step: usize,
    prompt: Vec<Piece>,
    answer: Value,
}

fn generalize(
    rec: &Recording,
    kept: &[(usize, &RecStep)],
    final_text: Option<&str>,
    tools: &ToolTable,
) -> Result<Compiled, String> {
    // Params: candidates of the goal that some kept call uses.
    let mut params: Vec<(String, Type, Value)> = Vec::new();
    let mut shapes = Vec::new();
    let mut goal_parts: Vec<StrPart> = Vec::new();
    let mut at = 0;
    for c in params::candidates(&rec.goal) {
        let Some(first_use) = first_use(kept, &c.value) else {
            continue;
        };
        let name = unique(
            &role_name(first_use.0, first_use.1, &c.ty),
            params.iter().map(|p| p.0.as_str()),
        );
        goal_parts.push(StrPart::Text(rec.goal[at..c.range.start].to_owned()));
        goal_parts.push(emit::interp_part(&name));
        at = c.range.end;
        shapes.push((name.clone(), c.shape));
        params.push((name, c.ty, c.value));
    }
    goal_parts.push(StrPart::Text(rec.goal[at..].to_owned()));
    goal_parts.retain(|p| !matches!(p, StrPart::Text(t) if t.is_empty()));

    let mut flow = Flow::default();
    for (i, (_, _, v)) in params.iter().enumerate() {
        flow.add_param(i, v.clone());
    }
    let mut depends = vec![false; kept.len()];
    let mut used_by: Vec<Vec<usize>> = vec![Vec::new(); kept.len()];
    let mut args: Vec<Vec<(String, Src)>> = Vec::with_capacity(kept.len());
    let mut slots: Vec<SlotPlan> = Vec::new();
    let mut seen_dependent = false;
    // Recording index -> kept index, for imported `$result_of` references.
    let kept_index = |rec_i: usize| kept.iter().position(|(i, _)| *i == rec_i);

    for (k, (_, step)) in kept.iter().enumerate() {
        let decl = tools
            .get(&step.tool)
            .ok_or_else(|| format!("unknown tool `{}`", step.tool))?;
        let mut step_args = Vec::new();
        for p in &decl.params {
            let Some(v) = step.args.get(&p.name) else {
                continue;
            };
            let mut src = match as_step_ref(v).and_then(kept_index) {
                Some(j) if j < k => Src::Step(j),
                _ => flow.derive(v),
            };
            let mut refs_param = false;
            src.refs(&mut |r| match r {
                Src::Param(_) => refs_param = true,
                Src::Step(j) => refs_param |= depends[*j],
                _ => {}
            });
            if is_llm_text(&step.tool, &p.name, v, &src) && (seen_dependent || refs_param) {
                let name = unique(&slot_name(&p.name), slots.iter().map(|s| s.name.as_str()));
                let prompt =
                    slot_prompt(&goal_parts, &params, kept, k, &p.name, &depends, &used_by);
                slots.push(SlotPlan {
                    name,
                    before_step: k,
                    prompt,
                    answer: v.clone(),
                });
                src = Src::Slot(slots.len() - 1);
                refs_param = true;
            }
            src.refs(&mut |r| {
                if let Src::Step(j) = r {
                    used_by[*j].push(k);
                }
            });
            depends[k] |= refs_param;
            step_args.push((p.name.clone(), src));
        }
        args.push(step_args);
        if let Some(result) = &step.result {
            flow.add_result(k, result);
            seen_dependent |= depends[k];
        }
    }
    // The output: the final answer when it is short text (interpolated), else the last result.
    let ret = match final_text.map(|t| flow.derive(&Value::String(t.to_owned()))) {
        Some(src)
            if src.literal_len() <= 80
                && !matches!(&src, Src::Const(Value::String(s)) if s.contains('\n')) =>
        {
            Some(src)
        }
        _ => kept
            .last()
            .and_then(|(_, s)| s.result.as_ref())
            .map(|_| Src::Step(kept.len() - 1)),
    };
    let plan = Plan {
        name: trace_name(&rec.goal),
        goal: goal_parts,
        params,
        shapes,
        args,
        slots,
        ret,
    };
    print_and_compile(rec, kept, &plan, tools)
}

/// The first kept call that uses `value` (exactly, or inside a string): (tool, argument).
fn first_use<'a>(kept: &'a [(usize, &RecStep)], value: &Value) -> Option<(&'a str, &'a str)> {
    let text = to_text(value).into_owned();
    for (_, s) in kept {
        for (name, v) in &s.args {
            if contains_value(v, value, &text) {
                return Some((s.tool.as_str(), name.as_str()));
            }
        }
    }
    None
}

fn contains_value(haystack: &Value, value: &Value, text: &str) -> bool {
    match haystack {
        Value::String(s) => haystack == value || (text.len() >= 2 && word_contains(s, text)),
        Value::Array(items) => items.iter().any(|x| contains_value(x, value, text)),
        Value::Object(map) => map.values().any(|x| contains_value(x, value, text)),
        other => other == value || (other.is_number() && other.as_f64() == value.as_f64()),
    }
}

/// `needle` occurs in `s` without cutting a word in two.
fn word_contains(s: &str, needle: &str) -> bool {
    s.match_indices(needle).any(|(i, m)| {
        let before = s[..i].chars().next_back();
        let after = s[i + m.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// A param's name from its role in the first call that uses it.
fn role_name(tool: &str, arg: &str, ty: &Type) -> String {
    match (tool, arg) {
        ("fs.read" | "fs.exists" | "fs.list", _) => "input".to_owned(),
        ("fs.write" | "fs.append", "path") => "output".to_owned(),
        ("http.get" | "http.get_json", _) => "url".to_owned(),
        ("shell.run", "argv") => "file".to_owned(),
        _ if matches!(ty, Type::Int | Type::Float) => "n".to_owned(),
        (_, arg) => arg.to_owned(),
    }
}

fn slot_name(arg: &str) -> String {
    match arg {
        "content" | "text" => "content".to_owned(),
        other => other.to_owned(),
    }
}

fn unique<'a>(base: &str, taken: impl Iterator<Item = &'a str> + Clone) -> String {
    let mut name = base.to_owned();
    let mut n = 2;
    while taken.clone().any(|t| t == name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    name
}

/// Whether a recorded string is text the LLM wrote (not configuration): file contents,
/// stdin, or long prose that data flow does not explain.
fn is_llm_text(tool: &str, arg: &str, v: &Value, src: &Src) -> bool {
    let Value::String(s) = v else { return false };
    let content_like = matches!(
        (tool, arg),
        ("fs.write" | "fs.append", "content") | ("shell.run", "stdin")
    );
    let literal = src.literal_len();
    let derived_only = matches!(src, Src::Param(_) | Src::Step(_) | Src::Access(..));
    !derived_only && (literal >= 24 || (content_like && literal > 0 && s.contains('\n')))
}

/// The prompt of a slot: the goal, the call it feeds and the latest results it may depend
/// on (results not yet consumed by another step), interpolated.
fn slot_prompt(
    goal: &[StrPart],
    params: &[(String, Type, Value)],
    kept: &[(usize, &RecStep)],
    k: usize,
    arg: &str,
    depends: &[bool],
    used_by: &[Vec<usize>],
) -> Vec<Piece> {
    let mut p = vec![Piece::Text(
        "You are doing one step of this task: ".to_owned(),
    )];
    for part in goal {
        match part {
            StrPart::Text(t) => p.push(Piece::Text(t.clone())),
            StrPart::Interp(i) => {
                if let Some(idx) = params.iter().position(|q| q.0 == i.root.name) {
                    p.push(Piece::Value(Src::Param(idx)));
                }
            }
        }
    }
    p.push(Piece::Text(format!(
        "\nWrite the `{arg}` argument of the tool `{}`.\n",
        kept[k].1.tool
    )));
    let leaves: Vec<usize> = (0..k)
        .filter(|&j| depends[j] && kept[j].1.result.is_some() && used_by[j].iter().all(|&u| u >= k))
        .collect();
    let recent = &leaves[leaves.len().saturating_sub(3)..];
    if !recent.is_empty() {
        p.push(Piece::Text(
            "Base it on these results of earlier steps:\n".to_owned(),
        ));
        for &j in recent {
            p.push(Piece::Text(format!("{}: ", kept[j].1.tool)));
            p.push(Piece::Value(Src::Step(j)));
            p.push(Piece::Text("\n".to_owned()));
        }
    }
    p.push(Piece::Text(
        "Reply with the text only: no introduction, no Markdown fences.".to_owned(),
    ));
    p
}

/// `summarize data/x.csv into y.md` -> `summarize_into`: the first plain words of the goal.
fn trace_name(goal: &str) -> String {
    let words: Vec<String> = goal
        .split_whitespace()
        .filter(|w| w.chars().all(|c| c.is_ascii_alphabetic()))
        .take(3)
        .map(str::to_ascii_lowercase)
        .filter(|w| {
            !matches!(
                w.as_str(),
                "let" | "param" | "return" | "ask" | "true" | "false" | "null"
            )
        })
        .collect();
    if words.is_empty() {
        "learned".to_owned()
    } else {
        words.join("_")
    }
}

/// Names of the steps whose values something uses.
fn step_names(kept: &[(usize, &RecStep)], plan: &Plan) -> Vec<Option<String>> {
    let mut used = BTreeSet::new();
    let mut mark = |s: &Src| {
        s.refs(&mut |r| {
            if let Src::Step(j) = r {
                used.insert(*j);
            }
        })
    };
    plan.args.iter().flatten().for_each(|(_, s)| mark(s));
    plan.slots.iter().flat_map(|s| &s.prompt).for_each(|p| {
        if let Piece::Value(s) = p {
            mark(s)
        }
    });
    if let Some(r) = &plan.ret {
        mark(r);
    }
    let mut names: Vec<Option<String>> = Vec::with_capacity(kept.len());
    let mut taken: Vec<String> = plan
        .params
        .iter()
        .map(|p| p.0.clone())
        .chain(plan.slots.iter().map(|s| s.name.clone()))
        .collect();
    for (j, (_, s)) in kept.iter().enumerate() {
        if used.contains(&j) {
            let n = unique(result_name(&s.tool), taken.iter().map(String::as_str));
            taken.push(n.clone());
            names.push(Some(n));
        } else {
            names.push(None);
        }
    }
    names
}

fn result_name(tool: &str) -> &str {
    match tool {
        "fs.read" => "text",
        "fs.write" | "fs.append" => "written",
        "fs.list" => "entries",
        "fs.glob" => "files",
        "csv.parse" => "table",
        "csv.describe" => "stats",
        "list.len" => "count",
        "text.split" => "words",
        "http.get" => "body",
        "http.get_json" | "json.parse" => "data",
        "shell.run" => "run",
        other => other.rsplit('.').next().unwrap_or("value"),
    }
}

fn print_and_compile(
    rec: &Recording,
    kept: &[(usize, &RecStep)],
    plan: &Plan,
    tools: &ToolTable,
) -> Result<Compiled, String> {
    let steps = step_names(kept, plan);
    let param_names: Vec<String> = plan.params.iter().map(|p| p.0.clone()).collect();
    let slot_names: Vec<String> = plan.slots.iter().map(|s| s.name.clone()).collect();
    let names = emit::Names {
        params: &param_names,
        steps: &steps,
        slots: &slot_names,
    };
    let mut items = vec![
        emit::trace_item(&plan.name),
        emit::goal_item(plan.goal.clone()),
    ];
    for (n, ty, _) in &plan.params {
        items.push(emit::param_item(n, ty));
    }
    for (k, (_, s)) in kept.iter().enumerate() {
        for slot in plan.slots.iter().filter(|sl| sl.before_step == k) {
            let prompt = emit::string(names.parts(&slot.prompt));
            items.push(emit::let_item(
                &slot.name,
                Some(&Type::Str),
                ast::LetValue::Ask(prompt),
            ));
        }
        let call = emit::call(
            &s.tool,
            plan.args[k]
                .iter()
                .map(|(n, src)| (n.clone(), names.expr(src)))
                .collect(),
        );
        items.push(match &steps[k] {
            Some(n) => emit::let_item(n, None, ast::LetValue::Expr(call)),
            None => emit::item(ItemKind::Expr(call)),
        });
    }
    if let Some(r) = &plan.ret {
        items.push(emit::item(ItemKind::Return(names.expr(r))));
    }
    let file = File {
        items,
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
    // The slot answers, keyed by their prompts for the recorded binding.
    let values = |src: &Src| -> String { render(src, plan, kept) };
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
                    Piece::Value(src) => values(src),
                })
                .collect(),
            answer: s.answer.clone(),
        })
        .collect();
    Ok(Compiled {
        source,
        program,
        generalized: true,
        slot_answers,
        bindings: plan
            .params
            .iter()
            .map(|(n, _, v)| (n.clone(), v.clone()))
            .collect(),
        shapes: plan.shapes.clone(),
    })
}

/// The text a source interpolates to for the recorded binding.
fn render(src: &Src, plan: &Plan, kept: &[(usize, &RecStep)]) -> String {
    match replay::value_of(
        src,
        &plan.params.iter().map(|p| p.2.clone()).collect::<Vec<_>>(),
        kept,
        &[],
    ) {
        Some(v) => to_text(&v).into_owned(),
        None => String::new(),
    }
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

/// The literal version: the recorded calls with their recorded arguments, nothing
/// generalized.
fn literal(
    rec: &Recording,
    kept: &[(usize, &RecStep)],
    final_text: Option<&str>,
    tools: &ToolTable,
) -> Result<Compiled, String> {
    let mut goal = rec.goal.clone();
    goal = goal.replace('{', "{{").replace('}', "}}");
    let args: Vec<Vec<(String, Src)>> = kept
        .iter()
        .map(|(_, s)| {
            let Some(decl) = tools.get(&s.tool) else {
                return Vec::new();
            };
            decl.params
                .iter()
                .filter_map(|p| {
                    s.args
                        .get(&p.name)
                        .map(|v| (p.name.clone(), Src::Const(v.clone())))
                })
                .collect()
        })
        .collect();
    let plan = Plan {
        name: trace_name(&rec.goal),
        goal: vec![StrPart::Text(rec.goal.clone())],
        params: Vec::new(),
        shapes: Vec::new(),
        args,
        slots: Vec::new(),
        ret: final_text.map(|t| Src::Const(Value::String(t.to_owned()))),
    };
    let _ = goal;
    print_and_compile(rec, kept, &plan, tools)
}
