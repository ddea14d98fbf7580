//! Arguments the Learner's LLM passed in another form than the tool takes. An LLM that
//! read a JSON file often passes the parsed object on where a tool takes text
//! (`json.parse(text: {...})`, `text.len(text: [...])`): the call would fail on its type,
//! and the recording would not show where the value came from. When the object equals
//! (by value) the parse of an earlier text result, the call gets that text instead, and
//! the recording says so, so the compiler links the argument to that result.

use crate::learn::recording::RecStep;
use crate::stdlib::ToolDecl;
use crate::types::Type;
use crate::value::Value;

/// Longest earlier text parsed to look for a match.
const MAX_TEXT_BYTES: usize = 8 << 20;

/// `input` with each list or object passed for a `str` parameter replaced by the earlier
/// text result (latest first) that parses to it; `None` when nothing changes.
pub fn objects_as_texts(decl: &ToolDecl, input: &Value, earlier: &[RecStep]) -> Option<Value> {
    let Value::Object(map) = input else {
        return None;
    };
    let mut out = map.clone();
    let mut changed = false;
    for p in decl.params.iter().filter(|p| p.ty == Type::Str) {
        let Some(v) = map.get(&p.name).filter(|v| v.is_array() || v.is_object()) else {
            continue;
        };
        if let Some(text) = earlier.iter().rev().find_map(|s| text_parsing_to(s, v)) {
            out.insert(p.name.clone(), Value::String(text.to_owned()));
            changed = true;
        }
    }
    changed.then_some(Value::Object(out))
}

/// The step's text result, when it parses to `v`.
fn text_parsing_to<'s>(step: &'s RecStep, v: &Value) -> Option<&'s str> {
    let Some(Value::String(text)) = &step.result else {
        return None;
    };
    if text.len() > MAX_TEXT_BYTES || !text.trim_start().starts_with(['{', '[']) {
        return None;
    }
    let parsed: Value = serde_json::from_str(text).ok()?;
    crate::learn::compile::same_value(&parsed, v).then_some(text.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;
    use serde_json::json;

    fn step(result: Value) -> RecStep {
        RecStep {
            tool: "fs.read".into(),
            args: IndexMap::new(),
            result: Some(result),
            error: None,
        }
    }

    #[test]
    fn an_object_equal_to_a_parsed_text_is_passed_as_that_text() {
        let table = crate::tools::ToolTable::builtins();
        let text = "{\n  \"a\": 1.0,\n  \"b\": [2]\n}\n";
        let earlier = [step(json!(text)), step(json!("other"))];
        let decl = table.get("json.get").unwrap();
        // `json.get` takes any value: nothing to change.
        assert_eq!(
            objects_as_texts(
                decl,
                &json!({"value": {"a": 1, "b": [2]}, "path": "a"}),
                &earlier
            ),
            None
        );
        let decl = table.get("json.parse").unwrap();
        assert_eq!(
            objects_as_texts(decl, &json!({"text": {"a": 1, "b": [2]}}), &earlier),
            Some(json!({ "text": text }))
        );
        // An object no earlier text parses to stays as it is (and fails on its type).
        assert_eq!(
            objects_as_texts(decl, &json!({"text": {"a": 2}}), &earlier),
            None
        );
    }
}
