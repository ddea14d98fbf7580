//! Ctrl-C (SIGINT) during a Learner run: the LLM call under way is dropped, its budget
//! hold released at once, nothing is charged for it, and the run fails (exit 1) with the
//! failure recording of what it did so far.

use std::time::{Duration, Instant};

use crate::support::learn::{Ws, anthropic_env};
use llmos::llm::canned;
use llmos::llm::loopback::{LoopbackServer, Reply, Script};
use serde_json::json;

#[tokio::test]
async fn sigint_cancels_a_learner_run_and_releases_its_hold() {
    let ws = Ws::new();
    ws.write("a.txt", "alpha beta");
    let script = Script::new()
        .reply(Reply::ok(&canned::anthropic_tool_use(
            None,
            &[("t1", "fs-read", json!({"path": "a.txt"}))],
            500,
            40,
        )))
        .reply(
            Reply::ok(&canned::anthropic_text("never sent in time", 600, 20))
                .delay(Duration::from_secs(30)),
        );
    let server = LoopbackServer::start(script).await.unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmos"));
    cmd.args([
        "run",
        "count the words in a.txt",
        "--mode",
        "learner",
        "--root",
    ])
    .arg(ws.root());
    for (k, v) in anthropic_env(&server) {
        cmd.env(k, v);
    }
    cmd.env_remove("LLMOS_HOME")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let pid = child.id().unwrap();
    // Wait until the second (slow) call is under way.
    let start = Instant::now();
    while server.requests().len() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the second call never came"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let sent = Instant::now();
    std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().await.unwrap();
    assert!(
        sent.elapsed() < Duration::from_secs(5),
        "the run stopped promptly"
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cancelled") && stderr.contains("SIGINT"),
        "{stderr}"
    );
    // One call was charged; the hold of the cancelled one was released, not left to expire.
    let db = llmos::db::Db::open_in(&ws.root().join(".llmos")).unwrap();
    assert_eq!(db.ledger().held_total().unwrap(), 0);
    assert_eq!(db.ledger().recent_charges(10).unwrap().len(), 1);
    // The failure recording keeps the call that was made.
    let recs = ws.recordings();
    assert_eq!(recs.len(), 1);
    let rec = crate::support::learn::read_recording(&recs[0]);
    assert_eq!(rec.outcome, llmos::learn::recording::Outcome::Failure);
    assert_eq!(rec.steps[0].tool, "fs.read");
}
