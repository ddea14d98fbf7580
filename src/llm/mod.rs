//! LLM providers: one provider-neutral chat API over the two wire formats llmos speaks,
//! the Anthropic Messages API and OpenAI-compatible chat completions (which local servers
//! such as llama.cpp, Ollama and vLLM speak too).
//!
//! The Learner loop builds a [`ChatRequest`] (system prompt, conversation, tools made from
//! [`ToolDecl`](crate::stdlib::ToolDecl)s by [`ToolSpec::from_decl`]), sends it with
//! [`Provider::chat`] and gets a [`ChatResponse`] whose tool calls carry llmos tool names
//! (`fs.read`), never the API's (`fs-read`). Calls are retried with backoff on overload
//! and server errors; every failure is an [`LlmError`] that names the provider.
//!
//! `loopback` is a small scriptable HTTP server that answers like either API, for tests
//! and benchmarks that must not touch the network; `canned` builds its reply bodies. Both
//! are test support, compiled only with the `test-support` feature (tests and benches turn
//! it on; the release binary has neither).
//! [`cassette`] records a run's exchanges to a file and replays them (`cassette:FILE`).
//!
//! Code map: `names` (tool names on the wire), `schema` (tool specs and JSON Schemas),
//! `anthropic` and `openai` (the two wire formats), `retry` (backoff and attempts),
//! `provider` (HTTP calls), `reply` (deadlines and the size-capped body), `error`,
//! `loopback`, `canned`, `cassette`.

mod anthropic;
#[cfg(feature = "test-support")]
pub mod canned;
pub(crate) mod cassette;
mod error;
#[cfg(feature = "test-support")]
pub mod loopback;
pub mod names;
mod openai;
mod provider;
mod reply;
pub(crate) mod retry;
pub mod schema;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::value::Value;

pub use error::{BadBaseUrl, BadConversation, CassetteError, LlmError};
pub use names::UnknownTool;
pub use openai::MaxTokensField;
pub use provider::{ANTHROPIC_DEFAULT_BASE, OPENAI_DEFAULT_BASE, Provider};
pub use retry::{AttemptInfo, CallConfig, TimeLimit};
pub use schema::ToolSpec;

/// Which wire format a provider speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// The Anthropic Messages API (`POST {base}/v1/messages`).
    Anthropic,
    /// OpenAI-compatible chat completions (`POST {base}/chat/completions`).
    #[serde(rename = "openai")]
    OpenAi,
}

impl ProviderKind {
    /// The name used in model references and messages: `anthropic` or `openai`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::OpenAi => "openai",
        }
    }

    /// The provider named `s`, if any.
    pub fn parse(s: &str) -> Option<ProviderKind> {
        match s {
            "anthropic" => Some(ProviderKind::Anthropic),
            "openai" => Some(ProviderKind::OpenAi),
            _ => None,
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A model and the provider that serves it, written `provider:model`
/// (`anthropic:claude-sonnet-4-5`, `openai:gpt-4o-mini`, `openai:llama3.1:8b`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ModelRef {
    pub provider: ProviderKind,
    /// The model name as the API knows it; may itself contain `:`.
    pub model: String,
}

impl ModelRef {
    /// Parses `provider:model`. The error names the text and what is wrong with it.
    pub fn parse(text: &str) -> Result<ModelRef, LlmError> {
        let bad = |reason: &str| LlmError::BadModel {
            text: text.to_string(),
            reason: reason.into(),
        };
        let Some((provider, model)) = text.split_once(':') else {
            return Err(bad(
                "expected `provider:model`, e.g. `anthropic:claude-sonnet-4-5`",
            ));
        };
        let Some(provider) = ProviderKind::parse(provider.trim()) else {
            return Err(bad("the provider must be `anthropic` or `openai`"));
        };
        let model = model.trim();
        if model.is_empty() {
            return Err(bad("the model name after `:` is empty"));
        }
        if model.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("the model name contains white space"));
        }
        Ok(ModelRef {
            provider,
            model: model.to_string(),
        })
    }
}

impl FromStr for ModelRef {
    type Err = LlmError;
    fn from_str(s: &str) -> Result<ModelRef, LlmError> {
        ModelRef::parse(s)
    }
}

impl fmt::Display for ModelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.provider, self.model)
    }
}

