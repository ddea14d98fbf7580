//! `llmos check` and `llmos fmt` take files, folders (every `.llt` below, hidden folders
//! skipped) and `-` (stdin); `check --json` prints every diagnostic as data.

use std::path::Path;

use assert_cmd::Command;
use serde_json::{Value, json};

const UNFORMATTED: &str = "trace t\nreturn   1\n";
const FORMATTED: &str = "trace t\nreturn 1\n";

fn llmos(dir: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let out = Command::from_std(crate::support::llmos_command(dir))
        .args(args)
        .write_stdin(stdin)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(dir: &Path, rel: &str, text: &[u8]) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn check_json_gives_code_severity_place_message_and_help() {
    let dir = tempfile::tempdir().unwrap();
    let src = "trace t\n\nparam unused: int = 3\nlet n = text.len(text: [\"a\"])\nreturn n\n";
    write(dir.path(), "bad.llt", src.as_bytes());
    let (code, stdout, stderr) = llmos(dir.path(), &["check", "--json", "bad.llt"], "");
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        stderr, "",
        "--json keeps stderr for failures of llmos itself"
    );
    let diags: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        diags,
        json!([
            {
                "code": "unused-param", "severity": "warning", "file": "bad.llt",
                "line": 3, "col": 7, "end_line": 3, "end_col": 13,
                "message": "param `unused` is never used",
                "help": "remove it, or use it in a step",
                "labels": [{"line": 3, "col": 7, "message": "never used"}],
            },
            {
                "code": "type-mismatch", "severity": "error", "file": "bad.llt",
                "line": 4, "col": 24, "end_line": 4, "end_col": 29,
                "message": "type mismatch: expected `str`, found `list<str>`",
                "help": "`text.len` takes `text: str`",
                "labels": [{"line": 4, "col": 24, "message": "this is `list<str>`"}],
            },
        ])
    );
}

#[test]
fn check_json_of_clean_and_unreadable_sources() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ok.llt", FORMATTED.as_bytes());
    write(dir.path(), "latin1.llt", b"trace t\nreturn \"caf\xe9\"\n");
    let (code, stdout, _) = llmos(dir.path(), &["check", "--json", "ok.llt"], "");
    assert_eq!((code, stdout.as_str()), (0, "[]\n"));
    let args = ["check", "--json", "ok.llt", "latin1.llt", "missing.llt"];
    let (code, stdout, _) = llmos(dir.path(), &args, "");
    assert_eq!(code, 1);
    let diags: Value = serde_json::from_str(&stdout).unwrap();
    let brief: Vec<(String, String, u64, u64)> = diags
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["file"].as_str().unwrap().to_owned(),
                d["line"].as_u64().unwrap(),
                d["col"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        brief,
        [
            ("not-utf8".into(), "latin1.llt".into(), 2, 12),
            ("io".into(), "missing.llt".into(), 1, 1),
        ]
    );
}

#[test]
fn a_folder_stands_for_every_llt_file_below_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "traces/a.llt", FORMATTED.as_bytes());
    write(dir.path(), "traces/deep/b.llt", UNFORMATTED.as_bytes());
    write(dir.path(), "traces/notes.txt", b"not a trace");
    write(dir.path(), "traces/.hidden/c.llt", b"broken (");
    let (code, _, stderr) = llmos(dir.path(), &["check", "traces"], "");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stderr,
        "traces/a.llt: ok (trace, 0 warnings)\ntraces/deep/b.llt: ok (trace, 0 warnings)\n"
    );
    let (code, _, stderr) = llmos(dir.path(), &["fmt", "--check", "traces"], "");
    assert_eq!(
        (code, stderr.as_str()),
        (1, "traces/deep/b.llt: would be reformatted\n")
    );
    let (code, _, stderr) = llmos(dir.path(), &["fmt", "traces"], "");
    assert_eq!(
        (code, stderr.as_str()),
        (0, "traces/deep/b.llt: formatted\n")
    );
    let b = std::fs::read_to_string(dir.path().join("traces/deep/b.llt")).unwrap();
    assert_eq!(b, FORMATTED);
    let hidden = std::fs::read_to_string(dir.path().join("traces/.hidden/c.llt")).unwrap();
    assert_eq!(hidden, "broken (", "hidden folders are not touched");
}

#[test]
fn a_folder_without_sources_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    for cmd in ["check", "fmt"] {
        let (code, _, stderr) = llmos(dir.path(), &[cmd, "empty"], "");
        assert_eq!(code, 1, "{cmd}");
        assert_eq!(
            stderr, "error[no-sources]: empty holds no .llt file\n",
            "{cmd}"
        );
    }
}

#[test]
fn a_dash_reads_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = llmos(dir.path(), &["fmt", "-"], UNFORMATTED);
    assert_eq!((code, stdout.as_str(), stderr.as_str()), (0, FORMATTED, ""));
    let (code, stdout, stderr) = llmos(dir.path(), &["fmt", "--check", "-"], UNFORMATTED);
    assert_eq!(code, 1);
    assert_eq!(
        (stdout.as_str(), stderr.as_str()),
        ("", "<stdin>: would be reformatted\n")
    );
    let (code, _, _) = llmos(dir.path(), &["fmt", "--check", "-"], FORMATTED);
    assert_eq!(code, 0);
    let (code, _, stderr) = llmos(dir.path(), &["check", "-"], FORMATTED);
    assert_eq!(
        (code, stderr.as_str()),
        (0, "<stdin>: ok (trace, 0 warnings)\n")
    );
    let (code, stdout, _) = llmos(dir.path(), &["check", "--json", "-"], "trace t\nreturn x\n");
    assert_eq!(code, 1);
    let diags: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(diags[0]["file"], "<stdin>");
    assert_eq!(diags[0]["code"], "undefined-name");
}
