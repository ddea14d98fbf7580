//! Running the ops that own blocks: `for`, `if`, `and`/`or`.
//!
//! A block runs in a [`Frame`] that goes as far as it can without waiting: inline ops and
//! tools that answer at once make no future, so a loop over cheap ops costs little more
//! per element than the same ops in a straight line. At the first op that must wait (a
//! tool that hands back a future, an `ask`) the rest becomes a future for the scheduler
//! to drive.
//!
//! A `for` runs its elements in `for_loop.rs`. An `if` runs only the branch taken;
//! `and`/`or` run an operand only when the ones before did not decide. Calls inside
//! blocks share `jobs` permits; an `ask` is resolved once per distinct prompt.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OnceCell, Semaphore};

use super::error::RunErrorKind;
use super::events::{Event, EventBus};
use super::frame::{Frame, Step};
use super::plan::Plan;
use super::sched::Tally;
use super::slots::{SlotRequest, SlotResolver, SlotSource};
use crate::ir::{BlockId, OpId, OpKind, Operand, SlotId};
use crate::tools::{ToolCtx, ToolFuture};
use crate::types::LogicOp;
use crate::value::{Value, coerce, truth};

/// A slot's answer for one prompt, resolved once for every element that asks it.
type Answer = Arc<OnceCell<Result<Value, Fail>>>;

/// What a block op's run is waiting for: the value, or why there is none.
pub(crate) type Pending<'a> = Pin<Box<dyn Future<Output = Result<Value, Fail>> + Send + 'a>>;

/// Why a block failed: the run's error kind and a message naming where inside.
#[derive(Clone, Debug)]
pub(crate) struct Fail {
    pub kind: RunErrorKind,
    pub message: String,
    /// A code more precise than the kind's (an `ask` slot's LLM call's own).
    pub code: Option<&'static str>,
}

impl Fail {
    pub fn new(kind: RunErrorKind, message: impl Into<String>) -> Fail {
        Fail {
            kind,
            message: message.into(),
            code: None,
        }
    }

    /// An `expect` that did not hold, with its message.
    pub fn expect(message: Option<String>) -> Fail {
        Fail::new(
            RunErrorKind::ExpectFailed,
            match message {
                Some(m) => format!("expect failed: {m}"),
                None => "expect failed".to_owned(),
            },
        )
    }

    pub fn at_element(self, i: usize, n: usize) -> Fail {
        Fail {
            message: format!("element {} of {n}: {}", i + 1, self.message),
            ..self
        }
    }
}

/// A block op's start: done at once, or a future to drive.
pub(crate) enum Started<'a> {
    Done(Result<Value, Fail>),
    Later(Pending<'a>),
}

/// What the blocks of one top-level op share while they run.
pub(crate) struct Cx<'a> {
    pub plan: &'a Plan<'a>,
    pub ctx: &'a Arc<ToolCtx>,
    pub resolver: &'a dyn SlotResolver,
    pub bus: &'a EventBus,
    pub program_id: &'a str,
    pub sets: &'a super::Bindings,
    pub jobs: usize,
    pub step_timeout: Option<Duration>,
    /// The top-level op being run (the events of slots inside name it).
    pub op: OpId,
    /// Calls under way inside the blocks, at most `jobs`.
    permits: Semaphore,
    /// One answer per slot and distinct prompt.
    asked: Mutex<BTreeMap<(SlotId, String), Answer>>,
    /// LLM calls made for slots inside.
    pub tally: Mutex<Tally>,
    /// The sizes of the values each block made so far ([`Cx::produced`]).
    made: Mutex<BTreeMap<BlockId, u64>>,
}

