//! The Markdown trace files of the original llmos (`memory/traces_sdk.py`,
//! `ExecutionTrace.to_markdown`):
//!
//! ````markdown
//! # Execution Trace: <goal>
//!
//! ## Metadata
//! - **Goal Signature**: `3f9c2a7b41d0e865`
//! - **Success Rating**: 100%
//! - **Usage Count**: 1
//! - **Mode**: LEARNER
//! - **Created**: 2025-11-08T14:32:10.482913
//! - **Last Used**: Never
//! - **Estimated Cost**: $0.0412
//! - **Estimated Time**: 18.4s
//! - **PTC Enabled**: Yes (3 calls)
//!
//! ## Tools Used
//! ```
//! Read, Write
//! ```
//!
//! ## Tool Calls (PTC)
//! ```json
//! [{"name": "Read", "arguments": {"file_path": "/abs/path"}, "id": "toolu_..."}]
//! ```
//!
//! ## Output Summary
//! ...
//!
//! ## Error Notes
//! ...
//! ````
//!
//! A file may hold several traces, one per `# Execution Trace:` heading. Traces written
//! before the original added `Tool Calls (PTC)` list only tool names: they cannot be
//! imported and are reported.

use serde_json::Map;

use super::{Call, CallError, ImportProblem, NotATrace, Trace};
use crate::value::Value;

const HEADING: &str = "# Execution Trace:";

/// The traces of a Markdown file, and the problems found while reading them. `Err` when
/// the text is not a trace file at all.
pub(super) fn read(text: &str) -> Result<(Vec<Trace>, Vec<ImportProblem>), NotATrace> {
    let lines: Vec<&str> = text.lines().collect();
    let starts: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with(HEADING))
        .map(|(i, _)| i)
        .collect();
    let Some(&first) = starts.first() else {
        return Err(NotATrace::NoHeading { heading: HEADING });
    };
    let mut problems = Vec::new();
    if let Some(i) = lines[..first].iter().position(|l| !l.trim().is_empty()) {
        problems.push(ImportProblem::new(
            format!("line {}", i + 1),
            format!("text before the first `{HEADING}` heading"),
        ));
    }
    let mut traces = Vec::new();
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(lines.len());
        traces.push(trace(&lines[start..end], start, &mut problems));
    }
    Ok((traces, problems))
}

/// One trace: `lines[0]` is its heading, at 0-based line `first` of the file.
fn trace(lines: &[&str], first: usize, problems: &mut Vec<ImportProblem>) -> Trace {
    let heading = lines.first().copied().unwrap_or_default();
    let goal = heading
        .strip_prefix(HEADING)
        .unwrap_or_default()
        .trim()
        .to_string();
    let label = format!("trace \"{goal}\" (line {})", first + 1);
    let mut t = Trace::new(label, goal, "markdown");
    let mut section = String::new();
    let mut body: Vec<&str> = Vec::new();
    let mut body_start = first;
    let mut has_calls_section = false;
    for (i, line) in lines.iter().enumerate().skip(1) {
        if let Some(name) = line.strip_prefix("## ") {
            finish_section(&mut t, &section, &body, body_start, problems);
            section = name.trim().to_string();
            has_calls_section |= section == "Tool Calls (PTC)";
            body.clear();
            body_start = first + i + 1;
        } else {
            body.push(line);
        }
    }
    finish_section(&mut t, &section, &body, body_start, problems);
    if !has_calls_section {
        t.no_calls_hint = Some(
            "it has no `## Tool Calls (PTC)` section; it lists only the names of the tools used",
        );
    }
    t
}

/// Applies one section; `start` is the 0-based file line of the section's first body line.
fn finish_section(
    t: &mut Trace,
    section: &str,
    body: &[&str],
    start: usize,
    problems: &mut Vec<ImportProblem>,
) {
    let prose = || body.join("\n").trim().to_string();
    match section {
        "" => {}
        "Metadata" => {
            for line in body {
                let Some((key, value)) = line
                    .strip_prefix("- **")
                    .and_then(|rest| rest.split_once("**: ").or_else(|| rest.split_once("**:")))
                else {
                    continue;
                };
                if let Err(message) = metadata(t, key.trim(), value.trim().trim_matches('`')) {
                    problems.push(ImportProblem::new(t.label.clone(), message));
                }
            }
        }
        "Tools Used" => {
            let names: Vec<Value> = body
                .iter()
                .filter(|l| !l.trim().is_empty() && !l.trim().starts_with("```"))
                .flat_map(|l| l.split(','))
                .map(|s| Value::from(s.trim()))
                .collect();
            t.meta.insert("tools_used".into(), Value::Array(names));
        }
        "Tool Calls (PTC)" => calls(t, body, start, problems),
        "Output Summary" => {
            t.meta.insert("output_summary".into(), prose().into());
        }
        "Error Notes" => {
            let notes = prose();
            if !notes.is_empty() {
                t.failure = Some(notes);
            }
        }
        other => {
            t.meta.insert(snake_case(other), prose().into());
        }
    }
}

