//! `llmos exec` on every spec example, as its comment says, and the output contract:
//! text or JSON on stdout, `--json`, exit codes, `--set` binding.

use crate::support::cli_exec::{Ws, event_names, python3, stderr, stdout};
use predicates::prelude::*;
use serde_json::{Value, json};

#[test]
fn hello_writes_the_file_and_prints_the_greeting() {
    let ws = Ws::new();
    let f = ws.example("hello.llt");
    ws.exec(&[&f]).assert().success().stdout("Hello, world!\n");
    assert_eq!(ws.read("hello.txt"), "Hello, world!");
    ws.exec(&[&f, "--set", "name=Ada"])
        .assert()
        .success()
        .stdout("Hello, Ada!\n");
    assert_eq!(ws.read("hello.txt"), "Hello, Ada!");
}

#[test]
fn word_count_prints_the_count() {
    let ws = Ws::new();
    let f = ws.example("word_count.llt");
    ws.write("notes/todo.txt", "buy milk\nfix the  bike\n");
    ws.exec(&[&f, "--set", "file=notes/todo.txt"])
        .assert()
        .success()
        .stdout("5\n");
}

#[test]
fn csv_summary_writes_the_report_with_the_slot_given() {
    let ws = Ws::new();
    let f = ws.example("csv_summary.llt");
    ws.exec(&[
        &f,
        "--set",
        "input=data/sales.csv",
        "--set",
        "prose=Sales grew.",
    ])
    .assert()
    .success()
    .stdout("summary.md\n");
    assert_eq!(
        ws.read("summary.md"),
        "# Summary of data/sales.csv\n\nSales grew.\n\nRows: 5\n"
    );
    // another report path, given as a param
    ws.exec(&[
        &f,
        "--set",
        "input=data/sales.csv",
        "--set",
        "report=out/r.md",
        "--set",
        "prose=x",
    ])
    .assert()
    .success()
    .stdout("out/r.md\n");
    assert!(ws.read("out/r.md").contains("Rows: 5"));
}

#[test]
fn csv_summary_without_the_slot_fails_naming_it_and_writes_nothing() {
    let ws = Ws::new();
    let f = ws.example("csv_summary.llt");
    for extra in [&[][..], &["--offline"][..]] {
        let mut args = vec![f.as_str(), "--set", "input=data/sales.csv"];
        args.extend_from_slice(extra);
        ws.exec(&args)
            .assert()
            .code(1)
            .stdout("")
            .stderr(predicate::str::contains(
                "step 5 (`prose`): slot `prose` has no value: pass `--set prose=...`",
            ))
            .stderr(predicate::str::contains("csv_summary.llt:13:1"));
    }
    assert!(!ws.path("summary.md").exists());
}

#[test]
fn a_cached_slot_answer_is_used_offline() {
    let ws = Ws::new();
    let f = ws.example("python_calculator.llt");
    // The program id is the blake3 of its bytecode; the prompt has no interpolation; no
    // model is configured, so the key's model is "none".
    let id = program_id(&ws.read(&f));
    let prompt = "Write a small Python module with functions add, sub, mul and div.\n\
                  Reply with the code only, no Markdown fences.";
    let db = llmos::db::Db::open_in(&ws.path(".llmos")).unwrap();
    db.slots()
        .put(
            &id,
            "code",
            prompt,
            "none",
            &json!("def add(a, b):\n    return a + b\n"),
        )
        .unwrap();
    drop(db);
    ws.exec(&[&f, "--allow", "exec", "--offline"])
        .assert()
        .success()
        .stdout("0\n");
    assert_eq!(ws.read("calc.py"), "def add(a, b):\n    return a + b\n");
    let logs = ws.run_logs();
    let slot = logs[0]
        .iter()
        .find(|e| e["event"] == "slot_resolved")
        .unwrap();
    assert_eq!(slot["source"], "cache");
    assert_eq!(slot["slot"], "code");
    // another model is another key: nothing cached for it
    ws.exec(&[&f, "--allow", "exec"])
        .env("LLMOS_MODEL", "openai:gpt-4o-mini")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "no answer is cached for this prompt and openai:gpt-4o-mini",
        ));
}

