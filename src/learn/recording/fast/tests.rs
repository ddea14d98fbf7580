//! The fast reader against serde-saphyr: on every recording in the repository, on the long
//! recording of the scaling test, and on generated and mutated recordings, whatever the
//! fast reader accepts is exactly what serde-saphyr reads, and `parse_recording` gives
//! what serde-saphyr alone gives (values and errors).

use std::path::Path;

use proptest::prelude::*;

use super::super::{Recording, RecordingError, parse_recording, read_with_saphyr};
use super::{Outside, plain_value, read};
use crate::value::Value;

#[path = "../../../../tests/it/support/long_recording.rs"]
mod long_recording;

/// The recording the fast reader gives, if it reads the text and it is valid.
fn fast(text: &str) -> Option<Recording> {
    let doc = read(text).ok()?;
    super::super::validate::recording(doc, "t.yaml").ok()
}

/// Checks the text both ways; whether the fast reader took it.
fn same(text: &str) -> bool {
    let slow = read_with_saphyr(text, "t.yaml");
    let fast = fast(text);
    if let Some(rec) = &fast {
        assert_eq!(
            Ok(rec),
            slow.as_ref(),
            "the fast reader differs on:\n{text}"
        );
    }
    let whole: Result<Recording, RecordingError> = if text.trim().is_empty() {
        slow.clone()
    } else {
        parse_recording(text, "t.yaml")
    };
    assert_eq!(whole, slow, "parse_recording differs on:\n{text}");
    fast.is_some()
}

fn yaml_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            out.push(path);
        }
    }
}

#[test]
fn every_yaml_file_of_the_repository_reads_the_same() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["tests", "docs", "examples", "fuzz", "benches"] {
        yaml_files(&root.join(dir), &mut files);
    }
    yaml_files(Path::new("/work/shared/spec/examples"), &mut files);
    let mut taken = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        if text.len() <= super::super::MAX_YAML_BYTES && same(&text) {
            taken += 1;
        }
    }
    assert!(files.len() > 50, "only {} YAML files found", files.len());
    assert!(
        taken > 10,
        "the fast reader took only {taken} of {} files",
        files.len()
    );
}

#[test]
fn the_long_recording_takes_the_fast_path() {
    let text = long_recording::long_recording(2_000);
    assert!(same(&text));
    assert_eq!(fast(&text).unwrap().steps.len(), 2_002);
    // Single-quoted JSON texts and nested flow mappings.
    let text = long_recording::long_json_recording(2_000);
    assert!(same(&text));
    assert_eq!(fast(&text).unwrap().steps.len(), 2_002);
}

#[test]
fn block_and_flow_forms_read_the_same() {
    let cases = [
        "llmos_recording: 1\ngoal: g\noutcome: success\nsteps:\n- tool: fs.read\n  args:\n    path: a b\n    n: 3\n  result: x\n- tool: llm.final\n  args: {text: y}\n",
        "llmos_recording: 1\ngoal: 'it''s'\noutcome: failure\nerror: \"a\\tb \\u00e9\"\nsteps:\n  - {tool: t, args: {}, error: e}\n",
        "llmos_recording: 1\ngoal: g\noutcome: success\nusage:\n  input_tokens: 10\n  cost_usd: 0.5\nx: [1, -2, 3.25, true, ~, null, '', {a: [b]}]\nsteps:\n- {tool: t, args: {}, result: 1}\n- {tool: t, args: {a: {$result_of: 0}}, result: ~}\n",
        "llmos_recording: 1\ngoal: g\noutcome: success\nsteps:\n- {tool: t, args: {b: 1, a: 2}, result: [x, y]}\n- tool: u\n  args:\n  result:\n",
        "llmos_recording: 1\ngoal: g\noutcome: success\nsteps:\n- {tool: t, args: {b: 1, b: 2}, result: x}\n",
        "llmos_recording: 1\ngoal: g # c\noutcome: success\nsteps:\n- {tool: t, result: x}\n",
        "llmos_recording: 1\ngoal: g\n  h\noutcome: success\nsteps:\n- {tool: t, result: x}\n",
        "llmos_recording: 1\ngoal: g\noutcome: success\nsteps:\n- {tool: t, result: 0x1F}\n- {tool: t, result: 0755}\n",
        "llmos_recording: 1\ngoal: g\noutcome: success\nsteps: []\n",
    ];
    for text in cases {
        same(text);
    }
    for (i, case) in cases.iter().enumerate().take(3) {
        assert!(
            same(case),
            "case {i} is not read by the fast reader: {:?}",
            read(case).map(|_| ())
        );
    }
}

