//! Learner recordings (`recording.md`): what an LLM did to solve a goal, call by call.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::value::Value;

/// A recording, version 1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    /// The format version; 1.
    pub llmos_recording: u32,
    pub goal: String,
    /// `provider:model`, e.g. `anthropic:claude-sonnet-4-5`.
    #[serde(default)]
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default)]
    pub usage: Usage,
    pub outcome: Outcome,
    /// Why the run failed, when `outcome` is `failure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub steps: Vec<RecStep>,
    /// Unknown top-level keys: kept and ignored.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default)]
    pub llm_calls: u64,
    #[serde(default)]
    pub cost_usd: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Failure,
}

/// One tool call, with its exact arguments and its result or error. The pseudo-tool
/// `llm.final` carries the LLM's final answer in `args.text`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecStep {
    pub tool: String,
    #[serde(default)]
    pub args: IndexMap<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The name of the pseudo-tool that ends a recording with the LLM's answer.
pub const FINAL_TOOL: &str = "llm.final";
