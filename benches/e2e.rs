//! End to end: the original's use cases, learned once against a provider on loopback with
//! a set latency per reply and realistic token usage, then followed on the same goal and
//! on a new binding. Prints a Markdown table of wall times, LLM calls and costs.
//!
//! Run: `cargo bench --bench e2e` (latencies from `LLMOS_E2E_LATENCIES`, default
//! `400ms,2s`). The Follower on the same goal is the median of 21 runs. The binary is a
//! copy of the release build, as `cargo install` makes one. Each `llmos` command is the real release binary in a fresh workspace; the
//! provider is `llmos::llm::loopback` speaking the Anthropic Messages format, with the
//! usage of a Claude Sonnet run (prices of `anthropic:claude-sonnet-4-5`).

#[path = "support/installed.rs"]
mod installed;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use llmos::llm::canned;
use llmos::llm::loopback::{LoopbackServer, Reply, Script};
use llmos::tools::{Invocation, ToolCtx, ToolTable};
use serde_json::{Value, json};

const CALC: &str = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n\n\ndef div(a, b):\n    if b == 0:\n        raise ZeroDivisionError(\"division by zero\")\n    return a / b\n";
const SALES: &str =
    "region,quarter,amount\nnorth,Q1,120\nsouth,Q1,80\nnorth,Q2,150\nsouth,Q2,95\neast,Q2,40\n";
const COSTS: &str = "team,month,cost\nweb,jan,300\nweb,feb,320\ndata,jan,510\n";
const PAGE: &str = "<html><body><h1>Release notes</h1><p>Version 2 adds typed traces, a bytecode VM and a budget ledger. Learned goals run without the LLM.</p></body></html>";
const NOTES: &str = "buy milk\nfix the bike\ncall the plumber about the sink\nwater the plants\n";

/// One reply of a scripted Learner, with the usage the provider reports.
fn tool(id: &str, name: &str, input: Value, turn: u64) -> Reply {
    Reply::ok(&canned::anthropic_tool_use(
        None,
        &[(id, name, input)],
        2900 + 550 * turn,
        90 + 20 * turn,
    ))
}

fn text(answer: &str, turn: u64) -> Reply {
    Reply::ok(&canned::anthropic_text(answer, 2900 + 550 * turn, 60))
}

fn run_tool(name: &str, args: &[Value]) -> Value {
    let ctx = Arc::new(ToolCtx::new(Path::new(".")).expect("cwd"));
    match ToolTable::builtins()
        .tool(name)
        .expect("tool")
        .invoke(&ctx, args)
    {
        Invocation::Ready(Ok(v)) => v,
        _ => panic!("{name} did not answer at once"),
    }
}

struct Case {
    name: &'static str,
    goal: String,
    new_goal: String,
    allow: &'static str,
    files: Vec<(&'static str, &'static str)>,
    learner: Vec<Reply>,
    /// Replies for the Follower on the new binding (its `ask` slots).
    follow_new: Vec<Reply>,
}

fn cases(pages: &str) -> Vec<Case> {
    let table = run_tool("csv.parse", &[json!(SALES)]);
    let stats = run_tool("csv.describe", std::slice::from_ref(&table));
    let summary = format!(
        "# Summary of data/sales.csv\n\nFive rows over three regions and two quarters; amounts run from {} to {}, {} in all.\n",
        stats["amount"]["min"], stats["amount"]["max"], stats["amount"]["sum"]
    );
    let words = run_tool("text.split", &[json!(NOTES), json!("")]);
    vec![
        Case {
            name: "code generation",
            goal: "create a python calculator in calc.py".into(),
            new_goal: "create a python calculator in tools/mathx.py".into(),
            allow: "exec",
            files: vec![],
            learner: vec![
                tool(
                    "t1",
                    "fs-write",
                    json!({"path": "calc.py", "content": CALC}),
                    0,
                ),
                tool(
                    "t2",
                    "shell-run",
                    json!({"argv": ["python3", "-m", "py_compile", "calc.py"]}),
                    1,
                ),
                text(
                    "I created calc.py with add, sub, mul and div; it compiles.",
                    2,
                ),
            ],
            follow_new: vec![],
        },
        Case {
            name: "data processing",
            goal: "summarize data/sales.csv into reports/sales.md".into(),
            new_goal: "summarize data/costs.csv into reports/costs.md".into(),
            allow: "",
            files: vec![("data/sales.csv", SALES), ("data/costs.csv", COSTS)],
            learner: vec![
                tool("t1", "fs-read", json!({"path": "data/sales.csv"}), 0),
                tool("t2", "csv-parse", json!({"text": SALES}), 1),
                tool("t3", "csv-describe", json!({"table": table}), 2),
                tool(
                    "t4",
                    "fs-write",
                    json!({"path": "reports/sales.md", "content": summary}),
                    3,
                ),
                text("I wrote the summary to reports/sales.md.", 4),
            ],
            follow_new: vec![Reply::ok(&canned::anthropic_text(
                "# Summary of data/costs.csv\n\nThree rows over two teams; costs run from 300 to 510, 1130 in all.\n",
                420,
                60,
            ))],
        },
        Case {
            name: "research",
            goal: format!("summarize the pages at {pages}/a and {pages}/b into research.md"),
            new_goal: format!("summarize the pages at {pages}/c and {pages}/d into notes.md"),
            allow: "net",
            files: vec![],
            learner: vec![
                tool("t1", "http-get", json!({"url": format!("{pages}/a")}), 0),
                tool("t2", "http-get", json!({"url": format!("{pages}/b")}), 1),
                tool(
                    "t3",
                    "fs-write",
                    json!({"path": "research.md", "content": "# Research\n\nBoth pages announce version 2: typed traces, a bytecode VM and a budget ledger; learned goals run without the LLM.\n"}),
                    2,
                ),
                text("I summarized both pages in research.md.", 3),
            ],
            follow_new: vec![Reply::ok(&canned::anthropic_text(
                "# Research\n\nThe pages describe version 2 and its bytecode VM.\n",
                520,
                40,
            ))],
        },
        Case {
            name: "mechanical (word count)",
            goal: "count the words in notes/todo.txt".into(),
            new_goal: "count the words in notes/done.txt".into(),
            allow: "",
            files: vec![
                ("notes/todo.txt", NOTES),
                ("notes/done.txt", "paid the rent\n"),
            ],
            learner: vec![
                tool("t1", "fs-read", json!({"path": "notes/todo.txt"}), 0),
                tool("t2", "text-split", json!({"text": NOTES, "sep": ""}), 1),
                tool("t3", "list-len", json!({"items": words}), 2),
                text(
                    &format!(
                        "notes/todo.txt has {} words.",
                        words.as_array().map_or(0, Vec::len)
                    ),
                    3,
                ),
            ],
            follow_new: vec![],
        },
    ]
}

struct Outcome {
    wall: Duration,
    /// The run as llmos measured it inside the process (`duration_ms`), without the
    /// process start.
    inside: Duration,
    mode: String,
    llm_calls: u64,
    cost: f64,
}

/// One `llmos run` process, timed from spawn to exit (a blocking spawn on a blocking
/// thread, so the async runtime's child handling is not part of the time).
async fn llmos_run(root: &Path, goal: &str, allow: &str, server: &LoopbackServer) -> Outcome {
    let mut cmd = installed::clean_command(installed::installed_binary());
    cmd.args(["run", goal, "--json", "--root"]).arg(root);
    if !allow.is_empty() {
        cmd.args(["--allow", allow]);
    }
    cmd.env("LLMOS_MODEL", "anthropic:claude-sonnet-4-5")
        .env("ANTHROPIC_API_KEY", "sk-ant-loopback")
        .env("ANTHROPIC_BASE_URL", server.url());
    let goal = goal.to_owned();
    tokio::task::spawn_blocking(move || {
        let start = Instant::now();
        let out = cmd.output().expect("llmos runs");
        let wall = start.elapsed();
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{goal}: {}", String::from_utf8_lossy(&out.stderr)));
        assert!(
            out.status.success(),
            "{goal}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Outcome {
            wall,
            inside: Duration::from_secs_f64(v["duration_ms"].as_f64().unwrap_or(0.0) / 1000.0),
            mode: v["mode"].as_str().unwrap_or("?").to_owned(),
            llm_calls: v["llm_calls"].as_u64().unwrap_or(0),
            cost: v["cost_usd"].as_f64().unwrap_or(0.0),
        }
    })
    .await
    .expect("the run's thread")
}

/// How many times a Follower run on the same goal is repeated; the table shows the
/// median (one run is at the mercy of the machine's noise).
const FOLLOWER_RUNS: usize = 21;

/// The Follower on the same goal, `FOLLOWER_RUNS` times: the median wall time and the
/// median time inside the process.
async fn follower_median(root: &Path, goal: &str, allow: &str, server: &LoopbackServer) -> Outcome {
    let mut runs = Vec::with_capacity(FOLLOWER_RUNS);
    for _ in 0..FOLLOWER_RUNS {
        runs.push(llmos_run(root, goal, allow, server).await);
    }
    let mut inside: Vec<Duration> = runs.iter().map(|o| o.inside).collect();
    inside.sort();
    runs.sort_by_key(|o| o.wall);
    let mut median = runs.swap_remove(FOLLOWER_RUNS / 2);
    median.inside = inside[FOLLOWER_RUNS / 2];
    median
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

async fn bench(latency: Duration) {
    let pages = LoopbackServer::start(
        Script::new().default_reply(Reply::raw(200, PAGE).header("content-type", "text/html")),
    )
    .await
    .expect("page server");
    println!("\n### {} a reply\n", ms(latency));
    println!(
        "| use case | Learner | Follower, same goal | Follower, new binding | Learner ÷ Follower \
         | Follower inside the process | Learner ÷ that |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for case in cases(&pages.url()) {
        let dir = tempfile::tempdir().expect("temp dir");
        for (path, text) in &case.files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        let mut script = Script::new().latency(latency);
        for r in case.learner.iter().chain(&case.follow_new) {
            script = script.reply(r.clone());
        }
        let server = LoopbackServer::start(script).await.expect("provider");
        let learn = llmos_run(dir.path(), &case.goal, case.allow, &server).await;
        assert_eq!(learn.mode, "learner");
        let same = follower_median(dir.path(), &case.goal, case.allow, &server).await;
        let new = llmos_run(dir.path(), &case.new_goal, case.allow, &server).await;
        assert_eq!(
            (same.mode.as_str(), new.mode.as_str()),
            ("follower", "follower"),
            "{}",
            case.name
        );
        let cell = |o: &Outcome| format!("{}, {} calls, ${:.4}", ms(o.wall), o.llm_calls, o.cost);
        println!(
            "| {} | {} | {} | {} | {:.0}× | {} | {:.0}× |",
            case.name,
            cell(&learn),
            cell(&same),
            cell(&new),
            learn.wall.as_secs_f64() / same.wall.as_secs_f64(),
            ms(same.inside),
            learn.wall.as_secs_f64() / same.inside.as_secs_f64().max(1e-6),
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs it once too.
    let latencies = std::env::var("LLMOS_E2E_LATENCIES").unwrap_or_else(|_| "400ms,2s".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    for l in latencies.split(',') {
        let latency = humantime::parse_duration(l.trim()).expect("a latency like 400ms");
        runtime.block_on(bench(latency));
    }
}
