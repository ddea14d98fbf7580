use super::*;
use serde_json::json;

use super::template as t;

fn apply(tool: &'static str, input: &'static str, base: Src) -> Src {
    Src::Apply(Box::new(Apply {
        tool,
        input,
        base,
        extra: vec![],
    }))
}

/// The forms of `results` (the goal does not ask for the last of something).
fn forms_of(results: &[Value]) -> Vec<ResultForms> {
    results.iter().map(|r| ResultForms::of(r, false)).collect()
}

/// Makes `results` known as the results of steps 0, 1, ...
fn add_results<'r>(f: &mut Flow<'r>, results: &'r [Value], forms: &'r [ResultForms]) {
    for (i, (r, forms)) in results.iter().zip(forms).enumerate() {
        f.add_result(i, r, forms);
    }
}

#[test]
fn exact_field_and_embedded_values() {
    let results = [
        json!("buy milk\nfix the bike\n"),
        json!(["buy", "milk", "fix", "the", "bike"]),
        json!(5),
    ];
    let forms = forms_of(&results);
    let mut f = Flow::new("count the words in notes/todo.txt");
    f.add_param(0, json!("notes/todo.txt"));
    add_results(&mut f, &results, &forms);
    assert_eq!(f.derive(&json!("notes/todo.txt")), Src::Param(0));
    assert_eq!(f.derive(&json!("buy milk\nfix the bike\n")), Src::Step(0));
    assert_eq!(
        f.derive(&json!("There are 5 words.")),
        t(&[Ok("There are "), Err(Src::Step(2)), Ok(" words.")])
    );
    assert_eq!(
        f.derive(&json!("2025 was 15 years")),
        Src::Const(json!("2025 was 15 years"))
    );
    assert_eq!(f.derive(&json!("")), Src::Const(json!("")));
    assert_eq!(
        f.derive(&json!(["wc", "notes/todo.txt"])),
        Src::List(vec![Src::Const(json!("wc")), Src::Param(0)])
    );
}

#[test]
fn normalized_forms_link_through_an_inserted_step() {
    let results = [
        json!("alpha beta\n"),
        json!("{\"b\": 1, \"a\": [2, 3]}\n"),
        json!(97.3333),
        json!({"k": "v", "n": 12}),
    ];
    let forms = forms_of(&results);
    let mut f = Flow::new("g");
    add_results(&mut f, &results, &forms);
    // The file's text without its trailing newline.
    assert_eq!(
        f.derive(&json!("alpha beta")),
        apply("text.trim_end", "text", Src::Step(0))
    );
    // The parse of a JSON text, passed as an object.
    assert_eq!(
        f.derive(&json!({"a": [2, 3], "b": 1})),
        apply("json.parse", "text", Src::Step(1))
    );
    // The same JSON text written differently is the same value.
    assert_eq!(f.derive(&json!("{\"a\":[2,3],\"b\":1}")), Src::Step(1));
    // An object serialized.
    assert_eq!(
        f.derive(&json!("{\"k\":\"v\",\"n\":12}")),
        apply("json.stringify", "value", Src::Step(3))
    );
    // A float with two decimals inside text.
    let two = Src::Apply(Box::new(Apply {
        tool: "text.format_number",
        input: "value",
        base: Src::Step(2),
        extra: vec![("decimals", json!(2))],
    }));
    assert_eq!(
        f.derive(&json!("mean: 97.33")),
        t(&[Ok("mean: "), Err(two)])
    );
    // Numbers by value.
    assert_eq!(
        f.derive(&json!(12.0)),
        Src::Access(Box::new(Src::Step(3)), vec![Access::Key("n".into())])
    );
}

#[test]
fn params_in_regex_and_case_forms() {
    let mut f = Flow::new("count error lines mentioning site.org in app.log");
    f.add_param(0, json!("error"));
    f.add_param(1, json!("site.org"));
    assert_eq!(
        f.derive(&json!("[^\\n]*ERROR[^\\n]*")),
        t(&[
            Ok("[^\\n]*"),
            Err(apply("text.upper", "text", Src::Param(0))),
            Ok("[^\\n]*")
        ])
    );
    assert_eq!(
        f.derive(&json!("\\berror\\b")),
        t(&[Ok("\\b"), Err(Src::Param(0)), Ok("\\b")])
    );
    assert_eq!(
        f.derive(&json!("https?://site\\.org/\\S+")),
        t(&[
            Ok("https?://"),
            Err(apply("text.regex_escape", "text", Src::Param(1))),
            Ok("/\\S+")
        ])
    );
}

#[test]
fn goal_words_and_function_words_in_data_are_not_linked_inside_text() {
    let result = [json!(["the", "words", "north"])];
    let forms = forms_of(&result);
    let mut f = Flow::new("count the words in a.txt");
    add_results(&mut f, &result, &forms);
    assert_eq!(
        f.derive(&json!("the words are here")),
        Src::Const(json!("the words are here"))
    );
    assert_eq!(
        f.derive(&json!("top: north")),
        t(&[
            Ok("top: "),
            Err(Src::Access(Box::new(Src::Step(0)), vec![Access::Index(2)]))
        ])
    );
}

#[test]
fn matches_do_not_cut_words_or_numbers() {
    assert!(bounded("a ERROR b", 2, 7));
    assert!(!bounded("ERRORS", 0, 5));
    assert!(bounded("\\bERROR\\b", 2, 7));
    assert!(!bounded("3.14", 2, 4));
    assert!(!bounded("3.14", 0, 1));
    assert!(bounded("v 3.", 2, 3));
    assert!(
        bounded("2,4p", 2, 3),
        "a number may touch a letter after it"
    );
    assert!(bounded("-n5", 2, 3), "or a flag's letter before it");
    assert!(!bounded("utf8", 3, 4));
    assert!(!bounded("x45", 1, 2));
}
