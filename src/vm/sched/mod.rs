//! The scheduler: runs every op as soon as the ops it waits for (data and effect edges)
//! are done, at most `jobs` at a time.
//!
//! - Ops whose tool answers at once ([`Invocation::Ready`]: cheap tools, and tools on
//!   small inputs) and inline ops run right in the loop: no task, no channel, no
//!   allocation beyond their arguments.
//! - Tool calls that hand back a future (waits, and work on large inputs, which runs on a
//!   worker thread: [`crate::tools::work`]), and slots resolved by the resolver, go into
//!   a [`FuturesUnordered`] polled by this one task, each under its time limit. So the
//!   loop is always free to notice a time limit or a cancellation.
//! - Ready ops start lowest index first; with `jobs = 1` the run is exactly the source
//!   order.
//! - When an op fails, no op after it starts, running ops after it are stopped, and ops
//!   before it carry on: so the failure reported is the first one in source order,
//!   whatever the timing.
//! - `--timeout` and cancellation stop everything at once; dropping a call's future
//!   stops it (a subprocess is killed).

mod blocks;
mod ending;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::future::{AbortHandle, abortable};
use futures::stream::FuturesUnordered;

use super::error::{RunError, RunErrorKind};
use super::events::{Event, EventBus};
use super::plan::Plan;
use super::slots::{Resolved, SlotError, SlotRequest, SlotResolver, SlotSource};
use super::values::Values;
use super::{Cancel, step_label};
use crate::ir::{OpId, OpKind};
use crate::tools::{Invocation, ToolCtx, ToolError, ToolErrorKind, ToolResult};
use crate::value::{Value, coerce};

/// How a call or slot under way ended.
enum Outcome {
    Tool(ToolResult),
    Slot(Result<Resolved, SlotError>),
    /// Over the step's time limit.
    StepTimeout(Duration),
    /// Stopped because an earlier op failed.
    Aborted,
    /// A block op (`for`, `if`, `and`/`or`) ended, with the LLM calls made inside.
    Block(Result<Value, super::block::Fail>, Tally),
}

type Flight<'a> = Pin<Box<dyn Future<Output = (OpId, Outcome)> + Send + 'a>>;

/// Inline ops run between two looks at the clock and the cancel flag.
const INLINE_BATCH: u32 = 1024;

/// What the scheduler needs besides the plan and the values.
pub(crate) struct Env<'a> {
    pub ctx: &'a Arc<ToolCtx>,
    pub resolver: &'a dyn SlotResolver,
    pub bus: &'a EventBus,
    pub program_id: &'a str,
    pub sets: &'a super::Bindings,
    pub jobs: usize,
    pub step_timeout: Option<Duration>,
    pub deadline: Option<(Instant, Duration)>,
    pub cancel: &'a Cancel,
}

/// What a finished run counted.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub ops_run: usize,
    /// What the LLM calls for slots used.
    pub usage: crate::usage::Usage,
}

struct Sched<'a, 'p> {
    plan: &'a Plan<'p>,
    env: Env<'a>,
    values: Values<'p>,
    waits: Vec<u32>,
    ready: BinaryHeap<Reverse<OpId>>,
    flights: FuturesUnordered<Flight<'a>>,
    /// Ops under way: how to stop them and when they started.
    running: BTreeMap<OpId, (AbortHandle, Instant)>,
    /// The failure with the lowest op index so far.
    failure: Option<RunError>,
    tally: Tally,
    quiet: bool,
}

/// Runs the plan to the end; the output operand's value on success.
pub(crate) async fn execute<'a, 'p>(
    plan: &'a Plan<'p>,
    values: Values<'p>,
    env: Env<'a>,
) -> (Result<Option<Value>, RunError>, Tally) {
    let mut ready = BinaryHeap::new();
    for (i, w) in plan.waits.iter().enumerate() {
        if *w == 0 {
            ready.push(Reverse(OpId(i as u32)));
        }
    }
    let quiet = env.bus.is_quiet();
    let mut s = Sched {
        plan,
        waits: plan.waits.clone(),
        env,
        values,
        ready,
        flights: FuturesUnordered::new(),
        running: BTreeMap::new(),
        failure: None,
        tally: Tally::default(),
        quiet,
    };
    let result = s.drive().await;
    (result, s.tally)
}

