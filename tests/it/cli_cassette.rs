//! Cassettes: `llmos run --record-cassette FILE` saves every LLM exchange of a run, and
//! `LLMOS_MODEL=cassette:FILE` replays them with no network and no key. A request that
//! is not the recorded one fails with a diff; a request past the end fails; neither ever
//! gets a made-up reply.

use std::path::{Path, PathBuf};

use crate::support::learn::{Ws, anthropic_env, llmos, openai_env, word_count_script};
use llmos::llm::canned;
use llmos::llm::loopback::{LoopbackServer, Reply, Script};
use serde_json::{Value, json};

const GOAL: &str = "count the words in data/words.txt";
const TEXT: &str = "alpha beta gamma";

/// The Learner counting the words of data/words.txt, in the Anthropic format.
fn anthropic_script() -> Script {
    word_count_script("data/words.txt", TEXT, &["alpha", "beta", "gamma"])
}

/// The same in the OpenAI format.
fn openai_script() -> Script {
    let words = json!(["alpha", "beta", "gamma"]);
    let calls = [
        ("c1", "fs-read", json!({"path": "data/words.txt"})),
        ("c2", "text-split", json!({"text": TEXT, "sep": ""})),
        ("c3", "list-len", json!({"items": words})),
    ];
    let mut script = Script::new();
    for call in calls {
        script = script.reply(Reply::ok(&canned::openai_tool_calls(
            None,
            &[call],
            400,
            30,
        )));
    }
    script.reply(Reply::ok(&canned::openai_text(
        "data/words.txt has 3 words.",
        500,
        10,
    )))
}

fn words_ws(text: &str) -> Ws {
    let ws = Ws::new();
    ws.write("data/words.txt", text);
    ws
}

fn cassette_env(path: &Path) -> Vec<(&'static str, String)> {
    vec![("LLMOS_MODEL", format!("cassette:{}", path.display()))]
}

/// Learns GOAL against `server`, recording a cassette; returns it and the run's report.
async fn record(env: &[(&'static str, String)]) -> (tempfile::TempDir, PathBuf, Value) {
    let ws = words_ws(TEXT);
    let keep = tempfile::tempdir().unwrap();
    let path = keep.path().join("words.cassette.json");
    let args = [
        "run",
        GOAL,
        "--json",
        "--record-cassette",
        path.to_str().unwrap(),
    ];
    let run = llmos(&ws, &args, env).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "cassette saved: {} (4 LLM exchanges)",
            path.display()
        )),
        "{}",
        run.stderr
    );
    (keep, path, run.json())
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn a_recorded_run_replays_offline_with_the_same_result_and_cost() {
    let server = LoopbackServer::start(anthropic_script()).await.unwrap();
    let (_keep, path, recorded) = record(&anthropic_env(&server)).await;
    let tape = read_json(&path);
    assert_eq!(tape["llmos_cassette"], 1);
    assert_eq!(tape["model"], "anthropic:claude-sonnet-4-5");
    let exchanges = tape["exchanges"].as_array().unwrap();
    assert_eq!(exchanges.len(), 4);
    let first = &exchanges[0];
    assert_eq!(first["request"]["messages"][0]["content"][0]["text"], GOAL);
    assert!(
        first["request"]["tools"]
            .as_array()
            .unwrap()
            .contains(&json!("fs.read"))
    );
    assert_eq!(tape["tools"]["fs.read"]["api_name"], "fs-read");
    assert_eq!(
        first["response"]["usage"],
        json!({"input_tokens": 500, "output_tokens": 40})
    );
    assert_eq!(first["response"]["content"][0]["name"], "fs.read");

    // Replayed in a new workspace: no server, no key.
    for _ in 0..2 {
        let ws = words_ws(TEXT);
        let run = llmos(&ws, &["run", GOAL, "--json"], &cassette_env(&path)).await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        let out = run.json();
        for key in [
            "output",
            "mode",
            "llm_calls",
            "cost_usd",
            "program",
            "input_tokens",
        ] {
            assert_eq!(out[key], recorded[key], "{key}");
        }
    }
    assert_eq!(server.requests().len(), 4, "the replays sent nothing");
}

