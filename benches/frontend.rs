//! Parse + check of a generated 10,000-step trace (target: at least 100,000 lines a
//! second on one core), and fmt of the same text. The inputs that were once quadratic
//! (target: each well under 2 s): an object literal of 100,000 keys through `check`, and
//! a 100,000-step recording through the recording compiler.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "../tests/it/support/long_recording.rs"]
mod long_recording;
use long_recording::{long_json_recording, long_recording};

/// A trace of `steps` steps mixing tool calls, interpolation, lists and objects.
pub fn generated_trace(steps: usize) -> String {
    let mut s = String::from(
        "// generated\ntrace big\ngoal \"process {input}\"\n\nparam input: path\n\nlet text = fs.read(path: input)\n",
    );
    for i in 0..steps {
        let prev = if i == 0 {
            "text".to_owned()
        } else {
            format!("t{}", i - 1)
        };
        match i % 4 {
            0 => s.push_str(&format!(
                "let t{i} = text.replace(text: {prev}, from: \"a\", to: \"b\")\n"
            )),
            1 => s.push_str(&format!(
                "let t{i} = text.trim(text: \"{{{prev}}} and more\")\n"
            )),
            2 => s.push_str(&format!(
                "let n{i} = list.len(items: [{prev}, \"x\", {{ \"k\": {i} }}])\nlet t{i} = {prev}\n"
            )),
            _ => s.push_str(&format!(
                "let t{i} = text.join(items: text.lines(text: {prev}), sep: \"\\n\")\n"
            )),
        }
    }
    s.push_str(&format!("return t{}\n", steps - 1));
    s
}

fn bench(c: &mut Criterion) {
    let src = generated_trace(10_000);
    let lines = src.lines().count() as u64;
    let tools = llmos::stdlib::table();
    let mut g = c.benchmark_group("frontend");
    g.throughput(Throughput::Elements(lines));
    g.sample_size(20);
    g.bench_function("parse_check_10k_steps", |b| {
        b.iter(|| {
            let (p, diags) = llmos::check::check_source(&src, tools);
            assert!(p.is_some(), "{diags:?}");
            p
        })
    });
    g.bench_function("parse_10k_steps", |b| b.iter(|| llmos::syntax::parse(&src)));
    let (file, _) = llmos::syntax::parse(&src);
    g.bench_function("fmt_10k_steps", |b| {
        b.iter(|| llmos::syntax::printer::format(&src, &file))
    });
    g.finish();
}

fn scaling(c: &mut Criterion) {
    let mut g = c.benchmark_group("scaling");
    g.sample_size(10);
    let mut object = String::from("trace t\nlet o = {\n");
    for i in 0..100_000 {
        object.push_str(&format!("  k{i}: {i},\n"));
    }
    object.push_str("}\nreturn o\n");
    let tools = llmos::stdlib::table();
    g.bench_function("check_object_100k_keys", |b| {
        b.iter(|| llmos::check::check_source(&object, tools).0.is_some())
    });
    let text = long_recording(100_000);
    let rec = llmos::learn::recording::parse_recording(&text, "long.yaml").unwrap();
    g.bench_function("compile_recording_100k_steps", |b| {
        b.iter(|| llmos::learn::compile::compile(&rec).unwrap())
    });
    // Thousands of known numbers searched for in every JSON text (the automata's worst
    // case: nearly every prefix of a needle is a needle).
    let text = long_json_recording(70_000);
    let rec = llmos::learn::recording::parse_recording(&text, "json.yaml").unwrap();
    g.bench_function("compile_recording_70k_json_steps", |b| {
        b.iter(|| llmos::learn::compile::compile(&rec).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench, scaling);
criterion_main!(benches);
