//! Retries, backoff and every failure of an LLM call, against a real HTTP server on
//! 127.0.0.1 (`llm::loopback`) with small backoffs so the file runs in about a second.

use std::time::{Duration, Instant};

use crate::support::llm::*;
use llmos::llm::loopback::{LoopbackServer, Reply, Script};
use llmos::llm::{CallConfig, LlmError, ModelRef, Provider, ProviderKind, TimeLimit, canned};
use serde_json::json;

#[tokio::test]
async fn overloaded_529_is_retried_after_a_backoff() {
    let overloaded = canned::anthropic_error("overloaded_error", "Overloaded");
    let script = Script::new()
        .reply(Reply::json(529, &overloaded))
        .reply(Reply::ok(&canned::anthropic_text("fine", 5, 1)));
    let server = LoopbackServer::start(script).await.unwrap();
    let (log, mut on_attempt) = observed();
    let reply = anthropic(&server, fast())
        .chat_observed(&request(vec![]), &mut on_attempt)
        .await
        .unwrap();
    assert_eq!(reply.text(), "fine");
    let sent = server.requests();
    assert_eq!(sent.len(), 2);
    let log = log.lock().unwrap().clone();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].status, Some(529));
    assert!(
        log[0]
            .error
            .as_deref()
            .unwrap()
            .contains("Overloaded (overloaded_error)")
    );
    let wait = log[0].retry_in.expect("a retry was planned");
    assert!(
        wait <= Duration::from_millis(20),
        "first backoff is at most the base: {wait:?}"
    );
    assert!(gap(&sent, 0) >= wait, "the client waited before retrying");
    assert_eq!(
        (log[1].status, log[1].error.clone(), log[1].retry_in),
        (Some(200), None, None)
    );
    assert_eq!(
        sent[0].raw_body, sent[1].raw_body,
        "a retry sends the same bytes"
    );
}

#[tokio::test]
async fn rate_limit_429_waits_as_retry_after_says() {
    let limited = canned::openai_error("rate_limit_error", "Rate limit reached");
    let script = Script::new()
        .reply(Reply::json(429, &limited).header("retry-after", "1"))
        .reply(Reply::ok(&canned::openai_text("fine", 5, 1)));
    let server = LoopbackServer::start(script).await.unwrap();
    let (log, mut on_attempt) = observed();
    let reply = openai(&server, fast())
        .chat_observed(&request(vec![]), &mut on_attempt)
        .await
        .unwrap();
    assert_eq!(reply.text(), "fine");
    let sent = server.requests();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        log.lock().unwrap()[0].retry_in,
        Some(Duration::from_secs(1))
    );
    assert!(
        gap(&sent, 0) >= Duration::from_secs(1),
        "waited {:?}",
        gap(&sent, 0)
    );
}

