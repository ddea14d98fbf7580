//! `llmos demo`: the Learner → Follower loop offline, from the cassette shipped in
//! `examples/demo/cassette.json`. That cassette is made here, by `llmos run
//! --record-cassette` against a scripted stand-in for Claude on loopback: when the
//! requests llmos sends change (the system prompt, a tool's doc), `demo_cassette_is_current`
//! re-records it and fails once; run the tests again.

use std::path::{Path, PathBuf};

use crate::support::learn::{Ws, anthropic_env, llmos};
use llmos::llm::canned;
use llmos::llm::loopback::{LoopbackServer, Reply, Script};
use serde_json::{Value, json};

/// The goal the demo learns (the same as `src/cli/demo.rs`).
const GOAL: &str = "write the statistics of data/sales.csv to reports/sales.json";

fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo")
}

fn run_tool(name: &str, args: &[Value]) -> Value {
    match llmos::tools::call_pure(name, args) {
        Some(Ok(v)) => v,
        other => panic!("{name}: {other:?}"),
    }
}

/// One reply of the scripted Learner: tool calls after an optional remark, with usage
/// of the size a Claude Sonnet run reports (the prompt grows with each result).
fn turn(n: u64, text: Option<&str>, id: &str, tool: &str, input: Value) -> Reply {
    Reply::ok(&canned::anthropic_tool_use(
        text,
        &[(id, tool, input)],
        2900 + 480 * n,
        70 + 15 * n,
    ))
}

/// The Learner reaching the demo goal: read, parse, describe, stringify, write, answer.
fn learner_script() -> Script {
    let csv = std::fs::read_to_string(demo_dir().join("data/sales.csv")).unwrap();
    let table = run_tool("csv.parse", &[json!(csv)]);
    let stats = run_tool("csv.describe", std::slice::from_ref(&table));
    let text = run_tool("json.stringify", &[stats.clone(), json!(true)]);
    let amount = &stats["amount"];
    let answer = format!(
        "Wrote reports/sales.json. amount: min {}, max {}, sum {}",
        amount["min"], amount["max"], amount["sum"]
    );
    let read = "I'll read the CSV file, compute its column statistics with the tools, and write them as JSON.";
    Script::new()
        .reply(turn(
            0,
            Some(read),
            "toolu_01",
            "fs-read",
            json!({"path": "data/sales.csv"}),
        ))
        .reply(turn(1, None, "toolu_02", "csv-parse", json!({"text": csv})))
        .reply(turn(
            2,
            None,
            "toolu_03",
            "csv-describe",
            json!({"table": table}),
        ))
        .reply(turn(
            3,
            None,
            "toolu_04",
            "json-stringify",
            json!({"value": stats, "pretty": true}),
        ))
        .reply(turn(
            4,
            None,
            "toolu_05",
            "fs-write",
            json!({"path": "reports/sales.json", "content": text}),
        ))
        .reply(Reply::ok(&canned::anthropic_text(
            &answer,
            2900 + 480 * 5,
            48,
        )))
}

/// A workspace holding the demo's data files.
fn demo_workspace() -> Ws {
    let ws = Ws::new();
    for name in ["sales.csv", "march.csv", "april.csv"] {
        let text = std::fs::read_to_string(demo_dir().join("data").join(name)).unwrap();
        ws.write(&format!("data/{name}"), &text);
    }
    ws
}

#[tokio::test]
async fn demo_cassette_is_current() {
    let ws = demo_workspace();
    let server = LoopbackServer::start(learner_script()).await.unwrap();
    let fresh = ws.root().join("fresh.json");
    let args = ["run", GOAL, "--record-cassette", fresh.to_str().unwrap()];
    let run = llmos(&ws, &args, &anthropic_env(&server)).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("cassette saved: "), "{}", run.stderr);
    let fresh = std::fs::read_to_string(&fresh).unwrap();
    let shipped_path = demo_dir().join("cassette.json");
    let shipped = std::fs::read_to_string(&shipped_path).unwrap_or_default();
    if fresh != shipped {
        std::fs::write(&shipped_path, &fresh).unwrap();
        panic!(
            "examples/demo/cassette.json did not match what llmos sends now and was re-recorded; \
             run the tests again (and commit it)"
        );
    }
}

#[test]
fn the_demo_learns_once_then_follows_offline() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_llmos"))
        .arg("demo")
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("OPENAI_API_KEY")
        .env_remove("LLMOS_MODEL")
        .env_remove("LLMOS_HOME")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    for needle in [
        "The LLM is a replayed cassette",
        // The Learner's tool calls as they happen.
        "tool  fs.read",
        "tool  fs.write",
        // The compiled program, generalized over both paths.
        "goal \"write the statistics of {input} to {output}\"",
        "let stats = csv.describe(table: table)",
        // The Follower's answers for the new files.
        "Wrote reports/march.json. amount: min 64, max 210, sum 392",
        "Wrote reports/april.json. amount: min 58, max 175, sum 458",
    ] {
        assert!(stdout.contains(needle), "{needle:?} not in\n{stdout}");
    }
    let rows: Vec<Vec<&str>> = stdout
        .lines()
        .filter(|l| l.starts_with("| write the statistics"))
        .map(|l| l.split('|').map(str::trim).collect())
        .collect();
    assert_eq!(rows.len(), 3, "{stdout}");
    let modes: Vec<(&str, &str)> = rows.iter().map(|r| (r[2], r[3])).collect();
    assert_eq!(
        modes,
        [("learner", "6"), ("follower", "0"), ("follower", "0")]
    );
    assert!(
        rows[0][4].starts_with('$') && rows[0][4] != "$0.0000",
        "{stdout}"
    );
    assert_eq!((rows[1][4], rows[2][4]), ("$0.0000", "$0.0000"));
}
