//! The `--mode auto` order: exact goal, typed template match, near match, Learner.

use indexmap::IndexMap;
use llmos::dispatch::{
    BindError, DEFAULT_MIXED_THRESHOLD, Decision, GoalTemplate, ParamSpec, SemanticIndex,
    TemplateIndex, Via, choose_in, normalize_goal,
};
use llmos::types::Type;
use serde_json::json;

struct Library {
    exact: IndexMap<String, u64>,
    templates: TemplateIndex,
    types: IndexMap<u64, IndexMap<String, Type>>,
    similar: SemanticIndex,
}

/// A stored trace: id, goal, param types.
type Trace = (u64, &'static str, &'static [(&'static str, Type)]);

fn library() -> Library {
    let traces: [Trace; 9] = [
        (
            1,
            "summarize {input} into {report}",
            &[("input", Type::Path), ("report", Type::Path)],
        ),
        (
            2,
            "take the first {n} lines of {file}",
            &[("n", Type::Int), ("file", Type::Path)],
        ),
        (3, "count the words in notes/todo.txt", &[]),
        (4, "greet {name}", &[("name", Type::Str)]),
        (
            5,
            "create a python calculator in {file}",
            &[("file", Type::Path)],
        ),
        (
            6,
            "report the sizes of {a}, {b} and {c}",
            &[("a", Type::Path), ("b", Type::Path), ("c", Type::Path)],
        ),
        (
            7,
            "fetch the weather forecast for {city}",
            &[("city", Type::Str)],
        ),
        (8, "convert {input} to yaml", &[("input", Type::Path)]),
        (9, "count the words in {file}", &[("file", Type::Path)]),
    ];
    let mut lib = Library {
        exact: IndexMap::new(),
        templates: TemplateIndex::new(),
        types: IndexMap::new(),
        similar: SemanticIndex::new(),
    };
    for (id, goal, types) in traces {
        lib.exact.insert(normalize_goal(goal), id);
        if let Ok(t) = GoalTemplate::parse(goal) {
            lib.templates.insert(id, t);
        }
        lib.types.insert(
            id,
            types
                .iter()
                .map(|(k, t)| (k.to_string(), t.clone()))
                .collect(),
        );
        lib.similar.add(id, goal);
    }
    lib
}

fn run(lib: &Library, goal: &str) -> llmos::dispatch::Choice {
    let exact = lib.exact.get(&normalize_goal(goal)).copied();
    choose_in(
        goal,
        exact,
        &lib.templates,
        &|id| {
            let types = lib.types.get(&id)?;
            Some(
                types
                    .iter()
                    .map(|(k, t)| (k.clone(), ParamSpec::typed(t.clone())))
                    .collect(),
            )
        },
        &mut || &lib.similar,
    )
}

#[test]
fn an_exact_goal_is_followed_with_the_program_defaults() {
    let lib = library();
    let c = run(&lib, "Count the words in   notes/todo.txt");
    assert_eq!(
        c.decision,
        Decision::Follower {
            id: 3,
            params: IndexMap::new(),
            via: Via::ExactGoal
        }
    );
}

#[test]
fn a_template_match_binds_typed_params() {
    let lib = library();
    let c = run(&lib, "take the first 10 lines of a.txt");
    let params: IndexMap<String, serde_json::Value> = [
        ("n".to_string(), json!(10)),
        ("file".to_string(), json!("a.txt")),
    ]
    .into();
    assert_eq!(
        c.decision,
        Decision::Follower {
            id: 2,
            params,
            via: Via::Template
        }
    );
    assert!(c.refused.is_empty());
}

#[test]
fn a_template_match_of_the_wrong_type_falls_to_mixed() {
    let lib = library();
    let c = run(&lib, "take the first ten lines of a.txt");
    assert!(
        matches!(c.decision, Decision::Mixed { id: 2, score } if score >= DEFAULT_MIXED_THRESHOLD),
        "{c:?}"
    );
    assert_eq!(c.refused.len(), 1);
    assert!(matches!(
        &c.refused[0],
        (2, BindError::Type { param, text, ty: Type::Int, .. }) if param == "n" && text == "ten"
    ));
}

#[test]
fn a_paraphrase_is_mixed_and_an_unrelated_goal_is_learner() {
    let lib = library();
    // A word before the template's first literal: not a template match, but near.
    let c = run(
        &lib,
        "please summarize data/sales.csv into reports/sales.md",
    );
    assert!(matches!(c.decision, Decision::Mixed { id: 1, .. }), "{c:?}");
    let c = run(&lib, "show the first 5 lines of log.txt");
    assert!(matches!(c.decision, Decision::Mixed { id: 2, .. }), "{c:?}");
    let c = run(&lib, "book a flight to tokyo");
    assert!(
        matches!(c.decision, Decision::Learner { nearest } if nearest.is_none_or(|n| n.1 < 0.3)),
        "{c:?}"
    );
}

#[test]
fn a_goal_that_means_more_than_a_learned_template_is_no_near_match() {
    let mut templates = TemplateIndex::new();
    templates.insert(
        1,
        GoalTemplate::parse("sort {input} into {output}").unwrap(),
    );
    let mut similar = SemanticIndex::new();
    similar.add(1, "sort {input} into {output}");
    let path = |v: &str| ParamSpec {
        ty: Type::Path,
        shape: Some(llmos::dispatch::Shape::from_recorded(v, false)),
    };
    let specs = |_: u64| {
        Some(IndexMap::from([
            ("input".to_owned(), path("names.txt")),
            ("output".to_owned(), path("sorted.txt")),
        ]))
    };
    let c = choose_in(
        "sort names.txt into sorted.txt in reverse order",
        None,
        &templates,
        &specs,
        &mut || &similar,
    );
    assert!(
        matches!(&c.refused[..], [(1, BindError::Shape { .. })]),
        "{c:?}"
    );
    assert!(
        matches!(c.decision, Decision::Learner { nearest: None }),
        "not Mixed: an LLM would bind it to the program anyway: {c:?}"
    );
}
