//! Import of the original Python llmos traces: both formats, every tool mapping, and every
//! error, asserted by message (file, trace, step, tool, what).

use std::path::Path;

use llmos::learn::import::{ImportError, import_file, import_text};
use llmos::learn::recording::{
    IMPORTED_KEY, Outcome, RecStep, Recording, as_step_ref, parse_recording, step_ref, to_yaml,
};
use serde_json::{Value, json};

const ROOT: &str = "/home/alice/llmos/workspace";

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

fn import_fixture(name: &str) -> Vec<Recording> {
    let recs = import_file(&fixture(name), Path::new(ROOT))
        .unwrap_or_else(|e| panic!("{name} did not import:\n{e}"));
    for r in &recs {
        // Every imported recording survives its own YAML form.
        let yaml = to_yaml(r).unwrap();
        assert_eq!(&parse_recording(&yaml, name).unwrap(), r, "{yaml}");
        assert!(r.is_imported());
        assert!(
            r.steps
                .iter()
                .all(|s| s.result.is_none() && s.error.is_none())
        );
    }
    recs
}

fn import_err(name: &str) -> String {
    match import_file(&fixture(name), Path::new(ROOT)) {
        Ok(r) => panic!("{name} imported: {r:?}"),
        // `fixture("")` ends with a separator: names stay relative to the fixture folder.
        Err(e) => e
            .to_string()
            .replace(&fixture("").display().to_string(), ""),
    }
}

fn step(tool: &str, args: Value) -> RecStep {
    let args = args
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    RecStep {
        tool: tool.into(),
        args,
        result: None,
        error: None,
    }
}

/// A Markdown trace around a JSON list of calls.
fn md(calls: &Value) -> String {
    format!(
        "# Execution Trace: do it\n\n## Metadata\n- **Goal Signature**: `abc`\n\n## Tool Calls (PTC)\n\n```json\n{}\n```\n",
        serde_json::to_string_pretty(calls).unwrap()
    )
}

fn one(name: &str, args: Value) -> Result<Vec<RecStep>, String> {
    let text = md(&json!([{ "name": name, "arguments": args, "id": "toolu_1" }]));
    match import_text(&text, "t.md", Path::new(ROOT)) {
        Ok(mut recs) => Ok(recs.remove(0).steps),
        Err(e) => Err(e.to_string()),
    }
}

fn argv(command: &str) -> Value {
    let steps = one("Bash", json!({ "command": command, "description": "x" })).unwrap();
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].tool, "shell.run");
    steps[0].args["argv"].clone()
}

#[test]
fn markdown_trace_maps_read_edit_write_bash_glob() {
    let recs = import_fixture("3f9c2a7b41d0e865_update_the_sales_report_for_q3.md");
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!(r.goal, "Update the sales report for Q3");
    assert_eq!(r.model, "imported");
    assert_eq!(r.outcome, Outcome::Success);
    assert_eq!(r.usage.cost_micros, 41_200);
    // The original wrote local times without offset: not a started_at, kept as metadata.
    assert_eq!(r.started_at, None);
    assert_eq!(r.extra["success_rating"], json!(1.0));
    assert_eq!(r.extra["usage_count"], json!(3));
    let from = &r.extra[IMPORTED_KEY];
    assert_eq!(from["format"], json!("markdown"));
    assert_eq!(from["goal_signature"], json!("3f9c2a7b41d0e865"));
    assert_eq!(from["created_at"], json!("2025-11-08T14:32:10.482913"));
    assert_eq!(from["mode"], json!("LEARNER"));
    assert_eq!(from["estimated_time_secs"], json!(18.4));
    assert!(
        from["file"]
            .as_str()
            .unwrap()
            .ends_with("update_the_sales_report_for_q3.md")
    );
    assert_eq!(
        r.extra["import_notes"],
        json!(["step 3 (Read): dropped `offset`, `limit`: fs.read reads the whole file"])
    );
    let expected = vec![
        step("fs.glob", json!({ "pattern": "data/*.csv" })),
        step("fs.read", json!({ "path": "data/sales_q3.csv" })),
        step("fs.read", json!({ "path": "reports/sales.md" })),
        // Edit: read, replace in what was read, write what was replaced.
        step("fs.read", json!({ "path": "reports/sales.md" })),
        step(
            "text.replace",
            json!({ "text": step_ref(3), "from": "## Q3\n\nTBD", "to": "## Q3\n\nRevenue: $1.2M (+8% QoQ)" }),
        ),
        step(
            "fs.write",
            json!({ "path": "reports/sales.md", "content": step_ref(4) }),
        ),
        step(
            "shell.run",
            json!({ "argv": ["python3", "scripts/check_totals.py", "--quarter", "Q3", "reports/sales.md"] }),
        ),
        step(
            "fs.write",
            json!({ "path": "reports/CHANGELOG.md", "content": "# Changelog\n\n- 2025-11-08: Q3 figures added to reports/sales.md\n" }),
        ),
    ];
    assert_eq!(r.steps, expected);
    assert_eq!(as_step_ref(&r.steps[5].args["content"]), Some(4));
}

