//! `for`, `if` and `expect` through the real binary: loops over 0, 1 and 50 elements,
//! iterations that overlap (and the `--jobs` bound), writes that keep element order
//! whatever `--jobs` says, an `if` whose other branch never happens, and an `expect`
//! that stops the run before a later write and names its kind.

use std::time::{Duration, Instant};

use crate::support::cli_exec::{Ws, stdout};
use serde_json::{Value, json};

/// Runs `exec --json` on `file` with `args`; the JSON summary and the exit code.
fn exec_json(ws: &Ws, file: &str, args: &[&str]) -> (Value, Option<i32>) {
    let mut all = vec![file, "--json"];
    all.extend_from_slice(args);
    let out = ws.exec(&all).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let v = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "{e}: {text}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (v, out.status.code())
}

const SIZES: &str = r#"trace sizes
param dir: str
let files = fs.glob(pattern: "{dir}/*.txt")
let sizes = for f in files {
    let text = fs.read(path: f)
    { "file": f, "chars": text.len(text: text) }
}
return sizes
"#;

#[test]
fn a_for_maps_zero_one_and_fifty_elements_in_order() {
    let ws = Ws::new();
    ws.write("sizes.llt", SIZES);
    std::fs::create_dir_all(ws.path("none")).unwrap();
    ws.write("one/a.txt", "abc");
    for i in 0..50 {
        ws.write(&format!("many/f{i:02}.txt"), &"x".repeat(i));
    }
    let (v, code) = exec_json(&ws, "sizes.llt", &["--set", "dir=none"]);
    assert_eq!((code, &v["output"]), (Some(0), &json!([])), "{v}");
    let (v, code) = exec_json(&ws, "sizes.llt", &["--set", "dir=one"]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["output"], json!([{"file": "one/a.txt", "chars": 3}]));
    let (v, code) = exec_json(&ws, "sizes.llt", &["--set", "dir=many"]);
    assert_eq!(code, Some(0), "{v}");
    let expected: Vec<Value> = (0..50)
        .map(|i| json!({"file": format!("many/f{i:02}.txt"), "chars": i}))
        .collect();
    assert_eq!(v["output"], Value::Array(expected));
}

const SLEEPS: &str = r#"trace sleeps
param n: int = 20
let items = json.parse(text: "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]")
let waited = for i in items {
    time.sleep(ms: 600)
}
return waited
"#;

#[test]
fn twenty_sleeps_in_a_for_overlap_and_jobs_bounds_them() {
    let ws = Ws::new();
    ws.write("sleeps.llt", SLEEPS);
    let started = Instant::now();
    let (v, code) = exec_json(&ws, "sleeps.llt", &[]);
    let took = started.elapsed();
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["output"], json!(vec![600; 20]));
    // In a row they would take 12 s; overlapped, one sleep and a process start.
    assert!(took < Duration::from_secs(6), "took {took:?}");
    // Four at a time: at least five rounds of 600 ms, however fast the machine.
    let started = Instant::now();
    let (v, code) = exec_json(&ws, "sleeps.llt", &["--jobs", "4"]);
    assert_eq!(
        (code, &v["output"]),
        (Some(0), &json!(vec![600; 20])),
        "{v}"
    );
    assert!(started.elapsed() >= Duration::from_millis(3000));
}

/// Thirty appends, each after a sleep that is shorter the later the element: run at
/// once, the later elements would finish first.
fn append_program() -> String {
    let items: Vec<String> = (1..=30)
        .map(|i| format!("{{ \"n\": {i}, \"ms\": {} }}", 31 - i))
        .collect();
    format!(
        "trace append\nlet items = [{}]\n\
         fs.write(path: \"log.txt\", content: \"start\\n\")\n\
         let done = for i in items {{\n    let pause = time.sleep(ms: i.ms)\n    \
         fs.append(path: \"log.txt\", content: \"line {{i.n}} after {{pause}}\\n\")\n}}\n\
         return list.len(items: done)\n",
        items.join(", ")
    )
}

#[test]
fn writes_in_a_for_keep_element_order_whatever_the_jobs() {
    let expected: String = std::iter::once("start\n".to_owned())
        .chain((1..=30).map(|i| format!("line {i} after {}\n", 31 - i)))
        .collect();
    for jobs in ["1", "64"] {
        let ws = Ws::new();
        ws.write("append.llt", &append_program());
        let (v, code) = exec_json(&ws, "append.llt", &["--jobs", jobs]);
        assert_eq!((code, &v["output"]), (Some(0), &json!(30)), "{v}");
        assert_eq!(ws.read("log.txt"), expected, "--jobs {jobs}");
    }
}

const BRANCH: &str = r#"trace branch
param flag: bool
let written = if flag {
    fs.write(path: "yes.txt", content: "took the first branch")
} else {
    fs.write(path: "no.txt", content: "took the else branch")
}
return written
"#;

