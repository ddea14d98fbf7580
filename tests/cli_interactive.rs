//! `llmos interactive`: goals one per line; each shows its mode, cost and balance;
//! `exit` leaves, and so does the end of input (Ctrl-D).

use assert_cmd::Command;

#[test]
fn goals_are_taken_one_after_another() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "one two three").unwrap();
    let trace = format!("{}/traces/word_count.llt", env!("CARGO_MANIFEST_DIR"));
    let import = Command::cargo_bin("llmos")
        .unwrap()
        .args(["traces", "import", &trace, "--root"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    let out = Command::cargo_bin("llmos")
        .unwrap()
        .env_remove("LLMOS_MODEL")
        .env_remove("LLMOS_HOME")
        .args(["interactive", "--root"])
        .arg(dir.path())
        .write_stdin("count the words in notes.txt\n\nsomething nobody taught it\nexit\ncount the words in notes.txt\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stdout, "3\n", "the goal after `exit` is not run: {stderr}");
    assert!(
        stderr.contains("llmos> count the words in notes.txt"),
        "{stderr}"
    );
    assert!(
        stderr.contains("[follower · $0.0000 · balance $10.0000]"),
        "{stderr}"
    );
    assert!(
        stderr.contains("no model"),
        "an unmatched goal needs the Learner: {stderr}"
    );
    assert!(stderr.contains("· failed]"), "{stderr}");

    // End of input leaves too.
    let out = Command::cargo_bin("llmos")
        .unwrap()
        .args(["interactive", "--root"])
        .arg(dir.path())
        .write_stdin("")
        .output()
        .unwrap();
    assert!(out.status.success());
}
