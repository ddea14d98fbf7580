//! Guards: what a learned program assumes about its input, checked with `expect` before
//! it goes on, so a program that does not fit an input stops and says so instead of
//! answering wrongly.
//!
//! - A result that depends on the input and that nothing uses was read by the LLM, which
//!   then decided something (a "yes" after `fs.exists`): when it is a scalar, the program
//!   holds for the value seen (`expect exists == true`); anything else cannot be checked
//!   and makes the recording literal.
//! - A command's exit status is what the LLM saw (`expect run.status == 0`); a command
//!   whose output nothing uses is also held to that output when it is short.
//! - An element picked by position from a list whose length depends on the input holds
//!   for a list of the recorded length (`expect list.len(items: matches) == 3`).

use super::loops::LoopPlan;
use super::plan::NotGeneral;
use super::roles::for_effect;
use super::sources::{Access, Piece, Recorded, Src};
use crate::learn::recording::RecStep;
use crate::value::Value;

/// A check the program makes after a kept step (after its loop, for a looped step).
#[derive(Clone, Debug, PartialEq)]
pub struct Guard {
    pub after: usize,
    pub check: Check,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Check {
    /// `expect VALUE == CONSTANT`
    Equals(Src, Value),
    /// `expect list.len(items: LIST) == N`
    Length(Src, usize),
}

/// Longest text a guard holds a result to.
const MAX_GUARDED_CHARS: usize = 80;

/// What the guards are decided from.
pub struct Inputs<'a> {
    pub kept: &'a [(usize, &'a RecStep)],
    /// Per kept step: whether its result depends on a param.
    pub depends: &'a [bool],
    /// Per kept step: its result was known before it ran (a re-read to check a write).
    pub known_before: &'a [bool],
    pub loops: &'a [LoopPlan],
    pub in_loop: &'a [Option<usize>],
    pub recorded: &'a Recorded<'a>,
}

/// The guards a plan needs, given every source it prints (`used`: the sources of
/// arguments, slot prompts and the output); or why the recording cannot be generalized.
pub fn decide(inp: &Inputs<'_>, used: &[&Src]) -> Result<Vec<Guard>, NotGeneral> {
    let n = inp.kept.len();
    let mut consumed = vec![false; n];
    for s in used {
        s.walk(&mut |r| match r {
            Src::Step(j) => consumed[*j] = true,
            Src::Loop(l) => {
                if let Some(lp) = inp.loops.get(*l) {
                    (lp.first..=lp.last()).for_each(|c| consumed[c] = true);
                }
            }
            _ => {}
        });
    }
    let mut guards = Vec::new();
    for s in used {
        positional(inp, s, &mut guards)?;
    }
    for (k, (i, step)) in inp.kept.iter().enumerate() {
        let Some(result) = &step.result else {
            continue;
        };
        if step.tool == "shell.run" && inp.in_loop[k].is_none() {
            command(k, result, consumed[k], &mut guards)?;
            consumed[k] = true;
        }
        if consumed[k] || !inp.depends[k] || for_effect(&step.tool) || inp.known_before[k] {
            continue;
        }
        match result {
            Value::Bool(_) | Value::Number(_) if inp.in_loop[k].is_none() => {}
            Value::String(t) if inp.in_loop[k].is_none() && short(t) => {}
            _ => {
                return Err(format!(
                    "step {} (`{}`) depends on the goal's values but nothing uses its \
                     result: the LLM may have read the answer from it, so a program could \
                     not follow a new input",
                    i + 1,
                    step.tool
                ));
            }
        }
        guards.push(Guard {
            after: k,
            check: Check::Equals(Src::Step(k), result.clone()),
        });
    }
    guards.sort_by_key(|g| g.after);
    Ok(guards)
}

fn short(t: &str) -> bool {
    t.chars().count() <= MAX_GUARDED_CHARS && !t.contains('\n')
}

/// A command's status; its output too when nothing else uses the result.
fn command(
    k: usize,
    result: &Value,
    used: bool,
    guards: &mut Vec<Guard>,
) -> Result<(), NotGeneral> {
    let field = |key: &str| Src::Access(Box::new(Src::Step(k)), vec![Access::Key(key.into())]);
    if let Some(status) = result.get("status") {
        guards.push(Guard {
            after: k,
            check: Check::Equals(field("status"), status.clone()),
        });
    }
    if used {
        return Ok(());
    }
    for key in ["stdout", "stderr"] {
        match result.get(key) {
            Some(Value::String(t)) if t.chars().count() <= MAX_GUARDED_CHARS => {
                guards.push(Guard {
                    after: k,
                    check: Check::Equals(field(key), Value::String(t.clone())),
                });
            }
            Some(_) => {
                return Err(format!(
                    "the LLM read the {key} of a command and nothing uses it: a program \
                     could not follow a new input"
                ));
            }
            None => {}
        }
    }
    Ok(())
}

/// Length guards for the elements `src` picks by position from lists whose length
/// depends on the input.
fn positional(inp: &Inputs<'_>, src: &Src, guards: &mut Vec<Guard>) -> Result<(), NotGeneral> {
    let mut result = Ok(());
    visit_access(src, &mut |base, path| {
        let Some(p) = path.iter().position(|a| matches!(a, Access::Index(_))) else {
            return;
        };
        let after = match base {
            Src::Step(j) if inp.depends[*j] => *j,
            Src::Loop(l) => match inp.loops.get(*l) {
                Some(lp) => lp.last(),
                None => return,
            },
            _ => return,
        };
        let list = if p == 0 {
            base.clone()
        } else {
            Src::Access(Box::new(base.clone()), path[..p].to_vec())
        };
        match inp.recorded.value(&list).as_ref().and_then(Value::as_array) {
            Some(items) => {
                let g = Guard {
                    after,
                    check: Check::Length(list, items.len()),
                };
                if !guards.contains(&g) {
                    guards.push(g);
                }
            }
            None => {
                result = Err(
                    "an element is picked by position from a list the recording \
                              does not show"
                        .to_owned(),
                )
            }
        }
    });
    result
}

/// Calls `f` on the base and path of every field or element access in `src`.
fn visit_access(src: &Src, f: &mut impl FnMut(&Src, &[Access])) {
    match src {
        Src::Access(base, path) => {
            f(base, path);
            visit_access(base, f);
        }
        Src::Template(parts) => parts.iter().for_each(|p| {
            if let Piece::Value(s) = p {
                visit_access(s, f)
            }
        }),
        Src::List(items) => items.iter().for_each(|s| visit_access(s, f)),
        Src::Object(entries) => entries.iter().for_each(|(_, s)| visit_access(s, f)),
        Src::Apply(a) => visit_access(&a.base, f),
        _ => {}
    }
}
