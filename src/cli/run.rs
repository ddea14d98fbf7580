//! `llmos run "GOAL"`: the dispatcher. Only Learner mode exists yet: an LLM solves the
//! goal with the built-in tools, every call is recorded, and the recording is saved in
//! `.llmos/recordings/` (compiling it into a program comes with the recording compiler).
//! `--mode auto` runs the Learner too, since no stored program can match a goal yet;
//! `--mode follower` is refused.
//!
//! Output: the final answer on stdout; with `--json`, one object with `program`,
//! `output`, `mode`, `llm_calls`, `cost_usd`, `duration_ms`, `recording`, `run_id`,
//! `outcome` and `error`. Exit 1 when the run fails (budget, LLM error, limits).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::Outcome;
use crate::db::Db;
use crate::economy::meter::{Deadline, Meter, RunTotals, shared};
use crate::learn::events::{EventSink, RunLogSink};
use crate::learn::learner::{self, DEFAULT_MAX_TOKENS, DEFAULT_MAX_TURNS, LearnerConfig};
use crate::learn::save::save_recording;
use crate::learn::session;
use crate::store::RunLog;
use crate::tools::ToolCtx;
use crate::types::{Effect, EffectSet};
use crate::workspace::Workspace;

/// How a goal is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// A stored program when one matches the goal, else the Learner.
    Auto,
    /// Only a stored program.
    Follower,
    /// Always the Learner (an LLM with tools).
    Learner,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The goal, in words.
    pub goal: String,
    /// Bind a stored program's param (follower mode).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Grant more capabilities: net, exec, clock (pure, read, write, llm are granted).
    #[arg(long, value_name = "CAP,...", value_delimiter = ',', value_parser = parse_capability)]
    pub allow: Vec<Effect>,
    #[arg(long, value_enum, default_value_t = Mode::Auto)]
    pub mode: Mode,
    /// The most this run may spend on LLM calls, in US dollars.
    #[arg(long, value_name = "USD", value_parser = super::budget::parse_usd, allow_negative_numbers = true)]
    pub budget: Option<f64>,
    /// The run's time limit: 90s, 5m, 1h.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// LLM calls before the Learner gives up (default: `[llm] max_turns`, else 20).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_turns: Option<u32>,
    /// Print one JSON object instead of the answer.
    #[arg(long)]
    pub json: bool,
    /// The workspace root (default: the current folder).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

fn parse_capability(text: &str) -> Result<Effect, String> {
    Effect::parse(text.trim()).ok_or_else(|| {
        let known: Vec<&str> = Effect::ALL.iter().map(|e| e.as_str()).collect();
        format!("unknown capability `{text}` (known: {})", known.join(", "))
    })
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    match humantime::parse_duration(text) {
        Ok(d) if d.is_zero() => Err("a time limit must be longer than 0".into()),
        Ok(d) => Ok(d),
        Err(e) => Err(format!(
            "`{text}` is not a duration ({e}); write e.g. 90s, 5m, 1h"
        )),
    }
}

pub fn run(args: Args) -> Outcome {
    let started = Instant::now();
    let refused = |message: &str| {
        eprintln!("error: {message}");
        if args.json {
            let mode = match args.mode {
                Mode::Follower => "follower",
                Mode::Auto | Mode::Learner => "learner",
            };
            let report = Report {
                mode,
                started,
                error: Some(message),
                ..Report::default()
            };
            report.print();
        }
        Outcome::Failed
    };
    match args.mode {
        Mode::Follower => {
            return refused(
                "follower mode is not available yet: only learner mode exists; \
                 use --mode learner (or run a program with `llmos exec`)",
            );
        }
        Mode::Auto => {
            eprintln!("note: no stored program can match a goal yet; running the Learner");
        }
        Mode::Learner => {}
    }
    if let Some(first) = args.set.first() {
        return refused(&format!(
            "--set {first}: --set binds the params of a stored program, and learner mode \
             runs none; write the values into the goal instead"
        ));
    }
    if args.goal.trim().is_empty() {
        return refused("the goal is empty");
    }
    match run_learner(&args, started) {
        Ok(outcome) => outcome,
        Err(message) => refused(&message),
    }
}

/// What `--json` prints for a run.
struct Report<'a> {
    mode: &'static str,
    output: Option<&'a str>,
    totals: RunTotals,
    started: Instant,
    recording: Option<String>,
    run_id: Option<&'a str>,
    error: Option<&'a str>,
}

