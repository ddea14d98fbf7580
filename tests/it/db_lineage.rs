//! Program lineage in the workspace database: a merged program records its parent, and
//! the chain reads back oldest last, bounded and safe against a damaged (cyclic) table.

use llmos::db::Db;

fn pid(c: char) -> String {
    std::iter::repeat_n(c, 64).collect()
}

#[test]
fn a_chain_of_merges_reads_back_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open_in(dir.path()).unwrap();
    let l = db.lineage();
    assert!(l.chain(&pid('a')).unwrap().is_empty());
    l.record(
        &pid('b'),
        &pid('a'),
        "merged a branch at `expect exists == true`",
    )
    .unwrap();
    l.record(
        &pid('c'),
        &pid('b'),
        "merged a branch at `expect count == 1`",
    )
    .unwrap();
    let chain = l.chain(&pid('c')).unwrap();
    let parents: Vec<&str> = chain.iter().map(|k| k.parent.as_str()).collect();
    assert_eq!(parents, [pid('b'), pid('a')]);
    assert_eq!(chain[0].note, "merged a branch at `expect count == 1`");
    // Recording again replaces the link.
    l.record(&pid('c'), &pid('a'), "again").unwrap();
    assert_eq!(l.chain(&pid('c')).unwrap().len(), 1);
}

#[test]
fn bad_links_are_refused_and_cycles_end() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open_in(dir.path()).unwrap();
    let l = db.lineage();
    let e = l.record("nope", &pid('a'), "x").unwrap_err();
    assert!(
        e.to_string().contains("is not 64 lowercase hex digits"),
        "{e}"
    );
    assert!(l.record(&pid('a'), &pid('a'), "x").is_err());
    // A damaged table with a cycle still reads back.
    l.record(&pid('a'), &pid('b'), "x").unwrap();
    l.record(&pid('b'), &pid('a'), "y").unwrap();
    assert_eq!(l.chain(&pid('a')).unwrap().len(), 1);
}
