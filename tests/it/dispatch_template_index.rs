//! The template index: candidate pruning, match order, scale.

use llmos::dispatch::TemplateIndex;

use crate::support::templates::{binds, t};

fn library() -> TemplateIndex {
    let mut idx = TemplateIndex::new();
    idx.insert(10, t("summarize {x}"));
    idx.insert(11, t("summarize {input} into {report}"));
    idx.insert(12, t("count the words in {file}"));
    idx.insert(13, t("{task}"));
    idx.insert(14, t("greet {name}s friends"));
    idx.insert(15, t("summarize {input} into {report}"));
    idx
}

#[test]
fn most_specific_match_first_then_by_id() {
    let idx = library();
    let got = idx.find_matches("Summarize data/sales.csv into reports/sales.md");
    let csv = binds(&[("input", "data/sales.csv"), ("report", "reports/sales.md")]);
    assert_eq!(
        got,
        vec![
            (11, csv.clone()),
            (15, csv),
            (10, binds(&[("x", "data/sales.csv into reports/sales.md")])),
            (
                13,
                binds(&[("task", "Summarize data/sales.csv into reports/sales.md")])
            ),
        ]
    );
}

#[test]
fn candidates_need_every_literal_word() {
    let idx = library();
    assert_eq!(idx.candidates("count the words in notes.txt"), vec![12, 13]);
    // `the` is missing: template 12 is not even tried.
    assert_eq!(idx.candidates("count words in notes.txt"), vec![13]);
    assert_eq!(
        idx.find_matches("count words in notes.txt"),
        vec![(13, binds(&[("task", "count words in notes.txt")]))]
    );
    // A word glued to a placeholder is not required as a word.
    assert_eq!(idx.candidates("greet bobs friends"), vec![13, 14]);
    assert_eq!(
        idx.find_matches("greet bobs friends").first().map(|m| m.0),
        Some(14)
    );
}

#[test]
fn insert_replaces_and_remove_forgets() {
    let mut idx = library();
    assert_eq!(idx.len(), 6);
    idx.insert(12, t("count the lines in {file}"));
    assert_eq!(idx.len(), 6);
    assert_eq!(
        idx.get(12).map(|t| t.as_str()),
        Some("count the lines in {file}")
    );
    assert_eq!(idx.candidates("count the words in a.txt"), vec![13]);
    assert_eq!(idx.candidates("count the lines in a.txt"), vec![12, 13]);
    assert_eq!(
        idx.remove(13).map(|t| t.to_string()),
        Some("{task}".to_string())
    );
    assert_eq!(idx.remove(13), None);
    assert_eq!(idx.find_matches("play music"), vec![]);
    for id in [10, 11, 12, 14, 15] {
        assert!(idx.remove(id).is_some());
    }
    assert!(idx.is_empty());
    assert_eq!(idx.candidates("summarize a into b"), Vec::<u64>::new());
}

#[test]
fn order_does_not_depend_on_insertion_order() {
    let texts = [
        "summarize {x}",
        "summarize {input} into {report}",
        "summarize {a} into {b}",
        "{task}",
        "summarize the {thing}",
    ];
    let goal = "summarize the data into a report";
    let mut forward = TemplateIndex::new();
    let mut backward = TemplateIndex::new();
    for (i, text) in texts.iter().enumerate() {
        forward.insert(i as u64, t(text));
    }
    for (i, text) in texts.iter().enumerate().rev() {
        backward.insert(i as u64, t(text));
    }
    let f = forward.find_matches(goal);
    assert_eq!(
        f.iter().map(|m| m.0).collect::<Vec<_>>(),
        vec![1, 2, 4, 0, 3]
    );
    assert_eq!(f, backward.find_matches(goal));
}

#[test]
fn a_hundred_thousand_templates() {
    let verbs = [
        "summarize",
        "convert",
        "count",
        "translate",
        "compress",
        "index",
        "plot",
    ];
    let mut idx = TemplateIndex::new();
    for i in 0..100_000u64 {
        let verb = verbs[(i % 7) as usize];
        idx.insert(
            i,
            t(&format!("{verb} {{input}} into {{report}} for project{i}")),
        );
    }
    // 50 templates of the same shape: all match, most specific first, then by id.
    for i in 100_000..100_050u64 {
        idx.insert(i, t("plot {input} into {report}"));
    }
    assert_eq!(idx.len(), 100_050);
    let start = std::time::Instant::now();
    let got = idx.find_matches("convert a.csv into b.md for project70001");
    let cands = idx.candidates("convert a.csv into b.md for project70001");
    let shared = idx.find_matches("plot a.csv into b.md");
    eprintln!(
        "template matching over 100k templates (debug build): {:?}",
        start.elapsed()
    );
    assert_eq!(
        got,
        vec![(70_001, binds(&[("input", "a.csv"), ("report", "b.md")]))]
    );
    assert_eq!(cands, vec![70_001]);
    assert_eq!(shared.len(), 50);
    assert_eq!(shared.first().map(|m| m.0), Some(100_000));
    assert!(shared.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(
        idx.find_matches("convert a.csv into b.md for project123456"),
        vec![]
    );
}
