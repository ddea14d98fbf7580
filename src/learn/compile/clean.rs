//! Which calls of a recording are compiled: the ones that worked. A recording is refused
//! when it names an unknown tool or argument, or when an argument of a kept call carries
//! a failed call's error text (the LLM wrote an error message into a file, or passed it
//! on): such a program would repeat the failure as if it were the answer.

use super::CompileError;
use crate::learn::recording::{FINAL_TOOL, RecStep, Recording};
use crate::tools::ToolTable;

/// Shortest error text whose presence in an argument counts as passing it on.
const MIN_ERROR_CHARS: usize = 12;

/// The kept calls, with their index in the recording. Errors count steps from 1, as a
/// person reads the file.
pub fn kept_steps<'r>(
    rec: &'r Recording,
    tools: &ToolTable,
) -> Result<Vec<(usize, &'r RecStep)>, CompileError> {
    let mut kept: Vec<(usize, &RecStep)> = Vec::new();
    for (i, s) in rec.steps.iter().enumerate() {
        if s.tool == FINAL_TOOL || s.error.is_some() {
            continue;
        }
        let decl = tools
            .get(&s.tool)
            .ok_or_else(|| CompileError::UnknownTool {
                step: i + 1,
                tool: s.tool.clone(),
            })?;
        for name in s.args.keys() {
            if decl.param(name).is_none() {
                return Err(CompileError::UnknownArgument {
                    step: i + 1,
                    tool: s.tool.clone(),
                    name: name.clone(),
                });
            }
        }
        kept.push((i, s));
    }
    if kept.is_empty() {
        return Err(CompileError::NothingToCompile);
    }
    check_no_error_text(rec, &kept)?;
    Ok(kept)
}

/// Refuses a kept call (or the final answer) whose arguments hold the error text of an
/// earlier failed call.
fn check_no_error_text(rec: &Recording, kept: &[(usize, &RecStep)]) -> Result<(), CompileError> {
    let errors: Vec<(usize, &str)> = rec
        .steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((i, error_core(s.error.as_deref()?)?)))
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    for &(i, step) in kept {
        for (name, v) in &step.args {
            let mut texts = Vec::new();
            strings(v, &mut texts);
            for &(e, err) in errors.iter().filter(|(e, _)| *e < i) {
                if texts.iter().any(|t| t.contains(err)) {
                    return Err(CompileError::PassesOnError {
                        step: i + 1,
                        tool: step.tool.clone(),
                        name: name.clone(),
                        failed_step: e + 1,
                        error: crate::value::short(&crate::value::Value::String(err.to_owned())),
                    });
                }
            }
        }
    }
    Ok(())
}

/// The part of an error message that identifies it: its first line, trimmed, when long
/// enough not to occur by chance.
fn error_core(error: &str) -> Option<&str> {
    let line = error.lines().find(|l| !l.trim().is_empty())?.trim();
    (line.chars().count() >= MIN_ERROR_CHARS).then_some(line)
}

fn strings<'a>(v: &'a crate::value::Value, out: &mut Vec<&'a str>) {
    use crate::value::Value;
    match v {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|x| strings(x, out)),
        Value::Object(map) => map.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}