#[test]
fn markdown_file_with_two_traces() {
    let recs = import_fixture("0b7e41c9d2a35f86_morning_housekeeping.md");
    assert_eq!(recs.len(), 2);
    let a = &recs[0];
    assert_eq!(a.goal, "Find TODOs in main.py and fetch the style guide");
    assert_eq!(a.model, "anthropic:claude-sonnet-4-5-20250929");
    assert_eq!(a.extra["success_rating"], json!(0.9));
    assert_eq!(a.extra[IMPORTED_KEY]["last_used"], Value::Null);
    assert_eq!(
        a.steps,
        vec![
            // Grep of one file: read it, find the matches (case-insensitive, line anchors).
            step("fs.read", json!({ "path": "src/main.py" })),
            step(
                "text.regex_find",
                json!({ "text": step_ref(0), "pattern": "(?mi)TODO|FIXME" })
            ),
            // LS of the root itself.
            step("fs.list", json!({ "dir": "." })),
            step(
                "http.get",
                json!({ "url": "https://peps.python.org/pep-0008/" })
            ),
            // Shell operators: through sh, with the root made relative.
            step(
                "shell.run",
                json!({ "argv": ["sh", "-c", "cd . && grep -c TODO src/*.py | sort -t: -k2 -n"] }),
            ),
        ]
    );
    assert_eq!(
        a.extra["import_notes"],
        json!([
            "step 1 (Grep): dropped `output_mode`, `-n`: text.regex_find returns the matches",
            "step 3 (WebFetch): dropped `prompt`: http.get returns the page itself"
        ])
    );
    let b = &recs[1];
    assert_eq!(b.goal, "Rename the config keys in settings.yaml");
    // A creation time with an offset is a real timestamp.
    assert_eq!(
        b.started_at.as_deref(),
        Some("2025-11-10T08:10:03.004511+00:00")
    );
    assert_eq!(
        b.extra[IMPORTED_KEY]["crystallized_into_tool"],
        json!("rename_config_keys")
    );
    assert_eq!(b.extra[IMPORTED_KEY]["mode"], json!("FOLLOWER"));
    assert!(!b.extra.contains_key("import_notes"));
    assert_eq!(
        b.steps,
        vec![
            // MultiEdit: one read, the replacements in order, one write.
            step("fs.read", json!({ "path": "config/settings.yaml" })),
            step(
                "text.replace",
                json!({ "text": step_ref(0), "from": "db_host:", "to": "database_host:" })
            ),
            step(
                "text.replace",
                json!({ "text": step_ref(1), "from": "db_port:", "to": "database_port:" })
            ),
            step(
                "fs.write",
                json!({ "path": "config/settings.yaml", "content": step_ref(2) })
            ),
            // Already an llmos tool name: passes through.
            step("text.trim", json!({ "text": "  done  " })),
        ]
    );
}

#[test]
fn markdown_error_notes_make_a_failed_recording() {
    let recs = import_fixture("9a8b7c6d5e4f3a2b_deploy_the_docs_site.md");
    let r = &recs[0];
    assert_eq!(r.outcome, Outcome::Failure);
    assert!(
        r.error
            .as_deref()
            .unwrap()
            .starts_with("Command failed with exit code 1")
    );
    assert_eq!(r.extra["success_rating"], json!(0.5));
    assert_eq!(
        r.steps,
        vec![step(
            "shell.run",
            json!({ "argv": ["mkdocs", "build", "--strict"] })
        )]
    );
}

