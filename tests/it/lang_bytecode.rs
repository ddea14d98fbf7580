//! Blocks in the IR and the bytecode: the golden listing and drawings of a program with
//! every block form, its bytes stable under layout and comments, and the verifier
//! refusing each way a block can be malformed (by name, without running anything).

use llmos::bytecode::{assemble, decode, disasm, encode, verify};
use llmos::ir::{BlockId, OpKind, Operand, ParamId, Program};
use llmos::store::ObjectId;
use llmos::tools::ToolTable;

const BLOCKS: &str = include_str!("../cases/lang/blocks.llt");

fn compile(src: &str) -> Program {
    llmos::ir::build::compile_source(src)
        .unwrap_or_else(|d| panic!("{d:?}"))
        .0
}

#[test]
fn a_program_with_blocks_round_trips_and_disassembles_stably() {
    let p = compile(BLOCKS);
    assert!(p.blocks.len() >= 6, "{}", p.blocks.len());
    let bytes = assemble(&p).unwrap();
    let back = decode(&bytes).unwrap();
    assert_eq!(back, p);
    assert_eq!(encode(&back), bytes);
    insta::assert_snapshot!("blocks_disasm", disasm(&back, &ObjectId::of(&bytes)));
    insta::assert_snapshot!("blocks_dot", llmos::ir::render::dot(&p));
    insta::assert_snapshot!("blocks_mermaid", llmos::ir::render::mermaid(&p));
}

#[test]
fn layout_and_comments_do_not_change_the_bytes() {
    let p = compile(BLOCKS);
    let noisy = BLOCKS
        .replace("    ", "        ")
        .replace(" {\n", " { // opens\n\n")
        .replace("\n}", "\n    // closing\n}");
    assert_ne!(noisy, BLOCKS);
    assert_eq!(encode(&compile(&noisy)), encode(&p));
    // The formatter's layout too.
    let (file, _) = llmos::syntax::parse(&noisy);
    let formatted = llmos::syntax::printer::format(&noisy, &file);
    assert_eq!(encode(&compile(&formatted)), encode(&p));
}

/// The verifier's message for `p`, which must be refused.
fn refused(p: &Program) -> String {
    verify(p.clone(), ToolTable::builtins())
        .unwrap_err()
        .to_string()
}

#[test]
fn malformed_blocks_are_refused_by_name() {
    let good = compile(BLOCKS);
    verify(good.clone(), ToolTable::builtins()).unwrap();

    // A block that no op owns.
    let mut p = good.clone();
    let extra = p.blocks[0].clone();
    p.blocks.push(extra);
    assert!(
        refused(&p).contains("no op owns the block"),
        "{}",
        refused(&p)
    );

    // A block owned twice (the second `for` takes the first's body).
    let mut p = good.clone();
    let fors: Vec<usize> = p
        .ops
        .iter()
        .enumerate()
        .filter(|(_, op)| matches!(op.kind, OpKind::For { .. }))
        .map(|(i, _)| i)
        .collect();
    if let OpKind::For { body, .. } = &mut p.ops[fors[1]].kind {
        *body = BlockId(0);
    }
    assert!(refused(&p).contains("expected ^"), "{}", refused(&p));

    // `elem` in an `if` branch, a capture out of range, a param read inside a block.
    let (then, _) = if_blocks(&good);
    for (bad, needle) in [
        (Operand::Elem, "`elem` is used outside a `for` body"),
        (Operand::Local(99), "operand &99 is out of range"),
        (
            Operand::Param(ParamId(0)),
            "a block reads param $0 directly",
        ),
    ] {
        let mut p = good.clone();
        p.blocks[then.index()].result = bad;
        let msg = refused(&p);
        assert!(msg.contains(needle), "{msg}");
    }

    // A write that does not wait for the `expect` before it.
    let mut p = good.clone();
    let write = p
        .ops
        .iter()
        .position(|op| matches!(op.kind, OpKind::Call { tool, .. } if p.tools[tool.index()].name == "fs.write"))
        .unwrap();
    p.ops[write].after.clear();
    assert!(
        refused(&p).contains("missing effect edge"),
        "{}",
        refused(&p)
    );

    // Blocks nested deeper than the limit.
    let mut src = String::from("trace deep\nparam x: list<int>\nreturn ");
    for i in 0..70 {
        src.push_str(&format!("for a{i} in x {{\n"));
    }
    src.push_str("1\n");
    src.push_str(&"}\n".repeat(70));
    let (file, mut diags) = llmos::syntax::parse(&src);
    llmos::check::check_file(&file, ToolTable::builtins(), &mut diags);
    assert!(
        diags.iter().any(|d| d.code == "nesting-too-deep"),
        "{diags:?}"
    );
}

/// The `then` and `else` blocks of the first `if` of the program.
fn if_blocks(p: &Program) -> (BlockId, Option<BlockId>) {
    p.ops
        .iter()
        .find_map(|op| match &op.kind {
            OpKind::If {
                then, otherwise, ..
            } => Some((*then, *otherwise)),
            _ => None,
        })
        .unwrap()
}

#[test]
fn decoded_blocks_survive_every_single_byte_mutation() {
    // Every byte of the program, flipped: a clean error or a canonical program, no panic.
    let bytes = encode(&compile(BLOCKS));
    for i in 0..bytes.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut b = bytes.clone();
            b[i] ^= flip;
            match decode(&b) {
                Ok(p) => assert_eq!(encode(&p), b),
                Err(e) => assert!(e.offset <= b.len() && !e.message.is_empty()),
            }
        }
    }
}
