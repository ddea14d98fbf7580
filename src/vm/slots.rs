//! Resolving `ask` slots. In order: `--set NAME=VALUE`, the slot cache, an LLM. The VM
//! only sees this trait; Learner mode plugs in a resolver that calls the LLM.

use crate::usage::Usage;
use std::future::Future;
use std::pin::Pin;

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

pub type SlotFuture<'a> = Pin<Box<dyn Future<Output = Result<Resolved, String>> + Send + 'a>>;

/// Fills `ask` slots that `--set` did not give.
pub trait SlotResolver: Send + Sync {
    fn resolve<'a>(&'a self, req: &'a SlotRequest) -> SlotFuture<'a>;
}
