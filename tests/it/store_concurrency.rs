//! Several writers at once, as threads and as separate processes, leave a consistent
//! store: every object present, `verify` clean, no temp files left.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::thread;

use llmos::store::{ObjectId, ObjectStore};

/// The programs writer `w` stores: 10 shared by every writer, 10 of its own.
fn programs(w: usize) -> Vec<Vec<u8>> {
    let shared = (0..10).map(|i| format!("shared program {i}").repeat(50).into_bytes());
    let own = (0..10).map(move |i| format!("writer {w} program {i}").repeat(50).into_bytes());
    shared.chain(own).collect()
}

fn check_consistent(dir: &Path, writers: usize) {
    let store = ObjectStore::open(dir).unwrap();
    let mut expected: Vec<ObjectId> = (0..writers)
        .flat_map(programs)
        .map(|p| ObjectId::of(&p))
        .collect();
    expected.sort();
    expected.dedup();
    assert_eq!(expected.len(), 10 + 10 * writers);
    assert_eq!(store.list().unwrap(), expected);
    for w in 0..writers {
        for p in programs(w) {
            assert_eq!(store.get(&ObjectId::of(&p)).unwrap(), p);
        }
    }
    assert_eq!(store.verify().unwrap(), vec![]);
    let temp_files = walk(dir)
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().ends_with(".tmp"))
        .count();
    assert_eq!(temp_files, 0);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn eight_threads_putting_same_and_different_objects() {
    let dir = tempfile::tempdir().unwrap();
    let objects = dir.path().join("objects");
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|w| {
            let objects = objects.clone();
            let barrier = barrier.clone();
            thread::spawn(move || {
                // Each thread opens its own handle, as separate processes would.
                let store = ObjectStore::open(&objects).unwrap();
                barrier.wait();
                for p in programs(w) {
                    let id = store.put(&p).unwrap();
                    store.put_source(&id, "p.llt", "source", None).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    check_consistent(&objects, 8);
}

/// Environment variables telling a re-executed copy of this test binary to act as writer.
const CHILD_DIR: &str = "LLMOS_TEST_STORE_CHILD_DIR";
const CHILD_WRITER: &str = "LLMOS_TEST_STORE_CHILD_WRITER";

/// Run in a child process by `four_processes_putting_at_once`; a no-op otherwise.
#[test]
fn child_writer() {
    let (Ok(dir), Ok(w)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_WRITER)) else {
        return;
    };
    let store = ObjectStore::open(Path::new(&dir)).unwrap();
    let w: usize = w.parse().unwrap();
    for _round in 0..3 {
        for p in programs(w) {
            store.put(&p).unwrap();
        }
    }
}

#[test]
fn four_processes_putting_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let objects = dir.path().join("objects");
    let exe = std::env::current_exe().unwrap();
    let child = crate::support::test_name(module_path!(), "child_writer");
    let children: Vec<_> = (0..4)
        .map(|w| {
            Command::new(&exe)
                .args(["--exact", &child, "--test-threads", "1"])
                .env(CHILD_DIR, &objects)
                .env(CHILD_WRITER, w.to_string())
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    check_consistent(&objects, 4);
}