#[test]
fn long_values_and_keys_read_the_same() {
    let long = "ab ".repeat(1_000);
    let head = "llmos_recording: 1\ngoal: g\noutcome: success\nsteps:\n";
    let value = format!("{head}- {{tool: t, args: {{a: {long}x}}, result: '{long}'}}\n");
    assert!(same(&value));
    let block = format!("{head}- tool: t\n  args:\n    a: {long}x\n  result: \"{long}\"\n");
    assert!(same(&block));
    let key = format!("{head}- {{tool: t, args: {{{long}x: 1}}, result: x}}\n");
    same(&key);
    let key = format!("{head}- tool: t\n  args:\n    {long}x: 1\n  result: x\n");
    same(&key);
}

#[test]
fn plain_scalars_are_typed_as_serde_saphyr_types_them() {
    for s in [
        "0",
        "7",
        "-7",
        "-0",
        "+1",
        "01",
        "1_000",
        "0x1F",
        "0X1F",
        "0o17",
        "1.5",
        "-0.0",
        "1.",
        ".5",
        "1e3",
        "1E3",
        ".inf",
        "-.inf",
        ".nan",
        "inf",
        "nan",
        "Infinity",
        "true",
        "True",
        "TRUE",
        "tRUE",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "~",
        "null",
        "Null",
        "NULL",
        "nULL",
        "2026-11-25T09:00:00Z",
        "12:30",
        "a b",
        "a:b",
        "a-1",
        "1-a",
        "99999999999999999999",
        "18446744073709551616",
        "-9223372036854775809",
        "0.1234567890123456789",
    ] {
        let text = format!(
            "llmos_recording: 1\ngoal: g\noutcome: success\nsteps:\n- {{tool: t, args: {{a: {s}}}, result: {s}}}\n"
        );
        same(&text);
    }
    for s in [
        "\\u0000",
        "\\u0085",
        "\\u2028",
        "\\uD800",
        "\\uFFFF",
        "\\uFEFF",
        "\\u00E9\\u00e9",
        "\\x41",
        "\\U0001F600",
        "\\e",
        "\\ ",
        "\\N",
        "\\/\\\\\\\"\\n\\t\\r",
    ] {
        let text = format!(
            "llmos_recording: 1\ngoal: g\noutcome: success\nsteps:\n- {{tool: t, args: {{a: \"{s}\"}}, result: x}}\n"
        );
        same(&text);
    }
    assert_eq!(plain_value("0.0").unwrap(), Value::from(0.0));
    assert!(matches!(plain_value("0x1F"), Err(Outside)));
}

