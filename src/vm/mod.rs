//! The VM (Follower mode): runs a verified program deterministically, its tools doing
//! real work inside the sandbox.
//!
//! [`run`] does, in order:
//! 1. plan: link the [`Verified`] program's tools (refusing a tool whose signature
//!    changed since it was compiled; the program's shape is proved by its type);
//! 2. bind: every param from `--set` ([`Bindings`], typed once when they were resolved),
//!    the values given by name (checked against their types) or its default; a missing
//!    or ill-typed value is an error naming it;
//! 3. capabilities: the program's effects against what was granted; a missing one is
//!    an error naming it and the first step that needs it;
//! 4. only then the first op: the scheduler ([`sched`]) runs every op whose inputs
//!    are ready, up to `jobs` calls at a time, under the per-step and per-run limits,
//!    emitting [`Event`]s to the bus.
//!
//! Results never depend on the schedule: ops only see their inputs, effect edges keep
//! workspace reads and writes in source order, and when steps fail the one reported is
//! the first in source order.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use llmos::vm::{self, EventBus, RunInputs};
//! use llmos::host::{LazyDb, SlotFiller};
//! let (program, _warnings) = llmos::ir::build::compile_source(
//!     "trace t\nparam name: str\nreturn \"Hi {name}\"\n",
//! ).map_err(|_| "does not compile")?;
//! let program = llmos::bytecode::verify(program, llmos::tools::ToolTable::builtins())?;
//! let mut inputs = RunInputs::new("program-id");
//! inputs.params.insert("name".into(), "Ada".into());
//! let ctx = Arc::new(llmos::tools::ToolCtx::new(std::path::Path::new("."))?);
//! let resolver = SlotFiller::cache_only(LazyDb::new(std::path::Path::new(".llmos")), "none");
//! let out = vm::run(&program, inputs, &ctx, &resolver, &EventBus::new()).await?;
//! assert_eq!(out.output, Some("Hi Ada".into()));
//! # Ok(()) }
//! ```

pub(crate) mod bind;
mod block;
pub(crate) mod error;
pub(crate) mod events;
mod for_loop;
mod frame;
mod plan;
mod plan_blocks;
pub(crate) mod progress;
pub(crate) mod runlog;
mod sched;
pub mod slots;
mod values;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

pub use bind::Bindings;
pub use error::{RunError, RunErrorKind};
pub use events::{Collector, Event, EventBus, Subscriber};
pub use runlog::RunLogWriter;
pub use slots::{
    CallFailure, Resolved, SlotError, SlotFuture, SlotRequest, SlotResolver, SlotSource,
};

use crate::bytecode::Verified;
use crate::ir::Program;
use crate::store::RunId;
use crate::tools::{ToolCtx, ToolTable};
use crate::types::{EffectSet, Type};
use crate::value::Value;

/// Calls and slots under way at once unless told otherwise: enough that waits and
/// network calls overlap, whatever the number of cores.
pub const DEFAULT_JOBS: usize = 64;

/// What a run is given.
#[derive(Clone, Debug)]
pub struct RunInputs {
    /// The program id: the slot cache key and the run log's `program`.
    pub program_id: String,
    /// The run id for events and the run log (a fresh one by default).
    pub run_id: RunId,
    /// Param values by name (from a goal, a caller's JSON): checked against the declared
    /// types when the run binds them; `sets` and defaults fill the rest.
    pub params: BTreeMap<String, Value>,
    /// `--set` values, resolved for this program ([`Bindings::from_sets`]): a param's
    /// takes the place of one given by name; a slot given one is not asked.
    pub sets: Bindings,
    /// The capabilities granted.
    pub granted: EffectSet,
    /// Calls and slots under way at once (at least 1).
    pub jobs: usize,
    /// The run's time limit.
    pub timeout: Option<Duration>,
    /// A cap on each tool call's own time limit ([`Tool::timeout`](crate::tools::Tool::timeout)).
    /// Limits apply to calls that hand back a future (waits, and work on large inputs);
    /// calls that answer at once work on small inputs only. Slots have no step limit
    /// (the resolver has its own); the run's `timeout` covers everything.
    pub step_timeout: Option<Duration>,
    /// Cancels the run from outside.
    pub cancel: Cancel,
    /// The tools the program links against (the built-in ones by default).
    pub tools: ToolTable,
}

