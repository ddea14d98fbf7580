//! Checking a compiled recording against the recording itself: evaluate every call's
//! arguments with the recorded params, results and slot answers, and compare them with
//! the recorded arguments, by meaning (numbers by value, JSON texts structurally). Steps
//! the compiler inserted run for real (they are pure). A generalized program is kept
//! only when it would make the very same calls.

use super::Compiled;
use super::flow::{Access, Piece, Src, same};
use crate::ir::{OpKind, Operand, Part};
use crate::learn::recording::RecStep;
use crate::tools::ToolTable;
use crate::value::{Value, to_text};

/// Runs the compiled program's ops with recorded results standing in for the tools and
/// recorded answers for the slots; true when every call gets exactly the recorded
/// arguments.
pub fn matches_recording(c: &Compiled, kept: &[(usize, &RecStep)], tools: &ToolTable) -> bool {
    let p = &c.program;
    let params: Vec<Value> = p
        .params
        .iter()
        .map(|q| {
            c.bindings
                .iter()
                .find(|(n, _)| *n == q.name)
                .map(|b| b.1.clone())
                .or(q.default.clone())
        })
        .collect::<Option<Vec<_>>>()
        .unwrap_or_default();
    if params.len() != p.params.len() {
        return false;
    }
    let mut results: Vec<Value> = Vec::with_capacity(p.ops.len());
    let mut calls = c.calls.iter();
    for op in &p.ops {
        let get = |o: &Operand, results: &Vec<Value>| -> Option<Value> {
            match o {
                Operand::Const(i) => p.consts.get(*i as usize).cloned(),
                Operand::Param(i) => params.get(*i as usize).cloned(),
                Operand::Op(i) => results.get(*i as usize).cloned(),
                // Blocks are not replayed (below): nothing reads these at the top level.
                Operand::Local(_) | Operand::Elem => None,
            }
        };
        let v = match &op.kind {
            OpKind::Call { tool, args } => {
                let (Some(origin), Some(tref)) = (calls.next(), p.tools.get(*tool as usize)) else {
                    return false;
                };
                let Some(actual) = args
                    .iter()
                    .map(|a| get(a, &results))
                    .collect::<Option<Vec<_>>>()
                else {
                    return false;
                };
                let Some(step) = origin.and_then(|k| kept.get(k)).map(|(_, s)| s) else {
                    // An inserted step: pure, so it runs for real.
                    match crate::tools::call_pure(&tref.name, &actual) {
                        Some(Ok(v)) => {
                            results.push(v);
                            continue;
                        }
                        _ => return false,
                    }
                };
                let Some(decl) = tools.get(&tref.name).filter(|_| tref.name == step.tool) else {
                    return false;
                };
                for (param, actual) in decl.params.iter().zip(&actual) {
                    match step.args.get(&param.name) {
                        Some(recorded)
                            if crate::learn::recording::as_step_ref(recorded).is_some() => {}
                        Some(recorded) if same(recorded, actual) => {}
                        None if Some(actual) == param.default.as_ref() => {}
                        _ => return false,
                    }
                }
                step.result.clone().unwrap_or(Value::Null)
            }
            OpKind::Ask { slot } => {
                let Some(s) = p.slots.get(*slot as usize) else {
                    return false;
                };
                match c.slot_answers.iter().find(|a| a.slot == s.name) {
                    Some(a) => a.answer.clone(),
                    None => return false,
                }
            }
            OpKind::Template { parts } => {
                let mut out = String::new();
                for part in parts {
                    match part {
                        Part::Text(i) => out.push_str(
                            p.consts
                                .get(*i as usize)
                                .and_then(Value::as_str)
                                .unwrap_or(""),
                        ),
                        Part::Value(o) => match get(o, &results) {
                            Some(v) => out.push_str(&to_text(&v)),
                            None => return false,
                        },
                    }
                }
                Value::String(out)
            }
            OpKind::List { items } => {
                match items
                    .iter()
                    .map(|o| get(o, &results))
                    .collect::<Option<Vec<_>>>()
                {
                    Some(v) => Value::Array(v),
                    None => return false,
                }
            }
            OpKind::Object { entries } => {
                let mut map = serde_json::Map::new();
                for (k, o) in entries {
                    let (Some(Value::String(k)), Some(v)) =
                        (p.consts.get(*k as usize), get(o, &results))
                    else {
                        return false;
                    };
                    map.insert(k.clone(), v);
                }
                Value::Object(map)
            }
            OpKind::Field { base, key } => {
                let (Some(b), Some(Value::String(k))) =
                    (get(base, &results), p.consts.get(*key as usize))
                else {
                    return false;
                };
                b.get(k).cloned().unwrap_or(Value::Null)
            }
            OpKind::Index { base, index } => {
                let (Some(b), Some(i)) = (get(base, &results), get(index, &results)) else {
                    return false;
                };
                match (&b, &i) {
                    (Value::Array(a), _) => i
                        .as_u64()
                        .and_then(|n| a.get(n as usize))
                        .cloned()
                        .unwrap_or(Value::Null),
                    (Value::Object(_), Value::String(k)) => {
                        b.get(k).cloned().unwrap_or(Value::Null)
                    }
                    _ => Value::Null,
                }
            }
            OpKind::Check { value } => {
                match get(value, &results).map(|v| crate::value::coerce(v, &op.ty)) {
                    Some(Ok(v)) => v,
                    _ => return false,
                }
            }
            OpKind::Compare { op: cmp, lhs, rhs } => {
                match (get(lhs, &results), get(rhs, &results)) {
                    (Some(a), Some(b)) => match crate::value::compare(&a, &b, *cmp) {
                        Ok(t) => Value::Bool(t),
                        Err(_) => return false,
                    },
                    _ => return false,
                }
            }
            OpKind::Not { value } => match get(value, &results).map(|v| crate::value::truth(&v)) {
                Some(Ok(t)) => Value::Bool(!t),
                _ => return false,
            },
            OpKind::Expect { cond, .. } => match get(cond, &results) {
                Some(Value::Bool(true)) => Value::Bool(true),
                _ => return false,
            },
            // Blocks are not replayed yet: such a program is kept literal.
            OpKind::For { .. } | OpKind::If { .. } | OpKind::Logic { .. } => return false,
        };
        results.push(v);
    }
    calls.next().is_none()
}

