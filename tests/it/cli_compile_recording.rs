//! `llmos compile REC.yaml`: recordings compile to stored programs whose slot answers are
//! seeded into the slot cache; `--emit llt` prints the learned source.

use assert_cmd::Command;

fn llmos(dir: &std::path::Path) -> Command {
    Command::from_std(crate::support::llmos_command(dir))
}

fn rec(name: &str) -> String {
    format!(
        "{}/tests/spec_examples/recordings/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn a_recording_compiles_stores_and_seeds_its_slots() {
    let dir = tempfile::tempdir().unwrap();
    let out = llmos(dir.path())
        .args(["compile", &rec("sales_summary.yaml")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(id.len(), 64);
    let stored = dir
        .path()
        .join(".llmos/objects")
        .join(&id[..2])
        .join(&id[2..]);
    assert_eq!(
        blake3::hash(&std::fs::read(stored).unwrap())
            .to_hex()
            .as_str(),
        id
    );
    let db = llmos::db::Db::open_in(&dir.path().join(".llmos")).unwrap();
    assert_eq!(
        db.slots().count().unwrap(),
        1,
        "the recorded summary is the cached answer"
    );
    // The stored source is the learned trace.
    let listing = llmos(dir.path())
        .args(["disasm", &id[..8]])
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(
        listing.contains("goal \"summarize {input} into {output}\""),
        "{listing}"
    );
    assert!(listing.contains("ask"), "{listing}");
}

#[test]
fn emit_llt_prints_source_that_checks() {
    let dir = tempfile::tempdir().unwrap();
    let out = llmos(dir.path())
        .args(["compile", &rec("word_count.yaml"), "--emit", "llt"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let src = String::from_utf8(out.stdout).unwrap();
    assert!(src.contains("goal \"count the words in {input}\""), "{src}");
    std::fs::write(dir.path().join("learned.llt"), &src).unwrap();
    let check = llmos(dir.path())
        .args(["check", "learned.llt"])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let fmt = llmos(dir.path())
        .args(["fmt", "--check", "learned.llt"])
        .output()
        .unwrap();
    assert!(
        fmt.status.success(),
        "emitted source is already in canonical layout"
    );
}

#[test]
fn failed_and_malformed_recordings_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("failed.yaml"),
        "llmos_recording: 1\ngoal: g\noutcome: failure\nerror: boom\nsteps:\n  - tool: fs.read\n    args: { path: a }\n    error: nope\n",
    )
    .unwrap();
    let out = llmos(dir.path())
        .args(["compile", "failed.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("outcome is `failure`"));
    std::fs::write(
        dir.path().join("bad.yaml"),
        "llmos_recording: 1\ngoal: [unclosed\n",
    )
    .unwrap();
    let out = llmos(dir.path())
        .args(["compile", "bad.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad.yaml:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