#[test]
fn yaml_execution_trace() {
    let recs = import_fixture("trace_8c1d0f3e5a7b9d21_20251108_143210.yaml");
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!(
        r.goal,
        "Create a Python file named utils.py with a slugify helper"
    );
    assert_eq!(r.model, "imported");
    assert_eq!(r.extra["success_rating"], json!(0.75));
    assert_eq!(r.extra["usage_count"], json!(0));
    let from = &r.extra[IMPORTED_KEY];
    assert_eq!(from["format"], json!("execution_trace"));
    assert_eq!(from["goal_signature"], json!("8c1d0f3e5a7b9d21"));
    assert_eq!(from["created_at"], json!("2025-11-08T14:32:10.482913"));
    assert_eq!(from["estimated_time_secs"], json!(21.84));
    assert_eq!(from["crystallized_into_tool"], Value::Null);
    assert_eq!(
        r.steps,
        vec![
            // PyYAML's folded double-quoted string comes back exactly.
            step(
                "fs.write",
                json!({ "path": "utils.py", "content": "import re\n\n\ndef slugify(text: str) -> str:\n    \"\"\"Lowercase, and join words with dashes.\"\"\"\n    return re.sub(r'[^a-z0-9]+', '-', text.lower()).strip('-')\n" }),
            ),
            step(
                "shell.run",
                json!({ "argv": ["python3", "-c", "import utils; print(utils.slugify(\"Hello, World\"))"] }),
            ),
            step("fs.read", json!({ "path": "utils.py" })),
        ]
    );
}

#[test]
fn yaml_stream_of_several_traces() {
    let recs = import_fixture("traces_export.yaml");
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0].goal, "List the markdown files in docs");
    assert_eq!(
        recs[0].steps,
        vec![
            // An absolute glob pattern under the root; a folder path with a trailing slash.
            step("fs.glob", json!({ "pattern": "docs/**/*.md" })),
            step("fs.list", json!({ "dir": "docs" })),
        ]
    );
    assert_eq!(recs[0].extra["usage_count"], json!(7));
    assert_eq!(recs[1].model, "anthropic:claude-sonnet-4-5-20250929");
    assert_eq!(
        recs[1].started_at.as_deref(),
        Some("2025-11-02T08:30:00+00:00")
    );
    assert_eq!(
        recs[1].extra[IMPORTED_KEY]["goal_signature"],
        json!("0000123400005678")
    );
    assert_eq!(
        recs[1].steps,
        vec![
            step(
                "http.get",
                json!({ "url": "https://example.com/CHANGELOG.md" })
            ),
            step(
                "fs.write",
                json!({ "path": "CHANGELOG.md", "content": "# Changelog\n" })
            ),
        ]
    );
}

#[test]
fn yaml_list_of_traces_and_name_arguments_steps() {
    let text = "- goal_text: one\n  steps:\n  - name: Read\n    arguments: { file_path: a.txt }\n- goal_text: two\n  steps:\n  - tool: LS\n    input: { path: /home/alice/llmos/workspace/src }\n";
    let recs = import_text(text, "list.yaml", Path::new(ROOT)).unwrap();
    assert_eq!(recs.len(), 2);
    assert_eq!(
        recs[0].steps,
        vec![step("fs.read", json!({ "path": "a.txt" }))]
    );
    assert_eq!(
        recs[1].steps,
        vec![step("fs.list", json!({ "dir": "src" }))]
    );
}

#[test]
fn native_recordings_pass_through() {
    let text = "llmos_recording: 1\ngoal: g\noutcome: success\nsteps:\n  - tool: llm.final\n    args: { text: hi }\n";
    let recs = import_text(text, "r.yaml", Path::new(ROOT)).unwrap();
    assert_eq!(recs, vec![parse_recording(text, "r.yaml").unwrap()]);
    let e = import_text("llmos_recording: 2\ngoal: g\n", "r.yaml", Path::new(ROOT)).unwrap_err();
    assert!(matches!(e, ImportError::Yaml(_)));
    assert!(
        e.to_string()
            .starts_with("r.yaml:1:18: unsupported `llmos_recording: 2`"),
        "{e}"
    );
}

