//! Writing a family's recording from a draft, so that every result in it is what the real
//! tool gives (see `tests/learning/README.md`, "Adding a family").
//!
//! A draft is YAML: `goal`, `steps` (each `tool` and `args`, in the order the LLM called
//! them) and `final` (the LLM's answer). An argument written `$N` stands for the result of
//! step N (1-based) as the tool gave it, `$N~` for that text without its trailing newline
//! (an LLM that passed a file's text on without it). Each step runs with the real tool in
//! the family's workspace; a failing call is recorded with its `error`.

use std::path::Path;
use std::sync::Arc;

use indexmap::IndexMap;
use llmos::learn::recording::{FINAL_TOOL, Outcome, RecStep, Recording, Usage};
use llmos::tools::{Invocation, ToolCtx, ToolTable, bind_named};
use serde_json::{Value, json};

use super::family::{Family, write_files};

/// The recording a draft makes in `family`'s workspace.
pub fn record(family: &Family, draft: &Path) -> Recording {
    let text = std::fs::read_to_string(draft).unwrap();
    let draft: Value = serde_saphyr::from_str(&text).unwrap();
    let ws = tempfile::tempdir().unwrap();
    write_files(ws.path(), &family.cases.files);
    let ctx = Arc::new(ToolCtx::new(ws.path()).unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut steps: Vec<RecStep> = Vec::new();
    for s in draft["steps"].as_array().unwrap() {
        let tool = s["tool"].as_str().unwrap().to_owned();
        let mut args = IndexMap::new();
        for (k, v) in s["args"].as_object().unwrap() {
            args.insert(k.clone(), resolve(v, &steps));
        }
        let decl = llmos::stdlib::table().get(&tool).unwrap();
        let map: serde_json::Map<String, Value> = args.clone().into_iter().collect();
        let real = bind_named(decl, &map)
            .map_err(|e| e.to_string())
            .and_then(
                |a| match ToolTable::builtins().tool(&tool).unwrap().invoke(&ctx, &a) {
                    Invocation::Ready(r) => r.map_err(|e| e.to_string()),
                    Invocation::Pending(f) => runtime.block_on(f).map_err(|e| e.to_string()),
                },
            );
        let (result, error) = match real {
            Ok(v) => (Some(v), None),
            Err(e) => (None, Some(e)),
        };
        steps.push(RecStep {
            tool,
            args,
            result,
            error,
        });
    }
    let mut fin = IndexMap::new();
    fin.insert("text".to_owned(), resolve(&draft["final"], &steps));
    steps.push(RecStep {
        tool: FINAL_TOOL.to_owned(),
        args: fin,
        result: None,
        error: None,
    });
    let calls = steps.len() as u64;
    let (input, output) = (1500 + 450 * calls, 70 * calls);
    Recording {
        llmos_recording: 1,
        goal: draft["goal"].as_str().unwrap().to_owned(),
        model: "anthropic:claude-sonnet-4-5".to_owned(),
        started_at: Some("2026-11-26T09:00:00Z".to_owned()),
        usage: Usage {
            input_tokens: input,
            output_tokens: output,
            llm_calls: calls,
            // Dollars to four decimals, in micro-dollars.
            cost_micros: ((input * 3 + output * 15) as f64 / 1e6 * 1e4).round() as i64 * 100,
        },
        outcome: Outcome::Success,
        error: None,
        steps,
        extra: Default::default(),
    }
}

/// `$N` and `$N~` references to earlier results, anywhere in an argument.
fn resolve(v: &Value, steps: &[RecStep]) -> Value {
    match v {
        Value::String(s) if s.starts_with('$') => {
            let (n, trim) = match s[1..].strip_suffix('~') {
                Some(n) => (n, true),
                None => (&s[1..], false),
            };
            let Ok(n) = n.parse::<usize>() else {
                return v.clone();
            };
            let result = steps[n - 1].result.clone().expect("a result to refer to");
            match (trim, &result) {
                (true, Value::String(t)) => json!(t.trim_end_matches('\n')),
                _ => result,
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(|x| resolve(x, steps)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, x)| (k.clone(), resolve(x, steps)))
                .collect(),
        ),
        other => other.clone(),
    }
}
