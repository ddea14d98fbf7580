//! The Follower's fast path through the CLI: a run that the library snapshot serves counts
//! its success in the usage log, which the next command that opens the database folds in;
//! a damaged snapshot is rebuilt; a removed trace is not followed any more.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

fn llmos(root: &Path, args: &[&str]) -> Output {
    crate::support::llmos_command(root)
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .expect("llmos runs")
}

/// A workspace with two notes and the bundled word-count trace imported.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("notes")).unwrap();
    std::fs::write(dir.path().join("notes/a.txt"), "one two three\n").unwrap();
    std::fs::write(dir.path().join("notes/b.txt"), "four five\n").unwrap();
    let trace = format!("{}/traces/word_count.llt", env!("CARGO_MANIFEST_DIR"));
    let import = llmos(dir.path(), &["traces", "import", &trace]);
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    dir
}

fn follow(root: &Path, file: &str) -> Value {
    let goal = format!("count the words in {file}");
    let out = llmos(root, &["run", &goal, "--mode", "follower", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn uses(root: &Path) -> u64 {
    let out = llmos(root, &["traces", "ls", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v[0]["usage_count"].as_u64().unwrap()
}

#[test]
fn follower_successes_go_to_the_usage_log_until_the_database_is_opened() {
    let ws = workspace();
    let state = ws.path().join(".llmos");
    assert_eq!(follow(ws.path(), "notes/a.txt")["output"], 3);
    assert_eq!(follow(ws.path(), "notes/b.txt")["output"], 2);
    let log = std::fs::read_to_string(state.join("llmos.db-usage")).unwrap();
    assert_eq!(log.lines().count(), 2, "{log}");
    assert!(log.lines().all(|l| l.starts_with("1 ")), "{log}");
    // `traces ls` opens the database, which folds the log in and removes it.
    assert_eq!(uses(ws.path()), 2);
    assert!(!state.join("llmos.db-usage").exists());
    assert_eq!(follow(ws.path(), "notes/a.txt")["output"], 3);
    assert_eq!(uses(ws.path()), 3);
}

#[test]
fn a_damaged_snapshot_is_rebuilt_by_the_next_run() {
    let ws = workspace();
    let snap = ws.path().join(".llmos/llmos.db-library");
    let good = std::fs::read(&snap).unwrap();
    for damage in [
        b"garbage".to_vec(),
        good[..good.len() / 2].to_vec(),
        Vec::new(),
    ] {
        std::fs::write(&snap, damage).unwrap();
        let out = follow(ws.path(), "notes/a.txt");
        assert_eq!(
            (&out["mode"], &out["output"]),
            (&"follower".into(), &3.into())
        );
        assert_eq!(std::fs::read(&snap).unwrap(), good, "rebuilt as it was");
    }
    std::fs::remove_file(&snap).unwrap();
    assert_eq!(follow(ws.path(), "notes/b.txt")["output"], 2);
    assert_eq!(std::fs::read(&snap).unwrap(), good);
}

#[test]
fn a_removed_trace_is_not_followed() {
    let ws = workspace();
    assert_eq!(follow(ws.path(), "notes/a.txt")["output"], 3);
    let rm = llmos(ws.path(), &["traces", "rm", "1"]);
    assert!(
        rm.status.success(),
        "{}",
        String::from_utf8_lossy(&rm.stderr)
    );
    let out = llmos(
        ws.path(),
        &[
            "run",
            "count the words in notes/a.txt",
            "--mode",
            "follower",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no stored program matches this goal"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
