//! Whole tool-using conversations through both wire formats against a real HTTP server on
//! 127.0.0.1 (`llm::loopback`): what is sent, byte for byte where it matters, and what
//! comes back.

use crate::support::llm::*;
use llmos::llm::loopback::{LoopbackServer, Reply, Script};
use llmos::llm::{Block, ModelRef, Provider, StopReason, TokenUsage, canned};
use serde_json::{Value, json};

#[tokio::test]
async fn anthropic_conversation_with_two_tool_turns() {
    let csv = json!({ "path": "data/a.csv" });
    let write = json!({ "path": "summary.md", "content": "# Summary" });
    let script = Script::new()
        .reply(Reply::ok(&canned::anthropic_tool_use(
            None,
            &[("toolu_1", "fs-read", csv)],
            100,
            20,
        )))
        .reply(Reply::ok(&canned::anthropic_tool_use(
            Some("Writing it."),
            &[
                ("toolu_2", "fs-write", write.clone()),
                ("toolu_3", "fs-remove", json!({})),
            ],
            150,
            30,
        )))
        .reply(Reply::ok(&canned::anthropic_text("Done.", 200, 5)));
    let server = LoopbackServer::start(script).await.unwrap();
    let (replies, _) = converse(&anthropic(&server, fast()), request(tools())).await;

    // What came back: llmos names, stop reasons, usage, the final text.
    assert_eq!(replies.len(), 3);
    assert_eq!(replies[0].stop, StopReason::ToolUse);
    assert_eq!(replies[0].tool_uses().next().map(|t| t.1), Some("fs.read"));
    assert_eq!(replies[1].content[0], Block::text("Writing it."));
    assert_eq!(
        replies[1].content[1],
        Block::ToolUse {
            id: "toolu_2".into(),
            name: "fs.write".into(),
            input: write.clone()
        }
    );
    assert_eq!(
        (replies[2].stop.clone(), replies[2].text()),
        (StopReason::EndTurn, "Done.".into())
    );
    assert_eq!(replies[2].model, "loopback-model");
    let mut total = TokenUsage::default();
    replies.iter().for_each(|r| total.add(r.usage));
    assert_eq!(
        total,
        TokenUsage {
            input_tokens: 450,
            output_tokens: 55
        }
    );

    // What was sent.
    let sent = server.requests();
    assert_eq!(sent.len(), 3);
    for r in &sent {
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("POST", "/v1/messages")
        );
        assert_eq!(r.header("x-api-key"), Some("sk-ant-test"));
        assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.body["model"], "claude-sonnet-4-5");
        assert_eq!(r.body["max_tokens"], 1024);
        assert_eq!(r.body["system"], "You are llmos.");
    }
    let first = &sent[0].body;
    let names: Vec<&str> = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["fs-read", "fs-write"]);
    assert!(names.iter().all(|n| legal_api_name(n)));
    assert_eq!(
        first["tools"][1],
        json!({
            "name": "fs-write",
            "description": "Write text to a file inside the workspace root.\n\n\
                            Returns path. Effects: write.",
            "input_schema": {
                "type": "object",
                "properties": { "path": path_schema(), "content": { "type": "string" } },
                "required": ["path", "content"],
                "additionalProperties": false,
            },
        })
    );
    assert_eq!(
        first["messages"],
        json!([{ "role": "user", "content": [
        { "type": "text", "text": "summarize data/a.csv into summary.md" }] }])
    );

    let second = &sent[1].body["messages"];
    assert_eq!(second.as_array().unwrap().len(), 3);
    assert_eq!(
        second[1],
        json!({ "role": "assistant", "content": [
        { "type": "tool_use", "id": "toolu_1", "name": "fs-read", "input": { "path": "data/a.csv" } }] })
    );
    assert_eq!(
        second[2],
        json!({ "role": "user", "content": [{ "type": "tool_result",
        "tool_use_id": "toolu_1", "content": "fs.read ran with {\"path\":\"data/a.csv\"}" }] })
    );

    let third = &sent[2].body["messages"];
    assert_eq!(third.as_array().unwrap().len(), 5);
    assert_eq!(
        third[3]["content"][0],
        json!({ "type": "text", "text": "Writing it." })
    );
    assert_eq!(third[3]["content"][2]["name"], "fs-remove");
    let results = third[4]["content"].as_array().unwrap();
    assert_eq!(results[0]["tool_use_id"], "toolu_2");
    assert!(results[0].get("is_error").is_none());
    assert_eq!(results[1]["tool_use_id"], "toolu_3");
    assert_eq!(results[1]["is_error"], true);
    let unknown = results[1]["content"].as_str().unwrap();
    assert!(unknown.starts_with("unknown tool `fs.remove`"), "{unknown}");
    assert!(
        unknown.contains("Available tools: fs.read, fs.write."),
        "{unknown}"
    );
}

