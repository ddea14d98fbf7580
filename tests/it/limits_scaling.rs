//! Inputs that once took quadratic time: an object literal of 100,000 keys in `llmos
//! check` (the duplicate-key scan) and a 100,000-step recording in `llmos compile`
//! (data flow). Both run through the binary; the time asserted is the child's CPU time
//! (what the algorithm costs, whatever else the machine is doing), and the compile is
//! checked to grow linearly (a test build is unoptimized: the release timings are in
//! `benches/frontend.rs`).

use crate::support::long_recording::{long_json_recording, long_recording};
use std::path::Path;
use std::process::Command;

/// Runs the binary with `args`; its exit code, stdout, stderr and CPU seconds (user +
/// system, measured by bash's `time`, so nothing else running in the test counts).
fn timed(args: &[&str]) -> (i32, String, String, f64) {
    let dir = tempfile::tempdir().unwrap();
    let (out, err, time) = (
        dir.path().join("out"),
        dir.path().join("err"),
        dir.path().join("time"),
    );
    let status = Command::new("bash")
        .arg("-c")
        .arg(r#"TIMEFORMAT='%U %S'; { time "$@" >"$OUT" 2>"$ERR"; } 2>"$TIME""#)
        .arg("timed")
        .arg(env!("CARGO_BIN_EXE_llmos"))
        .args(args)
        .env("OUT", &out)
        .env("ERR", &err)
        .env("TIME", &time)
        .current_dir(dir.path())
        .status()
        .unwrap();
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    let cpu: f64 = read(&time)
        .split_whitespace()
        .map(|t| t.parse::<f64>().unwrap())
        .sum();
    (status.code().unwrap_or(-1), read(&out), read(&err), cpu)
}

fn object_trace(keys: usize, duplicate: bool) -> String {
    let mut src = String::from("trace t\nlet o = {\n");
    for i in 0..keys {
        src.push_str(&format!("  k{i}: {i},\n"));
    }
    if duplicate {
        src.push_str("  k7: 0,\n");
    }
    src.push_str("}\nreturn o\n");
    src
}

#[test]
fn an_object_of_100000_keys_checks_in_linear_time() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.llt");
    std::fs::write(&file, object_trace(100_000, false)).unwrap();
    let (code, _, stderr, cpu) = timed(&["check", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    // Growth, not an absolute time (CPU time too stretches on a busy machine): the
    // quadratic scan took 25 times as long for 5 times the keys (73 s at 100,000).
    std::fs::write(&file, object_trace(20_000, false)).unwrap();
    let (code, _, stderr, small) = timed(&["check", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        cpu < 12.0 * small.max(0.05) && cpu < 30.0,
        "check of 100,000 keys took {cpu:.2} s of CPU, of 20,000 keys {small:.2} s"
    );

    // The duplicate is still found, at the end of the object.
    std::fs::write(&file, object_trace(100_000, true)).unwrap();
    let (code, _, stderr, _) = timed(&["check", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("key `k7` appears twice"), "{stderr}");
}

fn compile_cpu(steps: usize) -> (f64, String) {
    compile_text_cpu(&long_recording(steps))
}

fn compile_text_cpu(recording: &str) -> (f64, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rec.yaml");
    std::fs::write(&file, recording).unwrap();
    let (code, stdout, stderr, cpu) = timed(&["compile", "--emit", "llt", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    (cpu, stdout)
}

#[test]
fn a_100000_step_recording_compiles_in_linear_time() {
    let (small, _) = compile_cpu(20_000);
    let (large, source) = compile_cpu(100_000);
    // Generalized, every step named and chained to the one before.
    assert!(source.contains("param input: path"), "{}", &source[..400]);
    let tail = &source[source.len().saturating_sub(400)..];
    assert!(
        tail.contains(
            "let replaced_50000 = text.replace(text: trimmed_49999, from: \"99996\", to: \"99998\")"
        ),
        "{tail}"
    );
    assert!(tail.ends_with("return trimmed_50000\n"), "{tail}");
    // Five times the steps: linear is ~5x (measured 5.2x), n log n ~6x; quadratic was
    // ~25x. CPU time, not wall time: a busy machine stretches both runs alike.
    assert!(
        large < small * 8.0 + 1.0,
        "20,000 steps took {small:.2} s of CPU, 100,000 took {large:.2} s"
    );
    // And cheap in itself: the unoptimized test build took 20 s of CPU on a loaded
    // 2-core machine (the release build: docs/PERFORMANCE.md); 60 s leaves room for a
    // slower machine, not for a path that grows again.
    assert!(
        large < 60.0,
        "100,000 steps took {large:.2} s of CPU in the test build"
    );
}

/// The recording of the automata's worst case (`benches/frontend.rs` times 70,000 steps of
/// it): among thousands of known numbers and names, each name is linked to the field of
/// the record parsed just before it, never to an older equal-looking value.
#[test]
fn many_known_numbers_link_each_name_to_its_own_record() {
    let (_, source) = compile_text_cpu(&long_json_recording(4_000));
    assert_eq!(source.matches("json.parse(").count(), 2_000, "{source}");
    assert!(source.contains("text.upper(text: data.name)"), "{source}");
    for record in [2, 1_000, 2_000] {
        let upper = format!("text.upper(text: data_{record}.name)");
        assert!(source.contains(&upper), "no `{upper}` in {source}");
    }
}
