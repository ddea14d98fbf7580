//! `shell.run`: a program run directly (no shell in between) in the workspace root.
//!
//! `argv[0]` is the program, looked up on `PATH` unless it contains a `/`; a relative
//! program path with a `/` (`./build.sh`) is taken from the workspace root. The
//! environment is inherited. `stdin` is written to the program's input, which is then
//! closed. Of stdout and of stderr, the first [`Limits::shell_output_max`](super::Limits)
//! bytes are kept (decoded as UTF-8, invalid bytes replaced); the rest is read and
//! dropped, and a last line `[... N more bytes not kept]` says so. The result is
//! `{status, stdout, stderr}`, `status` being `null` when a signal ended the program.
//!
//! When the call's future is dropped (the watchdog's time limit, a cancelled run), the
//! program is killed (`kill_on_drop`). Processes it started itself are not.

use std::io::ErrorKind;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Map;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use super::registry::{Body, Builtin};
use super::{ToolCtx, ToolError, ToolFuture, arg_list, arg_str};
use crate::value::{Value, kind_of};

/// Time limit of one `shell.run`.
pub const TIMEOUT: Duration = Duration::from_secs(60);

pub(crate) const TOOLS: &[Builtin] = &[Builtin {
    name: "shell.run",
    params: &["argv", "stdin"],
    timeout: TIMEOUT,
    body: Body::Pending(run),
}];

fn argv_of(args: &[Value]) -> Result<Vec<String>, ToolError> {
    let items = arg_list(args, 0, "argv")?;
    if items.is_empty() {
        return Err(ToolError::bad_argument(
            "shell.run: `argv` is empty; its first element is the program to run",
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.as_str().map(str::to_owned).ok_or_else(|| {
                ToolError::bad_argument(format!("shell.run: argv[{i}] is {}, not text", kind_of(v)))
            })
        })
        .collect()
}

fn run(ctx: &Arc<ToolCtx>, args: &[Value]) -> ToolFuture {
    let argv = argv_of(args);
    let stdin = arg_str(args, 1, "stdin").map(str::to_owned);
    let ctx = Arc::clone(ctx);
    Box::pin(async move {
        let (argv, stdin) = (argv?, stdin?);
        let (program, rest) = argv
            .split_first()
            .ok_or_else(|| ToolError::bad_argument("shell.run: `argv` is empty"))?;
        let path = if program.contains('/') && !program.starts_with('/') {
            ctx.root.join(program)
        } else {
            program.into()
        };
        let mut child = tokio::process::Command::new(&path)
            .args(rest)
            .current_dir(&ctx.root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| match e.kind() {
                ErrorKind::NotFound => {
                    ToolError::failed(format!("shell.run: program `{program}` not found"))
                }
                _ => ToolError::failed(format!("shell.run: cannot start `{program}`: {e}")),
            })?;
        let input = child.stdin.take();
        let write = async move {
            if let Some(mut input) = input {
                // A program that exits without reading its input is not an error.
                let _ = input.write_all(stdin.as_bytes()).await;
            }
        };
        let max = ctx.limits.shell_output_max;
        let (_, out, err, status) = tokio::join!(
            write,
            capture(child.stdout.take(), max),
            capture(child.stderr.take(), max),
            child.wait()
        );
        let io = |e: std::io::Error| ToolError::failed(format!("shell.run `{program}`: {e}"));
        let status = status.map_err(io)?;
        let mut result = Map::new();
        result.insert(
            "status".into(),
            status.code().map_or(Value::Null, Value::from),
        );
        result.insert("stdout".into(), Value::String(out.map_err(io)?));
        result.insert("stderr".into(), Value::String(err.map_err(io)?));
        Ok(Value::Object(result))
    })
}

/// Reads a stream to its end, keeping the first `max` bytes.
async fn capture(stream: Option<impl AsyncRead + Unpin>, max: usize) -> std::io::Result<String> {
    let Some(mut stream) = stream else {
        return Ok(String::new());
    };
    let mut kept = Vec::new();
    let mut dropped = 0_u64;
    let mut buf = vec![0_u8; 8192];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        let chunk = buf.get(..n).unwrap_or_default();
        let room = max.saturating_sub(kept.len()).min(n);
        kept.extend_from_slice(&chunk[..room]);
        dropped += (n - room) as u64;
    }
    let mut text = String::from_utf8_lossy(&kept).into_owned();
    if dropped > 0 {
        text.push_str(&format!("\n[... {dropped} more bytes not kept]"));
    }
    Ok(text)
}

#[cfg(all(test, unix))]
#[path = "shell_tests.rs"]
mod tests;
