//! `llmos run --json` and `llmos exec --json` report a failure as the same `error`
//! object: `kind`, `code`, `message` and `step` (counted from 1), with the same values
//! when the same program fails the same way.

use crate::support::learn::{Ws, llmos};
use serde_json::{Value, json};

const TRACE: &str = "trace shout\ngoal \"shout the words of {file}\"\nparam file: path\n\
    let text = fs.read(path: file)\nreturn text.upper(text: text)\n";

#[tokio::test]
async fn run_and_exec_report_the_same_error_object() {
    let ws = Ws::new();
    ws.write("shout.llt", TRACE);
    let import = llmos(&ws, &["traces", "import", "shout.llt"], &[]).await;
    assert_eq!(import.code, 0, "{}", import.stderr);
    let goal = "shout the words of missing.txt";
    let run = llmos(&ws, &["run", goal, "--mode", "follower", "--json"], &[]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let run_error = run.json()["error"].clone();
    let args = ["exec", "shout.llt", "--set", "file=missing.txt", "--json"];
    let exec = llmos(&ws, &args, &[]).await;
    assert_eq!(exec.code, 1, "{}", exec.stderr);
    let exec_error = exec.json()["error"].clone();
    assert_eq!(run_error, exec_error);
    let mut keys: Vec<&String> = run_error.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["code", "kind", "message", "step"]);
    assert_eq!(run_error["kind"], "tool");
    assert_eq!(run_error["code"], "step-failed");
    assert_eq!(run_error["step"], 1);
    assert!(
        run_error["message"]
            .as_str()
            .unwrap()
            .contains("missing.txt"),
        "{run_error}"
    );
}

#[tokio::test]
async fn a_goal_that_nothing_serves_has_no_step() {
    let ws = Ws::new();
    let run = llmos(
        &ws,
        &["run", "water the plants", "--mode", "follower", "--json"],
        &[],
    )
    .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let error = run.json()["error"].clone();
    assert_eq!(
        (&error["kind"], &error["code"], &error["step"]),
        (&json!("no_match"), &json!("no-match"), &Value::Null)
    );
    // Success: `error` is null.
    ws.write("hi.llt", "trace hi\ngoal \"say hi\"\nreturn \"hi\"\n");
    let import = llmos(&ws, &["traces", "import", "hi.llt"], &[]).await;
    assert_eq!(import.code, 0, "{}", import.stderr);
    let run = llmos(&ws, &["run", "say hi", "--json"], &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["error"], Value::Null);
}
