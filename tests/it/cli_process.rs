//! The binary's own entry point (src/main.rs takes over from Rust's runtime start on
//! Linux): closed standard streams are reopened on /dev/null, a write to a closed pipe is
//! an error and not death by SIGPIPE, exit codes are what the CLI says.

use std::process::Command;

fn sh(script: &str) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_llmos"))
        .output()
        .expect("sh runs")
}

#[test]
fn closed_standard_streams_do_not_break_a_run() {
    // "$0" is llmos. With stdout and stdin closed, printing must still succeed.
    let out = sh(r#""$0" --version >&- <&-; echo "exit $?""#);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "exit 0\n");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn writing_to_a_program_that_does_not_read_is_not_fatal() {
    // `true` exits without reading its stdin: writing 1 MiB to it fails with EPIPE.
    let dir = tempfile::tempdir().unwrap();
    let big = "x".repeat(1 << 20);
    std::fs::write(
        dir.path().join("t.llt"),
        format!("trace t\nlet r = shell.run(argv: [\"true\"], stdin: \"{big}\")\nreturn r\n"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_llmos"))
        .args(["exec", "t.llt", "--allow", "exec", "--root"])
        .arg(dir.path())
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "killed or failed: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn exit_codes() {
    let code = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_llmos"))
            .args(args)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(code(&["--version"]), Some(0));
    assert_eq!(code(&["no-such-command"]), Some(2));
    assert_eq!(code(&["check", "/no/such/file.llt"]), Some(1));
}
