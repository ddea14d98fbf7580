use super::*;
use crate::learn::recording::parse_recording;

fn params_of(yaml: &str) -> Vec<(String, String)> {
    let rec = parse_recording(yaml, "t.yaml").unwrap();
    let kept: Vec<(usize, &RecStep)> = rec.steps.iter().enumerate().collect();
    let results = Results::new(&rec.goal, &kept);
    let ev = collect(&rec.goal, &kept, ToolTable::builtins(), &results);
    choose(&rec.goal, ev, &mut Namer::default())
        .into_iter()
        .map(|p| (p.name, p.candidate.text))
        .collect()
}

fn rec(goal: &str, steps: &str) -> String {
    format!("llmos_recording: 1\ngoal: {goal:?}\noutcome: success\nsteps:\n{steps}")
}

#[test]
fn words_inside_configuration_arguments_are_params() {
    let got = params_of(&rec(
        "sum the amount column of data/sales.csv",
        "  - tool: fs.read\n    args: { path: data/sales.csv }\n    result: \"amount\\n1\\n\"\n  - tool: json.get\n    args: { value: {amount: {sum: 1}}, path: amount.sum }\n    result: 1\n",
    ));
    assert_eq!(
        got,
        [
            ("column".to_owned(), "amount".to_owned()),
            ("input".to_owned(), "data/sales.csv".to_owned())
        ]
    );
}

#[test]
fn a_level_in_a_regex_in_another_case_is_a_param() {
    let got = params_of(&rec(
        "count the error lines in app.log",
        "  - tool: fs.read\n    args: { path: app.log }\n    result: \"ERROR x\\nINFO y\\n\"\n  - tool: text.regex_find\n    args: { text: \"ERROR x\\nINFO y\\n\", pattern: \"[^\\\\n]*ERROR[^\\\\n]*\" }\n    result: [ERROR x]\n",
    ));
    assert_eq!(
        got,
        [
            ("word".to_owned(), "error".to_owned()),
            ("input".to_owned(), "app.log".to_owned())
        ]
    );
}

#[test]
fn words_in_passed_on_data_are_no_evidence() {
    // `milk` is in the goal and in the file's text handed to text.split, but no
    // configuration argument holds it.
    let got = params_of(&rec(
        "count milk words in notes.txt",
        "  - tool: fs.read\n    args: { path: notes.txt }\n    result: \"buy milk\\n\"\n  - tool: text.split\n    args: { text: \"buy milk\\n\", sep: \"\" }\n    result: [buy, milk]\n",
    ));
    assert_eq!(got, [("input".to_owned(), "notes.txt".to_owned())]);
}

#[test]
fn adjacent_words_together_in_an_argument_are_one_phrase() {
    let got = params_of(&rec(
        "replace hello world with goodbye in a.txt",
        "  - tool: fs.read\n    args: { path: a.txt }\n    result: \"hello world!\"\n  - tool: text.replace\n    args: { text: \"hello world!\", from: hello world, to: goodbye }\n    result: \"goodbye!\"\n",
    ));
    assert_eq!(
        got,
        [
            ("from".to_owned(), "hello world".to_owned()),
            ("to".to_owned(), "goodbye".to_owned()),
            ("input".to_owned(), "a.txt".to_owned())
        ]
    );
}

#[test]
fn a_word_inside_a_path_param_is_not_a_second_param() {
    let got = params_of(&rec(
        "show the notes file notes.txt",
        "  - tool: fs.read\n    args: { path: notes.txt }\n    result: \"x\"\n",
    ));
    assert_eq!(got, [("input".to_owned(), "notes.txt".to_owned())]);
}
