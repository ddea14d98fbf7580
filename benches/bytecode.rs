//! Benchmarks of the bytecode hot paths: encode, decode (with verification), store put
//! and get, and compiling (parse, check, lower, encode) a generated 10,000-step trace.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use llmos::bytecode::{decode, encode};
use llmos::store::ObjectStore;

/// A straight-line trace of `n` steps: reads, string edits, a template, a write.
fn big_source(n: usize) -> String {
    let mut src = String::from("trace big\ngoal \"rewrite {input}\"\nparam input: path\n");
    src.push_str("let s0 = fs.read(path: input)\n");
    for i in 1..n {
        let prev = i - 1;
        let line = match i % 4 {
            0 => format!("let s{i} = text.replace(text: s{prev}, from: \"a\", to: \"b{i}\")\n"),
            1 => format!("let s{i} = text.trim(text: s{prev})\n"),
            2 => format!("let s{i} = \"{{s{prev}}} and {{input}}\"\n"),
            _ => format!("let s{i} = fs.write(path: \"out/{i}.txt\", content: s{prev})\n"),
        };
        src.push_str(&line);
    }
    src.push_str(&format!("return s{}\n", n - 1));
    src
}

fn benches(c: &mut Criterion) {
    let src = big_source(10_000);
    let (program, _) = llmos::ir::build::compile_source(&src).expect("the trace compiles");
    let bytes = encode(&program);

    c.bench_function("compile 10k steps", |b| {
        b.iter(|| {
            let (p, _) = llmos::ir::build::compile_source(black_box(&src)).unwrap();
            encode(&p)
        })
    });
    c.bench_function("encode 10k ops", |b| b.iter(|| encode(black_box(&program))));
    c.bench_function("decode+verify 10k ops", |b| {
        b.iter(|| decode(black_box(&bytes)).unwrap())
    });

    let dir = tempfile::tempdir().unwrap();
    let store = ObjectStore::open(&dir.path().join("objects")).unwrap();
    let id = store.put(&bytes).unwrap();
    c.bench_function("store put (existing object)", |b| {
        b.iter(|| store.put(black_box(&bytes)).unwrap())
    });
    c.bench_function("store get + decode", |b| {
        b.iter(|| decode(&store.get(black_box(&id)).unwrap()).unwrap())
    });
    let small =
        llmos::ir::build::compile_source(include_str!("../tests/spec_examples/csv_summary.llt"))
            .unwrap()
            .0;
    c.bench_function("store put (new object)", |b| {
        let mut n = 0u64;
        b.iter(|| {
            n += 1;
            let mut p = small.clone();
            p.name = format!("csv_summary_{n}");
            store.put(&encode(&p)).unwrap()
        })
    });
}

criterion_group!(bytecode, benches);
criterion_main!(bytecode);
