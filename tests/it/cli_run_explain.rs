//! `llmos run GOAL --explain`: the candidates a goal reaches, how each placeholder bound
//! or why not (value, shape, type) and the decision, without running anything; a miss
//! leaves its reason in the run log; the library keeps each learned param's shape, and a Mixed
//! binding is held to it.

use crate::support::learn::{Ws, anthropic_env, llmos};
use llmos::llm::canned;
use llmos::llm::loopback::{LoopbackServer, Reply, Script};
use serde_json::Value;

/// A workspace that learned `sort names.txt into sorted.txt` (from the corpus).
async fn learned_sort() -> Ws {
    let ws = Ws::new();
    ws.write("names.txt", "mia\nal\n");
    ws.write("cities.txt", "Rome\nOslo\n");
    let rec = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/learning/sort_into/recording.yaml"
    );
    let run = llmos(&ws, &["traces", "import", rec], &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    ws
}

fn run_logs(ws: &Ws) -> Vec<Vec<Value>> {
    let dir = ws.root().join(".llmos/runs");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    paths.sort();
    paths
        .iter()
        .map(|p| llmos::store::RunLog::read(p).unwrap())
        .collect()
}

#[tokio::test]
async fn explain_shows_the_values_their_checks_and_the_decision_and_runs_nothing() {
    let ws = learned_sort().await;
    let goal = "sort names.txt into sorted.txt in reverse order";
    let run = llmos(&ws, &["run", goal, "--explain"], &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = &run.stdout;
    for want in [
        "template: trace 1 `sort {input} into {output}`",
        "{output} = `sorted.txt in reverse order`",
        "type path: ok",
        "shape a path (one token): `sorted.txt in reverse order` is several words",
        "refused: goal parameter `output` takes a path (one token)",
        "decision: learner",
    ] {
        assert!(text.contains(want), "{want:?} in:\n{text}");
    }
    assert!(!ws.root().join("sorted.txt").exists(), "nothing ran");
    assert!(run_logs(&ws).is_empty(), "nothing ran");

    let run = llmos(
        &ws,
        &[
            "run",
            "sort cities.txt into out/c.txt",
            "--explain",
            "--json",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let x = run.json();
    assert_eq!(x["decision"]["mode"], "follower");
    assert_eq!(x["decision"]["params"]["output"], "out/c.txt");
    let c = &x["candidates"][0];
    assert_eq!(c["outcome"], "bound");
    assert_eq!(c["values"][1]["value"], "out/c.txt");
    assert_eq!(c["values"][1]["shape"]["kind"], "path");
    assert_eq!(c["values"][1]["shape_check"], "ok");
    assert!(!ws.root().join("out/c.txt").exists(), "nothing ran");

    // A goal no template reaches.
    let run = llmos(
        &ws,
        &["run", "water the plants", "--explain", "--mode", "follower"],
        &[],
    )
    .await;
    assert!(
        run.stdout
            .contains("templates: none has all its literal words in the goal"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("decision: miss"), "{}", run.stdout);
}

#[tokio::test]
async fn a_follower_miss_leaves_its_reason_in_the_run_log() {
    let ws = learned_sort().await;
    let goal = "sort names.txt into sorted.txt in reverse order";
    let run = llmos(&ws, &["run", goal, "--mode", "follower", "--json"], &[]).await;
    assert_eq!(run.code, 1);
    let out = run.json();
    assert_eq!(out["error"]["kind"], "no_match", "{out}");
    assert_eq!(out["error"]["code"], "no-match", "{out}");
    assert_eq!(out["error"]["step"], Value::Null, "{out}");
    assert!(
        out["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--explain"),
        "{out}"
    );
    assert!(
        run.stderr
            .contains("matches the goal's words but not its value shapes"),
        "{}",
        run.stderr
    );
    let logs = run_logs(&ws);
    assert_eq!(logs.len(), 1);
    assert_eq!(out["run_id"], logs[0][0]["run_id"]);
    let kinds: Vec<&str> = logs[0]
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["run_start", "dispatch", "run_end"]);
    let d = &logs[0][1];
    assert_eq!(d["decision"], "miss");
    assert_eq!(d["refused"][0]["trace"], 1);
    assert!(
        d["reason"].as_str().unwrap().contains("is several words"),
        "{d}"
    );
    assert!(!ws.root().join("sorted.txt").exists());
}

#[tokio::test]
async fn an_auto_miss_tells_the_learners_run_log_why() {
    let ws = learned_sort().await;
    let server = LoopbackServer::start(Script::new().reply(Reply::ok(&canned::anthropic_text(
        "I cannot sort in reverse.",
        300,
        10,
    ))))
    .await
    .unwrap();
    let goal = "sort names.txt into sorted.txt in reverse order";
    let run = llmos(&ws, &["run", goal, "--json"], &anthropic_env(&server)).await;
    assert_eq!(run.json()["mode"], "learner", "{}", run.stderr);
    let logs = run_logs(&ws);
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0][0]["event"], "run_start");
    assert_eq!(logs[0][1]["event"], "dispatch");
    assert_eq!(logs[0][1]["decision"], "miss");
    assert!(
        logs[0][1]["nearest"].is_null(),
        "a goal that means more is no near match"
    );
}

#[tokio::test]
async fn the_library_keeps_each_learned_params_shape() {
    let ws = learned_sort().await;
    let run = llmos(&ws, &["traces", "show", "1", "--json"], &[]).await;
    let t = run.json();
    let params = t["params"].as_array().unwrap();
    assert_eq!(params.len(), 2);
    for p in params {
        assert_eq!(
            p["shape"],
            serde_json::json!({"kind": "path", "quoted": false, "punct": "."}),
            "{t}"
        );
    }
}

#[tokio::test]
async fn a_mixed_binding_that_means_more_than_the_program_does_not_fit() {
    let ws = learned_sort().await;
    // One reply binds the near program's params (one of them several words); the next
    // is the Learner's answer.
    let server = LoopbackServer::start(
        Script::new()
            .reply(Reply::ok(&canned::anthropic_text(
                "{\"input\": \"names.txt\", \"output\": \"sorted.txt in reverse order\"}",
                120,
                10,
            )))
            .reply(Reply::ok(&canned::anthropic_text("I cannot.", 300, 10))),
    )
    .await
    .unwrap();
    let goal = "please sort names.txt into sorted.txt";
    let run = llmos(&ws, &["run", goal, "--json"], &anthropic_env(&server)).await;
    assert!(
        run.stderr.contains("the near program does not fit")
            && run.stderr.contains("is several words"),
        "{}",
        run.stderr
    );
    assert_eq!(run.json()["mode"], "learner");
    assert!(!ws.root().join("sorted.txt in reverse order").exists());
    assert!(!ws.root().join("sorted.txt").exists());
}