#[test]
fn an_if_runs_only_the_branch_taken() {
    let ws = Ws::new();
    ws.write("branch.llt", BRANCH);
    ws.exec(&["branch.llt", "--set", "flag=true"])
        .assert()
        .success()
        .stdout("yes.txt\n");
    assert!(ws.path("yes.txt").exists());
    assert!(!ws.path("no.txt").exists(), "the else branch ran");
    std::fs::remove_file(ws.path("yes.txt")).unwrap();
    ws.exec(&["branch.llt", "--set", "flag=false"])
        .assert()
        .success()
        .stdout("no.txt\n");
    assert!(ws.path("no.txt").exists());
    assert!(!ws.path("yes.txt").exists(), "the first branch ran");
}

const GUARDED: &str = r#"trace guarded
param dir: str
let files = fs.glob(pattern: "{dir}/*.md")
expect list.len(items: files) > 0, "no markdown files in {dir}"
let parts = for f in files { fs.read(path: f) }
fs.write(path: "out.md", content: text.join(items: parts, sep: "\n"))
return "out.md"
"#;

#[test]
fn a_failed_expect_stops_before_a_later_write_and_names_its_kind() {
    let ws = Ws::new();
    ws.write("guarded.llt", GUARDED);
    std::fs::create_dir_all(ws.path("empty")).unwrap();
    let (v, code) = exec_json(&ws, "guarded.llt", &["--set", "dir=empty"]);
    assert_eq!(code, Some(1), "{v}");
    assert!(
        !ws.path("out.md").exists(),
        "the write after the expect ran"
    );
    assert_eq!(v["ok"], json!(false));
    assert_eq!(v["error"]["kind"], json!("expect_failed"));
    assert_eq!(v["error"]["code"], json!("expect-failed"));
    assert_eq!(v["error"]["step"], json!(2));
    assert_eq!(
        v["error"]["message"],
        json!("step 2: expect failed: no markdown files in empty")
    );
    // The run log says the same.
    let logs = ws.run_logs();
    let log = logs.last().unwrap();
    let failed = log.iter().find(|e| e["event"] == "step_failed").unwrap();
    assert_eq!(failed["kind"], json!("expect_failed"));
    assert_eq!(failed["tool"], json!("expect"));
    let finished = log.last().unwrap();
    assert_eq!(finished["error_kind"], json!("expect_failed"));
    assert!(
        finished["error"]
            .as_str()
            .unwrap()
            .contains("no markdown files in empty")
    );
    // Without --json: exit 1, the step shown against its source line.
    let out = ws
        .exec(&["guarded.llt", "--set", "dir=empty"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("expect-failed") && err.contains("guarded.llt:4:1"),
        "{err}"
    );
    // When it holds, the run goes on.
    ws.write("docs/a.md", "alpha");
    let (v, code) = exec_json(&ws, "guarded.llt", &["--set", "dir=docs"]);
    assert_eq!((code, &v["output"]), (Some(0), &json!("out.md")), "{v}");
    assert_eq!(ws.read("out.md"), "alpha");
}

#[test]
fn an_expect_holds_back_a_write_that_does_not_read_its_data() {
    // The write needs nothing the expect computes; only the guard keeps it waiting for
    // the slow condition.
    let ws = Ws::new();
    ws.write(
        "slow.llt",
        "trace slow\nlet waited = time.sleep(ms: 300)\nexpect waited < 0, \"never\"\n\
         fs.write(path: \"late.txt\", content: \"x\")\n",
    );
    let (v, code) = exec_json(&ws, "slow.llt", &[]);
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(v["error"]["kind"], json!("expect_failed"));
    assert!(!ws.path("late.txt").exists());
}

#[test]
fn an_expect_inside_a_for_fails_the_run_with_the_element_named() {
    let ws = Ws::new();
    ws.write(
        "each.llt",
        "trace each\nlet files = fs.glob(pattern: \"in/*.txt\")\n\
         let texts = for f in files {\n    let t = fs.read(path: f)\n    expect t != \"\", \"{f} is empty\"\n    t\n}\n\
         fs.write(path: \"all.txt\", content: text.join(items: texts))\n",
    );
    ws.write("in/a.txt", "a");
    ws.write("in/b.txt", "");
    ws.write("in/c.txt", "");
    let (v, code) = exec_json(&ws, "each.llt", &[]);
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(v["error"]["kind"], json!("expect_failed"));
    assert_eq!(
        v["error"]["message"],
        json!(
            "step 2 (`texts`): element 2 of 3: step 2 of the block: expect failed: in/b.txt is empty"
        )
    );
    assert!(!ws.path("all.txt").exists());
}

#[test]
fn comparisons_and_logic_decide_through_the_binary() {
    let ws = Ws::new();
    ws.write(
        "cmp.llt",
        "trace cmp\nparam n: int\nparam name: str = \"ada\"\n\
         let size = if n > 10 and name != \"\" { \"big\" } else if n == 0 or not (name < \"b\") { \"zero\" } else { \"small\" }\n\
         return [size, n >= 10, 2.5 < n, name == \"ada\"]\n",
    );
    for (n, out) in [
        ("11", json!(["big", true, true, true])),
        ("0", json!(["zero", false, false, true])),
        ("3", json!(["small", false, true, true])),
    ] {
        let run = ws
            .exec(&["cmp.llt", "--set", &format!("n={n}")])
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(0), "n={n}");
        let text = stdout(&run);
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), out, "n={n}");
    }
}
