//! `shell.run`: a program run directly (no shell in between) in the workspace root.
//!
//! `argv[0]` is the program, looked up on `PATH` unless it contains a `/`; a relative
//! program path with a `/` (`./build.sh`) is taken from the workspace root. `stdin` is
//! written to the program's input, which is then closed. Of stdout and of stderr, the
//! first [`Limits::shell_output_max`](super::Limits) bytes are kept (decoded as UTF-8,
//! invalid bytes replaced); the rest is read and dropped, and a last line
//! `[... N more bytes not kept]` says so. The result is `{status, stdout, stderr}`,
//! `status` being `null` when a signal ended the program.
//!
//! - **Environment**: only `PATH`, `HOME` and `LANG` are passed on, and the names listed
//!   in `[shell] env` of `config.toml`; API keys and the rest of llmos's environment are
//!   not.
//! - **Process group**: the program runs in a process group of its own. When it exits,
//!   the whole group is killed (`SIGKILL`): programs it left running in the background
//!   do not outlive the step, and their hold on its output does not hold up the step
//!   (what they write after the program exits is read for at most [`DRAIN`]). When the
//!   call is stopped (a time limit, a cancelled run), the group is killed too.
//!
//! What `--allow exec` gives up: the program runs with the user's rights, so it can read
//! and write anything the user can, outside the workspace too, and reach the network;
//! the sandbox, the size limits and the write quota apply to llmos's own tools only.
//! What still holds: the environment above, the step's time limit, the group kill.

use std::future::Future;
use std::io::ErrorKind;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use rustix::process::{Pid, Signal};
use serde_json::Map;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

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
        let mut command = tokio::process::Command::new(&path);
        command
            .args(rest)
            .current_dir(&ctx.root)
            .env_clear()
            .envs(ctx.shell_env.iter().map(|(k, v)| (k, v)))
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(|e| match e.kind() {
            ErrorKind::NotFound => {
                ToolError::failed(format!("shell.run: program `{program}` not found"))
            }
            _ => ToolError::failed(format!("shell.run: cannot start `{program}`: {e}")),
        })?;
        // Killed when the step ends, however it ends.
        let mut group = Group(child.id().and_then(|id| Pid::from_raw(id as i32)));
        let exited = CancellationToken::new();
        let (input, stdout, stderr) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let write = until_drained(&exited, async move {
            if let Some(mut input) = input {
                // A program that exits without reading its input is not an error.
                let _ = input.write_all(stdin.as_bytes()).await;
            }
        });
        let wait = async {
            let status = child.wait().await;
            group.kill();
            exited.cancel();
            status
        };
        let max = ctx.limits.shell_output_max;
        let (_, out, err, status) = tokio::join!(
            write,
            capture(stdout, max, &exited),
            capture(stderr, max, &exited),
            wait
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

/// How long output is still read once the program has exited and its group was killed
/// (a process that left the group may hold the pipe open for ever).
pub const DRAIN: Duration = Duration::from_millis(200);

/// The variables a program always gets (when set), besides the configured ones.
pub const PASSED_ENV: &[&str] = &["PATH", "HOME", "LANG"];

/// The environment a program gets: [`PASSED_ENV`] and the configured names `extra`, with
/// their values in `env` (the host's snapshot; unset ones are left out).
pub fn passed_env(
    extra: &[String],
    env: &dyn Fn(&str) -> Option<std::ffi::OsString>,
) -> Vec<(String, std::ffi::OsString)> {
    PASSED_ENV
        .iter()
        .copied()
        .chain(extra.iter().map(String::as_str))
        .filter_map(|name| Some((name.to_owned(), env(name)?)))
        .collect()
}

/// A process group, killed when this is dropped or [`Group::kill`] is called.
struct Group(Option<Pid>);

impl Group {
    /// Kills the group, once.
    fn kill(&mut self) {
        if let Some(pid) = self.0.take() {
            // Nobody left in the group is fine.
            let _ = rustix::process::kill_process_group(pid, Signal::KILL);
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `f` until it ends, or until [`DRAIN`] after `exited`.
async fn until_drained<T>(exited: &CancellationToken, f: impl Future<Output = T>) -> Option<T> {
    tokio::select! {
        out = f => Some(out),
        () = async {
            exited.cancelled().await;
            tokio::time::sleep(DRAIN).await;
        } => None,
    }
}

/// Reads a stream to its end (or [`DRAIN`] after the program exited), keeping the first
/// `max` bytes.
async fn capture(
    stream: Option<impl AsyncRead + Unpin>,
    max: usize,
    exited: &CancellationToken,
) -> std::io::Result<String> {
    let Some(mut stream) = stream else {
        return Ok(String::new());
    };
    let mut kept = Vec::new();
    let mut dropped = 0_u64;
    let mut buf = vec![0_u8; 8192];
    while let Some(n) = until_drained(exited, stream.read(&mut buf)).await {
        let n = n?;
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
