//! The OpenAI chat completions wire format (`POST {base}/chat/completions`, header
//! `Authorization: Bearer KEY`), also spoken by llama.cpp, Ollama and vLLM.
//!
//! Request: `{model, messages, tools?: [{type: "function", function: {name, description,
//! parameters}}], max_completion_tokens | max_tokens, temperature?}`. The system prompt is
//! a `system` message; an assistant's tool calls are `tool_calls: [{id, type: "function",
//! function: {name, arguments}}]` with `arguments` a JSON *string*; each tool result is its
//! own message `{role: "tool", tool_call_id, content}` (an error result is prefixed
//! `error: `, the format having no error flag).
//! Reply: `{model, choices: [{message: {content, tool_calls?}, finish_reason}], usage:
//! {prompt_tokens, completion_tokens}}`.

use serde_json::{Map, json};

use super::anthropic::reply_model;
use super::error::snippet;
use super::{
    Block, ChatRequest, ChatResponse, LlmError, ProviderKind, Role, StopReason, TokenUsage, names,
};
use crate::value::Value;

/// Which field carries the output token limit. OpenAI's own API deprecated `max_tokens`
/// for `max_completion_tokens` (and its reasoning models reject `max_tokens`), while
/// local OpenAI-compatible servers may know only `max_tokens`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxTokensField {
    MaxTokens,
    MaxCompletionTokens,
}

impl MaxTokensField {
    /// `max_completion_tokens` for api.openai.com, `max_tokens` for any other server.
    pub fn for_endpoint(endpoint: &str) -> MaxTokensField {
        let host = endpoint.split("://").nth(1).unwrap_or(endpoint);
        if host.starts_with("api.openai.com") {
            MaxTokensField::MaxCompletionTokens
        } else {
            MaxTokensField::MaxTokens
        }
    }

    fn key(self) -> &'static str {
        match self {
            MaxTokensField::MaxTokens => "max_tokens",
            MaxTokensField::MaxCompletionTokens => "max_completion_tokens",
        }
    }
}

/// The request body of `req` for `model`.
pub(crate) fn request_body(
    model: &str,
    req: &ChatRequest,
    max_field: MaxTokensField,
) -> Result<Value, LlmError> {
    let mut body = Map::new();
    body.insert("model".into(), json!(model));
    body.insert(max_field.key().into(), json!(req.max_tokens));
    if let Some(t) = req.temperature_json() {
        body.insert("temperature".into(), t);
    }
    if !req.tools.is_empty() {
        let tools: Vec<Value> = req
            .tools
            .iter()
            .map(|t| {
                json!({
                    "type": "function",
                    "function": {
                        "name": t.api_name,
                        "description": t.description,
                        "parameters": t.input_schema,
                    },
                })
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
    }
    let mut messages = Vec::new();
    if !req.system.is_empty() {
        messages.push(json!({ "role": "system", "content": req.system }));
    }
    for m in &req.messages {
        match m.role {
            Role::Assistant => messages.push(assistant_message(&m.content)?),
            Role::User => user_messages(&m.content, &mut messages),
        }
    }
    body.insert("messages".into(), Value::Array(messages));
    Ok(Value::Object(body))
}

fn assistant_message(blocks: &[Block]) -> Result<Value, LlmError> {
    let mut texts = Vec::new();
    let mut calls = Vec::new();
    for b in blocks {
        match b {
            Block::Text { text } => texts.push(text.as_str()),
            Block::ToolUse { id, name, input } => calls.push(json!({
                "id": id,
                "type": "function",
                // Serializing a `Value` cannot fail; keys come out sorted.
                "function": {
                    "name": names::wire_name(name)?,
                    "arguments": serde_json::to_string(input).unwrap_or_default(),
                },
            })),
            Block::ToolResult { .. } => {} // refused earlier by `ChatRequest::validate`
        }
    }
    let mut msg = json!({ "role": "assistant" });
    msg["content"] = if texts.is_empty() && !calls.is_empty() {
        Value::Null
    } else {
        json!(texts.join("\n\n"))
    };
    if !calls.is_empty() {
        msg["tool_calls"] = Value::Array(calls);
    }
    Ok(msg)
}

/// Tool results first, one `tool` message each, then the text as one `user` message.
fn user_messages(blocks: &[Block], out: &mut Vec<Value>) {
    let mut texts = Vec::new();
    for b in blocks {
        match b {
            Block::ToolResult {
                tool_use_id,
                content,
                is_error,
            } => {
                let content = if *is_error {
                    format!("error: {content}")
                } else {
                    content.clone()
                };
                out.push(
                    json!({ "role": "tool", "tool_call_id": tool_use_id, "content": content }),
                );
            }
            Block::Text { text } => texts.push(text.as_str()),
            Block::ToolUse { .. } => {} // refused earlier by `ChatRequest::validate`
        }
    }
    if !texts.is_empty() {
        out.push(json!({ "role": "user", "content": texts.join("\n\n") }));
    }
}

fn malformed(what: impl Into<String>) -> LlmError {
    LlmError::Malformed {
        provider: ProviderKind::OpenAi,
        what: what.into(),
    }
}

/// The response in a 2xx reply body. `model` is reported when the reply names none.
pub(crate) fn parse_reply(body: &str, model: &str) -> Result<ChatResponse, LlmError> {
    let obj = &super::error::reply_object(body, ProviderKind::OpenAi)?;
    let Some(choice) = obj
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
    else {
        return Err(malformed("the reply has no `choices`"));
    };
    let Some(message) = choice.get("message").filter(|m| m.is_object()) else {
        return Err(malformed("the reply has no `choices[0].message` object"));
    };
    let mut content = Vec::new();
    let text = match message.get("content") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(parts)) => Some(
            parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect::<String>(),
        ),
        None | Some(Value::Null) => message
            .get("refusal")
            .and_then(Value::as_str)
            .map(String::from),
        Some(_) => return Err(malformed("`choices[0].message.content` is not a string")),
    };
    if let Some(t) = text.as_ref().filter(|t| !t.is_empty()) {
        content.push(Block::text(t.as_str()));
    }
    let calls = match message.get("tool_calls") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(calls)) => calls.as_slice(),
        Some(_) => return Err(malformed("`choices[0].message.tool_calls` is not an array")),
    };
    if text.is_none() && calls.is_empty() {
        return Err(malformed(
            "`choices[0].message` has neither `content` nor `tool_calls`",
        ));
    }
    for (i, call) in calls.iter().enumerate() {
        content.push(tool_call(i, call)?);
    }
    let stop = match choice.get("finish_reason").and_then(Value::as_str) {
        // Some local servers report `stop` for a reply that holds tool calls.
        _ if !calls.is_empty() => StopReason::ToolUse,
        Some("stop") => StopReason::EndTurn,
        Some("tool_calls" | "function_call") => StopReason::ToolUse,
        Some("length") => StopReason::MaxTokens,
        Some(other) => StopReason::Other(other.to_string()),
        None => StopReason::Other("missing".into()),
    };
    let count = |name: &str| {
        obj.get("usage")
            .and_then(|u| u.get(name))
            .and_then(Value::as_u64)
    };
    let (Some(input), Some(output)) = (count("prompt_tokens"), count("completion_tokens")) else {
        return Err(malformed(
            "the reply lacks `usage.prompt_tokens` or `usage.completion_tokens`",
        ));
    };
    let usage = TokenUsage {
        input_tokens: input,
        output_tokens: output,
    };
    Ok(ChatResponse {
        content,
        stop,
        usage,
        model: reply_model(obj, model),
    })
}