#[test]
fn fan_out_waits_overlap_and_the_output_equals_a_sequential_run() {
    let ws = Ws::new();
    let f = ws.example("fan_out.llt");
    ws.write("a.txt", "alpha");
    ws.write("b.txt", "be");
    ws.write("c.txt", "c");
    let args = [
        f.as_str(),
        "--set",
        "a=a.txt",
        "--set",
        "b=b.txt",
        "--set",
        "c=c.txt",
    ];
    // the run's own time (without process start), from `--json`
    let run = |extra: &[&str]| {
        let mut a = args.to_vec();
        a.extend_from_slice(extra);
        a.push("--json");
        let out = ws.exec(&a).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
        (
            v["output"].clone(),
            v["duration_ms"].as_f64().unwrap(),
            ws.read("sizes.json"),
        )
    };
    let (parallel, ms, parallel_file) = run(&[]);
    // two waits of 200 ms at once
    assert!((200.0..350.0).contains(&ms), "took {ms} ms");
    let (sequential, ms, sequential_file) = run(&["--jobs", "1"]);
    assert!(ms >= 400.0, "took {ms} ms");
    assert_eq!(parallel, sequential);
    assert_eq!(parallel_file, sequential_file);
    assert_eq!(
        parallel,
        json!({"a": 5, "b": 2, "c": 1, "waited": [200, 200]})
    );
    // printed as pretty JSON with sorted keys
    let plain = ws.exec(&args).output().unwrap();
    assert_eq!(stdout(&plain), pretty_line(&parallel));
    assert!(stdout(&plain).starts_with("{\n  \"a\": 5,\n"));
}

fn pretty_line(v: &Value) -> String {
    llmos::value::pretty_json(v) + "\n"
}

#[test]
fn python_calculator_compiles_the_code_with_exec_allowed() {
    if !python3() {
        return;
    }
    let ws = Ws::new();
    let f = ws.example("python_calculator.llt");
    let code = "def add(a, b):\n    return a + b\n\ndef div(a, b):\n    return a / b\n";
    ws.exec(&[&f, "--set", &format!("code={code}"), "--allow", "exec"])
        .assert()
        .success()
        .stdout("0\n");
    assert_eq!(ws.read("calc.py"), code);
    // code that does not compile: py_compile exits 1, which is the output
    ws.exec(&[
        &f,
        "--set",
        "code=def (",
        "--set",
        "file=bad.py",
        "--allow",
        "exec",
    ])
    .assert()
    .success()
    .stdout("1\n");
}

#[test]
fn python_calculator_without_exec_is_refused_before_writing() {
    let ws = Ws::new();
    let f = ws.example("python_calculator.llt");
    ws.exec(&[&f, "--set", "code=x = 1"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains(
            "capability `exec` not granted: step 3 (`check`) calls `shell.run`; pass `--allow exec`",
        ));
    assert!(!ws.path("calc.py").exists());
    // a refused run is no run: no log
    assert!(ws.run_logs().is_empty());
}

#[test]
fn bad_examples_exit_1_with_their_diagnostics() {
    let ws = Ws::new();
    let f = ws.example("bad_types.llt");
    ws.exec(&[&f])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("bad_types.llt:7:24"))
        .stderr(predicate::str::contains(
            "expected `str`, found `list<str>`",
        ))
        .stderr(predicate::str::contains("bad_types.llt:5:7"));
    let f = ws.example("bad_unknown_tool.llt");
    ws.exec(&[&f])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("bad_unknown_tool.llt:6:12"))
        .stderr(predicate::str::contains("fs.read"));
}

#[test]
fn json_output_has_the_run_figures() {
    let ws = Ws::new();
    let f = ws.example("hello.llt");
    let out = ws
        .exec(&[&f, "--json", "--set", "name=Ada"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["program"], json!(program_id(&ws.read(&f))));
    assert_eq!(v["output"], json!("Hello, Ada!"));
    assert_eq!(v["mode"], "follower");
    assert_eq!(v["ok"], true);
    assert_eq!(v["llm_calls"], 0);
    assert_eq!(v["cost_usd"], 0);
    assert_eq!((v["steps"].as_u64(), v["ops"].as_u64()), (Some(2), Some(2)));
    assert!(v["duration_ms"].as_f64().unwrap() >= 0.0);
    let run_id = v["run_id"].as_str().unwrap();
    assert!(ws.path(&format!(".llmos/runs/{run_id}.jsonl")).exists());

    // a failed run still gives one object, with the error
    let out = ws.exec(&[
        "--json",
        &ws.example("word_count.llt"),
        "--set",
        "file=nope.txt",
    ]);
    let out = { out }.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["output"], Value::Null);
    assert_eq!(v["error"]["kind"], "tool");
    assert_eq!(v["error"]["step"], 1);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("step 1 (`text`) `fs.read`: no such file: nope.txt")
    );
}

#[test]
fn outputs_print_by_type() {
    let ws = Ws::new();
    ws.write("t.llt", "trace t\nparam p: path = \"a/b.txt\"\nreturn p\n");
    ws.exec(&["t.llt"]).assert().success().stdout("a/b.txt\n");
    ws.write(
        "j.llt",
        "trace j\nlet v = json.parse(text: \"\\\"quoted\\\"\")\nreturn v\n",
    );
    // a `json` string is JSON, not text
    ws.exec(&["j.llt"])
        .assert()
        .success()
        .stdout("\"quoted\"\n");
    ws.write("n.llt", "trace n\nlet x = text.trim(text: \"a\")\n");
    ws.exec(&["n.llt"]).assert().success().stdout("");
    ws.write(
        "l.llt",
        "trace l\nlet parts = text.split(text: \"b a\")\nreturn list.sort(items: parts)\n",
    );
    ws.exec(&["l.llt"])
        .assert()
        .success()
        .stdout("[\n  \"a\",\n  \"b\"\n]\n");
}

