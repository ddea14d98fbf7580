//! The team library (`crate::remote`):
//! - `remote_index/lookup_100k`: a goal looked up in an index of 100,000 remote records
//!   as `run --mode auto` does after the first time: the head read, the goal matched in
//!   the cached view of the index, the matching record read from its cached segment;
//! - `remote_index/first_lookup_100k`: the same when the index changed since: the view
//!   built again from the (cached) segments;
//! - `remote_index/read_100k`: the whole index read from its cached segments (what
//!   `remote pull`, `remote status` and `traces ls --remote` do);
//! - `remote_loopback/{folder,s3}`: a whole lookup and pull on a fresh machine, over a
//!   `file://` folder and over moto's S3 server on 127.0.0.1 (when it can be installed;
//!   see `tests/it/support/remote.rs`): head, segments, record check, program and
//!   source download and re-hash, local store and library.

#[path = "../tests/it/support/remote.rs"]
mod remote_support;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use llmos::db::TraceSource;
use llmos::host::Env;
use llmos::kernel::{Kernel, Mode, Request};
use llmos::remote::index::{self, HeadRead, Index, Indexed};
use llmos::remote::keys::KeyPair;
use llmos::remote::pull::Trust;
use llmos::remote::record::{Entry, Record};
use llmos::remote::view::{self, Side};
use llmos::remote::{Remote, layout, lookup};
use llmos::store::ObjectId;
use remote_support::{Folder, Moto, Peer};
use serde_json::json;

const VERBS: &[&str] = &[
    "summarize",
    "translate",
    "index",
    "archive",
    "render",
    "audit",
];
const OBJECTS: &[&str] = &["invoices", "logs", "photos", "reports", "tickets", "orders"];

/// Record `i`: a template of the shape people write, naming program `program`.
fn record(i: usize, program: ObjectId, source: Option<String>, key: &KeyPair) -> Indexed {
    let entry = Entry {
        goal: format!(
            "{} the {} in {{input}} into {{output}} batch{i}",
            VERBS[i % 6],
            OBJECTS[(i / 6) % 6]
        ),
        name: format!("t{i}"),
        params: json!({"params": [
            {"name": "input", "type": "path", "shape": {"kind": "path", "quoted": false}},
            {"name": "output", "type": "path", "shape": {"kind": "path", "quoted": false}},
        ]}),
        program,
        parent: None,
        source,
        kind: TraceSource::Learned,
        learn_cost_micros: 1234,
        publisher: "bench".into(),
    };
    Indexed::of(Record::new(entry, Some(key)))
}

fn request(goal: &str) -> Request {
    Request {
        goal: goal.into(),
        mode: Mode::Auto,
        sets: Vec::new(),
        allow: Default::default(),
        budget: None,
        timeout: None,
        max_turns: None,
        trust_unsigned: false,
    }
}

fn index_100k(c: &mut Criterion) {
    let folder = Folder::new();
    let ws = tempfile::tempdir().unwrap();
    let k = Kernel::open(Some(ws.path()), Env::new(std::env::vars_os())).unwrap();
    let remote = Remote::with_backend(folder.backend("lib"), &k.ws().state_dir, 1 << 30);
    let key = KeyPair::from_seed([9; 32]);
    let records: Vec<Indexed> = (0..100_000)
        .map(|i| record(i, ObjectId::of(&(i as u64).to_le_bytes()), None, &key))
        .collect();
    index::publish(&remote, &records).unwrap();
    let index = Index::read(&remote).unwrap();
    assert_eq!(index.records.len(), 100_000);
    let req = request("audit the photos in q3.csv into out.md batch77777");
    let trust = Trust {
        keys: vec![key.public()],
        anyone: false,
    };
    let lookup = || {
        let head = HeadRead::read(&remote).unwrap();
        view::find(&k, &remote, &head, &req, &trust, Side::Trusted).unwrap()
    };
    let found = lookup().expect("the goal matches record 77777");
    assert!(found.record.entry.goal.ends_with("batch77777"));
    let views = remote.cache_dir().join("lookup");
    let mut g = c.benchmark_group("remote_index");
    g.sample_size(10);
    g.bench_function("lookup_100k", |b| b.iter(lookup));
    g.bench_function("first_lookup_100k", |b| {
        b.iter_batched(
            || std::fs::remove_dir_all(&views).unwrap(),
            |()| lookup(),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("read_100k", |b| b.iter(|| Index::read(&remote).unwrap()));
    g.finish();
}

/// A remote under `lib` with 100 records of one real program (with its source).
fn small_library(peer: &dyn Peer) -> (ObjectId, KeyPair) {
    let key = KeyPair::from_seed([7; 32]);
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/traces/word_count.llt"
    ))
    .unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let k = Kernel::open(Some(scratch.path()), Env::new(std::env::vars_os())).unwrap();
    let tools = llmos::check::ToolTable::builtins();
    let (_, bytes) = llmos::cli::program::compile_text("word_count.llt", &text, tools)
        .unwrap_or_else(|_| panic!("word_count.llt compiles"));
    let id = k.store.put(&bytes).unwrap();
    k.store
        .put_source(&id, "word_count.llt", &text, None)
        .unwrap();
    let remote = Remote::with_backend(peer.backend("lib"), &k.ws().state_dir, 1 << 30);
    remote.create(&layout::object(&id), &bytes).unwrap();
    let sidecar = std::fs::read(k.store.source_path(&id)).unwrap();
    let source = layout::hash_of(&sidecar);
    remote.create(&layout::source(&source), &sidecar).unwrap();
    let records: Vec<Indexed> = (0..100)
        .map(|i| record(i, id, Some(source.clone()), &key))
        .collect();
    for r in &records {
        remote
            .create(&layout::record(&r.hash), &r.record.to_bytes())
            .unwrap();
    }
    index::publish(&remote, &records).unwrap();
    (id, key)
}

fn loopback(c: &mut Criterion) {
    let mut g = c.benchmark_group("remote_loopback");
    g.sample_size(20);
    let folder = Folder::new();
    let moto = Moto::start();
    let mut peers: Vec<(&str, &dyn Peer)> = vec![("folder", &folder)];
    if let Some(m) = &moto {
        peers.push(("s3", m));
    }
    for (name, peer) in peers {
        let (_, key) = small_library(peer);
        let trust = Trust {
            keys: vec![key.public()],
            anyone: false,
        };
        let req = request("render the photos in a.txt into b.md batch43");
        g.bench_function(format!("lookup_and_pull_{name}"), |b| {
            b.iter_batched(
                || {
                    let ws = tempfile::tempdir().unwrap();
                    let k = Kernel::open(Some(ws.path()), Env::new(std::env::vars_os())).unwrap();
                    let remote =
                        Remote::with_backend(peer.backend("lib"), &k.ws().state_dir, 1 << 30);
                    (ws, k, remote)
                },
                |(_ws, k, remote)| {
                    let mut notes = Vec::new();
                    let pulled = lookup::lookup_in(&k, &remote, &req, &trust, &mut notes).unwrap();
                    assert!(pulled, "{notes:?}");
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, index_100k, loopback);
criterion_main!(benches);
