//! The Learner phase of `llmos run`: an LLM solves the goal with the built-in tools; a
//! successful recording is compiled, stored and added to the trace library, and its slot
//! answers seed the slot cache, so the next goal of the same shape runs in the VM.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::json;

use super::{Kernel, KernelError, Request};
use crate::db::{NewTrace, TraceSource};
use crate::economy::meter::Deadline;
use crate::learn::compile::Compiled;
use crate::learn::events::{EventSink, RunLogSink};
use crate::learn::learner::{self, DEFAULT_MAX_TOKENS, DEFAULT_MAX_TURNS, LearnerConfig};
use crate::learn::recording::Recording;
use crate::learn::save::save_recording;
use crate::store::{ObjectId, RunLog};
use crate::usage::Usage;

/// How a Learner phase went.
pub struct LearnOutcome {
    pub run_id: String,
    pub answer: Option<String>,
    pub totals: Usage,
    pub recording: Option<PathBuf>,
    /// The stored program and its library entry, when the recording compiled.
    pub program: Option<(ObjectId, i64)>,
    /// Why the run failed.
    pub error: Option<KernelError>,
    /// Things worth telling the user (the program could not be compiled, ...).
    pub notes: Vec<String>,
}

/// Runs the Learner on `req.goal`. `budget_left` is what the run may still spend (in
/// micro-dollars);
/// `dispatch`, why no stored program served the goal, goes into the run log after
/// `run_start`. An error means the phase could not start (no model, no key: nothing was
/// spent).
pub fn learn(
    k: &Kernel,
    req: &Request,
    budget_run: &str,
    budget_left: Option<i64>,
    dispatch: Option<serde_json::Value>,
    stopped: Option<&StoppedAt>,
) -> Result<LearnOutcome, KernelError> {
    let host = &k.host;
    // The model first: without one (or its key) nothing is set up, no run log written.
    let llm = host.llm()?;
    let ctx = host.tool_ctx().map_err(KernelError::workspace)?;
    let ctx = Arc::new(ctx);
    let log = RunLog::create_new(&host.ws.runs_dir()).map_err(KernelError::workspace)?;
    let run_id = log.id().to_string();
    let sink = Arc::new(RunLogSink::for_terminal(log));
    let events: Arc<dyn EventSink> = sink.clone();
    let meter = host.meter_for(llm, budget_run, budget_left, events)?;
    sink.emit(json!({
        "event": "run_start", "run_id": run_id, "mode": "learner", "goal": req.goal,
        "model": meter.model(), "budget_usd": budget_left.map(crate::usage::usd),
    }));
    if let Some(event) = dispatch {
        sink.emit(event);
    }
    let runtime = host.runtime()?;
    let config = LearnerConfig {
        max_turns: req
            .max_turns
            .or(host.config.llm.max_turns)
            .unwrap_or(DEFAULT_MAX_TURNS),
        max_tokens: host.config.llm.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        granted: req.granted(&host.config),
        deadline: req.timeout.map(Deadline::after),
        temperature: None,
        cancel: Some(crate::vm::Cancel::new()),
        tools: k.tools.clone(),
    };
    let cancel = config.cancel.clone().unwrap_or_default();
    let learned = runtime.block_on(async {
        let watcher = tokio::spawn(super::follow::watch_signals(cancel));
        let learned = learner::learn(&req.goal, &meter, &ctx, &config).await;
        watcher.abort();
        // MCP servers the Learner started end with the run.
        config.tools.shutdown().await;
        learned
    });
    let mut notes = Vec::new();
    // A failed run that made no tool call has nothing worth keeping: the run log says why.
    let recording = if learned.recording.steps.is_empty() {
        None
    } else {
        match save_recording(&learned.recording, &host.ws.recordings_dir(), &run_id) {
            Ok(path) => Some(path),
            Err(e) => {
                notes.push(format!("warning: {e}"));
                None
            }
        }
    };
    let error = learned.failure.as_ref().map(KernelError::from);
    let totals = meter.totals();
    let program = match &error {
        None => match store_learned(
            k,
            &learned.recording,
            totals.cost_micros,
            meter.model(),
            stopped,
        ) {
            Ok((p, compile_notes)) => {
                notes.extend(compile_notes.into_iter().map(|n| format!("note: {n}")));
                Some(p)
            }
            Err(why) => {
                notes.push(format!(
                    "note: the recording was kept but not compiled: {why}"
                ));
                None
            }
        },
        Some(_) => None,
    };
    sink.emit(json!({
        "event": "run_end", "outcome": if error.is_none() { "success" } else { "failure" },
        "error": error.as_ref().map(ToString::to_string), "llm_calls": totals.llm_calls, "input_tokens": totals.input_tokens,
        "output_tokens": totals.output_tokens, "cost_usd": totals.cost_usd(),
        "recording": recording.as_ref().map(|p| p.display().to_string()),
        "program": program.as_ref().map(|(id, _)| id.to_string()),
    }));
    sink.sync();
    Ok(LearnOutcome {
        run_id,
        answer: learned.answer,
        totals,
        recording,
        program,
        error,
        notes,
    })
}

