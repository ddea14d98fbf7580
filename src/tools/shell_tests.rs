//! Tests of `shell.run` (Unix: they run `cat`, `sh`, `pwd`).

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::tools::testutil::{call_async, workspace};
use crate::tools::{Limits, ToolCtx, ToolErrorKind};

#[tokio::test]
async fn stdin_is_written_and_stdout_captured() {
    let (_d, ctx) = workspace();
    let got = call_async(
        &ctx,
        "shell.run",
        &[json!(["cat"]), json!("hello\nworld\n")],
    )
    .await
    .unwrap();
    assert_eq!(
        got,
        json!({"status": 0, "stdout": "hello\nworld\n", "stderr": ""})
    );
    let got = call_async(
        &ctx,
        "shell.run",
        &[json!(["echo", "a b", "$HOME"]), json!("")],
    )
    .await
    .unwrap();
    assert_eq!(
        got["stdout"],
        json!("a b $HOME\n"),
        "no shell expands arguments"
    );
}

#[tokio::test]
async fn non_zero_status_and_stderr() {
    let (_d, ctx) = workspace();
    let argv = json!(["sh", "-c", "echo out; echo err >&2; exit 3"]);
    let got = call_async(&ctx, "shell.run", &[argv, json!("")])
        .await
        .unwrap();
    assert_eq!(
        got,
        json!({"status": 3, "stdout": "out\n", "stderr": "err\n"})
    );
    let argv = json!(["sh", "-c", "kill -9 $$"]);
    let got = call_async(&ctx, "shell.run", &[argv, json!("")])
        .await
        .unwrap();
    assert_eq!(got["status"], json!(null));
}

#[tokio::test]
async fn runs_in_the_root() {
    let (dir, ctx) = workspace();
    std::fs::write(
        dir.path().join("script.sh"),
        "#!/bin/sh\necho from script\n",
    )
    .unwrap();
    let got = call_async(&ctx, "shell.run", &[json!(["pwd"]), json!("")])
        .await
        .unwrap();
    assert_eq!(got["stdout"], json!(format!("{}\n", ctx.root.display())));
    let got = call_async(
        &ctx,
        "shell.run",
        &[json!(["sh", "./script.sh"]), json!("")],
    )
    .await
    .unwrap();
    assert_eq!(got["stdout"], json!("from script\n"));
}

#[tokio::test]
async fn errors() {
    let (_d, ctx) = workspace();
    let e = call_async(
        &ctx,
        "shell.run",
        &[json!(["no-such-program-llmos"]), json!("")],
    )
    .await
    .unwrap_err();
    assert_eq!(
        (e.kind, e.message.as_str()),
        (
            ToolErrorKind::Failed,
            "shell.run: program `no-such-program-llmos` not found"
        )
    );
    let e = call_async(&ctx, "shell.run", &[json!([]), json!("")])
        .await
        .unwrap_err();
    assert_eq!(e.kind, ToolErrorKind::BadArgument);
    assert!(e.message.contains("`argv` is empty"), "{e}");
    let e = call_async(&ctx, "shell.run", &[json!(["echo", 1]), json!("")])
        .await
        .unwrap_err();
    assert_eq!(e.message, "shell.run: argv[1] is int, not text");
}

#[tokio::test]
async fn output_is_limited() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        shell_output_max: 10,
        ..Limits::default()
    };
    let ctx = Arc::new(ToolCtx::with_limits(dir.path(), limits).unwrap());
    let argv = json!(["sh", "-c", "printf 0123456789ABCDEF; printf 'short' >&2"]);
    let got = call_async(&ctx, "shell.run", &[argv, json!("")])
        .await
        .unwrap();
    assert_eq!(
        got["stdout"],
        json!("0123456789\n[... 6 more bytes not kept]")
    );
    assert_eq!(got["stderr"], json!("short"));
    assert_eq!(got["status"], json!(0));
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn dropping_the_call_kills_the_program() {
    let (dir, ctx) = workspace();
    let argv = json!(["sh", "-c", "echo $$ > pid.txt; exec sleep 30"]);
    let call = call_async(&ctx, "shell.run", &[argv, json!("")]);
    assert!(
        tokio::time::timeout(Duration::from_millis(500), call)
            .await
            .is_err()
    );
    let pid = std::fs::read_to_string(dir.path().join("pid.txt")).unwrap();
    let stat = format!("/proc/{}/stat", pid.trim());
    // Gone, or a zombie waiting to be reaped, within a short while.
    let mut dead = false;
    for _ in 0..50 {
        match std::fs::read_to_string(&stat) {
            Err(_) => dead = true,
            Ok(s) => {
                dead = s
                    .rsplit(')')
                    .next()
                    .is_some_and(|rest| rest.trim_start().starts_with('Z'))
            }
        }
        if dead {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(dead, "the program still runs: {stat}");
}
