//! Goal templates: parsing, matching rules, typed binding, rendering.

use indexmap::IndexMap;
use llmos::dispatch::{BindError, GoalTemplate, TemplateError, normalize_goal};
use llmos::types::Type;
use proptest::prelude::*;
use serde_json::json;

use crate::support::templates::{binds, t};

const CSV: &str = "summarize {input} into {report}";

#[test]
fn parses_literals_placeholders_and_escaped_braces() {
    let tpl = t("make {{json}} from {src} in {dir}/{src}");
    assert_eq!(tpl.placeholders(), vec!["src", "dir"]);
    let spans: Vec<_> = tpl.placeholder_spans().collect();
    assert_eq!(
        spans,
        vec![("src", 19..24), ("dir", 28..33), ("src", 34..39)]
    );
    assert_eq!(
        tpl.render(&binds(&[("src", "a.txt"), ("dir", "out")])),
        "make {json} from a.txt in out/a.txt"
    );
    assert_eq!(tpl.as_str(), "make {{json}} from {src} in {dir}/{src}");
    assert_eq!(tpl.literal_words(), vec!["from", "in", "json", "make"]);
}

#[test]
fn parse_errors_name_the_problem_and_offset() {
    let cases: &[(&str, TemplateError)] = &[
        ("", TemplateError::Empty),
        ("   ", TemplateError::Empty),
        ("summarize {input", TemplateError::Unclosed { offset: 10 }),
        ("a {b{c}", TemplateError::Unclosed { offset: 2 }),
        ("a } b", TemplateError::UnmatchedClose { offset: 2 }),
        ("a {} b", TemplateError::EmptyPlaceholder { offset: 2 }),
        (
            "a {x.y} b",
            TemplateError::InvalidName {
                name: "x.y".into(),
                offset: 2,
            },
        ),
        (
            "a { x } b",
            TemplateError::InvalidName {
                name: " x ".into(),
                offset: 2,
            },
        ),
        (
            "a {1x} b",
            TemplateError::InvalidName {
                name: "1x".into(),
                offset: 2,
            },
        ),
        (
            "copy {a}{b} now",
            TemplateError::Adjacent {
                first: "a".into(),
                second: "b".into(),
                offset: 8,
            },
        ),
    ];
    for (text, want) in cases {
        assert_eq!(
            GoalTemplate::parse(text).as_ref().err(),
            Some(want),
            "template {text:?}"
        );
        assert_eq!(
            want.offset(),
            GoalTemplate::parse(text).err().map_or(99, |e| e.offset())
        );
    }
    let msg = GoalTemplate::parse("copy {a}{b} now")
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        msg.as_deref(),
        Some(
            "placeholders `{a}` and `{b}` are adjacent at offset 8: with no text between them a goal cannot be split; put a word or punctuation between them"
        )
    );
    // A white-space literal between placeholders is enough; `{{`/`}}` are literal text.
    assert!(GoalTemplate::parse("{a} {b}").is_ok());
    assert!(GoalTemplate::parse("{a}{{}}{b}").is_ok());
}

#[test]
fn matches_the_csv_goal() {
    let got = t(CSV).match_goal("summarize data/sales.csv into reports/sales.md");
    assert_eq!(
        got,
        Some(binds(&[
            ("input", "data/sales.csv"),
            ("report", "reports/sales.md")
        ]))
    );
}

#[test]
fn white_space_and_case_do_not_matter_in_literals() {
    let want = Some(binds(&[("input", "Data/Sales.CSV"), ("report", "r.md")]));
    let tpl = t(CSV);
    assert_eq!(
        tpl.match_goal("  SUMMARIZE   Data/Sales.CSV \t INTO\nr.md  "),
        want
    );
    assert_eq!(tpl.match_goal("Summarize Data/Sales.CSV into r.md"), want);
    // Template white space is collapsed too.
    assert_eq!(
        t("  summarize   {input}  into {report} ").match_goal("summarize Data/Sales.CSV into r.md"),
        want
    );
}

#[test]
fn white_space_is_optional_next_to_punctuation() {
    let tpl = t("report the sizes of {a}, {b} and {c}");
    let want = Some(binds(&[("a", "x.txt"), ("b", "y.txt"), ("c", "z.txt")]));
    assert_eq!(
        tpl.match_goal("report the sizes of x.txt, y.txt and z.txt"),
        want
    );
    assert_eq!(
        tpl.match_goal("report the sizes of x.txt,y.txt and z.txt"),
        want
    );
    assert_eq!(
        tpl.match_goal("report the sizes of x.txt , y.txt and z.txt"),
        want
    );
    // Between two words white space stays required.
    assert_eq!(
        tpl.match_goal("report the sizes of x.txt, y.txtand z.txt"),
        None
    );
}

