//! Golden disassembly of every spec example that checks clean (`tests/spec_examples/`),
//! and the properties that make a program's id its identity: the same source gives the
//! same bytes, comments and layout do not change them, and decoding gives the program back.

use std::path::{Path, PathBuf};

use llmos::bytecode::{assemble, decode, disasm};
use llmos::store::ObjectId;

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/spec_examples");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "llt"))
        .collect();
    paths.sort();
    paths
}

fn compile(src: &str) -> Vec<u8> {
    let (program, _) = llmos::ir::build::compile_source(src).expect("compiles");
    assemble(&program).expect("verifies")
}

#[test]
fn every_clean_example_disassembles_stably() {
    let mut clean = 0;
    for path in examples() {
        let src = std::fs::read_to_string(&path).unwrap();
        let Ok((program, _)) = llmos::ir::build::compile_source(&src) else {
            continue;
        };
        clean += 1;
        let bytes = assemble(&program).unwrap();
        let back = decode(&bytes).unwrap();
        assert_eq!(back, program, "{}", path.display());
        let id = ObjectId::of(&bytes);
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        insta::assert_snapshot!(name, disasm(&back, &id));
    }
    assert!(
        clean >= 5,
        "expected the five clean spec examples, found {clean}"
    );
}

#[test]
fn same_source_same_bytes() {
    for path in examples() {
        let src = std::fs::read_to_string(&path).unwrap();
        if llmos::ir::build::compile_source(&src).is_err() {
            continue;
        }
        assert_eq!(compile(&src), compile(&src), "{}", path.display());
    }
}

#[test]
fn comments_blank_lines_and_layout_do_not_change_the_id() {
    let plain = "trace t\ngoal \"read {file}\"\nparam file: path\nlet text = fs.read(path: file)\nlet n = text.len(text: text)\nreturn { \"n\": n, \"file\": file }\n";
    let noisy = "// A comment first.\n\n\ntrace   t   // trailing\ngoal \"read {file}\"\n\n/// The file.\nparam file :path\n\n\nlet text=fs.read(\n    path: file,\n)\n// between\nlet n = text.len(text:text)\nreturn {\n    \"n\": n,\n    \"file\": file,\n}\n";
    let a = compile(plain);
    let b = compile(noisy);
    assert_eq!(ObjectId::of(&a), ObjectId::of(&b));
    // A change of meaning does change it.
    let other = plain.replace("text.len", "text.lines");
    let other = other.replace(
        "let n = text.lines(text: text)",
        "let n = list.len(items: text.lines(text: text))",
    );
    assert_ne!(ObjectId::of(&a), ObjectId::of(&compile(&other)));
}

#[test]
fn formatted_source_gives_the_same_id() {
    for path in examples() {
        let src = std::fs::read_to_string(&path).unwrap();
        if llmos::ir::build::compile_source(&src).is_err() {
            continue;
        }
        let (file, _) = llmos::syntax::parse(&src);
        let formatted = llmos::syntax::printer::format(&src, &file);
        assert_eq!(compile(&src), compile(&formatted), "{}", path.display());
    }
}

#[test]
fn int_and_float_constants_are_different_programs() {
    let a = compile("trace t\nreturn math.sum(values: [1, 2])\n");
    let b = compile("trace t\nreturn math.sum(values: [1.0, 2])\n");
    assert_ne!(a, b);
    let p = decode(&b).unwrap();
    assert!(p.consts.iter().any(|c| c.is_f64()), "{:?}", p.consts);
}
