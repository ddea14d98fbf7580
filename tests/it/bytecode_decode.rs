//! The decoder refuses bad bytes with an error naming the offset and the fault: truncation,
//! garbage, bad magic or version, non-minimal varints, link errors (unknown tool, changed
//! signature), and well-formed bytes that spell an invalid program.

use llmos::bytecode::{DecodeErrorKind, decode, decode_with, encode};
use llmos::ir::{OpKind, Operand, Program, SlotId};
use llmos::types::{Effect, Type};

const CSV: &str = include_str!("../spec_examples/csv_summary.llt");

fn program(src: &str) -> Program {
    llmos::ir::build::compile_source(src).unwrap().0
}

/// Encodes a hand-modified program (bypassing verification) and decodes it.
fn refused(p: &Program) -> llmos::bytecode::DecodeError {
    decode(&encode(p)).expect_err("the tampered program must be refused")
}

#[test]
fn every_proper_prefix_is_refused_as_truncated() {
    let bytes = encode(&program(CSV));
    for n in 0..bytes.len() {
        let e = decode(&bytes[..n]).unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::Malformed, "prefix {n}: {e}");
        assert!(e.offset <= n, "prefix {n}: {e}");
    }
    assert!(decode(&bytes).is_ok());
}

#[test]
fn trailing_garbage_is_refused() {
    let mut bytes = encode(&program(CSV));
    let end = bytes.len();
    bytes.extend_from_slice(b"junk");
    let e = decode(&bytes).unwrap_err();
    assert_eq!(e.offset, end);
    assert!(e.message.contains("4 trailing bytes"), "{e}");
}

#[test]
fn bad_magic_and_version_are_named() {
    let mut bytes = encode(&program(CSV));
    let e = decode(b"hello").unwrap_err();
    assert_eq!((e.offset, e.kind), (0, DecodeErrorKind::Malformed));
    assert!(e.message.contains("magic"), "{e}");
    // Version 1 (before blocks) is refused: recompile.
    bytes[4] = 1;
    let e = decode(&bytes).unwrap_err();
    assert_eq!((e.offset, e.kind), (4, DecodeErrorKind::Version));
    assert!(
        e.to_string().contains("format version 1 is not supported"),
        "{e}"
    );
    bytes[4] = 3;
    let e = decode(&bytes).unwrap_err();
    assert!(e.to_string().contains("reads version 2"), "{e}");
}

#[test]
fn overlong_varint_is_refused() {
    let bytes = encode(&program(CSV));
    // Offset 7: the length of the program name (after magic, version and the name tag).
    let mut bad = bytes[..7].to_vec();
    bad.extend_from_slice(&[bytes[7] | 0x80, 0x00]);
    bad.extend_from_slice(&bytes[8..]);
    let e = decode(&bad).unwrap_err();
    assert_eq!(e.offset, 7);
    assert!(e.message.contains("shortest form"), "{e}");
}

#[test]
fn invalid_utf8_is_refused_at_the_bad_byte() {
    let mut bytes = encode(&program(CSV));
    // The name `csv_summary` starts at offset 8.
    bytes[10] = 0xff;
    let e = decode(&bytes).unwrap_err();
    assert_eq!(e.offset, 10);
    assert!(e.message.contains("UTF-8"), "{e}");
}

#[test]
fn a_changed_tool_signature_is_a_link_error() {
    let bytes = encode(&program(CSV));
    let mut table = llmos::stdlib::table().clone();
    let mut entry = table.entry("fs.read").unwrap().clone();
    entry.decl.ret = Type::Json;
    table.insert(llmos::tools::ToolEntry::builtin(entry.decl, entry.imp));
    let e = decode_with(&bytes, &table).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::Link, "{e}");
    assert!(e.message.contains("tool `fs.read`"), "{e}");
    assert!(
        e.message
            .contains("current signature differs: `fs.read(path: path) -> json effects(read)`"),
        "{e}"
    );
    table.remove("fs.read");
    let e = decode_with(&bytes, &table).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::Link);
    assert!(e.message.contains("does not have"), "{e}");
}

#[test]
fn a_missing_effect_edge_is_refused() {
    let mut p = program(CSV);
    let write = p.ops.len() - 1;
    assert!(!p.ops[write].after.is_empty());
    p.ops[write].after.clear();
    let e = refused(&p);
    assert_eq!(e.kind, DecodeErrorKind::Invalid);
    assert!(e.message.contains(&format!("op %{write}")), "{e}");
    assert!(e.message.contains("missing effect edge"), "{e}");
}

