//! `llmos compile`, `disasm` and `graph` through the real binary: the printed id is the
//! blake3 of the written file and names the stored object; every way of naming a program
//! (a .llb path, a .llt path, an id, a unique prefix) gives the same program; bad inputs
//! exit 1 with a message.

use std::path::Path;

use assert_cmd::Command;

use crate::support::llmos_command;

const HELLO: &str = include_str!("../spec_examples/hello.llt");
const CSV: &str = include_str!("../spec_examples/csv_summary.llt");

fn llmos(dir: &Path) -> Command {
    let mut c = Command::from_std(llmos_command(dir));
    c.env("NO_COLOR", "1");
    c
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.llt"), HELLO).unwrap();
    std::fs::write(dir.path().join("csv_summary.llt"), CSV).unwrap();
    dir
}

/// Runs `llmos compile ARGS` and returns the printed id.
fn compile(dir: &Path, args: &[&str]) -> String {
    let out = llmos(dir).arg("compile").args(args).assert().success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let id = stdout.trim().to_owned();
    assert_eq!(id.len(), 64, "{stdout:?}");
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    id
}

fn stdout_of(cmd: &mut Command) -> String {
    String::from_utf8(cmd.assert().success().get_output().stdout.clone()).unwrap()
}

fn stderr_of_failure(cmd: &mut Command) -> String {
    String::from_utf8(cmd.assert().code(1).get_output().stderr.clone()).unwrap()
}

#[test]
fn the_printed_id_is_the_blake3_of_the_written_file_and_is_stored() {
    let ws = workspace();
    let id = compile(ws.path(), &["hello.llt", "-o", "hello.llb"]);
    let bytes = std::fs::read(ws.path().join("hello.llb")).unwrap();
    assert_eq!(id, blake3::hash(&bytes).to_hex().as_str());
    let object = ws
        .path()
        .join(".llmos/objects")
        .join(&id[..2])
        .join(&id[2..]);
    assert_eq!(std::fs::read(&object).unwrap(), bytes);
    let sidecar = std::fs::read_to_string(object.with_extension("src.json")).unwrap();
    assert!(
        sidecar.contains("hello.llt") && sidecar.contains("Hello, {name}!"),
        "{sidecar}"
    );
    // The same again, and the same after reformatting with comments added.
    assert_eq!(compile(ws.path(), &["hello.llt"]), id);
    let noisy = format!(
        "// extra comment\n\n\n{}\n\n// the end\n",
        HELLO.replace(" = ", "   =   ")
    );
    std::fs::write(ws.path().join("noisy.llt"), noisy).unwrap();
    assert_eq!(compile(ws.path(), &["noisy.llt"]), id);
}

#[test]
fn llmos_home_moves_the_store() {
    let ws = workspace();
    let home = tempfile::tempdir().unwrap();
    let out = llmos(ws.path())
        .env("LLMOS_HOME", home.path())
        .args(["compile", "hello.llt"])
        .assert()
        .success();
    let id = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let id = id.trim();
    assert!(
        home.path()
            .join("objects")
            .join(&id[..2])
            .join(&id[2..])
            .is_file()
    );
    assert!(!ws.path().join(".llmos").exists());
}

#[test]
fn every_way_of_naming_a_program_gives_the_same_listing() {
    let ws = workspace();
    let id = compile(ws.path(), &["csv_summary.llt", "-o", "csv.llb"]);
    let by_file = stdout_of(llmos(ws.path()).args(["disasm", "csv.llb"]));
    assert!(by_file.contains(&format!("; id {id}")), "{by_file}");
    assert!(
        by_file.contains("%4 = ask @0 prose (reads %2) : str"),
        "{by_file}"
    );
    for spec in [id.as_str(), &id[..8], &id[..4], "csv_summary.llt"] {
        let listing = stdout_of(llmos(ws.path()).args(["disasm", spec]));
        assert_eq!(listing, by_file, "disasm {spec}");
    }
    // A bytecode file with another extension is recognised by its magic bytes.
    std::fs::copy(ws.path().join("csv.llb"), ws.path().join("program.bin")).unwrap();
    assert_eq!(
        stdout_of(llmos(ws.path()).args(["disasm", "program.bin"])),
        by_file
    );
}

