//! Property tests of the bytecode: for generated traces, `decode(encode(ir)) == ir` and the
//! bytes are canonical; comments and blank lines never change the id; and any bytes at all
//! (random, or a valid program mutated) decode to a program or an error, never a panic.

use llmos::bytecode::{assemble, decode, encode};
use llmos::store::ObjectId;
use proptest::prelude::*;

/// One generated statement, rendered against the names defined so far.
#[derive(Clone, Debug)]
enum Stmt {
    Read,
    Template(u8),
    Len,
    Split(String),
    Parse,
    Object(u8),
    Field(String),
    Index,
    Write(u8),
    Ask(u8),
    Sum(i64, f64),
    Const(Lit),
    List,
    /// A `for` over a list: a template, a guard and a length per element.
    For(u8),
    /// A `for` inside a `for`, and an `ask` per element.
    Nested(u8),
    /// `if ... and ... { } else if not ... { } else { }`
    If(u8),
    /// `expect COND, "message"`
    Expect(u8),
}

#[derive(Clone, Debug)]
enum Lit {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Null,
    Nested(i64, String),
}

fn lit() -> impl Strategy<Value = Lit> {
    prop_oneof![
        any::<i64>().prop_map(Lit::Int),
        (-1.0e6f64..1.0e6).prop_map(Lit::Float),
        "[a-z é{}\"\\\\]{0,8}".prop_map(Lit::Str),
        any::<bool>().prop_map(Lit::Bool),
        Just(Lit::Null),
        (any::<i64>(), "[a-z]{0,4}").prop_map(|(i, s)| Lit::Nested(i, s)),
    ]
}

fn stmt() -> impl Strategy<Value = Stmt> {
    prop_oneof![
        Just(Stmt::Read),
        any::<u8>().prop_map(Stmt::Template),
        Just(Stmt::Len),
        "[a-z,; ]{0,3}".prop_map(Stmt::Split),
        Just(Stmt::Parse),
        any::<u8>().prop_map(Stmt::Object),
        "k[a-z]{0,5}".prop_map(Stmt::Field),
        Just(Stmt::Index),
        any::<u8>().prop_map(Stmt::Write),
        any::<u8>().prop_map(Stmt::Ask),
        (any::<i64>(), -100.0f64..100.0).prop_map(|(i, f)| Stmt::Sum(i, f)),
        lit().prop_map(Stmt::Const),
        Just(Stmt::List),
        any::<u8>().prop_map(Stmt::For),
        any::<u8>().prop_map(Stmt::Nested),
        any::<u8>().prop_map(Stmt::If),
        any::<u8>().prop_map(Stmt::Expect),
    ]
}

