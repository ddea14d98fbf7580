//! Run-time values. A value is a JSON value; the static [`Type`] says which JSON values a
//! slot holds (`path` and `str` are both JSON strings).
//!
//! Text forms are canonical: object keys sorted, numbers in the ECMAScript form of
//! RFC 8785 (`60.0` is `60`, `0.1` is `0.1`), so a value's text never depends on how it
//! was computed.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::types::Type;

pub use serde_json::Value;

/// The text a value becomes inside an interpolated string: a string as itself, anything
/// else as canonical compact JSON.
pub fn to_text(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        other => Cow::Owned(canonical_json(other)),
    }
}

/// Canonical compact JSON text (RFC 8785 style): sorted keys, no white space, ECMAScript
/// number form.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(&mut out, v);
    out
}

/// Appends the canonical compact JSON text of `v` to `out`.
pub fn write_canonical(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // Sort explicitly: correct even if serde_json's `preserve_order` gets enabled.
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, val)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_canonical(out, val);
            }
            out.push('}');
        }
    }
}

/// The canonical text of a number: integers exactly, floats in ECMAScript form.
pub fn number_text(n: &serde_json::Number) -> String {
    let mut s = String::new();
    write_number(&mut s, n);
    s
}

fn write_number(out: &mut String, n: &serde_json::Number) {
    if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else if let Some(f) = n.as_f64() {
        let mut buf = ryu_js::Buffer::new();
        out.push_str(buf.format(f));
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Pretty JSON with sorted keys and canonical numbers, two-space indent.
pub fn pretty_json(v: &Value) -> String {
    let mut out = String::new();
    write_pretty(&mut out, v, 0);
    out
}

fn write_pretty(out: &mut String, v: &Value, depth: usize) {
    let pad = |out: &mut String, d: usize| {
        for _ in 0..d {
            out.push_str("  ");
        }
    };
    match v {
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                pad(out, depth + 1);
                write_pretty(out, item, depth + 1);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            pad(out, depth);
            out.push(']');
        }
        Value::Object(map) if !map.is_empty() => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push_str("{\n");
            let n = entries.len();
            for (i, (k, val)) in entries.into_iter().enumerate() {
                pad(out, depth + 1);
                write_string(out, k);
                out.push_str(": ");
                write_pretty(out, val, depth + 1);
                out.push_str(if i + 1 < n { ",\n" } else { "\n" });
            }
            pad(out, depth);
            out.push('}');
        }
        other => write_canonical(out, other),
    }
}

/// Whether a value is of a static type (`path` and `str` are strings; an `int` is a
/// JSON integer; a `float` any number).
pub fn conforms(v: &Value, ty: &Type) -> bool {
    match ty {
        Type::Json => true,
        Type::Str | Type::Path => v.is_string(),
        Type::Int => v.is_i64() || v.is_u64(),
        Type::Float => v.is_number(),
        Type::Bool => v.is_boolean(),
        Type::List(elem) => v
            .as_array()
            .is_some_and(|items| items.iter().all(|x| conforms(x, elem))),
    }
}

/// Bytes counted for each element of a list, beside the element's own size.
pub const ELEMENT_BYTES: u64 = 32;
/// Bytes counted for each field of an object, beside its key's and value's sizes.
pub const FIELD_BYTES: u64 = 64;

/// The memory a value takes, as the size limits count it: the bytes of its text (a
/// string's, a key's), 8 for a number, a bool or null, [`ELEMENT_BYTES`] more for each
/// list element and [`FIELD_BYTES`] more for each object field. Close to what the value
/// really takes in memory, and cheap to add up.
pub fn size_of(v: &Value) -> u64 {
    let mut total = 0;
    count(v, &mut total, u64::MAX);
    total
}

/// The size of `v` (see [`size_of`]) if it is at most `max`; `None` past it (counting
/// stops there).
pub fn size_up_to(v: &Value, max: u64) -> Option<u64> {
    let mut total = 0;
    count(v, &mut total, max).then_some(total)
}

/// Whether `values` together take at most `max` bytes (see [`size_of`]); stops counting
/// past `max`, so a large value costs no more than the limit to check.
pub fn size_within(values: &[Value], max: usize) -> bool {
    let max = max as u64;
    let mut total = 0;
    values.iter().all(|v| count(v, &mut total, max))
}

/// Adds the size of `v` to `total`; `false` (and stops) once `total` is over `max`.
fn count(v: &Value, total: &mut u64, max: u64) -> bool {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        *total = total.saturating_add(match v {
            Value::String(s) => s.len() as u64,
            Value::Array(items) => {
                stack.extend(items.iter());
                ELEMENT_BYTES * items.len() as u64
            }
            Value::Object(map) => {
                let keys: u64 = map.keys().map(|k| k.len() as u64).sum();
                stack.extend(map.values());
                FIELD_BYTES * map.len() as u64 + keys
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => 8,
        });
        if *total > max {
            return false;
        }
    }
    true
}

/// A short name of a value's dynamic shape, for error messages.
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

/// Checks a value against a type, converting where the language allows: an integral
/// float becomes an `int` where one is expected. The error says what was expected and
/// found.
pub fn coerce(v: Value, ty: &Type) -> Result<Value, String> {
    if conforms(&v, ty) {
        return Ok(v);
    }
    if *ty == Type::Int
        && let Some(f) = v.as_f64()
        && f.fract() == 0.0
        && f.abs() < 9.007_199_254_740_992e15
    {
        return Ok(Value::from(f as i64));
    }
    if let (Type::List(elem), Value::Array(items)) = (ty, &v) {
        let items = items.clone();
        let converted: Result<Vec<Value>, String> =
            items.into_iter().map(|x| coerce(x, elem)).collect();
        return converted.map(Value::Array);
    }
    Err(format!(
        "expected {ty}, found {} {}",
        kind_of(&v),
        short(&v)
    ))
}