#[test]
fn emit_llt_prints_the_formatted_source_and_stores_nothing() {
    let ws = workspace();
    let messy = "trace   t\nparam   f:path\nlet x=fs.read(path:f)   // read it\nreturn x\n";
    std::fs::write(ws.path().join("t.llt"), messy).unwrap();
    let out = stdout_of(llmos(ws.path()).args(["compile", "t.llt", "--emit", "llt"]));
    assert_eq!(
        out,
        "trace t\nparam f: path\nlet x = fs.read(path: f) // read it\nreturn x\n"
    );
    assert!(!ws.path().join(".llmos").exists());
    // `--emit` and `-o` do not mix: a command-line error.
    llmos(ws.path())
        .args(["compile", "t.llt", "--emit", "llt", "-o", "x.llb"])
        .assert()
        .code(2);
}

#[test]
fn errors_exit_1_and_store_nothing() {
    let ws = workspace();
    std::fs::write(
        ws.path().join("bad.llt"),
        include_str!("../spec_examples/bad_types.llt"),
    )
    .unwrap();
    let err = stderr_of_failure(llmos(ws.path()).args(["compile", "bad.llt"]));
    assert!(err.contains("bad.llt:7:24"), "{err}");
    assert!(err.contains("nothing compiled"), "{err}");
    assert!(!ws.path().join(".llmos").exists());

    std::fs::write(ws.path().join("rec.yaml"), "goal: x\n").unwrap();
    let err = stderr_of_failure(llmos(ws.path()).args(["compile", "rec.yaml"]));
    assert!(err.contains("rec.yaml") && err.contains(".yaml"), "{err}");

    let err = stderr_of_failure(llmos(ws.path()).args(["compile", "missing.llt"]));
    assert!(err.contains("cannot read missing.llt"), "{err}");
}

#[test]
fn warnings_are_shown_and_the_program_still_compiles() {
    let ws = workspace();
    std::fs::write(
        ws.path().join("w.llt"),
        "trace w\nparam unused: int = 3\nreturn 1\n",
    )
    .unwrap();
    let out = llmos(ws.path())
        .args(["compile", "w.llt"])
        .assert()
        .success();
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(err.contains("never used"), "{err}");
}

#[test]
fn corrupted_bytecode_files_exit_1_with_a_message() {
    let ws = workspace();
    compile(ws.path(), &["csv_summary.llt", "-o", "good.llb"]);
    let good = std::fs::read(ws.path().join("good.llb")).unwrap();
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", good[..good.len() / 2].to_vec()),
        ("empty", Vec::new()),
        ("garbage", [good.as_slice(), b"trailing"].concat()),
        (
            "random",
            (0..200u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect(),
        ),
    ];
    // Bit flips where the format leaves no freedom: magic, version, a section tag, the
    // output's presence flag.
    for at in [0, 4, 6, good.len() - 3] {
        let mut b = good.clone();
        b[at] ^= 0x02;
        cases.push(("flipped", b));
    }
    for (i, (what, bytes)) in cases.iter().enumerate() {
        let name = format!("bad{i}.llb");
        std::fs::write(ws.path().join(&name), bytes).unwrap();
        let err = stderr_of_failure(llmos(ws.path()).args(["disasm", &name]));
        assert!(
            err.contains(&format!("{name} is not a valid program: at byte")),
            "{what}: {err}"
        );
        llmos(ws.path()).args(["graph", &name]).assert().code(1);
    }
}