fn metadata(t: &mut Trace, key: &str, value: &str) -> Result<(), CallError> {
    let bad = |what: &'static str| CallError::BadMetadata {
        key: key.to_owned(),
        value: value.to_owned(),
        what,
    };
    match key {
        "Success Rating" => {
            let pct: f64 = value
                .trim_end_matches('%')
                .trim()
                .parse()
                .map_err(|_| bad("a percentage"))?;
            t.success_rating = Some(pct / 100.0);
        }
        "Usage Count" => t.usage_count = Some(value.parse().map_err(|_| bad("a count"))?),
        "Estimated Cost" => {
            t.cost = value
                .trim_start_matches('$')
                .parse()
                .map_err(|_| bad("a cost in dollars"))?;
        }
        "Estimated Time" => {
            let secs: f64 = value
                .trim_end_matches('s')
                .parse()
                .map_err(|_| bad("a time in seconds"))?;
            t.meta.insert("estimated_time_secs".into(), secs.into());
        }
        "Created" => {
            t.created_at = Some(value.to_string());
            t.meta.insert("created_at".into(), value.into());
        }
        "Last Used" => {
            let v = if value == "Never" {
                Value::Null
            } else {
                value.into()
            };
            t.meta.insert("last_used".into(), v);
        }
        "Model" => t.model = Some(value.to_string()),
        "Crystallized Tool" => {
            let name = value.trim_end_matches('💎').trim().trim_matches('`');
            t.meta.insert("crystallized_into_tool".into(), name.into());
        }
        // Derived from the calls themselves.
        "PTC Enabled" => {}
        other => {
            t.meta.insert(snake_case(other), value.into());
        }
    }
    Ok(())
}

/// The fenced JSON list of `{name, arguments, id}` calls.
fn calls(t: &mut Trace, body: &[&str], start: usize, problems: &mut Vec<ImportProblem>) {
    let Some(open) = body.iter().position(|l| l.trim_start().starts_with("```")) else {
        return;
    };
    let close = body[open + 1..]
        .iter()
        .position(|l| l.trim() == "```")
        .map_or(body.len(), |i| open + 1 + i);
    let json = body[open + 1..close].join("\n");
    let json_line = start + open + 2; // 1-based file line of the JSON's first line
    let list: Vec<Value> = match serde_json::from_str(&json) {
        Ok(Value::Array(items)) => items,
        Ok(_) => {
            t.listed_calls = None;
            problems.push(ImportProblem::new(
                t.label.clone(),
                format!("the tool calls at line {json_line} are not a JSON list"),
            ));
            return;
        }
        Err(e) => {
            t.listed_calls = None;
            problems.push(ImportProblem::new(
                t.label.clone(),
                format!(
                    "the tool calls JSON is invalid at line {}, column {}: {e}",
                    json_line + e.line().saturating_sub(1),
                    e.column()
                ),
            ));
            return;
        }
    };
    t.listed_calls = t.listed_calls.map(|n| n + list.len());
    for (i, item) in list.into_iter().enumerate() {
        if let Some(c) = call(item, &t.label, i + 1, problems) {
            t.calls.push(c);
        }
    }
}

fn call(item: Value, label: &str, n: usize, problems: &mut Vec<ImportProblem>) -> Option<Call> {
    let name = item.get("name").and_then(Value::as_str).map(str::to_string);
    let args = match item.get("arguments") {
        None | Some(Value::Null) => Some(Map::new()),
        Some(Value::Object(m)) => Some(m.clone()),
        Some(_) => None,
    };
    match (name, args) {
        (Some(name), Some(args)) => Some(Call {
            step: n,
            name,
            args,
        }),
        (name, _) => {
            problems.push(ImportProblem::at_step(
                label,
                n,
                name,
                "a tool call needs a string `name` and an object `arguments`",
            ));
            None
        }
    }
}

/// `Goal Signature` → `goal_signature`.
fn snake_case(s: &str) -> String {
    let mut out = String::new();
    for c in s.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}
