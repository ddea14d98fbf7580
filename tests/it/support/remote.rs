//! Shared by `tests/it/remote*.rs`: the two kinds of remote a team can share a library in,
//! started for real on this machine, and workspaces that talk to them through the
//! `llmos` binary.
//!
//! - [`Moto`]: moto's S3 server (`tests/it/support/moto_server.py`) on 127.0.0.1 and a free
//!   port, from a virtual environment in the peers cache (`$LLMOS_PEERS`, default
//!   `~/.cache/llmos-peers`; `.ci/run` installs it there, and so does [`Moto::start`]
//!   when it is missing). When it cannot be installed, a test run by hand is skipped
//!   with a loud message, and one under CI (`CI` set) fails.
//! - [`Folder`]: a `file://` remote in a temporary folder.
#![allow(dead_code)] // also compiled into benches/remote.rs, which uses only a part

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use llmos::remote::{Backend, DirBackend, S3Backend, S3Settings};

/// The moto release the tests run against (`.ci/run` installs the same).
pub const MOTO_SPEC: &str = "moto[server]==5.2.5";
/// The bucket every moto server starts with.
pub const BUCKET: &str = "llmos-test";

/// Environment variables the binary must not inherit from the test process.
const SCRUBBED: &[&str] = &[
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "LLMOS_MODEL",
    "LLMOS_HOME",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_PROFILE",
    "LLMOS_TEST_CRASH_AFTER_WRITES",
];

/// A remote a test pushes to and pulls from.
pub trait Peer {
    /// The `url` of `[remote]` for a library under `prefix`.
    fn url(&self, prefix: &str) -> String;
    /// What `llmos` needs in its environment to reach it.
    fn env(&self) -> Vec<(&'static str, String)>;
    /// The library under `prefix`, as a backend, to look at and tamper with.
    fn backend(&self, prefix: &str) -> Box<dyn Backend>;
}

/// moto's S3 server, stopped when dropped.
pub struct Moto {
    child: Option<Child>,
    pub endpoint: String,
    _log: tempfile::TempDir,
}

impl Moto {
    /// Starts a server, or says loudly why not (`None`; a panic under CI).
    pub fn start() -> Option<Moto> {
        Moto::start_with_latency(0)
    }

    /// Starts a server that waits `ms` milliseconds before each answer.
    pub fn start_with_latency(ms: u64) -> Option<Moto> {
        let python = match moto_python() {
            Ok(p) => p,
            Err(why) => {
                if std::env::var_os("CI").is_some() {
                    panic!("moto (a real S3 server) is needed and could not be installed: {why}");
                }
                eprintln!(
                    "\n*** SKIPPED: moto (a real S3 server) could not be installed: {why}\n\
                     *** `.ci/run` installs it; these tests fail under CI without it.\n"
                );
                return None;
            }
        };
        let log = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/support/moto_server.py");
        let mut child = Command::new(&python)
            .arg(script)
            .args(["--latency-ms", &ms.to_string(), BUCKET])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log.path().join("moto.log")).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", python.display()));
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_default();
        let port: u16 = line.trim().parse().unwrap_or_else(|_| {
            let _ = child.kill();
            let log = std::fs::read_to_string(log.path().join("moto.log")).unwrap_or_default();
            panic!("moto did not start (it printed {line:?}):\n{log}")
        });
        Some(Moto {
            child: Some(child),
            endpoint: format!("http://127.0.0.1:{port}"),
            _log: log,
        })
    }

    /// Stops the server (as a crash would: SIGKILL).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Peer for Moto {
    fn url(&self, prefix: &str) -> String {
        format!("s3://{BUCKET}/{prefix}")
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
        ]
    }

    fn backend(&self, prefix: &str) -> Box<dyn Backend> {
        let env = self.env();
        let lookup = |k: &str| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
        let url = self.url(prefix);
        Box::new(
            S3Backend::open(
                S3Settings {
                    url: &url,
                    bucket: BUCKET,
                    prefix,
                    endpoint: None,
                    region: None,
                    timeout: Duration::from_secs(30),
                },
                &lookup,
                std::sync::Arc::new(
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap(),
                ),
            )
            .unwrap(),
        )
    }
}

/// The peers cache: `$LLMOS_PEERS`, else `~/.cache/llmos-peers`.
pub fn peers_dir() -> PathBuf {
    match std::env::var_os("LLMOS_PEERS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into()))
            .join(".cache/llmos-peers"),
    }
}