#[test]
fn forward_references_and_cycles_are_refused() {
    let mut p = program(CSV);
    let OpKind::Call { args, .. } = &mut p.ops[0].kind else {
        panic!("op 0 is a call")
    };
    args[0] = Operand::Op(llmos::ir::OpId(3));
    let e = refused(&p);
    assert!(e.message.contains("op %0"), "{e}");
    assert!(e.message.contains("earlier op"), "{e}");

    let mut p = program(CSV);
    p.ops[1].after = vec![llmos::ir::OpId(1)];
    let e = refused(&p);
    assert!(
        e.message.contains("op %1") && e.message.contains("not an earlier op"),
        "{e}"
    );
}

#[test]
fn arity_result_types_and_capabilities_are_checked() {
    let mut p = program(CSV);
    if let OpKind::Call { args, .. } = &mut p.ops[0].kind {
        args.push(Operand::Const(llmos::ir::ConstId(0)));
    }
    assert!(
        refused(&p)
            .message
            .contains("takes 1 arguments, the call passes 2")
    );

    let mut p = program(CSV);
    p.ops[0].ty = Type::Int;
    let e = refused(&p);
    assert!(
        e.message.contains("the op's type is int, expected str"),
        "{e}"
    );

    let mut p = program(CSV);
    p.effects.insert(Effect::Net);
    let e = refused(&p);
    assert!(
        e.to_string()
            .contains("capability set: it is (pure, read, write, net, llm)"),
        "{e}"
    );
    // After magic and version (6), the name section (2 + 11) and the goal section.
    let goal = "summarize {input} into {report}".len();
    assert_eq!(e.offset, 6 + 2 + "csv_summary".len() + 3 + goal + 1, "{e}");

    let mut p = program(CSV);
    if let OpKind::Call { args, .. } = &mut p.ops[0].kind {
        // fs.read wants a path; a template-text constant is a str, accepted; an op of
        // type json is accepted too (checked at run time), but a list is not.
        args[0] = Operand::Const(llmos::ir::ConstId(0));
    }
    assert!(decode(&encode(&p)).is_ok());
}

#[test]
fn tables_must_be_sorted_and_references_in_range() {
    let mut p = program(CSV);
    p.tools.swap(0, 1);
    let e = refused(&p);
    assert!(e.message.contains("out of order"), "{e}");

    let mut p = program(CSV);
    p.output = Some(Operand::Param(llmos::ir::ParamId(9)));
    let e = refused(&p);
    assert!(
        e.message.starts_with("output: operand $9 is out of range"),
        "{e}"
    );

    let mut p = program(CSV);
    let text = p.consts.iter().position(|c| c.is_string()).unwrap();
    p.consts[text] = serde_json::json!(5);
    let e = refused(&p);
    assert!(e.message.contains("used as text but is a int"), "{e}");
}

#[test]
fn slots_are_asked_once_in_order() {
    let mut p = program(CSV);
    let ask = p
        .ops
        .iter()
        .position(|o| matches!(o.kind, OpKind::Ask { .. }))
        .unwrap();
    p.ops[ask].kind = OpKind::Ask { slot: SlotId(1) };
    assert!(refused(&p).message.contains("asks slot @1, expected @0"));
}

#[test]
fn a_ten_thousand_step_trace_round_trips() {
    let mut src =
        String::from("trace big\nparam seed: str = \"x\"\nlet s0 = text.trim(text: seed)\n");
    for i in 1..10_000 {
        src.push_str(&format!(
            "let s{i} = text.replace(text: s{}, from: \"a\", to: \"b{i}\")\n",
            i - 1
        ));
    }
    src.push_str("return s9999\n");
    let p = program(&src);
    assert_eq!(p.ops.len(), 10_000);
    let bytes = encode(&p);
    assert_eq!(decode(&bytes).unwrap(), p);
}

#[test]
fn ten_thousand_readers_of_one_op_and_one_write_after_them_round_trip() {
    // Wide fan-out and a write with thousands of effect edges: decoding stays linear.
    let mut src = String::from("trace wide\nparam f: path\nlet t = fs.read(path: f)\n");
    for i in 0..5_000 {
        src.push_str(&format!(
            "let n{i} = text.len(text: t)\nlet r{i} = fs.exists(path: \"x{i}\")\n"
        ));
    }
    src.push_str("fs.write(path: \"out\", content: t)\nreturn n0\n");
    let p = program(&src);
    let write = p.ops.last().unwrap();
    assert_eq!(
        write.after.len(),
        5_000,
        "the write waits for the 5,000 reads it does not read"
    );
    let bytes = encode(&p);
    let start = std::time::Instant::now();
    assert_eq!(decode(&bytes).unwrap(), p);
    // Generous even for a debug build on a busy machine; a quadratic pass takes seconds.
    assert!(
        start.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}