/// The value of a planned source for the recorded binding (for slot prompts).
pub fn value_of(
    src: &Src,
    params: &[Value],
    kept: &[(usize, &RecStep)],
    slots: &[Value],
) -> Option<Value> {
    Some(match src {
        Src::Const(v) => v.clone(),
        Src::Param(i) => params.get(*i)?.clone(),
        Src::Step(j) => kept.get(*j)?.1.result.clone()?,
        Src::Slot(i) => slots.get(*i)?.clone(),
        Src::Access(base, path) => {
            let mut v = value_of(base, params, kept, slots)?;
            for a in path {
                v = match a {
                    Access::Key(k) => v.get(k)?.clone(),
                    Access::Index(i) => v.get(*i)?.clone(),
                };
            }
            v
        }
        Src::Template(parts) => {
            let mut out = String::new();
            for p in parts {
                match p {
                    Piece::Text(t) => out.push_str(t),
                    Piece::Value(s) => out.push_str(&to_text(&value_of(s, params, kept, slots)?)),
                }
            }
            Value::String(out)
        }
        Src::List(items) => Value::Array(
            items
                .iter()
                .map(|s| value_of(s, params, kept, slots))
                .collect::<Option<_>>()?,
        ),
        Src::Object(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, s)| Some((k.clone(), value_of(s, params, kept, slots)?)))
                .collect::<Option<_>>()?,
        ),
        Src::Apply(a) => super::forms::apply(&a.form(), &value_of(&a.base, params, kept, slots)?)?,
    })
}
