//! How ops end: a call's or slot's result checked and stored, a failure recorded (the
//! first in source order wins), the whole run stopped; and the step events of each.

use super::*;

impl<'a, 'p> Sched<'a, 'p> {
    /// A tool call ended: store its value, or record its failure by kind.
    pub(super) fn finish_tool(&mut self, op: OpId, r: ToolResult, ms: f64) {
        match r {
            Ok(v) => self.accept(op, v, Some(ms)),
            Err(ToolError { kind, message }) => {
                let kind = match kind {
                    ToolErrorKind::Sandbox => RunErrorKind::Sandbox,
                    ToolErrorKind::Timeout => RunErrorKind::StepTimeout,
                    ToolErrorKind::Failed | ToolErrorKind::BadArgument => RunErrorKind::Tool,
                    ToolErrorKind::Limit => RunErrorKind::Limit,
                };
                let msg = format!("{}: {message}", self.who(op));
                self.fail(op, kind, msg, ms);
            }
        }
    }

    /// A slot got its value (checked against the slot type, counted when an LLM gave
    /// it) or failed.
    pub(super) fn finish_slot(&mut self, op: OpId, r: Result<Resolved, SlotError>, ms: f64) {
        let program = self.plan.program;
        let slot = match program.ops.get(op.index()).map(|o| &o.kind) {
            Some(OpKind::Ask { slot }) => program.slots.get(slot.index()),
            _ => None,
        };
        let Some(slot) = slot else {
            return;
        };
        let label = self.label(op);
        let resolved = r
            .map_err(|e| (e.kind(), e.code(), format!("{label}: {e}")))
            .and_then(|r| match coerce(r.value, &slot.ty) {
                Ok(value) => Ok(Resolved { value, ..r }),
                Err(e) => Err((
                    RunErrorKind::Slot,
                    None,
                    format!(
                        "{label}: the value of slot `{}` does not fit its type: {e}",
                        slot.name
                    ),
                )),
            });
        match resolved {
            Ok(r) => {
                if r.source == SlotSource::Llm {
                    self.tally.usage.add(r.usage);
                }
                if !self.quiet {
                    self.env.bus.emit(&Event::SlotResolved {
                        op,
                        slot: slot.name.clone(),
                        source: r.source,
                    });
                    if r.source == SlotSource::Llm {
                        self.env.bus.emit(&Event::LlmCall {
                            op,
                            slot: slot.name.clone(),
                            model: r.model.clone(),
                            input_tokens: r.usage.input_tokens,
                            output_tokens: r.usage.output_tokens,
                            cost_usd: r.usage.cost_usd(),
                        });
                    }
                }
                self.accept(op, r.value, Some(ms));
            }
            Err((kind, code, msg)) => self.fail_with(op, kind, code, msg, ms),
        }
    }

    /// Op `op` failed: keep the failure if it is the first in op order, and stop every
    /// running op after it.
    pub(super) fn fail(&mut self, op: OpId, kind: RunErrorKind, message: String, ms: f64) {
        self.fail_with(op, kind, None, message, ms);
    }

    /// [`Self::fail`], with a code more precise than the kind's.
    pub(super) fn fail_with(
        &mut self,
        op: OpId,
        kind: RunErrorKind,
        code: Option<&'static str>,
        message: String,
        ms: f64,
    ) {
        let step = self.plan.program.ops.get(op.index()).map_or(0, |o| o.step);
        if !self.quiet {
            self.env.bus.emit(&Event::StepFailed {
                op,
                step,
                label: self.label(op),
                tool: self.plan.op_tool(op),
                kind,
                error: message.clone(),
                ms,
            });
        }
        if self.failure.as_ref().is_some_and(|f| f.op < Some(op)) {
            return;
        }
        for (_, (handle, _)) in self.running.range(OpId(op.0 + 1)..) {
            handle.abort();
        }
        self.failure = Some(RunError::at(kind, op, step, message).with_code(code));
    }

    /// Stops everything at once (cancelled, or over the run's time limit).
    pub(super) fn stop(&mut self, why: Wake) -> RunError {
        self.flights = FuturesUnordered::new();
        let running: Vec<OpId> = self.running.keys().copied().collect();
        self.running.clear();
        for &op in &running {
            self.emit_cancelled(op);
        }
        let during = match running.first() {
            Some(&op) => format!(" while {} was running", self.who(op)),
            None => String::new(),
        };
        let (kind, reason, message) = match why {
            Wake::Timeout => {
                let limit = self.env.deadline.map(|(_, d)| d).unwrap_or_default();
                let limit = humantime::format_duration(limit).to_string();
                (
                    RunErrorKind::RunTimeout,
                    format!("over the run's time limit of {limit}"),
                    format!("the run went over its time limit of {limit}{during}"),
                )
            }
            _ => {
                let reason = self.env.cancel.reason().unwrap_or("cancelled").to_owned();
                let message = format!("the run was cancelled ({reason}){during}");
                (RunErrorKind::Cancelled, reason, message)
            }
        };
        if !self.quiet {
            self.env.bus.emit(&Event::RunCancelled { reason });
        }
        let first = running.first().copied();
        RunError {
            kind,
            op: first,
            step: first.and_then(|op| self.plan.program.ops.get(op.index()).map(|o| o.step)),
            message,
            code: None,
        }
    }

    /// ``step 2 (`text`)``: the label of op `op`'s statement.
    pub(super) fn label(&self, op: OpId) -> String {
        let step = self.plan.program.ops.get(op.index()).map_or(0, |o| o.step);
        step_label(self.plan.program, step)
    }

    /// ``step 2 (`text`) `fs.read` ``: the step and its tool.
    pub(super) fn who(&self, op: OpId) -> String {
        match self.plan.op_tool(op) {
            "ask" => self.label(op),
            tool => format!("{} `{tool}`", self.label(op)),
        }
    }

    /// The statement, label and tool name that step events carry.
    pub(super) fn step_event(&self, op: OpId) -> (u32, String, &'static str) {
        let step = self.plan.program.ops.get(op.index()).map_or(0, |o| o.step);
        (step, self.label(op), self.plan.op_tool(op))
    }

    pub(super) fn emit_started(&self, op: OpId) {
        if !self.quiet {
            let (step, label, tool) = self.step_event(op);
            self.env.bus.emit(&Event::StepStarted {
                op,
                step,
                label,
                tool,
            });
        }
    }

    pub(super) fn emit_finished(&self, op: OpId, ms: f64) {
        if !self.quiet {
            let (step, label, tool) = self.step_event(op);
            self.env.bus.emit(&Event::StepFinished {
                op,
                step,
                label,
                tool,
                ms,
            });
        }
    }

    pub(super) fn emit_cancelled(&self, op: OpId) {
        if !self.quiet {
            let (step, label, tool) = self.step_event(op);
            self.env.bus.emit(&Event::StepCancelled {
                op,
                step,
                label,
                tool,
            });
        }
    }
}
