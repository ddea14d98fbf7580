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
    /// `expect list.len(items: LIST) >= N`: the goal states the position picked (`line
    /// 2`, `the third file`), so any list long enough holds it.
    AtLeast(Src, usize),
}

impl Check {
    /// The value the check reads.
    pub fn subject(&self) -> &Src {
        match self {
            Check::Equals(s, _) | Check::Length(s, _) | Check::AtLeast(s, _) => s,
        }
    }
}

/// Longest text a guard holds a result to.
const MAX_GUARDED_CHARS: usize = 80;

/// What the guards are decided from.
pub struct Inputs<'a> {
    /// The goal, lower case (a position it states needs no exact length).
    pub goal: &'a str,
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
    // Made only when a result nobody used needs it (it keys every call by its text).
    let mut repeated: Option<Vec<bool>> = None;
    for (k, (i, step)) in inp.kept.iter().enumerate() {
        let Some(result) = &step.result else {
            continue;
        };
        if step.tool == "shell.run" && inp.in_loop[k].is_none() {
            command(k, result, consumed[k], &mut guards)?;
            consumed[k] = true;
        }
        if consumed[k]
            || !inp.depends[k]
            || for_effect(&step.tool)
            || inp.known_before[k]
            || repeated.get_or_insert_with(|| repeated_later(inp.kept))[k]
        {
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

/// Per kept step: whether a later kept step makes the same call (same tool, same
/// arguments) and gets the same result: the LLM repeated a read, and what it used is the
/// later one. Linear: each call is keyed by its canonical text.
fn repeated_later(kept: &[(usize, &RecStep)]) -> Vec<bool> {
    let key = |s: &RecStep| {
        let result = s.result.as_ref()?;
        let args: std::collections::BTreeMap<&String, String> = s
            .args
            .iter()
            .map(|(n, v)| (n, crate::value::canonical_json(v)))
            .collect();
        Some(format!(
            "{}\u{0}{args:?}\u{0}{}",
            s.tool,
            crate::value::canonical_json(result)
        ))
    };
    let mut seen = std::collections::HashSet::new();
    let mut out = vec![false; kept.len()];
    for (k, (_, s)) in kept.iter().enumerate().rev() {
        if let Some(key) = key(s) {
            out[k] = !seen.insert(key);
        }
    }
    out
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
        let stated = match path[p] {
            Access::Index(i) => stated_position(inp.goal, i).then_some(i),
            Access::Key(_) => None,
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
                let check = match stated {
                    Some(i) => Check::AtLeast(list, i + 1),
                    None => Check::Length(list, items.len()),
                };
                let g = Guard { after, check };
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

/// The guards of a literal program: every result it reads holds to the recorded one
/// (long texts and lists by their `hash.blake3`), so the recorded answer is given only
/// where the world still looks as it did, never over files that changed since.
pub fn literal(kept: &[(usize, &RecStep)]) -> Vec<Guard> {
    let form = |tool: &'static str, input: &'static str| super::forms::Form {
        tool,
        input,
        extra: Vec::new(),
        value: Value::Null,
    };
    let hashed = |src: Src, text: &Value| {
        let f = form("hash.blake3", "text");
        let v = super::forms::apply(&f, text)?;
        Some(Check::Equals(super::flow::Apply::of(&f, src), v))
    };
    let mut out = Vec::new();
    for (k, (_, step)) in kept.iter().enumerate() {
        let Some(result) = &step.result else {
            continue;
        };
        if for_effect(&step.tool) {
            continue;
        }
        let check = match result {
            Value::Bool(_) | Value::Number(_) | Value::Null => {
                Some(Check::Equals(Src::Step(k), result.clone()))
            }
            Value::String(t) if short(t) => Some(Check::Equals(Src::Step(k), result.clone())),
            Value::String(_) => hashed(Src::Step(k), result),
            Value::Array(_) | Value::Object(_) => {
                let f = form("json.stringify", "value");
                super::forms::apply(&f, result)
                    .and_then(|text| hashed(super::flow::Apply::of(&f, Src::Step(k)), &text))
            }
        };
        out.extend(check.map(|check| Guard { after: k, check }));
    }
    out
}

/// Ordinal words, by the index they name.
const ORDINALS: [&str; 10] = [
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
];

/// Words that make a position relative to something other than the list's start (the
/// end, an order): with one of them in the goal, no position counts as stated.
const RELATIVE: &[&str] = &[
    "last",
    "end",
    "final",
    "bottom",
    "penultimate",
    "reverse",
    "reversed",
    "largest",
    "biggest",
    "highest",
    "greatest",
    "most",
    "max",
    "maximum",
    "top",
    "latest",
    "newest",
    "smallest",
    "lowest",
    "least",
    "min",
    "minimum",
    "earliest",
    "oldest",
    "before",
    "after",
    "previous",
    "next",
    "sorted",
    "longest",
    "shortest",
    "median",
    "middle",
];

/// Whether the goal (lower case) states the position `index` counted from the start of a
/// list: the number `index + 1` as a word (`line 2`), with its suffix (`2nd`), or the
/// ordinal word (`the second line`), and no word that makes positions relative to the end
/// or an order. Then an element picked at `index` is what the goal asked for, in a list
/// of any length that has it.
pub fn stated_position(goal: &str, index: usize) -> bool {
    let words: Vec<&str> = super::flow::words(goal).collect();
    if words.iter().any(|w| RELATIVE.contains(w)) {
        return false;
    }
    let n = index + 1;
    let suffix = match (n % 10, n % 100) {
        (1, x) if x != 11 => "st",
        (2, x) if x != 12 => "nd",
        (3, x) if x != 13 => "rd",
        _ => "th",
    };
    let (number, nth) = (n.to_string(), format!("{n}{suffix}"));
    words
        .iter()
        .any(|w| *w == number || *w == nth || ORDINALS.get(index) == Some(w))
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

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;
    use serde_json::json;

    #[test]
    fn a_position_is_stated_by_its_number_or_ordinal_from_the_start_only() {
        assert!(stated_position("what is line 2 of notes.txt?", 1));
        assert!(stated_position("show the 3rd entry of list.json", 2));
        assert!(stated_position("show the first file in inbox", 0));
        assert!(!stated_position("what is line 2 of notes.txt?", 2));
        // Relative to the end or to an order: the recorded length holds the program.
        assert!(!stated_position(
            "what is the second to last line of a.txt",
            1
        ));
        assert!(!stated_position(
            "what is the 2nd largest number in a.txt",
            1
        ));
        // A digit inside a word is not a number of the goal.
        assert!(!stated_position("what is the top line of log2.txt", 1));
    }

    fn step(tool: &str, args: serde_json::Value, result: serde_json::Value) -> RecStep {
        let args: IndexMap<String, Value> = args
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        RecStep {
            tool: tool.into(),
            args,
            result: Some(result),
            error: None,
        }
    }

    #[test]
    fn a_call_repeated_later_with_the_same_result_is_not_a_result_nobody_used() {
        let a = step("fs.read", json!({"path": "e.txt"}), json!("one two\n"));
        let b = step("fs.read", json!({"path": "e.txt"}), json!("one two\n"));
        let other = step("fs.read", json!({"path": "f.txt"}), json!("one two\n"));
        let changed = step("fs.read", json!({"path": "e.txt"}), json!("three\n"));
        assert_eq!(repeated_later(&[(0, &a), (1, &b)]), [true, false]);
        assert_eq!(repeated_later(&[(0, &a), (1, &other)]), [false, false]);
        assert_eq!(repeated_later(&[(0, &a), (1, &changed)]), [false, false]);
    }
}