#[test]
fn format_is_sniffed_without_a_known_extension() {
    let text = md(
        &json!([{ "name": "Read", "arguments": { "file_path": "/home/alice/llmos/workspace/a" } }]),
    );
    let recs = import_text(&text, "trace.txt", Path::new(ROOT)).unwrap();
    assert_eq!(recs[0].steps, vec![step("fs.read", json!({ "path": "a" }))]);
}

#[test]
fn every_tool_mapping() {
    let ok = |name: &str, args: Value| one(name, args).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        ok("Read", json!({ "file_path": format!("{ROOT}/x/y.txt") })),
        vec![step("fs.read", json!({ "path": "x/y.txt" }))]
    );
    assert_eq!(
        ok(
            "Write",
            json!({ "file_path": format!("{ROOT}/o.txt"), "content": "hi" })
        ),
        vec![step(
            "fs.write",
            json!({ "path": "o.txt", "content": "hi" })
        )]
    );
    assert_eq!(
        ok(
            "Edit",
            json!({ "file_path": "notes.md", "old_string": "a", "new_string": "b", "replace_all": true })
        ),
        vec![
            step("fs.read", json!({ "path": "notes.md" })),
            step(
                "text.replace",
                json!({ "text": step_ref(0), "from": "a", "to": "b" })
            ),
            step(
                "fs.write",
                json!({ "path": "notes.md", "content": step_ref(1) })
            ),
        ]
    );
    assert_eq!(
        ok("Glob", json!({ "pattern": "**/*.rs" })),
        vec![step("fs.glob", json!({ "pattern": "**/*.rs" }))]
    );
    assert_eq!(
        ok("Glob", json!({ "pattern": "*.rs", "path": ROOT })),
        vec![step("fs.glob", json!({ "pattern": "*.rs" }))]
    );
    assert_eq!(
        ok("LS", json!({ "path": format!("{ROOT}/src") })),
        vec![step("fs.list", json!({ "dir": "src" }))]
    );
    assert_eq!(
        ok("WebFetch", json!({ "url": "https://a.b/c" })),
        vec![step("http.get", json!({ "url": "https://a.b/c" }))]
    );
    assert_eq!(
        ok(
            "Grep",
            json!({ "pattern": "^fn ", "path": "src/lib.rs", "multiline": true })
        ),
        vec![
            step("fs.read", json!({ "path": "src/lib.rs" })),
            step(
                "text.regex_find",
                json!({ "text": step_ref(0), "pattern": "(?ms)^fn " })
            ),
        ]
    );
    assert_eq!(
        ok("csv.parse", json!({ "text": "a,b\n" })),
        vec![step("csv.parse", json!({ "text": "a,b\n" }))]
    );
    // Paths: `.` and `..` inside the root are resolved.
    assert_eq!(
        ok(
            "Read",
            json!({ "file_path": format!("{ROOT}/a/../b/./c.txt") })
        ),
        vec![step("fs.read", json!({ "path": "b/c.txt" }))]
    );
    assert_eq!(
        ok("Read", json!({ "file_path": "./a/b.txt" })),
        vec![step("fs.read", json!({ "path": "a/b.txt" }))]
    );
}

