//! `gc` and source sidecars.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::path::Path;
use std::time::{Duration, SystemTime};

use llmos::store::{ObjectStore, ProblemKind, StoreError};

const HOUR: Duration = Duration::from_secs(3600);

fn store() -> (tempfile::TempDir, ObjectStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = ObjectStore::open(&dir.path().join("objects")).unwrap();
    (dir, store)
}

/// Makes a file look `age` old.
fn age(path: &Path, age: Duration) {
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(SystemTime::now() - age)
        .unwrap();
}

#[test]
fn gc_keeps_roots_and_young_objects_and_drops_the_rest() {
    let (_d, store) = store();
    let root = store.put(b"referenced").unwrap();
    let old = store.put(b"unreferenced and old").unwrap();
    let young = store.put(b"unreferenced but just written").unwrap();
    store
        .put_source(&old, "old.llt", "trace old {}", None)
        .unwrap();
    store
        .put_source(&root, "root.llt", "trace root {}", None)
        .unwrap();
    for id in [root, old] {
        age(&store.object_path(&id), 2 * HOUR);
        age(&store.source_path(&id), 2 * HOUR);
    }
    let roots = BTreeSet::from([root]);

    let report = store.gc(&roots, HOUR).unwrap();
    assert_eq!(report.removed, vec![old]);
    assert_eq!(report.removed_sources, vec![old]);
    assert_eq!(report.kept, 2);
    assert!(report.freed_bytes > 0);

    let mut expected = vec![root, young];
    expected.sort();
    assert_eq!(store.list().unwrap(), expected);
    assert!(matches!(store.get(&old), Err(StoreError::Missing { .. })));
    assert!(!store.source_path(&old).exists());
    assert_eq!(store.get_source(&root).unwrap().unwrap().0, "root.llt");
    assert!(store.verify().unwrap().is_empty());

    // Nothing more to do the second time.
    let again = store.gc(&roots, HOUR).unwrap();
    assert!(again.removed.is_empty() && again.removed_sources.is_empty());
}

#[test]
fn storing_an_old_object_again_protects_it_from_gc() {
    let (_d, store) = store();
    let id = store.put(b"compiled long ago").unwrap();
    age(&store.object_path(&id), 2 * HOUR);
    // A concurrent compile stores the same program again, not yet recorded as a root.
    store.put(b"compiled long ago").unwrap();
    let report = store.gc(&BTreeSet::new(), HOUR).unwrap();
    assert!(report.removed.is_empty());
    assert_eq!(store.list().unwrap(), vec![id]);
}

#[test]
fn gc_with_zero_grace_drops_every_unreferenced_object() {
    let (_d, store) = store();
    let a = store.put(b"a").unwrap();
    let b = store.put(b"b").unwrap();
    age(&store.object_path(&a), Duration::from_secs(1));
    age(&store.object_path(&b), Duration::from_secs(1));
    let report = store.gc(&BTreeSet::from([b]), Duration::ZERO).unwrap();
    assert_eq!(report.removed, vec![a]);
    assert_eq!(store.list().unwrap(), vec![b]);
}

#[test]
fn gc_removes_stale_temp_files_and_orphan_sources_but_not_fresh_ones() {
    let (_d, store) = store();
    let id = store.put(b"kept").unwrap();
    let shard = store.object_path(&id).parent().unwrap().to_path_buf();
    let stale = shard.join(".deadbeef.42.0123456789abcdef.tmp");
    let fresh = shard.join(".deadbeef.43.0123456789abcdef.tmp");
    let stray = shard.join("left-for-a-human");
    for p in [&stale, &fresh, &stray] {
        fs::write(p, b"partial").unwrap();
    }
    age(&stale, 2 * HOUR);
    age(&stray, 2 * HOUR);
    store.put_source(&id, "kept.llt", "text", None).unwrap();
    // The object vanishes (say, removed by hand): its sidecar is an orphan.
    let orphan = store.put(b"orphaned").unwrap();
    store.put_source(&orphan, "o.llt", "o", None).unwrap();
    fs::remove_file(store.object_path(&orphan)).unwrap();
    age(&store.source_path(&orphan), 2 * HOUR);

    let report = store.gc(&BTreeSet::from([id]), HOUR).unwrap();
    assert_eq!(report.removed_temp, vec![stale.clone()]);
    assert_eq!(report.removed_sources, vec![orphan]);
    assert!(!stale.exists() && fresh.exists() && stray.exists());
    assert!(store.get_source(&id).unwrap().is_some());
}

#[test]
fn sources_round_trip_beside_their_object() {
    let (_d, store) = store();
    let id = store.put(b"bytecode").unwrap();
    assert_eq!(store.get_source(&id).unwrap(), None);
    let text = "trace t {\n  let x = fs.read(\"a\")\n}\n// ünïcode\n";
    store.put_source(&id, "traces/t.llt", text, None).unwrap();
    assert_eq!(
        store.get_source(&id).unwrap(),
        Some(("traces/t.llt".to_string(), text.to_string()))
    );
    // The sidecar does not change the object or its id.
    assert_eq!(store.get(&id).unwrap(), b"bytecode");
    assert_eq!(store.list().unwrap(), vec![id]);
    assert!(
        store
            .source_path(&id)
            .to_string_lossy()
            .ends_with(".src.json")
    );
    // Replacing it works.
    store.put_source(&id, "t2.llt", "other", None).unwrap();
    assert_eq!(store.get_source(&id).unwrap().unwrap().0, "t2.llt");
}

#[test]
fn source_of_a_missing_object_is_refused() {
    let (_d, store) = store();
    let id = llmos::store::ObjectId::of(b"not stored");
    assert!(matches!(
        store.put_source(&id, "a.llt", "x", None),
        Err(StoreError::Missing { .. })
    ));
}

#[test]
fn tampered_sidecar_is_detected() {
    let (_d, store) = store();
    let id = store.put(b"bytecode").unwrap();
    store.put_source(&id, "t.llt", "let x = 1", None).unwrap();
    let path = store.source_path(&id);
    let original = fs::read_to_string(&path).unwrap();

    // The text edited, its hash not.
    fs::write(&path, original.replace("let x = 1", "let x = 2")).unwrap();
    let err = store.get_source(&id).unwrap_err();
    assert!(
        matches!(err, StoreError::CorruptSource { id: got, .. } if got == id),
        "{err:?}"
    );
    assert!(err.to_string().contains(&id.to_string()), "{err}");
    let problems = store.verify().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].id, Some(id));
    assert!(matches!(problems[0].kind, ProblemKind::CorruptSource(_)));

    // Not JSON at all.
    fs::write(&path, &original[..original.len() / 2]).unwrap();
    assert!(matches!(
        store.get_source(&id),
        Err(StoreError::CorruptSource { .. })
    ));

    // Another object's sidecar copied here.
    let other = store.put(b"other bytecode").unwrap();
    store.put_source(&other, "o.llt", "o", None).unwrap();
    fs::copy(store.source_path(&other), &path).unwrap();
    let err = store.get_source(&id).unwrap_err();
    assert!(err.to_string().contains(&other.to_string()), "{err}");
}