#[test]
fn quoted_values_are_stripped_and_may_hold_literal_text() {
    let tpl = t(CSV);
    assert_eq!(
        tpl.match_goal(r#"summarize "my data.csv" into 'out file.md'"#),
        Some(binds(&[
            ("input", "my data.csv"),
            ("report", "out file.md")
        ]))
    );
    assert_eq!(
        tpl.match_goal(r#"summarize "a into b.csv" into r.md"#),
        Some(binds(&[("input", "a into b.csv"), ("report", "r.md")]))
    );
    assert_eq!(
        tpl.match_goal("summarize “x y” into `z`"),
        Some(binds(&[("input", "x y"), ("report", "z")]))
    );
    // Mismatched quotes are kept; an empty quoted value binds nothing.
    assert_eq!(
        tpl.match_goal(r#"summarize "a.csv' into r.md"#),
        Some(binds(&[("input", r#""a.csv'"#), ("report", "r.md")]))
    );
    assert_eq!(tpl.match_goal(r#"summarize "" into r.md"#), None);
    assert_eq!(tpl.match_goal(r#"summarize " " into r.md"#), None);
}

#[test]
fn non_matches() {
    let tpl = t(CSV);
    for goal in [
        "summarize data.csv",
        "summarize into r.md",
        "summarize   into r.md",
        "summarize data.csv into",
        "summarize data.csv into   ",
        "please summarize data.csv into r.md",
        "summarizes data.csv into r.md",
        "summarize data.csvinto r.md",
        "",
        "count the words in a.txt",
    ] {
        assert_eq!(tpl.match_goal(goal), None, "goal {goal:?}");
    }
    // A literal tail must end the goal.
    assert_eq!(
        t("greet {name} now").match_goal("greet bob now please"),
        None
    );
}

#[test]
fn earlier_placeholders_take_the_shortest_value() {
    let got = t("copy {a} to {b}").match_goal("copy x to y to z");
    assert_eq!(got, Some(binds(&[("a", "x"), ("b", "y to z")])));
    let got = t("{a} {b}").match_goal("one two three");
    assert_eq!(got, Some(binds(&[("a", "one"), ("b", "two three")])));
    // The shortest split is given up when the rest cannot match.
    let got = t("copy {a} to {b}.").match_goal("copy x to y to z.");
    assert_eq!(got, Some(binds(&[("a", "x"), ("b", "y to z")])));
}

#[test]
fn repeated_placeholders_bind_the_same_text() {
    let tpl = t("diff {file} against {file}.orig");
    assert_eq!(tpl.placeholders(), vec!["file"]);
    assert_eq!(
        tpl.match_goal("diff a.txt against a.txt.orig"),
        Some(binds(&[("file", "a.txt")]))
    );
    assert_eq!(tpl.match_goal("diff a.txt against b.txt.orig"), None);
    // The repeat forces a longer first value than the shortest split.
    let tpl = t("{x} and {x}");
    assert_eq!(
        tpl.match_goal("a and b and a and b"),
        Some(binds(&[("x", "a and b")]))
    );
    assert_eq!(
        tpl.match_goal(r#""a b" and a b"#),
        Some(binds(&[("x", "a b")]))
    );
}

#[test]
fn words_glued_to_placeholders_are_not_whole_words() {
    let tpl = t("greet {name}s friends");
    assert_eq!(tpl.literal_words(), vec!["friends", "greet"]);
    assert_eq!(
        tpl.match_goal("greet bobs friends"),
        Some(binds(&[("name", "bob")]))
    );
}

#[test]
fn pathological_goals_end_quickly() {
    let tpl = t("{a} {b} {c} {d} {e} end");
    let goal = "x ".repeat(2000);
    assert_eq!(tpl.match_goal(&goal), None);
    let tpl = t("{a} {b} {a} {b} end");
    assert_eq!(tpl.match_goal(&goal), None);
}

fn types(pairs: &[(&str, Type)]) -> IndexMap<String, Type> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

#[test]
fn typed_binding_converts_values() {
    let tpl = t("take the first {n} lines of {file}");
    let ty = types(&[("n", Type::Int), ("file", Type::Path)]);
    let got = tpl.bind_typed("take the first 10 lines of \"notes/a b.txt\"", &ty);
    let want: IndexMap<String, serde_json::Value> = [
        ("n".to_string(), json!(10)),
        ("file".to_string(), json!("notes/a b.txt")),
    ]
    .into();
    assert_eq!(got, Ok(want));
}

#[test]
fn typed_binding_refuses_a_value_of_the_wrong_type() {
    let tpl = t("take the first {n} lines of {file}");
    let ty = types(&[("n", Type::Int), ("file", Type::Path)]);
    let err = tpl.bind_typed("take the first ten lines of a.txt", &ty);
    assert_eq!(
        err,
        Err(BindError::Type {
            param: "n".into(),
            text: "ten".into(),
            ty: Type::Int,
            message: "expected an int, found `ten`".into(),
        })
    );
    let msg = err.err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        msg,
        "goal parameter `n` is int, but the goal gives `ten`: expected an int, found `ten`"
    );
}

#[test]
fn typed_binding_looks_for_a_split_that_fits_the_types() {
    let tpl = t("{a} to {n}");
    let ty = types(&[("a", Type::Str), ("n", Type::Int)]);
    let want: IndexMap<String, serde_json::Value> = [
        ("a".to_string(), json!("go to page")),
        ("n".to_string(), json!(5)),
    ]
    .into();
    assert_eq!(tpl.bind_typed("go to page to 5", &ty), Ok(want));
}

#[test]
fn typed_binding_reports_no_match_and_undeclared_params() {
    let tpl = t(CSV);
    let ty = types(&[("input", Type::Path), ("report", Type::Path)]);
    assert_eq!(
        tpl.bind_typed("count the words in a.txt", &ty),
        Err(BindError::NoMatch {
            goal: "count the words in a.txt".into(),
            template: CSV.into()
        })
    );
    let ty = types(&[("input", Type::Path)]);
    assert_eq!(
        tpl.bind_typed("summarize a into b", &ty),
        Err(BindError::Undeclared {
            param: "report".into()
        })
    );
}

#[test]
fn typed_binding_of_bool_float_and_list() {
    let tpl = t("set verbose={v} ratio={r} ids={ids}");
    let ty = types(&[
        ("v", Type::Bool),
        ("r", Type::Float),
        ("ids", Type::List(Box::new(Type::Int))),
    ]);
    let got = tpl.bind_typed("set verbose=true ratio=0.5 ids=[1,2]", &ty);
    let want: IndexMap<String, serde_json::Value> = [
        ("v".to_string(), json!(true)),
        ("r".to_string(), json!(0.5)),
        ("ids".to_string(), json!([1, 2])),
    ]
    .into();
    assert_eq!(got, Ok(want));
    assert!(matches!(
        tpl.bind_typed("set verbose=yes ratio=0.5 ids=[1,2]", &ty),
        Err(BindError::Type { param, .. }) if param == "v"
    ));
}

#[test]
fn normalized_goals_ignore_spacing_and_case() {
    assert_eq!(
        normalize_goal("  Summarize\tdata.CSV   into  r.md \n"),
        "summarize data.csv into r.md"
    );
    assert_eq!(normalize_goal(""), "");
}

// ---- property: render then match gives back the bindings ----

const LITERAL_WORDS: &[&str] = &[
    "summarize",
    "into",
    "copy",
    "to",
    "from",
    "the",
    "and",
    "of",
];
const LITERAL_PUNCT: &[&str] = &[", ", ": ", " (", ") ", " = ", "/", " + "];

fn template_strategy() -> impl Strategy<Value = (String, Vec<String>)> {
    // Up to 4 placeholders, names drawn from a few so that some repeat.
    let piece = (
        prop::sample::select(LITERAL_WORDS),
        prop::sample::select(LITERAL_PUNCT),
        prop::bool::ANY,
    );
    (
        prop::bool::ANY,
        prop::collection::vec(
            (piece, prop::sample::select(&["a", "b", "c", "d"][..])),
            1..5,
        ),
        prop::option::of(prop::sample::select(LITERAL_WORDS)),
    )
        .prop_map(|(lead_word, parts, tail)| {
            let mut text = String::new();
            let mut names = Vec::new();
            for (i, ((word, punct, use_word), name)) in parts.into_iter().enumerate() {
                if i == 0 && !lead_word {
                    // start with the placeholder
                } else if use_word {
                    text.push_str(&format!(" {word} "));
                } else {
                    text.push_str(punct);
                }
                text.push('{');
                text.push_str(name);
                text.push('}');
                names.push(name.to_string());
            }
            if let Some(w) = tail {
                text.push_str(&format!(" {w}"));
            }
            (text, names)
        })
}

fn value_strategy() -> impl Strategy<Value = String> {
    // Values: words of letters, digits and `._-` (not first), joined by single spaces;
    // never a literal word of the template vocabulary (checked in the test), never
    // punctuation that a literal uses, never ending with punctuation that ends a sentence
    // (which is never part of a value).
    prop::collection::vec("[a-zA-Z0-9]([a-zA-Z0-9._-]{0,6}[a-zA-Z0-9_-])?", 1..4)
        .prop_map(|w| w.join(" "))
}

proptest! {
    #[test]
    fn render_then_match_round_trips(
        (text, names) in template_strategy(),
        values in prop::collection::vec(value_strategy(), 4),
    ) {
        let Ok(tpl) = GoalTemplate::parse(&text) else {
            return Err(TestCaseError::fail(format!("generated template {text:?} must parse")));
        };
        let lower_vocab: Vec<String> = LITERAL_WORDS.iter().map(|w| w.to_string()).collect();
        for v in &values {
            let v = v.to_lowercase();
            prop_assume!(v.split(' ').all(|w| !lower_vocab.iter().any(|l| l == w)));
        }
        let mut bindings = IndexMap::new();
        for name in &names {
            let idx = ["a", "b", "c", "d"].iter().position(|n| n == name).unwrap_or(0);
            bindings.entry(name.clone()).or_insert_with(|| values[idx].clone());
        }
        let goal = tpl.render(&bindings);
        prop_assert_eq!(tpl.match_goal(&goal), Some(bindings), "template {:?} goal {:?}", text, goal);
    }
}

#[test]
fn too_many_placeholders_are_refused() {
    let text: String = (0..65).map(|i| format!("{{p{i}}} and ")).collect();
    assert_eq!(
        GoalTemplate::parse(&text).err(),
        Some(TemplateError::TooManyPlaceholders { count: 65 })
    );
    let text: String = (0..64).map(|i| format!("{{p{i}}} and ")).collect();
    let tpl = t(&text);
    let goal: String = (0..64).map(|i| format!("v{i} and ")).collect();
    assert_eq!(tpl.match_goal(&goal).map(|b| b.len()), Some(64));
}

#[test]
fn the_punctuation_that_ends_a_sentence_is_not_part_of_a_value() {
    let tpl = t("count the lines in {input}");
    for goal in [
        "count the lines in notes.txt.",
        "count the lines in notes.txt?",
        "count the lines in notes.txt!?",
    ] {
        assert_eq!(
            tpl.match_goal(goal),
            Some(binds(&[("input", "notes.txt")])),
            "{goal}"
        );
    }
    // `.` and `docs/.` are paths, not the end of a sentence.
    assert_eq!(
        tpl.match_goal("count the lines in ."),
        Some(binds(&[("input", ".")]))
    );
    assert_eq!(
        tpl.match_goal("count the lines in docs/."),
        Some(binds(&[("input", "docs/.")]))
    );
    // The template's own final punctuation is optional too.
    let q = t("how many words are in {input}?");
    for goal in ["how many words are in a.md?", "how many words are in a.md"] {
        assert_eq!(
            q.match_goal(goal),
            Some(binds(&[("input", "a.md")])),
            "{goal}"
        );
    }
}

#[test]
fn two_quoted_values_are_not_one() {
    let tpl = t("find {word} in {input}");
    assert_eq!(
        tpl.match_goal(r#"find "slow" in app.log"#),
        Some(binds(&[("word", "slow"), ("input", "app.log")]))
    );
    // Not stripped as if it were one quoted value: the text stays as written.
    assert_eq!(
        tpl.match_goal(r#"find "slow" or "timeout" in app.log"#),
        Some(binds(&[
            ("word", r#""slow" or "timeout""#),
            ("input", "app.log")
        ]))
    );
}

fn shaped(pairs: &[(&str, Type, &str, bool)]) -> IndexMap<String, llmos::dispatch::ParamSpec> {
    pairs
        .iter()
        .map(|(name, ty, recorded, quoted)| {
            let spec = llmos::dispatch::ParamSpec {
                ty: ty.clone(),
                shape: Some(llmos::dispatch::Shape::from_recorded(recorded, *quoted)),
            };
            (name.to_string(), spec)
        })
        .collect()
}

#[test]
fn shaped_params_refuse_values_that_mean_more() {
    let tpl = t("sort {input} into {output}");
    let specs = shaped(&[
        ("input", Type::Path, "names.txt", false),
        ("output", Type::Path, "sorted.txt", false),
    ]);
    assert_eq!(
        tpl.bind("sort cities.txt into out/cities.txt.", &specs),
        Ok(IndexMap::from([
            ("input".to_owned(), json!("cities.txt")),
            ("output".to_owned(), json!("out/cities.txt")),
        ]))
    );
    let err = tpl
        .bind("sort names.txt into sorted.txt in reverse order", &specs)
        .unwrap_err();
    assert!(
        matches!(&err, BindError::Shape { param, text, .. } if param == "output" && text == "sorted.txt in reverse order"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "goal parameter `output` takes a path (one token), but the goal gives `sorted.txt in reverse order`: `sorted.txt in reverse order` is several words, and the value learned was one"
    );
    // Typed only (a hand-written trace), the same goal binds.
    let types: IndexMap<String, Type> = specs
        .iter()
        .map(|(k, s)| (k.clone(), s.ty.clone()))
        .collect();
    assert!(
        tpl.bind_typed("sort names.txt into sorted.txt in reverse order", &types)
            .is_ok()
    );
}

#[test]
fn quoted_and_numeric_shapes() {
    let tpl = t("find the lines containing {word} in {input}");
    let specs = shaped(&[
        ("word", Type::Str, "timeout", true),
        ("input", Type::Path, "app.log", false),
    ]);
    let ok = tpl.bind(
        r#"find the lines containing "disk full" in app.log"#,
        &specs,
    );
    assert_eq!(ok.unwrap()["word"], json!("disk full"));
    for goal in [
        r#"find the lines containing "slow" or "timeout" in app.log"#,
        r#"find the lines containing the first "timeout" in app.log"#,
        "find the lines containing slow in app.log",
    ] {
        assert!(
            matches!(tpl.bind(goal, &specs), Err(BindError::Shape { .. })),
            "{goal}"
        );
    }
    let tpl = t("count the requests with status {n} in {input}");
    let specs = shaped(&[
        ("n", Type::Int, "404", false),
        ("input", Type::Path, "a.log", false),
    ]);
    assert!(
        tpl.bind("count the requests with status 500 in a.log", &specs)
            .is_ok()
    );
    assert!(matches!(
        tpl.bind("count the requests with status 4xx in a.log", &specs),
        Err(BindError::Shape { param, .. }) if param == "n"
    ));
}

#[test]
fn a_shaped_binding_takes_the_split_that_fits() {
    // The shortest first value would be `a`; the shapes need the token `a-b`.
    let tpl = t("copy {a} to {b}");
    let specs = shaped(&[
        ("a", Type::Str, "x to y", false),
        ("b", Type::Path, "z.txt", false),
    ]);
    assert_eq!(
        tpl.bind("copy a to b to c.txt", &specs).unwrap()["a"],
        json!("a to b")
    );
}

#[test]
fn explain_reports_each_value_and_its_checks() {
    let tpl = t("count the lines in {input}");
    let specs = shaped(&[("input", Type::Path, "notes.txt", false)]);
    let r = tpl.explain("count the lines in a.txt and b.txt", &specs);
    assert!(r.matches);
    assert_eq!(r.values.len(), 1);
    assert_eq!(r.values[0].text, "a.txt and b.txt");
    assert!(r.values[0].shape.is_err());
    assert!(r.values[0].ty.is_ok());
    assert!(r.outcome.is_err());
    let r = tpl.explain("count the lines in a.txt", &specs);
    assert!(r.outcome.is_ok() && r.values[0].shape.is_ok());
    let r = tpl.explain("sum the lines in a.txt", &specs);
    assert!(!r.matches && r.values.is_empty());
}

#[test]
fn an_exact_goal_is_the_same_up_to_spacing_final_punctuation_and_first_letters() {
    use llmos::dispatch::template::same_goal;
    assert!(same_goal(
        "Count the lines in notes.txt",
        "count  the lines in notes.txt?"
    ));
    assert!(same_goal(
        "count the lines in notes.txt.",
        "count the lines in notes.txt"
    ));
    // Inside a word, case may be the value's meaning (a regex, a file name).
    assert!(!same_goal(
        "how many lines contain TimeOut?",
        "how many lines contain timeout?"
    ));
    assert!(!same_goal(
        "count ERROR lines in a.log",
        "count error lines in a.log"
    ));
    assert!(!same_goal(
        "count the lines in notes.txt",
        "count the lines in notes.txt and more"
    ));
}
