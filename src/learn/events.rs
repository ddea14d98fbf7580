//! Where the Learner and the meter report what happens during a run: LLM calls, retries,
//! refusals and tool calls, each one JSON object with an `event` key.
//!
//! [`EventSink`] is the only way out, so the events can later be routed into the VM's
//! event bus without touching the callers. [`RunLogSink`] appends them to the run's JSON
//! Lines log (adding an `at` timestamp) and, when stderr is a terminal, prints a progress
//! line for each LLM and tool call. [`MemorySink`] keeps them in memory, for tests.
//!
//! Events written today:
//! - `run_start {run_id, mode, goal, model}` and `run_end {outcome, error?, llm_calls,
//!   input_tokens, output_tokens, cost_usd, duration_ms, recording?}`
//! - `llm_call {model, purpose, input_tokens, output_tokens, cost_usd, attempts,
//!   duration_ms, stop}` after each answered call
//! - `llm_retry {model, attempt, status?, error, retry_in_ms}` after each failed attempt
//!   that is retried
//! - `llm_error {model, purpose, error}` when a call fails for good
//! - `llm_refused {model, purpose, worst_case_usd, error}` when the budget check refuses
//! - `tool_call {tool, args, ok, result? | error?, duration_ms}` for each Learner tool call

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::store::RunLog;
use crate::usage::{format_micros, to_micros};
use crate::value::Value;

/// Receives the events of a run. Implementations must not fail the run: a sink that
/// cannot write reports that itself.
pub trait EventSink: Send + Sync {
    /// Takes one event: a JSON object with at least an `event` key.
    fn emit(&self, event: Value);
}

/// Drops every event.
#[derive(Clone, Copy, Debug, Default)]
pub struct NullSink;

impl EventSink for NullSink {
    fn emit(&self, _event: Value) {}
}

/// Keeps every event in memory, in order.
#[derive(Debug, Default)]
pub struct MemorySink {
    events: Mutex<Vec<Value>>,
}

impl MemorySink {
    pub fn new() -> MemorySink {
        MemorySink::default()
    }

    /// The events so far, in order.
    pub fn events(&self) -> Vec<Value> {
        lock(&self.events).clone()
    }

    /// The events so far whose `event` key is `kind`.
    pub fn of_kind(&self, kind: &str) -> Vec<Value> {
        self.events()
            .into_iter()
            .filter(|e| e.get("event").and_then(Value::as_str) == Some(kind))
            .collect()
    }
}

impl EventSink for MemorySink {
    fn emit(&self, event: Value) {
        lock(&self.events).push(event);
    }
}

/// Appends events to a run log, one JSON line each, and optionally prints progress.
#[derive(Debug)]
pub struct RunLogSink {
    log: Mutex<RunLog>,
    progress: bool,
    warned: AtomicBool,
}

impl RunLogSink {
    /// Writes to `log`; prints a progress line per LLM and tool call on stderr when
    /// `progress` is set.
    pub fn new(log: RunLog, progress: bool) -> RunLogSink {
        RunLogSink {
            log: Mutex::new(log),
            progress,
            warned: AtomicBool::new(false),
        }
    }

    /// Progress on stderr when stderr is a terminal or `-v` asks for it, never with `-q`
    /// (see [`crate::ui::progress_lines`]).
    pub fn for_terminal(log: RunLog) -> RunLogSink {
        RunLogSink::new(log, crate::ui::progress_lines())
    }

    /// Forces the log to disk (for the end of a run); a failure is reported on stderr.
    pub fn sync(&self) {
        if let Err(e) = lock(&self.log).sync() {
            self.warn(&e.to_string());
        }
    }

    fn warn(&self, message: &str) {
        if !self.warned.swap(true, Ordering::Relaxed) {
            eprintln!("warning: the run log is incomplete: {message}");
        }
    }
}

impl EventSink for RunLogSink {
    fn emit(&self, mut event: Value) {
        if self.progress
            && let Some(line) = progress_line(&event)
        {
            eprintln!("{line}");
        }
        if let Value::Object(map) = &mut event {
            let at = format!("{:.3}", jiff::Timestamp::now());
            map.insert("at".into(), Value::String(at));
        }
        let written = lock(&self.log).append(&event);
        if let Err(e) = written {
            self.warn(&e.to_string());
        }
    }
}

/// The progress line of an event, for the events that have one.
pub fn progress_line(event: &Value) -> Option<String> {
    let text = |k: &str| event.get(k).and_then(Value::as_str).unwrap_or("?");
    let count = |k: &str| event.get(k).and_then(Value::as_u64).unwrap_or(0);
    match event.get("event").and_then(Value::as_str)? {
        "llm_call" => Some(format!(
            "  llm   {}  {} in / {} out  {}",
            text("model"),
            count("input_tokens"),
            count("output_tokens"),
            format_micros(
                event
                    .get("cost_usd")
                    .and_then(Value::as_f64)
                    .and_then(to_micros)
                    .unwrap_or(0)
            ),
        )),
        "llm_retry" => Some(format!(
            "  llm   {}  attempt {} failed: {}",
            text("model"),
            count("attempt"),
            text("error"),
        )),
        "tool_call" => {
            let ok = event.get("ok").and_then(Value::as_bool).unwrap_or(false);
            let status = if ok {
                "ok".to_string()
            } else {
                format!("error: {}", text("error"))
            };
            let args = event.get("args").map(brief).unwrap_or_default();
            Some(format!(
                "  tool  {}{args}  {status} ({} ms)",
                text("tool"),
                count("duration_ms")
            ))
        }
        _ => None,
    }
}

/// The arguments of a tool call in a progress line: compact JSON, cut at 60 characters.
fn brief(args: &Value) -> String {
    let text = crate::value::canonical_json(args);
    let mut cut: String = text.chars().take(60).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    format!(" {cut}")
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind: keep using it.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn progress_lines() {
        let call = json!({"event": "llm_call", "model": "openai:gpt-4o-mini",
            "input_tokens": 120, "output_tokens": 7, "cost_usd": 0.0123});
        assert_eq!(
            progress_line(&call).unwrap(),
            "  llm   openai:gpt-4o-mini  120 in / 7 out  $0.0123"
        );
        let tool = json!({"event": "tool_call", "tool": "fs.read", "ok": false,
            "error": "no such file", "duration_ms": 2, "args": {"path": "a.txt"}});
        assert_eq!(
            progress_line(&tool).unwrap(),
            "  tool  fs.read {\"path\":\"a.txt\"}  error: no such file (2 ms)"
        );
        let long = json!({"event": "tool_call", "tool": "csv.parse", "ok": true,
            "args": {"text": "x".repeat(100)}});
        let line = progress_line(&long).unwrap();
        assert!(
            line.starts_with("  tool  csv.parse {\"text\":\"xxx"),
            "{line}"
        );
        assert!(line.ends_with("…  ok (0 ms)"), "{line}");
        assert_eq!(progress_line(&json!({"event": "run_start"})), None);
    }

    #[test]
    fn run_log_sink_appends_with_timestamps() {
        let dir = tempfile::tempdir().unwrap();
        let log = RunLog::create_new(dir.path()).unwrap();
        let path = log.path().to_path_buf();
        let sink = RunLogSink::new(log, false);
        sink.emit(json!({"event": "llm_call", "model": "m"}));
        sink.emit(json!({"event": "tool_call", "tool": "fs.read"}));
        sink.sync();
        let events = RunLog::read(&path).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[1]["tool"], "fs.read");
        assert!(events[0]["at"].as_str().unwrap().ends_with('Z'));
    }
}
