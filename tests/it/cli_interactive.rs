//! `llmos interactive`: goals one per line; each shows its mode, cost and balance;
//! `exit` leaves, and so does the end of input (Ctrl-D).

use assert_cmd::Command;

/// A workspace whose library holds `traces/word_count.llt`.
fn with_word_count() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let trace = format!("{}/traces/word_count.llt", env!("CARGO_MANIFEST_DIR"));
    let import = Command::cargo_bin("llmos")
        .unwrap()
        .args(["traces", "import", &trace, "--root"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&import.stderr);
    assert!(import.status.success(), "{stderr}");
    dir
}

#[test]
fn goals_are_taken_one_after_another() {
    let dir = with_word_count();
    std::fs::write(dir.path().join("notes.txt"), "one two three").unwrap();
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

/// `help`, `:mode`, `:budget`, `:traces` and `:quit` are commands: none reaches the LLM
/// (a loopback server stands ready and must see no request).
#[tokio::test(flavor = "multi_thread")]
async fn commands_are_never_sent_to_the_llm() {
    use llmos::llm::loopback::{LoopbackServer, Script};
    use tokio::io::AsyncWriteExt as _;

    let dir = with_word_count();
    let server = LoopbackServer::start(Script::new()).await.unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmos"))
        .args(["interactive", "--root"])
        .arg(dir.path())
        .env_remove("LLMOS_HOME")
        .env("LLMOS_MODEL", "anthropic:claude-sonnet-4-5")
        .env("ANTHROPIC_API_KEY", "sk-ant-test")
        .env("ANTHROPIC_BASE_URL", server.url())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lines = "help\n:help\n:mode\n:mode follower\n:mode sideways\n:budget\n:budget 0.5\n\
                 :traces\n:nonsense\nsomething nobody taught it\n:quit\nsomething else\n";
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(lines.as_bytes()).await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(server.requests().len(), 0, "no LLM request: {stderr}");
    assert_eq!(
        stdout.matches(":mode [MODE]").count(),
        2,
        "help twice: {stdout}"
    );
    for needle in [
        "mode auto\nmode follower\n",
        "balance $10.0000 · limit per goal none\n",
        "balance $10.0000 · limit per goal $0.5000\n",
        "count the words in {file}",
    ] {
        assert!(stdout.contains(needle), "{needle:?} not in\n{stdout}");
    }
    for needle in [
        "error: `sideways` is not a mode",
        "error: unknown command `:nonsense`; `help` lists them",
        // In follower mode, an unknown goal fails without the Learner.
        "no stored program matches this goal",
    ] {
        assert!(stderr.contains(needle), "{needle:?} not in\n{stderr}");
    }
    assert!(
        !stderr.contains("something else"),
        "nothing runs after :quit: {stderr}"
    );
}