impl Default for Report<'_> {
    fn default() -> Self {
        Report {
            mode: "learner",
            output: None,
            totals: RunTotals::default(),
            started: Instant::now(),
            recording: None,
            run_id: None,
            error: None,
        }
    }
}

impl Report<'_> {
    fn duration_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn print(&self) {
        let t = &self.totals;
        let doc = json!({
            "program": null,
            "output": self.output,
            "mode": self.mode,
            "llm_calls": t.llm_calls,
            "input_tokens": t.input_tokens,
            "output_tokens": t.output_tokens,
            "cost_usd": t.cost_usd(),
            "duration_ms": self.duration_ms(),
            "recording": self.recording,
            "run_id": self.run_id,
            "outcome": if self.error.is_none() { "success" } else { "failure" },
            "error": self.error,
        });
        println!("{}", crate::value::pretty_json(&doc));
    }
}

/// Sets up the workspace, the meter and the tools, runs the Learner and reports. An
/// error means the run could not start (nothing was spent).
fn run_learner(args: &Args, started: Instant) -> Result<Outcome, String> {
    let env = |k: &str| std::env::var(k).ok();
    let ws = Workspace::open(args.root.as_deref(), env).map_err(|e| e.to_string())?;
    ws.ensure_state_dir().map_err(|e| e.to_string())?;
    let config = ws.config().map_err(|e| e.to_string())?;
    let granted = args.allow.iter().fold(
        EffectSet::DEFAULT_GRANTED.union(config.allowed()),
        |s, e| s.union(EffectSet::single(*e)),
    );
    let model = session::select_model(&env, &config)?;
    let provider = session::provider(&model, &env, &config)?;
    let ctx = Arc::new(ToolCtx::new(&ws.root).map_err(|e| e.to_string())?);
    let db = Db::open_in(&ws.state_dir).map_err(|e| e.to_string())?;
    let log = RunLog::create_new(&ws.runs_dir()).map_err(|e| e.to_string())?;
    let run_id = log.id().to_string();
    let sink = Arc::new(RunLogSink::for_terminal(log));
    let events: Arc<dyn EventSink> = sink.clone();
    let meter = Meter::new(
        provider,
        &model,
        &config.prices,
        shared(db),
        &run_id,
        args.budget,
        events,
    );
    sink.emit(json!({
        "event": "run_start", "run_id": run_id, "mode": "learner", "goal": args.goal,
        "model": meter.model(), "budget_usd": args.budget,
    }));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let learner_config = LearnerConfig {
        max_turns: args
            .max_turns
            .or(config.llm.max_turns)
            .unwrap_or(DEFAULT_MAX_TURNS),
        max_tokens: config.llm.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
        granted,
        deadline: args.timeout.map(Deadline::after),
        temperature: None,
    };
    let learned = runtime.block_on(learner::learn(&args.goal, &meter, &ctx, &learner_config));
    // A failed run that made no tool call has nothing worth keeping: the run log says why.
    let recording = if learned.recording.steps.is_empty() {
        None
    } else {
        match save_recording(&learned.recording, &ws.recordings_dir(), &run_id) {
            Ok(path) => Some(shown_path(&path)),
            Err(e) => {
                eprintln!("warning: {e}");
                None
            }
        }
    };
    let error = learned.failure.as_ref().map(ToString::to_string);
    let report = Report {
        mode: "learner",
        output: learned.answer.as_deref(),
        totals: meter.totals(),
        started,
        recording,
        run_id: Some(&run_id),
        error: error.as_deref(),
    };
    let t = &report.totals;
    sink.emit(json!({
        "event": "run_end", "outcome": if error.is_none() { "success" } else { "failure" },
        "error": error, "llm_calls": t.llm_calls, "input_tokens": t.input_tokens,
        "output_tokens": t.output_tokens, "cost_usd": t.cost_usd(),
        "duration_ms": report.duration_ms(), "recording": report.recording,
    }));
    sink.sync();
    if args.json {
        report.print();
    } else if let Some(answer) = report.output {
        println!("{answer}");
    }
    match (&error, &report.recording) {
        (None, Some(path)) => eprintln!("recording saved: {path}"),
        (None, None) => {}
        (Some(message), path) => {
            eprintln!("error: {message}");
            if let Some(path) = path {
                eprintln!(
                    "note: the failed run's recording is kept in {path} (no program is stored)"
                );
            }
        }
    }
    Ok(if error.is_none() {
        Outcome::Success
    } else {
        Outcome::Failed
    })
}

fn shown_path(path: &Path) -> String {
    path.display().to_string()
}
