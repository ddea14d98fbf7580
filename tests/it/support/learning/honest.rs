//! Recordings in the corpus are honest: every recorded call, made again with the real
//! built-in tool in the family's workspace (writes included, in order), gives the
//! recorded result, and a call recorded as failed fails. The arguments are the LLM's and
//! may be messy (a number read as `97` where a tool said `97.0`, a text without its
//! trailing newline); the results are the tools'.

use std::sync::Arc;

use llmos::learn::recording::FINAL_TOOL;
use llmos::tools::{Invocation, ToolCtx, ToolTable, bind_named};
use serde_json::Value;

use super::family::{Family, same_meaning, write_files};

/// Replays the recording of `family` against the real tools; every difference, named.
pub fn check(family: &Family) -> Vec<String> {
    let rec = family.recording();
    let ws = tempfile::tempdir().unwrap();
    write_files(ws.path(), &family.cases.files);
    let ctx = Arc::new(ToolCtx::new(ws.path()).unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let tools = llmos::stdlib::table();
    let mut problems = Vec::new();
    for (i, step) in rec.steps.iter().enumerate() {
        if step.tool == FINAL_TOOL {
            continue;
        }
        let at = format!("{}: step {} `{}`", family.name, i + 1, step.tool);
        let (Some(decl), Some(tool)) = (
            tools.get(&step.tool),
            ToolTable::builtins().tool(&step.tool),
        ) else {
            problems.push(format!("{at}: no such tool"));
            continue;
        };
        let args: serde_json::Map<String, Value> = step.args.clone().into_iter().collect();
        let real = match bind_named(decl, &args) {
            Err(e) => Err(e.to_string()),
            Ok(args) => match tool.invoke(&ctx, &args) {
                Invocation::Ready(r) => r.map_err(|e| e.to_string()),
                Invocation::Pending(f) => runtime.block_on(f).map_err(|e| e.to_string()),
            },
        };
        match (&step.error, &step.result, real) {
            (Some(_), _, Err(_)) => {}
            (Some(_), _, Ok(v)) => problems.push(format!("{at}: recorded as failed, gives {v}")),
            (None, Some(recorded), Ok(v)) if same_meaning(recorded, &v) => {}
            (None, recorded, Ok(v)) => problems.push(format!(
                "{at}: recorded {}, the tool gives {}",
                recorded.as_ref().map_or("nothing".into(), Value::to_string),
                v
            )),
            (None, _, Err(e)) => problems.push(format!("{at}: the tool fails: {e}")),
        }
    }
    problems
}