/// A scalar as written in YAML: plain, single- or double-quoted; mostly in the fast
/// reader's subset, often just outside it.
fn scalar() -> impl Strategy<Value = String> {
    let text = prop_oneof![
        4 => "[a-z][a-z0-9 ._/-]{0,8}",
        2 => "-?[0-9]{1,3}(\\.[0-9]{1,3})?",
        1 => "[0-9a-fA-FxXoObBeE.+\\-_~:]{1,6}",
        1 => "[ -~]{0,8}",
        1 => "[a-zé€𝄞 .:#'\"\\\\/-]{0,6}",
        1 => prop::sample::select(vec!["null", "true", "False", "~", ".inf", "yes", "-", "---", "..."])
            .prop_map(str::to_string),
    ];
    (
        text,
        prop_oneof![3 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
    )
        .prop_map(|(t, style)| match style {
            0 => t,
            1 => format!("'{}'", t.replace('\'', "''")),
            _ => {
                let escaped: String = t
                    .chars()
                    .map(|c| match c {
                        '"' => "\\\"".to_string(),
                        '\\' => "\\\\".to_string(),
                        'é' => "\\u00e9".to_string(),
                        '/' => "\\/".to_string(),
                        c => c.to_string(),
                    })
                    .collect();
                format!("\"{escaped}\"")
            }
        })
}

/// A value on one line: a scalar or a small flow collection.
fn inline() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => scalar(),
        1 => prop::collection::vec(scalar(), 0..3).prop_map(|v| format!("[{}]", v.join(", "))),
        1 => prop::collection::vec((scalar(), scalar()), 0..3).prop_map(|v| {
            let v: Vec<String> = v.iter().map(|(k, x)| format!("{k}: {x}")).collect();
            format!("{{{}}}", v.join(", "))
        }),
    ]
}

/// A recording in flow or block form (steps indented or not, blank lines, trailing
/// spaces), with generated keys and values.
fn recording() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        4 => prop::sample::select(vec!["path", "text", "from", "to", "n", "$result_of"]).prop_map(str::to_string),
        1 => scalar(),
    ];
    let step = (
        scalar(),
        prop::collection::vec((key, inline()), 0..3),
        inline(),
        any::<bool>(),
    );
    let pad = prop::sample::select(vec!["", "", "", " ", "\n", "  \n"]);
    (scalar(), prop::collection::vec(step, 1..4), 0..4u8, pad).prop_map(
        |(goal, steps, form, pad)| {
            let indent = if form & 2 == 0 { "" } else { "  " };
            let mut text =
                format!("llmos_recording: 1\ngoal: {goal}{pad}\noutcome: success\nsteps:\n");
            for (tool, args, result, block) in steps {
                if block || form & 1 == 1 {
                    text.push_str(&format!("{indent}- tool: {tool}\n{indent}  args:{pad}\n"));
                    for (k, v) in args {
                        text.push_str(&format!("{indent}    {k}: {v}\n"));
                    }
                    text.push_str(&format!("{indent}  result: {result}\n"));
                } else {
                    let args: Vec<String> = args.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                    text.push_str(&format!(
                        "{indent}- {{tool: {tool}, args: {{{}}}, result: {result}}}{pad}\n",
                        args.join(", ")
                    ));
                }
            }
            text
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn generated_recordings_read_the_same(text in recording()) {
        same(&text);
    }

    #[test]
    fn mutated_recordings_read_the_same(
        text in recording(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0..3u8, prop::sample::select(
            b" \n-:,{}[]#'\"\\&*!|>%?@`\tx0.".to_vec())), 1..4),
    ) {
        let mut bytes = text.into_bytes();
        for (at, op, b) in edits {
            let i = at.index(bytes.len() + 1);
            match op {
                0 => bytes.insert(i, b),
                1 if i < bytes.len() => { bytes.remove(i); }
                _ if i < bytes.len() => bytes[i] = b,
                _ => bytes.push(b),
            }
        }
        if let Ok(text) = String::from_utf8(bytes) {
            same(&text);
        }
    }
}

/// The generated recordings exercise the fast reader, not only the fallback.
#[test]
fn generated_recordings_often_take_the_fast_path() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let taken = (0..500)
        .filter(|_| {
            let tree = recording().new_tree(&mut runner).unwrap();
            same(&proptest::strategy::ValueTree::current(&tree))
        })
        .count();
    assert!(taken >= 50, "the fast reader took {taken} of 500");
}
