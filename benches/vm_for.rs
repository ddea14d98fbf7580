//! The VM's cost per element of a `for`, against the same op in a straight line.
//!
//! - `for/map_100k`: `for x in items { text.trim(text: x) }` over 100,000 strings.
//! - `for/straight_100k`: a straight line of 100,000 `text.trim` steps, each reading the
//!   one before (the scheduler's cost per op).
//! - `for/if_100k`: the same loop with an `if` and a comparison in the body (two blocks
//!   deep).
//!
//! Throughput is per element (per step): the target is a `for` element within 2x of a
//! straight-line op. Run with `cargo bench --bench vm_for`.

use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use llmos::bytecode::Verified;
use llmos::host::{LazyDb, SlotFiller};
use llmos::tools::ToolCtx;
use llmos::value::Value;
use llmos::vm::{self, EventBus, RunInputs};

const N: usize = 100_000;

fn compile(src: &str) -> Verified {
    let program = llmos::ir::build::compile_source(src)
        .unwrap_or_else(|d| panic!("does not compile: {d:?}"))
        .0;
    llmos::bytecode::verify(program, llmos::tools::ToolTable::builtins())
        .unwrap_or_else(|e| panic!("does not verify: {e}"))
}

fn straight_source() -> String {
    let mut src = String::from("trace chain\nparam seed: str\nlet s0 = text.trim(text: seed)\n");
    for i in 1..N {
        src.push_str(&format!("let s{i} = text.trim(text: s{})\n", i - 1));
    }
    src.push_str(&format!("return s{}\n", N - 1));
    src
}

const MAP: &str = "trace map\nparam items: list<str>\n\
    let out = for x in items { text.trim(text: x) }\nreturn list.len(items: out)\n";

const BRANCH: &str = "trace branch\nparam items: list<str>\n\
    let out = for x in items {\n    let t = text.trim(text: x)\n    if t != \"\" { t } else { \"empty\" }\n}\n\
    return list.len(items: out)\n";

fn for_loops(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let ctx = Arc::new(ToolCtx::new(dir.path()).unwrap());
    let resolver = SlotFiller::cache_only(LazyDb::new(&dir.path().join(".llmos")), "none");
    let bus = EventBus::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let items: Value = (0..N)
        .map(|i| Value::String(format!("  item {i}  ")))
        .collect::<Vec<_>>()
        .into();
    let seed: Value = "  a few words of text  ".into();
    let run = |name: &str, value: &Value| {
        let mut inputs = RunInputs::new("bench");
        inputs.params.insert(name.into(), value.clone());
        inputs
    };

    let mut group = c.benchmark_group("for");
    group.throughput(Throughput::Elements(N as u64));
    group.sample_size(20);
    for (label, src) in [("map_100k", MAP), ("if_100k", BRANCH)] {
        let program = compile(src);
        group.bench_function(label, |b| {
            b.iter_batched(
                || run("items", &items),
                |inputs| {
                    let out = runtime
                        .block_on(vm::run(&program, inputs, &ctx, &resolver, &bus))
                        .unwrap();
                    assert_eq!(out.output, Some(Value::from(N)));
                },
                BatchSize::LargeInput,
            )
        });
    }
    let straight = compile(&straight_source());
    group.bench_function("straight_100k", |b| {
        b.iter_batched(
            || run("seed", &seed),
            |inputs| {
                let out = runtime
                    .block_on(vm::run(&straight, inputs, &ctx, &resolver, &bus))
                    .unwrap();
                assert_eq!(out.ops_run, N);
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, for_loops);
criterion_main!(benches);
