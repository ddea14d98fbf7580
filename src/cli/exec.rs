//! `llmos exec PROGRAM`: run a program in the VM (Follower mode).
//!
//! Output: the `return` value on stdout, a `str` or `path` as plain text, anything else
//! as pretty JSON (sorted keys, canonical numbers), each followed by a newline; nothing
//! when there is no `return`. With `--json`, one compact JSON object on one line
//! instead: `program`, `name`, `run_id`, `mode`, `ok`, `output`, `steps` (statements)
//! and `ops` (DAG ops run), `llm_calls`, `input_tokens`, `output_tokens`, `cost_usd`,
//! `duration_ms`, and `error` (`kind`, `code`, `message`, `step` counted from 1: the
//! object `run --json` gives too) when the run failed. A failure before the run (the
//! workspace, the program, a `--set` value) gives the same object with `run_id` null,
//! `step` null, and `program` and `name` null until the program loaded. Diagnostics and
//! the progress display go to stderr. Exit 0 on success, 1 when the program or its
//! inputs are wrong, a capability is refused, or the run fails, times out or is
//! cancelled (Ctrl-C, SIGTERM).

use std::path::PathBuf;
use std::time::Duration;

use super::error::ArgError;
use super::program::{self, Loaded};
use super::render::print_all;
use super::{CliError, Outcome};
use crate::diag::{Coded, Span};
use crate::kernel::follow;
use crate::store::RunId;
use crate::tools::ToolTable;
use crate::types::{Effect, EffectSet, Type};
use crate::value::{Value, canonical_json, pretty_json};
use crate::vm::{self, Cancel, RunError, RunInputs, RunOutput};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The program: a `.llt` file (compiled first), a `.llb` file, or a stored program id.
    pub program: String,
    /// A param or `ask` slot value, read as its declared type (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_set)]
    pub set: Vec<(String, String)>,
    /// Capabilities to grant beyond pure, read, write and llm: net, exec, clock.
    #[arg(long, value_name = "CAP,...", value_delimiter = ',', value_parser = parse_cap)]
    pub allow: Vec<Effect>,
    /// Time limit of the whole run: 500ms, 2s, 5m.
    #[arg(long, value_name = "DURATION", value_parser = parse_limit)]
    pub timeout: Option<Duration>,
    /// A cap on each tool call's own time limit (every tool has a default); calls on
    /// small inputs answer at once and are not timed.
    #[arg(long, value_name = "DURATION", value_parser = parse_limit)]
    pub step_timeout: Option<Duration>,
    /// Never call an LLM: `ask` slots come from `--set` or the slot cache.
    #[arg(long)]
    pub offline: bool,
    /// Print one JSON object with the output and the run's figures.
    #[arg(long)]
    pub json: bool,
    /// Calls and slots under way at once.
    #[arg(long, value_name = "N", default_value_t = vm::DEFAULT_JOBS as u32,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub jobs: u32,
    /// The workspace root (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

/// `--set NAME=VALUE`.
pub(super) fn parse_set(text: &str) -> Result<(String, String), ArgError> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.to_owned()))
        }
        _ => Err(ArgError::NotNameValue(text.to_owned())),
    }
}

/// One capability of `--allow`.
pub(super) fn parse_cap(text: &str) -> Result<Effect, ArgError> {
    Effect::parse(text.trim()).ok_or_else(|| ArgError::UnknownCapability(text.to_owned()))
}

/// The longest time limit accepted on the command line: a year. Longer ones could not
/// be added to the clock (an overflow); no run needs them.
pub const MAX_LIMIT: Duration = Duration::from_secs(365 * 24 * 3600);

pub(super) fn parse_limit(text: &str) -> Result<Duration, ArgError> {
    let d = humantime::parse_duration(text).map_err(|source| ArgError::NotDuration {
        text: text.to_owned(),
        source,
    })?;
    if d.is_zero() {
        return Err(ArgError::ZeroLimit);
    }
    if d > MAX_LIMIT {
        return Err(ArgError::TooLong(text.to_owned()));
    }
    Ok(d)
}

pub fn run(args: Args) -> Result<Outcome, CliError> {
    let mut summary = Summary::default();
    let result = exec(&args, &mut summary);
    match (&result, args.json) {
        (Ok(out), false) => print_output(out),
        (result, true) => print_stdout(&(canonical_json(&summary.json(result)) + "\n")),
        (Err(_), false) => {}
    }
    result.map(|_| Outcome::Success)
}

