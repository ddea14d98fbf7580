//! Every example of the spec checks as its comment says, through the real binary. The
//! `bad_*` ones fail at the `line:col` their first comment line names.
//!
//! `tests/spec_examples/` is a copy of the spec's `examples/`; when the spec folder is
//! beside the checkout, the copy must be identical.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/spec_examples");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "llt"))
        .collect();
    v.sort();
    v
}

/// `// Expected: error at 7:24, ...; warning at 5:7, ...` gives [("error", "7:24"), ("warning", "5:7")].
fn expectations(src: &str) -> Vec<(String, String)> {
    let comment: String = src
        .lines()
        .take_while(|l| l.starts_with("//"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut out = Vec::new();
    for kind in ["error", "warning"] {
        let pat = format!("{kind} at ");
        let mut rest = comment.as_str();
        while let Some(i) = rest.find(&pat) {
            let tail = &rest[i + pat.len()..];
            let pos: String = tail
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == ':')
                .collect();
            out.push((kind.to_owned(), pos));
            rest = tail;
        }
    }
    out
}

#[test]
fn spec_examples_check_as_their_comments_say() {
    let list = examples();
    assert!(list.len() >= 7);
    for path in list {
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let out = Command::cargo_bin("llmos")
            .unwrap()
            .current_dir(path.parent().unwrap())
            .args(["check", &name])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        let src = std::fs::read_to_string(&path).unwrap();
        if name.starts_with("bad_") {
            assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
            let exp = expectations(&src);
            assert!(!exp.is_empty(), "{name} states what it expects");
            for (kind, pos) in exp {
                assert!(
                    stderr.contains(&format!("{name}:{pos}]")),
                    "{name}: no {kind} at {pos} in\n{stderr}"
                );
            }
        } else {
            assert_eq!(out.status.code(), Some(0), "{name}: {stderr}");
            assert!(!stderr.contains('⚠'), "{name} has warnings: {stderr}");
        }
    }
}

#[test]
fn bad_unknown_tool_suggests_the_right_name() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/spec_examples");
    let out = Command::cargo_bin("llmos")
        .unwrap()
        .current_dir(&dir)
        .args(["check", "bad_unknown_tool.llt"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown tool `fs.reed`"), "{stderr}");
    assert!(stderr.contains("did you mean `fs.read`?"), "{stderr}");
}

#[test]
fn copy_matches_the_spec_when_present() {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/spec/examples");
    if !spec.is_dir() {
        return; // A clean clone without the spec beside it: nothing to compare.
    }
    let copy = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/spec_examples");
    for entry in walk(&spec) {
        let rel = entry.strip_prefix(&spec).unwrap();
        let ours = std::fs::read(copy.join(rel)).unwrap_or_default();
        assert_eq!(
            std::fs::read(&entry).unwrap(),
            ours,
            "tests/spec_examples/{} differs from the spec",
            rel.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}