/// The library entry a followed run stopped in at a failed top-level `expect` (the
/// program does not apply to the goal): the Learner's program grows it a branch.
#[derive(Clone, Debug)]
pub struct StoppedAt {
    pub entry: i64,
    pub program_id: String,
    /// The entry's params JSON (their shapes).
    pub params: String,
    /// The statement whose `expect` failed.
    pub step: u32,
}

/// Compiles a successful recording, stores the program with its source, seeds the slot
/// cache with the recorded answers and adds the trace to the library. Also gives the
/// compiler's notes (why the program serves the exact goal only, ...). After a run that
/// stopped in a stored program (`stopped`), the new program is merged into that one at
/// the guard when that is sound, and the merged program replaces its entry.
pub fn store_learned(
    k: &Kernel,
    rec: &Recording,
    cost_micros: i64,
    model: &str,
    stopped: Option<&StoppedAt>,
) -> Result<((ObjectId, i64), Vec<String>), KernelError> {
    let runtime = k.host.runtime()?;
    let compiled = crate::learn::compile::compile_with(rec, &k.tools, runtime)?;
    let mut notes = compiled.notes.clone();
    if let Some(at) = stopped {
        match super::grow::grow(k, at, &compiled) {
            Ok(super::grow::Grown::Replaced) => {
                let mut c = compiled;
                c.notes.insert(
                    0,
                    "replaced the stored program of this exact goal, which no longer applied"
                        .to_owned(),
                );
                let stored = store(k, &c, model, TraceSource::Learned, cost_micros, Some(at))?;
                notes.push(c.notes.remove(0));
                return Ok((stored, notes));
            }
            Ok(super::grow::Grown::Merged(merged)) => {
                let stored = store(
                    k,
                    &merged,
                    model,
                    TraceSource::Learned,
                    cost_micros,
                    Some(at),
                )?;
                notes.extend(merged.notes);
                return Ok((stored, notes));
            }
            Err(why) => notes.push(format!(
                "the new program is kept beside the stored one it could not be merged \
                 into: {why}"
            )),
        }
    }
    let stored = store_compiled(k, &compiled, model, TraceSource::Learned, cost_micros)?;
    Ok((stored, notes))
}

/// Stores a compiled recording and registers it in the trace library.
pub fn store_compiled(
    k: &Kernel,
    c: &Compiled,
    model: &str,
    source: TraceSource,
    cost_micros: i64,
) -> Result<(ObjectId, i64), KernelError> {
    store(k, c, model, source, cost_micros, None)
}

/// Stores a program and registers it; a program grown from `replaces` takes the place of
/// its entry and records its parent, all in one transaction.
fn store(
    k: &Kernel,
    c: &Compiled,
    model: &str,
    source: TraceSource,
    cost_micros: i64,
    replaces: Option<&StoppedAt>,
) -> Result<(ObjectId, i64), KernelError> {
    let bytes = crate::bytecode::encode(&c.program);
    // Until the library refers to the program, `store gc` must not take it away.
    let _lease = k.store.lease().map_err(KernelError::workspace)?;
    let id = k.store.put(&bytes).map_err(KernelError::workspace)?;
    k.store
        .put_source(
            &id,
            &format!("{}.llt", c.program.name),
            &c.source,
            Some(&c.spans),
        )
        .map_err(KernelError::workspace)?;
    let db = crate::economy::meter::lock_db(k.db()?);
    let template = match &c.program.goal {
        Some(g) => g.clone(),
        None => c.program.name.clone(),
    };
    let params: Vec<serde_json::Value> = c
        .program
        .params
        .iter()
        .map(|p| {
            let shape = c.shapes.iter().find(|(n, _)| *n == p.name).map(|(_, s)| s);
            let mut entry =
                json!({ "name": p.name, "type": p.ty.to_string(), "default": p.default });
            if let Some(shape) = shape {
                entry["shape"] = json!(shape);
            }
            entry
        })
        .collect();
    let new = NewTrace {
        name: c.program.name.clone(),
        goal_template: template,
        program_id: id.to_string(),
        params: json!({ "params": params, "generalized": c.generalized }),
        source,
        learn_cost_micros: cost_micros,
    };
    let trace = db
        .batch(|db| {
            for s in &c.slot_answers {
                db.slots()
                    .put(&id.to_string(), &s.slot, &s.prompt, model, &s.answer)?;
            }
            let trace = db.library().add(&new)?;
            if let Some(old) = replaces {
                let note = c.notes.first().map_or("", String::as_str);
                db.lineage()
                    .record(&new.program_id, &old.program_id, note)?;
                if old.entry != trace {
                    db.library().remove(old.entry)?;
                }
            }
            Ok(trace)
        })
        .map_err(KernelError::workspace)?;
    Ok((id, trace))
}
