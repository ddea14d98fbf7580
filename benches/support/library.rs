//! A workspace whose trace library holds a given number of programs, and `llmos run`
//! processes against it, timed and with their peak resident set (GNU `time -f %M`).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use super::installed;

const VERBS: &[&str] = &[
    "summarize",
    "translate",
    "index",
    "archive",
    "render",
    "compress",
    "audit",
    "sort",
];
const OBJECTS: &[&str] = &[
    "invoices", "logs", "photos", "reports", "tickets", "emails", "metrics", "orders",
];

/// `n` distinct templates of the shapes people write.
pub fn templates(n: usize) -> impl Iterator<Item = String> {
    (0..n).map(|i| {
        format!(
            "{} the {} in {{input}} into {{output}} batch{i}",
            VERBS[i % 8],
            OBJECTS[(i / 8) % 8]
        )
    })
}

/// Fills the workspace at `root` with `traces/word_count.llt` and `n - 1` other traces;
/// `in.txt` holds two words. Returns the seconds it took.
pub fn fill(root: &Path, n: usize) -> f64 {
    std::fs::write(root.join("in.txt"), "banana bandana\n").expect("write");
    let trace = concat!(env!("CARGO_MANIFEST_DIR"), "/traces/word_count.llt");
    let ok = installed::clean_command(installed::installed_binary())
        .args(["traces", "import", trace, "--root"])
        .arg(root)
        .output()
        .expect("runs")
        .status
        .success();
    assert!(ok, "import word_count.llt");
    let start = Instant::now();
    let db = llmos::db::Db::open_in(&root.join(".llmos")).expect("db");
    let program = db.library().list().expect("list")[0].program_id.clone();
    let params = serde_json::json!({"params": [
        {"name": "input", "type": "path", "shape": {"kind": "path", "quoted": false}},
        {"name": "output", "type": "path", "shape": {"kind": "path", "quoted": false}},
    ]});
    db.batch(|db| {
        for (i, t) in templates(n - 1).enumerate() {
            db.library().add(&llmos::db::NewTrace {
                name: format!("t{i}"),
                goal_template: t,
                program_id: program.clone(),
                params: params.clone(),
                source: llmos::db::TraceSource::Compiled,
                learn_cost_micros: 0,
            })?;
        }
        Ok(())
    })
    .expect("fill the library");
    start.elapsed().as_secs_f64()
}

/// `llmos run GOAL EXTRA... --root ROOT` as an installed llmos runs it.
pub fn run(root: &Path, goal: &str, extra: &[&str]) -> Command {
    let mut c = installed::clean_command(installed::installed_binary());
    c.args(["run", goal])
        .args(extra)
        .arg("--root")
        .arg(root)
        .env_remove("LLMOS_MODEL");
    c
}

/// Peak resident set in MiB and wall milliseconds of one `llmos run`, its exit code and
/// stdout.
pub fn measure(root: &Path, goal: &str, extra: &[&str]) -> (f64, f64, i32, String) {
    let cmd = run(root, goal, extra);
    let mut timed = installed::clean_command("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%M")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    let start = Instant::now();
    let out = timed.output().expect("/usr/bin/time runs");
    let wall = start.elapsed().as_secs_f64() * 1000.0;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let kb: f64 = stderr
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("time -f %M: {stderr}"));
    (
        kb / 1024.0,
        wall,
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}