/// Parses a command-line value (`--set NAME=VALUE`) as the declared type. Strings and
/// paths are taken verbatim; numbers, booleans, lists and JSON are parsed.
pub fn parse_as(text: &str, ty: &Type) -> Result<Value, String> {
    match ty {
        Type::Str | Type::Path => Ok(Value::String(text.to_owned())),
        Type::Int => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("expected an int, found `{text}`")),
        Type::Float => {
            let f: f64 = text
                .trim()
                .parse()
                .map_err(|_| format!("expected a float, found `{text}`"))?;
            serde_json::Number::from_f64(f)
                .map(Value::Number)
                .ok_or_else(|| format!("expected a finite float, found `{text}`"))
        }
        Type::Bool => match text.trim() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("expected `true` or `false`, found `{text}`")),
        },
        Type::Json => {
            Ok(serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned())))
        }
        Type::List(_) => {
            let v: Value = serde_json::from_str(text)
                .map_err(|e| format!("expected a JSON list for {ty}: {e}"))?;
            coerce(v, ty)
        }
    }
}

/// A value shortened for messages: at most 60 characters of its canonical text.
pub fn short(v: &Value) -> String {
    let text = canonical_json(v);
    if text.chars().count() <= 60 {
        text
    } else {
        let cut: String = text.chars().take(57).collect();
        format!("{cut}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_numbers() {
        assert_eq!(to_text(&json!(60.0)), "60");
        assert_eq!(to_text(&json!(0.1)), "0.1");
        assert_eq!(to_text(&json!(97.0)), "97");
        assert_eq!(to_text(&json!(-3)), "-3");
        assert_eq!(to_text(&json!(1e21)), "1e+21");
    }

    #[test]
    fn canonical_objects() {
        let v = json!({"b": [1, 2.5, "x"], "a": {"d": null, "c": true}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":true,"d":null},"b":[1,2.5,"x"]}"#
        );
        assert_eq!(to_text(&json!("plain")), "plain");
        assert_eq!(canonical_json(&json!("a\"\n\u{1}")), r#""a\"\n\u0001""#);
    }

    #[test]
    fn parse_and_coerce() {
        assert_eq!(parse_as("42", &Type::Int).unwrap(), json!(42));
        assert!(parse_as("4.2", &Type::Int).is_err());
        assert_eq!(
            parse_as("[1,2]", &Type::List(Box::new(Type::Int))).unwrap(),
            json!([1, 2])
        );
        assert_eq!(coerce(json!(3.0), &Type::Int).unwrap(), json!(3));
        assert!(coerce(json!("x"), &Type::Int).is_err());
        assert!(conforms(&json!(["a"]), &Type::List(Box::new(Type::Path))));
    }
}

/// `a OP b` on run-time values: numbers by value (`1 == 1.0`), text by its characters
/// (code point order), `==`/`!=` on anything by deep equality. Ordering anything but two
/// numbers or two strings is an error naming the kinds.
pub fn compare(a: &Value, b: &Value, op: crate::types::CmpOp) -> Result<bool, String> {
    use std::cmp::Ordering;
    if op.is_equality() {
        let eq = values_equal(a, b);
        return Ok(op.holds(if eq { Ordering::Equal } else { Ordering::Less }));
    }
    let ord = match (a, b) {
        (Value::Number(x), Value::Number(y)) => number_order(x, y),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        _ => {
            return Err(format!(
                "`{}` cannot order {} {} and {} {}",
                op.as_str(),
                kind_of(a),
                short(a),
                kind_of(b),
                short(b)
            ));
        }
    };
    Ok(op.holds(ord))
}

/// Deep equality with numbers compared by value.
fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => number_order(x, y).is_eq(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        _ => a == b,
    }
}

fn number_order(x: &serde_json::Number, y: &serde_json::Number) -> std::cmp::Ordering {
    let exact = |n: &serde_json::Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    match (exact(x), exact(y)) {
        (Some(a), Some(b)) => a.cmp(&b),
        _ => {
            let (a, b) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Equal)
        }
    }
}

/// A condition's value: a boolean, else an error naming what it is.
pub fn truth(v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(format!(
            "a condition must be true or false, found {} {}",
            kind_of(other),
            short(other)
        )),
    }
}

#[cfg(test)]
mod compare_tests {
    use super::*;
    use crate::types::CmpOp;
    use serde_json::json;

    #[test]
    fn numbers_compare_by_value_and_text_by_characters() {
        assert!(compare(&json!(1), &json!(1.0), CmpOp::Eq).unwrap());
        assert!(compare(&json!(2), &json!(10), CmpOp::Lt).unwrap());
        assert!(compare(&json!(-1), &json!(u64::MAX), CmpOp::Lt).unwrap());
        assert!(compare(&json!(0.5), &json!(1), CmpOp::Le).unwrap());
        assert!(compare(&json!("b"), &json!("ab"), CmpOp::Gt).unwrap());
        assert!(compare(&json!([1, {"a": 2}]), &json!([1.0, {"a": 2.0}]), CmpOp::Eq).unwrap());
        assert!(compare(&json!(null), &json!("x"), CmpOp::Ne).unwrap());
        assert!(!compare(&json!(true), &json!(true), CmpOp::Ne).unwrap());
        let e = compare(&json!("a"), &json!(1), CmpOp::Lt).unwrap_err();
        assert_eq!(e, "`<` cannot order string \"a\" and int 1");
    }

    #[test]
    fn conditions_are_booleans() {
        assert_eq!(truth(&json!(true)), Ok(true));
        assert!(truth(&json!(1)).is_err());
    }
}
