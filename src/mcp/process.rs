//! The process of a stdio MCP server: started in its own process group (a terminal's
//! Ctrl-C reaches llmos, not the server; llmos ends it), its stderr kept for messages, and
//! ended with everything it started: stdin closed, then SIGTERM, then SIGKILL to the whole
//! group. Dropping a [`ServerProcess`] that was not shut down kills the group at once, so
//! no path (a panic, a dropped runtime) leaves a server behind.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustix::process::{Pid, Signal};
use tokio::io::AsyncReadExt;
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// Environment variables a server inherits from llmos (besides its `env`): enough to find
/// programs and a home, nothing else (no API keys).
const INHERITED_ENV: &[&str] = &[
    "HOME", "LANG", "LOGNAME", "PATH", "SHELL", "TERM", "TMPDIR", "USER",
];

/// The variables of [`INHERITED_ENV`] that are set in `env` (the host's snapshot of the
/// environment: nothing below the CLI reads the process's own).
pub fn inherited(env: &crate::host::Env) -> Vec<(String, OsString)> {
    INHERITED_ENV
        .iter()
        .filter_map(|k| Some(((*k).to_owned(), env.var_os(k).map(OsStr::to_os_string)?)))
        .collect()
}

/// The last bytes of stderr kept for messages.
const STDERR_TAIL: usize = 4096;

/// How long a server gets to exit after its stdin is closed, and after SIGTERM.
const GRACE: Duration = Duration::from_millis(1500);

/// A running server process and its process group.
pub struct ServerProcess {
    child: Child,
    pgid: Option<Pid>,
    stderr: Arc<Mutex<Vec<u8>>>,
    /// Reads stderr until the process closes it.
    stderr_reader: Option<tokio::task::JoinHandle<()>>,
    done: bool,
}

impl ServerProcess {
    /// Starts `command args` in `dir` with only `inherited` (see [`inherited`]) and `env`
    /// in its environment; hands back the process and its stdout and stdin, for the
    /// transport.
    pub fn spawn(
        command: &str,
        args: &[String],
        inherited: &[(String, OsString)],
        env: &BTreeMap<String, String>,
        dir: &Path,
    ) -> std::io::Result<(ServerProcess, ChildStdout, ChildStdin)> {
        let mut cmd = Command::new(command);
        cmd.args(args)
            .current_dir(dir)
            .env_clear()
            .envs(inherited.iter().map(|(k, v)| (k, v)))
            .envs(env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        #[cfg(unix)]
        cmd.process_group(0);
        let mut child = cmd.spawn()?;
        let missing = || std::io::Error::other("the server's standard streams are missing");
        let stdout = child.stdout.take().ok_or_else(missing)?;
        let stdin = child.stdin.take().ok_or_else(missing)?;
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let mut stderr_reader = None;
        if let Some(mut pipe) = child.stderr.take() {
            let tail = Arc::clone(&stderr);
            stderr_reader = Some(tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                while let Ok(n @ 1..) = pipe.read(&mut buf).await {
                    if let Ok(mut t) = tail.lock() {
                        t.extend_from_slice(&buf[..n]);
                        let extra = t.len().saturating_sub(STDERR_TAIL);
                        t.drain(..extra);
                    }
                }
            }));
        }
        let pgid = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .and_then(Pid::from_raw);
        let process = ServerProcess {
            child,
            pgid,
            stderr,
            stderr_reader,
            done: false,
        };
        Ok((process, stdout, stdin))
    }

    /// How the process ended and its last stderr lines (`exited (exit status: 3): why`),
    /// waiting up to `within` for it to end; `None` while it runs.
    pub async fn exit_note(&mut self, within: Duration) -> Option<String> {
        let status = match tokio::time::timeout(within, self.child.wait()).await {
            Ok(Ok(status)) => status,
            _ => return None,
        };
        // Its stderr is closed too, or about to be: read it to the end.
        if let Some(reader) = self.stderr_reader.take() {
            let _ = tokio::time::timeout(Duration::from_millis(500), reader).await;
        }
        let bytes = self.stderr.lock().map(|t| t.clone()).unwrap_or_default();
        let tail = String::from_utf8_lossy(&bytes);
        let last: Vec<&str> = tail.trim().lines().rev().take(5).collect();
        let last: Vec<&str> = last.into_iter().rev().collect();
        Some(if last.is_empty() {
            format!("it exited ({status})")
        } else {
            format!("it exited ({status}): {}", last.join(" | "))
        })
    }

    /// Ends the server: it should exit once its stdin is closed (the caller closes the
    /// transport first); then SIGTERM, then SIGKILL, to its whole process group.
    pub async fn shutdown(&mut self) {
        if self.done {
            return;
        }
        if tokio::time::timeout(GRACE, self.child.wait())
            .await
            .is_err()
        {
            self.signal(Signal::TERM);
            if tokio::time::timeout(GRACE, self.child.wait())
                .await
                .is_err()
            {
                self.signal(Signal::KILL);
                let _ = self.child.wait().await;
            }
        }
        // Whatever the leader left in its group goes too.
        self.signal(Signal::KILL);
        self.done = true;
    }

    fn signal(&self, sig: Signal) {
        if let Some(pgid) = self.pgid {
            // Nobody left in the group is fine.
            let _ = rustix::process::kill_process_group(pgid, sig);
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if !self.done {
            self.signal(Signal::KILL);
        }
    }
}
