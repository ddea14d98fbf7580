//! The team's shared library (`llmos remote`, `llmos keys`, the auto-mode lookup)
//! against real remotes: moto's S3 server on loopback and a `file://` folder. Every
//! scenario runs on both.
//!
//! Push from one workspace, pull into another, follow there with no LLM; eight pushers
//! at once; a push killed after each of its writes; tampered objects, sources and
//! records; signers not trusted; the S3 server stopped under a workspace.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::support::remote::{Folder, Moto, Peer, Run, Ws};
use llmos::llm::canned;
use llmos::llm::loopback::{LoopbackServer, Reply, Script};
use llmos::remote::Remote;
use llmos::remote::index::Index;
use llmos::remote::layout;
use serde_json::{Value, json};

/// Runs a scenario on moto (unless it cannot be installed; see `support`) and on a folder.
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[test]
            fn s3() {
                if let Some(moto) = super::Moto::start() {
                    super::$name(&moto);
                }
            }
            #[test]
            fn folder() {
                super::$name(&super::Folder::new());
            }
        }
    };
}

/// A remote for inspection, with a throwaway cache.
fn inspect(peer: &dyn Peer, prefix: &str) -> (Remote, tempfile::TempDir) {
    let cache = tempfile::tempdir().unwrap();
    let remote = Remote::with_backend(peer.backend(prefix), cache.path(), 64 << 20);
    (remote, cache)
}

/// Every key of the remote is complete (its bytes hash to its name), and every record
/// of the index names keys that exist. Returns the index.
fn check_consistent(peer: &dyn Peer, prefix: &str) -> Index {
    let (remote, _cache) = inspect(peer, prefix);
    let b = remote.backend();
    for dir in ["objects/", "sources/", "records/", "index/segments/"] {
        for key in b.list(dir).unwrap() {
            let name: String = key
                .trim_start_matches(dir)
                .trim_end_matches(".json")
                .replace('/', "");
            let bytes = b.get(&key, u64::MAX).unwrap().unwrap().bytes;
            assert_eq!(layout::hash_of(&bytes), name, "{key} is not complete");
        }
    }
    let index = Index::read(&remote).unwrap();
    for r in &index.records {
        r.check_hash().unwrap();
        let e = &r.record.entry;
        let object = b.get(&layout::object(&e.program), u64::MAX).unwrap();
        assert!(
            object.is_some(),
            "record {} names a missing program",
            r.hash
        );
        assert!(b.get(&layout::record(&r.hash), u64::MAX).unwrap().is_some());
        if let Some(source) = &e.source {
            assert!(b.get(&layout::source(source), u64::MAX).unwrap().is_some());
        }
    }
    index
}

fn lines(run: &Run) -> Vec<String> {
    run.stdout.lines().map(str::to_string).collect()
}

/// A workspace on `peer` under `lib` that trusts `keys`.
fn trusting(peer: &dyn Peer, keys: &[String]) -> Ws {
    let list: Vec<String> = keys.iter().map(|k| format!("\"{k}\"")).collect();
    Ws::new(
        &peer.url("lib"),
        peer.env(),
        &format!("trusted_keys = [{}]\n", list.join(", ")),
    )
}

/// The Learner showing `path` (whose text is `text`): one fs.read, then the text.
fn show_script(path: &str, text: &str) -> Script {
    Script::new()
        .reply(Reply::ok(&canned::anthropic_tool_use(
            None,
            &[("t1", "fs-read", json!({ "path": path }))],
            400,
            30,
        )))
        .reply(Reply::ok(&canned::anthropic_text(text, 500, 10)))
}

