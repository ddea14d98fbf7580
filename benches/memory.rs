//! Peak resident memory and wall time of the real binary at scale: `exec` of a
//! 100,000-step program, and `run` against a trace library of 100,000 traces. Uses GNU
//! `time -f %M` (kilobytes). Run: `cargo bench --bench memory`.

#[path = "support/installed.rs"]
mod installed;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn llmos() -> Command {
    let mut c = installed::clean_command("/usr/bin/time");
    c.args(["-f", "%M"])
        .arg(installed::installed_binary())
        .env_remove("LLMOS_MODEL");
    c
}

/// Runs `llmos ARGS`, returns (peak RSS in MiB, wall seconds, stdout).
fn measure(root: &Path, args: &[&str]) -> (f64, f64, String) {
    let start = Instant::now();
    let out = llmos()
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .expect("runs");
    let wall = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {stderr}");
    let kb: f64 = stderr
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .expect("time -f %M");
    (
        kb / 1024.0,
        wall,
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn chain(steps: usize) -> String {
    let mut s = String::from(
        "trace big\ngoal \"process {input}\"\nparam input: path\nlet t0 = fs.read(path: input)\n",
    );
    for i in 1..=steps {
        s.push_str(&format!(
            "let t{i} = text.replace(text: t{}, from: \"a\", to: \"b\")\n",
            i - 1
        ));
    }
    s.push_str(&format!("return text.len(text: t{steps})\n"));
    s
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::write(root.join("in.txt"), "banana bandana\n").expect("write");

    std::fs::write(root.join("big.llt"), chain(100_000)).expect("write");
    let big = root.join("big.llt").display().to_string();
    let (rss, wall, id) = measure(root, &["compile", &big]);
    println!("compile, 100,000-step trace: peak {rss:.1} MiB, {wall:.2} s");
    let (rss, wall, out) = measure(root, &["exec", id.trim(), "--set", "input=in.txt"]);
    assert_eq!(out.trim(), "15");
    println!("exec, 100,000-step program: peak {rss:.1} MiB, {wall:.3} s");

    let trace = concat!(env!("CARGO_MANIFEST_DIR"), "/traces/word_count.llt");
    measure(root, &["traces", "import", trace]);
    let (rss_small, wall_small, _) = measure(root, &["run", "count the words in in.txt"]);
    let db = llmos::db::Db::open_in(&root.join(".llmos")).expect("db");
    let program = db.library().list().expect("list")[0].program_id.clone();
    let start = Instant::now();
    db.batch(|db| {
        for (i, t) in templates(100_000).into_iter().enumerate() {
            db.library().add(&llmos::db::NewTrace {
                name: format!("t{i}"),
                goal_template: t,
                program_id: program.clone(),
                params: serde_json::json!({"params": [{"name": "input", "type": "path"}, {"name": "output", "type": "path"}]}),
                source: llmos::db::TraceSource::Compiled,
                learn_cost_micros: 0,
            })?;
        }
        Ok(())
    })
    .expect("add 100,000 traces");
    drop(db);
    println!(
        "(filled the library with 100,000 traces in {:.1} s)",
        start.elapsed().as_secs_f64()
    );
    let (rss, wall, out) = measure(root, &["run", "count the words in in.txt"]);
    assert_eq!(out.trim(), "2");
    println!(
        "run (Follower), library of 1 trace: peak {rss_small:.1} MiB, {:.1} ms",
        wall_small * 1000.0
    );
    println!(
        "run (Follower), library of 100,001 traces: peak {rss:.1} MiB, {:.1} ms",
        wall * 1000.0
    );
}

fn templates(n: usize) -> Vec<String> {
    let verbs = [
        "summarize",
        "translate",
        "index",
        "archive",
        "render",
        "compress",
        "audit",
        "sort",
    ];
    let objects = [
        "invoices", "logs", "photos", "reports", "tickets", "emails", "metrics", "orders",
    ];
    (0..n)
        .map(|i| {
            format!(
                "{} the {} in {{input}} into {{output}} batch{i}",
                verbs[i % 8],
                objects[(i / 8) % 8]
            )
        })
        .collect()
}
