//! Import of the original Python llmos traces (a Claude Agent SDK project) as
//! [`Recording`]s, for `llmos traces import`.
//!
//! Two formats exist, both read here:
//! - YAML `ExecutionTrace` files (`memory/traces.py`): `goal_signature`, `goal_text`,
//!   `steps: [{tool, input}]`, `success_rating`, `usage_count`, ... (module `yaml`). A
//!   file that is already an llmos recording (`llmos_recording:`) is read as one.
//! - Markdown trace files (`memory/traces_sdk.py`): a metadata list and a JSON list of
//!   `{name, arguments}` calls (module `markdown`).
//!
//! A file may hold several traces (several YAML documents or a YAML list; several
//! `# Execution Trace:` headings).
//!
//! Each Claude Code tool call becomes one or more built-in tool steps (module `claude`).
//! The originals hold no results, so every imported step has `result: None`; the
//! recording is marked with [`IMPORTED_KEY`] (format, file and the original metadata),
//! and carries `success_rating` and `usage_count` (and `import_notes`, when arguments
//! were dropped) in `extra`. `model` is the trace's model when it names one (prefixed
//! `anthropic:` when it has no provider), else `imported`; `usage.cost_usd` is the
//! original estimate; `started_at` is the creation time when it is an RFC 3339 timestamp
//! (the original wrote local times without offset: those stay in `imported_from`).
//! The outcome is `success`, except for a Markdown trace with `Error Notes`, which the
//! original wrote for a failed run: `failure`, with the notes as `error`.
//!
//! Nothing is dropped silently: a trace without calls, a call with no counterpart or
//! with arguments that cannot be carried over is an error naming the trace, the call's
//! number in the original trace (1-based) and its tool. All problems of a file are
//! reported together.

mod claude;
mod error;
mod markdown;
mod paths;
mod shell;
mod yaml;

use std::path::Path;

pub use error::{CallError, ImportError, ImportProblem, NotATrace};

use serde_json::Map;

use crate::learn::recording::{
    IMPORTED_KEY, MAX_YAML_BYTES, Outcome, Recording, Usage, parse_recording, parse_yaml_documents,
};
use crate::value::Value;

/// One original tool call.
struct Call {
    /// Its number in the original trace, 1-based.
    step: usize,
    name: String,
    args: Map<String, Value>,
}

/// One original trace, read from either format.
struct Trace {
    /// How problems name it.
    label: String,
    goal: String,
    format: &'static str,
    calls: Vec<Call>,
    /// How many calls the original lists, malformed ones included; `None` when the list
    /// itself could not be read (already reported).
    listed_calls: Option<usize>,
    cost: f64,
    model: Option<String>,
    success_rating: Option<f64>,
    usage_count: Option<u64>,
    created_at: Option<String>,
    /// The error notes of a failed run.
    failure: Option<String>,
    /// Said when the trace has no calls, to explain why.
    no_calls_hint: Option<&'static str>,
    /// Every other original field, kept under `imported_from`.
    meta: Map<String, Value>,
}

impl Trace {
    fn new(label: String, goal: String, format: &'static str) -> Trace {
        Trace {
            label,
            goal,
            format,
            calls: Vec::new(),
            listed_calls: Some(0),
            cost: 0.0,
            model: None,
            success_rating: None,
            usage_count: None,
            created_at: None,
            failure: None,
            no_calls_hint: None,
            meta: Map::new(),
        }
    }
}

