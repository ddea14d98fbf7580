//! The Anthropic Messages API wire format (`POST {base}/v1/messages`, headers `x-api-key`,
//! `anthropic-version: 2023-06-01`): request bodies from a [`ChatRequest`], and
//! [`ChatResponse`]s from reply bodies.
//!
//! Request: `{model, max_tokens, system?, temperature?, tools?: [{name, description,
//! input_schema}], messages: [{role, content: [block]}]}` with blocks `text {text}`,
//! `tool_use {id, name, input}` and `tool_result {tool_use_id, content, is_error?}`.
//! Reply: `{model, content: [block], stop_reason, usage: {input_tokens, output_tokens}}`.

use serde_json::{Map, json};

use super::{
    Block, ChatRequest, ChatResponse, LlmError, ProviderKind, Role, StopReason, TokenUsage, names,
};
use crate::value::Value;

/// The API version every request names.
pub(crate) const API_VERSION: &str = "2023-06-01";

/// The request body of `req` for `model`.
pub(crate) fn request_body(model: &str, req: &ChatRequest) -> Result<Value, LlmError> {
    let mut body = Map::new();
    body.insert("model".into(), json!(model));
    body.insert("max_tokens".into(), json!(req.max_tokens));
    if !req.system.is_empty() {
        body.insert("system".into(), json!(req.system));
    }
    if let Some(t) = req.temperature_json() {
        body.insert("temperature".into(), t);
    }
    if !req.tools.is_empty() {
        let tools: Vec<Value> = req
            .tools
            .iter()
            .map(|t| {
                json!({
                    "name": t.api_name,
                    "description": t.description,
                    "input_schema": t.input_schema,
                })
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
    }
    let mut messages = Vec::with_capacity(req.messages.len());
    for m in &req.messages {
        // Tool results must open a user message; keep everything else in its order.
        let (results, rest): (Vec<&Block>, Vec<&Block>) = m
            .content
            .iter()
            .partition(|b| matches!(b, Block::ToolResult { .. }));
        let content = results
            .into_iter()
            .chain(rest)
            .map(block_json)
            .collect::<Result<Vec<Value>, LlmError>>()?;
        let role = match m.role {
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        messages.push(json!({ "role": role, "content": content }));
    }
    body.insert("messages".into(), Value::Array(messages));
    Ok(Value::Object(body))
}

fn block_json(b: &Block) -> Result<Value, LlmError> {
    Ok(match b {
        Block::Text { text } => json!({ "type": "text", "text": text }),
        Block::ToolUse { id, name, input } => json!({
            "type": "tool_use",
            "id": id,
            "name": names::wire_name(name)?,
            "input": input,
        }),
        Block::ToolResult {
            tool_use_id,
            content,
            is_error,
        } => {
            let mut r =
                json!({ "type": "tool_result", "tool_use_id": tool_use_id, "content": content });
            if *is_error {
                r["is_error"] = json!(true);
            }
            r
        }
    })
}

fn malformed(what: impl Into<String>) -> LlmError {
    LlmError::Malformed {
        provider: ProviderKind::Anthropic,
        what: what.into(),
    }
}

/// The response in a 2xx reply body. `model` is reported when the reply names none.
pub(crate) fn parse_reply(body: &str, model: &str) -> Result<ChatResponse, LlmError> {
    let obj = &super::error::reply_object(body, ProviderKind::Anthropic)?;
    let Some(blocks) = obj.get("content").and_then(Value::as_array) else {
        return Err(malformed("the reply has no `content` array"));
    };
    let mut content = Vec::with_capacity(blocks.len());
    for (i, b) in blocks.iter().enumerate() {
        let field = |name: &str| b.get(name).and_then(Value::as_str);
        match field("type") {
            Some("text") => {
                let text = field("text")
                    .ok_or_else(|| malformed(format!("`content[{i}]` (text) has no `text`")))?;
                content.push(Block::text(text));
            }
            Some("tool_use") => {
                let (Some(id), Some(name)) = (field("id"), field("name")) else {
                    return Err(malformed(format!(
                        "`content[{i}]` (tool_use) lacks a string `id` or `name`"
                    )));
                };
                let input = b.get("input").filter(|i| i.is_object()).ok_or_else(|| {
                    malformed(format!(
                        "`content[{i}]` (tool_use `{name}`): `input` is not a JSON object"
                    ))
                })?;
                content.push(Block::ToolUse {
                    id: id.to_string(),
                    name: names::from_wire(name),
                    input: input.clone(),
                });
            }
            Some(_) => {} // thinking, server tools and later block types: not ours to act on
            None => return Err(malformed(format!("`content[{i}]` has no `type`"))),
        }
    }
    let stop = match obj.get("stop_reason").and_then(Value::as_str) {
        Some("end_turn") => StopReason::EndTurn,
        Some("tool_use") => StopReason::ToolUse,
        Some("max_tokens") => StopReason::MaxTokens,
        Some("stop_sequence") => StopReason::StopSequence,
        Some(other) => StopReason::Other(other.to_string()),
        None => StopReason::Other("missing".into()),
    };
    Ok(ChatResponse {
        content,
        stop,
        usage: usage(obj.get("usage"))?,
        model: reply_model(obj, model),
    })
}

/// `usage.input_tokens` (plus any cache-write and cache-read input tokens, which are
/// billed too) and `usage.output_tokens`.
fn usage(u: Option<&Value>) -> Result<TokenUsage, LlmError> {
    let count = |name: &str| u.and_then(|u| u.get(name)).and_then(Value::as_u64);
    let (Some(input), Some(output)) = (count("input_tokens"), count("output_tokens")) else {
        return Err(malformed(
            "the reply lacks `usage.input_tokens` or `usage.output_tokens`",
        ));
    };
    let cached = count("cache_creation_input_tokens").unwrap_or(0)
        + count("cache_read_input_tokens").unwrap_or(0);
    Ok(TokenUsage {
        input_tokens: input.saturating_add(cached),
        output_tokens: output,
    })
}

pub(crate) fn reply_model(obj: &Map<String, Value>, requested: &str) -> String {
    obj.get("model")
        .and_then(Value::as_str)
        .unwrap_or(requested)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::Message;

    #[test]
    fn tool_results_open_the_user_message() {
        let req = ChatRequest {
            system: String::new(),
            messages: vec![Message {
                role: Role::User,
                content: vec![
                    Block::text("and then"),
                    Block::ToolResult {
                        tool_use_id: "t1".into(),
                        content: "ok".into(),
                        is_error: false,
                    },
                ],
            }],
            tools: vec![],
            max_tokens: 5,
            temperature: None,
        };
        let body = request_body("m", &req).unwrap();
        assert_eq!(body["messages"][0]["content"][0]["type"], "tool_result");
        assert_eq!(body["messages"][0]["content"][1]["type"], "text");
        assert!(body.get("system").is_none() && body.get("tools").is_none());
    }

    #[test]
    fn unknown_blocks_and_stop_reasons_are_tolerated() {
        let body = r#"{"content":[{"type":"thinking","thinking":"hm"},{"type":"text","text":"hi"}],
            "stop_reason":"refusal","usage":{"input_tokens":3,"output_tokens":1,
            "cache_read_input_tokens":10}}"#;
        let r = parse_reply(body, "m").unwrap();
        assert_eq!(r.content, vec![Block::text("hi")]);
        assert_eq!(r.stop, StopReason::Other("refusal".into()));
        assert_eq!(
            r.usage,
            TokenUsage {
                input_tokens: 13,
                output_tokens: 1
            }
        );
        assert_eq!(r.model, "m");
    }
}
