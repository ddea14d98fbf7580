//! Shared by the `tests/it/cli_exec*.rs` files: a fresh workspace in a temp folder, the
//! real `llmos` binary run in it, the spec examples, and run log helpers.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

pub use super::BIN;
use super::llmos_command;

/// A workspace: a temp folder that is the root (state in `<root>/.llmos`).
pub struct Ws {
    pub dir: tempfile::TempDir,
}

impl Ws {
    pub fn new() -> Ws {
        Ws {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The root, canonical.
    pub fn root(&self) -> PathBuf {
        self.dir.path().canonicalize().unwrap()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    /// Writes a file under the root, creating folders.
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    /// Copies a spec example (and its data) into the root; returns its file name.
    pub fn example(&self, name: &str) -> String {
        let src = spec_dir().join(name);
        std::fs::copy(&src, self.path(name)).unwrap();
        if !self.path("data/sales.csv").exists() {
            std::fs::create_dir_all(self.path("data")).unwrap();
            std::fs::copy(
                spec_dir().join("data/sales.csv"),
                self.path("data/sales.csv"),
            )
            .unwrap();
        }
        name.to_owned()
    }

    /// `llmos` with the root as current folder and a clean environment for llmos.
    pub fn cmd(&self) -> Command {
        let mut c = Command::from_std(llmos_command(&self.root()));
        c.env("NO_COLOR", "1");
        c
    }

    /// `llmos exec ARGS...` in the workspace.
    pub fn exec(&self, args: &[&str]) -> Command {
        let mut c = self.cmd();
        c.arg("exec").args(args);
        c
    }

    /// A plain std command for `llmos exec ARGS...` (for spawning and signals).
    pub fn std_exec(&self, args: &[&str]) -> std::process::Command {
        let mut c = llmos_command(&self.root());
        c.env("NO_COLOR", "1").arg("exec").args(args);
        c
    }

    /// Every run log, oldest first, each as its events.
    pub fn run_logs(&self) -> Vec<Vec<Value>> {
        let runs = self.path(".llmos/runs");
        let ids = llmos::store::list_runs(&runs).unwrap();
        ids.iter()
            .map(|id| {
                llmos::store::RunLog::read(&llmos::store::RunLog::path_of(&runs, id)).unwrap()
            })
            .collect()
    }

    /// Every file under the root except the state folder, with its contents, sorted.
    pub fn files(&self) -> Vec<(String, String)> {
        let root = self.root();
        let mut out = Vec::new();
        for e in walkdir::WalkDir::new(&root).sort_by_file_name() {
            let e = e.unwrap();
            let rel = e
                .path()
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if rel.starts_with(".llmos") || !e.file_type().is_file() {
                continue;
            }
            out.push((rel, std::fs::read_to_string(e.path()).unwrap_or_default()));
        }
        out
    }
}

/// The spec examples (a copy of the spec's `examples/` folder).
pub fn spec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/spec_examples")
}

/// A run log without its time fields and ids: what two runs of the same program must
/// share.
pub fn strip_times(events: &[Value]) -> Vec<Value> {
    events
        .iter()
        .map(|e| {
            let mut e = e.clone();
            if let Some(o) = e.as_object_mut() {
                for key in ["at", "ms", "run_id"] {
                    o.remove(key);
                }
            }
            e
        })
        .collect()
}

/// The names of the events of a log, in order.
pub fn event_names(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["event"].as_str().unwrap_or("?").to_owned())
        .collect()
}

/// Stdout of a finished command as text.
pub fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Stderr of a finished command as text.
pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Whether `python3` can be run, for the tests of programs that run it. Under CI (`CI`
/// set, where `.ci/run` installs it) it must be; elsewhere a test without it is skipped
/// with a loud message.
pub fn python3() -> bool {
    let found = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 is needed and CI must have it"
        );
        eprintln!("\n*** SKIPPED: python3 not found; these tests fail under CI without it ***\n");
    }
    found
}
