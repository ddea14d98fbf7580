//! The files beside the database that spare a Follower run from opening it: the library
//! snapshot follows every change that matters to the dispatcher, and successful runs
//! appended to the usage log are folded into the library exactly once, whatever the
//! number of processes (threads here) appending and folding at the same time.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use llmos::db::{Db, NewTrace, Snapshot, TraceSource, record_success, snapshot_path, usage_path};
use serde_json::json;

fn pid(c: char) -> String {
    std::iter::repeat_n(c, 64).collect()
}

fn trace(template: &str, program: &str) -> NewTrace {
    NewTrace {
        name: "t".into(),
        goal_template: template.into(),
        program_id: program.into(),
        params: json!({"params": [{"name": "file", "type": "path"}]}),
        source: TraceSource::Compiled,
        learn_cost_micros: 0,
    }
}

fn new_db() -> (tempfile::TempDir, std::path::PathBuf, Db) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("llmos.db");
    let db = Db::open(&path).unwrap();
    (dir, path, db)
}

fn read(path: &Path) -> Snapshot {
    Snapshot::read(path).expect("a valid snapshot")
}

#[test]
fn the_snapshot_follows_every_change_the_dispatcher_sees() {
    let (_dir, path, db) = new_db();
    let empty = read(&path);
    assert!(empty.is_empty());
    assert_eq!(empty.generation, db.library_generation().unwrap());

    let lib = db.library();
    let a = lib.add(&trace("count lines in {file}", &pid('a'))).unwrap();
    let b = lib.add(&trace("count words in {file}", &pid('b'))).unwrap();
    let s = read(&path);
    assert_eq!(s, db.library_snapshot().unwrap());
    assert_eq!(s.len(), 2);
    assert_eq!(
        s.iter().next().unwrap().goal_template,
        "count lines in {file}"
    );
    assert_eq!(s.iter().nth(1).unwrap().program_id, pid('b'));
    assert!(s.generation > empty.generation);

    // A failure lowers the rating: the snapshot has the new one.
    lib.record_run(a, false).unwrap();
    let after_failure = read(&path);
    assert_eq!(after_failure.iter().next().unwrap().success_rating, 0.9);
    assert!(after_failure.generation > s.generation);

    // A success at rating 1.0 changes nothing the dispatcher sees: same generation.
    lib.record_run(b, true).unwrap();
    assert_eq!(read(&path).generation, after_failure.generation);

    lib.remove(a).unwrap();
    let s = read(&path);
    assert_eq!(s.iter().map(|e| e.id).collect::<Vec<_>>(), vec![b]);
}

#[test]
fn a_missing_stale_or_damaged_snapshot_is_rebuilt() {
    let (_dir, path, db) = new_db();
    db.library().add(&trace("x {file}", &pid('a'))).unwrap();
    let good = std::fs::read(snapshot_path(&path)).unwrap();

    // Damaged: readers refuse it; a forced refresh writes it again.
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    std::fs::write(snapshot_path(&path), &bad).unwrap();
    assert_eq!(Snapshot::read(&path), None);
    db.refresh_snapshot(true).unwrap();
    assert_eq!(std::fs::read(snapshot_path(&path)).unwrap(), good);

    // Stale (as a crash between a commit and its refresh leaves it): the next open
    // brings it up to date.
    db.library().add(&trace("y {file}", &pid('b'))).unwrap();
    std::fs::write(snapshot_path(&path), &good).unwrap();
    drop(db);
    let db = Db::open(&path).unwrap();
    assert_eq!(read(&path).len(), 2);

    // Missing: the same.
    std::fs::remove_file(snapshot_path(&path)).unwrap();
    drop(db);
    Db::open(&path).unwrap();
    assert_eq!(read(&path).len(), 2);
}

