//! One run of a block: its values so far and the next op. A frame runs its ops in
//! order (a topological order, so effects inside one run keep source order) as far as it
//! can without waiting; at an op that must wait it hands back the future to wait for,
//! and [`Frame::resume`] goes on with its value.

use std::borrow::Cow;
use std::sync::Arc;

use super::block::{self, Cx, Fail, Pending, Started};
use super::error::RunErrorKind;
use super::values::{NULL, Operands, admit, eval};
use crate::ir::{Block, BlockId, Op, OpKind, Operand, Program};
use crate::tools::{Invocation, ToolCtx};
use crate::value::{Value, truth};

/// Where a frame stopped.
pub(crate) enum Step<'a> {
    /// The block's value.
    Done(Value),
    /// The current op waits for this; then [`Frame::resume`].
    Wait(Pending<'a>),
    Fail(Fail),
}

pub(crate) struct Frame<'a> {
    program: &'a Program,
    block: &'a Block,
    /// The captures of the op that owns the block (`Local(i)`).
    locals: Arc<[Value]>,
    /// The element, in a `for` body (`Elem`).
    elem: Value,
    results: Vec<Option<Value>>,
    /// Reads left of each op's value; the last reader takes it.
    uses: Vec<u32>,
    /// The size of each stored value, counted on the run's value meter while stored.
    sizes: Vec<u64>,
    /// The run's context, whose meter counts the values the run holds.
    ctx: Arc<ToolCtx>,
    /// The next op to run.
    pc: usize,
    /// `limits.value`.
    value_max: u64,
    id: BlockId,
}

impl<'a> Frame<'a> {
    pub fn new(cx: &Cx<'a>, id: BlockId, locals: Arc<[Value]>, elem: Value) -> Frame<'a> {
        let program = cx.plan.program;
        // The plan checked every block id the program uses.
        let block = &program.blocks[id.index()];
        let uses = cx
            .plan
            .blocks
            .get(id.index())
            .map(|b| b.uses.clone())
            .unwrap_or_default();
        Frame {
            program,
            block,
            locals,
            elem,
            results: vec![None; block.ops.len()],
            uses,
            sizes: vec![0; block.ops.len()],
            ctx: Arc::clone(cx.ctx),
            pc: 0,
            value_max: cx.ctx.limits.value_max,
            id,
        }
    }

    /// Whether the current op's value is read later (else it is dropped at once).
    fn kept(&self) -> bool {
        self.uses.get(self.pc).copied().unwrap_or(0) > 0
    }

    /// Stores the current op's value of `size` (from [`Frame::admit`]; dropped when
    /// nothing reads it).
    fn set(&mut self, v: Value, size: u64) {
        if self.kept()
            && let (Some(slot), Some(sz)) =
                (self.results.get_mut(self.pc), self.sizes.get_mut(self.pc))
        {
            *slot = Some(v);
            *sz = size;
            self.ctx.values().hold(size);
        }
    }

    /// The awaited value of the current op; the next op is next.
    pub fn resume(&mut self, v: Value) -> Result<(), Fail> {
        let size = self.admit(&v).map_err(|f| self.locate(f))?;
        self.set(v, size);
        self.pc += 1;
        Ok(())
    }

    /// Checks a value of the current op against `limits.value` and, when it is kept,
    /// against `limits.run_values` with everything else the run holds: its size.
    fn admit(&self, v: &Value) -> Result<u64, Fail> {
        let size = admit(v, self.value_max).map_err(|e| Fail::new(RunErrorKind::Limit, e))?;
        if self.kept() {
            let fits = self.ctx.values().fits(size);
            fits.map_err(|e| Fail::new(RunErrorKind::Limit, e))?;
        }
        Ok(size)
    }

    /// A failure of the current op, with the op's statement (and tool) named.
    pub fn locate(&self, f: Fail) -> Fail {
        let Some(op) = self.block.ops.get(self.pc) else {
            return f;
        };
        let step = match self.block.steps.get(op.step as usize) {
            Some(s) => match &s.name {
                Some(name) => format!("`{name}`"),
                None => format!("step {} of the block", op.step + 1),
            },
            None => "the block's value".to_owned(),
        };
        let who = match &op.kind {
            OpKind::Call { tool, .. } => match self.program.tools.get(tool.index()) {
                Some(t) => format!("{step} `{}`", t.name),
                None => step,
            },
            _ => step,
        };
        Fail {
            message: format!("{who}: {}", f.message),
            ..f
        }
    }

    /// Runs ops until the block's value, a failure, or an op that must wait.
    pub fn run(&mut self, cx: &Arc<Cx<'a>>) -> Step<'a> {
        let block = self.block;
        loop {
            let Some(op) = block.ops.get(self.pc) else {
                let v = self.take(block.result);
                return match cx.produced(self.id, &v) {
                    Ok(()) => Step::Done(v),
                    Err(f) => Step::Fail(f),
                };
            };
            match self.op(cx, op) {
                Ok(Some(v)) => match self.admit(&v) {
                    Ok(size) => self.set(v, size),
                    Err(f) => return Step::Fail(self.locate(f)),
                },
                Ok(None) => {}
                Err(Halt::Wait(p)) => return Step::Wait(p),
                Err(Halt::Fail(f)) => return Step::Fail(self.locate(f)),
            }
            self.pc += 1;
        }
    }

    /// Runs one op: its value, `None` when there is nothing to store, or why the frame
    /// stops here.
    fn op(&mut self, cx: &Arc<Cx<'a>>, op: &'a Op) -> Result<Option<Value>, Halt<'a>> {
        Ok(Some(match &op.kind {
            OpKind::Call { tool, args } => {
                let Some(t) = cx.plan.tools.get(tool.index()) else {
                    return Err(Halt::Fail(Fail::new(RunErrorKind::Link, "unknown tool")));
                };
                let args: Vec<Value> = args.iter().map(|a| self.take(*a)).collect();
                match t.invoke_owned(cx.ctx, args) {
                    Invocation::Ready(Ok(v)) => v,
                    Invocation::Ready(Err(e)) => {
                        return Err(Halt::Fail(Fail::new(e.kind.into(), e.message)));
                    }
                    Invocation::Pending(f) => {
                        let limit = cx.limit(t.timeout());
                        return Err(Halt::Wait(Box::pin(block::call(cx.clone(), limit, f))));
                    }
                }
            }
            OpKind::Ask { slot } => {
                let Some(s) = self.program.slots.get(slot.index()) else {
                    return Err(Halt::Fail(Fail::new(RunErrorKind::Link, "unknown slot")));
                };
                let prompt = self.interpolate(&s.prompt).map_err(limit)?;
                if let Some(v) = cx.sets.slot(*slot) {
                    v.clone()
                } else {
                    return Err(Halt::Wait(Box::pin(block::ask(cx.clone(), *slot, prompt))));
                }
            }
            OpKind::For { .. } | OpKind::If { .. } | OpKind::Logic { .. } => {
                match block::start(cx, &op.kind, |o| self.take(o)) {
                    Started::Done(Ok(v)) => v,
                    Started::Done(Err(f)) => return Err(Halt::Fail(f)),
                    Started::Later(p) => return Err(Halt::Wait(p)),
                }
            }
            OpKind::Expect { cond, message } => {
                let holds = truth(&self.get(*cond))
                    .map_err(|e| Halt::Fail(Fail::new(RunErrorKind::Check, e)))?;
                let text = message.as_deref().map(|m| self.interpolate(m));
                let text = text.transpose().map_err(limit)?;
                if !holds {
                    return Err(Halt::Fail(Fail::expect(text)));
                }
                Value::Bool(true)
            }
            kind => eval(self, kind, &op.ty).map_err(|(kind, e)| Halt::Fail(Fail::new(kind, e)))?,
        }))
    }
}

impl Drop for Frame<'_> {
    /// The values a frame still holds (it ended, failed or was stopped) are no longer
    /// held.
    fn drop(&mut self) {
        self.ctx.values().release(self.sizes.iter().sum());
    }
}

