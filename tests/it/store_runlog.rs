//! Run logs: JSON Lines per run, crash-tolerant appends, bad lines named.

use std::fs::{self, OpenOptions};
use std::io::Write;

use llmos::store::{RunId, RunLog, StoreError, list_runs};
use serde_json::json;

#[test]
fn append_then_read_back_every_event() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let id = RunId::new();
    let mut log = RunLog::create(&runs, &id).unwrap();
    assert_eq!(log.id(), &id);
    assert_eq!(log.path(), RunLog::path_of(&runs, &id));
    let events = vec![
        json!({"event": "start", "program": "ab12", "goal": "sum\nthe column"}),
        json!({"event": "step", "step": 1, "output": [1, 2.5, null]}),
        json!({"event": "end", "ok": true}),
    ];
    for e in &events {
        log.append(e).unwrap();
    }
    // Each line is on disk as soon as append returns, before the log is closed.
    assert_eq!(RunLog::read(log.path()).unwrap(), events);
    log.sync().unwrap();
    drop(log);
    let text = fs::read_to_string(RunLog::path_of(&runs, &id)).unwrap();
    assert_eq!(text.lines().count(), 3, "one line per event: {text}");
}

#[test]
fn creating_the_same_run_twice_fails() {
    let dir = tempfile::tempdir().unwrap();
    let id = RunId::new();
    RunLog::create(dir.path(), &id).unwrap();
    assert!(matches!(
        RunLog::create(dir.path(), &id),
        Err(StoreError::Io { .. })
    ));
}

#[test]
fn truncated_last_line_is_reported_with_its_number() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = RunLog::create_new(dir.path()).unwrap();
    log.append(&json!({"n": 1})).unwrap();
    log.append(&json!({"n": 2})).unwrap();
    let path = log.path().to_path_buf();
    drop(log);
    // A crash in the middle of writing the third line.
    OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(br#"{"n": 3, "out"#)
        .unwrap();
    let err = RunLog::read(&path).unwrap_err();
    match &err {
        StoreError::BadRecord { line, path: p, .. } => {
            assert_eq!(*line, 3);
            assert_eq!(p, &path);
        }
        other => panic!("expected BadRecord, got {other:?}"),
    }
    assert!(err.to_string().contains(":3:"), "{err}");

    // Even a cut that leaves valid JSON (the newline missing) is reported.
    fs::write(&path, "{\"n\": 1}\n{\"n\": 23").unwrap();
    assert!(matches!(
        RunLog::read(&path),
        Err(StoreError::BadRecord { line: 2, .. })
    ));
}

#[test]
fn bad_line_in_the_middle_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.jsonl");
    fs::write(&path, "{\"a\":1}\n\n{\"a\":\n{\"a\":3}\n").unwrap();
    let err = RunLog::read(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::BadRecord { line: 3, .. }),
        "{err:?}"
    );
    fs::write(&path, "{\"a\":1}\n\n{\"a\":3}\n").unwrap();
    assert_eq!(
        RunLog::read(&path).unwrap(),
        vec![json!({"a": 1}), json!({"a": 3})]
    );
}

#[test]
fn list_runs_sorted_and_ignores_other_files() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(list_runs(&dir.path().join("missing")).unwrap(), vec![]);
    let ids: Vec<RunId> = [
        "20261125T185300123Z-ffffffff",
        "20250101T000000000Z-00000001",
        "20261125T185300123Z-00000000",
        "20261125T185300124Z-00000000",
    ]
    .iter()
    .map(|t| t.parse().unwrap())
    .collect();
    for id in &ids {
        RunLog::create(dir.path(), id).unwrap();
    }
    fs::write(dir.path().join("notes.txt"), "x").unwrap();
    fs::write(dir.path().join("garbage.jsonl"), "x").unwrap();
    let listed: Vec<String> = list_runs(dir.path())
        .unwrap()
        .iter()
        .map(|i| i.to_string())
        .collect();
    assert_eq!(
        listed,
        [
            "20250101T000000000Z-00000001",
            "20261125T185300123Z-00000000",
            "20261125T185300123Z-ffffffff",
            "20261125T185300124Z-00000000",
        ]
    );
}

#[test]
fn run_ids_are_time_sortable_and_unique() {
    let mut ids: Vec<RunId> = (0..200).map(|_| RunId::new()).collect();
    let in_order = ids.clone();
    ids.sort();
    // Made one after another, ids sort by time (ties within a millisecond aside).
    let millis = |i: &RunId| i.as_str()[..18].to_string();
    assert!(in_order.windows(2).all(|w| millis(&w[0]) <= millis(&w[1])));
    ids.dedup();
    assert_eq!(ids.len(), 200);
    let text = in_order[0].to_string();
    assert_eq!(text.parse::<RunId>().unwrap(), in_order[0]);
    assert!("2026-11-25".parse::<RunId>().is_err());
}
