//! `llmos run --mode learner` when things go wrong: overload and rate limits (retried),
//! a bad key, a malformed reply, a budget too small (nothing sent), limits on turns and
//! time, no model configured. A failed run exits 1, stores no program, and keeps its
//! recording (`outcome: failure`) when it made tool calls.

use std::time::Duration;

use crate::support::learn::{Ws, anthropic_env, learn, llmos, openai_env, read_recording};
use llmos::learn::recording::Outcome;
use llmos::llm::canned;
use llmos::llm::loopback::{LoopbackServer, Reply, Script};
use serde_json::json;

fn read_call(id: &str) -> Reply {
    Reply::ok(&canned::anthropic_tool_use(
        None,
        &[(id, "fs-read", json!({"path": "notes.txt"}))],
        100,
        10,
    ))
}

#[tokio::test]
async fn overload_529_then_rate_limit_429_are_retried() {
    let ws = Ws::new();
    let script = Script::new()
        .reply(Reply::json(
            529,
            &canned::anthropic_error("overloaded_error", "Overloaded"),
        ))
        .reply(
            Reply::json(
                429,
                &canned::anthropic_error("rate_limit_error", "Too many requests"),
            )
            .header("retry-after-ms", "20"),
        )
        .reply(Reply::ok(&canned::anthropic_text("Hello.", 100, 10)));
    let server = LoopbackServer::start(script).await.unwrap();
    let run = learn(&ws, &server, "say hello", &["--json"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.json();
    assert_eq!(out["output"], "Hello.");
    assert_eq!(out["llm_calls"], 1, "one call, three attempts");
    assert_eq!(out["cost_usd"], json!(0.00045));
    assert_eq!(server.requests().len(), 3);
    let log = ws.run_log();
    let retries: Vec<_> = log.iter().filter(|e| e["event"] == "llm_retry").collect();
    assert_eq!(retries.len(), 2);
    assert_eq!(retries[0]["status"], 529);
    assert_eq!(retries[1]["status"], 429);
    assert_eq!(retries[1]["retry_in_ms"], 20);
    // A success is recorded even without tool calls: its only step is `llm.final`.
    assert_eq!(ws.recordings().len(), 1);
}

#[tokio::test]
async fn a_bad_key_fails_the_run_and_keeps_a_failure_recording() {
    let ws = Ws::new();
    ws.write("notes.txt", "hi");
    let script = Script::new().reply(read_call("t1")).reply(Reply::json(
        401,
        &canned::anthropic_error("authentication_error", "invalid x-api-key"),
    ));
    let server = LoopbackServer::start(script).await.unwrap();
    let run = learn(&ws, &server, "read notes.txt", &["--json"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "error: anthropic: authentication failed (HTTP 401): invalid x-api-key \
             (authentication_error)"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(server.requests().len(), 2, "a 401 is not retried");
    let out = run.json();
    assert_eq!(out["outcome"], "failure");
    assert_eq!(out["error"]["kind"], "llm");
    assert_eq!(out["error"]["code"], "llm-auth", "the key was refused");
    assert_eq!(out["output"], serde_json::Value::Null);
    assert_eq!(out["program"], serde_json::Value::Null);
    assert_eq!(out["llm_calls"], 2);
    let rec = read_recording(&ws.recordings()[0]);
    assert_eq!(rec.outcome, Outcome::Failure);
    assert!(rec.error.as_deref().unwrap().contains("HTTP 401"));
    assert_eq!(rec.steps.len(), 1);
    assert_eq!(rec.steps[0].result, Some(json!("hi")));
    assert!(rec.steps.iter().all(|s| s.tool != "llm.final"));
    // Only the answered call was charged; the failed call's reservation was released.
    let b = llmos(&ws, &["budget", "--json"], &[]).await.json();
    assert_eq!(b["recent"].as_array().unwrap().len(), 1);
    assert_eq!(b["held_usd"].as_f64(), Some(0.0));
}

#[tokio::test]
async fn a_first_call_rejected_leaves_no_recording() {
    let ws = Ws::new();
    let script = Script::new().reply(Reply::json(
        401,
        &canned::anthropic_error("authentication_error", "invalid x-api-key"),
    ));
    let server = LoopbackServer::start(script).await.unwrap();
    let run = learn(&ws, &server, "say hi", &[]).await;
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("HTTP 401"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(ws.recordings().is_empty());
    let end = ws.run_log().pop().unwrap();
    assert_eq!(end["event"], "run_end");
    assert_eq!(end["outcome"], "failure");
}

#[tokio::test]
async fn a_malformed_reply_fails_the_run() {
    let ws = Ws::new();
    let server =
        LoopbackServer::start(Script::new().reply(Reply::raw(200, "<html>gateway hiccup</html>")))
            .await
            .unwrap();
    let run = learn(&ws, &server, "say hi", &["--json"]).await;
    assert_eq!(run.code, 1);
    assert_eq!(run.json()["error"]["code"], "llm-malformed-reply");
    assert!(
        run.stderr
            .contains("anthropic: malformed reply: the reply is not JSON"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("<html>gateway hiccup</html>"),
        "{}",
        run.stderr
    );
    assert_eq!(server.requests().len(), 1);
    let b = llmos(&ws, &["budget", "--json"], &[]).await.json();
    assert_eq!(b["balance_usd"].as_f64(), Some(10.0));
}

#[tokio::test]
async fn a_provider_that_is_down_is_named_as_unreachable() {
    let ws = Ws::new();
    ws.write(".llmos/config.toml", "[llm]\nmax_attempts = 2\n");
    // A port nothing listens on: every connection is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let env = vec![
        ("LLMOS_MODEL", "anthropic:claude-sonnet-4-5".to_string()),
        ("ANTHROPIC_API_KEY", "sk-ant-test".to_string()),
        ("ANTHROPIC_BASE_URL", format!("http://{addr}")),
    ];
    let args = ["run", "say hi", "--mode", "learner", "--json"];
    let run = llmos(&ws, &args, &env).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("gave up after 2 attempts"),
        "{}",
        run.stderr
    );
    let error = &run.json()["error"];
    assert_eq!(error["kind"], "llm");
    // The retries ended on a refused connection: the code names the cause.
    assert_eq!(error["code"], "llm-unreachable", "{error}");
}

#[tokio::test]
async fn a_slot_s_failed_llm_call_keeps_its_kind_in_exec_json() {
    let ws = Ws::new();
    ws.write("t.llt", "trace t\nlet s: str = ask \"say hi\"\nreturn s\n");
    let refused = Reply::json(
        401,
        &canned::anthropic_error("authentication_error", "invalid x-api-key"),
    );
    let server = LoopbackServer::start(Script::new().reply(refused))
        .await
        .unwrap();
    let env = anthropic_env(&server);
    let run = llmos(&ws, &["exec", "t.llt", "--json"], &env).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let error = run.json()["error"].clone();
    assert_eq!((&error["kind"], &error["step"]), (&json!("llm"), &json!(1)));
    assert_eq!(
        error["code"], "llm-auth",
        "the provider's failure keeps its code"
    );
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("slot `s`: anthropic: authentication failed (HTTP 401)"),
        "{message}"
    );
    // The same inside a block (a `for` over two elements).
    let ws_block = Ws::new();
    ws_block.write(
        "u.llt",
        "trace u\nlet xs = for a in [1, 2] {\n  let q: str = ask \"about {a}\"\n  q\n}\nreturn xs\n",
    );
    let refusing = LoopbackServer::start(Script::new().default_reply(Reply::json(
        401,
        &canned::anthropic_error("authentication_error", "invalid x-api-key"),
    )))
    .await
    .unwrap();
    let run = llmos(
        &ws_block,
        &["exec", "u.llt", "--json"],
        &anthropic_env(&refusing),
    )
    .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let error = &run.json()["error"];
    assert_eq!(
        (&error["kind"], &error["code"]),
        (&json!("llm"), &json!("llm-auth")),
        "{error}"
    );
    // A balance too small: the call is refused before it is sent, as a Learner's is.
    let set = llmos(&ws, &["budget", "--set", "0.000001"], &[]).await;
    assert_eq!(set.code, 0, "{}", set.stderr);
    let run = llmos(&ws, &["exec", "t.llt", "--json"], &env).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let error = &run.json()["error"];
    assert_eq!(error["kind"], "budget", "{error}");
    assert_eq!(error["code"], "budget-exceeded");
    assert_eq!(server.requests().len(), 1, "the refused call was not sent");
}

#[tokio::test]
async fn a_budget_too_small_refuses_before_sending_anything() {
    let ws = Ws::new();
    let server = LoopbackServer::start(Script::new().reply(read_call("t1")))
        .await
        .unwrap();
    let run = learn(&ws, &server, "read notes.txt", &["--budget", "0.000001"]).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("exceeds the run budget --budget $0.000001"),
        "{}",
        run.stderr
    );
    assert!(server.requests().is_empty(), "a request was sent");
    let log = ws.run_log();
    assert!(log.iter().any(|e| e["event"] == "llm_refused"));
    let b = llmos(&ws, &["budget", "--json"], &[]).await.json();
    assert_eq!(b["balance_usd"].as_f64(), Some(10.0));
    assert_eq!(b["held_usd"].as_f64(), Some(0.0));
}

#[tokio::test]
async fn a_balance_too_small_refuses_too() {
    let ws = Ws::new();
    let set = llmos(&ws, &["budget", "--set", "0.001"], &[]).await;
    assert_eq!(set.code, 0, "{}", set.stderr);
    assert!(
        set.stdout.starts_with("balance  $0.0010\n"),
        "{}",
        set.stdout
    );
    let server = LoopbackServer::start(Script::new()).await.unwrap();
    let run = learn(&ws, &server, "say hi", &[]).await;
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("exceeds the balance"), "{}", run.stderr);
    assert!(
        run.stderr.contains("llmos budget --set USD"),
        "{}",
        run.stderr
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn the_turn_limit_ends_the_run() {
    let ws = Ws::new();
    ws.write("notes.txt", "hi");
    let script = Script::new()
        .reply(read_call("t1"))
        .reply(read_call("t2"))
        .reply(read_call("t3"));
    let server = LoopbackServer::start(script).await.unwrap();
    let run = learn(&ws, &server, "read notes.txt", &["--max-turns", "2"]).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("made 2 LLM calls without a final answer"),
        "{}",
        run.stderr
    );
    assert_eq!(server.requests().len(), 2);
    let rec = read_recording(&ws.recordings()[0]);
    assert_eq!(rec.outcome, Outcome::Failure);
    assert_eq!(rec.steps.len(), 2);
}

#[tokio::test]
async fn the_time_limit_stops_a_slow_call() {
    let ws = Ws::new();
    let slow = Reply::ok(&canned::anthropic_text("late", 10, 1)).delay(Duration::from_secs(60));
    let server = LoopbackServer::start(Script::new().reply(slow))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let run = learn(&ws, &server, "say hi", &["--timeout", "300ms"]).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("the run's time limit of 300ms was reached"),
        "{}",
        run.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    let b = llmos(&ws, &["budget", "--json"], &[]).await.json();
    assert_eq!(b["held_usd"].as_f64(), Some(0.0), "the hold was released");
}

#[tokio::test]
async fn no_model_is_a_clear_error() {
    let ws = Ws::new();
    let run = llmos(&ws, &["run", "say hi", "--mode", "learner"], &[]).await;
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: no model: set LLMOS_MODEL or `model` in .llmos/config.toml\n"
    );
    // `--json` reports a run that could not start too; no run log is left behind.
    let run = llmos(&ws, &["run", "say hi", "--mode", "learner", "--json"], &[]).await;
    assert_eq!(run.code, 1);
    let out = run.json();
    assert_eq!(out["mode"], "learner");
    assert_eq!(out["outcome"], "failure");
    assert_eq!(
        (out["llm_calls"].as_u64(), out["cost_usd"].as_f64()),
        (Some(0), Some(0.0))
    );
    assert_eq!(out["error"]["kind"], "model", "{out}");
    assert_eq!(out["error"]["code"], "no-model", "{out}");
    assert!(
        out["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("no model")
    );
    let runs = std::fs::read_dir(ws.root().join(".llmos/runs")).unwrap();
    assert_eq!(runs.count(), 0);
}

#[tokio::test]
async fn a_missing_key_is_named() {
    let ws = Ws::new();
    ws.write(
        ".llmos/config.toml",
        "model = \"anthropic:claude-haiku-4-5\"\n",
    );
    let run = llmos(&ws, &["run", "say hi", "--mode", "learner"], &[]).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("ANTHROPIC_API_KEY is not set"),
        "{}",
        run.stderr
    );
    // `--json` says which part of the model setup failed: the provider's.
    let run = llmos(&ws, &["run", "say hi", "--mode", "learner", "--json"], &[]).await;
    let out = run.json();
    assert_eq!(out["error"]["kind"], "model", "{out}");
    assert_eq!(out["error"]["code"], "provider-setup", "{out}");
    // A setting that names no model is `bad-model`.
    ws.write(".llmos/config.toml", "model = \"gemini:pro\"\n");
    let run = llmos(&ws, &["run", "say hi", "--mode", "learner", "--json"], &[]).await;
    let out = run.json();
    assert_eq!(out["error"]["code"], "bad-model", "{out}");
    let message = out["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("config.toml `model`: bad model `gemini:pro`"),
        "{message}"
    );
}

#[tokio::test]
async fn an_unpriced_local_model_is_free_with_a_warning() {
    let ws = Ws::new();
    let server =
        LoopbackServer::start(Script::new().reply(Reply::ok(&canned::openai_text("hi", 50, 5))))
            .await
            .unwrap();
    let mut env = openai_env(&server);
    env[0].1 = "openai:llama3.1:8b".into();
    env.retain(|(k, _)| *k != "OPENAI_API_KEY");
    let run = llmos(&ws, &["run", "say hi", "--mode", "learner", "--json"], &env).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning: no price is known for `openai:llama3.1:8b`"),
        "{}",
        run.stderr
    );
    assert_eq!(run.json()["cost_usd"].as_f64(), Some(0.0));
    assert_eq!(server.requests()[0].header("authorization"), None);
}

#[tokio::test]
async fn modes_and_flags_that_do_not_apply_are_refused() {
    let ws = Ws::new();
    let run = llmos(&ws, &["run", "say hi", "--mode", "follower"], &[]).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("no stored program matches this goal"),
        "{}",
        run.stderr
    );
    let run = llmos(&ws, &["run", "say hi", "--set", "x=1"], &[]).await;
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("--set x=1"), "{}", run.stderr);
    let run = llmos(&ws, &["run", "say hi", "--allow", "teleport"], &[]).await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown capability `teleport`"),
        "{}",
        run.stderr
    );
    let run = llmos(&ws, &["run", "say hi", "--budget", "-1"], &[]).await;
    assert_eq!(run.code, 2);
    let run = llmos(&ws, &["run", "say hi", "--timeout", "soon"], &[]).await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("`soon` is not a duration"),
        "{}",
        run.stderr
    );
}