/// A string literal in `.llt` syntax (braces doubled, quotes and backslashes escaped).
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '{' => out.push_str("{{"),
            '}' => out.push_str("}}"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn lit_text(l: &Lit) -> String {
    match l {
        Lit::Int(i) => i.to_string(),
        Lit::Float(f) => format!("{f:?}"),
        Lit::Str(s) => quote(s),
        Lit::Bool(b) => b.to_string(),
        Lit::Null => "null".to_owned(),
        Lit::Nested(i, s) => format!("{{ \"k\": [{i}, {}], \"z\": {{ \"a\": null }} }}", quote(s)),
    }
}

/// Renders a trace from generated statements; every name refers only to earlier ones.
fn render(params: u8, stmts: &[Stmt], ret: bool) -> String {
    let mut out = String::from("trace gen\n");
    let (mut strs, mut ints, mut jsons, mut lists) = (vec![], vec![], vec![], vec![]);
    for i in 0..params % 4 {
        match i {
            0 => {
                out.push_str("param p0: path\n");
                strs.push("p0".to_owned());
            }
            1 => {
                out.push_str("param p1: int = 3\n");
                ints.push("p1".to_owned());
            }
            _ => {
                out.push_str(&format!("param p{i}: str = \"d{i}\"\n"));
                strs.push(format!("p{i}"));
            }
        }
    }
    let pick = |v: &Vec<String>, k: usize, fallback: &str| -> String {
        if v.is_empty() {
            fallback.to_owned()
        } else {
            v[k % v.len()].clone()
        }
    };
    for (i, s) in stmts.iter().enumerate() {
        let name = format!("v{i}");
        let k = i * 7 + 3;
        let str_of = pick(&strs, k, "\"x\"");
        let line = match s {
            Stmt::Read => {
                strs.push(name.clone());
                format!("let {name} = fs.read(path: {str_of})")
            }
            Stmt::Template(n) => {
                let other = pick(&ints, *n as usize, "1");
                strs.push(name.clone());
                format!("let {name} = \"a {} b {}\"", hole(&str_of), hole(&other))
            }
            Stmt::Len => {
                ints.push(name.clone());
                format!("let {name} = text.len(text: {str_of})")
            }
            Stmt::Split(sep) => {
                lists.push(name.clone());
                format!(
                    "let {name} = text.split(text: {str_of}, sep: {})",
                    quote(sep)
                )
            }
            Stmt::Parse => {
                jsons.push(name.clone());
                format!("let {name} = json.parse(text: {str_of})")
            }
            Stmt::Object(n) => {
                let v = pick(&ints, *n as usize, "2");
                jsons.push(name.clone());
                format!("let {name} = {{ \"b\": {v}, \"a\": {str_of}, \"c\": [{v}, 1.5] }}")
            }
            Stmt::Field(f) => {
                let base = pick(&jsons, k, "{ \"q\": 1 }");
                jsons.push(name.clone());
                format!("let {name} = ({base}).{f}")
            }
            Stmt::Index => {
                let base = pick(&lists, k, "[\"e\"]");
                strs.push(name.clone());
                format!("let {name}: str = ({base})[0]")
            }
            Stmt::Write(n) => format!("fs.write(path: \"out{n}.txt\", content: {str_of})"),
            Stmt::Ask(n) => {
                strs.push(name.clone());
                format!("let {name}: str = ask \"prompt {n} {}\"", hole(&str_of))
            }
            Stmt::Sum(a, f) => {
                let n = pick(&ints, k, "0");
                format!("let {name} = math.sum(values: [{a}, {f:?}, {n}])")
            }
            Stmt::Const(l) => format!("let {name} = {}", lit_text(l)),
            Stmt::List => {
                let n = pick(&ints, k, "4");
                lists.push(name.clone());
                format!("let {name} = [{n}, {str_of}, null]")
            }
            Stmt::For(n) => {
                let list = pick(&lists, *n as usize, "[\"e\", \"f\"]");
                format!(
                    "let {name} = for x{i} in {list} {{\n  let t{i} = \"{{x{i}}}-{}\"\n  expect t{i} != \"\", \"empty {}\"\n  text.len(text: t{i})\n}}",
                    hole(&str_of),
                    hole(&str_of)
                )
            }
            Stmt::Nested(n) => {
                let list = pick(&lists, *n as usize, "[1, 2]");
                format!(
                    "let {name} = for a{i} in {list} {{\n  let q{i}: str = ask \"about {{a{i}}} {}\"\n  for b{i} in [1, {n}] {{ \"{{a{i}}}{{b{i}}}{{q{i}}}\" }}\n}}",
                    hole(&str_of)
                )
            }
            Stmt::If(n) => {
                let int = pick(&ints, *n as usize, "7");
                strs.push(name.clone());
                format!(
                    "let {name} = if {int} > {n} and {str_of} != \"\" {{ {str_of} }} else if not ({int} == 0) {{ \"b\" }} else {{\n  fs.write(path: \"if{n}.txt\", content: {str_of})\n  \"c\"\n}}"
                )
            }
            Stmt::Expect(n) => format!(
                "expect text.len(text: {str_of}) >= {n} or {n} < 3, \"need {}\"",
                hole(&str_of)
            ),
        };
        out.push_str(&line);
        out.push('\n');
    }
    if ret {
        out.push_str(&format!("return {}\n", pick(&strs, 5, "null")));
    }
    out
}

/// An interpolation hole for a name, or plain text for a literal fallback.
fn hole(s: &str) -> String {
    if s.starts_with('"') || s.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        "lit".to_owned()
    } else {
        format!("{{{s}}}")
    }
}

