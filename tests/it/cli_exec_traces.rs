//! The bundled traces (`traces/*.llt`) run offline on the example data (`examples/`),
//! as the README shows: each with `--set` for its slots.

use std::path::Path;

use crate::support::cli_exec::{BIN, python3, stderr, stdout};
use serde_json::{Value, json};

/// A temp copy of `examples/`, as the workspace root.
struct Examples {
    dir: tempfile::TempDir,
}

impl Examples {
    fn new() -> Examples {
        let dir = tempfile::tempdir().unwrap();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        for e in walkdir::WalkDir::new(&src) {
            let e = e.unwrap();
            let to = dir.path().join(e.path().strip_prefix(&src).unwrap());
            if e.file_type().is_dir() {
                std::fs::create_dir_all(&to).unwrap();
            } else {
                std::fs::copy(e.path(), &to).unwrap();
            }
        }
        // A workspace on purpose, as `llmos init` makes one: a run in a folder with no
        // `.llmos/` anywhere above says so on stderr, and these runs must print nothing there.
        std::fs::create_dir(dir.path().join(".llmos")).unwrap();
        Examples { dir }
    }

    /// `llmos exec traces/NAME.llt ARGS...` in the examples folder; stdout on success.
    fn run(&self, trace: &str, args: &[&str]) -> String {
        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("traces")
            .join(format!("{trace}.llt"));
        let out = std::process::Command::new(BIN)
            .current_dir(self.dir.path())
            .env_remove("LLMOS_HOME")
            .env_remove("LLMOS_MODEL")
            .arg("exec")
            .arg(&file)
            .arg("--offline")
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{trace}: {}", stderr(&out));
        assert!(stderr(&out).is_empty(), "{trace}: {}", stderr(&out));
        stdout(&out)
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(rel)).unwrap()
    }
}

/// The traces this file runs; a new trace must get a test here.
const COVERED: &[&str] = &[
    "csv_stats",
    "csv_summary",
    "hello",
    "python_module",
    "todo_list",
    "word_count",
];

#[test]
fn every_bundled_trace_is_covered() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("traces");
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "llt"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    found.sort();
    assert_eq!(found, COVERED);
}

#[test]
fn hello_and_word_count() {
    let ex = Examples::new();
    assert_eq!(ex.run("hello", &["--set", "name=Ada"]), "Hello, Ada!\n");
    assert_eq!(ex.read("hello.txt"), "Hello, Ada!");
    assert_eq!(
        ex.run("word_count", &["--set", "file=data/notes.txt"]),
        "37\n"
    );
}

#[test]
fn csv_stats_saves_every_column_and_returns_one() {
    let ex = Examples::new();
    let out: Value =
        serde_json::from_str(&ex.run("csv_stats", &["--set", "input=data/sales.csv"])).unwrap();
    assert_eq!(
        out,
        json!({"count": 5, "min": 40, "max": 150, "mean": 97, "sum": 485})
    );
    let all: Value = serde_json::from_str(&ex.read("stats.json")).unwrap();
    assert_eq!(all["region"], json!({"count": 5, "distinct": 3}));
    let out = ex.run(
        "csv_stats",
        &["--set", "input=data/sales.csv", "--set", "column=quarter"],
    );
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap(),
        json!({"count": 5, "distinct": 2})
    );
}

#[test]
fn csv_summary_with_the_prose_given() {
    let ex = Examples::new();
    let out = ex.run(
        "csv_summary",
        &[
            "--set",
            "input=data/sales.csv",
            "--set",
            "report=reports/sales.md",
            "--set",
            "prose=Sales rose from Q1 to Q2.",
        ],
    );
    assert_eq!(out, "reports/sales.md\n");
    let report = ex.read("reports/sales.md");
    assert!(
        report.starts_with("# Summary of data/sales.csv\n\nSales rose from Q1 to Q2.\n\nRows: 5\n")
    );
    assert!(report.contains(r#""amount":{"count":5,"max":150,"mean":97,"min":40,"sum":485}"#));
}

#[test]
fn todo_list_collects_the_todo_lines() {
    let ex = Examples::new();
    assert_eq!(
        ex.run("todo_list", &["--set", "notes=data/notes.txt"]),
        "3\n"
    );
    assert_eq!(
        ex.read("todo.md"),
        "# 3 things to do\n\n- [ ] send the sales figures to Ana\n- [ ] fix the report template\n\
         - [ ] ask about the east region budget\n"
    );
}

#[test]
fn python_module_with_the_code_given() {
    if !python3() {
        return;
    }
    let ex = Examples::new();
    let code = ex.read("answers/calc.py");
    let out = ex.run(
        "python_module",
        &["--set", &format!("code={code}"), "--allow", "exec"],
    );
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap(),
        json!({"file": "calc.py", "compiled": 0, "defines": ["add", "div", "mul", "sub"]})
    );
    assert_eq!(ex.read("calc.py"), code);
}