#[tokio::test]
async fn openai_conversation_with_two_tool_turns() {
    let csv = json!({ "path": "data/a.csv" });
    let write = json!({ "content": "# Summary", "path": "summary.md" });
    let script = Script::new()
        .reply(Reply::ok(&canned::openai_tool_calls(
            None,
            &[("call_1", "fs-read", csv.clone())],
            90,
            10,
        )))
        .reply(Reply::ok(&canned::openai_tool_calls(
            None,
            &[("call_2", "fs-write", write)],
            120,
            25,
        )))
        .reply(Reply::ok(&canned::openai_text("Done.", 160, 4)));
    let server = LoopbackServer::start(script).await.unwrap();
    let (replies, _) = converse(&openai(&server, fast()), request(tools())).await;

    assert_eq!(replies.len(), 3);
    assert_eq!(replies[0].stop, StopReason::ToolUse);
    assert_eq!(
        replies[0].tool_uses().next(),
        Some(("call_1", "fs.read", &csv))
    );
    assert_eq!(replies[2].text(), "Done.");
    assert_eq!(
        replies[2].usage,
        TokenUsage {
            input_tokens: 160,
            output_tokens: 4
        }
    );

    let sent = server.requests();
    assert_eq!(sent.len(), 3);
    for r in &sent {
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("POST", "/v1/chat/completions")
        );
        assert_eq!(r.header("authorization"), Some("Bearer sk-oa-test"));
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.body["model"], "gpt-4o-mini");
        assert_eq!(
            r.body["max_tokens"], 1024,
            "a non-OpenAI base URL gets `max_tokens`"
        );
    }
    let first = &sent[0].body;
    assert_eq!(first["tools"][0]["type"], "function");
    assert_eq!(first["tools"][0]["function"]["name"], "fs-read");
    assert_eq!(
        first["tools"][0]["function"]["parameters"],
        json!({ "type": "object", "properties": { "path": path_schema() },
                "required": ["path"], "additionalProperties": false })
    );
    assert_eq!(
        first["messages"][0],
        json!({ "role": "system", "content": "You are llmos." })
    );

    let third = sent[2].body["messages"].as_array().unwrap().clone();
    let roles: Vec<&str> = third.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(
        roles,
        ["system", "user", "assistant", "tool", "assistant", "tool"]
    );
    let call = &third[2]["tool_calls"][0];
    assert_eq!(
        (&call["id"], &call["type"]),
        (&json!("call_1"), &json!("function"))
    );
    assert_eq!(call["function"]["name"], "fs-read");
    let args = call["function"]["arguments"]
        .as_str()
        .expect("arguments is a JSON string");
    assert_eq!(serde_json::from_str::<Value>(args).unwrap(), csv);
    assert_eq!(third[2]["content"], Value::Null);
    assert_eq!(third[3]["tool_call_id"], "call_1");
    assert_eq!(third[5]["tool_call_id"], "call_2");
    assert!(
        third[5]["content"]
            .as_str()
            .unwrap()
            .starts_with("fs.write ran with")
    );
}

#[tokio::test]
async fn complete_sends_one_plain_user_message() {
    let script = Script::new().reply(Reply::ok(&canned::openai_text("Paris", 12, 1)));
    let server = LoopbackServer::start(script).await.unwrap();
    let model = ModelRef::parse("openai:llama3.1:8b").unwrap();
    let base = format!("{}/v1/", server.url());
    let provider = Provider::new(&model, &base, None).unwrap();
    let (text, usage) = provider.complete("Capital of France?", 16).await.unwrap();
    assert_eq!(
        (text.as_str(), usage),
        (
            "Paris",
            TokenUsage {
                input_tokens: 12,
                output_tokens: 1
            }
        )
    );
    let sent = server.requests();
    assert_eq!(sent[0].path, "/v1/chat/completions");
    assert_eq!(
        sent[0].header("authorization"),
        None,
        "no key, no Authorization header"
    );
    assert_eq!(
        sent[0].body,
        json!({ "model": "llama3.1:8b", "max_tokens": 16,
                "messages": [{ "role": "user", "content": "Capital of France?" }] })
    );
}

#[tokio::test]
async fn request_bytes_are_stable() {
    let reply = Reply::ok(&canned::anthropic_text("ok", 1, 1));
    let server = LoopbackServer::start(Script::new().default_reply(reply))
        .await
        .unwrap();
    let provider = anthropic(&server, fast());
    provider.chat(&request(tools())).await.unwrap();
    provider.chat(&request(tools())).await.unwrap();
    let sent = server.requests();
    assert_eq!(sent[0].raw_body, sent[1].raw_body);
    assert!(sent[0].raw_body.contains("\"input_schema\""));
}
