//! Reply bodies in either wire format, for scripting the [`loopback`](super::loopback)
//! server: plain text replies, tool-call replies and error bodies, each with its usage.
//! Tool names are given as they appear on the wire (`fs-read`).

use serde_json::json;

use crate::value::Value;

/// One tool call in a canned reply: id, wire name, input object.
pub type Call<'a> = (&'a str, &'a str, Value);

/// An Anthropic reply holding `text`, stopped at `end_turn`.
pub fn anthropic_text(text: &str, input_tokens: u64, output_tokens: u64) -> Value {
    anthropic_message(
        vec![json!({ "type": "text", "text": text })],
        "end_turn",
        input_tokens,
        output_tokens,
    )
}

/// An Anthropic reply holding tool calls (after an optional text), stopped at `tool_use`.
pub fn anthropic_tool_use(
    text: Option<&str>,
    calls: &[Call<'_>],
    input_tokens: u64,
    output_tokens: u64,
) -> Value {
    let mut content: Vec<Value> = text
        .map(|t| json!({ "type": "text", "text": t }))
        .into_iter()
        .collect();
    content.extend(calls.iter().map(
        |(id, name, input)| json!({ "type": "tool_use", "id": id, "name": name, "input": input }),
    ));
    anthropic_message(content, "tool_use", input_tokens, output_tokens)
}

/// An Anthropic reply with any content blocks and stop reason.
pub fn anthropic_message(content: Vec<Value>, stop_reason: &str, input: u64, output: u64) -> Value {
    json!({
        "id": "msg_loopback",
        "type": "message",
        "role": "assistant",
        "model": "loopback-model",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": { "input_tokens": input, "output_tokens": output },
    })
}

/// An Anthropic error body: `{type: "error", error: {type, message}}`.
pub fn anthropic_error(error_type: &str, message: &str) -> Value {
    json!({ "type": "error", "error": { "type": error_type, "message": message } })
}

/// An OpenAI reply holding `text`, finished with `stop`.
pub fn openai_text(text: &str, prompt_tokens: u64, completion_tokens: u64) -> Value {
    openai_message(
        json!({ "role": "assistant", "content": text }),
        "stop",
        prompt_tokens,
        completion_tokens,
    )
}

/// An OpenAI reply holding tool calls (arguments as JSON strings, as the API sends them),
/// finished with `tool_calls`.
pub fn openai_tool_calls(
    text: Option<&str>,
    calls: &[Call<'_>],
    prompt_tokens: u64,
    completion_tokens: u64,
) -> Value {
    let calls: Vec<Value> = calls
        .iter()
        .map(|(id, name, input)| {
            json!({
                "id": id,
                "type": "function",
                "function": { "name": name, "arguments": input.to_string() },
            })
        })
        .collect();
    let message = json!({ "role": "assistant", "content": text, "tool_calls": calls });
    openai_message(message, "tool_calls", prompt_tokens, completion_tokens)
}

/// An OpenAI reply with any message and finish reason.
pub fn openai_message(message: Value, finish_reason: &str, prompt: u64, completion: u64) -> Value {
    json!({
        "id": "chatcmpl-loopback",
        "object": "chat.completion",
        "created": 0,
        "model": "loopback-model",
        "choices": [{ "index": 0, "message": message, "finish_reason": finish_reason }],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    })
}

/// An OpenAI error body: `{error: {message, type, param, code}}`.
pub fn openai_error(error_type: &str, message: &str) -> Value {
    json!({ "error": { "message": message, "type": error_type, "param": null, "code": null } })
}
