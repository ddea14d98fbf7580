//! The kernel through `llmos exec`: effect order under any number of jobs, identical
//! runs, the watchdog's time limits, and Ctrl-C / SIGTERM.

use std::time::{Duration, Instant};

use crate::support::cli_exec::{Ws, event_names, stderr, stdout, strip_times};
use predicates::prelude::*;
use serde_json::Value;

/// Writes, appends and reads one file, with a subprocess reading it in between and a
/// write after the subprocess, plus waits that run beside them.
const EFFECTS: &str = r#"trace effects
param n: str
let w1 = time.sleep(ms: 3)
fs.write(path: "f.txt", content: "v{n}")
let a = fs.read(path: "f.txt")
fs.append(path: "f.txt", content: "+")
let cat = shell.run(argv: ["cat", "f.txt"])
fs.write(path: "f.txt", content: "final")
let b = fs.read(path: "f.txt")
let w2 = time.sleep(ms: 2)
return "{a}|{cat.stdout}|{b}|{w1}{w2}"
"#;

#[cfg(unix)]
#[test]
fn reads_see_the_writes_before_them_whatever_the_jobs() {
    let ws = Ws::new();
    ws.write("e.llt", EFFECTS);
    for i in 0..12 {
        let jobs = if i % 2 == 0 { "1" } else { "64" };
        let n = i.to_string();
        ws.exec(&[
            "e.llt",
            "--allow",
            "exec",
            "--jobs",
            jobs,
            "--set",
            &format!("n={n}"),
        ])
        .assert()
        .success()
        .stdout(format!("v{n}|v{n}+|final|32\n"));
        assert_eq!(ws.read("f.txt"), "final");
    }
}

#[test]
fn two_runs_give_the_same_output_files_and_log() {
    let ws = Ws::new();
    let f = ws.example("fan_out.llt");
    ws.write("a.txt", "alpha");
    ws.write("b.txt", "be");
    ws.write("c.txt", "c");
    let run = || {
        let out = ws
            .exec(&[
                &f, "--set", "a=a.txt", "--set", "b=b.txt", "--set", "c=c.txt",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        (stdout(&out), ws.files())
    };
    let (out1, files1) = run();
    let (out2, files2) = run();
    assert_eq!(out1, out2);
    assert_eq!(files1, files2);
    let logs = ws.run_logs();
    assert_eq!(logs.len(), 2);
    assert_ne!(logs[0][0]["run_id"], logs[1][0]["run_id"]);
    assert_eq!(strip_times(&logs[0]), strip_times(&logs[1]));
    // the five tool steps (3 reads, 2 waits), then the three lengths, stringify and write
    let steps: Vec<&str> = logs[0]
        .iter()
        .filter(|e| e["event"] == "step_finished")
        .map(|e| e["tool"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "fs.read",
            "fs.read",
            "fs.read",
            "time.sleep",
            "time.sleep",
            "text.len",
            "text.len",
            "text.len",
            "json.stringify",
            "fs.write"
        ]
    );
}

#[test]
fn the_run_time_limit_stops_a_long_step_and_names_it() {
    let ws = Ws::new();
    ws.write(
        "slow.llt",
        "trace slow\nlet quick = time.sleep(ms: 1)\nlet w = time.sleep(ms: 10000)\n\
         fs.write(path: \"done.txt\", content: \"{w}\")\n",
    );
    let t = Instant::now();
    ws.exec(&["slow.llt", "--timeout", "200ms"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "the run went over its time limit of 200ms while step 2 (`w`) `time.sleep` was running",
        ));
    let took = t.elapsed();
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert!(took >= Duration::from_millis(200), "took {took:?}");
    assert!(!ws.path("done.txt").exists());
    let log = &ws.run_logs()[0];
    assert_eq!(
        event_names(log),
        [
            "run_started",
            "step_started",
            "step_finished",
            "step_started",
            "step_cancelled",
            "run_cancelled",
            "run_finished"
        ]
    );
    let end = log.last().unwrap();
    assert_eq!(end["ok"], false);
    assert_eq!(end["error_kind"], "run_timeout");
}

#[test]
fn a_step_time_limit_fails_the_step() {
    let ws = Ws::new();
    ws.write(
        "slow.llt",
        "trace slow\nlet w = time.sleep(ms: 10000)\nreturn w\n",
    );
    let t = Instant::now();
    let out = ws
        .exec(&["slow.llt", "--step-timeout", "150ms", "--json"])
        .output()
        .unwrap();
    assert!(t.elapsed() < Duration::from_secs(8));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("step 1 (`w`) `time.sleep` went over its time limit of 150ms"),
        "{}",
        stderr(&out)
    );
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["error"]["kind"], "step_timeout");
    assert_eq!(v["error"]["step"], 1);
}