/// One entry of `tool_calls`. A missing `id` becomes `call_{i}`; `arguments` may be a
/// JSON string (the format) or an object (some compatible servers); an empty string is `{}`.
fn tool_call(i: usize, call: &Value) -> Result<Block, LlmError> {
    let at = format!("`choices[0].message.tool_calls[{i}]`");
    let Some(function) = call.get("function") else {
        return Err(malformed(format!("{at} has no `function`")));
    };
    let Some(name) = function.get("name").and_then(Value::as_str) else {
        return Err(malformed(format!("{at} has no `function.name`")));
    };
    let input = match function.get("arguments") {
        Some(Value::String(s)) if s.trim().is_empty() => json!({}),
        Some(Value::String(s)) => serde_json::from_str::<Value>(s).map_err(|e| {
            malformed(format!(
                "{at} (`{name}`): `arguments` is not valid JSON ({e}): {}",
                snippet(s)
            ))
        })?,
        Some(v @ Value::Object(_)) => v.clone(),
        None | Some(Value::Null) => json!({}),
        Some(_) => {
            return Err(malformed(format!(
                "{at} (`{name}`): `arguments` is not a string"
            )));
        }
    };
    if !input.is_object() {
        return Err(malformed(format!(
            "{at} (`{name}`): `arguments` is not a JSON object"
        )));
    }
    let id = match call.get("id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => format!("call_{i}"),
    };
    Ok(Block::ToolUse {
        id,
        name: names::from_wire(name),
        input,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_tokens_field_by_endpoint() {
        assert_eq!(
            MaxTokensField::for_endpoint("https://api.openai.com/v1/chat/completions"),
            MaxTokensField::MaxCompletionTokens
        );
        assert_eq!(
            MaxTokensField::for_endpoint("http://127.0.0.1:11434/v1/chat/completions"),
            MaxTokensField::MaxTokens
        );
    }

    #[test]
    fn lenient_tool_calls() {
        let body = r#"{"choices":[{"message":{"content":null,"tool_calls":[
            {"function":{"name":"fs-read","arguments":{"path":"a"}}},
            {"id":"c2","function":{"name":"time-now","arguments":""}}]},
            "finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2}}"#;
        let r = parse_reply(body, "local").unwrap();
        assert_eq!(r.stop, StopReason::ToolUse);
        let calls: Vec<_> = r.tool_uses().collect();
        assert_eq!(calls[0], ("call_0", "fs.read", &json!({"path": "a"})));
        assert_eq!(calls[1], ("c2", "time.now", &json!({})));
        assert_eq!(r.model, "local");
    }
}