/// Loads and runs the program; `summary` gets what is known of the run as it goes (all
/// of it, or as far as it got before an error).
fn exec(args: &Args, summary: &mut Summary) -> Result<RunOutput, CliError> {
    let host = super::host(args.root.as_deref())?;
    let (ws, config) = (&host.ws, &host.config);
    let tools = program::workspace_tools(&host)?;
    let loaded = program::load(&args.program, ws, &tools)?;
    if let (false, Some((file, text))) = (loaded.warnings.is_empty(), &loaded.source) {
        print_all(&loaded.warnings, file, text, 100);
    }
    let id = loaded.id.to_string();
    summary.program = Some(id.clone());
    summary.name = Some(loaded.program.name.clone());
    summary.steps = loaded.program.steps.len();
    let sets = vm::Bindings::from_sets(&loaded.program, &args.set)
        .map_err(|e| located(e, &loaded, &tools))?;
    let granted = args
        .allow
        .iter()
        .copied()
        .collect::<EffectSet>()
        .union(config.allowed())
        .union(EffectSet::DEFAULT_GRANTED);
    let run_id = RunId::new();
    summary.run_id = Some(run_id.clone());
    let resolver = host.slot_resolver(
        run_id.as_str(),
        None,
        args.offline || loaded.program.slots.is_empty(),
    );
    let inputs = RunInputs {
        program_id: id,
        run_id,
        params: Default::default(),
        sets,
        granted,
        jobs: args.jobs as usize,
        timeout: args.timeout,
        step_timeout: args.step_timeout,
        cancel: Cancel::new(),
        tools: tools.clone(),
    };
    follow::run_program(&host, &loaded.program, inputs, &resolver)?
        .result
        .map_err(|e| located(e, &loaded, &tools))
}

/// What `--json` says of a run: the program, its name and the run's id, as far as they
/// are known (a program that does not load has none).
#[derive(Default)]
struct Summary {
    program: Option<String>,
    name: Option<String>,
    run_id: Option<RunId>,
    /// Statements of the program (all of them ran when the run succeeded).
    steps: usize,
}

impl Summary {
    fn json(&self, result: &Result<RunOutput, CliError>) -> Value {
        let mut obj = serde_json::json!({
            "program": self.program,
            "name": self.name,
            "run_id": self.run_id.as_ref().map(RunId::as_str),
            "mode": "follower",
        });
        let fields = match result {
            Ok(out) => serde_json::json!({
                "ok": true,
                "output": out.output.clone().unwrap_or(Value::Null),
                "steps": self.steps,
                "ops": out.ops_run,
                "llm_calls": out.usage.llm_calls,
                "input_tokens": out.usage.input_tokens,
                "output_tokens": out.usage.output_tokens,
                "cost_usd": out.usage.cost_usd(),
                "duration_ms": out.duration.as_micros() as f64 / 1000.0,
            }),
            Err(e) => serde_json::json!({
                "ok": false,
                "output": null,
                "llm_calls": 0,
                "cost_usd": 0.0,
                "error": e.json(),
            }),
        };
        if let (Value::Object(o), Value::Object(f)) = (&mut obj, fields) {
            o.extend(f);
        }
        obj
    }
}

pub(super) fn print_output(out: &RunOutput) {
    let Some(value) = &out.output else {
        return;
    };
    let text = match (&out.output_type, value) {
        (Some(Type::Str | Type::Path), Value::String(s)) => format!("{s}\n"),
        _ => pretty_json(value) + "\n",
    };
    print_stdout(&text);
}

fn print_stdout(text: &str) {
    super::out::write(text);
}

/// A run error with its step's place in the program's source, when both are known (the
/// error is then shown against that line).
pub(super) fn located(e: RunError, loaded: &Loaded, tools: &ToolTable) -> CliError {
    let at = match (e.step, &loaded.source) {
        (Some(step), Some((file, text))) => {
            step_span(loaded, text, step, tools).map(|span| (file.clone(), text.clone(), span))
        }
        _ => None,
    };
    CliError::run(e, at)
}

/// The source span of statement `step` (the `return` expression past the last one),
/// from the step→span table kept with the source. Only a sidecar written before sidecars
/// kept the table makes the source be checked again to find it.
fn step_span(loaded: &Loaded, text: &str, step: u32, tools: &ToolTable) -> Option<Span> {
    match &loaded.steps {
        Some(table) => table.get(step as usize).copied(),
        None => {
            let (program, _) = crate::check::check_source(text, tools);
            crate::ir::build::step_spans(&program?)
                .get(step as usize)
                .copied()
        }
    }
}
