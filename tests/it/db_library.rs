//! The trace library: add (upsert), list, lookups, removal, the success rating's moving
//! average and usage counts, and the program ids that are garbage-collection roots.

use std::collections::BTreeSet;

use llmos::db::{Db, DbError, NewTrace, TraceSource};
use serde_json::json;

fn pid(c: char) -> String {
    std::iter::repeat_n(c, 64).collect()
}

fn trace(template: &str, program: &str) -> NewTrace {
    NewTrace {
        name: "count-lines".into(),
        goal_template: template.into(),
        program_id: program.into(),
        params: json!([{"name": "file", "type": "path"}]),
        source: TraceSource::Learned,
        learn_cost_micros: 12_300,
    }
}

fn new_db() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("llmos.db")).unwrap();
    (dir, db)
}

#[test]
fn added_entries_read_back_with_their_fields() {
    let (_dir, db) = new_db();
    let lib = db.library();
    let id = lib.add(&trace("count lines in {file}", &pid('a'))).unwrap();
    let e = lib.get(id).unwrap().expect("entry");
    assert_eq!(e.id, id);
    assert_eq!(e.name, "count-lines");
    assert_eq!(e.goal_template, "count lines in {file}");
    assert_eq!(e.program_id, pid('a'));
    assert_eq!(e.params, json!([{"name": "file", "type": "path"}]));
    assert_eq!(e.source, TraceSource::Learned);
    assert_eq!(e.usage_count, 0);
    assert_eq!(e.success_rating, 1.0);
    assert_eq!(e.learn_cost_micros, 12_300);
    assert_eq!(e.last_used_at, None);
    assert!(e.created_at.ends_with('Z'), "{}", e.created_at);
    assert!(lib.get(id + 100).unwrap().is_none());
}

#[test]
fn adding_the_same_template_and_program_updates_in_place() {
    let (_dir, db) = new_db();
    let lib = db.library();
    let id = lib.add(&trace("t {x}", &pid('a'))).unwrap();
    lib.record_run(id, true).unwrap();
    let mut again = trace("t {x}", &pid('a'));
    again.name = "renamed".into();
    again.source = TraceSource::Imported;
    assert_eq!(lib.add(&again).unwrap(), id);
    let e = lib.get(id).unwrap().unwrap();
    assert_eq!(e.name, "renamed");
    assert_eq!(e.source, TraceSource::Imported);
    assert_eq!(e.usage_count, 1, "history kept");
    assert_eq!(lib.list().unwrap().len(), 1);
    // Same template, another program: a second entry.
    let other = lib.add(&trace("t {x}", &pid('b'))).unwrap();
    assert_ne!(other, id);
    let found = lib.find_by_goal_template("t {x}").unwrap();
    assert_eq!(
        found.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![id, other]
    );
    assert!(lib.find_by_goal_template("t").unwrap().is_empty());
}

#[test]
fn rating_is_a_moving_average_with_alpha_one_tenth() {
    let (_dir, db) = new_db();
    let lib = db.library();
    let id = lib.add(&trace("g", &pid('c'))).unwrap();
    let expected = [
        (true, 1.0),
        (false, 0.9),
        (false, 0.81),
        (false, 0.729),
        (true, 0.7561),
    ];
    for (n, (success, rating)) in expected.iter().enumerate() {
        let e = lib.record_run(id, *success).unwrap();
        assert!(
            (e.success_rating - rating).abs() < 1e-12,
            "after run {n}: {} != {rating}",
            e.success_rating
        );
        assert_eq!(e.usage_count, n as u64 + 1);
        assert!(e.last_used_at.is_some());
    }
    assert_eq!(lib.get(id).unwrap().unwrap().usage_count, 5);
}

#[test]
fn concurrent_runs_lose_no_usage_counts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("llmos.db");
    let id = Db::open(&path)
        .unwrap()
        .library()
        .add(&trace("g", &pid('d')))
        .unwrap();
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || {
                let db = Db::open(&path).unwrap();
                for _ in 0..5 {
                    db.library().record_run(id, true).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let db = Db::open(&path).unwrap();
    assert_eq!(db.library().get(id).unwrap().unwrap().usage_count, 40);
}

#[test]
fn recording_a_run_of_an_unknown_trace_names_it() {
    let (_dir, db) = new_db();
    let err = db.library().record_run(42, true).unwrap_err();
    assert!(matches!(err, DbError::NoSuchTrace { id: 42, .. }));
    assert!(err.to_string().contains("no trace with id 42"), "{err}");
}

#[test]
fn list_templates_remove_and_gc_roots() {
    let (_dir, db) = new_db();
    let lib = db.library();
    let a = lib.add(&trace("first {x}", &pid('a'))).unwrap();
    let b = lib.add(&trace("second {x}", &pid('b'))).unwrap();
    let c = lib.add(&trace("third {x}", &pid('a'))).unwrap();
    let ids: Vec<i64> = lib.list().unwrap().iter().map(|e| e.id).collect();
    assert_eq!(ids, vec![a, b, c]);
    let snapshot = db.library_snapshot().unwrap();
    let templates: Vec<_> = snapshot
        .iter()
        .map(|e| {
            (
                e.id,
                e.goal_template,
                e.program_id.to_owned(),
                e.success_rating,
            )
        })
        .collect();
    assert_eq!(
        templates,
        vec![
            (a, "first {x}", pid('a'), 1.0),
            (b, "second {x}", pid('b'), 1.0),
            (c, "third {x}", pid('a'), 1.0),
        ]
    );
    assert_eq!(
        lib.referenced_programs().unwrap(),
        BTreeSet::from([pid('a'), pid('b')])
    );
    assert!(lib.remove(b).unwrap());
    assert!(!lib.remove(b).unwrap());
    assert_eq!(
        lib.referenced_programs().unwrap(),
        BTreeSet::from([pid('a')])
    );
    assert_eq!(lib.list().unwrap().len(), 2);
}

#[test]
fn bad_program_ids_and_costs_are_refused() {
    let (_dir, db) = new_db();
    let lib = db.library();
    for bad in ["abc", &pid('A'), &pid('g')] {
        let err = lib.add(&trace("g", bad)).unwrap_err().to_string();
        assert!(err.contains("not 64 lowercase hex digits"), "{err}");
        assert!(err.contains("llmos.db"), "{err}");
    }
    let mut t = trace("g", &pid('a'));
    t.learn_cost_micros = -1;
    assert!(lib.add(&t).is_err());
    assert!(lib.list().unwrap().is_empty());
}