async fn learned_in_a_followed_in_b(peer: &dyn Peer) {
    let a = Ws::new(&peer.url("lib"), peer.env(), "");
    a.write("data/a.txt", "alpha beta");
    let server = LoopbackServer::start(show_script("data/a.txt", "alpha beta"))
        .await
        .unwrap();
    let mut learn = a.command(&["run", "show the text of data/a.txt", "--json"]);
    learn
        .env("LLMOS_MODEL", "anthropic:claude-sonnet-4-5")
        .env("ANTHROPIC_API_KEY", "sk-ant-test")
        .env("ANTHROPIC_BASE_URL", server.url());
    let out = tokio::process::Command::from(learn).output().await.unwrap();
    let learned: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        learned["mode"],
        "learner",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let program = learned["program"].as_str().unwrap().to_string();
    assert_eq!(server.requests().len(), 2);

    // Nothing to push without a key; then every learned trace by default.
    let run = a.llmos(&["remote", "push"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("llmos keys generate"), "{}", run.stderr);
    let key = a.generate_key();
    assert!(key.starts_with("ed25519:") && !key.contains(char::is_whitespace));
    let pushed = lines(&a.llmos(&["remote", "push"]).ok());
    assert_eq!(pushed.len(), 1);

    // B trusts A's key: pulls, then follows a new value with no LLM at all (B has no
    // provider configured, so any LLM call would fail).
    let b = trusting(peer, std::slice::from_ref(&key));
    b.write("notes/b.txt", "gamma delta epsilon");
    let listed = b.llmos(&["traces", "ls", "--remote", "--json"]).ok().json();
    assert_eq!(listed[0]["record"], pushed[0].as_str());
    assert_eq!(listed[0]["trust"], "trusted");
    assert_eq!(listed[0]["local"], false);
    assert_eq!(listed[0]["publisher"], "tester");
    assert_eq!(
        lines(&b.llmos(&["remote", "pull"]).ok()),
        vec![program.clone()]
    );
    let run = b
        .llmos(&[
            "run",
            "show the text of notes/b.txt",
            "--mode",
            "follower",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(run["mode"], "follower");
    assert_eq!(run["llm_calls"], 0);
    assert_eq!(run["output"], "gamma delta epsilon");
    assert_eq!(run["program"], program.as_str());
    // A second pull finds it there already.
    assert!(b.llmos(&["remote", "pull"]).ok().stdout.is_empty());

    // C never pulls: `run` in auto mode looks the goal up in the remote.
    let c = trusting(peer, &[key]);
    c.write("c.txt", "zeta");
    let run = c.llmos(&["run", "show the text of c.txt", "--json"]).ok();
    assert!(
        run.stderr.contains("pulled `show the text of {"),
        "{}",
        run.stderr
    );
    let out = run.json();
    assert_eq!(
        (out["mode"].as_str(), out["llm_calls"].as_u64()),
        (Some("follower"), Some(0))
    );
    assert_eq!(out["output"], "zeta");
    // What was pulled is local now: with the remote gone, the same goal still runs and
    // nothing asks the remote.
    c.write(
        ".llmos/config.toml",
        "[remote]\nurl = \"file:///nonexistent/llmos-remote\"\n",
    );
    let run = c.llmos(&["run", "show the text of c.txt", "--json"]).ok();
    assert_eq!(run.json()["output"], "zeta");
    assert!(!run.stderr.contains("team library"), "{}", run.stderr);
    assert_eq!(server.requests().len(), 2, "no LLM request after learning");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn learned_in_a_followed_in_b_s3() {
    if let Some(moto) = Moto::start() {
        learned_in_a_followed_in_b(&moto).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn learned_in_a_followed_in_b_folder() {
    learned_in_a_followed_in_b(&Folder::new()).await;
}

/// Eight workspaces with the same ten programs and their own keys push overlapping
/// halves at once; the index ends with every record once, and a workspace trusting all
/// eight pulls the ten programs.
fn eight_pushers_at_once(peer: &dyn Peer) {
    const PROGRAMS: usize = 10;
    let pushers: Vec<Ws> = (0..8)
        .map(|_| {
            let ws = Ws::new(&peer.url("lib"), peer.env(), "");
            ws.import_programs(PROGRAMS);
            ws
        })
        .collect();
    let keys: Vec<String> = pushers.iter().map(Ws::generate_key).collect();
    let children: Vec<_> = pushers
        .iter()
        .enumerate()
        .map(|(i, ws)| {
            let ids: Vec<String> = (0..5)
                .map(|j| ((i + j) % PROGRAMS + 1).to_string())
                .collect();
            let mut args = vec!["remote", "push"];
            args.extend(ids.iter().map(String::as_str));
            ws.command(&args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut pushed = BTreeSet::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(stdout.lines().count(), 5, "{stderr}");
        pushed.extend(stdout.lines().map(str::to_string));
    }
    // The pushers' side: every record each of them pushed is in the index, once.
    let index = check_consistent(peer, "lib");
    let listed: BTreeSet<String> = index.records.iter().map(|r| r.hash.clone()).collect();
    assert_eq!(listed, pushed);
    assert_eq!(index.records.len(), 40);
    // The puller's side: the ten programs, each once, and they run.
    let b = trusting(peer, &keys);
    b.write("x.txt", "one two");
    let pull = b.llmos(&["remote", "pull"]).ok();
    assert_eq!(lines(&pull).len(), PROGRAMS, "{}", pull.stderr);
    assert!(pull.stderr.contains("10 pulled") && pull.stderr.contains("30 there already"));
    assert_eq!(b.traces().len(), PROGRAMS);
    for i in [0, 7, 9] {
        let goal = format!("count the words of kind {i} in x.txt");
        let run = b.llmos(&["run", &goal, "--mode", "follower"]).ok();
        assert_eq!(run.stdout.trim(), format!("kind {i}: 2 words"));
    }
}
on_both!(eight_pushers_at_once);

/// A push that dies right after each of its writes leaves complete keys only, and no
/// index entry until the last write; the next push completes the index.
fn push_killed_after_each_write(peer: &dyn Peer) {
    let a = Ws::new(&peer.url("lib"), peer.env(), "");
    a.import_programs(3);
    a.generate_key();
    // Three entries of three keys each (object, source, record), a segment, the head.
    for n in 1..=10 {
        let mut cmd = a.command(&["remote", "push", "1", "2", "3"]);
        cmd.env("LLMOS_TEST_CRASH_AFTER_WRITES", n.to_string());
        let out = cmd.output().unwrap();
        assert_eq!(
            out.status.code(),
            None,
            "push was not killed at crash point {n}"
        );
        let index = check_consistent(peer, "lib");
        assert!(
            index.records.is_empty(),
            "crash point {n} left index entries"
        );
    }
    assert_eq!(
        lines(&a.llmos(&["remote", "push", "1", "2", "3"]).ok()).len(),
        3
    );
    assert_eq!(check_consistent(peer, "lib").records.len(), 3);
    // Later pushes die between their segment and the head: the index keeps its three.
    a.import_programs(5);
    let ids: Vec<String> = a.traces()[3..]
        .iter()
        .map(|t| t["id"].to_string())
        .collect();
    let mut args = vec!["remote", "push"];
    args.extend(ids.iter().map(String::as_str));
    let mut cmd = a.command(&args);
    cmd.env("LLMOS_TEST_CRASH_AFTER_WRITES", "7");
    assert_eq!(cmd.output().unwrap().status.code(), None);
    assert_eq!(check_consistent(peer, "lib").records.len(), 3);
    a.llmos(&args).ok();
    assert_eq!(check_consistent(peer, "lib").records.len(), 5);
}
on_both!(push_killed_after_each_write);

/// Replaces the bytes of `key` as an attacker with write access would.
fn overwrite(peer: &dyn Peer, key: &str, bytes: &[u8]) {
    let b = peer.backend("lib");
    let version = b.get(key, u64::MAX).unwrap().unwrap().version;
    assert_eq!(
        b.swap(key, bytes, Some(&version)).unwrap(),
        llmos::remote::Swapped::Done
    );
}

/// A program object, a source and a record changed in the remote are each refused by
/// name; the untouched entry still comes through.
fn tampering_is_refused(peer: &dyn Peer) {
    let a = Ws::new(&peer.url("lib"), peer.env(), "");
    a.import_programs(3);
    let key = a.generate_key();
    a.llmos(&["remote", "push", "1", "2", "3"]).ok();
    let (remote, _cache) = inspect(peer, "lib");
    let index = Index::read(&remote).unwrap();
    let entry = |i: usize| {
        let goal = format!("count the words of kind {i} in {{file}}");
        index
            .records
            .iter()
            .find(|r| r.record.entry.goal == goal)
            .unwrap()
            .clone()
    };
    let (e0, e1, e2) = (entry(0), entry(1), entry(2));
    // Program 0's object gets program 1's bytes (valid bytecode, another program).
    let bytes1 = remote
        .get_hashed(
            &layout::object(&e1.record.entry.program),
            &e1.record.entry.program.to_string(),
        )
        .unwrap()
        .unwrap();
    overwrite(peer, &layout::object(&e0.record.entry.program), &bytes1);
    // Program 2's source gets another text.
    let source2 = layout::source(e2.record.entry.source.as_ref().unwrap());
    overwrite(peer, &source2, b"{\"forged\": true}");

    let b = trusting(peer, std::slice::from_ref(&key));
    let pull = b.llmos(&["remote", "pull"]);
    assert_eq!(pull.code, 1, "{}", pull.stderr);
    let p0 = e0.record.entry.program.to_string();
    assert!(
        pull.stderr
            .contains(&format!("refused record {}", &e0.hash[..12]))
            && pull.stderr.contains(&format!(
                "remote object for its program {p0} does not match"
            )),
        "{}",
        pull.stderr
    );
    assert!(
        pull.stderr
            .contains(&format!("refused record {}", &e2.hash[..12])),
        "{}",
        pull.stderr
    );
    assert_eq!(lines(&pull), vec![e1.record.entry.program.to_string()]);
    let local: Vec<String> = b
        .traces()
        .iter()
        .map(|t| t["program"].as_str().unwrap().into())
        .collect();
    assert_eq!(local, vec![e1.record.entry.program.to_string()]);

    // A forged record: entry 1's signature on a record that names program 0 for entry
    // 1's goal, slipped into the index by a new segment.
    let mut forged = e1.record.clone();
    forged.entry.goal = "count the words of kind 5 in {file}".into();
    let forged = llmos::remote::index::Indexed::of(forged);
    let rb = forged.record.to_bytes();
    remote.create(&layout::record(&forged.hash), &rb).unwrap();
    llmos::remote::index::publish(&remote, std::slice::from_ref(&forged)).unwrap();
    let c = trusting(peer, &[key]);
    let pull = c.llmos(&["remote", "pull"]);
    assert_eq!(pull.code, 1);
    assert!(
        pull.stderr
            .contains(&format!("refused record {}", &forged.hash[..12]))
            && pull.stderr.contains("not a valid signature"),
        "{}",
        pull.stderr
    );
    // The auto-mode lookup refuses it as well and says so.
    c.write("x.txt", "a b c");
    let run = c.llmos(&["run", "count the words of kind 5 in x.txt"]);
    assert!(
        run.stderr.contains("not a valid signature"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stdout.contains("kind 1"),
        "a forged record ran: {}",
        run.stdout
    );
}
on_both!(tampering_is_refused);

/// Records signed by a key not in `trusted_keys` are skipped and named, by `pull` and
/// by the lookup, unless `--trust-unsigned`.
fn untrusted_signer_is_refused(peer: &dyn Peer) {
    let a = Ws::new(&peer.url("lib"), peer.env(), "");
    a.import_programs(1);
    let key = a.generate_key();
    a.llmos(&["remote", "push", "1"]).ok();
    let stranger = Ws::new(&peer.url("lib"), peer.env(), "");
    let other_key = stranger.generate_key();
    let b = trusting(peer, &[other_key]);
    b.write("x.txt", "a b c");
    let pull = b.llmos(&["remote", "pull"]).ok();
    assert!(pull.stdout.is_empty());
    assert!(
        pull.stderr.contains(&format!(
            "signed by {key}, which is not in [remote] trusted_keys"
        )),
        "{}",
        pull.stderr
    );
    let listed = b.llmos(&["traces", "ls", "--remote"]).ok();
    assert!(listed.stdout.contains("untrusted"), "{}", listed.stdout);
    // The lookup: no program runs; the Learner is tried (and has no model here).
    let run = b.llmos(&["run", "count the words of kind 0 in x.txt", "--json"]);
    assert!(
        run.stderr.contains("--trust-unsigned would take it"),
        "{}",
        run.stderr
    );
    assert_eq!(run.json()["mode"], "learner");
    assert!(b.traces().is_empty());
    // The user decides otherwise.
    let run = b
        .llmos(&[
            "run",
            "count the words of kind 0 in x.txt",
            "--trust-unsigned",
        ])
        .ok();
    assert_eq!(run.stdout.trim(), "kind 0: 3 words");
}
on_both!(untrusted_signer_is_refused);

/// The S3 server stops under a workspace: the local library still serves what was
/// pulled, the remote commands fail at once with an error naming the remote, and a
/// new goal goes on without the team library.
#[test]
fn s3_server_stopped_mid_run() {
    let Some(mut moto) = Moto::start() else {
        return;
    };
    let a = Ws::new(&moto.url("lib"), moto.env(), "");
    a.import_programs(2);
    let key = a.generate_key();
    a.llmos(&["remote", "push", "1", "2"]).ok();
    let b = trusting(&moto, &[key]);
    b.write("x.txt", "a b c d");
    b.llmos(&["remote", "pull"]).ok();
    moto.stop();

    let run = b.llmos(&[
        "run",
        "count the words of kind 1 in x.txt",
        "--mode",
        "follower",
    ]);
    assert_eq!(run.ok().stdout.trim(), "kind 1: 4 words");
    for args in [
        &["remote", "pull"][..],
        &["remote", "status"],
        &["traces", "ls", "--remote"],
    ] {
        let started = Instant::now();
        let run = b.llmos(args);
        assert_eq!(run.code, 1, "{args:?}");
        assert!(
            run.stderr
                .contains("error: remote s3://llmos-test/lib: reading `index/head.json`"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{args:?} took {:?}",
            started.elapsed()
        );
    }
    let run = a.llmos(&["remote", "push", "1"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("error: remote s3://llmos-test/lib"),
        "{}",
        run.stderr
    );
    // A goal the local library does not know: a warning, and on to the Learner.
    let run = b.llmos(&["run", "count the words of kind 9 in x.txt", "--json"]);
    assert!(
        run.stderr.contains(
            "warning: the team library could not be searched (remote s3://llmos-test/lib"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(run.json()["mode"], "learner");
}

/// `remote status` and the config's errors.
#[test]
fn status_and_config_errors() {
    let folder = Folder::new();
    let a = Ws::new(&folder.url("lib"), Vec::new(), "");
    a.import_programs(2);
    let status = a.llmos(&["remote", "status", "--json"]).ok().json();
    assert_eq!(status["records"], 0);
    assert_eq!(status["key"], Value::Null);
    a.generate_key();
    a.llmos(&["remote", "push", "1"]).ok();
    let status = a.llmos(&["remote", "status", "--json"]).ok().json();
    assert_eq!(
        (status["records"].as_u64(), status["segments"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(status["key"].as_str().unwrap().starts_with("ed25519:"));
    // `keys generate` keeps an existing key.
    let again = a.llmos(&["keys", "generate"]);
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("already holds a key"),
        "{}",
        again.stderr
    );

    for (config, expected) in [
        (
            "[remote]\nurl = \"ftp://x\"\n",
            "config.toml:2:7: `ftp://x` is not a remote",
        ),
        (
            "[remote]\nurl = \"file:///x\"\ntrusted_keys = [\"ed25519:AAAA\"]\n",
            "in trusted_keys: `ed25519:AAAA` is not a public key",
        ),
        ("[remote]\nurll = \"file:///x\"\n", "unknown field `urll`"),
        (
            "[remote]\nurl = \"s3://bkt/p\"\n",
            "no credentials: set AWS_ACCESS_KEY_ID",
        ),
        ("", "no remote: set `url` in the [remote] table"),
    ] {
        a.write(".llmos/config.toml", config);
        let run = a.llmos(&["remote", "status"]);
        assert_eq!(run.code, 1, "{config}");
        assert!(run.stderr.contains(expected), "{config}: {}", run.stderr);
    }
}

/// A program's parent (the library's lineage) travels with its record.
#[test]
fn lineage_travels_with_the_record() {
    let folder = Folder::new();
    let a = Ws::new(&folder.url("lib"), Vec::new(), "");
    a.import_programs(2);
    let key = a.generate_key();
    let traces = a.traces();
    let (p0, p1) = (
        traces[0]["program"].as_str().unwrap(),
        traces[1]["program"].as_str().unwrap(),
    );
    let db = llmos::db::Db::open_in(&a.root().join(".llmos")).unwrap();
    db.lineage().record(p1, p0, "grew a branch").unwrap();
    drop(db);
    a.llmos(&["remote", "push", "2"]).ok();
    let b = trusting(&folder, &[key]);
    let listed = b.llmos(&["traces", "ls", "--remote", "--json"]).ok().json();
    assert_eq!(listed[0]["parent"], p0);
    b.llmos(&["remote", "pull"]).ok();
    let shown = b.llmos(&["traces", "show", "1", "--json"]).ok().json();
    assert_eq!(shown["lineage"][0]["parent"], p0, "{shown}");
    assert!(
        shown["lineage"][0]["note"]
            .as_str()
            .unwrap()
            .starts_with("pulled from file://")
    );
}

/// The S3 server dies while `remote pull` is half-way through: the pull fails with an
/// error naming the remote, and what it had pulled is complete and runs.
#[test]
fn s3_server_killed_during_a_pull() {
    // Every answer 25 ms late: a pull of 16 programs takes a second or more.
    let Some(mut moto) = Moto::start_with_latency(25) else {
        return;
    };
    let a = Ws::new(&moto.url("lib"), moto.env(), "");
    a.import_programs(16);
    let key = a.generate_key();
    let ids: Vec<String> = (1..=16).map(|i| i.to_string()).collect();
    let mut args = vec!["remote", "push"];
    args.extend(ids.iter().map(String::as_str));
    a.llmos(&args).ok();
    let b = trusting(&moto, &[key]);
    b.write("x.txt", "a b");
    let pull = b
        .command(&["remote", "pull"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first program to arrive, then stop the server.
    let objects = b.root().join(".llmos/objects");
    let started = Instant::now();
    let arrived = || {
        std::fs::read_dir(&objects)
            .map(|shards| shards.flatten().any(|s| s.path().is_dir()))
            .unwrap_or(false)
    };
    while !arrived() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "nothing was pulled"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    moto.stop();
    let out = pull.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: remote s3://llmos-test/lib: reading `"),
        "{stderr}"
    );
    // What came through is whole: in the library, verified, and it runs.
    let pulled = b.traces();
    assert!(
        !pulled.is_empty() && pulled.len() < 16,
        "{} pulled",
        pulled.len()
    );
    b.llmos(&["store", "verify"]).ok();
    for t in &pulled {
        let goal = t["goal"].as_str().unwrap().replace("{file}", "x.txt");
        let run = b.llmos(&["run", &goal, "--mode", "follower"]).ok();
        assert!(run.stdout.ends_with(": 2 words\n"), "{}", run.stdout);
    }
}