#[test]
fn set_binds_by_declared_type_and_names_every_problem() {
    let ws = Ws::new();
    ws.write(
        "p.llt",
        "trace p\nparam n: int\nparam f: float = 1.5\nparam flag: bool = false\n\
         param xs: list<int> = []\n\
         return { \"n\": n, \"f\": f, \"flag\": flag, \"xs\": xs }\n",
    );
    ws.exec(&[
        "p.llt",
        "--set",
        "n=3",
        "--set",
        "flag=true",
        "--set",
        "xs=[1,2]",
    ])
    .assert()
    .success()
    .stdout(predicate::function(|s: &str| {
        serde_json::from_str::<Value>(s).unwrap()
            == json!({"n": 3, "f": 1.5, "flag": true, "xs": [1, 2]})
    }));
    ws.exec(&["p.llt"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "param `n: int` has no value: pass `--set n=...`",
        ));
    ws.exec(&["p.llt", "--set", "n=three", "--set", "xs=[1,\"a\"]"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "param `n: int`: expected an int, found `three`",
        ))
        .stderr(predicate::str::contains("param `xs: list<int>`"));
    ws.exec(&["p.llt", "--set", "n=1", "--set", "flga=true"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "the program `p` has no param or slot `flga` (did you mean `flag`?)",
        ));
    ws.exec(&["p.llt", "--set", "n=1", "--set", "n=2"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("given twice"));
    // nothing ran, so no run was logged
    assert_eq!(ws.run_logs().len(), 1);
}

#[test]
fn bad_command_lines_exit_2() {
    let ws = Ws::new();
    let f = ws.example("hello.llt");
    for args in [
        vec![f.as_str(), "--set", "novalue"],
        vec![f.as_str(), "--allow", "teleport"],
        vec![f.as_str(), "--timeout", "soon"],
        vec![f.as_str(), "--timeout", "0s"],
        vec![f.as_str(), "--jobs", "0"],
        vec![],
    ] {
        ws.exec(&args).assert().code(2);
    }
}

#[test]
fn unknown_program_files_exit_1() {
    let ws = Ws::new();
    ws.exec(&["missing.llt"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("missing.llt"));
}

#[test]
fn config_toml_grants_capabilities() {
    let ws = Ws::new();
    ws.write(
        "now.llt",
        "trace now\nlet t = time.now()\nreturn text.len(text: t)\n",
    );
    ws.exec(&["now.llt"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "capability `clock` not granted: step 1 (`t`) calls `time.now`",
        ));
    ws.exec(&["now.llt", "--allow", "clock"])
        .assert()
        .success()
        .stdout("24\n");
    ws.write(".llmos/config.toml", "allow = [\"clock\"]\n");
    ws.exec(&["now.llt"]).assert().success().stdout("24\n");
}

#[test]
fn the_run_log_records_each_step_in_order() {
    let ws = Ws::new();
    let f = ws.example("csv_summary.llt");
    ws.exec(&[&f, "--set", "input=data/sales.csv", "--set", "prose=p"])
        .assert()
        .success();
    let logs = ws.run_logs();
    assert_eq!(logs.len(), 1);
    let log = &logs[0];
    assert_eq!(
        event_names(log),
        [
            "run_started",
            "step_started",
            "step_finished",
            "step_started",
            "step_finished",
            "step_started",
            "step_finished",
            "step_started",
            "step_finished",
            "step_started",
            "slot_resolved",
            "step_finished",
            "step_started",
            "step_finished",
            "run_finished",
        ]
    );
    assert_eq!(log[0]["name"], "csv_summary");
    assert_eq!(log[0]["mode"], "follower");
    assert_eq!(log[1]["tool"], "fs.read");
    assert_eq!(log[1]["label"], "step 1 (`text`)");
    assert_eq!(log[10]["source"], "set");
    assert_eq!(log[12]["tool"], "fs.write");
    assert_eq!(log[14]["ok"], true);
    assert!(log[14]["ms"].as_f64().is_some());
}

#[test]
fn llmos_home_moves_the_state() {
    let ws = Ws::new();
    let home = tempfile::tempdir().unwrap();
    let f = ws.example("hello.llt");
    ws.exec(&[&f])
        .env("LLMOS_HOME", home.path())
        .assert()
        .success();
    assert!(!ws.path(".llmos").exists());
    let runs: Vec<_> = std::fs::read_dir(home.path().join("runs"))
        .unwrap()
        .collect();
    assert_eq!(runs.len(), 1);
}

/// The id of a source's program: blake3 of its bytecode.
fn program_id(src: &str) -> String {
    let (program, _) = llmos::ir::build::compile_source(src).unwrap();
    blake3::hash(&llmos::bytecode::encode(&program))
        .to_hex()
        .to_string()
}
