//! `llmos demo`: the Learner → Follower loop, offline. In a temporary workspace, llmos
//! learns a bundled goal from a cassette (a recorded LLM, built into the binary from
//! `examples/demo/`): the Learner's calls as they happen, the recording, the compiled
//! program; then it follows two new goals of the same shape and prints mode, LLM calls,
//! cost and wall time of each run. Every step is this `llmos` binary run as a user would
//! run it, with `LLMOS_MODEL=cassette:FILE`.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::Outcome;
use crate::learn::recording::parse_recording;

/// The cassette the demo replays: one Learner run of [`LEARN`].
const CASSETTE: &str = include_str!("../../examples/demo/cassette.json");
/// The workspace's files.
const FILES: [(&str, &str); 3] = [
    (
        "data/sales.csv",
        include_str!("../../examples/demo/data/sales.csv"),
    ),
    (
        "data/march.csv",
        include_str!("../../examples/demo/data/march.csv"),
    ),
    (
        "data/april.csv",
        include_str!("../../examples/demo/data/april.csv"),
    ),
];
/// The goal learned, and two goals of the same shape.
const LEARN: &str = "write the statistics of data/sales.csv to reports/sales.json";
const FOLLOW: [&str; 2] = [
    "write the statistics of data/march.csv to reports/march.json",
    "write the statistics of data/april.csv to reports/april.json",
];

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Keep the demo's workspace (its path is printed) instead of deleting it.
    #[arg(long)]
    pub keep: bool,
}

/// Why the demo stopped.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot set up the demo's workspace: {0}")]
    Setup(#[source] std::io::Error),
    #[error("cannot find the llmos binary to run: {0}")]
    NoBinary(#[source] std::io::Error),
    #[error("cannot run {}: {source}", exe.display())]
    Spawn {
        exe: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A step's `llmos` failed: its command line and its stderr.
    #[error("`llmos {command}` failed: {stderr}")]
    Step { command: String, stderr: String },
    #[error("`llmos run` did not print its JSON report ({source}): {stdout}")]
    NoReport {
        stdout: String,
        #[source]
        source: serde_json::Error,
    },
    /// A goal was not reached: the `error` of its `--json` report.
    #[error("`llmos run \"{goal}\"` failed: {error}")]
    Goal { goal: &'static str, error: Value },
    #[error("cannot read {}: {source}", path.display())]
    Recording {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    BadRecording(#[from] crate::learn::recording::RecordingError),
}

impl crate::diag::Coded for DemoError {
    fn kind(&self) -> &'static str {
        "demo"
    }
    fn code(&self) -> &'static str {
        match self {
            DemoError::Setup(_) | DemoError::Recording { .. } => "io",
            DemoError::NoBinary(_) | DemoError::Spawn { .. } => "no-binary",
            DemoError::Step { .. } | DemoError::Goal { .. } => "demo-step-failed",
            DemoError::NoReport { .. } => "no-report",
            DemoError::BadRecording(_) => "bad-recording",
        }
    }
}

pub fn run(args: Args) -> Result<Outcome, super::CliError> {
    let root = workspace().map_err(DemoError::Setup)?;
    let result = Demo::new(&root).and_then(|demo| demo.show());
    if args.keep {
        note!("the demo's workspace is kept: {}", root.display());
    } else if let Err(e) = std::fs::remove_dir_all(&root) {
        eprintln!("warning: cannot remove {}: {e}", root.display());
    }
    result?;
    Ok(Outcome::Success)
}

/// A new folder under the system's temp folder holding the demo's files and cassette.
fn workspace() -> std::io::Result<PathBuf> {
    let base = std::env::temp_dir();
    let root = loop {
        let dir = base.join(format!("llmos-demo-{:08x}", fastrand::u32(..)));
        match std::fs::create_dir(&dir) {
            Ok(()) => break dir,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    };
    for (rel, text) in FILES {
        let path = root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, text)?;
    }
    std::fs::write(root.join("cassette.json"), CASSETTE)?;
    // A workspace as `llmos init` starts one.
    std::fs::create_dir(root.join(".llmos"))?;
    Ok(root)
}

/// One `llmos run` of the demo, as `--json` reported it, and its wall time.
struct RunResult {
    goal: &'static str,
    json: Value,
    wall: Duration,
}

struct Demo {
    exe: PathBuf,
    root: PathBuf,
}

impl Demo {
    fn new(root: &Path) -> Result<Demo, DemoError> {
        let exe = std::env::current_exe().map_err(DemoError::NoBinary)?;
        Ok(Demo {
            exe,
            root: root.to_path_buf(),
        })
    }

    fn show(&self) -> Result<(), DemoError> {
        intro(&self.root);
        section(
            "1. Learner: nothing in the library matches, so the LLM solves the goal with tools",
        );
        let learned = self.run_goal(LEARN)?;
        section("2. The recording: each tool call with its arguments and result");
        let recording = learned.json["recording"].as_str().unwrap_or_default();
        show_recording(Path::new(recording))?;
        section("3. The compiled program, checked and stored under its blake3 id");
        let trace = learned.json["trace"].to_string();
        outln!("$ llmos traces show {trace}");
        out!("{}", self.llmos(&["traces", "show", &trace], false)?.0);
        section("4. Follower: two new goals of the same shape, run by the VM without the LLM");
        let mut runs = vec![learned];
        for goal in FOLLOW {
            runs.push(self.run_goal(goal)?);
        }
        section("Summary");
        summary(&runs);
        Ok(())
    }

    /// `llmos run GOAL --json -v`: the progress lines as they come, then the answer.
    fn run_goal(&self, goal: &'static str) -> Result<RunResult, DemoError> {
        outln!("$ llmos run \"{goal}\"");
        let started = Instant::now();
        let (stdout, ok) = self.llmos(&["run", goal, "--json", "-v"], true)?;
        let wall = started.elapsed();
        let json: Value = match serde_json::from_str(&stdout) {
            Ok(json) => json,
            Err(source) => return Err(DemoError::NoReport { stdout, source }),
        };
        if !ok || json["outcome"] != "success" {
            let error = json["error"].clone();
            return Err(DemoError::Goal { goal, error });
        }
        outln!("{}", json["output"].as_str().unwrap_or_default());
        outln!();
        Ok(RunResult { goal, json, wall })
    }

    /// Runs this binary in the demo's workspace with the cassette as its LLM; returns its
    /// stdout and whether it succeeded. Its stderr is shown line by line as it comes
    /// (indented) when `live`, else only when it fails.
    fn llmos(&self, args: &[&str], live: bool) -> Result<(String, bool), DemoError> {
        let cassette = self.root.join("cassette.json");
        let mut child = Command::new(&self.exe)
            .args(args)
            .arg("--root")
            .arg(&self.root)
            .current_dir(&self.root)
            .env("LLMOS_MODEL", format!("cassette:{}", cassette.display()))
            .env_remove("LLMOS_HOME")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| self.spawn_error(source))?;
        let stdout = child.stdout.take();
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut s) = stdout {
                let _ = std::io::Read::read_to_string(&mut s, &mut text);
            }
            text
        });
        let mut errors = Vec::new();
        if let Some(stderr) = child.stderr.take() {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                match live {
                    true => outln!("{}", line.replace(&format!("{}/", self.root.display()), "")),
                    false => errors.push(line),
                }
            }
        }
        let status = child.wait().map_err(|source| self.spawn_error(source))?;
        let stdout = reader.join().unwrap_or_default();
        if !status.success() && !live {
            return Err(DemoError::Step {
                command: args.join(" "),
                stderr: errors.join("\n"),
            });
        }
        Ok((stdout, status.success()))
    }

    fn spawn_error(&self, source: std::io::Error) -> DemoError {
        DemoError::Spawn {
            exe: self.exe.clone(),
            source,
        }
    }
}

