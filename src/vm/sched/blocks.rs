//! The scheduler's side of blocks and guards: a `for`, `if` or `and`/`or` op starts its
//! blocks (`vm/block.rs`) and finishes at once when nothing inside waits, else flies
//! like a call; an `expect` holds or fails the run with `expect_failed`.

use super::*;
use crate::ir::{Operand, Part};
use crate::value::truth;
use crate::vm::block::{self, Cx, Fail, Started};
use crate::vm::values::Operands;

impl<'a, 'p> Sched<'a, 'p> {
    /// Starts a block op.
    pub(super) fn start_block(&mut self, op: OpId) {
        let plan: &'a Plan<'p> = self.plan;
        let Some(o) = plan.program.ops.get(op.index()) else {
            return;
        };
        self.emit_started(op);
        let cx = Arc::new(Cx::new(
            plan,
            self.env.ctx,
            self.env.resolver,
            self.env.bus,
            self.env.program_id,
            self.env.sets,
            self.env.jobs,
            self.env.step_timeout,
            op,
        ));
        let values = &mut self.values;
        match block::start(&cx, &o.kind, |x| values.take(x)) {
            Started::Done(r) => {
                let tally = take_tally(&cx);
                self.finish_block(op, r, tally, 0.0);
            }
            Started::Later(f) => self.take_off(op, async move {
                let r = f.await;
                Outcome::Block(r, take_tally(&cx))
            }),
        }
    }

    /// A block op ended.
    pub(super) fn finish_block(&mut self, op: OpId, r: Result<Value, Fail>, t: Tally, ms: f64) {
        self.tally.usage.add(t.usage);
        match r {
            Ok(v) => self.accept(op, v, Some(ms)),
            Err(f) => {
                let msg = format!("{}: {}", self.label(op), f.message);
                self.fail_with(op, f.kind, f.code, msg, ms);
            }
        }
    }

    /// `expect cond, "message"`: holds, or fails the run naming the step.
    pub(super) fn expect(&mut self, op: OpId, cond: Operand, message: Option<&[Part]>) {
        let holds = truth(&self.values.get(cond));
        let text = match message.map(|m| self.values.interpolate(m)).transpose() {
            Ok(text) => text,
            Err(e) => {
                let msg = format!("{}: {e}", self.label(op));
                return self.fail(op, RunErrorKind::Limit, msg, 0.0);
            }
        };
        match holds {
            Ok(true) => self.accept(op, Value::Bool(true), None),
            Ok(false) => {
                let msg = format!("{}: {}", self.label(op), Fail::expect(text).message);
                self.fail(op, RunErrorKind::ExpectFailed, msg, 0.0);
            }
            Err(e) => {
                let msg = format!("{}: {e}", self.label(op));
                self.fail(op, RunErrorKind::Check, msg, 0.0);
            }
        }
    }
}

fn take_tally(cx: &Cx<'_>) -> Tally {
    cx.tally
        .lock()
        .map(|mut t| std::mem::take(&mut *t))
        .unwrap_or_default()
}
