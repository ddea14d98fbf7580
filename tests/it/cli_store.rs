//! `llmos store verify|gc` through the real binary, and a tampered stored object refused
//! by `program::load` (what `exec` calls) as well as reported by `verify`.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use assert_cmd::Command;

use crate::support::llmos_command;
use llmos::cli::program::{LoadError, load};
use llmos::workspace::Workspace;

fn llmos(dir: &Path) -> Command {
    let mut c = Command::from_std(llmos_command(dir));
    c.env("NO_COLOR", "1");
    c
}

fn compile(dir: &Path, name: &str, src: &str) -> String {
    std::fs::write(dir.join(name), src).unwrap();
    let out = llmos(dir).args(["compile", name]).assert().success();
    String::from_utf8(out.get_output().stdout.clone())
        .unwrap()
        .trim()
        .to_owned()
}

fn object(dir: &Path, id: &str) -> PathBuf {
    dir.join(".llmos/objects").join(&id[..2]).join(&id[2..])
}

fn make_old(path: &Path) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(7200))
        .unwrap();
}

fn output(cmd: &mut Command, code: i32) -> (String, String) {
    let out = cmd.assert().code(code);
    let o = out.get_output();
    (
        String::from_utf8(o.stdout.clone()).unwrap(),
        String::from_utf8(o.stderr.clone()).unwrap(),
    )
}

#[test]
fn verify_passes_a_sound_store_and_names_every_corrupt_id() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (_, err) = output(llmos(d).args(["store", "verify"]), 0);
    assert!(err.contains("no objects"), "{err}");

    let a = compile(d, "a.llt", "trace a\nreturn 1\n");
    let b = compile(d, "b.llt", "trace b\nreturn 2\n");
    let c = compile(d, "c.llt", "trace c\nreturn 3\n");
    let (out, err) = output(llmos(d).args(["store", "verify"]), 0);
    assert_eq!(out, "");
    assert!(err.contains("store ok: 3 objects checked"), "{err}");

    for id in [&a, &c] {
        let mut bytes = std::fs::read(object(d, id)).unwrap();
        bytes.push(0);
        std::fs::write(object(d, id), bytes).unwrap();
    }
    let (out, err) = output(llmos(d).args(["store", "verify"]), 1);
    let mut expected = [a.clone(), c.clone()];
    expected.sort();
    assert_eq!(out, format!("{}\n", expected.join("\n")));
    for id in [&a, &c] {
        assert!(err.contains(&format!("object {id} is corrupt")), "{err}");
    }
    assert!(!err.contains(&format!("object {b} is corrupt")), "{err}");
}

#[test]
fn a_tampered_object_is_refused_by_load() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = compile(d, "a.llt", "trace a\nparam x: str = \"hi\"\nreturn x\n");
    let ws = Workspace::open(Some(d), |_| None).unwrap();
    let loaded = load(&id, &ws, llmos::stdlib::table()).unwrap();
    assert_eq!(loaded.id.to_string(), id);
    assert_eq!(loaded.source.as_ref().unwrap().0, "a.llt");

    let path = object(d, &id);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[8] ^= 0x20; // the program name: still well-formed, but not these bytes' hash
    std::fs::write(&path, bytes).unwrap();
    match load(&id[..6], &ws, llmos::stdlib::table()) {
        Err(e @ LoadError::Corrupt { .. }) => {
            let m = e.to_string();
            assert!(
                m.contains(&format!("stored program {id} is corrupt")),
                "{m}"
            )
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // `exec` refuses it too, before anything runs; `run` does not follow it either.
    let (_, err) = output(llmos(d).args(["exec", &id]), 1);
    assert!(
        err.contains(&format!("stored program {id} is corrupt")),
        "{err}"
    );
    assert!(
        !d.join(".llmos/runs")
            .read_dir()
            .is_ok_and(|mut r| r.next().is_some()),
        "no run started"
    );
}

#[test]
fn llmos_tools_lists_every_declaration() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = output(llmos(dir.path()).arg("tools"), 0);
    for name in llmos::stdlib::table().keys() {
        assert!(
            out.contains(&format!("{name}(")),
            "{name} missing from:\n{out}"
        );
    }
    assert!(
        out.contains("text.split(text: str, sep: str = \" \") -> list<str>  effects(pure)"),
        "{out}"
    );
    assert!(
        out.contains("Read a UTF-8 text file inside the workspace root."),
        "{out}"
    );
    let (json, _) = output(llmos(dir.path()).args(["tools", "--json"]), 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v.as_array().unwrap().len(), llmos::stdlib::table().len());
    assert_eq!(v[0]["name"], "csv.describe", "sorted by name");
    assert_eq!(v[0]["effects"], serde_json::json!(["pure"]));
}