#[tokio::test]
async fn a_request_that_differs_fails_with_a_diff_and_no_reply() {
    let server = LoopbackServer::start(anthropic_script()).await.unwrap();
    let (_keep, path, _) = record(&anthropic_env(&server)).await;
    let ws = words_ws("alpha beta delta");
    let run = llmos(&ws, &["run", GOAL, "--json"], &cassette_env(&path)).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let out = run.json();
    assert_eq!(out["outcome"], "failure");
    assert_eq!(out["error"]["kind"], "llm", "{out}");
    let error = out["error"]["message"].as_str().unwrap();
    for needle in [
        "request 2 of the run is not the one recorded (exchange 2 of 4)",
        "--- recorded\n+++ this run\n",
        "-          \"content\": \"alpha beta gamma\",",
        "+          \"content\": \"alpha beta delta\",",
    ] {
        assert!(error.contains(needle), "{needle:?} not in\n{error}");
    }
    assert_eq!(
        out["program"],
        Value::Null,
        "nothing learned from a failed replay"
    );
}

#[tokio::test]
async fn a_request_past_the_end_fails() {
    let server = LoopbackServer::start(anthropic_script()).await.unwrap();
    let (_keep, path, _) = record(&anthropic_env(&server)).await;
    let mut tape = read_json(&path);
    tape["exchanges"].as_array_mut().unwrap().pop();
    std::fs::write(&path, tape.to_string()).unwrap();
    let ws = words_ws(TEXT);
    let run = llmos(&ws, &["run", GOAL, "--json"], &cassette_env(&path)).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let error = run.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(
        error.contains("the run sent request 4 but the cassette holds only 3"),
        "{error}"
    );
}

#[tokio::test]
async fn a_cassette_does_not_depend_on_the_wire_format() {
    let server = LoopbackServer::start(openai_script()).await.unwrap();
    let (_keep, path, recorded) = record(&openai_env(&server)).await;
    assert_eq!(read_json(&path)["model"], "openai:gpt-4o-mini");
    let ws = words_ws(TEXT);
    let run = llmos(&ws, &["run", GOAL, "--json"], &cassette_env(&path)).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["output"], recorded["output"]);
}

#[tokio::test]
async fn bad_cassettes_are_named() {
    let ws = words_ws(TEXT);
    let bad = ws.root().join("bad.json");
    std::fs::write(&bad, "{\"llmos_cassette\": 1,\n \"exchanges\": [}").unwrap();
    let run = llmos(&ws, &["run", GOAL], &cassette_env(&bad)).await;
    assert_eq!(run.code, 1);
    let expected = format!("cassette {}: not a cassette: ", bad.display());
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
    assert!(run.stderr.contains("line 2"), "{}", run.stderr);
    let missing = ws.root().join("missing.json");
    let run = llmos(&ws, &["run", GOAL], &cassette_env(&missing)).await;
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("cannot read it"), "{}", run.stderr);
}

#[tokio::test]
async fn a_run_without_llm_calls_records_an_empty_cassette() {
    let ws = words_ws(TEXT);
    let trace = Path::new(env!("CARGO_MANIFEST_DIR")).join("traces/word_count.llt");
    let run = llmos(&ws, &["traces", "import", trace.to_str().unwrap()], &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let path = ws.root().join("empty.json");
    let args = ["run", GOAL, "--record-cassette", path.to_str().unwrap()];
    let run = llmos(&ws, &args, &[]).await;
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "3\n"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("(0 LLM exchanges)"), "{}", run.stderr);
    let tape = read_json(&path);
    assert_eq!(
        (&tape["model"], &tape["exchanges"]),
        (&Value::Null, &json!([]))
    );
    let learn = ["run", GOAL, "--mode", "learner"];
    let run = llmos(&ws, &learn, &cassette_env(&path)).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("it recorded no LLM call"),
        "{}",
        run.stderr
    );
}
