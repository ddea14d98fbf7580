//! The content-addressed object store: ids, round trips, corruption, prefix resolution.

use std::collections::BTreeMap;
use std::fs;

use llmos::store::{ObjectId, ObjectStore, ProblemKind, StoreError};

fn store() -> (tempfile::TempDir, ObjectStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = ObjectStore::open(&dir.path().join("objects")).unwrap();
    (dir, store)
}

#[test]
fn put_get_round_trip_and_id_is_blake3_of_bytes() {
    let (_d, store) = store();
    let bytes = b"LLB\x01 some program bytes".to_vec();
    let id = store.put(&bytes).unwrap();
    assert_eq!(id.to_string(), blake3::hash(&bytes).to_hex().as_str());
    assert_eq!(store.get(&id).unwrap(), bytes);
    // Layout: objects/<2 hex>/<62 hex>.
    let hex = id.to_string();
    let path = store.dir().join(&hex[..2]).join(&hex[2..]);
    assert_eq!(fs::read(&path).unwrap(), bytes);
    assert_eq!(store.object_path(&id), path);
}

#[test]
fn empty_object_round_trips() {
    let (_d, store) = store();
    let id = store.put(b"").unwrap();
    assert_eq!(store.get(&id).unwrap(), b"");
}

#[test]
fn put_twice_is_idempotent() {
    let (_d, store) = store();
    let a = store.put(b"same").unwrap();
    let b = store.put(b"same").unwrap();
    assert_eq!(a, b);
    assert_eq!(store.list().unwrap(), vec![a]);
    let shard: Vec<_> = fs::read_dir(store.object_path(&a).parent().unwrap())
        .unwrap()
        .collect();
    assert_eq!(shard.len(), 1, "no temp files or copies left behind");
}

#[test]
fn missing_object_is_named() {
    let (_d, store) = store();
    let id = ObjectId::of(b"never stored");
    match store.get(&id) {
        Err(StoreError::Missing { id: got }) => assert_eq!(got, id),
        other => panic!("expected Missing, got {other:?}"),
    }
}

#[test]
fn flipped_byte_is_corrupt_and_verify_lists_it() {
    let (_d, store) = store();
    let good = store.put(b"a good program").unwrap();
    let id = store.put(b"a program that will rot").unwrap();
    let path = store.object_path(&id);
    let mut bytes = fs::read(&path).unwrap();
    bytes[3] ^= 0x01;
    fs::write(&path, &bytes).unwrap();

    let err = store.get(&id).unwrap_err();
    assert!(
        matches!(err, StoreError::Corrupt { id: got } if got == id),
        "{err:?}"
    );
    assert!(err.to_string().contains(&id.to_string()), "{err}");
    assert!(store.get(&good).is_ok());

    let problems = store.verify().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].id, Some(id));
    assert_eq!(problems[0].kind, ProblemKind::Corrupt);
    assert!(problems[0].to_string().contains(&id.to_string()));
}

#[test]
fn truncated_object_is_corrupt() {
    let (_d, store) = store();
    let id = store.put(b"0123456789").unwrap();
    let path = store.object_path(&id);
    fs::write(&path, b"01234").unwrap();
    assert!(matches!(store.get(&id), Err(StoreError::Corrupt { .. })));
    fs::write(&path, b"").unwrap();
    assert!(matches!(store.get(&id), Err(StoreError::Corrupt { .. })));
    let problems = store.verify().unwrap();
    assert_eq!(problems.len(), 1);
    assert_eq!(
        (problems[0].id, &problems[0].kind),
        (Some(id), &ProblemKind::Corrupt)
    );
}

#[test]
fn put_repairs_a_corrupt_copy() {
    let (_d, store) = store();
    let id = store.put(b"repair me").unwrap();
    fs::write(store.object_path(&id), b"rot").unwrap();
    assert_eq!(store.put(b"repair me").unwrap(), id);
    assert_eq!(store.get(&id).unwrap(), b"repair me");
}