/// A size limit hit inside a frame.
fn limit<'a>(message: String) -> Halt<'a> {
    Halt::Fail(Fail::new(RunErrorKind::Limit, message))
}

/// Why a frame stops at an op.
enum Halt<'a> {
    Wait(Pending<'a>),
    Fail(Fail),
}

impl<'a> Operands<'a> for Frame<'a> {
    fn program(&self) -> &'a Program {
        self.program
    }

    fn peek(&self, o: Operand) -> Option<&Value> {
        match o {
            Operand::Const(c) => self.program.consts.get(c.index()),
            Operand::Local(i) => self.locals.get(i as usize),
            Operand::Elem => Some(&self.elem),
            Operand::Op(d) => self.results.get(d.index())?.as_ref(),
            Operand::Param(_) => None,
        }
    }

    fn value_max(&self) -> u64 {
        self.value_max
    }

    fn get(&mut self, o: Operand) -> Cow<'_, Value> {
        match o {
            Operand::Const(c) => Cow::Borrowed(self.program.consts.get(c.index()).unwrap_or(&NULL)),
            Operand::Local(i) => Cow::Borrowed(self.locals.get(i as usize).unwrap_or(&NULL)),
            Operand::Elem => Cow::Borrowed(&self.elem),
            Operand::Op(d) => {
                let i = d.index();
                let (Some(left), Some(slot)) = (self.uses.get_mut(i), self.results.get_mut(i))
                else {
                    return Cow::Borrowed(&NULL);
                };
                *left = left.saturating_sub(1);
                if *left == 0 {
                    let size = self.sizes.get_mut(i).map(std::mem::take).unwrap_or(0);
                    self.ctx.values().release(size);
                    Cow::Owned(slot.take().unwrap_or(Value::Null))
                } else {
                    Cow::Borrowed(slot.as_ref().unwrap_or(&NULL))
                }
            }
            // Blocks capture params (checked by the plan).
            Operand::Param(_) => Cow::Borrowed(&NULL),
        }
    }
}
