//! Goal matching over 1k, 10k and 100k stored traces: a template match that binds
//! params (Follower), a near match by similarity (Mixed), and a goal nothing matches.
//! Target: a query over 100,000 traces within 10 ms. Also the compile of a recording.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use llmos::dispatch::semantic::SemanticIndex;
use llmos::dispatch::template::GoalTemplate;
use llmos::dispatch::template_index::TemplateIndex;
use llmos::dispatch::{Similarity, choose};

const VERBS: &[&str] = &[
    "summarize",
    "count",
    "translate",
    "index",
    "archive",
    "render",
    "compress",
    "audit",
    "sort",
    "merge",
    "plot",
    "clean",
];
const OBJECTS: &[&str] = &[
    "invoices",
    "logs",
    "photos",
    "notes",
    "reports",
    "tickets",
    "emails",
    "metrics",
    "contracts",
    "recipes",
    "songs",
    "orders",
];
const EXTRAS: &[&str] = &[
    "by month",
    "for the team",
    "as markdown",
    "with totals",
    "in french",
    "per region",
    "without duplicates",
    "as a chart",
    "by author",
    "quickly",
];

/// `n` distinct goal templates of the shapes people write.
pub fn templates(n: usize) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(7);
    (0..n)
        .map(|i| {
            let v = VERBS[rng.usize(..VERBS.len())];
            let o = OBJECTS[rng.usize(..OBJECTS.len())];
            let e = EXTRAS[rng.usize(..EXTRAS.len())];
            format!("{v} the {o} in {{input}} {e} into {{output}} batch{i}")
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("dispatch");
    g.sample_size(30);
    for &n in &[1_000usize, 10_000, 100_000] {
        let texts = templates(n);
        let mut index = TemplateIndex::new();
        let mut similar = SemanticIndex::new();
        for (i, t) in texts.iter().enumerate() {
            index.insert(i as u64, GoalTemplate::parse(t).expect("template"));
            similar.add(i as u64, t);
        }
        similar.prepare();
        let target = n / 2;
        let hit = texts[target]
            .replace("{input}", "data/a.csv")
            .replace("{output}", "out/b.md");
        let near = texts[target]
            .replace("{input}", "data/a.csv")
            .replace("{output}", "out/b.md")
            .replace("the ", "all the ");
        let miss = "water the plants on the balcony every morning";
        let types = |_: u64| {
            let mut t = indexmap::IndexMap::new();
            let path = llmos::dispatch::ParamSpec::typed(llmos::types::Type::Path);
            t.insert("input".to_owned(), path.clone());
            t.insert("output".to_owned(), path);
            Some(t)
        };
        let check = |goal: &str| choose(goal, None, &index, &types, &mut || &similar);
        assert!(
            matches!(check(&hit).decision, llmos::dispatch::Decision::Follower { id, .. } if id == target as u64)
        );
        g.bench_with_input(BenchmarkId::new("template_hit", n), &hit, |b, goal| {
            b.iter(|| index.find_matches(goal))
        });
        g.bench_with_input(BenchmarkId::new("similar_near", n), &near, |b, goal| {
            b.iter(|| similar.query(goal, 1))
        });
        g.bench_with_input(BenchmarkId::new("choose_miss", n), &miss, |b, goal| {
            b.iter(|| check(goal))
        });
    }
    g.finish();

    let rec_text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/spec_examples/recordings/sales_summary.yaml"
    ))
    .expect("recording");
    let rec =
        llmos::learn::recording::parse_recording(&rec_text, "sales_summary.yaml").expect("parses");
    c.bench_function("compile_recording/sales_summary", |b| {
        b.iter(|| llmos::learn::compile::compile(&rec).expect("compiles"))
    });
    let _ = SemanticIndex::mixed_threshold;
}

criterion_group!(benches, bench);
criterion_main!(benches);
