//! Shared by the `tests/it/cli_run*.rs`, `tests/it/cli_budget*.rs` and `tests/it/learn_*.rs` files:
//! a temporary workspace, the `llmos` binary run against a loopback LLM server with a
//! clean environment, and readers for what a run leaves in `.llmos/`.

use std::path::{Path, PathBuf};
use std::process::Output;

use llmos::learn::recording::Recording;
use llmos::llm::canned;
use llmos::llm::loopback::{LoopbackServer, Recorded, Reply, Script};
use serde_json::{Value, json};

use super::llmos_command;

/// A temporary workspace root.
pub struct Ws {
    pub dir: tempfile::TempDir,
}

impl Ws {
    /// A workspace as `llmos init` leaves it (a `.llmos/` folder), so the first command
    /// does not note that it starts a new one.
    pub fn new() -> Ws {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".llmos")).unwrap();
        Ws { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file under the root, creating folders.
    pub fn write(&self, rel: &str, text: &str) {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// The recordings saved so far, sorted by file name.
    pub fn recordings(&self) -> Vec<PathBuf> {
        let dir = self.root().join(".llmos/recordings");
        let mut out: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        };
        out.sort();
        out
    }

    /// The events of the only run log.
    pub fn run_log(&self) -> Vec<Value> {
        let dir = self.root().join(".llmos/runs");
        let logs: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(logs.len(), 1, "{logs:?}");
        llmos::store::RunLog::read(&logs[0]).unwrap()
    }

    /// The library, as `llmos traces ls --json` lists it (run to its end, blocking: for
    /// between runs).
    pub fn traces(&self) -> Vec<Value> {
        let mut cmd = llmos_command(self.root());
        cmd.args(["traces", "ls", "--json", "--root"])
            .arg(self.root());
        let run = Run::from(cmd.output().unwrap());
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.json().as_array().unwrap().clone()
    }
}

/// Reads a saved recording.
pub fn read_recording(path: &Path) -> Recording {
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// The environment of a run against `server` speaking the Anthropic format.
pub fn anthropic_env(server: &LoopbackServer) -> Vec<(&'static str, String)> {
    vec![
        ("LLMOS_MODEL", "anthropic:claude-sonnet-4-5".into()),
        ("ANTHROPIC_API_KEY", "sk-ant-test".into()),
        ("ANTHROPIC_BASE_URL", server.url()),
    ]
}

/// The environment of a run against `server` speaking the OpenAI format.
pub fn openai_env(server: &LoopbackServer) -> Vec<(&'static str, String)> {
    vec![
        ("LLMOS_MODEL", "openai:gpt-4o-mini".into()),
        ("OPENAI_API_KEY", "sk-oa-test".into()),
        ("OPENAI_BASE_URL", format!("{}/v1", server.url())),
    ]
}

/// What a finished `llmos` process gave.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Stdout as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("stdout is not JSON ({e}): {}\n{}", self.stdout, self.stderr)
        })
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Runs `llmos ARGS --root WS` with `env` on top of a scrubbed environment, without
/// blocking the test's runtime (the loopback server lives on it).
pub async fn llmos(ws: &Ws, args: &[&str], env: &[(&'static str, String)]) -> Run {
    let mut cmd = tokio::process::Command::from(llmos_command(ws.root()));
    cmd.args(args).arg("--root").arg(ws.root());
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd.output().await.unwrap().into()
}

/// Runs `llmos run GOAL --mode learner EXTRA...` against `server` speaking the Anthropic
/// format.
pub async fn learn(ws: &Ws, server: &LoopbackServer, goal: &str, extra: &[&str]) -> Run {
    let mut args = vec!["run", goal, "--mode", "learner"];
    args.extend_from_slice(extra);
    llmos(ws, &args, &anthropic_env(server)).await
}

/// `llmos run GOAL --json` with `env`, expected to exit 0: the run and what it printed.
pub async fn run_json(ws: &Ws, goal: &str, env: &[(&'static str, String)]) -> (Run, Value) {
    let run = llmos(ws, &["run", goal, "--json"], env).await;
    assert_eq!(run.code, 0, "{goal}: {}\n{}", run.stdout, run.stderr);
    let out = run.json();
    (run, out)
}

/// `llmos run GOAL --json` against a loopback LLM playing `script` (the Anthropic format),
/// expected to exit 0: the run, and the server (for what it was sent).
pub async fn run_against(ws: &Ws, script: Script, goal: &str) -> (Run, LoopbackServer) {
    let server = LoopbackServer::start(script).await.unwrap();
    let (run, _) = run_json(ws, goal, &anthropic_env(&server)).await;
    (run, server)
}

/// The last message of a recorded Anthropic request.
pub fn last_message(r: &Recorded) -> &Value {
    r.body["messages"].as_array().unwrap().last().unwrap()
}

/// The Learner counting the words of `path` (whose text is `text`): fs.read, text.split,
/// list.len, then an answer that names the file and the count.
pub fn word_count_script(path: &str, text: &str, words: &[&str]) -> Script {
    Script::new()
        .reply(Reply::ok(&canned::anthropic_tool_use(
            None,
            &[("t1", "fs-read", json!({ "path": path }))],
            500,
            40,
        )))
        .reply(Reply::ok(&canned::anthropic_tool_use(
            None,
            &[("t2", "text-split", json!({ "text": text, "sep": "" }))],
            600,
            40,
        )))
        .reply(Reply::ok(&canned::anthropic_tool_use(
            None,
            &[("t3", "list-len", json!({ "items": words }))],
            650,
            40,
        )))
        .reply(Reply::ok(&canned::anthropic_text(
            &format!("{path} has {} words.", words.len()),
            700,
            20,
        )))
}