enum Wake {
    Landed(Option<(OpId, Outcome)>),
    Cancelled,
    Timeout,
}

impl<'a, 'p> Sched<'a, 'p> {
    async fn drive(&mut self) -> Result<Option<Value>, RunError> {
        let cancel = self.env.cancel.clone();
        let cancelled = cancel.cancelled();
        tokio::pin!(cancelled);
        let deadline = self.env.deadline;
        let timer = async move {
            match deadline {
                Some((at, _)) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(timer);
        let jobs = self.env.jobs.max(1);
        loop {
            let mut inline = 0_u32;
            while self.flights.len() < jobs {
                let Some(Reverse(op)) = self.ready.pop() else {
                    break;
                };
                if self.failure.as_ref().is_some_and(|f| f.op < Some(op)) {
                    continue;
                }
                // No tool starts past the deadline, however long the op before it took.
                if self.is_call(op)
                    && let Some(wake) = self.interrupted()
                {
                    return Err(self.stop(wake));
                }
                self.start(op);
                inline += 1;
                if inline.is_multiple_of(INLINE_BATCH) {
                    if let Some(wake) = self.interrupted() {
                        return Err(self.stop(wake));
                    }
                    tokio::task::yield_now().await;
                }
            }
            if let Some(wake) = self.interrupted() {
                return Err(self.stop(wake));
            }
            if self.flights.is_empty() {
                break;
            }
            let wake = tokio::select! {
                biased;
                () = &mut cancelled => Wake::Cancelled,
                () = &mut timer => Wake::Timeout,
                next = self.flights.next() => Wake::Landed(next),
            };
            match wake {
                Wake::Landed(Some((op, outcome))) => self.land(op, outcome),
                Wake::Landed(None) => {}
                other => return Err(self.stop(other)),
            }
        }
        if let Some(f) = self.failure.take() {
            return Err(f);
        }
        if self.tally.ops_run != self.plan.program.ops.len() {
            return Err(RunError::new(
                RunErrorKind::Link,
                "internal error: the run ended before every op ran",
            ));
        }
        Ok(self.plan.program.output.map(|o| self.values.take(o)))
    }

    /// Whether op `op` can act or wait (a tool, a slot, a block): not an inline op.
    fn is_call(&self, op: OpId) -> bool {
        let kind = self.plan.program.ops.get(op.index()).map(|o| &o.kind);
        !matches!(
            kind,
            Some(
                OpKind::Template { .. }
                    | OpKind::List { .. }
                    | OpKind::Object { .. }
                    | OpKind::Field { .. }
                    | OpKind::Index { .. }
                    | OpKind::Check { .. }
                    | OpKind::Compare { .. }
                    | OpKind::Not { .. }
            )
        )
    }

    /// A cancellation or an expired run limit, noticed without waiting.
    fn interrupted(&self) -> Option<Wake> {
        if self.env.cancel.is_cancelled() {
            Some(Wake::Cancelled)
        } else if self
            .env
            .deadline
            .is_some_and(|(at, _)| Instant::now() >= at)
        {
            Some(Wake::Timeout)
        } else {
            None
        }
    }

    /// Starts op `op`: inline ops and ready tools finish here; the rest take off.
    fn start(&mut self, op: OpId) {
        let program = self.plan.program;
        let Some(o) = program.ops.get(op.index()) else {
            return;
        };
        match &o.kind {
            OpKind::Call { tool, args } => {
                let Some(t) = self.plan.tools.get(tool.index()) else {
                    return;
                };
                let args: Vec<Value> = args.iter().map(|a| self.values.take(*a)).collect();
                self.emit_started(op);
                let t0 = (!self.quiet).then(Instant::now);
                match t.invoke_owned(self.env.ctx, args) {
                    Invocation::Ready(r) => {
                        let ms = t0.map_or(0.0, ms_since);
                        self.finish_tool(op, r, ms);
                    }
                    Invocation::Pending(f) => {
                        let limit = match self.env.step_timeout {
                            Some(cap) => t.timeout().min(cap),
                            None => t.timeout(),
                        };
                        let fut = async move {
                            match tokio::time::timeout(limit, f).await {
                                Ok(r) => Outcome::Tool(r),
                                Err(_) => Outcome::StepTimeout(limit),
                            }
                        };
                        self.take_off(op, fut);
                    }
                }
            }
            OpKind::Ask { slot } => {
                let Some(s) = program.slots.get(slot.index()) else {
                    return;
                };
                self.emit_started(op);
                if let Some(v) = self.env.sets.slot(*slot) {
                    // Interpolating still reads the prompt's inputs (and frees them).
                    let _ = self.values.interpolate(&s.prompt);
                    let r = Resolved {
                        value: v.clone(),
                        source: SlotSource::Set,
                        usage: Default::default(),
                        model: String::new(),
                    };
                    self.finish_slot(op, Ok(r), 0.0);
                    return;
                }
                let prompt = match self.values.interpolate(&s.prompt) {
                    Ok(prompt) => prompt,
                    Err(e) => {
                        let msg = format!("{}: the prompt: {e}", self.label(op));
                        return self.fail(op, RunErrorKind::Limit, msg, 0.0);
                    }
                };
                let req = SlotRequest {
                    program_id: self.env.program_id.to_owned(),
                    name: s.name.clone(),
                    ty: s.ty.clone(),
                    prompt,
                };
                let resolver = self.env.resolver;
                self.take_off(op, async move {
                    let req = req;
                    Outcome::Slot(resolver.resolve(&req).await)
                });
            }
            OpKind::For { .. } | OpKind::If { .. } | OpKind::Logic { .. } => self.start_block(op),
            OpKind::Expect { cond, message } => self.expect(op, *cond, message.as_deref()),
            kind => {
                let r = self.values.eval(kind, &o.ty);
                match r {
                    Ok(v) => self.accept(op, v, None),
                    Err((kind, e)) => {
                        let msg = format!("{}: {e}", step_label(program, o.step));
                        self.fail(op, kind, msg, 0.0);
                    }
                }
            }
        }
    }

    /// Puts a future under way, stoppable through its abort handle.
    fn take_off(&mut self, op: OpId, fut: impl Future<Output = Outcome> + Send + 'a) {
        let (fut, handle) = abortable(fut);
        self.running.insert(op, (handle, Instant::now()));
        self.flights.push(Box::pin(async move {
            match fut.await {
                Ok(outcome) => (op, outcome),
                Err(_) => (op, Outcome::Aborted),
            }
        }));
    }

    /// A call or slot under way has ended.
    fn land(&mut self, op: OpId, outcome: Outcome) {
        let ms = self
            .running
            .remove(&op)
            .map_or(0.0, |(_, started)| ms_since(started));
        match outcome {
            Outcome::Tool(r) => self.finish_tool(op, r, ms),
            Outcome::Slot(r) => self.finish_slot(op, r, ms),
            Outcome::StepTimeout(limit) => {
                let msg = format!(
                    "{} went over its time limit of {}",
                    self.who(op),
                    humantime::format_duration(limit)
                );
                self.fail(op, RunErrorKind::StepTimeout, msg, ms);
            }
            Outcome::Aborted => self.emit_cancelled(op),
            Outcome::Block(r, tally) => self.finish_block(op, r, tally, ms),
        }
    }

    /// Op `op` gave `v` (a call or slot after `ms`, an inline op when `None`): store it
    /// if it is within the size limits, else fail the op.
    fn accept(&mut self, op: OpId, v: Value, ms: Option<f64>) {
        match self.values.admit(op, &v) {
            Ok(size) => {
                if let Some(ms) = ms {
                    self.emit_finished(op, ms);
                }
                self.complete(op, v, size);
            }
            Err(e) => {
                let who = if ms.is_some() {
                    self.who(op)
                } else {
                    self.label(op)
                };
                let msg = format!("{who}: {e}");
                self.fail(op, RunErrorKind::Limit, msg, ms.unwrap_or(0.0));
            }
        }
    }

    /// Op `op` gave `v` of `size`: store it and release the ops waiting for it.
    fn complete(&mut self, op: OpId, v: Value, size: u64) {
        self.tally.ops_run += 1;
        self.values.set(op, v, size);
        for &s in self.plan.successors(op) {
            if let Some(w) = self.waits.get_mut(s.index()) {
                *w -= 1;
                if *w == 0 {
                    self.ready.push(Reverse(s));
                }
            }
        }
    }
}

/// Milliseconds since `t`, to the microsecond.
fn ms_since(t: Instant) -> f64 {
    (t.elapsed().as_micros() as f64) / 1000.0
}
