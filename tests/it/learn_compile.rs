//! The recording compiler: the spec's recordings compile to the programs a person would
//! write; failures, unknown tools and unverifiable generalizations are handled.

use llmos::learn::compile::compile;
use llmos::learn::recording::parse_recording;

fn compile_file(name: &str) -> llmos::learn::compile::Compiled {
    let path = format!(
        "{}/tests/spec_examples/recordings/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    compile(&parse_recording(&text, name).unwrap()).unwrap()
}

fn compile_text(yaml: &str) -> Result<llmos::learn::compile::Compiled, String> {
    compile(&parse_recording(yaml, "test.yaml").map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())
}

#[test]
fn sales_summary_generalizes_paths_and_makes_the_summary_a_slot() {
    let c = compile_file("sales_summary.yaml");
    assert!(c.generalized);
    assert_eq!(
        c.program.goal.as_deref(),
        Some("summarize {input} into {output}")
    );
    assert_eq!(
        c.program.slots.len(),
        1,
        "the summary was written after reading the data: a slot"
    );
    assert_eq!(c.slot_answers.len(), 1);
    let a = &c.slot_answers[0];
    assert!(
        a.prompt
            .contains("summarize data/sales.csv into reports/sales.md"),
        "{}",
        a.prompt
    );
    assert!(
        a.prompt.contains("\"sum\":485"),
        "the prompt carries the data it depends on: {}",
        a.prompt
    );
    assert!(
        a.answer
            .as_str()
            .unwrap()
            .starts_with("# Summary of data/sales.csv")
    );
    assert!(
        !c.source.contains("sales.cvs"),
        "the failed call is dropped"
    );
    insta::assert_snapshot!("sales_summary", c.source);
}

#[test]
fn word_count_needs_no_llm_at_all() {
    let c = compile_file("word_count.yaml");
    assert!(c.generalized);
    assert!(c.program.slots.is_empty());
    assert_eq!(
        c.bindings,
        vec![("input".to_owned(), serde_json::json!("notes/todo.txt"))]
    );
    insta::assert_snapshot!("word_count", c.source);
}

#[test]
fn failed_recordings_are_refused() {
    let err = compile_text(
        "llmos_recording: 1\ngoal: g\noutcome: failure\nerror: gave up\nsteps:\n  - tool: fs.read\n    args: { path: a.txt }\n    error: nope\n",
    )
    .unwrap_err();
    assert!(
        err.contains("outcome is `failure`") && err.contains("gave up"),
        "{err}"
    );
}

#[test]
fn unknown_tools_and_arguments_are_named() {
    let err = compile_text("llmos_recording: 1\ngoal: g\noutcome: success\nsteps:\n  - tool: fs.reed\n    args: { path: a.txt }\n    result: x\n").unwrap_err();
    assert!(err.contains("step 1: unknown tool `fs.reed`"), "{err}");
    let err = compile_text("llmos_recording: 1\ngoal: g\noutcome: success\nsteps:\n  - tool: fs.read\n    args: { file: a.txt }\n    result: x\n").unwrap_err();
    assert!(err.contains("has no parameter `file`"), "{err}");
    let err = compile_text("llmos_recording: 1\ngoal: g\noutcome: success\nsteps:\n  - tool: llm.final\n    args: { text: hi }\n").unwrap_err();
    assert!(err.contains("no successful tool call"), "{err}");
}

#[test]
fn values_not_in_the_goal_stay_constants() {
    let c = compile_text(
        "llmos_recording: 1\ngoal: \"count the lines of my memo\"\noutcome: success\nsteps:\n  - tool: fs.read\n    args: { path: notes.txt }\n    result: \"a\\nb\\n\"\n  - tool: text.lines\n    args: { text: \"a\\nb\\n\" }\n    result: [a, b]\n",
    )
    .unwrap();
    assert!(c.program.params.is_empty());
    assert!(
        c.source.contains("fs.read(path: \"notes.txt\")"),
        "{}",
        c.source
    );
    assert!(c.source.contains("text.lines(text: text)"), "{}", c.source);
}

#[test]
fn numbers_compare_by_value_in_the_replay() {
    // The text has 12 characters and the LLM passed 12.0 on: the same value.
    let c = compile_text(
        "llmos_recording: 1\ngoal: \"measure data/x.txt\"\noutcome: success\nsteps:\n  - tool: fs.read\n    args: { path: data/x.txt }\n    result: \"twelve chars\"\n  - tool: text.len\n    args: { text: \"twelve chars\" }\n    result: 12\n  - tool: json.stringify\n    args: { value: 12.0 }\n    result: \"12\"\n",
    )
    .unwrap();
    assert!(c.generalized, "{}", c.source);
    assert!(
        c.source.contains("json.stringify(value: len)"),
        "{}",
        c.source
    );
}

#[test]
fn a_read_whose_result_nothing_uses_keeps_the_literal_program() {
    // The LLM retyped the file's text with a change: the program would read the new file
    // and ignore it, so it serves the recorded goal only, and says why.
    let c = compile_text(
        "llmos_recording: 1\ngoal: \"count the lines of notes.txt\"\noutcome: success\nsteps:\n  - tool: fs.read\n    args: { path: notes.txt }\n    result: \"a\\nb\\n\"\n  - tool: text.lines\n    args: { text: \"a\\nB\\n\" }\n    result: [a, B]\n  - tool: list.len\n    args: { items: [a, B] }\n    result: 2\n  - tool: llm.final\n    args: { text: \"2 lines\" }\n",
    )
    .unwrap();
    assert!(!c.generalized, "{}", c.source);
    assert!(c.program.params.is_empty());
    assert_eq!(c.notes.len(), 1);
    assert!(
        c.notes[0].contains(
            "step 1 (`fs.read`) depends on the goal's values but nothing uses its result"
        ),
        "{:?}",
        c.notes
    );
}
