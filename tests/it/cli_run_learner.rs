//! `llmos run GOAL --mode learner` against a loopback server speaking the Anthropic and
//! OpenAI formats: the whole loop with several tool turns, the recording it leaves, the
//! cost it charges, and the capability check on tool calls.

use crate::support::learn::{
    Ws, anthropic_env, last_message, learn, llmos, openai_env, read_recording,
};
use llmos::learn::recording::Outcome;
use llmos::llm::canned;
use llmos::llm::loopback::{LoopbackServer, Reply, Script};
use serde_json::{Value, json};

/// fs.read, text.split, list.len, then a final answer; 2450 input and 140 output tokens.
fn word_count_script() -> Script {
    Script::new()
        .reply(Reply::ok(&canned::anthropic_tool_use(
            None,
            &[("t1", "fs-read", json!({"path": "data/words.txt"}))],
            500,
            40,
        )))
        .reply(Reply::ok(&canned::anthropic_tool_use(
            Some("Now I split it."),
            &[("t2", "text-split", json!({"text": "alpha beta gamma"}))],
            600,
            40,
        )))
        .reply(Reply::ok(&canned::anthropic_tool_use(
            None,
            &[(
                "t3",
                "list-len",
                json!({"items": ["alpha", "beta", "gamma"]}),
            )],
            650,
            40,
        )))
        .reply(Reply::ok(&canned::anthropic_text(
            "data/words.txt has 3 words.",
            700,
            20,
        )))
}

#[tokio::test]
async fn a_full_learner_loop_is_recorded_and_charged() {
    let ws = Ws::new();
    ws.write("data/words.txt", "alpha beta gamma");
    let server = LoopbackServer::start(word_count_script()).await.unwrap();
    let goal = "count the words in data/words.txt";
    let run = learn(&ws, &server, goal, &["--json"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.json();
    assert_eq!(out["output"], "data/words.txt has 3 words.");
    assert_eq!(out["mode"], "learner");
    let program = out["program"]
        .as_str()
        .expect("the learned program is stored");
    assert_eq!(program.len(), 64);
    assert_eq!(out["outcome"], "success");
    assert_eq!(out["llm_calls"], 4);
    // claude-sonnet-4-5: $3 / $15 per million; 2450 in, 140 out.
    assert_eq!(out["cost_usd"], json!(0.00945));
    assert!(out["duration_ms"].is_number());

    // The requests: every built-in tool offered, each tool result sent back in order.
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4);
    assert!(reqs.iter().all(|r| r.path == "/v1/messages"));
    assert_eq!(reqs[0].header("x-api-key"), Some("sk-ant-test"));
    assert_eq!(
        reqs[0].body["tools"].as_array().unwrap().len(),
        llmos::stdlib::table().len()
    );
    assert!(
        reqs[0].body["system"]
            .as_str()
            .unwrap()
            .contains("workspace root")
    );
    assert_eq!(reqs[0].body["messages"][0]["content"][0]["text"], goal);
    let results: Vec<&Value> = reqs[1..]
        .iter()
        .map(|r| &last_message(r)["content"][0])
        .collect();
    assert_eq!(
        *results[0],
        json!({"type": "tool_result", "tool_use_id": "t1", "content": "alpha beta gamma"})
    );
    assert_eq!(results[1]["content"], r#"["alpha","beta","gamma"]"#);
    assert_eq!(results[2]["content"], "3");
    assert_eq!(reqs[3].body["messages"].as_array().unwrap().len(), 7);

    // The recording: exact arguments and results, then the final answer.
    let recordings = ws.recordings();
    assert_eq!(recordings.len(), 1);
    assert_eq!(out["recording"], recordings[0].display().to_string());
    let run_id = out["run_id"].as_str().unwrap();
    assert!(recordings[0].ends_with(format!("{run_id}.yaml")));
    let rec = read_recording(&recordings[0]);
    assert_eq!(rec.goal, goal);
    assert_eq!(rec.model, "anthropic:claude-sonnet-4-5");
    assert_eq!(rec.outcome, Outcome::Success);
    assert_eq!(rec.error, None);
    assert_eq!(
        (
            rec.usage.llm_calls,
            rec.usage.input_tokens,
            rec.usage.output_tokens
        ),
        (4, 2450, 140)
    );
    assert_eq!(rec.usage.cost_micros, 9_450);
    let steps: Vec<(&str, Value, Option<&Value>)> = rec
        .steps
        .iter()
        .map(|s| (s.tool.as_str(), json!(s.args), s.result.as_ref()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (
                "fs.read",
                json!({"path": "data/words.txt"}),
                Some(&json!("alpha beta gamma"))
            ),
            (
                "text.split",
                json!({"text": "alpha beta gamma"}),
                Some(&json!(["alpha", "beta", "gamma"]))
            ),
            (
                "list.len",
                json!({"items": ["alpha", "beta", "gamma"]}),
                Some(&json!(3))
            ),
            (
                "llm.final",
                json!({"text": "data/words.txt has 3 words."}),
                None
            ),
        ]
    );

    // The run log: every LLM call with its tokens and cost, every tool call.
    let log = ws.run_log();
    let kinds: Vec<&str> = log.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "run_start",
            "llm_reserved",
            "llm_call",
            "tool_call",
            "llm_reserved",
            "llm_call",
            "tool_call",
            "llm_reserved",
            "llm_call",
            "tool_call",
            "llm_reserved",
            "llm_call",
            "run_end"
        ]
    );
    // Before each call, what was reserved for it (the whole max_tokens: money enough).
    assert_eq!(log[1]["max_tokens"], 4096);
    assert!(log[1]["reserved_usd"].as_f64().unwrap() > 4096.0 * 15e-6);
    assert_eq!(log[2]["model"], "anthropic:claude-sonnet-4-5");
    assert_eq!(
        (
            log[2]["input_tokens"].as_u64(),
            log[2]["output_tokens"].as_u64()
        ),
        (Some(500), Some(40))
    );
    assert_eq!(log[2]["cost_usd"], json!(0.0021));
    assert_eq!(log[12]["outcome"], "success");
}

