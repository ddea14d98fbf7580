//! Everything checked before the first op runs: `--set NAME=VALUE` parsed by the
//! declared type of the param or slot it names, params bound (given, else default, else
//! an error naming it), and the capabilities the program needs compared with what was
//! granted.

use std::collections::BTreeMap;

use super::error::{RunError, RunErrorKind};
use super::plan::Plan;
use crate::ir::{OpKind, Program};
use crate::types::{Effect, EffectSet};
use crate::value::{Value, coerce, parse_as};

/// Values given on the command line, split into params and slots and parsed by type.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SetValues {
    pub params: BTreeMap<String, Value>,
    pub slots: BTreeMap<String, Value>,
}

/// Parses `--set NAME=VALUE` pairs: NAME is a param or an `ask` slot of `program`, and
/// VALUE is read as its declared type (`value::parse_as`). Every problem is reported,
/// one per line: an unknown name (with the closest name when one is close), a name
/// given twice, a value that does not parse.
pub fn parse_sets(program: &Program, sets: &[(String, String)]) -> Result<SetValues, RunError> {
    let mut out = SetValues::default();
    let mut problems = Vec::new();
    let mut kind = RunErrorKind::BadParam;
    for (name, text) in sets {
        let param = program.params.iter().find(|p| p.name == *name);
        let slot = program.slots.iter().find(|s| s.name == *name);
        let (ty, what, into) = match (param, slot) {
            (Some(p), _) => (&p.ty, "param", &mut out.params),
            (None, Some(s)) => (&s.ty, "slot", &mut out.slots),
            (None, None) => {
                kind = RunErrorKind::UnknownName;
                problems.push(unknown_name(program, name));
                continue;
            }
        };
        if into.contains_key(name) {
            problems.push(format!("`--set {name}=...` is given twice"));
            continue;
        }
        match parse_as(text, ty) {
            Ok(v) => {
                into.insert(name.clone(), v);
            }
            Err(e) => problems.push(format!("{what} `{name}: {ty}`: {e}")),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(RunError::new(kind, problems.join("\n")))
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

/// Binds every param of `program`: the given value (checked against the declared type),
/// else the default; a missing or ill-typed param is an error naming it. The result is
/// indexed by `ParamId`.
pub fn bind_params(
    program: &Program,
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
    for p in &program.params {
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

/// Checks `--set` values of slots: each names a slot and fits its type.
pub fn check_slot_values(
    program: &Program,
    given: &BTreeMap<String, Value>,
) -> Result<BTreeMap<String, Value>, RunError> {
    let mut out = BTreeMap::new();
    for (name, v) in given {
        let Some(slot) = program.slots.iter().find(|s| s.name == *name) else {
            return Err(RunError::new(
                RunErrorKind::UnknownName,
                format!("the program `{}` has no slot `{name}`", program.name),
            ));
        };
        let v = coerce(v.clone(), &slot.ty).map_err(|e| {
            RunError::new(
                RunErrorKind::BadParam,
                format!("slot `{name}: {}`: {e}", slot.ty),
            )
        })?;
        out.insert(name.clone(), v);
    }
    Ok(out)
}

/// Refuses a program that needs a capability `granted` lacks, naming the capability and
/// the first step that needs it. A slot given by `--set` needs no `llm`.
pub(crate) fn check_capabilities(
    plan: &Plan<'_>,
    granted: EffectSet,
    slot_values: &BTreeMap<String, Value>,
) -> Result<(), RunError> {
    let program = plan.program;
    for (i, op) in program.ops.iter().enumerate() {
        let id = i as u32;
        let needs = match &op.kind {
            OpKind::Ask { slot } => {
                let given = program
                    .slots
                    .get(*slot as usize)
                    .is_some_and(|s| slot_values.contains_key(&s.name));
                if given {
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