#[test]
fn verify_names_stray_files() {
    let (_d, store) = store();
    let id = store.put(b"fine").unwrap();
    let shard = store.object_path(&id).parent().unwrap().to_path_buf();
    fs::write(shard.join("not-an-object"), b"x").unwrap();
    fs::write(store.dir().join("README"), b"x").unwrap();
    fs::create_dir(store.dir().join("zz")).unwrap();
    // A temp file of a write in progress is not a problem.
    fs::write(shard.join(".abc.1.00.tmp"), b"x").unwrap();

    let problems = store.verify().unwrap();
    let described: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), 3, "{described:?}");
    assert!(
        problems
            .iter()
            .all(|p| p.kind == ProblemKind::Stray && p.id.is_none())
    );
    assert!(described.iter().any(|d| d.contains("not-an-object")));
    assert!(described.iter().any(|d| d.contains("README")));
    assert!(described.iter().any(|d| d.contains("zz")));
    assert_eq!(store.list().unwrap(), vec![id]);
}

#[test]
fn list_is_sorted() {
    let (_d, store) = store();
    let mut ids: Vec<ObjectId> = (0..20)
        .map(|i| store.put(format!("p{i}").as_bytes()).unwrap())
        .collect();
    ids.sort();
    assert_eq!(store.list().unwrap(), ids);
    let texts: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let mut sorted = texts.clone();
    sorted.sort();
    assert_eq!(texts, sorted, "id order is hex text order");
}

#[test]
fn resolve_full_id_and_unique_prefix_in_either_case() {
    let (_d, store) = store();
    let id = store.put(b"resolve me").unwrap();
    store.put(b"someone else").unwrap();
    let hex = id.to_string();
    assert_eq!(store.resolve(&hex).unwrap(), id);
    assert_eq!(store.resolve(&hex.to_uppercase()).unwrap(), id);
    assert_eq!(store.resolve(&hex[..12]).unwrap(), id);
}

#[test]
fn resolve_ambiguous_prefix_lists_every_candidate_sorted() {
    let (_d, store) = store();
    // Find three programs whose ids share their first 4 hex digits (hashing only).
    let mut by_prefix = BTreeMap::<String, Vec<Vec<u8>>>::new();
    let (shared, programs) = (0u64..)
        .find_map(|n| {
            let bytes = format!("collide {n}").into_bytes();
            let prefix = ObjectId::of(&bytes).to_string()[..4].to_string();
            let group = by_prefix.entry(prefix.clone()).or_default();
            group.push(bytes);
            (group.len() == 3).then(|| (prefix, group.clone()))
        })
        .unwrap();
    store.put(b"an unrelated program").unwrap();
    let mut candidates: Vec<ObjectId> = programs.iter().map(|p| store.put(p).unwrap()).collect();
    candidates.sort();

    let err = store.resolve(&shared.to_uppercase()).unwrap_err();
    let msg = err.to_string();
    match err {
        StoreError::Ambiguous {
            prefix,
            candidates: got,
        } => {
            assert_eq!(prefix, shared.to_uppercase());
            assert_eq!(got, candidates);
        }
        other => panic!("expected Ambiguous, got {other:?}"),
    }
    let positions: Vec<usize> = candidates
        .iter()
        .map(|id| msg.find(&id.to_string()).unwrap())
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "listed in order: {msg}"
    );

    // A longer prefix picks one of them.
    let first = candidates[0].to_string();
    assert_eq!(store.resolve(&first[..30]).unwrap(), candidates[0]);
}

#[test]
fn resolve_not_found_too_short_and_non_hex_are_distinct() {
    let (_d, store) = store();
    let id = store.put(b"only one").unwrap();
    let hex = id.to_string();
    // Same shard, different rest: not found.
    let other = format!(
        "{}{}",
        &hex[..2],
        if &hex[2..4] == "00" { "11" } else { "00" }
    );
    assert!(
        matches!(store.resolve(&other), Err(StoreError::NotFound { prefix }) if prefix == other)
    );
    // A shard with nothing in it at all.
    let empty_shard = if hex.starts_with("ff") {
        "0000"
    } else {
        "ffff"
    };
    assert!(matches!(
        store.resolve(empty_shard),
        Err(StoreError::NotFound { .. })
    ));

    let too_short = store.resolve(&hex[..3]).unwrap_err();
    assert!(matches!(too_short, StoreError::BadId { .. }));
    assert!(too_short.to_string().contains("at least 4"), "{too_short}");
    assert!(matches!(store.resolve(""), Err(StoreError::BadId { .. })));

    let non_hex = store.resolve("abcx12").unwrap_err();
    assert!(matches!(non_hex, StoreError::BadId { .. }));
    assert!(non_hex.to_string().contains("`x`"), "{non_hex}");

    let too_long = store.resolve(&format!("{hex}0")).unwrap_err();
    assert!(too_long.to_string().contains("64 hex digits"), "{too_long}");
}