impl RunInputs {
    /// Inputs with no values, the default capabilities, [`DEFAULT_JOBS`] and no limits.
    pub fn new(program_id: impl Into<String>) -> RunInputs {
        RunInputs {
            program_id: program_id.into(),
            run_id: RunId::new(),
            params: BTreeMap::new(),
            sets: Bindings::default(),
            granted: EffectSet::DEFAULT_GRANTED,
            jobs: DEFAULT_JOBS,
            timeout: None,
            step_timeout: None,
            cancel: Cancel::new(),
            tools: ToolTable::builtins().clone(),
        }
    }
}

/// What a successful run gives.
#[derive(Clone, Debug, PartialEq)]
pub struct RunOutput {
    /// The `return` value, if the program has one.
    pub output: Option<Value>,
    /// Its static type (`str` and `path` print as text).
    pub output_type: Option<Type>,
    pub run_id: RunId,
    /// Ops run (every op of the program).
    pub ops_run: usize,
    /// LLM calls made for slots, their tokens and cost.
    pub usage: crate::usage::Usage,
    /// Wall time from the first op to the end.
    pub duration: Duration,
}

/// Cancels a run from outside (Ctrl-C, SIGTERM, a caller giving up), with a reason for
/// the message and the log. Clones share the same flag.
#[derive(Clone, Debug, Default)]
pub struct Cancel {
    token: CancellationToken,
    reason: Arc<OnceLock<String>>,
}

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Cancels the run; the first reason given is kept.
    pub fn cancel(&self, reason: &str) {
        let _ = self.reason.set(reason.to_owned());
        self.token.cancel();
    }

    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Why it was cancelled.
    pub fn reason(&self) -> Option<&str> {
        self.reason.get().map(String::as_str)
    }

    /// Completes when the run is cancelled.
    pub async fn cancelled(&self) {
        self.token.cancelled().await
    }
}

/// Runs `program` (see the module docs). Nothing runs unless binding and the capability
/// check pass; then the bus sees `run_started`, the steps, and `run_finished`.
pub async fn run(
    program: &Verified,
    inputs: RunInputs,
    ctx: &Arc<ToolCtx>,
    resolver: &dyn SlotResolver,
    bus: &EventBus,
) -> Result<RunOutput, RunError> {
    let plan = plan::Plan::new(program, &inputs.tools)?;
    if !inputs.sets.fits(program) {
        return Err(RunError::new(
            RunErrorKind::Link,
            "the `--set` values were resolved for another program",
        ));
    }
    let params = bind::bind_params(program, &inputs.sets, &inputs.params)?;
    bind::check_capabilities(&plan, inputs.granted, &inputs.sets)?;
    inputs
        .tools
        .connect(&program.tools)
        .await
        .map_err(|e| RunError::new(RunErrorKind::Link, e.message))?;

    let started = Instant::now();
    if !bus.is_quiet() {
        bus.emit(&Event::RunStarted {
            run_id: inputs.run_id.to_string(),
            program: inputs.program_id.clone(),
            name: program.name.clone(),
            mode: "follower",
            at: format!("{:.3}", jiff::Timestamp::now()),
            tool_ops: Arc::clone(&plan.tool_ops),
        });
    }
    let values = values::Values::new(program, params, plan.uses.clone(), ctx);
    let env = sched::Env {
        ctx,
        resolver,
        bus,
        program_id: &inputs.program_id,
        sets: &inputs.sets,
        jobs: inputs.jobs,
        step_timeout: inputs.step_timeout,
        deadline: inputs
            .timeout
            .and_then(|d| Some((started.checked_add(d)?, d))),
        cancel: &inputs.cancel,
    };
    let (result, tally) = sched::execute(&plan, values, env).await;
    let duration = started.elapsed();
    if !bus.is_quiet() {
        let err = result.as_ref().err();
        bus.emit(&Event::RunFinished {
            ok: err.is_none(),
            error_kind: err.map(|e| e.kind),
            error: err.map(|e| e.message.clone()),
            llm_calls: tally.usage.llm_calls,
            cost_usd: tally.usage.cost_usd(),
            ms: duration.as_micros() as f64 / 1000.0,
        });
    }
    let output = result?;
    Ok(RunOutput {
        output_type: program.output.map(|o| program.operand_type(o)),
        output,
        run_id: inputs.run_id,
        ops_run: tally.ops_run,
        usage: tally.usage,
        duration,
    })
}

/// A statement's name in messages: ``step 3 (`text`)``, or ``the `return` value`` for
/// ops of the `return` expression.
pub fn step_label(program: &Program, step: u32) -> String {
    if step as usize >= program.steps.len() {
        "the `return` value".to_owned()
    } else {
        program.step_label(step)
    }
}