#[tokio::test]
async fn auth_and_client_errors_are_not_retried() {
    let bad_key = canned::anthropic_error("authentication_error", "invalid x-api-key");
    let server = LoopbackServer::start(Script::new().reply(Reply::json(401, &bad_key)))
        .await
        .unwrap();
    let err = anthropic(&server, fast())
        .chat(&request(vec![]))
        .await
        .unwrap_err();
    assert!(matches!(err, LlmError::Auth { status: 401, .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "anthropic: authentication failed (HTTP 401): invalid x-api-key (authentication_error)"
    );
    assert_eq!(server.requests().len(), 1);

    let forbidden = canned::openai_error("invalid_request_error", "model not allowed");
    let bad_request = canned::openai_error("invalid_request_error", "max_tokens is too large");
    let script = Script::new()
        .reply(Reply::json(403, &forbidden))
        .reply(Reply::json(400, &bad_request));
    let server = LoopbackServer::start(script).await.unwrap();
    let provider = openai(&server, fast());
    let err = provider.chat(&request(vec![])).await.unwrap_err();
    assert!(matches!(err, LlmError::Auth { status: 403, .. }), "{err:?}");
    assert!(err.to_string().starts_with("openai: ") && err.to_string().contains("not allowed"));
    let err = provider.chat(&request(vec![])).await.unwrap_err();
    assert!(matches!(err, LlmError::Http { status: 400, .. }), "{err:?}");
    assert!(err.to_string().contains("max_tokens is too large"));
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn repeated_500_exhausts_the_retries() {
    let script = Script::new().default_reply(Reply::json(
        500,
        &canned::anthropic_error("api_error", "boom"),
    ));
    let server = LoopbackServer::start(script).await.unwrap();
    let config = CallConfig {
        max_attempts: 3,
        ..fast()
    };
    let err = anthropic(&server, config)
        .chat(&request(vec![]))
        .await
        .unwrap_err();
    match &err {
        LlmError::RetriesExhausted {
            provider,
            attempts,
            last,
        } => {
            assert_eq!((*provider, *attempts), (ProviderKind::Anthropic, 3));
            assert!(
                matches!(**last, LlmError::Http { status: 500, .. }),
                "{last:?}"
            );
        }
        other => panic!("expected RetriesExhausted, got {other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("anthropic: gave up after 3 attempts"),
        "{err}"
    );
    assert_eq!(server.requests().len(), 3);
}

async fn malformed(provider: ProviderKind, replies: Vec<Reply>) -> Vec<String> {
    let count = replies.len();
    let script = replies.into_iter().fold(Script::new(), Script::reply);
    let server = LoopbackServer::start(script).await.unwrap();
    let p = match provider {
        ProviderKind::Anthropic => anthropic(&server, fast()),
        ProviderKind::OpenAi => openai(&server, fast()),
    };
    let mut messages = Vec::new();
    for _ in 0..count {
        match p.chat(&request(tools())).await {
            Err(e @ LlmError::Malformed { .. }) => messages.push(e.to_string()),
            other => panic!("expected Malformed, got {other:?}"),
        }
    }
    assert_eq!(
        server.requests().len(),
        count,
        "malformed replies are not retried"
    );
    messages
}

#[tokio::test]
async fn malformed_anthropic_replies_name_what_is_wrong() {
    let bad_input =
        canned::anthropic_tool_use(None, &[("t", "fs-read", json!("data/a.csv"))], 1, 1);
    let mut no_usage = canned::anthropic_text("hi", 1, 1);
    no_usage.as_object_mut().unwrap().remove("usage");
    let got = malformed(
        ProviderKind::Anthropic,
        vec![
            Reply::raw(200, "<html>gateway</html>"),
            Reply::ok(&json!({ "id": "msg", "stop_reason": "end_turn" })),
            Reply::ok(&bad_input),
            Reply::ok(&no_usage),
            Reply::ok(&json!([1, 2])),
        ],
    )
    .await;
    let expected = [
        "the reply is not JSON",
        "no `content` array",
        "`content[0]` (tool_use `fs-read`): `input` is not a JSON object",
        "`usage.input_tokens`",
        "not a JSON object",
    ];
    for (msg, want) in got.iter().zip(expected) {
        assert!(msg.starts_with("anthropic: malformed reply: "), "{msg}");
        assert!(msg.contains(want), "{msg} should say {want}");
    }
}

#[tokio::test]
async fn malformed_openai_replies_name_what_is_wrong() {
    let mut bad_args = canned::openai_tool_calls(None, &[("c", "fs-read", json!({}))], 1, 1);
    bad_args["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] =
        json!("{\"path\": ");
    let mut list_args = bad_args.clone();
    list_args["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] = json!("[1]");
    let got = malformed(
        ProviderKind::OpenAi,
        vec![
            Reply::raw(200, "not json at all"),
            Reply::ok(&json!({ "choices": [], "usage": {} })),
            Reply::ok(&json!({ "choices": [{ "message": { "content": null } }] })),
            Reply::ok(&bad_args),
            Reply::ok(&list_args),
        ],
    )
    .await;
    let expected = [
        "the reply is not JSON",
        "no `choices`",
        "neither `content` nor `tool_calls`",
        "`choices[0].message.tool_calls[0]` (`fs-read`): `arguments` is not valid JSON",
        "`arguments` is not a JSON object",
    ];
    for (msg, want) in got.iter().zip(expected) {
        assert!(msg.starts_with("openai: malformed reply: "), "{msg}");
        assert!(msg.contains(want), "{msg} should say {want}");
    }
}

#[tokio::test]
async fn a_slow_reply_times_out() {
    let slow = Reply::ok(&canned::anthropic_text("late", 1, 1)).delay(Duration::from_secs(3));
    let server = LoopbackServer::start(Script::new().default_reply(slow))
        .await
        .unwrap();
    let limit = Duration::from_millis(200);
    let once = CallConfig {
        max_attempts: 1,
        timeout: limit,
        ..fast()
    };
    let started = Instant::now();
    let err = anthropic(&server, once)
        .chat(&request(vec![]))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        LlmError::Timeout {
            provider: ProviderKind::Anthropic,
            limit,
            which: TimeLimit::Request,
        }
    );
    assert_eq!(
        err.to_string(),
        "anthropic: no complete reply within 200ms (`[llm] request_timeout` in config.toml)"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    let twice = CallConfig {
        max_attempts: 2,
        timeout: limit,
        ..fast()
    };
    let err = anthropic(&server, twice)
        .chat(&request(vec![]))
        .await
        .unwrap_err();
    match err {
        LlmError::RetriesExhausted {
            attempts: 2, last, ..
        } => {
            assert!(matches!(*last, LlmError::Timeout { .. }), "{last:?}")
        }
        other => panic!("expected RetriesExhausted, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn a_closed_port_is_a_connection_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let model = ModelRef::parse("openai:local").unwrap();
    let base = format!("http://127.0.0.1:{port}/v1");
    let provider = Provider::new(&model, &base, None)
        .unwrap()
        .with_config(CallConfig {
            max_attempts: 2,
            ..fast()
        });
    match provider.chat(&request(vec![])).await.unwrap_err() {
        LlmError::RetriesExhausted {
            attempts: 2, last, ..
        } => {
            assert!(matches!(*last, LlmError::Connect { .. }), "{last:?}");
            assert!(
                last.to_string().starts_with("openai: connection failed"),
                "{last}"
            );
        }
        other => panic!("expected RetriesExhausted, got {other:?}"),
    }
}
