//! The budget is a hard cap, through `llmos run --mode learner` against a loopback
//! provider: 8 concurrent runs against a provider that over-reports usage never take the
//! balance below zero (each overrun is charged what the balance can pay, recorded with
//! the provider named, and stops its run); `max_tokens` is lowered to what the balance
//! can pay; a run killed with SIGKILL while its call is in flight has its hold charged at
//! the reserved amount by the next process that looks.

use std::time::{Duration, Instant};

use crate::support::learn::{Ws, anthropic_env, learn, llmos};
use llmos::llm::canned;
use llmos::llm::loopback::{LoopbackServer, Reply, Script};
use serde_json::{Value, json};

fn read_call(input_tokens: u64, output_tokens: u64) -> Reply {
    Reply::ok(&canned::anthropic_tool_use(
        None,
        &[("t1", "fs-read", json!({"path": "notes.txt"}))],
        input_tokens,
        output_tokens,
    ))
}

async fn budget(ws: &Ws) -> Value {
    let run = llmos(ws, &["budget", "--json"], &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json()
}

fn micros(v: &Value) -> i64 {
    (v.as_f64().unwrap() * 1e6).round() as i64
}

#[tokio::test]
async fn eight_runs_against_an_over_reporting_provider_never_overdraw() {
    let ws = Ws::new();
    ws.write("notes.txt", "hi");
    assert_eq!(llmos(&ws, &["budget", "--set", "0.09"], &[]).await.code, 0);
    // Every reply claims 40,000 tokens each way: $0.72 at $3 / $15 per million.
    let server = LoopbackServer::start(Script::new().default_reply(read_call(40_000, 40_000)))
        .await
        .unwrap();
    let goal = "read notes.txt";
    let runs = futures::future::join_all((0..8).map(|_| learn(&ws, &server, goal, &[]))).await;

    let b = budget(&ws).await;
    assert!(micros(&b["balance_usd"]) >= 0, "{b:#}");
    assert_eq!(micros(&b["held_usd"]), 0, "{b:#}");
    let charged: i64 = b["recent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| micros(&c["cost_usd"]))
        .sum();
    assert_eq!(
        charged,
        90_000 - micros(&b["balance_usd"]),
        "charges add up: {b:#}"
    );

    let overran: Vec<_> = runs
        .iter()
        .filter(|r| r.stderr.contains("budget overrun"))
        .collect();
    assert!(!overran.is_empty(), "{}", runs[0].stderr);
    for r in &runs {
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(
            r.stderr
                .contains("budget overrun: anthropic reported 40000 input and 40000 output")
                || r.stderr.contains("LLM call refused"),
            "{}",
            r.stderr
        );
    }
    // An overrun stops its run: one request each, no second turn.
    assert_eq!(server.requests().len(), overran.len());
    let overruns = b["overruns"].as_array().unwrap();
    assert_eq!(overruns.len(), overran.len(), "{b:#}");
    for o in overruns {
        assert_eq!(o["provider"], "anthropic");
        assert_eq!(o["model"], "anthropic:claude-sonnet-4-5");
        assert_eq!(micros(&o["cost_usd"]), 720_000);
        assert!(micros(&o["charged_usd"]) <= micros(&o["cost_usd"]));
        assert!(micros(&o["reserved_usd"]) < 720_000);
    }
}

#[tokio::test]
async fn max_tokens_is_lowered_to_what_the_balance_can_pay() {
    let ws = Ws::new();
    ws.write("notes.txt", "hi");
    // Enough for the input estimate and some, not for 4096 output tokens ($0.06).
    let server = LoopbackServer::start(
        Script::new()
            .reply(read_call(100, 10))
            .reply(Reply::ok(&canned::anthropic_text("It says hi.", 120, 5))),
    )
    .await
    .unwrap();
    // The first request's input estimate, from a run with plenty of money.
    let probe = learn(&ws, &server, "read notes.txt", &["--json"]).await;
    assert_eq!(probe.code, 0, "{}", probe.stderr);
    let log = ws.run_log();
    let reserved = log.iter().find(|e| e["event"] == "llm_reserved").unwrap();
    assert_eq!(reserved["max_tokens"], 4096);
    let full = micros(&reserved["reserved_usd"]);
    let input = full - 4096 * 15; // $15 per million output tokens: 15 micro-dollars each

    let ws = Ws::new();
    ws.write("notes.txt", "hi");
    // Room for 300 output tokens beyond the input estimate.
    let balance = input + 300 * 15;
    let set = format!("{}", balance as f64 / 1e6);
    assert_eq!(llmos(&ws, &["budget", "--set", &set], &[]).await.code, 0);
    // The reply costs $0.0033 (100 in, 200 out): too little is left for a second turn.
    server.push(read_call(100, 200));
    let before = server.requests().len();
    let run = learn(&ws, &server, "read notes.txt", &["--json"]).await;
    let sent = &server.requests()[before];
    let asked = sent.body["max_tokens"].as_u64().unwrap();
    assert!((256..=300).contains(&asked), "max_tokens {asked}");
    let b = budget(&ws).await;
    assert!(micros(&b["balance_usd"]) >= 0, "{b:#}");
    // The second turn could not pay even 256 tokens: refused, nothing sent.
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("LLM call refused"), "{}", run.stderr);
    assert_eq!(server.requests().len(), before + 1);
}

#[tokio::test]
async fn a_killed_runs_hold_is_charged_at_its_reserved_amount() {
    let ws = Ws::new();
    let hung = Reply::ok(&canned::anthropic_text("late", 10, 1)).delay(Duration::from_secs(60));
    let server = LoopbackServer::start(Script::new().default_reply(hung))
        .await
        .unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmos"));
    cmd.args(["run", "say hello", "--mode", "learner", "--root"])
        .arg(ws.root())
        .current_dir(ws.root())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    for name in ["OPENAI_API_KEY", "OPENAI_BASE_URL", "LLMOS_HOME"] {
        cmd.env_remove(name);
    }
    cmd.envs(anthropic_env(&server));
    let mut child = cmd.spawn().unwrap();
    let started = Instant::now();
    while server.requests().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no request came"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.start_kill().unwrap(); // SIGKILL: no destructor, no release
    child.wait().await.unwrap();

    let log = ws.run_log();
    let reserved = log.iter().find(|e| e["event"] == "llm_reserved").unwrap();
    let amount = micros(&reserved["reserved_usd"]);
    assert!(amount > 0);
    let b = budget(&ws).await;
    let recent = b["recent"].as_array().unwrap();
    assert_eq!(recent.len(), 1, "{b:#}");
    assert_eq!(recent[0]["kind"], "expired_hold");
    assert_eq!(recent[0]["model"], "anthropic:claude-sonnet-4-5");
    assert_eq!(micros(&recent[0]["cost_usd"]), amount);
    assert_eq!(micros(&b["balance_usd"]), 10_000_000 - amount);
    assert_eq!(micros(&b["held_usd"]), 0);
    // Charged once.
    let again = budget(&ws).await;
    assert_eq!(again["recent"].as_array().unwrap().len(), 1);
    assert_eq!(again["balance_usd"], b["balance_usd"]);
}