/// Imports every trace of a file. Paths in the traces are made relative to `root` (made
/// absolute first, without resolving links).
pub fn import_file(path: &Path, root: &Path) -> Result<Vec<Recording>, ImportError> {
    let file = path.display().to_string();
    let io = |source| ImportError::Io {
        file: file.clone(),
        source,
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_YAML_BYTES as u64 {
        let reason = NotATrace::TooLarge {
            size: len,
            limit: MAX_YAML_BYTES,
        };
        return Err(ImportError::NotATrace { file, reason });
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    let root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    import_text(&text, &file, &root)
}

/// Imports every trace of a text. `file_name` picks the format (`.md`/`.markdown` or
/// `.yaml`/`.yml`; otherwise a text starting with `# Execution Trace` is Markdown) and
/// names the file in errors. Does no IO.
pub fn import_text(
    text: &str,
    file_name: &str,
    root: &Path,
) -> Result<Vec<Recording>, ImportError> {
    let file = file_name.to_string();
    if text.len() > MAX_YAML_BYTES {
        let reason = NotATrace::TooLarge {
            size: text.len() as u64,
            limit: MAX_YAML_BYTES,
        };
        return Err(ImportError::NotATrace { file, reason });
    }
    let (traces, mut problems) = if is_markdown(text, file_name) {
        markdown::read(text).map_err(|reason| ImportError::NotATrace {
            file: file.clone(),
            reason,
        })?
    } else {
        let docs = parse_yaml_documents(text, file_name).map_err(ImportError::Yaml)?;
        let native = matches!(docs.as_slice(), [doc] if doc.get("llmos_recording").is_some());
        if native {
            return parse_recording(text, file_name)
                .map(|r| vec![r])
                .map_err(ImportError::Yaml);
        }
        yaml::traces(docs).map_err(|reason| ImportError::NotATrace {
            file: file.clone(),
            reason,
        })?
    };
    let mut recordings = Vec::new();
    for trace in traces {
        match assemble(trace, file_name, root) {
            Ok(r) => recordings.push(r),
            Err(mut p) => problems.append(&mut p),
        }
    }
    if problems.is_empty() {
        Ok(recordings)
    } else {
        Err(ImportError::Invalid { file, problems })
    }
}

fn is_markdown(text: &str, file_name: &str) -> bool {
    let ext = Path::new(file_name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    match ext.to_ascii_lowercase().as_str() {
        "md" | "markdown" => true,
        "yaml" | "yml" => false,
        _ => text.trim_start().starts_with("# Execution Trace"),
    }
}

/// The recording of one trace, or every problem with it.
fn assemble(t: Trace, file: &str, root: &Path) -> Result<Recording, Vec<ImportProblem>> {
    let mut problems = Vec::new();
    if t.goal.trim().is_empty() {
        let what = if t.format == "markdown" {
            "the heading names no goal"
        } else {
            "missing `goal_text`"
        };
        problems.push(ImportProblem::new(t.label.clone(), what));
    }
    if t.listed_calls == Some(0) {
        let hint = t
            .no_calls_hint
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        problems.push(ImportProblem::new(
            t.label.clone(),
            format!("no tool calls to import{hint}"),
        ));
    }
    let mut mapper = claude::Mapper {
        root,
        steps: Vec::new(),
        notes: Vec::new(),
    };
    for call in &t.calls {
        if let Err(m) = mapper.map_call(call.step, &call.name, &call.args) {
            problems.push(ImportProblem::at_step(
                &t.label,
                call.step,
                Some(call.name.clone()),
                m,
            ));
        }
    }
    if !problems.is_empty() || t.calls.is_empty() {
        // No calls left means each was reported when it was read.
        return Err(problems);
    }
    let mut imported = Map::new();
    imported.insert("format".into(), t.format.into());
    imported.insert("file".into(), file.into());
    imported.extend(t.meta);
    let mut extra = std::collections::BTreeMap::new();
    extra.insert(IMPORTED_KEY.to_string(), Value::Object(imported));
    if let Some(r) = t.success_rating {
        extra.insert("success_rating".into(), r.into());
    }
    if let Some(c) = t.usage_count {
        extra.insert("usage_count".into(), c.into());
    }
    if !mapper.notes.is_empty() {
        let notes = mapper.notes.into_iter().map(Value::from).collect();
        extra.insert("import_notes".into(), Value::Array(notes));
    }
    let model = match t.model {
        Some(m) if m.contains(':') => m,
        Some(m) if !m.trim().is_empty() => format!("anthropic:{m}"),
        _ => "imported".into(),
    };
    let started_at = t
        .created_at
        .filter(|c| c.parse::<jiff::Timestamp>().is_ok());
    let cost_micros = crate::usage::to_micros(t.cost).unwrap_or(0);
    Ok(Recording {
        llmos_recording: 1,
        goal: t.goal,
        model,
        started_at,
        usage: Usage {
            cost_micros,
            ..Usage::default()
        },
        outcome: if t.failure.is_some() {
            Outcome::Failure
        } else {
            Outcome::Success
        },
        error: t.failure,
        steps: mapper.steps,
        extra,
    })
}
