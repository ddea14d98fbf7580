//! Every command whose result goes to stdout exits 1 with a message when stdout cannot
//! take it: a full device (`> /dev/full`) or a pipe whose reader is gone. Never a panic
//! (exit 101), never a silent exit 0. A command added without a case here fails
//! `every_command_has_a_case`.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

use clap::CommandFactory;

const MESSAGE: &str = "error: cannot write the output to stdout";

/// A workspace with a stored trace that has a goal, a compiled program and data.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("notes.txt"), "one two three\n").unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("traces");
    for name in ["word_count.llt", "hello.llt"] {
        std::fs::copy(src.join(name), root.join(name)).unwrap();
    }
    let ok = llmos(root, &["traces", "import", "word_count.llt"], Stdio::null());
    assert_eq!(ok, 0);
    let ok = llmos(
        root,
        &["compile", "hello.llt", "-o", "hello.llb"],
        Stdio::null(),
    );
    assert_eq!(ok, 0);
    // A signing key and a shared folder for `keys` and `remote`.
    assert_eq!(llmos(root, &["keys", "generate"], Stdio::null()), 0);
    std::fs::create_dir(root.join("shared")).unwrap();
    let config = format!("[remote]\nurl = \"file://{}/shared\"\n", root.display());
    std::fs::write(root.join(".llmos/config.toml"), config).unwrap();
    dir
}

fn command(root: &Path, args: &[&str]) -> Command {
    let mut cmd = crate::support::llmos_command(root);
    cmd.args(args).stdin(Stdio::null());
    cmd
}

fn llmos(root: &Path, args: &[&str], stdout: Stdio) -> i32 {
    let out = command(root, args).stdout(stdout).output().unwrap();
    out.status.code().unwrap_or(-1)
}

/// One invocation of each command that prints a result, with what it needs on stdin.
fn cases() -> Vec<(&'static str, Vec<&'static str>, &'static str)> {
    vec![
        ("check", vec!["check", "--json", "hello.llt"], ""),
        ("fmt", vec!["fmt", "-"], "trace t\nreturn  1\n"),
        ("compile", vec!["compile", "hello.llt"], ""),
        ("disasm", vec!["disasm", "hello.llb"], ""),
        ("graph", vec!["graph", "hello.llb"], ""),
        ("store", vec!["store", "gc", "--grace", "0s"], ""),
        ("exec", vec!["exec", "hello.llb"], ""),
        ("tools", vec!["tools"], ""),
        ("run", vec!["run", "count the words in notes.txt"], ""),
        ("budget", vec!["budget"], ""),
        ("traces", vec!["traces", "ls"], ""),
        (
            "interactive",
            vec!["interactive"],
            "count the words in notes.txt\n",
        ),
        ("remote", vec!["remote", "status"], ""),
        ("keys", vec!["keys", "show"], ""),
        ("demo", vec!["demo"], ""),
        ("completions", vec!["completions", "bash"], ""),
        ("man", vec!["man"], ""),
        ("config", vec!["config"], ""),
        (
            "mcp",
            vec!["mcp", "serve"],
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}\n",
        ),
        ("--help", vec!["--help"], ""),
        ("--version", vec!["--version"], ""),
    ]
}

/// Runs `args` with `stdout`, feeding `stdin`; asserts exit 1 and the message.
fn assert_refused(root: &Path, name: &str, args: &[&str], stdin: &str, stdout: Stdio) {
    let mut child = command(root, args)
        .stdin(Stdio::piped())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = stdin.to_owned();
    let mut pipe = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let _ = std::io::Write::write_all(&mut pipe, input.as_bytes());
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
    assert!(stderr.contains(MESSAGE), "{name}: {stderr}");
    assert!(!stderr.contains("panicked"), "{name}: {stderr}");
}

#[test]
fn a_full_stdout_fails_every_command() {
    let ws = workspace();
    for (name, args, stdin) in cases() {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        assert_refused(ws.path(), name, &args, stdin, Stdio::from(full));
    }
}

#[test]
fn a_closed_pipe_fails_every_command() {
    let ws = workspace();
    for (name, args, stdin) in cases() {
        // The reading end is closed before the process starts: its first write fails.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        assert_refused(ws.path(), name, &args, stdin, Stdio::from(writer));
    }
}

/// Commands that print nothing on stdout: a full stdout does not concern them.
const NO_STDOUT: [&str; 1] = ["init"];

#[test]
fn commands_without_a_result_do_not_write_stdout() {
    let ws = workspace();
    for name in NO_STDOUT {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        assert_eq!(llmos(ws.path(), &[name], Stdio::from(full)), 0, "{name}");
    }
}

#[test]
fn every_command_has_a_case() {
    let mut covered: BTreeSet<&str> = cases().iter().map(|(name, _, _)| *name).collect();
    covered.extend(NO_STDOUT);
    for sub in llmos::cli::Cli::command().get_subcommands() {
        let name = sub.get_name();
        assert!(
            covered.contains(name) || name == "help",
            "`llmos {name}` has no case in tests/it/cli_stdout_errors.rs"
        );
    }
}