impl<'a> Cx<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        plan: &'a Plan<'a>,
        ctx: &'a Arc<ToolCtx>,
        resolver: &'a dyn SlotResolver,
        bus: &'a EventBus,
        program_id: &'a str,
        sets: &'a super::Bindings,
        jobs: usize,
        step_timeout: Option<Duration>,
        op: OpId,
    ) -> Cx<'a> {
        let jobs = jobs.max(1);
        Cx {
            plan,
            ctx,
            resolver,
            bus,
            program_id,
            sets,
            jobs,
            step_timeout,
            op,
            permits: Semaphore::new(jobs),
            asked: Mutex::new(BTreeMap::new()),
            tally: Mutex::new(Tally::default()),
            made: Mutex::new(BTreeMap::new()),
        }
    }

    /// Counts a value block `id` made: the values of one block (a `for` body's, for all
    /// its elements) may not together go over `limits.value`, so a loop stops at the
    /// limit rather than filling memory before its list is checked.
    pub fn produced(&self, id: BlockId, v: &Value) -> Result<(), Fail> {
        let max = self.ctx.limits.value_max;
        let size = crate::value::size_up_to(v, max)
            .map_or(max.saturating_add(1), |s| s + crate::value::ELEMENT_BYTES);
        let mut made = self
            .made
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let total = made.entry(id).or_default();
        *total = total.saturating_add(size);
        if *total > max {
            return Err(Fail::new(
                RunErrorKind::Limit,
                crate::limits::Limit::Value.exceeded(
                    format!(
                        "the values of the block would take {}",
                        crate::limits::format_size(*total)
                    ),
                    max,
                ),
            ));
        }
        Ok(())
    }

    /// A tool call's time limit: its own, capped by `--step-timeout`.
    pub fn limit(&self, own: Duration) -> Duration {
        match self.step_timeout {
            Some(cap) => own.min(cap),
            None => own,
        }
    }
}

/// Starts the block op `kind`, reading its operands (in the scope that owns it) with
/// `read`.
pub(crate) fn start<'a>(
    cx: &Arc<Cx<'a>>,
    kind: &'a OpKind,
    mut read: impl FnMut(Operand) -> Value,
) -> Started<'a> {
    let (head, captures) = match kind {
        OpKind::For { list, captures, .. } => (*list, captures),
        OpKind::If { cond, captures, .. } => (*cond, captures),
        OpKind::Logic {
            first, captures, ..
        } => (*first, captures),
        _ => return Started::Done(Err(Fail::new(RunErrorKind::Link, "not a block op"))),
    };
    let head = read(head);
    let locals: Arc<[Value]> = captures.iter().map(|c| read(*c)).collect::<Vec<_>>().into();
    match kind {
        OpKind::For { body, .. } => super::for_loop::run_for(cx, *body, head, locals),
        OpKind::If {
            then, otherwise, ..
        } => match (truth(&head), otherwise) {
            (Err(e), _) => Started::Done(Err(Fail::new(RunErrorKind::Check, e))),
            (Ok(true), _) => run_once(cx, *then, locals, Value::Null),
            (Ok(false), Some(o)) => run_once(cx, *o, locals, Value::Null),
            (Ok(false), None) => Started::Done(Ok(Value::Null)),
        },
        OpKind::Logic { op, rest, .. } => match truth(&head) {
            Err(e) => Started::Done(Err(Fail::new(RunErrorKind::Check, e))),
            Ok(b) if decides(*op, b) => Started::Done(Ok(Value::Bool(b))),
            Ok(_) => logic(cx, *op, locals, rest),
        },
        _ => Started::Done(Err(Fail::new(RunErrorKind::Link, "not a block op"))),
    }
}

/// Runs block `id` once.
pub(crate) fn run_once<'a>(
    cx: &Arc<Cx<'a>>,
    id: BlockId,
    locals: Arc<[Value]>,
    elem: Value,
) -> Started<'a> {
    let mut frame = Frame::new(cx, id, locals, elem);
    match frame.run(cx) {
        Step::Done(v) => Started::Done(Ok(v)),
        Step::Fail(f) => Started::Done(Err(f)),
        Step::Wait(p) => Started::Later(Box::pin(drive(cx.clone(), frame, p))),
    }
}

/// Drives a frame that waits for `pending` to its value.
pub(crate) async fn drive<'a>(
    cx: Arc<Cx<'a>>,
    mut frame: Frame<'a>,
    mut pending: Pending<'a>,
) -> Result<Value, Fail> {
    loop {
        let v = pending.await.map_err(|f| frame.locate(f))?;
        frame.resume(v)?;
        match frame.run(&cx) {
            Step::Done(v) => return Ok(v),
            Step::Fail(f) => return Err(f),
            Step::Wait(p) => pending = p,
        }
    }
}

/// Whether a value of an `and`/`or` operand decides the result.
fn decides(op: LogicOp, value: bool) -> bool {
    match op {
        LogicOp::And => !value,
        LogicOp::Or => value,
    }
}

