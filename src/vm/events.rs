//! The event bus: typed events of a run (started, each step, each slot, each LLM call,
//! finished) handed to subscribers as they happen. Subscribers here: the JSON Lines run
//! log ([`super::runlog::RunLogWriter`]) and the terminal progress display
//! ([`super::progress::Progress`]); the budget ledger subscribes later.
//!
//! Events are emitted from the one task that drives the run, in the order things
//! happen; steps that run at the same time finish in any order. Wall-clock fields
//! (`at`, `ms`) are separate fields, so two runs can be compared without them.

use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::error::RunErrorKind;
use super::slots::SlotSource;
use crate::ir::OpId;

/// One thing that happened in a run. Serialized with an `event` tag in snake case:
/// `{"event":"step_finished","op":3,...}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The run passed its checks and its first step is about to start.
    RunStarted {
        run_id: String,
        /// The program id.
        program: String,
        /// The trace name.
        name: String,
        /// `follower` for the VM.
        mode: &'static str,
        /// Start time, RFC 3339 UTC.
        at: String,
        /// The ops that get step events (tool calls and `ask` slots), in order; not
        /// written to the log.
        #[serde(skip)]
        tool_ops: Arc<[OpId]>,
    },
    /// A tool call or slot started.
    StepStarted {
        op: OpId,
        /// Index of the source statement.
        step: u32,
        /// ``step 2 (`text`)``.
        label: String,
        /// The tool name, or `ask`.
        tool: &'static str,
    },
    /// A tool call or slot finished; `ms` is its wall time.
    StepFinished {
        op: OpId,
        step: u32,
        label: String,
        tool: &'static str,
        ms: f64,
    },
    /// An op failed; the run stops.
    StepFailed {
        op: OpId,
        step: u32,
        label: String,
        tool: &'static str,
        kind: RunErrorKind,
        error: String,
        ms: f64,
    },
    /// A running step was stopped (the run failed elsewhere, timed out or was cancelled).
    StepCancelled {
        op: OpId,
        step: u32,
        label: String,
        tool: &'static str,
    },
    /// An `ask` slot got its value.
    SlotResolved {
        op: OpId,
        slot: String,
        source: SlotSource,
    },
    /// An LLM was called to fill a slot.
    LlmCall {
        op: OpId,
        slot: String,
        /// `provider:model`.
        model: String,
        input_tokens: u64,
        output_tokens: u64,
        cost_usd: f64,
    },
    /// The run was cancelled from outside (Ctrl-C, SIGTERM) or went over its time limit.
    RunCancelled { reason: String },
    /// The run ended.
    RunFinished {
        ok: bool,
        /// The error kind and message when `ok` is false.
        #[serde(skip_serializing_if = "Option::is_none")]
        error_kind: Option<RunErrorKind>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        llm_calls: u64,
        cost_usd: f64,
        ms: f64,
    },
}

/// Receives every event of a run. Called from the task that drives the run: keep it
/// short.
pub trait Subscriber: Send + Sync {
    fn on(&self, event: &Event);
}

/// Hands each event to every subscriber, in subscription order.
#[derive(Clone, Default)]
pub struct EventBus {
    subscribers: Vec<Arc<dyn Subscriber>>,
}

impl EventBus {
    /// A bus without subscribers.
    pub fn new() -> EventBus {
        EventBus::default()
    }

    /// Adds a subscriber.
    pub fn subscribe(&mut self, s: Arc<dyn Subscriber>) {
        self.subscribers.push(s);
    }

    /// Whether nobody listens (the VM then builds no events at all).
    pub fn is_quiet(&self) -> bool {
        self.subscribers.is_empty()
    }

    /// Hands `event` to every subscriber.
    pub fn emit(&self, event: &Event) {
        for s in &self.subscribers {
            s.on(event);
        }
    }
}

impl std::fmt::Debug for EventBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EventBus({} subscribers)", self.subscribers.len())
    }
}

/// A subscriber that keeps every event, for tests and for callers that want the whole
/// story after the run.
#[derive(Debug, Default)]
pub struct Collector {
    events: Mutex<Vec<Event>>,
}

impl Collector {
    pub fn new() -> Arc<Collector> {
        Arc::new(Collector::default())
    }

    /// The events so far, in the order they were emitted.
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

impl Subscriber for Collector {
    fn on(&self, event: &Event) {
        if let Ok(mut events) = self.events.lock() {
            events.push(event.clone());
        }
    }
}