/// Inserts comments and blank lines between the statements.
fn noisy(src: &str, seed: u64) -> String {
    let mut out = String::from("// generated\n\n");
    for (i, line) in src.lines().enumerate() {
        if (seed >> (i % 64)) & 1 == 1 {
            out.push_str("\n// a comment\n\n");
        }
        out.push_str(line);
        if (seed >> ((i + 7) % 64)) & 1 == 1 {
            out.push_str("   // trailing");
        }
        out.push('\n');
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn decode_of_encode_is_the_program(
        params in any::<u8>(),
        stmts in prop::collection::vec(stmt(), 0..24),
        ret in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let src = render(params, &stmts, ret);
        let program = match llmos::ir::build::compile_source(&src) {
            Ok((program, _)) => program,
            Err(d) => return Err(TestCaseError::fail(format!("does not compile: {d:?}\n{src}"))),
        };
        let bytes = assemble(&program).map_err(|e| TestCaseError::fail(format!("{e}\n{src}")))?;
        let back = decode(&bytes).map_err(|e| TestCaseError::fail(format!("{e}\n{src}")))?;
        prop_assert_eq!(&back, &program);
        prop_assert_eq!(encode(&back), bytes.clone());
        // Comments and blank lines do not change the id.
        let (again, _) = llmos::ir::build::compile_source(&noisy(&src, seed)).unwrap();
        prop_assert_eq!(ObjectId::of(&encode(&again)), ObjectId::of(&bytes));
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&bytes);
        // With a valid header the decoder goes further in.
        let mut framed = b"\x7fLLB\x02\x00".to_vec();
        framed.extend_from_slice(&bytes);
        let _ = decode(&framed);
    }

    #[test]
    fn mutated_programs_decode_or_fail_cleanly(
        which in 0usize..6,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..6),
    ) {
        let mut bytes = sample(which);
        for (at, byte, how) in edits {
            if bytes.is_empty() { break; }
            let i = at.index(bytes.len());
            match how {
                0 => bytes[i] ^= 1 << (byte % 8),
                1 => bytes[i] = byte,
                2 => bytes.insert(i, byte),
                _ => { bytes.remove(i); }
            }
        }
        match decode(&bytes) {
            // A mutation may spell another valid program: then it is canonical.
            Ok(p) => prop_assert_eq!(encode(&p), bytes),
            Err(e) => prop_assert!(e.offset <= bytes.len() && !e.message.is_empty()),
        }
    }
}

/// The bytes of one of six fixed programs (the last with every block form).
fn sample(which: usize) -> Vec<u8> {
    let sources = [
        include_str!("../spec_examples/csv_summary.llt"),
        include_str!("../spec_examples/fan_out.llt"),
        include_str!("../spec_examples/hello.llt"),
        include_str!("../spec_examples/python_calculator.llt"),
        include_str!("../spec_examples/word_count.llt"),
        include_str!("../cases/lang/blocks.llt"),
    ];
    let (p, _) = llmos::ir::build::compile_source(sources[which % sources.len()]).unwrap();
    encode(&p)
}

#[test]
fn generated_sources_compile_at_all() {
    // Guards the generator: most of its traces must compile, or the round trip tests little.
    let stmts = vec![
        Stmt::Read,
        Stmt::Len,
        Stmt::Template(1),
        Stmt::Split(",".into()),
        Stmt::Index,
        Stmt::Parse,
        Stmt::Field("x".into()),
        Stmt::Object(2),
        Stmt::Ask(3),
        Stmt::Write(4),
        Stmt::Sum(1, 2.5),
        Stmt::Const(Lit::Nested(-3, "s".into())),
        Stmt::List,
        Stmt::For(1),
        Stmt::Nested(2),
        Stmt::If(3),
        Stmt::Expect(4),
    ];
    let src = render(3, &stmts, true);
    let (p, _) = llmos::ir::build::compile_source(&src).unwrap_or_else(|d| panic!("{d:?}\n{src}"));
    assert!(p.ops.len() >= 16, "{src}");
    assert!(p.blocks.len() >= 6, "{src}");
    assert_eq!(decode(&assemble(&p).unwrap()).unwrap(), p);
}