#[test]
fn bash_word_splitting() {
    assert_eq!(argv("ls -la"), json!(["ls", "-la"]));
    assert_eq!(
        argv("  git   commit -m 'fix: a  b'  "),
        json!(["git", "commit", "-m", "fix: a  b"])
    );
    assert_eq!(
        argv(r#"echo "say \"hi\"" it\'s"#),
        json!(["echo", "say \"hi\"", "it's"])
    );
    assert_eq!(argv(r#"printf "a\nb""#), json!(["printf", "a\\nb"]));
    assert_eq!(argv("echo ''"), json!(["echo", ""]));
    assert_eq!(argv("cat a\\ b.txt"), json!(["cat", "a b.txt"]));
    assert_eq!(argv("make \\\n  test"), json!(["make", "test"]));
    // Absolute paths under the root become relative, others stay.
    assert_eq!(
        argv(&format!("wc -l {ROOT}/data/a.csv /etc/hosts {ROOT}")),
        json!(["wc", "-l", "data/a.csv", "/etc/hosts", "."])
    );
    assert_eq!(
        argv(&format!("cat {ROOT}-old/a")),
        json!(["cat", format!("{ROOT}-old/a")])
    );
    // Anything a shell must interpret goes through `sh -c`.
    for cmd in [
        "ls | wc -l",
        "make && make test",
        "echo hi > out.txt",
        "echo $HOME",
        "echo \"$HOME\"",
        "echo `date`",
        "ls *.txt",
        "ls ~/x",
        "echo a # comment",
        "echo {a,b}",
        "FOO=1 make",
        "echo 'unterminated",
        "a; b",
        "echo one\necho two",
        "(cd x)",
    ] {
        assert_eq!(argv(cmd), json!(["sh", "-c", cmd]), "{cmd}");
    }
}

#[test]
fn bash_errors() {
    let e = one("Bash", json!({ "command": "  " })).unwrap_err();
    assert_eq!(
        e,
        "t.md: trace \"do it\" (line 1), step 1 (Bash): empty command"
    );
    let e = one(
        "Bash",
        json!({ "command": "sleep 9", "run_in_background": true }),
    )
    .unwrap_err();
    assert_eq!(
        e,
        "t.md: trace \"do it\" (line 1), step 1 (Bash): `run_in_background` has no counterpart: shell.run waits"
    );
    let e = one("Bash", json!({ "command": 7 })).unwrap_err();
    assert_eq!(
        e,
        "t.md: trace \"do it\" (line 1), step 1 (Bash): argument `command` must be a string, found 7"
    );
}

#[test]
fn argument_errors() {
    let e = one("Read", json!({})).unwrap_err();
    assert_eq!(
        e,
        "t.md: trace \"do it\" (line 1), step 1 (Read): missing argument `file_path`"
    );
    let e = one(
        "Write",
        json!({ "file_path": "a", "content": "b", "mode": "append" }),
    )
    .unwrap_err();
    assert_eq!(
        e,
        "t.md: trace \"do it\" (line 1), step 1 (Write): unknown argument(s) `mode`: no counterpart"
    );
    let e = one("Read", json!({ "file_path": "/etc/passwd" })).unwrap_err();
    assert_eq!(
        e,
        "t.md: trace \"do it\" (line 1), step 1 (Read): path `/etc/passwd` is outside the workspace root `/home/alice/llmos/workspace`"
    );
    let e = one("Read", json!({ "file_path": "a/../../x" })).unwrap_err();
    assert!(e.ends_with("step 1 (Read): path `a/../../x` is outside the workspace root `/home/alice/llmos/workspace`"), "{e}");
    let e = one("Read", json!({ "file_path": format!("{ROOT}/../other/x") })).unwrap_err();
    assert!(e.contains("is outside the workspace root"), "{e}");
    let e = one("MultiEdit", json!({ "file_path": "a", "edits": [] })).unwrap_err();
    assert!(
        e.ends_with("step 1 (MultiEdit): argument `edits` is empty"),
        "{e}"
    );
    let e = one(
        "MultiEdit",
        json!({ "file_path": "a", "edits": [{ "old_string": "x" }] }),
    )
    .unwrap_err();
    assert!(
        e.ends_with("step 1 (MultiEdit): edit 1 lacks `old_string` or `new_string`"),
        "{e}"
    );
    let e = one("Grep", json!({ "pattern": "x", "path": "src/" })).unwrap_err();
    assert!(e.ends_with("step 1 (Grep): Grep over a folder or a glob has no counterpart (only a Grep of one file is imported, as fs.read + text.regex_find)"), "{e}");
    let e = one("Grep", json!({ "pattern": "x" })).unwrap_err();
    assert!(e.contains("step 1 (Grep): Grep over a folder"), "{e}");
    let e = one(
        "Grep",
        json!({ "pattern": "x", "path": "a.rs", "type": "rust" }),
    )
    .unwrap_err();
    assert!(e.contains("step 1 (Grep): Grep over a folder"), "{e}");
    let e = one("NotebookEdit", json!({ "notebook_path": "a.ipynb" })).unwrap_err();
    assert_eq!(
        e,
        "t.md: trace \"do it\" (line 1), step 1 (NotebookEdit): no llmos counterpart for the Claude Code tool `NotebookEdit`"
    );
    let e = one("mcp__github__create_issue", json!({})).unwrap_err();
    assert!(
        e.ends_with("no llmos counterpart for the Claude Code tool `mcp__github__create_issue`"),
        "{e}"
    );
}

#[test]
fn every_unmapped_call_is_reported_with_its_step() {
    let e = import_err("e1f2a3b4c5d6e7f8_plan_the_sprint.md");
    let t = "e1f2a3b4c5d6e7f8_plan_the_sprint.md: trace \"Plan the sprint and research competitors\" (line 1)";
    let expected = [
        format!(
            "{t}, step 2 (TodoWrite): no llmos counterpart for the Claude Code tool `TodoWrite`"
        ),
        format!(
            "{t}, step 3 (Grep): Grep over a folder or a glob has no counterpart (only a Grep of one file is imported, as fs.read + text.regex_find)"
        ),
        format!(
            "{t}, step 4 (Read): path `/home/alice/.ssh/config` is outside the workspace root `/home/alice/llmos/workspace`"
        ),
        format!("{t}, step 5 (Task): no llmos counterpart for the Claude Code tool `Task`"),
        format!("{t}, step 6 (Write): unknown argument(s) `mode`: no counterpart"),
    ];
    assert_eq!(e, expected.join("\n"));
}

#[test]
fn yaml_trace_errors_name_trace_step_and_tool() {
    let e = import_err("trace_77aa88bb99cc00dd_20251113_091500.yaml");
    let t =
        "trace_77aa88bb99cc00dd_20251113_091500.yaml: trace 1 \"Research the latest Rust release\"";
    let expected = [
        format!(
            "{t}, step 1 (WebSearch): no llmos counterpart for the Claude Code tool `WebSearch`"
        ),
        format!("{t}, step 2 (Bash): `run_in_background` has no counterpart: shell.run waits"),
        format!(
            "{t}, step 3 (Read): path `../../etc/passwd` is outside the workspace root `/home/alice/llmos/workspace`"
        ),
        format!("{t}, step 4 (Write): missing argument `content`"),
    ];
    assert_eq!(e, expected.join("\n"));
}

#[test]
fn traces_without_calls_are_errors() {
    assert_eq!(
        import_err("trace_00ff00ff00ff00ff_20251114_100000.yaml"),
        "trace_00ff00ff00ff00ff_20251114_100000.yaml: trace 1 \"Say hello\": no tool calls to import"
    );
    assert_eq!(
        import_err("5d6e7f8091a2b3c4_create_a_python_file_named_utils_py.md"),
        "5d6e7f8091a2b3c4_create_a_python_file_named_utils_py.md: trace \"Create a Python file named utils.py\" (line 1): no tool calls to import (it has no `## Tool Calls (PTC)` section; it lists only the names of the tools used)"
    );
    let e = import_text(&md(&json!([])), "t.md", Path::new(ROOT))
        .unwrap_err()
        .to_string();
    assert_eq!(e, "t.md: trace \"do it\" (line 1): no tool calls to import");
}

#[test]
fn malformed_markdown() {
    let root = Path::new(ROOT);
    let e = import_text("# Notes\n\nnothing here\n", "n.md", root).unwrap_err();
    assert!(matches!(e, ImportError::NotATrace { .. }));
    assert_eq!(
        e.to_string(),
        "n.md: no `# Execution Trace: <goal>` heading: not a Markdown trace of the original llmos"
    );
    let bad_json = "# Execution Trace: g\n\n## Tool Calls (PTC)\n\n```json\n[\n  {\"name\": \"Read\",\n   \"arguments\": {\"file_path\": \"a\"},}\n]\n```\n";
    let e = import_text(bad_json, "j.md", root).unwrap_err().to_string();
    assert!(
        e.starts_with(
            "j.md: trace \"g\" (line 1): the tool calls JSON is invalid at line 8, column"
        ),
        "{e}"
    );
    let not_list =
        "# Execution Trace: g\n\n## Tool Calls (PTC)\n\n```json\n{\"name\": \"Read\"}\n```\n";
    let e = import_text(not_list, "j.md", root).unwrap_err().to_string();
    assert_eq!(
        e,
        "j.md: trace \"g\" (line 1): the tool calls at line 6 are not a JSON list"
    );
    let bad_call = md(&json!([{ "arguments": {} }, { "name": "Read", "arguments": "x" }]));
    let e = import_text(&bad_call, "c.md", root)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "c.md: trace \"do it\" (line 1), step 1: a tool call needs a string `name` and an object `arguments`\n\
         c.md: trace \"do it\" (line 1), step 2 (Read): a tool call needs a string `name` and an object `arguments`"
    );
    let bad_meta = "# Execution Trace: g\n\n## Metadata\n- **Success Rating**: high\n- **Usage Count**: -1\n\n## Tool Calls (PTC)\n\n```json\n[{\"name\": \"Read\", \"arguments\": {\"file_path\": \"a\"}}]\n```\n";
    let e = import_text(bad_meta, "m.md", root).unwrap_err().to_string();
    assert_eq!(
        e,
        "m.md: trace \"g\" (line 1): metadata `Success Rating: high` is not a percentage\n\
         m.md: trace \"g\" (line 1): metadata `Usage Count: -1` is not a count"
    );
    let preamble = format!(
        "Some notes\n\n{}",
        md(&json!([{ "name": "Read", "arguments": { "file_path": "a" } }]))
    );
    let e = import_text(&preamble, "p.md", root)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "p.md: line 1: text before the first `# Execution Trace:` heading"
    );
    let no_goal =
        md(&json!([{ "name": "Read", "arguments": { "file_path": "a" } }])).replace("do it", "");
    let e = import_text(&no_goal, "g.md", root).unwrap_err().to_string();
    assert_eq!(e, "g.md: trace \"\" (line 1): the heading names no goal");
}

#[test]
fn malformed_yaml() {
    let root = Path::new(ROOT);
    let e = import_text("goal_text: g\nsteps: [\n", "y.yaml", root).unwrap_err();
    assert!(matches!(e, ImportError::Yaml(_)));
    assert!(e.to_string().starts_with("y.yaml:2:8: "), "{e}");
    let e = import_text("name: x\nversion: 3\n", "y.yaml", root)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "y.yaml: trace 1 has neither `goal_text` nor `steps`: not an ExecutionTrace of the original llmos"
    );
    let e = import_text("", "y.yaml", root).unwrap_err().to_string();
    assert_eq!(e, "y.yaml: no traces: the YAML is empty");
    let e = import_text("- 3\n", "y.yaml", root)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "y.yaml: trace 1 is not a mapping: not an ExecutionTrace of the original llmos"
    );
    let text = "goal_signature: x\nsteps:\n- tool: Read\n  input: { file_path: a }\n- input: {}\n- tool: Read\n  input: [a]\n- tool: Read\n  input: { file_path: a }\n  output: b\nsuccess_rating: high\nusage_count: -2\n";
    let e = import_text(text, "y.yaml", root).unwrap_err().to_string();
    assert_eq!(
        e,
        "y.yaml: trace 1, step 2: a step needs a string `tool`\n\
         y.yaml: trace 1, step 3 (Read): the step's `input` must be a mapping\n\
         y.yaml: trace 1, step 4 (Read): unknown step key `output`\n\
         y.yaml: trace 1: `success_rating` must be a number\n\
         y.yaml: trace 1: `usage_count` must be a non-negative integer\n\
         y.yaml: trace 1: missing `goal_text`"
    );
}