/// The Python of moto's virtual environment, installing it first when needed (under a
/// lock, so parallel tests install it once).
fn moto_python() -> Result<PathBuf, String> {
    let venv = peers_dir().join("moto");
    let python = venv.join("bin/python");
    let marker = venv.join(format!(".installed {MOTO_SPEC}"));
    if marker.is_file() {
        return Ok(python);
    }
    std::fs::create_dir_all(peers_dir()).map_err(|e| e.to_string())?;
    let lock = std::fs::File::create(peers_dir().join("moto.lock")).map_err(|e| e.to_string())?;
    lock.lock().map_err(|e| e.to_string())?;
    if marker.is_file() {
        return Ok(python);
    }
    let run = |cmd: &mut Command| -> Result<(), String> {
        let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
        match out.status.success() {
            true => Ok(()),
            false => Err(format!(
                "{cmd:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )),
        }
    };
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    run(Command::new(venv.join("bin/pip")).args(["install", "-q", MOTO_SPEC]))?;
    std::fs::write(&marker, "").map_err(|e| e.to_string())?;
    Ok(python)
}

/// A `file://` remote in a temporary folder.
pub struct Folder {
    pub dir: tempfile::TempDir,
}

impl Folder {
    pub fn new() -> Folder {
        Folder {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, prefix: &str) -> PathBuf {
        let path = self.dir.path().join(prefix);
        std::fs::create_dir_all(&path).unwrap();
        path
    }
}

impl Peer for Folder {
    fn url(&self, prefix: &str) -> String {
        format!("file://{}", self.path(prefix).display())
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    fn backend(&self, prefix: &str) -> Box<dyn Backend> {
        Box::new(DirBackend::open(&self.path(prefix), &self.url(prefix)).unwrap())
    }
}

/// What a finished `llmos` process gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("stdout is not JSON ({e}): {}\n{}", self.stdout, self.stderr)
        })
    }

    /// Panics with the output unless the process exited 0.
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// A workspace that shares a library through a remote.
pub struct Ws {
    pub dir: tempfile::TempDir,
    pub env: Vec<(&'static str, String)>,
}

impl Ws {
    /// A workspace whose `[remote]` is `url`, with `extra` lines in that table.
    pub fn new(url: &str, env: Vec<(&'static str, String)>, extra: &str) -> Ws {
        let ws = Ws {
            dir: tempfile::tempdir().unwrap(),
            env,
        };
        ws.write(
            ".llmos/config.toml",
            &format!("[remote]\nurl = \"{url}\"\n{extra}"),
        );
        ws
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

    /// `llmos ARGS --root WS` as a command, with a scrubbed environment and this
    /// workspace's.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_llmos"));
        cmd.args(args).arg("--root").arg(self.root());
        cmd.current_dir(self.root()).stdin(Stdio::null());
        for name in SCRUBBED {
            cmd.env_remove(name);
        }
        cmd.env("USER", "tester");
        for (name, value) in &self.env {
            cmd.env(name, value);
        }
        cmd
    }

    /// Runs `llmos ARGS` to the end.
    pub fn llmos(&self, args: &[&str]) -> Run {
        let out = self.command(args).output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `llmos keys generate`: the new public key.
    pub fn generate_key(&self) -> String {
        let run = self.llmos(&["keys", "generate"]).ok();
        run.stdout.trim().to_string()
    }

    /// Imports hand-written traces `names[i]` with goal `goals[i]`: `word_count`-like
    /// programs whose output says which one ran. Returns nothing; `traces ls` lists them.
    pub fn import_programs(&self, count: usize) {
        let mut files = Vec::new();
        for i in 0..count {
            let rel = format!("traces/p{i}.llt");
            self.write(&rel, &numbered_trace(i));
            files.push(rel);
        }
        let mut args = vec!["traces", "import"];
        args.extend(files.iter().map(String::as_str));
        self.llmos(&args).ok();
    }

    /// The local library, as `traces ls --json` gives it.
    pub fn traces(&self) -> Vec<serde_json::Value> {
        let run = self.llmos(&["traces", "ls", "--json"]).ok();
        run.json().as_array().unwrap().clone()
    }
}

/// A trace whose goal is `count the words of kind {i} in {file}` and whose output
/// names `i` and the number of words.
pub fn numbered_trace(i: usize) -> String {
    format!(
        "trace count_{i}\ngoal \"count the words of kind {i} in {{file}}\"\n\n\
         param file: path\n\n\
         let text  = fs.read(path: file)\n\
         let words = text.split(text: text, sep: \"\")\n\
         let n     = list.len(items: words)\n\
         return \"kind {i}: {{n}} words\"\n"
    )
}
