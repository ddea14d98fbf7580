//! The habits of a good command line: shell completions, a man page, `--color`, `-q` and
//! `-v`. LLM runs here replay the demo's cassette (`examples/demo/cassette.json`).

use std::path::Path;
use std::process::Command;

const BAD: &str = "trace t\n\nparam unused: int = 3\nlet n = text.len(text: [\"a\"])\nreturn n\n";
const GOAL: &str = "write the statistics of data/sales.csv to reports/sales.json";

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn llmos(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut cmd = crate::support::llmos_command(dir);
    cmd.args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE");
    cmd.envs(env.iter().copied());
    let out = cmd.output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A workspace with the demo's data, and the environment replaying its cassette.
fn demo_workspace() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo");
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::create_dir(dir.path().join(".llmos")).unwrap();
    std::fs::copy(
        demo.join("data/sales.csv"),
        dir.path().join("data/sales.csv"),
    )
    .unwrap();
    let model = format!("cassette:{}", demo.join("cassette.json").display());
    (dir, model)
}

#[test]
fn completions_for_every_shell() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = llmos(dir.path(), &["completions", shell], &[]);
        assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
        for word in ["llmos", "record-cassette", "completions", "demo"] {
            assert!(out.stdout.contains(word), "{shell}: no {word}");
        }
    }
    let bash = llmos(dir.path(), &["completions", "bash"], &[]).stdout;
    let script = dir.path().join("llmos.bash");
    std::fs::write(&script, bash).unwrap();
    let syntax = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
        .unwrap();
    assert!(syntax.success(), "the bash script parses");
    let out = llmos(dir.path(), &["completions", "nushell"], &[]);
    assert_eq!(out.code, 2);
}

