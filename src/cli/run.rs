//! `llmos run "GOAL"`: the dispatcher. A stored program that matches the goal runs in
//! the VM (Follower, or Mixed when one short LLM call binds its params); otherwise an LLM
//! solves the goal with the built-in tools (Learner), and its recording is compiled and
//! stored so the next goal of the same shape is followed. See `crate::kernel`.
//!
//! Output: the result on stdout (text as is, other values as JSON); with `--json`, one
//! object with `program`, `output`, `mode`, `llm_calls`, `cost_usd`, `duration_ms`,
//! `input_tokens`, `output_tokens`, `trace`, `run_id`, `runs`, `recording`, `outcome`
//! and `error` (null, or the object `exec --json` gives too: `kind`, `code`, `message`,
//! `step`; see `crate::diag::Coded`). Exit 1 when the goal was not reached (no match in follower mode, budget,
//! LLM error, failed run).
//!
//! `--explain` runs nothing and prints why the dispatcher would decide as it does
//! (`crate::kernel::explain`); with `--json`, as one object.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;

use super::{CliError, Outcome};
use crate::diag::Coded;
use crate::kernel::{Kernel, Mode, Report, Request};
use crate::types::{Effect, EffectSet, Type};
use crate::value::{Value, pretty_json};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The goal, in words.
    pub goal: String,
    /// A param or `ask` slot of the program followed, read as its declared type.
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = super::exec::parse_set)]
    pub set: Vec<(String, String)>,
    /// Grant more capabilities: net, exec, clock (pure, read, write, llm are granted).
    #[arg(long, value_name = "CAP,...", value_delimiter = ',', value_parser = super::exec::parse_cap)]
    pub allow: Vec<Effect>,
    #[arg(long, value_enum, default_value_t = Mode::Auto)]
    pub mode: Mode,
    /// The most this run may spend on LLM calls, in US dollars.
    #[arg(long, value_name = "USD", value_parser = super::budget::parse_usd, allow_negative_numbers = true)]
    pub budget: Option<i64>,
    /// The run's time limit: 90s, 5m, 1h.
    #[arg(long, value_name = "DURATION", value_parser = super::exec::parse_limit)]
    pub timeout: Option<Duration>,
    /// LLM calls before the Learner gives up (default: `[llm] max_turns`, else 20).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_turns: Option<u32>,
    /// Let the team library's lookup take programs not signed by a trusted key.
    #[arg(long)]
    pub trust_unsigned: bool,
    /// Print one JSON object instead of the result.
    #[arg(long)]
    pub json: bool,
    /// Run nothing: say which stored programs the goal reaches, how each placeholder
    /// binds or why not (value, shape, type) and what the dispatcher would decide.
    #[arg(long)]
    pub explain: bool,
    /// The workspace root (default: the nearest folder at or above the current one with a
    /// `.llmos/`, else the current folder).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Save every LLM exchange of the run to this cassette file, for
    /// `LLMOS_MODEL=cassette:FILE` to replay offline.
    #[arg(long, value_name = "FILE")]
    pub record_cassette: Option<PathBuf>,
}

impl Args {
    pub fn request(&self) -> Request {
        Request {
            goal: self.goal.clone(),
            mode: self.mode,
            sets: self.set.clone(),
            allow: self.allow.iter().copied().collect::<EffectSet>(),
            budget: self.budget,
            timeout: self.timeout,
            max_turns: self.max_turns,
            trust_unsigned: self.trust_unsigned,
        }
    }
}

pub fn run(args: Args) -> Result<Outcome, CliError> {
    let Some(path) = &args.record_cassette else {
        return run_goal(&args);
    };
    let recording = crate::llm::cassette::Recording::start(path);
    let outcome = run_goal(&args);
    save_cassette(recording, outcome)
}

/// Writes a recorded cassette, whatever the outcome of the run (a failed run's exchanges
/// are worth replaying too); failing to write it fails the command.
pub(super) fn save_cassette(
    recording: crate::llm::cassette::Recording,
    outcome: Result<Outcome, CliError>,
) -> Result<Outcome, CliError> {
    match recording.save() {
        Ok(message) => {
            note!("{message}");
            outcome
        }
        Err(e) => {
            // The run's own error, if any, is shown first.
            if let Err(run) = outcome {
                run.print();
            }
            Err(CliError::Cassette(e))
        }
    }
}

fn run_goal(args: &Args) -> Result<Outcome, CliError> {
    let kernel = match super::kernel(args.root.as_deref()) {
        Ok(k) => k,
        Err(e) => {
            let report = Report {
                mode: mode_name(args.mode),
                error: Some(e),
                ..Report::default()
            };
            return Ok(finish(&report, args.json));
        }
    };
    if args.explain {
        return explain(&kernel, args);
    }
    let report = kernel.run(&args.request());
    Ok(finish(&report, args.json))
}

/// `--explain`: the dispatcher's reasons on stdout (text, or one JSON object).
fn explain(kernel: &Kernel, args: &Args) -> Result<Outcome, CliError> {
    let x = kernel.explain(&args.request())?;
    if args.json {
        let v = serde_json::to_value(&x).unwrap_or(Value::Null);
        outln!("{}", pretty_json(&v));
    } else {
        out!("{}", crate::kernel::explain::render(&x));
    }
    Ok(Outcome::Success)
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Learner | Mode::Auto => "learner",
        Mode::Follower => "follower",
    }
}

/// Prints a report (notes and errors on stderr, the result on stdout) and maps it to the
/// exit code.
pub fn finish(report: &Report, as_json: bool) -> Outcome {
    for note in &report.notes {
        note!("{note}");
    }
    if let Some(e) = &report.error {
        CliError::from(e.clone()).print();
        if let Some(path) = &report.recording {
            eprintln!("note: the failed run's recording is kept in {path} (no program is stored)");
        }
    } else if let Some(path) = &report.recording {
        note!("recording saved: {path}");
    }
    if as_json {
        outln!("{}", pretty_json(&json_report(report)));
    } else if report.error.is_none()
        && let Some(v) = &report.output
    {
        match (&report.output_type, v) {
            (Some(Type::Str | Type::Path), Value::String(s)) => outln!("{s}"),
            _ => outln!("{}", pretty_json(v)),
        }
    }
    if report.error.is_none() {
        Outcome::Success
    } else {
        Outcome::Failed
    }
}

/// The `--json` object of a run.
pub fn json_report(r: &Report) -> Value {
    json!({
        "program": r.program.map(|p| p.to_string()),
        "trace": r.trace,
        "output": r.output,
        "mode": r.mode,
        "llm_calls": r.usage.llm_calls,
        "input_tokens": r.usage.input_tokens,
        "output_tokens": r.usage.output_tokens,
        "cost_usd": r.usage.cost_usd(),
        "duration_ms": r.duration.as_micros() as f64 / 1000.0,
        "run_id": r.run_ids.last(),
        "runs": r.run_ids,
        "recording": r.recording,
        "outcome": if r.error.is_none() { "success" } else { "failure" },
        "error": r.error.as_ref().map(Coded::json),
    })
}