#[test]
fn unknown_ambiguous_and_corrupt_ids_are_named() {
    let ws = workspace();
    let id = compile(ws.path(), &["hello.llt"]);
    let err = stderr_of_failure(llmos(ws.path()).args(["disasm", "0000000"]));
    assert!(
        err.contains("no stored program id starts with `0000000`"),
        "{err}"
    );

    // Two object names with the same prefix (their content does not matter to resolving).
    let shard = ws.path().join(".llmos/objects/ab");
    std::fs::create_dir_all(&shard).unwrap();
    let (a, b) = (
        format!("cd{}", "0".repeat(60)),
        format!("cd{}", "1".repeat(60)),
    );
    std::fs::write(shard.join(&a), b"x").unwrap();
    std::fs::write(shard.join(&b), b"y").unwrap();
    let err = stderr_of_failure(llmos(ws.path()).args(["disasm", "abcd"]));
    assert!(
        err.contains("ambiguous")
            && err.contains(&format!("ab{a}"))
            && err.contains(&format!("ab{b}")),
        "{err}"
    );

    // A tampered object is refused, naming its id.
    let object = ws
        .path()
        .join(".llmos/objects")
        .join(&id[..2])
        .join(&id[2..]);
    let mut bytes = std::fs::read(&object).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&object, bytes).unwrap();
    let err = stderr_of_failure(llmos(ws.path()).args(["disasm", &id[..10]]));
    assert!(
        err.contains(&format!("stored program {id} is corrupt")),
        "{err}"
    );
}

#[test]
fn graph_draws_dot_and_mermaid() {
    let ws = workspace();
    let dot = stdout_of(llmos(ws.path()).args(["graph", "csv_summary.llt"]));
    assert!(dot.starts_with("digraph \"csv_summary\" {"), "{dot}");
    assert!(dot.contains("o0 -> o6 [style=dashed"), "{dot}");
    insta::assert_snapshot!("graph_csv_summary_dot", dot);
    let mermaid =
        stdout_of(llmos(ws.path()).args(["graph", "csv_summary.llt", "--format", "mermaid"]));
    assert!(mermaid.starts_with("flowchart TD\n"), "{mermaid}");
    assert!(mermaid.contains("o0 -.-> o6"), "{mermaid}");
    insta::assert_snapshot!("graph_csv_summary_mermaid", mermaid);
    let fan = stdout_of(
        llmos(ws.path())
            .args(["graph", "--format", "mermaid"])
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/spec_examples/fan_out.llt")),
    );
    insta::assert_snapshot!("graph_fan_out_mermaid", fan);
}

/// A stored program's sidecar keeps the step→span table, so a failing step is shown
/// against its line without checking the source again (a table that says otherwise is
/// believed); a sidecar written before the table existed still loads and still names it.
#[test]
fn run_errors_name_the_line_from_the_sidecar_table() {
    let ws = workspace();
    let src = "trace t\nlet a = text.trim(text: \" x \")\nlet b = fs.read(path: \"missing.txt\")\nreturn b\n";
    std::fs::write(ws.path().join("fails.llt"), src).unwrap();
    let id = compile(ws.path(), &["fails.llt"]);
    let sidecar_path = ws
        .path()
        .join(".llmos/objects")
        .join(&id[..2])
        .join(format!("{}.src.json", &id[2..]));
    let sidecar: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sidecar_path).unwrap()).unwrap();
    let line = |n: usize| {
        let start: usize = src.lines().take(n - 1).map(|l| l.len() + 1).sum();
        serde_json::json!([start, start + src.lines().nth(n - 1).unwrap().len()])
    };
    assert_eq!(
        sidecar["steps"],
        serde_json::json!([line(2), line(3), [src.rfind('b').unwrap(), src.len() - 1]])
    );
    let exec = || stderr_of_failure(llmos(ws.path()).args(["exec", &id]));
    let err = exec();
    assert!(err.contains("[fails.llt:3:1]"), "{err}");

    // The table is what names the line: one pointing at line 2 is believed.
    let mut moved = sidecar.clone();
    moved["steps"][1] = line(2);
    std::fs::write(&sidecar_path, moved.to_string()).unwrap();
    let err = exec();
    assert!(err.contains("[fails.llt:2:1]"), "{err}");

    // An old sidecar, without the table: still read, the line still named.
    let mut old = sidecar;
    old.as_object_mut().unwrap().remove("steps");
    std::fs::write(&sidecar_path, old.to_string()).unwrap();
    let err = exec();
    assert!(err.contains("[fails.llt:3:1]"), "{err}");
    llmos(ws.path())
        .args(["store", "verify"])
        .assert()
        .success();
}