#[test]
fn a_man_page_for_llmos_and_each_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = llmos(dir.path(), &["man"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains(".TH llmos 1"), "{}", out.stdout);
    for name in ["run", "exec", "check", "demo", "man"] {
        assert!(out.stdout.contains(&format!("llmos\\-{name}(1)")), "{name}");
    }
    let run = llmos(dir.path(), &["man", "run"], &[]).stdout;
    assert!(run.contains(".TH llmos-run 1"), "{run}");
    assert!(run.contains("record\\-cassette"), "{run}");
    let out = llmos(dir.path(), &["man", "--dir", "pages"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for page in ["llmos.1", "llmos-run.1", "llmos-traces.1"] {
        assert!(dir.path().join("pages").join(page).is_file(), "{page}");
    }
    let out = llmos(dir.path(), &["man", "nope"], &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("no command `nope`"), "{}", out.stderr);
}

#[test]
fn color_is_chosen_by_flag_then_environment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.llt"), BAD).unwrap();
    let esc = |o: &Out| o.stderr.contains("\u{1b}[");
    let check = |flags: &[&str], env: &[(&str, &str)]| {
        let mut args = flags.to_vec();
        args.extend(["check", "bad.llt"]);
        let out = llmos(dir.path(), &args, env);
        assert_eq!(out.code, 1, "{}", out.stderr);
        esc(&out)
    };
    assert!(!check(&[], &[]), "not a terminal: no color");
    assert!(check(&["--color", "always"], &[]));
    assert!(
        check(&["--color=always"], &[("NO_COLOR", "1")]),
        "the flag wins"
    );
    assert!(!check(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]));
    assert!(check(&[], &[("CLICOLOR_FORCE", "1")]));
    let out = llmos(
        dir.path(),
        &["check", "bad.llt", "--color", "sometimes"],
        &[],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
}

#[test]
fn quiet_keeps_results_and_errors_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ok.llt"), "trace t\nreturn 1\n").unwrap();
    std::fs::write(dir.path().join("bad.llt"), BAD).unwrap();
    let out = llmos(dir.path(), &["check", "ok.llt"], &[]);
    assert_eq!(out.stderr, "ok.llt: ok (trace, 0 warnings)\n");
    let out = llmos(dir.path(), &["-q", "check", "ok.llt"], &[]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    let out = llmos(dir.path(), &["check", "-q", "bad.llt"], &[]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("type mismatch"),
        "errors stay: {}",
        out.stderr
    );
    assert!(!out.stderr.contains("1 error, 1 warning"), "{}", out.stderr);
    let out = llmos(dir.path(), &["-q", "exec", "ok.llt"], &[]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "1\n", "")
    );

    let (ws, model) = demo_workspace();
    let out = llmos(ws.path(), &["run", "-q", GOAL], &[("LLMOS_MODEL", &model)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stderr, "", "no `recording saved` note");
    assert!(out.stdout.starts_with("Wrote reports/sales.json."));
    let out = llmos(ws.path(), &["-q", "-v", "budget"], &[]);
    assert_eq!(out.code, 2, "-q and -v conflict");
}

#[test]
fn verbose_shows_each_llm_and_tool_call_off_a_terminal() {
    let (ws, model) = demo_workspace();
    let out = llmos(ws.path(), &["run", GOAL], &[("LLMOS_MODEL", &model)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        !out.stderr.contains("  tool  "),
        "quiet off a terminal: {}",
        out.stderr
    );
    let (ws, model) = demo_workspace();
    let out = llmos(ws.path(), &["-v", "run", GOAL], &[("LLMOS_MODEL", &model)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stderr.lines().collect();
    let read = "  tool  fs.read {\"path\":\"data/sales.csv\"}  ok (";
    assert!(lines.iter().any(|l| l.starts_with(read)), "{}", out.stderr);
    let llm = lines
        .iter()
        .filter(|l| l.starts_with("  llm   anthropic:claude-sonnet-4-5"))
        .count();
    assert_eq!(llm, 6, "{}", out.stderr);
    // The Follower's steps, for a new goal of the same shape.
    std::fs::copy(
        ws.path().join("data/sales.csv"),
        ws.path().join("data/may.csv"),
    )
    .unwrap();
    let goal = "write the statistics of data/may.csv to reports/may.json";
    let out = llmos(ws.path(), &["run", goal, "-v"], &[("LLMOS_MODEL", &model)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("  step  csv.describe  step 3 (`stats`)  ok"),
        "{}",
        out.stderr
    );
}

#[test]
fn traces_ls_and_show_json_have_the_documented_fields() {
    let (ws, model) = demo_workspace();
    let out = llmos(ws.path(), &["run", GOAL], &[("LLMOS_MODEL", &model)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let keys =
        |v: &serde_json::Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    let ls: serde_json::Value =
        serde_json::from_str(&llmos(ws.path(), &["traces", "ls", "--json"], &[]).stdout).unwrap();
    let fields = [
        "created_at",
        "goal",
        "id",
        "last_used_at",
        "learn_cost_usd",
        "name",
        "params",
        "program",
        "source",
        "success_rating",
        "usage_count",
    ];
    assert_eq!(keys(&ls[0]), fields);
    assert_eq!(ls[0]["goal"], "write the statistics of {input} to {output}");
    assert_eq!(ls[0]["source"], "learned");
    assert_eq!(ls[0]["program"].as_str().unwrap().len(), 64);
    let output = &ls[0]["params"][1];
    assert_eq!(
        (&output["name"], &output["type"]),
        (&"output".into(), &"path".into())
    );
    let show: serde_json::Value =
        serde_json::from_str(&llmos(ws.path(), &["traces", "show", "1", "--json"], &[]).stdout)
            .unwrap();
    let mut with_llt: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    with_llt.extend(["llt".into(), "lineage".into()]);
    with_llt.sort();
    assert_eq!(keys(&show), with_llt);
    assert!(
        show["llt"]
            .as_str()
            .unwrap()
            .contains("let stats = csv.describe(table: table)")
    );
}

#[test]
fn did_you_mean_the_nearest_whole_name() {
    let dir = tempfile::tempdir().unwrap();
    let src = "trace t\nlet n = txt.len(text: \"abc\")\nlet m = lst.len(items: [1])\nreturn n\n";
    std::fs::write(dir.path().join("typo.llt"), src).unwrap();
    let out = llmos(dir.path(), &["check", "--json", "typo.llt"], &[]);
    assert_eq!(out.code, 1);
    let diags: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let helps: Vec<&str> = diags
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "unknown-tool")
        .map(|d| d["help"].as_str().unwrap())
        .collect();
    assert_eq!(
        helps,
        ["did you mean `text.len`?", "did you mean `list.len`?"]
    );
}