#[cfg(unix)]
#[test]
fn a_timed_out_subprocess_is_killed() {
    let ws = Ws::new();
    ws.write(
        "sub.llt",
        "trace sub\nlet r = shell.run(argv: [\"sh\", \"-c\", \"sleep 1; echo late > late.txt\"])\n\
         return r.status\n",
    );
    let t = Instant::now();
    ws.exec(&["sub.llt", "--allow", "exec", "--timeout", "200ms"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("step 1 (`r`) `shell.run`"));
    // The subprocess would write at 1 s; well after that, nothing is there.
    assert!(t.elapsed() < Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(1300));
    assert!(!ws.path("late.txt").exists(), "the subprocess kept running");
}

/// Starts a long run, waits until it has started, sends `signal`, and returns the exit
/// status, how long the run took after the signal, and its log.
#[cfg(unix)]
fn interrupt(signal: &str) -> (std::process::ExitStatus, Duration, Vec<Value>, String) {
    let ws = Ws::new();
    ws.write(
        "long.llt",
        "trace long\nlet w = time.sleep(ms: 20000)\nfs.write(path: \"done.txt\", content: \"{w}\")\n",
    );
    let child = ws
        .std_exec(&["long.llt"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let runs = ws.path(".llmos/runs");
    let started = Instant::now();
    while std::fs::read_dir(&runs)
        .map(|mut d| d.next().is_none())
        .unwrap_or(true)
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the run never started"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(50));
    let sent = Instant::now();
    let kill = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let took = sent.elapsed();
    assert!(!ws.path("done.txt").exists());
    let log = ws.run_logs().remove(0);
    (out.status, took, log, stderr(&out))
}

#[cfg(unix)]
#[test]
fn ctrl_c_cancels_cleanly() {
    let (status, took, log, err) = interrupt("-INT");
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert!(
        err.contains("the run was cancelled (interrupted by SIGINT) while step 1 (`w`) `time.sleep` was running"),
        "{err}"
    );
    let cancelled = log.iter().find(|e| e["event"] == "run_cancelled").unwrap();
    assert_eq!(cancelled["reason"], "interrupted by SIGINT");
    assert!(
        log.iter()
            .any(|e| e["event"] == "step_cancelled" && e["op"] == 0)
    );
    let end = log.last().unwrap();
    assert_eq!(
        (end["event"].as_str(), end["error_kind"].as_str()),
        (Some("run_finished"), Some("cancelled"))
    );
}

#[cfg(unix)]
#[test]
fn sigterm_cancels_cleanly() {
    let (status, took, log, err) = interrupt("-TERM");
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(took < Duration::from_secs(8));
    assert!(
        log.iter()
            .any(|e| e["event"] == "run_cancelled" && e["reason"] == "terminated by SIGTERM")
    );
}

#[test]
fn the_first_failure_in_source_order_is_reported() {
    let ws = Ws::new();
    // step 2 fails late, step 3 fails at once: step 2 is the one reported
    ws.write(
        "two.llt",
        "trace two\nlet w = time.sleep(ms: 150)\nlet a = fs.read(path: \"missing-{w}.txt\")\n\
         let b = fs.read(path: \"also-missing.txt\")\n",
    );
    for jobs in ["1", "8"] {
        ws.exec(&["two.llt", "--jobs", jobs])
            .assert()
            .code(1)
            .stderr(predicate::str::contains(
                "step 2 (`a`) `fs.read`: no such file: missing-150.txt",
            ));
    }
}

#[test]
fn run_time_checks_name_the_step() {
    let ws = Ws::new();
    ws.write(
        "chk.llt",
        "trace chk\nlet v = json.parse(text: \"{{\\\"n\\\": \\\"x\\\"}}\")\n\
         let n = text.len(text: v.n)\nlet m: int = v.missing\nreturn n\n",
    );
    ws.exec(&["chk.llt"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "step 3 (`m`): the object has no field `missing`",
        ));
    ws.write(
        "idx.llt",
        "trace idx\nlet xs = text.split(text: \"a b\")\nreturn xs[5]\n",
    );
    ws.exec(&["idx.llt"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "the `return` value: index 5 is out of range for a list of 2 elements",
        ));
    ws.write(
        "ty.llt",
        "trace ty\nlet v = json.parse(text: \"[1, 2]\")\nreturn text.len(text: v)\n",
    );
    ws.exec(&["ty.llt"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("expected str, found list"));
}