fn intro(root: &Path) {
    outln!("llmos demo: a goal is learned once by an LLM calling tools (Learner mode); the");
    outln!("recording compiles into a program that the VM runs for every goal of the same");
    outln!("shape (Follower mode), without the LLM.");
    outln!();
    outln!("The LLM is a replayed cassette: the exchanges of one Learner run, recorded with");
    outln!("`llmos run --record-cassette` and built into llmos (examples/demo/cassette.json;");
    outln!(
        "its replies come from a scripted stand-in for Claude Sonnet, see tests/it/cli_demo.rs)."
    );
    outln!("Nothing goes to the network and no API key is needed; costs are what the recorded");
    outln!("usage costs at Claude Sonnet prices. A request the cassette does not hold would");
    outln!("fail, never get a made-up reply.");
    outln!();
    outln!(
        "Workspace: {} (data/sales.csv, data/march.csv,",
        root.display()
    );
    outln!("data/april.csv); each step is `llmos` run there with LLMOS_MODEL=cassette:FILE.");
}

fn section(title: &str) {
    outln!();
    outln!("── {title}");
    outln!();
}

/// The recording, one line per step: tool, arguments, result (each cut short).
fn show_recording(path: &Path) -> Result<(), DemoError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| DemoError::Recording {
        path: path.to_owned(),
        source,
    })?;
    let rec = parse_recording(&text, &name)?;
    let file = path.file_name().unwrap_or_default().to_string_lossy();
    outln!(".llmos/recordings/{file}: \"{}\"", rec.goal);
    outln!(
        "model {}, {} LLM calls, {} input and {} output tokens, ${:.4}",
        rec.model,
        rec.usage.llm_calls,
        rec.usage.input_tokens,
        rec.usage.output_tokens,
        rec.usage.cost_usd()
    );
    for (i, step) in rec.steps.iter().enumerate() {
        let args = serde_json::to_value(&step.args).unwrap_or_default();
        let result = match (&step.result, &step.error) {
            (Some(r), _) => format!(" → {}", cut(&crate::value::canonical_json(r), 40)),
            (None, Some(e)) => format!(" → error: {}", cut(e, 40)),
            (None, None) => String::new(),
        };
        let args = cut(&crate::value::canonical_json(&args), 60);
        outln!("  {:>2}. {} {args}{result}", i + 1, step.tool);
    }
    Ok(())
}

/// At most `n` characters of `text`, with `…` when cut.
fn cut(text: &str, n: usize) -> String {
    let mut out: String = text.chars().take(n).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

fn summary(runs: &[RunResult]) {
    let width = runs.iter().map(|r| r.goal.len()).max().unwrap_or(4);
    outln!(
        "| {:<width$} | mode     | LLM calls | cost    | wall time |",
        "goal"
    );
    outln!(
        "| {} | -------- | --------- | ------- | --------- |",
        "-".repeat(width)
    );
    for r in runs {
        let wall = r.wall.as_secs_f64() * 1000.0;
        outln!(
            "| {:<width$} | {:<8} | {:>9} | ${:.4} | {:>6.1} ms |",
            r.goal,
            r.json["mode"].as_str().unwrap_or("?"),
            r.json["llm_calls"].as_u64().unwrap_or(0),
            r.json["cost_usd"].as_f64().unwrap_or(0.0),
            wall
        );
    }
    outln!();
    outln!("Wall time is the whole `llmos run` process. The Learner's replies came from the");
    outln!("cassette at once; a real model takes seconds per call (docs/PERFORMANCE.md).");
    outln!("With one: export LLMOS_MODEL=anthropic:claude-sonnet-4-5 ANTHROPIC_API_KEY=...");
}
