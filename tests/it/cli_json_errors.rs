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

const COUNT: &str = "trace count\ngoal \"count to {n}\"\nparam n: int\nreturn n\n";

/// `exec --json` prints its object when the run never starts too (a bad `--set` value, an
/// unknown param, a program that does not check, a missing file, an unknown id): `ok`
/// false, `run_id` null, the `error` object with `step` null and the message stderr
/// shows; exit 1. `program` and `name` are known once the program loaded.
#[tokio::test]
async fn exec_reports_a_failure_before_the_run_as_the_same_object() {
    let ws = Ws::new();
    ws.write("count.llt", COUNT);
    ws.write("bad.llt", "trace bad\nreturn nope.x(a: 1)\n");
    let cases: [(&[&str], &str, &str, bool); 5] = [
        (
            &["count.llt", "--set", "n=abc"],
            "bad_param",
            "bad-param",
            true,
        ),
        (
            &["count.llt", "--set", "m=1"],
            "unknown_name",
            "unknown-name",
            true,
        ),
        (&["bad.llt"], "check", "unknown-tool", false),
        (&["missing.llt"], "input", "io", false),
        (&["nothing"], "program", "no-program", false),
    ];
    for (args, kind, code, loaded) in cases {
        let args: Vec<&str> = ["exec"]
            .iter()
            .chain(args)
            .chain(&["--json"])
            .copied()
            .collect();
        let r = llmos(&ws, &args, &[]).await;
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        let v = r.json();
        assert_eq!(
            (&v["ok"], &v["mode"]),
            (&json!(false), &json!("follower")),
            "{v}"
        );
        assert_eq!(v["run_id"], Value::Null, "{v}");
        assert_eq!(v["program"].is_string(), loaded, "{args:?}: {v}");
        assert_eq!(v["name"].is_string(), loaded, "{args:?}: {v}");
        let error = &v["error"];
        assert_eq!(
            (&error["kind"], &error["code"], &error["step"]),
            (&json!(kind), &json!(code), &Value::Null),
            "{args:?}: {v}"
        );
        let message = error["message"].as_str().unwrap();
        assert!(r.stderr.contains(message), "{message}\n{}", r.stderr);
        // Without --json: the same message on stderr, nothing on stdout.
        let text = llmos(&ws, &args[..args.len() - 1], &[]).await;
        assert_eq!(text.code, 1);
        assert_eq!(text.stdout, "", "{args:?}");
        assert!(text.stderr.contains(message), "{message}\n{}", text.stderr);
    }
    // The first error and its place are in the message of a program that does not check.
    let r = llmos(&ws, &["exec", "bad.llt", "--json"], &[]).await;
    let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("2:8: unknown tool `nope.x`"), "{message}");
}

/// A workspace that cannot be opened (a malformed config.toml) fails `exec --json` with
/// the run's object, and the other `--json` commands with `{"error": {...}}`.
#[tokio::test]
async fn a_broken_workspace_is_reported_as_data() {
    let ws = Ws::new();
    ws.write("count.llt", COUNT);
    ws.write(".llmos/config.toml", "allow = [\n");
    let exec = llmos(&ws, &["exec", "count.llt", "--set", "n=1", "--json"], &[]).await;
    assert_eq!(exec.code, 1, "{}", exec.stderr);
    let error = exec.json()["error"].clone();
    assert_eq!(
        (&error["kind"], &error["code"]),
        (&json!("workspace"), &json!("workspace"))
    );
    assert!(
        error["message"].as_str().unwrap().contains("config.toml:"),
        "{error}"
    );
    for args in [
        &["config", "--json"][..],
        &["traces", "ls", "--json"],
        &["tools", "--json"],
    ] {
        let r = llmos(&ws, args, &[]).await;
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        let v = r.json();
        assert_eq!(v.as_object().unwrap().len(), 1, "{args:?}: {v}");
        assert_eq!(v["error"]["kind"], "workspace", "{args:?}: {v}");
        assert_eq!(v["error"]["step"], Value::Null, "{args:?}: {v}");
        assert!(r.stderr.starts_with("error: "), "{args:?}: {}", r.stderr);
    }
}

/// `traces show ID --json` for an id the library lacks: exit 1, `{"error": {...}}` with
/// the code `no-trace`.
#[tokio::test]
async fn an_unknown_trace_is_reported_as_data() {
    let ws = Ws::new();
    let r = llmos(&ws, &["traces", "show", "99", "--json"], &[]).await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    let error = r.json()["error"].clone();
    assert_eq!(
        (&error["kind"], &error["code"]),
        (&json!("input"), &json!("no-trace"))
    );
    assert_eq!(
        r.stderr.trim_end(),
        format!("error: {}", error["message"].as_str().unwrap())
    );
}