#[test]
fn load_compiles_sources_and_reads_bytecode_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("a.llt"),
        "trace a\nparam unused: int = 1\nreturn 2\n",
    )
    .unwrap();
    let ws = Workspace::open(Some(d), |_| None).unwrap();
    let from_source = load(
        d.join("a.llt").to_str().unwrap(),
        &ws,
        llmos::stdlib::table(),
    )
    .unwrap();
    assert_eq!(from_source.warnings.len(), 1);
    // Loading a source stores nothing; `program::store` does.
    assert!(!d.join(".llmos").exists());
    let id = llmos::cli::program::store(&ws, &from_source).unwrap();
    assert_eq!(id, from_source.id);
    let stored = load(&id.to_string(), &ws, llmos::stdlib::table()).unwrap();
    assert_eq!(stored.program, from_source.program);
    assert_eq!(stored.source, from_source.source);

    std::fs::write(d.join("bad.llt"), "trace a\nreturn nope\n").unwrap();
    match load(
        d.join("bad.llt").to_str().unwrap(),
        &ws,
        llmos::stdlib::table(),
    ) {
        Err(LoadError::Diagnostics { diagnostics, .. }) => {
            assert_eq!(diagnostics[0].code, "undefined-name")
        }
        other => panic!("{other:?}"),
    }
    match load("not-a-thing", &ws, llmos::stdlib::table()) {
        Err(e @ LoadError::NotFound { .. }) => {
            assert!(e.to_string().contains("no such file"), "{e}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn gc_keeps_library_roots_and_young_objects() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let kept = compile(d, "kept.llt", "trace kept\nreturn 1\n");
    let dropped = compile(d, "dropped.llt", "trace dropped\nreturn 2\n");
    let young = compile(d, "young.llt", "trace young\nreturn 3\n");
    for id in [&kept, &dropped] {
        make_old(&object(d, id));
    }
    let db = llmos::db::Db::open_in(&d.join(".llmos")).unwrap();
    db.library()
        .add(&llmos::db::NewTrace {
            name: "kept".into(),
            goal_template: "keep it".into(),
            program_id: kept.clone(),
            params: serde_json::json!({}),
            source: llmos::db::TraceSource::Compiled,
            learn_cost_micros: 0,
        })
        .unwrap();
    drop(db);

    let (out, err) = output(llmos(d).args(["store", "gc"]), 0);
    assert_eq!(out, format!("{dropped}\n"), "{err}");
    assert!(err.contains("removed 1 objects, 1 sources"), "{err}");
    assert!(object(d, &kept).is_file() && object(d, &young).is_file());
    assert!(!object(d, &dropped).exists());
    // With no grace, the young unreferenced one goes too; the root stays.
    let (out, _) = output(llmos(d).args(["store", "gc", "--grace", "0s"]), 0);
    assert_eq!(out, format!("{young}\n"));
    assert!(object(d, &kept).is_file());
    output(llmos(d).args(["store", "verify"]), 0);
}

#[test]
fn gc_removes_stale_temp_files_beside_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    compile(d, "kept.llt", "trace kept\nreturn 1\n");
    let state = d.join(".llmos");
    // What a process killed while replacing the library snapshot leaves.
    let stale = state.join(".llmos.db-library.4242.00000000deadbeef.tmp");
    let fresh = state.join(".llmos.db-library.4243.00000000cafef00d.tmp");
    std::fs::write(&stale, b"half a snapshot").unwrap();
    std::fs::write(&fresh, b"being written").unwrap();
    std::fs::write(state.join("config.toml"), b"").unwrap();
    make_old(&stale);
    make_old(&state.join("config.toml"));
    let (_, err) = output(llmos(d).args(["store", "gc"]), 0);
    assert!(err.contains("1 stale temp files (15 bytes)"), "{err}");
    assert!(
        !stale.exists() && fresh.exists(),
        "a young temp file may be in use"
    );
    assert!(
        state.join("config.toml").is_file(),
        "nothing else is touched"
    );
}