#[test]
fn successes_in_the_usage_log_are_folded_in_at_the_next_open() {
    let (_dir, path, db) = new_db();
    let a = db.library().add(&trace("a {file}", &pid('a'))).unwrap();
    let b = db.library().add(&trace("b {file}", &pid('b'))).unwrap();
    db.library().record_run(a, false).unwrap(); // rating 0.9, 1 use
    drop(db);

    for _ in 0..3 {
        record_success(&path, a).unwrap();
    }
    record_success(&path, b).unwrap();
    assert!(usage_path(&path).exists());

    let db = Db::open(&path).unwrap();
    assert!(!usage_path(&path).exists(), "the log is folded and removed");
    let ea = db.library().get(a).unwrap().unwrap();
    assert_eq!(ea.usage_count, 4);
    // Three successes after a failure: 1 - 0.9^3 * 0.1, as three record_run calls give.
    assert!((ea.success_rating - (1.0 - 0.9f64.powi(3) * 0.1)).abs() < 1e-12);
    assert!(ea.last_used_at.is_some());
    let eb = db.library().get(b).unwrap().unwrap();
    assert_eq!((eb.usage_count, eb.success_rating), (1, 1.0));
    // The rating moved: the snapshot followed.
    assert_eq!(
        read(&path).iter().next().unwrap().success_rating,
        ea.success_rating
    );
    // Folding again finds nothing.
    db.fold_usage().unwrap();
    assert_eq!(db.library().get(a).unwrap().unwrap().usage_count, 4);
}

#[test]
fn a_run_of_a_removed_trace_is_ignored_and_a_torn_line_skipped() {
    let (_dir, path, db) = new_db();
    let a = db.library().add(&trace("a {file}", &pid('a'))).unwrap();
    record_success(&path, a + 41).unwrap();
    record_success(&path, a).unwrap();
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(usage_path(&path))
        .unwrap();
    std::io::Write::write_all(&mut log, b"1 2026-11-").unwrap();
    drop(log);
    db.fold_usage().unwrap();
    assert_eq!(db.library().get(a).unwrap().unwrap().usage_count, 1);
}

#[test]
fn appends_racing_folds_are_counted_exactly_once() {
    let (_dir, path, db) = new_db();
    let id = db.library().add(&trace("a {file}", &pid('a'))).unwrap();
    drop(db);
    const WRITERS: usize = 6;
    const RUNS: usize = 1500;
    let folders = [Db::open(&path).unwrap(), Db::open(&path).unwrap()];
    let writing = AtomicUsize::new(WRITERS);
    let folds = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..WRITERS {
            s.spawn(|| {
                for i in 0..RUNS {
                    // The race is made, not hoped for: every few hundred appends a writer
                    // waits until two more folds have finished, so folds land between
                    // its appends however the machine schedules the threads.
                    if i % 250 == 125 {
                        let seen = folds.load(Ordering::SeqCst);
                        while folds.load(Ordering::SeqCst) < seen + 2 {
                            std::thread::yield_now();
                        }
                    }
                    record_success(&path, id).unwrap();
                }
                writing.fetch_sub(1, Ordering::SeqCst);
            });
        }
        // Two folders, each with its own connection, folding for as long as the writers
        // write.
        for db in folders {
            s.spawn(|| {
                let db = db;
                while writing.load(Ordering::SeqCst) > 0 {
                    db.fold_usage().unwrap();
                    folds.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
    });
    let db = Db::open(&path).unwrap();
    let e = db.library().get(id).unwrap().unwrap();
    assert_eq!(e.usage_count, (WRITERS * RUNS) as u64);
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("-usage"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_batch_refreshes_the_snapshot_once_at_the_end_or_keeps_nothing() {
    let (_dir, path, db) = new_db();
    let before = read(&path);
    db.batch(|db| {
        for i in 0..50 {
            db.library()
                .add(&trace(&format!("task {i} on {{file}}"), &pid('a')))?;
        }
        // Inside the batch the snapshot has not moved yet.
        assert_eq!(read(&path), before);
        Ok(())
    })
    .unwrap();
    let after = read(&path);
    assert_eq!(after.len(), 50);
    assert_eq!(after, db.library_snapshot().unwrap());

    let failed = db.batch(|db| {
        db.library().add(&trace("one more {file}", &pid('b')))?;
        db.library().add(&trace("bad", "not a program id"))
    });
    assert!(failed.is_err());
    assert_eq!(
        db.library().list().unwrap().len(),
        50,
        "the batch kept nothing"
    );
    assert_eq!(read(&path), after);
}
