//! The slot cache: answers keyed by program, slot, interpolated prompt and model.

use llmos::db::Db;
use serde_json::json;

#[test]
fn put_get_upsert_and_count() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("llmos.db")).unwrap();
    let cache = db.slots();
    let prog = "ab".repeat(32);
    let model = "anthropic:claude-haiku-4-5";
    assert_eq!(
        cache.get(&prog, "summary", "Summarize: x", model).unwrap(),
        None
    );
    assert_eq!(cache.count().unwrap(), 0);

    cache
        .put(
            &prog,
            "summary",
            "Summarize: x",
            model,
            &json!({"text": "short", "n": 2}),
        )
        .unwrap();
    assert_eq!(
        cache.get(&prog, "summary", "Summarize: x", model).unwrap(),
        Some(json!({"n": 2, "text": "short"}))
    );
    // Every part of the key matters.
    assert_eq!(
        cache.get(&prog, "summary", "Summarize: y", model).unwrap(),
        None
    );
    assert_eq!(
        cache.get(&prog, "title", "Summarize: x", model).unwrap(),
        None
    );
    assert_eq!(
        cache
            .get(&prog, "summary", "Summarize: x", "openai:gpt-4o")
            .unwrap(),
        None
    );
    assert_eq!(
        cache
            .get(&"cd".repeat(32), "summary", "Summarize: x", model)
            .unwrap(),
        None
    );

    cache
        .put(&prog, "summary", "Summarize: x", model, &json!("replaced"))
        .unwrap();
    assert_eq!(
        cache.get(&prog, "summary", "Summarize: x", model).unwrap(),
        Some(json!("replaced"))
    );
    cache
        .put(&prog, "summary", "Summarize: y", model, &json!(null))
        .unwrap();
    assert_eq!(
        cache.get(&prog, "summary", "Summarize: y", model).unwrap(),
        Some(json!(null))
    );
    assert_eq!(cache.count().unwrap(), 2);
}

#[test]
fn answers_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("llmos.db");
    Db::open(&path)
        .unwrap()
        .slots()
        .put(
            "p",
            "s",
            "long prompt ".repeat(1000).as_str(),
            "m",
            &json!([1, 2, 3]),
        )
        .unwrap();
    let db = Db::open(&path).unwrap();
    let got = db
        .slots()
        .get("p", "s", "long prompt ".repeat(1000).as_str(), "m")
        .unwrap();
    assert_eq!(got, Some(json!([1, 2, 3])));
}