#[tokio::test]
async fn the_cost_is_charged_exactly_and_shown_by_budget() {
    let ws = Ws::new();
    ws.write("data/words.txt", "alpha beta gamma");
    let server = LoopbackServer::start(word_count_script()).await.unwrap();
    let env = anthropic_env(&server);
    let run = llmos(
        &ws,
        &[
            "run",
            "count the words in data/words.txt",
            "--mode",
            "learner",
        ],
        &env,
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "data/words.txt has 3 words.\n");

    let budget = llmos(&ws, &["budget", "--json"], &[]).await;
    assert_eq!(budget.code, 0, "{}", budget.stderr);
    let b = budget.json();
    assert_eq!(b["balance_usd"], json!(9.99055));
    assert_eq!(b["spent_usd"], json!(0.00945));
    assert_eq!(b["held_usd"].as_f64(), Some(0.0));
    let charges = b["recent"].as_array().unwrap();
    assert_eq!(charges.len(), 4);
    // Newest first: the final answer's call.
    assert_eq!(charges[0]["input_tokens"], 700);
    assert_eq!(charges[0]["output_tokens"], 20);
    assert_eq!(charges[0]["cost_usd"], json!(0.0024));
    assert_eq!(charges[3]["cost_usd"], json!(0.0021));
    assert!(
        charges
            .iter()
            .all(|c| c["model"] == "anthropic:claude-sonnet-4-5")
    );

    let table = llmos(&ws, &["budget"], &[]).await;
    assert!(
        table
            .stdout
            .starts_with("balance  $9.9906\nspent    $0.0095\n"),
        "{}",
        table.stdout
    );
    assert!(
        table.stdout.contains("   700      20  $0.002400\n"),
        "{}",
        table.stdout
    );
    assert_eq!(
        table.stdout.matches("anthropic:claude-sonnet-4-5").count(),
        4
    );
}

