//! Resolving `ask` slots. In order: `--set NAME=VALUE`, the slot cache, an LLM. The VM
//! only sees this trait; Learner mode plugs in a resolver that calls the LLM.

use crate::usage::Usage;
use std::future::Future;
use std::pin::Pin;

use super::RunErrorKind;
use crate::types::Type;
use crate::value::Value;

/// Where a slot's value came from (for events and the run log).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotSource {
    /// `--set NAME=VALUE`.
    Set,
    /// The slot cache: same program, slot, prompt text and model.
    Cache,
    /// A fresh LLM call.
    Llm,
}

/// A resolved slot.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    pub value: Value,
    pub source: SlotSource,
    /// The LLM calls, tokens and cost spent on it (none unless `source` is `Llm`).
    pub usage: Usage,
    /// The model that answered (`provider:model`), when `source` is `Llm`.
    pub model: String,
}

/// What the VM asks for: one slot with its prompt already interpolated.
#[derive(Clone, Debug)]
pub struct SlotRequest {
    /// The program id (64 hex), part of the cache key.
    pub program_id: String,
    /// The slot's `let` name.
    pub name: String,
    pub ty: Type,
    /// The prompt text after interpolation.
    pub prompt: String,
}

pub type SlotFuture<'a> = Pin<Box<dyn Future<Output = Result<Resolved, SlotError>> + Send + 'a>>;

/// Why a slot got no value. Its [`SlotError::kind`] is the run's error kind: an LLM call
/// the budget refused stays `budget`, a provider failure `llm`, everything else `slot`.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SlotError {
    /// Nothing gave a value and no LLM may be asked (`--offline`, no model).
    #[error("slot `{name}` has no value: pass `--set {name}=...`, or run online with a model")]
    Unresolved { name: String },
    /// No cached answer, and the provider cannot be set up: `why` says why (no API key).
    #[error(
        "slot `{name}`: no answer is cached for this prompt and {model}, and no LLM can be \
         called: {why}"
    )]
    NoLlm {
        name: String,
        model: String,
        why: String,
    },
    /// The LLM call failed: `message` is the meter's or provider's error.
    #[error("slot `{name}`: {message}")]
    Call {
        name: String,
        failure: CallFailure,
        /// The failure's own code (`llm-auth`, `budget-exceeded`, ...).
        code: &'static str,
        message: String,
    },
    /// The LLM's answer is not of the slot's type, even after a retry.
    #[error("slot `{name}`: the answer of {model} is not a {ty} even after a retry: {problem}")]
    BadAnswer {
        name: String,
        model: String,
        ty: Type,
        problem: String,
    },
    /// The slot cache could not be read or written: `message` is the database's error.
    #[error("slot `{name}`: {message}")]
    Cache { name: String, message: String },
    /// A replay of a recording that has no answer for the slot.
    #[error("no recorded answer for `{name}`")]
    NotRecorded { name: String },
}

/// Why a slot's LLM call gave no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallFailure {
    /// The budget refused it, or an earlier call overran its reservation.
    Budget,
    /// The run's time limit came first.
    RunTimeout,
    /// The provider failed (or the ledger could not be written).
    Llm,
}

impl SlotError {
    /// The kind of the run's error when this slot fails it.
    pub fn kind(&self) -> RunErrorKind {
        match self {
            SlotError::Call { failure, .. } => match failure {
                CallFailure::Budget => RunErrorKind::Budget,
                CallFailure::RunTimeout => RunErrorKind::RunTimeout,
                CallFailure::Llm => RunErrorKind::Llm,
            },
            _ => RunErrorKind::Slot,
        }
    }

    /// A code more precise than the kind's: the LLM call's own.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            SlotError::Call { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// Fills `ask` slots that `--set` did not give.
pub trait SlotResolver: Send + Sync {
    fn resolve<'a>(&'a self, req: &'a SlotRequest) -> SlotFuture<'a>;
}