/// Who wrote a message. The system prompt is not a message: see [`ChatRequest::system`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

/// One piece of a message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Text {
        text: String,
    },
    /// A tool call made by the assistant. `name` is the llmos tool name (`fs.read`);
    /// `input` is a JSON object of named arguments.
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    /// The result of a tool call, sent back in a user message.
    ToolResult {
        tool_use_id: String,
        content: String,
        is_error: bool,
    },
}

impl Block {
    /// A text block.
    pub fn text(text: impl Into<String>) -> Block {
        Block::Text { text: text.into() }
    }

    /// A tool-result block answering the tool call `tool_use_id`.
    pub fn tool_result(tool_use_id: &str, content: impl Into<String>, is_error: bool) -> Block {
        Block::ToolResult {
            tool_use_id: tool_use_id.to_string(),
            content: content.into(),
            is_error,
        }
    }
}

/// One turn of the conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: Vec<Block>,
}

impl Message {
    /// A user message of plain text.
    pub fn user(text: impl Into<String>) -> Message {
        Message {
            role: Role::User,
            content: vec![Block::text(text)],
        }
    }

    /// A user message carrying tool results.
    pub fn tool_results(results: Vec<Block>) -> Message {
        Message {
            role: Role::User,
            content: results,
        }
    }
}

/// What is sent to the LLM.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChatRequest {
    /// The system prompt; left out of the request when empty.
    pub system: String,
    pub messages: Vec<Message>,
    pub tools: Vec<ToolSpec>,
    pub max_tokens: u32,
    pub temperature: Option<f32>,
}

impl ChatRequest {
    /// A plain completion of `prompt`: one user message, no system prompt, no tools (what
    /// [`Provider::complete`] sends, for `ask` slots).
    pub fn completion(prompt: impl Into<String>, max_tokens: u32) -> ChatRequest {
        ChatRequest {
            system: String::new(),
            messages: vec![Message::user(prompt)],
            tools: Vec::new(),
            max_tokens,
            temperature: None,
        }
    }

