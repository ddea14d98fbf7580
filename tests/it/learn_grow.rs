//! Programs grow branches (issue 12): a followed program that stops at a failed `expect`
//! hands the goal to the Learner; the Learner's program is merged into the stored one at
//! that guard, and the merged program (a new id, its parent in the lineage) replaces it
//! and serves both cases with no LLM call. Through the real binary, with a loopback LLM.

use crate::support::learn::{Ws, llmos, run_against};
use llmos::llm::canned;
use llmos::llm::loopback::{Reply, Script};
use serde_json::{Value, json};

/// The Learner checking whether `path` exists (the tool says `exists`) and answering.
fn exists_script(path: &str, answer: &str) -> Script {
    Script::new()
        .reply(Reply::ok(&canned::anthropic_tool_use(
            None,
            &[("t1", "fs-exists", json!({ "path": path }))],
            400,
            30,
        )))
        .reply(Reply::ok(&canned::anthropic_text(answer, 450, 5)))
}

async fn follow(ws: &Ws, goal: &str) -> Value {
    let run = llmos(ws, &["run", goal, "--mode", "follower", "--json"], &[]).await;
    assert_eq!(run.code, 0, "{goal}: {}\n{}", run.stdout, run.stderr);
    run.json()
}

#[tokio::test]
async fn a_goal_the_program_stops_on_grows_it_a_branch_that_serves_both_cases() {
    let ws = Ws::new();
    ws.write("config.yaml", "a: 1\n");
    ws.write("notes.txt", "n\n");

    // Goal A, learned: the program holds to what it saw (`expect exists == true`).
    let (run, _) = run_against(
        &ws,
        exists_script("config.yaml", "yes"),
        "does config.yaml exist?",
    )
    .await;
    assert_eq!(run.json()["mode"], "learner");
    let first = ws.traces();
    assert_eq!(first.len(), 1, "{first:?}");
    let parent = first[0]["program"].as_str().unwrap().to_owned();

    // Goal B, same template: the program stops at its guard; the Learner solves it, and
    // its program becomes the guard's other branch.
    let (run, server) = run_against(
        &ws,
        exists_script("missing.txt", "no"),
        "does missing.txt exist?",
    )
    .await;
    let out = run.json();
    assert_eq!(out["mode"], "learner", "{out}");
    assert_eq!(out["output"], "no");
    assert!(
        run.stderr.contains("does not apply to this goal"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("merged a branch at"), "{}", run.stderr);
    assert_eq!(server.requests().len(), 2);

    // One entry for the template: the merged program replaced its parent.
    let now = ws.traces();
    assert_eq!(now.len(), 1, "{now:?}");
    assert_eq!(now[0]["goal"], first[0]["goal"]);
    let merged = now[0]["program"].as_str().unwrap().to_owned();
    assert_ne!(merged, parent);
    let id = now[0]["id"].to_string();

    // It serves A-like and B-like goals in follower mode, with no LLM.
    for (goal, answer) in [
        ("does notes.txt exist?", "yes"),
        ("does config.yaml exist?", "yes"),
        ("does nowhere.md exist?", "no"),
        ("does missing.txt exist?", "no"),
    ] {
        let out = follow(&ws, goal).await;
        assert_eq!(out["mode"], "follower", "{goal}: {out}");
        assert_eq!(out["output"], answer, "{goal}: {out}");
        assert_eq!(out["llm_calls"], 0, "{goal}: {out}");
        assert_eq!(out["program"], merged.as_str(), "{goal}: {out}");
    }

    // The lineage names the parent, in JSON and in text.
    let show = llmos(&ws, &["traces", "show", &id, "--json"], &[]).await;
    let shown = show.json();
    assert_eq!(shown["lineage"][0]["parent"], parent.as_str(), "{shown}");
    assert_eq!(shown["lineage"][0]["program"], merged.as_str(), "{shown}");
    let llt = shown["llt"].as_str().unwrap();
    assert!(llt.contains("if exists == true"), "{llt}");
    let show = llmos(&ws, &["traces", "show", &id], &[]).await;
    assert!(
        show.stdout.contains(&format!("grew from {parent}")),
        "{}",
        show.stdout
    );
}

#[tokio::test]
async fn a_new_recording_of_another_shape_stays_a_separate_program_and_says_why() {
    let ws = Ws::new();
    ws.write("config.yaml", "a: 1\n");
    run_against(
        &ws,
        exists_script("config.yaml", "yes"),
        "does config.yaml exist?",
    )
    .await;

    // The Learner looked at a list that depends on the goal and used nothing of it: its
    // program is literal (the exact goal), so it cannot be the other branch.
    let script = Script::new()
        .reply(Reply::ok(&canned::anthropic_tool_use(
            None,
            &[("t1", "fs-exists", json!({ "path": "missing.txt" }))],
            400,
            30,
        )))
        .reply(Reply::ok(&canned::anthropic_tool_use(
            None,
            &[("t2", "fs-glob", json!({ "pattern": "missing.txt*" }))],
            400,
            30,
        )))
        .reply(Reply::ok(&canned::anthropic_text("no", 450, 5)));
    let (run, _) = run_against(&ws, script, "does missing.txt exist?").await;
    assert!(
        run.stderr.contains(
            "kept beside the stored one it could not be merged into: the new recording could \
             not be generalized"
        ),
        "{}",
        run.stderr
    );
    let all = ws.traces();
    assert_eq!(all.len(), 2, "{all:?}");
    // The first program still serves where it applies.
    let out = follow(&ws, "does config.yaml exist?").await;
    assert_eq!(out["output"], "yes");
}
