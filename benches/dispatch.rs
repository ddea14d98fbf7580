//! Goal matching over 1k, 10k and 100k stored traces: a template match that binds
//! params (Follower), a near match by similarity (Mixed), and a goal nothing matches.
//! Target: a query over 100,000 traces within 10 ms. Also the compile of a recording.
//!
//! `library_scale`: whole `llmos run` processes against a library of 1,000,000 programs
//! (`LLMOS_BENCH_LIBRARY=N` for another size): a template hit (Follower), a miss in
//! `--mode follower`, a miss in `--mode auto` (the near-match search, then the Learner,
//! which stops at once for want of a model), and a goal near a large share of the
//! library in `--mode auto` (the most the near-match search reads). Target: each under
//! 20 ms and 64 MiB. The peak resident set of each is printed (GNU `time -f %M`).
//! `LLMOS_BENCH_ROOT=DIR` fills the library in DIR once and keeps it.

#[path = "support/installed.rs"]
mod installed;
#[path = "support/library.rs"]
mod library;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use llmos::dispatch::semantic::SemanticIndex;
use llmos::dispatch::template::GoalTemplate;
use llmos::dispatch::template_index::TemplateIndex;
use llmos::dispatch::{Similarity, choose_in};

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
        let check = |goal: &str| choose_in(goal, None, &index, &types, &mut || &similar);
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

fn library_scale(c: &mut Criterion) {
    let n: usize = std::env::var("LLMOS_BENCH_LIBRARY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    // `LLMOS_BENCH_ROOT=DIR` keeps the workspace (filled once) for later runs.
    let dir = tempfile::tempdir().expect("temp dir");
    let root = std::env::var_os("LLMOS_BENCH_ROOT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().to_owned());
    let root = root.as_path();
    if !root.join(".llmos/llmos.db").exists() {
        std::fs::create_dir_all(root).expect("bench root");
        let secs = library::fill(root, n);
        println!("(filled a library of {n} programs in {secs:.1} s)");
    }
    let hit = "count the words in in.txt";
    let miss = "water the plants on the balcony every morning";
    // Near the stored goals of a large share of the library: the near-match search
    // reads the most here (then Mixed mode stops for want of a model).
    let near = "summarize the invoices from the archive";
    let cases: [(&str, &str, &[&str], i32); 4] = [
        ("hit", hit, &["--mode", "follower"], 0),
        ("miss_follower", miss, &["--mode", "follower"], 1),
        ("miss_auto", miss, &["--mode", "auto"], 1),
        ("near_auto", near, &["--mode", "auto"], 1),
    ];
    for (name, goal, extra, code) in cases {
        // The first run after the fill folds nothing and finds the snapshot current.
        let (rss, ms, got, out) = library::measure(root, goal, extra);
        assert_eq!(got, code, "{name}: {out}");
        if code == 0 {
            assert_eq!(out.trim(), "2");
        }
        println!("run {name}, library of {n}: peak {rss:.1} MiB, {ms:.1} ms (one run under time)");
    }
    let mut g = c.benchmark_group("library_scale");
    g.sample_size(20);
    for (name, goal, extra, code) in cases {
        g.bench_function(BenchmarkId::new(name, n), |b| {
            b.iter(|| {
                let out = library::run(root, goal, extra).output().expect("runs");
                assert_eq!(out.status.code(), Some(code));
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench, library_scale);
criterion_main!(benches);
