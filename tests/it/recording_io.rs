//! Recording YAML I/O: the spec examples, scalar typing, every validation error (by file,
//! line and what), bounds against hostile YAML, and the `parse(to_yaml(r)) == r` round trip.

use indexmap::IndexMap;
use llmos::learn::recording::{
    FINAL_TOOL, IMPORTED_KEY, Outcome, RecStep, Recording, Usage, as_step_ref, parse_recording,
    parse_yaml_documents, step_ref, to_yaml,
};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Where the shared spec may sit relative to a worktree or the main checkout.
const SPEC_DIRS: &[&str] = &["../../shared/spec", "../shared/spec"];

fn example(name: &str) -> Option<String> {
    SPEC_DIRS.iter().find_map(|dir| {
        let path = format!(
            "{}/{dir}/examples/recordings/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(path).ok()
    })
}

// The spec examples, copied so the tests do not depend on where the shared folder is.
const SALES: &str = include_str!("../fixtures/recordings/sales_summary.yaml");
const WORDS: &str = include_str!("../fixtures/recordings/word_count.yaml");

fn err(text: &str) -> String {
    match parse_recording(text, "bad.yaml") {
        Ok(r) => panic!("expected an error, parsed {r:?}"),
        Err(e) => e.to_string(),
    }
}

fn minimal(extra_step: &str) -> String {
    format!("llmos_recording: 1\ngoal: g\noutcome: success\nsteps:\n{extra_step}")
}

#[test]
fn fixtures_are_the_spec_examples() {
    // When the shared spec folder is next to the worktree, the copies must match it.
    for (name, copy) in [("sales_summary.yaml", SALES), ("word_count.yaml", WORDS)] {
        if let Some(orig) = example(name) {
            assert_eq!(orig, copy, "{name} differs from the spec example");
        }
    }
}

#[test]
fn sales_example_parses_with_typed_values() {
    let r = parse_recording(SALES, "sales_summary.yaml").unwrap();
    assert_eq!(r.llmos_recording, 1);
    assert_eq!(r.goal, "summarize data/sales.csv into reports/sales.md");
    assert_eq!(r.model, "anthropic:claude-sonnet-4-5");
    assert_eq!(r.started_at.as_deref(), Some("2026-11-25T09:00:00Z"));
    assert_eq!(
        r.usage,
        Usage {
            input_tokens: 6120,
            output_tokens: 912,
            llm_calls: 5,
            cost_micros: 32_000
        }
    );
    assert_eq!(r.outcome, Outcome::Success);
    assert_eq!(r.steps.len(), 6);
    assert_eq!(r.steps[0].tool, "fs.read");
    assert_eq!(r.steps[0].args["path"], json!("data/sales.csv"));
    assert!(
        r.steps[0]
            .result
            .as_ref()
            .unwrap()
            .as_str()
            .unwrap()
            .starts_with("region,quarter")
    );
    // The failed call keeps its error and has no result.
    assert_eq!(
        r.steps[1].error.as_deref(),
        Some("no such file: data/sales.cvs")
    );
    assert_eq!(r.steps[1].result, None);
    let rows = r.steps[2].result.as_ref().unwrap();
    assert_eq!(
        rows[0],
        json!({"region": "north", "quarter": "Q1", "amount": 120})
    );
    assert!(rows[0]["amount"].is_i64(), "120 is an integer");
    assert!(rows[0]["quarter"].is_string(), "Q1 is a string");
    let desc = r.steps[3].result.as_ref().unwrap();
    assert!(desc["amount"]["mean"].is_f64(), "97.0 is a float");
    assert_eq!(desc["amount"]["mean"].as_f64(), Some(97.0));
    assert_eq!(desc["amount"]["sum"], json!(485));
    assert_eq!(r.steps[4].result, Some(json!("reports/sales.md")));
    // Arguments keep the order the LLM wrote them in.
    assert_eq!(
        r.steps[4].args.keys().collect::<Vec<_>>(),
        ["path", "content"]
    );
    assert_eq!(r.steps[5].tool, FINAL_TOOL);
    assert_eq!(r.steps[5].result, None);
    assert_eq!(
        r.steps[5].args["text"],
        json!("I wrote the summary to reports/sales.md.")
    );
    assert!(r.extra.is_empty());
}

#[test]
fn word_count_example_parses() {
    let r = parse_recording(WORDS, "word_count.yaml").unwrap();
    assert_eq!(r.goal, "count the words in notes/todo.txt");
    assert_eq!(r.usage.cost_micros, 9_900);
    assert_eq!(r.steps[1].args["sep"], json!(""));
    assert_eq!(
        r.steps[1].result,
        Some(json!(["buy", "milk", "fix", "the", "bike"]))
    );
    assert_eq!(r.steps[2].result, Some(json!(5)));
    assert_eq!(r.steps[0].result, Some(json!("buy milk\nfix the bike\n")));
}

#[test]
fn scalars_get_json_types() {
    let text = minimal(
        "  - tool: t.x\n    args:\n      path: data/sales.csv\n      n: 120\n      f: 97.0\n      \
         q: Q1\n      b: true\n      s: \"10\"\n      no: no\n      yes: yes\n      on: on\n      \
         off: off\n      zip: 0755\n      big: 1_000\n      when: 2026-11-25T09:00:00Z\n      \
         nothing: ~\n      neg: -3\n      hex: 0x1F\n    result: null\n",
    );
    let r = parse_recording(&text, "t.yaml").unwrap();
    let a = &r.steps[0].args;
    assert_eq!(a["path"], json!("data/sales.csv"));
    assert!(a["n"].is_u64() && a["n"] == json!(120));
    assert!(a["f"].is_f64() && a["f"].as_f64() == Some(97.0));
    assert_eq!(a["q"], json!("Q1"));
    assert_eq!(a["b"], json!(true));
    assert_eq!(a["s"], json!("10"));
    // YAML 1.1 spellings stay strings (strict booleans), keys too.
    assert_eq!(a["no"], json!("no"));
    assert_eq!(a["yes"], json!("yes"));
    assert_eq!(a["on"], json!("on"));
    assert_eq!(a["off"], json!("off"));
    assert_eq!(a["zip"], json!("0755"));
    assert_eq!(a["big"], json!("1_000"));
    assert_eq!(a["when"], json!("2026-11-25T09:00:00Z"));
    assert_eq!(a["nothing"], Value::Null);
    assert_eq!(a["neg"], json!(-3));
    assert_eq!(a["hex"], json!(31));
    // `result: null` is a recorded null, not a missing result.
    assert_eq!(r.steps[0].result, Some(Value::Null));
}

#[test]
fn null_result_round_trips_through_json_too() {
    let step: RecStep = serde_json::from_str(r#"{"tool":"t.x","result":null}"#).unwrap();
    assert_eq!(step.result, Some(Value::Null));
    let step: RecStep = serde_json::from_str(r#"{"tool":"t.x","error":"boom"}"#).unwrap();
    assert_eq!(step.result, None);
}

#[test]
fn unknown_top_level_keys_are_kept() {
    let text = format!(
        "{}  - tool: llm.final\n    args: {{ text: done }}\nagent: {{ name: x, tries: 3 }}\nnote: hi\n",
        minimal("")
    );
    let r = parse_recording(&text, "t.yaml").unwrap();
    assert_eq!(r.extra["agent"], json!({"name": "x", "tries": 3}));
    assert_eq!(r.extra["note"], json!("hi"));
    assert_eq!(parse_recording(&to_yaml(&r).unwrap(), "again").unwrap(), r);
}

#[test]
fn failure_outcome_parses() {
    let text = "llmos_recording: 1\ngoal: g\noutcome: failure\nerror: gave up\nsteps:\n  - tool: fs.read\n    args: { path: x }\n    error: no such file\n";
    let r = parse_recording(text, "t.yaml").unwrap();
    assert_eq!(r.outcome, Outcome::Failure);
    assert_eq!(r.error.as_deref(), Some("gave up"));
}

#[test]
fn unsupported_version() {
    let e = err("llmos_recording: 2\ngoal: g\noutcome: success\nsteps: []\n");
    assert_eq!(
        e,
        "bad.yaml:1:18: unsupported `llmos_recording: 2`; this build reads version 1"
    );
    let e = err("llmos_recording: one\ngoal: g\noutcome: success\nsteps: []\n");
    assert!(
        e.starts_with(
            "bad.yaml:1:18: `llmos_recording` must be a non-negative integer, found a string"
        ),
        "{e}"
    );
}

#[test]
fn missing_fields() {
    let e = err("goal: g\noutcome: success\nsteps:\n  - tool: llm.final\n");
    assert!(
        e.starts_with("bad.yaml:1:1: missing `llmos_recording`"),
        "{e}"
    );
    let e = err("llmos_recording: 1\noutcome: success\nsteps:\n  - tool: llm.final\n");
    assert_eq!(e, "bad.yaml:1:1: missing `goal`");
    let e = err("llmos_recording: 1\ngoal: g\nsteps:\n  - tool: llm.final\n");
    assert_eq!(
        e,
        "bad.yaml:1:1: missing `outcome` (`success` or `failure`)"
    );
    let e = err("llmos_recording: 1\ngoal: g\noutcome: success\n");
    assert_eq!(e, "bad.yaml:1:1: missing `steps`");
    let e = err("llmos_recording: 1\ngoal: g\noutcome: success\nsteps: []\n");
    assert_eq!(e, "bad.yaml:4:8: `steps` is empty");
    let e = err("llmos_recording: 1\ngoal: \"  \"\noutcome: success\nsteps: []\n");
    assert_eq!(e, "bad.yaml:2:7: `goal` is empty");
    let e = err(&minimal("  - args: { path: x }\n    result: 1\n"));
    assert_eq!(e, "bad.yaml:5:5: step 1: missing `tool`");
}

#[test]
fn wrong_types_and_values() {
    let e = err("llmos_recording: 1\ngoal: [a]\noutcome: success\nsteps: []\n");
    assert_eq!(e, "bad.yaml:2:7: `goal` must be a string, found a list");
    let e = err("llmos_recording: 1\ngoal: g\noutcome: maybe\nsteps: []\n");
    assert_eq!(
        e,
        "bad.yaml:3:10: `outcome` must be `success` or `failure`, found `maybe`"
    );
    let e =
        err("llmos_recording: 1\ngoal: g\nstarted_at: yesterday\noutcome: success\nsteps: []\n");
    assert!(
        e.starts_with("bad.yaml:3:13: `started_at: yesterday` is not an RFC 3339 timestamp"),
        "{e}"
    );
    let e = err(
        "llmos_recording: 1\ngoal: g\nusage: { input_tokens: -5 }\noutcome: success\nsteps: []\n",
    );
    assert_eq!(
        e,
        "bad.yaml:3:8: `usage.input_tokens` must be a non-negative integer, found an integer"
    );
    let e = err("llmos_recording: 1\ngoal: g\nusage: { tokens: 5 }\noutcome: success\nsteps: []\n");
    assert!(
        e.starts_with("bad.yaml:3:8: unknown key `usage.tokens`"),
        "{e}"
    );
    let e = err("llmos_recording: 1\ngoal: g\noutcome: success\nerror: hm\nsteps: []\n");
    assert_eq!(e, "bad.yaml:1:1: `error` is set but `outcome` is `success`");
    let e = err(&minimal(
        "  - tool: fs.read\n    args: [x]\n    result: 1\n",
    ));
    assert_eq!(
        e,
        "bad.yaml:6:11: step 1: `args` must be a mapping, found a list"
    );
    let e = err(&minimal(
        "  - tool: fs.read\n    result: 1\n    retries: 2\n",
    ));
    assert_eq!(
        e,
        "bad.yaml:7:14: step 1: unknown key `retries` (known: tool, args, result, error)"
    );
    let e = err(&minimal("  - tool: fs.read\n    error: 3\n"));
    assert_eq!(
        e,
        "bad.yaml:6:12: `step 1: error` must be a string, found an integer"
    );
    let e = err(&minimal("  - 3\n"));
    assert!(e.starts_with("bad.yaml:5:5: expected a mapping"), "{e}");
}

#[test]
fn step_with_neither_or_both() {
    let e = err(&minimal(
        "  - tool: llm.final\n    args: {}\n  - tool: fs.read\n    args: { path: x }\n",
    ));
    assert_eq!(
        e,
        "bad.yaml:7:5: step 2 (`fs.read`) has neither `result` nor `error`"
    );
    let e = err(&minimal(
        "  - tool: fs.read\n    args: { path: x }\n    result: a\n    error: b\n",
    ));
    assert_eq!(
        e,
        "bad.yaml:5:5: step 1 (`fs.read`) has both `result` and `error`; a call either returns or fails"
    );
}

#[test]
fn imported_recordings_may_lack_results_and_use_step_refs() {
    let text = format!(
        "{}  - tool: fs.read\n    args: {{ path: a.txt }}\n  - tool: text.replace\n    args: {{ text: {{ $result_of: 0 }}, from: x, to: y }}\n{IMPORTED_KEY}: {{ format: markdown }}\n",
        minimal("")
    );
    let r = parse_recording(&text, "t.yaml").unwrap();
    assert!(r.is_imported());
    assert_eq!(as_step_ref(&r.steps[1].args["text"]), Some(0));
    assert_eq!(r.steps[1].args["text"], step_ref(0));
    let bad = text.replace("$result_of: 0", "$result_of: 1");
    let e = err(&bad);
    assert_eq!(
        e,
        "bad.yaml:7:5: step 2 (`text.replace`): argument `text` refers to the result of step 2, which is not an earlier step"
    );
    assert_eq!(as_step_ref(&json!({"$result_of": 1, "x": 2})), None);
    assert_eq!(as_step_ref(&json!({"$result_of": "1"})), None);
}

#[test]
fn yaml_syntax_errors_name_file_line_and_column() {
    let e = err("llmos_recording: 1\ngoal: [unclosed\n");
    assert!(e.starts_with("bad.yaml:2:7: "), "{e}");
    assert!(e.contains("unclosed"), "{e}");
    let e = err("llmos_recording: 1\ngoal: a\ngoal: b\n");
    assert!(
        e.starts_with("bad.yaml:3:1: duplicate mapping key: goal"),
        "{e}"
    );
    let e = err("- 1\n- 2\n");
    assert!(e.starts_with("bad.yaml:1:1: expected a mapping"), "{e}");
    let e = err("llmos_recording: 1\n---\nllmos_recording: 1\n");
    assert!(
        e.starts_with("bad.yaml:3:1: multiple YAML documents"),
        "{e}"
    );
    let e = err("");
    assert_eq!(e, "bad.yaml: empty file: expected a recording");
    let e = err(&minimal("  - tool: t.x\n    result: .inf\n"));
    assert!(e.starts_with("bad.yaml:6:13: non-finite float"), "{e}");
}

#[test]
fn hostile_yaml_is_bounded() {
    // A billion laughs: each level doubles ten times.
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        bomb.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let e = err(&bomb);
    assert!(e.starts_with("bad.yaml:"), "{e}");
    assert!(
        e.to_lowercase().contains("alias") || e.to_lowercase().contains("budget"),
        "{e}"
    );
    // Deep nesting.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let e = err(&format!("goal: {deep}\n"));
    assert!(e.starts_with("bad.yaml:"), "{e}");
    // Too large.
    let huge = "a".repeat(llmos::learn::recording::MAX_YAML_BYTES + 1);
    let e = err(&huge);
    assert!(
        e.starts_with("bad.yaml: ") && e.contains("more than the limit"),
        "{e}"
    );
}

#[test]
fn yaml_documents_reads_streams() {
    let docs = parse_yaml_documents("a: 1\n---\n- no\n---\n", "s.yaml").unwrap();
    assert_eq!(docs, vec![json!({"a": 1}), json!(["no"])]);
    let e = parse_yaml_documents("a: [\n", "s.yaml").unwrap_err();
    assert_eq!((e.file.as_str(), e.line), ("s.yaml", Some(1)));
}

#[test]
fn to_yaml_refuses_what_cannot_round_trip() {
    let mut r = parse_recording(WORDS, "w").unwrap();
    r.extra.insert("goal".into(), json!("again"));
    assert!(
        to_yaml(&r)
            .unwrap_err()
            .to_string()
            .contains("extra key `goal` shadows")
    );
    let mut r = parse_recording(WORDS, "w").unwrap();
    r.usage.cost_micros = -1;
    assert!(
        to_yaml(&r)
            .unwrap_err()
            .to_string()
            .contains("cost_usd is negative")
    );
}

#[test]
fn examples_round_trip() {
    for text in [SALES, WORDS] {
        let r = parse_recording(text, "x").unwrap();
        let yaml = to_yaml(&r).unwrap();
        assert_eq!(parse_recording(&yaml, "y").unwrap(), r, "{yaml}");
    }
}

// ---- property: parse(to_yaml(r)) == r ----

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,8}",
        any::<String>(),
        prop::collection::vec(
            prop::sample::select(vec![
                "a", " ", "\n", "\r\n", "\t", ":", ": ", " #", "#", "'", "\"", "\\", "-", "- ",
                "?", "{", "}", "[", "]", ",", "&", "*", "!", "|", ">", "%", "@", "`", "é", "日本",
                "🦀", "\u{85}", "\u{2028}", "\u{feff}", "\u{0}", "\u{1b}", "no", "yes", "null",
                "~", "0755", "1_000", "12", "3.5", ".inf", "true", "---", "...", "<<",
            ]),
            0..12,
        )
        .prop_map(|parts| parts.concat()),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        text().prop_map(Value::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(text(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn step() -> impl Strategy<Value = RecStep> {
    let args = prop::collection::vec((text(), value()), 0..4)
        .prop_map(|kv| kv.into_iter().collect::<IndexMap<_, _>>());
    (
        prop_oneof![3 => "[a-z]{1,5}\\.[a-z_]{1,8}", 1 => Just(FINAL_TOOL.to_string())],
        args,
        prop_oneof![
            value().prop_map(|v| (Some(v), None)),
            text().prop_map(|e| (None, Some(e)))
        ],
    )
        .prop_map(|(tool, args, (result, error))| {
            let (result, error) = if tool == FINAL_TOOL {
                (None, None)
            } else {
                (result, error)
            };
            RecStep {
                tool,
                args,
                result,
                error,
            }
        })
}

fn recording() -> impl Strategy<Value = Recording> {
    // Any cost from nothing to the largest amount, in micro-dollars.
    let usage = (
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        0i64..=1_000_000_000_000_000,
    )
        .prop_map(|(i, o, c, cost)| Usage {
            input_tokens: i,
            output_tokens: o,
            llm_calls: c,
            cost_micros: cost,
        });
    let extra = prop::collection::btree_map("[a-z_]{1,10}", value(), 0..3).prop_map(|mut m| {
        for k in [
            "llmos_recording",
            "goal",
            "model",
            "started_at",
            "usage",
            "outcome",
            "error",
            "steps",
            IMPORTED_KEY,
        ] {
            m.remove(k);
        }
        m
    });
    let started = prop::option::of((0i64..4_000_000_000).prop_map(|s| {
        jiff::Timestamp::from_second(s)
            .map(|t| t.to_string())
            .unwrap_or_default()
    }));
    (
        text().prop_filter("non-blank goal", |g| !g.trim().is_empty()),
        text(),
        started,
        usage,
        prop::option::of(text()),
        prop::collection::vec(step(), 1..5),
        extra,
    )
        .prop_map(
            |(goal, model, started_at, usage, error, steps, extra)| Recording {
                llmos_recording: 1,
                goal,
                model,
                started_at,
                usage,
                outcome: if error.is_some() {
                    Outcome::Failure
                } else {
                    Outcome::Success
                },
                error,
                steps,
                extra,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn round_trip(r in recording()) {
        let yaml = to_yaml(&r).unwrap();
        let back = parse_recording(&yaml, "rt.yaml");
        prop_assert_eq!(back.as_ref().ok(), Some(&r), "yaml:\n{}\nerror: {:?}", yaml, back.as_ref().err());
        // IndexMap equality ignores order; argument order must survive too.
        if let Ok(back) = back {
            for (a, b) in r.steps.iter().zip(&back.steps) {
                prop_assert!(a.args.keys().eq(b.args.keys()));
            }
        }
    }
}