/// The operands of `and`/`or` after the first, while none decides.
fn logic<'a>(
    cx: &Arc<Cx<'a>>,
    op: LogicOp,
    locals: Arc<[Value]>,
    rest: &'a [BlockId],
) -> Started<'a> {
    for (k, b) in rest.iter().enumerate() {
        let value = match run_once(cx, *b, locals.clone(), Value::Null) {
            Started::Done(v) => v,
            Started::Later(p) => {
                return Started::Later(Box::pin(logic_rest(cx.clone(), op, locals, rest, k, p)));
            }
        };
        match value.and_then(|v| truth(&v).map_err(|e| Fail::new(RunErrorKind::Check, e))) {
            Ok(t) if decides(op, t) => return Started::Done(Ok(Value::Bool(t))),
            Ok(_) => {}
            Err(f) => return Started::Done(Err(f)),
        }
    }
    Started::Done(Ok(Value::Bool(op == LogicOp::And)))
}

/// [`logic`] from operand `k`, whose value is `pending`.
async fn logic_rest<'a>(
    cx: Arc<Cx<'a>>,
    op: LogicOp,
    locals: Arc<[Value]>,
    rest: &'a [BlockId],
    k: usize,
    pending: Pending<'a>,
) -> Result<Value, Fail> {
    let mut value = pending.await;
    for (i, b) in rest.iter().enumerate().skip(k) {
        if i > k {
            value = match run_once(&cx, *b, locals.clone(), Value::Null) {
                Started::Done(v) => v,
                Started::Later(p) => p.await,
            };
        }
        let t = truth(&value?).map_err(|e| Fail::new(RunErrorKind::Check, e))?;
        if decides(op, t) {
            return Ok(Value::Bool(t));
        }
        value = Ok(Value::Null);
    }
    Ok(Value::Bool(op == LogicOp::And))
}

/// A tool call under way inside a block, under its time limit.
pub(crate) async fn call(cx: Arc<Cx<'_>>, limit: Duration, f: ToolFuture) -> Result<Value, Fail> {
    let _permit = cx.permits.acquire().await;
    match tokio::time::timeout(limit, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Fail::new(e.kind.into(), e.message)),
        Err(_) => Err(Fail::new(
            RunErrorKind::StepTimeout,
            format!(
                "went over its time limit of {}",
                humantime::format_duration(limit)
            ),
        )),
    }
}

/// An `ask` inside a block: one resolution per slot and distinct prompt, shared by every
/// element that asks the same.
pub(crate) async fn ask(cx: Arc<Cx<'_>>, slot: SlotId, prompt: String) -> Result<Value, Fail> {
    let cell = {
        let mut asked = cx
            .asked
            .lock()
            .map_err(|_| Fail::new(RunErrorKind::Slot, "the slot table is unusable"))?;
        asked.entry((slot, prompt.clone())).or_default().clone()
    };
    let answer = cell
        .get_or_init(|| async { resolve(&cx, slot, prompt).await })
        .await;
    answer.clone()
}

/// Resolves a slot once: the value checked against its type, the call counted and told.
async fn resolve(cx: &Cx<'_>, slot: SlotId, prompt: String) -> Result<Value, Fail> {
    let program = cx.plan.program;
    let s = program
        .slots
        .get(slot.index())
        .ok_or_else(|| Fail::new(RunErrorKind::Slot, "the slot does not exist"))?;
    let req = SlotRequest {
        program_id: cx.program_id.to_owned(),
        name: s.name.clone(),
        ty: s.ty.clone(),
        prompt,
    };
    let r = {
        let _permit = cx.permits.acquire().await;
        cx.resolver.resolve(&req).await.map_err(|e| Fail {
            code: e.code(),
            ..Fail::new(e.kind(), e.to_string())
        })?
    };
    let value = coerce(r.value, &s.ty).map_err(|e| {
        let why = format!("the value of slot `{}` does not fit its type: {e}", s.name);
        Fail::new(RunErrorKind::Slot, why)
    })?;
    if r.source == SlotSource::Llm
        && let Ok(mut t) = cx.tally.lock()
    {
        t.usage.add(r.usage);
    }
    if !cx.bus.is_quiet() {
        cx.bus.emit(&Event::SlotResolved {
            op: cx.op,
            slot: s.name.clone(),
            source: r.source,
        });
        if r.source == SlotSource::Llm {
            cx.bus.emit(&Event::LlmCall {
                op: cx.op,
                slot: s.name.clone(),
                model: r.model.clone(),
                input_tokens: r.usage.input_tokens,
                output_tokens: r.usage.output_tokens,
                cost_usd: r.usage.cost_usd(),
            });
        }
    }
    Ok(value)
}