#[test]
fn import_file_reports_io_errors() {
    let e = import_file(&fixture("does_not_exist.md"), Path::new(ROOT)).unwrap_err();
    assert!(matches!(e, ImportError::Io { .. }));
    assert!(
        e.to_string().contains("does_not_exist.md: cannot read: "),
        "{e}"
    );
}

#[test]
fn import_file_makes_a_relative_root_absolute() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.md");
    let abs = dir.path().join("ws/notes.txt");
    std::fs::write(
        &trace,
        md(&json!([{ "name": "Read", "arguments": { "file_path": abs } }])),
    )
    .unwrap();
    let cwd = std::env::current_dir().unwrap();
    // A root given relative to the current directory still matches absolute trace paths.
    let rel_root = pathdiff(&dir.path().join("ws"), &cwd);
    let recs = import_file(&trace, &rel_root).unwrap();
    assert_eq!(
        recs[0].steps,
        vec![step("fs.read", json!({ "path": "notes.txt" }))]
    );
}

/// `target` relative to `base` (both absolute), with `..` as needed.
fn pathdiff(target: &Path, base: &Path) -> std::path::PathBuf {
    let t: Vec<_> = target.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = t.iter().zip(&b).take_while(|(a, b)| a == b).count();
    let mut out = std::path::PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c.as_os_str());
    }
    out
}
