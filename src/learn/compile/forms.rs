//! Forms of a value: the same value after a transformation a program can repeat with a
//! pure tool. A goal value the LLM passed regex-escaped or in upper case, a file's text
//! it passed trimmed, a float it wrote with two decimals, a JSON text it passed parsed:
//! each is linked to its origin through the tool that makes the form, inserted as a step.
//!
//! Every form is computed by the real tool ([`crate::tools::call_pure`]), so a linked
//! value is exactly what the program will compute.

use crate::tools::call_pure;
use crate::value::{Value, to_text};

/// A transformation: `tool(input: <the value>, extra...)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    pub tool: &'static str,
    /// The parameter that takes the value.
    pub input: &'static str,
    /// Further constant arguments.
    pub extra: Vec<(&'static str, Value)>,
    /// The transformed value.
    pub value: Value,
}

/// Longest text whose case forms are tried (values and words, not whole files).
const MAX_CASE_CHARS: usize = 200;

/// Forms of a goal value found inside configuration text: regex-escaped, upper and lower
/// case.
pub fn param_forms(v: &Value) -> Vec<Form> {
    let Value::String(s) = v else {
        return Vec::new();
    };
    let mut out = Vec::new();
    add(&mut out, v, "text.regex_escape", "text", vec![]);
    if s.chars().count() <= MAX_CASE_CHARS {
        add(&mut out, v, "text.upper", "text", vec![]);
        add(&mut out, v, "text.lower", "text", vec![]);
    }
    out
}

/// Forms of a result an LLM may pass on instead of the result itself: trimmed, case
/// changed, parsed from or serialized to JSON, a float with fixed decimals.
pub fn result_forms(v: &Value) -> Vec<Form> {
    let mut out = Vec::new();
    match v {
        Value::String(s) => {
            add(&mut out, v, "text.trim_end", "text", vec![]);
            add(&mut out, v, "text.trim", "text", vec![]);
            if s.chars().count() <= MAX_CASE_CHARS && s.chars().any(char::is_alphabetic) {
                add(&mut out, v, "text.lower", "text", vec![]);
                add(&mut out, v, "text.upper", "text", vec![]);
            }
            if s.trim_start().starts_with(['{', '[']) {
                add(&mut out, v, "json.parse", "text", vec![]);
            }
        }
        Value::Array(items) => {
            add(&mut out, v, "json.stringify", "value", vec![]);
            out.extend(pluck_forms(items));
        }
        Value::Object(_) => {
            add(&mut out, v, "json.stringify", "value", vec![]);
        }
        Value::Number(n) if n.is_f64() => {
            let canonical = to_text(v).into_owned();
            for d in 1..=3 {
                let f = Form {
                    tool: "text.format_number",
                    input: "value",
                    extra: vec![("decimals", Value::from(d))],
                    value: Value::Null,
                };
                if let Some(Value::String(t)) = apply(&f, v)
                    && t != canonical
                    && t.len() >= 3
                {
                    out.push(Form {
                        value: Value::String(t),
                        ..f
                    });
                }
            }
        }
        _ => {}
    }
    out
}

/// Runs a form's tool on `input`, as the program would.
pub fn apply(f: &Form, input: &Value) -> Option<Value> {
    let decl = crate::tools::ToolTable::builtins().get(f.tool)?;
    // A tool of one param takes the value where it is (no copy).
    if let [only] = decl.params.as_slice()
        && only.name == f.input
    {
        return call_pure(f.tool, std::slice::from_ref(input))?.ok();
    }
    let args: Vec<Value> = decl
        .params
        .iter()
        .map(|p| {
            if p.name == f.input {
                Some(input.clone())
            } else {
                f.extra
                    .iter()
                    .find(|(n, _)| *n == p.name)
                    .map(|(_, v)| v.clone())
                    .or_else(|| p.default.clone())
            }
        })
        .collect::<Option<_>>()?;
    call_pure(f.tool, &args)?.ok()
}

/// Most keys of a list's objects tried as `json.pluck` forms.
const MAX_PLUCK_KEYS: usize = 16;

/// The lists of one field of every element (`json.pluck(items: orders, path: "amount")`)
/// of a list of two or more objects, for the keys every element has: an LLM that read
/// each element's field passed the list of them on (`math.sum(values: [12.5, 30])`), and
/// the list of another length has one per element.
pub fn pluck_forms(items: &[Value]) -> Vec<Form> {
    let Some(Value::Object(first)) = items.first() else {
        return Vec::new();
    };
    if items.len() < 2 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for key in first.keys().take(MAX_PLUCK_KEYS) {
        if !key.chars().all(|c| c.is_alphanumeric() || c == '_')
            || !items
                .iter()
                .all(|i| i.as_object().is_some_and(|o| o.contains_key(key)))
        {
            continue;
        }
        let f = Form {
            tool: "json.pluck",
            input: "items",
            extra: vec![("path", Value::String(key.clone()))],
            value: Value::Null,
        };
        if let Some(value) = apply(&f, &Value::Array(items.to_vec())) {
            out.push(Form { value, ..f });
        }
    }
    out
}

/// Adds the form of `v` made by `tool` when it differs from `v`.
fn add(
    out: &mut Vec<Form>,
    v: &Value,
    tool: &'static str,
    input: &'static str,
    extra: Vec<(&'static str, Value)>,
) {
    let mut f = Form {
        tool,
        input,
        extra,
        value: Value::Null,
    };
    if let Some(t) = apply(&f, v)
        && t != *v
        && !out.iter().any(|o| o.value == t)
    {
        f.value = t;
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tools(forms: &[Form]) -> Vec<(&str, Value)> {
        forms.iter().map(|f| (f.tool, f.value.clone())).collect()
    }

    #[test]
    fn forms_of_goal_values() {
        assert_eq!(
            tools(&param_forms(&json!("site.org"))),
            [
                ("text.regex_escape", json!(r"site\.org")),
                ("text.upper", json!("SITE.ORG"))
            ]
        );
        assert_eq!(
            tools(&param_forms(&json!("Error"))),
            [
                ("text.upper", json!("ERROR")),
                ("text.lower", json!("error"))
            ]
        );
        assert!(param_forms(&json!(5)).is_empty());
    }

    #[test]
    fn forms_of_results() {
        assert_eq!(
            tools(&result_forms(&json!("a b\n"))),
            [
                ("text.trim_end", json!("a b")),
                ("text.upper", json!("A B\n"))
            ]
        );
        assert_eq!(
            tools(&result_forms(&json!("{\"b\": 1, \"a\": [2]}\n"))),
            [
                ("text.trim_end", json!("{\"b\": 1, \"a\": [2]}")),
                ("text.upper", json!("{\"B\": 1, \"A\": [2]}\n")),
                ("json.parse", json!({"a": [2], "b": 1}))
            ]
        );
        assert_eq!(
            tools(&result_forms(&json!({"b": 1, "a": 2}))),
            [("json.stringify", json!("{\"a\":2,\"b\":1}"))]
        );
        assert_eq!(
            tools(&result_forms(&json!(97.3333))),
            [
                ("text.format_number", json!("97.3")),
                ("text.format_number", json!("97.33")),
                ("text.format_number", json!("97.333"))
            ]
        );
        assert_eq!(
            tools(&result_forms(&json!(97.0))),
            [
                ("text.format_number", json!("97.0")),
                ("text.format_number", json!("97.00")),
                ("text.format_number", json!("97.000"))
            ]
        );
    }
}
