//! The YAML `ExecutionTrace` files of the original llmos (`memory/traces.py`, written by
//! PyYAML from a dataclass):
//!
//! ```yaml
//! goal_signature: 8c1d0f3e5a7b9d21
//! goal_text: Create a Python file named utils.py
//! steps:
//! - tool: Write
//!   input:
//!     file_path: /home/alice/llmos/workspace/utils.py
//!     content: "..."
//! success_rating: 0.75
//! usage_count: 0
//! last_used: null
//! created_at: '2025-11-08T14:32:10.482913'
//! estimated_cost_usd: 0.0
//! estimated_time_secs: 21.84
//! crystallized_into_tool: null
//! ```
//!
//! Steps are `{tool, input}` (also accepted: `{name, arguments}`). A YAML stream of several
//! documents, or a list of traces, holds several traces.

use serde_json::Map;

use super::{Call, CallError, ImportProblem, NotATrace, Trace};
use crate::value::Value;

/// The `ExecutionTrace`s of a YAML stream: each document is a trace or a list of traces.
pub(super) fn traces(docs: Vec<Value>) -> Result<(Vec<Trace>, Vec<ImportProblem>), NotATrace> {
    let items: Vec<Value> = docs
        .into_iter()
        .flat_map(|d| match d {
            Value::Array(items) => items,
            other => vec![other],
        })
        .collect();
    if items.is_empty() {
        return Err(NotATrace::EmptyYaml);
    }
    let mut problems = Vec::new();
    let mut traces = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let Value::Object(map) = item else {
            return Err(NotATrace::NotAMapping(i + 1));
        };
        if !map.contains_key("goal_text") && !map.contains_key("steps") {
            return Err(NotATrace::NoGoalNorSteps(i + 1));
        }
        traces.push(trace(i + 1, map, &mut problems));
    }
    Ok((traces, problems))
}

fn trace(n: usize, mut map: Map<String, Value>, problems: &mut Vec<ImportProblem>) -> Trace {
    let goal = match map.remove("goal_text") {
        Some(Value::String(s)) => s,
        _ => String::new(),
    };
    let label = if goal.is_empty() {
        format!("trace {n}")
    } else {
        format!("trace {n} \"{goal}\"")
    };
    let mut t = Trace::new(label, goal, "execution_trace");
    let bad = |key: &'static str, what: &'static str| CallError::BadField { key, what };
    for (key, value) in std::mem::take(&mut map) {
        let r = match key.as_str() {
            "steps" => match value {
                Value::Array(steps) => {
                    t.listed_calls = Some(steps.len());
                    for (i, step) in steps.into_iter().enumerate() {
                        match call(i + 1, step) {
                            Ok(c) => t.calls.push(c),
                            Err((tool, m)) => {
                                problems.push(ImportProblem::at_step(&t.label, i + 1, tool, m))
                            }
                        }
                    }
                    Ok(())
                }
                Value::Null => Ok(()),
                _ => Err(bad("steps", "a list of tool calls")),
            },
            "success_rating" => value
                .as_f64()
                .map(|r| t.success_rating = Some(r))
                .ok_or_else(|| bad("success_rating", "a number")),
            "usage_count" => value
                .as_u64()
                .map(|c| t.usage_count = Some(c))
                .ok_or_else(|| bad("usage_count", "a non-negative integer")),
            "estimated_cost_usd" => value
                .as_f64()
                .map(|c| t.cost = c)
                .ok_or_else(|| bad("estimated_cost_usd", "a number")),
            "created_at" => {
                t.created_at = value.as_str().map(str::to_string);
                t.meta.insert(key, value);
                Ok(())
            }
            "model" => value
                .as_str()
                .map(|m| t.model = Some(m.to_string()))
                .ok_or_else(|| bad("model", "a string")),
            _ => {
                t.meta.insert(key, value);
                Ok(())
            }
        };
        if let Err(m) = r {
            problems.push(ImportProblem::new(t.label.clone(), m));
        }
    }
    t
}

/// One `{tool, input}` step (also `{name, arguments}`), or its tool name and what is
/// wrong.
fn call(n: usize, step: Value) -> Result<Call, (Option<String>, CallError)> {
    let Value::Object(mut map) = step else {
        return Err((None, CallError::StepNotAMapping));
    };
    let name = match map.remove("tool").or_else(|| map.remove("name")) {
        Some(Value::String(s)) => s,
        _ => return Err((None, CallError::NoTool)),
    };
    let args = match ["input", "arguments", "args"]
        .iter()
        .find_map(|k| map.remove(*k))
    {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(_) => return Err((Some(name), CallError::InputNotAMapping)),
    };
    map.remove("id");
    if let Some(key) = map.keys().next() {
        return Err((Some(name), CallError::UnknownStepKey(key.clone())));
    }
    Ok(Call {
        step: n,
        name,
        args,
    })
}