    /// Checks the conversation's shape: user messages hold text and tool results,
    /// assistant messages hold text and tool calls, and no message is empty.
    pub fn validate(&self) -> Result<(), BadConversation> {
        for (i, m) in self.messages.iter().enumerate() {
            if m.content.is_empty() {
                return Err(BadConversation::Empty(i));
            }
            for b in &m.content {
                match (m.role, b) {
                    (Role::User, Block::ToolUse { .. }) => {
                        return Err(BadConversation::ToolCallFromUser(i));
                    }
                    (Role::Assistant, Block::ToolResult { .. }) => {
                        return Err(BadConversation::ToolResultFromAssistant(i));
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// The temperature as JSON, written as its shortest decimal (`0.7`, not the `f32`'s
    /// `0.699999988079071`); `None` when unset or not finite.
    pub(crate) fn temperature_json(&self) -> Option<Value> {
        let t = self.temperature.filter(|t| t.is_finite())?;
        let n = t.to_string().parse::<f64>().ok()?;
        serde_json::Number::from_f64(n).map(Value::Number)
    }

    /// The tool the LLM named, or an error to show it (with the names it may use).
    pub fn find_tool(&self, name: &str) -> Result<&ToolSpec, UnknownTool> {
        names::find_tool(&self.tools, name)
    }
}

/// Why the LLM stopped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// A natural end (`end_turn`; OpenAI `stop`).
    EndTurn,
    /// The reply holds tool calls (`tool_use`; OpenAI `tool_calls`).
    ToolUse,
    /// The reply was cut at `max_tokens` (OpenAI `length`).
    MaxTokens,
    /// A stop sequence matched (Anthropic only; OpenAI reports it as `stop`).
    StopSequence,
    /// Anything else the API said (`refusal`, `content_filter`, ...), or `missing`.
    Other(String),
}

/// Tokens billed for one call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl TokenUsage {
    /// Adds another call's usage to this one.
    pub fn add(&mut self, other: TokenUsage) {
        self.input_tokens = self.input_tokens.saturating_add(other.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(other.output_tokens);
    }
}

/// What the LLM answered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    /// Text and tool calls, in the order the LLM wrote them. Tool names are llmos names
    /// when the API name decodes to one (`fs-read` -> `fs.read`), else the name as sent;
    /// check them with [`ChatRequest::find_tool`].
    pub content: Vec<Block>,
    pub stop: StopReason,
    pub usage: TokenUsage,
    /// The model that answered, as the API reports it.
    pub model: String,
}

impl ChatResponse {
    /// All text blocks, joined by blank lines.
    pub fn text(&self) -> String {
        let texts: Vec<&str> = self
            .content
            .iter()
            .filter_map(|b| match b {
                Block::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        texts.join("\n\n")
    }

    /// The tool calls, in order: `(id, name, input)`.
    pub fn tool_uses(&self) -> impl Iterator<Item = (&str, &str, &Value)> {
        self.content.iter().filter_map(|b| match b {
            Block::ToolUse { id, name, input } => Some((id.as_str(), name.as_str(), input)),
            _ => None,
        })
    }

    /// The reply as an assistant message, to append to the conversation.
    pub fn to_message(&self) -> Message {
        Message {
            role: Role::Assistant,
            content: self.content.clone(),
        }
    }
}

/// A conservative estimate of the input tokens a request will be billed, for the budget
/// check made before each call.
///
/// The heuristic: one token per 3 bytes of the request's JSON (system prompt, messages,
/// tool specs), rounded up, plus 8 tokens per message for role framing, 16 per tool and
/// 32 per request, plus 500 when tools are present for the tool-use preamble the APIs add
/// to the system prompt. Current tokenizers average about 4 bytes per token on English
/// and JSON, so the estimate errs high.
pub fn estimate_input_tokens(req: &ChatRequest) -> u64 {
    let tools: Vec<Value> = req
        .tools
        .iter()
        .map(|t| {
            serde_json::json!({
                "name": t.api_name, "description": t.description, "input_schema": t.input_schema
            })
        })
        .collect();
    let doc = serde_json::json!({ "system": req.system, "messages": req.messages, "tools": tools });
    // Serializing a `Value` cannot fail: every key is a string.
    let bytes = serde_json::to_string(&doc).map(|s| s.len()).unwrap_or(0) as u64;
    let framing = 8 * req.messages.len() as u64 + 16 * req.tools.len() as u64 + 32;
    let preamble = if req.tools.is_empty() { 0 } else { 500 };
    bytes.div_ceil(3) + framing + preamble
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_refs() {
        let m = ModelRef::parse("anthropic:claude-sonnet-4-5").unwrap();
        assert_eq!(m.provider, ProviderKind::Anthropic);
        assert_eq!(m.model, "claude-sonnet-4-5");
        let m: ModelRef = "openai:llama3.1:8b".parse().unwrap();
        assert_eq!(
            (m.provider, m.model.as_str()),
            (ProviderKind::OpenAi, "llama3.1:8b")
        );
        assert_eq!(m.to_string(), "openai:llama3.1:8b");
        for bad in ["claude", "gemini:pro", "openai:", "openai: a b"] {
            let e = ModelRef::parse(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("`{bad}`")), "{e}");
        }
    }

    #[test]
    fn temperature_is_written_as_its_shortest_decimal() {
        let mut req = ChatRequest {
            system: String::new(),
            messages: vec![],
            tools: vec![],
            max_tokens: 1,
            temperature: Some(0.7),
        };
        assert_eq!(
            req.temperature_json().map(|t| t.to_string()).as_deref(),
            Some("0.7")
        );
        req.temperature = Some(f32::NAN);
        assert_eq!(req.temperature_json(), None);
    }

    #[test]
    fn validate_rejects_misplaced_blocks() {
        let mut req = ChatRequest {
            system: String::new(),
            messages: vec![Message::user("hi")],
            tools: vec![],
            max_tokens: 10,
            temperature: None,
        };
        assert!(req.validate().is_ok());
        req.messages.push(Message {
            role: Role::Assistant,
            content: vec![Block::ToolResult {
                tool_use_id: "x".into(),
                content: String::new(),
                is_error: false,
            }],
        });
        let e = req.validate().unwrap_err();
        assert_eq!(e, BadConversation::ToolResultFromAssistant(1));
        assert_eq!(
            e.to_string(),
            "message 1: an assistant message cannot hold a tool result"
        );
    }
}
