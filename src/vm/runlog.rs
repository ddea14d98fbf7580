//! The run log subscriber: writes a run's events to `runs/<run id>.jsonl` (the session
//! log of the original design), one JSON object per line.
//!
//! The log is deterministic apart from its time fields (`at`, `ms`) and the run id:
//! step events are written in op order, not in the order concurrent steps happened to
//! finish. Each tool op's events (`step_started`, `slot_resolved`, `llm_call`, then
//! `step_finished`/`step_failed`/`step_cancelled`) are held until that op and every
//! earlier tool op have ended, then written together; whatever is still held when the
//! run ends is written in op order before the `run_cancelled`/`run_finished` lines. So
//! the log still grows as the run goes, and a crash loses only the steps after the
//! first unfinished one.
//!
//! The file is created on the `run_started` event: a run refused before it started
//! (missing param, refused capability) leaves no log.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::events::{Event, Subscriber};
use crate::ir::OpId;
use crate::store::{RunId, RunLog, StoreError};

/// Writes one run's log.
#[derive(Debug)]
pub struct RunLogWriter {
    runs_dir: PathBuf,
    id: RunId,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    log: Option<RunLog>,
    /// Tool ops in order, and the index of the first one not yet written.
    tool_ops: Arc<[OpId]>,
    cursor: usize,
    /// Events held per op, and whether the op has ended.
    held: BTreeMap<OpId, (Vec<serde_json::Value>, bool)>,
    /// The first write error; later events are dropped.
    error: Option<String>,
}

impl RunLogWriter {
    /// A writer for run `id` in `runs_dir`; nothing is created before the run starts.
    pub fn new(runs_dir: PathBuf, id: RunId) -> RunLogWriter {
        RunLogWriter {
            runs_dir,
            id,
            state: Mutex::new(State::default()),
        }
    }

    /// The run's id.
    pub fn id(&self) -> &RunId {
        &self.id
    }

    /// Where the log is (or will be) written.
    pub fn path(&self) -> PathBuf {
        RunLog::path_of(&self.runs_dir, &self.id)
    }

    /// The first error met while writing, if any (the run itself is not affected).
    pub fn error(&self) -> Option<String> {
        self.state.lock().ok().and_then(|s| s.error.clone())
    }
}

impl State {
    fn write(&mut self, line: &serde_json::Value) {
        if self.error.is_some() {
            return;
        }
        if let Some(log) = &mut self.log
            && let Err(e) = log.append(line)
        {
            self.error = Some(e.to_string());
        }
    }

    fn hold(&mut self, op: OpId, line: serde_json::Value, ends: bool) {
        let entry = self.held.entry(op).or_default();
        entry.0.push(line);
        entry.1 |= ends;
        self.flush_ready();
    }

    /// Writes the held events of every ended op at the cursor.
    fn flush_ready(&mut self) {
        while let Some(&op) = self.tool_ops.get(self.cursor) {
            match self.held.get(&op) {
                Some((_, true)) => {
                    if let Some((lines, _)) = self.held.remove(&op) {
                        lines.iter().for_each(|l| self.write(l));
                    }
                    self.cursor += 1;
                }
                _ => break,
            }
        }
    }

    /// Writes everything still held, in op order.
    fn flush_all(&mut self) {
        let held = std::mem::take(&mut self.held);
        for (_, (lines, _)) in held {
            lines.iter().for_each(|l| self.write(l));
        }
    }
}

impl Subscriber for RunLogWriter {
    fn on(&self, event: &Event) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let line = match serde_json::to_value(event) {
            Ok(line) => line,
            Err(e) => {
                state.error.get_or_insert(e.to_string());
                return;
            }
        };
        match event {
            Event::RunStarted { tool_ops, .. } => {
                match RunLog::create(&self.runs_dir, &self.id) {
                    Ok(log) => state.log = Some(log),
                    Err(e) => state.error = Some(describe(e)),
                }
                state.tool_ops = Arc::clone(tool_ops);
                state.write(&line);
            }
            Event::StepStarted { op, .. }
            | Event::SlotResolved { op, .. }
            | Event::LlmCall { op, .. } => state.hold(*op, line, false),
            Event::StepFinished { op, .. }
            | Event::StepFailed { op, .. }
            | Event::StepCancelled { op, .. } => state.hold(*op, line, true),
            Event::RunCancelled { .. } => {
                state.flush_all();
                state.write(&line);
            }
            Event::RunFinished { .. } => {
                state.flush_all();
                state.write(&line);
            }
        }
    }
}

fn describe(e: StoreError) -> String {
    format!("cannot write the run log: {e}")
}