#[tokio::test]
async fn the_same_loop_through_the_openai_format_with_a_price_override() {
    let ws = Ws::new();
    ws.write("data/words.txt", "alpha beta gamma");
    ws.write(
        ".llmos/config.toml",
        "[prices.\"openai:gpt-4o-mini\"]\ninput_per_mtok = 1.0\noutput_per_mtok = 2.0\n",
    );
    let script = Script::new()
        .reply(Reply::ok(&canned::openai_tool_calls(
            None,
            &[("c1", "fs-read", json!({"path": "data/words.txt"}))],
            300,
            10,
        )))
        .reply(Reply::ok(&canned::openai_tool_calls(
            Some("Splitting."),
            &[("c2", "text-split", json!({"text": "alpha beta gamma"}))],
            400,
            10,
        )))
        .reply(Reply::ok(&canned::openai_text("3 words.", 500, 5)));
    let server = LoopbackServer::start(script).await.unwrap();
    let run = llmos(
        &ws,
        &[
            "run",
            "count the words in data/words.txt",
            "--mode",
            "learner",
            "--json",
        ],
        &openai_env(&server),
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.json();
    assert_eq!(out["output"], "3 words.");
    assert_eq!(out["llm_calls"], 3);
    // 1200 in at $1, 25 out at $2 per million.
    assert_eq!(out["cost_usd"], json!(0.00125));

    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    assert!(reqs.iter().all(|r| r.path == "/v1/chat/completions"));
    assert_eq!(reqs[0].header("authorization"), Some("Bearer sk-oa-test"));
    assert_eq!(reqs[0].body["model"], "gpt-4o-mini");
    assert_eq!(reqs[0].body["messages"][0]["role"], "system");
    let tool_msg = last_message(&reqs[1]);
    assert_eq!(
        *tool_msg,
        json!({"role": "tool", "tool_call_id": "c1", "content": "alpha beta gamma"})
    );
    assert_eq!(
        last_message(&reqs[2])["content"],
        r#"["alpha","beta","gamma"]"#
    );

    let rec = read_recording(&ws.recordings()[0]);
    assert_eq!(rec.model, "openai:gpt-4o-mini");
    assert_eq!(rec.steps.len(), 3);
    assert_eq!(rec.steps[1].result, Some(json!(["alpha", "beta", "gamma"])));
    assert_eq!(rec.steps[2].args["text"], "3 words.");
}

#[tokio::test]
async fn a_tool_needing_an_ungranted_capability_is_refused_and_not_run() {
    let ws = Ws::new();
    let script = Script::new()
        .reply(Reply::ok(&canned::anthropic_tool_use(
            None,
            &[("t1", "shell-run", json!({"argv": ["touch", "made.txt"]}))],
            100,
            10,
        )))
        .reply(Reply::ok(&canned::anthropic_text(
            "I may not run programs; pass --allow exec.",
            120,
            10,
        )));
    let server = LoopbackServer::start(script).await.unwrap();
    let run = learn(&ws, &server, "touch made.txt", &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!ws.root().join("made.txt").exists(), "the program was run");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        last_message(&reqs[1])["content"][0],
        json!({
            "type": "tool_result", "tool_use_id": "t1", "is_error": true,
            "content": "capability `exec` not granted; the user can pass --allow exec",
        })
    );
    let rec = read_recording(&ws.recordings()[0]);
    assert_eq!(rec.steps[0].tool, "shell.run");
    assert_eq!(rec.steps[0].args["argv"], json!(["touch", "made.txt"]));
    assert_eq!(rec.steps[0].result, None);
    assert_eq!(
        rec.steps[0].error.as_deref(),
        Some("capability `exec` not granted; the user can pass --allow exec")
    );
}

#[tokio::test]
async fn with_allow_exec_the_same_call_runs() {
    let ws = Ws::new();
    let script = Script::new()
        .reply(Reply::ok(&canned::anthropic_tool_use(
            None,
            &[("t1", "shell-run", json!({"argv": ["touch", "made.txt"]}))],
            100,
            10,
        )))
        .reply(Reply::ok(&canned::anthropic_text("Done.", 120, 10)));
    let server = LoopbackServer::start(script).await.unwrap();
    let run = learn(&ws, &server, "touch made.txt", &["--allow", "exec"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(ws.root().join("made.txt").exists());
    let reqs = server.requests();
    let result = &last_message(&reqs[1])["content"][0];
    assert_eq!(result.get("is_error"), None, "{result}");
    let rec = read_recording(&ws.recordings()[0]);
    assert_eq!(rec.steps[0].result.as_ref().unwrap()["status"], 0);
}
