//! Opening the workspace database: WAL mode, schema migrations applied exactly once
//! (also when several connections open a new file at the same moment), clear errors.

use std::sync::{Arc, Barrier};

use llmos::db::{Db, DbError, SCHEMA_VERSION};

#[test]
fn open_creates_the_file_and_its_directory_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/.llmos/llmos.db");
    let db = Db::open(&path).unwrap();
    assert!(path.exists());
    assert_eq!(db.path(), path);
    assert_eq!(db.schema_version().unwrap(), SCHEMA_VERSION);
    let raw = rusqlite::Connection::open(&path).unwrap();
    let mode: String = raw
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode.to_lowercase(), "wal");
}

#[test]
fn reopening_does_not_migrate_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("llmos.db");
    Db::open(&path)
        .unwrap()
        .ledger()
        .set_balance(3_000_000)
        .unwrap();
    for _ in 0..3 {
        let db = Db::open(&path).unwrap();
        assert_eq!(
            db.ledger().balance().unwrap(),
            3_000_000,
            "data kept, not re-seeded"
        );
    }
    assert_eq!(migrations_logged(&path), SCHEMA_VERSION);
}

#[test]
fn eight_connections_opening_a_new_file_at_once_migrate_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("llmos.db");
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let path = path.clone();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                let db = Db::open(&path)?;
                db.ledger().balance()
            })
        })
        .collect();
    for h in handles {
        let balance = h.join().expect("thread").expect("open and read");
        assert_eq!(balance, 10_000_000);
    }
    assert_eq!(migrations_logged(&path), SCHEMA_VERSION);
    let raw = rusqlite::Connection::open(&path).unwrap();
    let accounts: i64 = raw
        .query_row("SELECT COUNT(*) FROM account", [], |r| r.get(0))
        .unwrap();
    assert_eq!(accounts, 1);
}

#[test]
fn a_newer_schema_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("llmos.db");
    drop(Db::open(&path).unwrap());
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(raw);
    let err = Db::open(&path).unwrap_err();
    assert!(matches!(err, DbError::TooNew { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("newer"), "{text}");
}

#[test]
fn a_file_that_is_not_a_database_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("llmos.db");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let err = Db::open(&path).unwrap_err().to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
}

fn migrations_logged(path: &std::path::Path) -> i64 {
    let raw = rusqlite::Connection::open(path).unwrap();
    raw.query_row("SELECT COUNT(*) FROM schema_log", [], |r| r.get(0))
        .unwrap()
}
