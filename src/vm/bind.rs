//! Everything checked before the first op runs: `--set NAME=VALUE` resolved once into
//! [`Bindings`] (read as the declared type of the param or slot it names, kept by id),
//! params bound (given, else default, else
//! an error naming it), and the capabilities the program needs compared with what was
//! granted.

use std::collections::BTreeMap;

use super::error::{RunError, RunErrorKind};
use super::plan::Plan;
use crate::ir::{OpId, OpKind, ParamId, Program, SlotId};
use crate::types::{Effect, EffectSet};
use crate::value::{Value, coerce, parse_as};

/// Values given on the command line (`--set`), resolved once: each read as the declared
/// type of the param or slot it names and kept under that param's or slot's id. The VM
/// takes them as they are (it checks neither name nor type again).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bindings {
    params: BTreeMap<ParamId, Value>,
    slots: BTreeMap<SlotId, Value>,
}

impl Bindings {
    /// Resolves `--set NAME=VALUE` pairs: NAME is a param or an `ask` slot of `program`,
    /// and VALUE is read as its declared type (`value::parse_as`). Every problem is
    /// reported, one per line: an unknown name (with the closest name when one is close),
    /// a name given twice, a value that does not parse.
    pub fn from_sets(program: &Program, sets: &[(String, String)]) -> Result<Bindings, RunError> {
        let mut out = Bindings::default();
        let mut problems = Vec::new();
        let mut kind = RunErrorKind::BadParam;
        for (name, text) in sets {
            let param = program.params.iter().position(|p| p.name == *name);
            let slot = program.slots.iter().position(|s| s.name == *name);
            let (ty, what, given) = match (param, slot) {
                (Some(i), _) => {
                    let id = ParamId(i as u32);
                    (&program.params[i].ty, "param", out.params.contains_key(&id))
                }
                (None, Some(i)) => (
                    &program.slots[i].ty,
                    "slot",
                    out.slots.contains_key(&SlotId(i as u32)),
                ),
                (None, None) => {
                    kind = RunErrorKind::UnknownName;
                    problems.push(unknown_name(program, name));
                    continue;
                }
            };
            if given {
                problems.push(format!("`--set {name}=...` is given twice"));
                continue;
            }
            match (parse_as(text, ty), param, slot) {
                (Ok(v), Some(i), _) => {
                    out.params.insert(ParamId(i as u32), v);
                }
                (Ok(v), None, Some(i)) => {
                    out.slots.insert(SlotId(i as u32), v);
                }
                (Ok(_), None, None) => {}
                (Err(e), _, _) => problems.push(format!("{what} `{name}: {ty}`: {e}")),
            }
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(RunError::new(kind, problems.join("\n")))
        }
    }

    /// The value given for param `id`.
    pub fn param(&self, id: ParamId) -> Option<&Value> {
        self.params.get(&id)
    }

    /// The value given for slot `id` (that slot is then not asked).
    pub fn slot(&self, id: SlotId) -> Option<&Value> {
        self.slots.get(&id)
    }

    /// Whether every id names a param or slot of `program` (bindings resolved for
    /// another program are refused, not misread).
    pub(crate) fn fits(&self, program: &Program) -> bool {
        self.params
            .last_key_value()
            .is_none_or(|(k, _)| (*k).index() < program.params.len())
            && self
                .slots
                .last_key_value()
                .is_none_or(|(k, _)| k.index() < program.slots.len())
    }
}

fn unknown_name(program: &Program, name: &str) -> String {
    let names = program
        .params
        .iter()
        .map(|p| p.name.as_str())
        .chain(program.slots.iter().map(|s| s.name.as_str()));
    let mut msg = format!(
        "`--set {name}=...`: the program `{}` has no param or slot `{name}`",
        program.name
    );
    // `closest` counts a swap of two letters as two edits; a swapped pair is a common
    // typo in a name typed on the command line, so look for one too.
    let limit = (name.chars().count() / 3).max(1);
    let suggestion = crate::check::suggest::closest(name, names.clone()).or_else(|| {
        names
            .clone()
            .find(|n| strsim::osa_distance(n, name) <= limit)
    });
    match suggestion {
        Some(close) => msg.push_str(&format!(" (did you mean `{close}`?)")),
        None => {
            let all: Vec<&str> = names.collect();
            if all.is_empty() {
                msg.push_str(" (it takes none)");
            } else {
                msg.push_str(&format!(" (it has: {})", all.join(", ")));
            }
        }
    }
    msg
}

/// Binds every param of `program`: the value of `sets` (already of its type), else the
/// value given by name (checked against the declared type), else the default; a missing
/// or ill-typed param is an error naming it. The result is indexed by `ParamId`.
pub(crate) fn bind_params(
    program: &Program,
    sets: &Bindings,
    given: &BTreeMap<String, Value>,
) -> Result<Vec<Value>, RunError> {
    let mut problems = Vec::new();
    let mut kind = RunErrorKind::BadParam;
    for name in given.keys() {
        if !program.params.iter().any(|p| p.name == *name) {
            kind = RunErrorKind::UnknownName;
            problems.push(format!(
                "the program `{}` has no param `{name}`",
                program.name
            ));
        }
    }
    let mut out = Vec::with_capacity(program.params.len());
    for (i, p) in program.params.iter().enumerate() {
        if let Some(v) = sets.param(ParamId(i as u32)) {
            out.push(v.clone());
            continue;
        }
        match (given.get(&p.name), &p.default) {
            (Some(v), _) => match coerce(v.clone(), &p.ty) {
                Ok(v) => out.push(v),
                Err(e) => problems.push(format!("param `{}: {}`: {e}", p.name, p.ty)),
            },
            (None, Some(d)) => out.push(d.clone()),
            (None, None) => {
                if problems.is_empty() {
                    kind = RunErrorKind::MissingParam;
                }
                problems.push(format!(
                    "param `{}: {}` has no value: pass `--set {}=...`",
                    p.name, p.ty, p.name
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(RunError::new(kind, problems.join("\n")))
    }
}

/// Refuses a program that needs a capability `granted` lacks, naming the capability and
/// the first step that needs it. A slot given by `--set` needs no `llm`.
pub(crate) fn check_capabilities(
    plan: &Plan<'_>,
    granted: EffectSet,
    sets: &Bindings,
) -> Result<(), RunError> {
    let program = plan.program;
    for (i, op) in program.ops.iter().enumerate() {
        let id = OpId(i as u32);
        let needs = match &op.kind {
            OpKind::Ask { slot } => {
                if sets.slot(*slot).is_some() {
                    EffectSet::EMPTY
                } else {
                    EffectSet::single(Effect::Llm)
                }
            }
            _ => plan.op_effects(id),
        };
        let Some(cap) = needs.missing_from(granted).iter().next() else {
            continue;
        };
        let label = super::step_label(program, op.step);
        let what = match plan.op_tool(id) {
            "ask" => "asks an LLM".to_owned(),
            tool => format!("calls `{tool}`"),
        };
        return Err(RunError::at(
            RunErrorKind::Capability,
            id,
            op.step,
            format!(
                "capability `{cap}` not granted: {label} {what}; pass `--allow {cap}` \
                 (or add it to `allow` in config.toml)"
            ),
        ));
    }
    Ok(())
}
