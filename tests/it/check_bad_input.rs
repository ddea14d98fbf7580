//! Bad input to `llmos check` and `llmos fmt`: always exit 1 with a diagnostic, never a
//! panic, an abort or a stack overflow. Plus a bounded fuzz run of the front end.

use assert_cmd::Command;
use proptest::prelude::*;

fn check_bytes(bytes: &[u8]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("input.llt");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::cargo_bin("llmos")
        .unwrap()
        .arg("check")
        .arg(&path)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_clean_failure(bytes: &[u8], needle: &str) {
    let (code, stderr) = check_bytes(bytes);
    assert_eq!(code, Some(1), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains(needle), "expected {needle:?} in\n{stderr}");
}

#[test]
fn empty_file() {
    assert_clean_failure(b"", "empty file");
}

#[test]
fn invalid_utf8_and_binary() {
    assert_clean_failure(b"trace t\nreturn \"\xff\xfe\"\n", "not valid UTF-8");
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let (code, stderr) = check_bytes(&noise);
    assert_eq!(code, Some(1));
    assert!(!stderr.contains("panicked"));
    assert_clean_failure(b"trace t\n\0\0\0\n", "syntax");
}

#[test]
fn deep_nesting_is_bounded() {
    let mut src = b"trace t\nreturn ".to_vec();
    src.extend(std::iter::repeat_n(b'[', 100_000));
    assert_clean_failure(&src, "nested more than 64 deep");
    let mut src = b"trace t\nreturn ".to_vec();
    for _ in 0..20_000 {
        src.extend_from_slice(b"f.g(a: ");
    }
    assert_clean_failure(&src, "nested more than 64 deep");
}

#[test]
fn unterminated_strings_and_unknown_escapes() {
    assert_clean_failure(b"trace t\nreturn \"abc\n", "unterminated string");
    assert_clean_failure(
        b"trace t\nreturn \"\"\"abc\n\n",
        "unterminated triple-quoted string",
    );
    assert_clean_failure(b"trace t\nreturn \"a\\qb\"\n", "unknown escape `\\q`");
}

#[test]
fn ten_megabyte_file() {
    let mut src = b"trace t\n".to_vec();
    while src.len() < 10_000_000 {
        src.extend_from_slice(
            b"// padding padding padding padding padding padding padding padding\n",
        );
    }
    assert_clean_failure(&src, "file-too-large");
}

#[test]
fn fmt_refuses_broken_files_without_touching_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.llt");
    std::fs::write(&path, "trace t\nlet a = [1,\n").unwrap();
    let out = Command::cargo_bin("llmos")
        .unwrap()
        .arg("fmt")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "trace t\nlet a = [1,\n"
    );
}

#[test]
fn missing_file_and_bad_command_line() {
    let out = Command::cargo_bin("llmos")
        .unwrap()
        .args(["check", "/nonexistent/x.llt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/x.llt"));
    let out = Command::cargo_bin("llmos")
        .unwrap()
        .args(["check"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "a missing argument is a command-line error"
    );
    let out = Command::cargo_bin("llmos")
        .unwrap()
        .args(["frobnicate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Fragments of real programs, glued at random: the bounded CI stand-in for the cargo-fuzz
/// target `fuzz/fuzz_targets/parse.rs`.
fn fragments() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("trace t\n"),
        Just("goal \"x {a}\"\n"),
        Just("param a: list<str> = []\n"),
        Just("let "),
        Just("b"),
        Just(" = "),
        Just("fs.read(path: "),
        Just("text.split(text: b, sep: \"\")"),
        Just(")"),
        Just("["),
        Just("]"),
        Just("{"),
        Just("}"),
        Just("\"{b.c[0]}\""),
        Just("\"\"\"x\n"),
        Just("\"\"\""),
        Just("ask \"p\""),
        Just(", "),
        Just(":"),
        Just("\n"),
        Just("// c\n"),
        Just("/// d\n"),
        Just("return "),
        Just("1.5e3"),
        Just("-7"),
        Just("null"),
        Just("\\"),
        Just("{{"),
        Just("tool a.b(x: int = 1) -> str effects(pure)\n"),
        Just("for x in "),
        Just("if "),
        Just(" else "),
        Just(" else if "),
        Just("expect "),
        Just(" and "),
        Just(" or "),
        Just("not "),
        Just(" == "),
        Just(" < "),
        Just(" {\n"),
        Just("\n}\n"),
        Just("let y = for x in b { x }\n"),
    ];
    proptest::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn front_end_never_panics_on_fragments(src in fragments()) {
        run_front_end(&src);
    }

    #[test]
    fn front_end_never_panics_on_any_text(src in "\\PC{0,200}") {
        run_front_end(&src);
    }
}

fn run_front_end(src: &str) {
    let (file, mut diags) = llmos::syntax::parse(src);
    let _ = llmos::check::check_file(&file, llmos::stdlib::table(), &mut diags);
    if !llmos::diag::has_errors(&diags) {
        let printed = llmos::syntax::printer::format(src, &file);
        let (again, d2) = llmos::syntax::parse(&printed);
        assert!(
            d2.is_empty(),
            "formatted text does not parse: {d2:?}\n{printed}"
        );
        assert_eq!(llmos::syntax::printer::format(&printed, &again), printed);
    }
    for d in &diags {
        let _ = llmos::cli::render::render(d, "fuzz.llt", src, false);
    }
}

#[test]
fn nesting_up_to_the_limit_is_fine() {
    let src = format!("trace t\nreturn {}{}\n", "[".repeat(64), "]".repeat(64));
    let (code, stderr) = check_bytes(src.as_bytes());
    assert_eq!(code, Some(0), "{stderr}");
    let calls = format!(
        "trace t\nreturn {}[1]{}\n",
        "list.len(items: ".repeat(32),
        ")".repeat(32)
    );
    let (code, stderr) = check_bytes(calls.as_bytes());
    assert_eq!(code, Some(0), "{stderr}");
}
