//! VM benchmarks.
//!
//! - `vm/chain`: a 10,000-step chain of `text.trim` (each step reads the one before), run
//!   by the VM with a quiet bus; throughput is per step. Target: at most 2 µs a step
//!   beyond the tools' own work.
//! - `vm/tools_only`: the same 10,000 `text.trim` calls made directly, without the VM:
//!   the tools' own work, to subtract from `vm/chain`.
//! - `exec/process_start`: `llmos exec` of a two-step program as a new process (runtime,
//!   workspace, run log, output). Target: at most 5 ms.
//!
//! Run with `cargo bench --bench vm`.

#[path = "support/installed.rs"]
mod installed;

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use llmos::host::{LazyDb, SlotFiller};
use llmos::tools::{Invocation, ToolCtx, ToolTable};
use llmos::value::Value;
use llmos::vm::{self, EventBus, RunInputs};

const STEPS: usize = 10_000;

/// `let s0 = text.trim(text: seed)`, then each step trims the one before.
fn chain_source() -> String {
    let mut src = String::from("trace chain\nparam seed: str\nlet s0 = text.trim(text: seed)\n");
    for i in 1..STEPS {
        src.push_str(&format!("let s{i} = text.trim(text: s{})\n", i - 1));
    }
    src.push_str(&format!("return s{}\n", STEPS - 1));
    src
}

fn chain(c: &mut Criterion) {
    let (program, _) = llmos::ir::build::compile_source(&chain_source())
        .unwrap_or_else(|d| panic!("the chain does not compile: {d:?}"));
    let program = llmos::bytecode::verify(program, llmos::tools::ToolTable::builtins())
        .unwrap_or_else(|e| panic!("the chain does not verify: {e}"));
    let dir = tempfile::tempdir().unwrap();
    let ctx = Arc::new(ToolCtx::new(dir.path()).unwrap());
    let resolver = SlotFiller::cache_only(LazyDb::new(&dir.path().join(".llmos")), "none");
    let bus = EventBus::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let seed: Value = "  a few words of text  ".into();

    let mut group = c.benchmark_group("vm");
    group.throughput(Throughput::Elements(STEPS as u64));
    group.bench_function("chain", |b| {
        b.iter(|| {
            let mut inputs = RunInputs::new("bench");
            inputs.params.insert("seed".into(), seed.clone());
            let out = runtime
                .block_on(vm::run(&program, inputs, &ctx, &resolver, &bus))
                .unwrap();
            assert_eq!(out.ops_run, STEPS);
        })
    });
    let trim = ToolTable::builtins().tool("text.trim").unwrap();
    group.bench_function("tools_only", |b| {
        b.iter(|| {
            let mut v = seed.clone();
            for _ in 0..STEPS {
                let args = [v];
                v = match trim.invoke(&ctx, &args) {
                    Invocation::Ready(Ok(v)) => v,
                    _ => panic!("text.trim failed"),
                };
            }
            v
        })
    });
    group.finish();
}

fn process_start(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("hello.llt");
    std::fs::write(
        &program,
        "trace hello\nparam name: str = \"world\"\nlet m = \"Hello, {name}!\"\n\
         fs.write(path: \"hello.txt\", content: m)\nreturn m\n",
    )
    .unwrap();
    let bin = installed::installed_binary();
    let mut group = c.benchmark_group("exec");
    group.bench_function("process_start", |b| {
        b.iter(|| {
            let out = installed::clean_command(bin)
                .current_dir(dir.path())
                .args(["exec", "hello.llt"])
                .output()
                .unwrap();
            assert!(out.status.success());
        })
    });
    group.finish();
}

criterion_group!(benches, chain, process_start);
criterion_main!(benches);
