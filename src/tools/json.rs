//! `json.*`: JSON text and paths into values.
//!
//! Path syntax of `json.get`: parts joined by `.` (`a.b`), list indexes in brackets
//! (`items[0]`), keys with special characters as JSON strings in brackets
//! (`["a.b"]`); a bare part of digits indexes a list too (`items.0`). An empty path (or
//! `.`) is the whole value.

use std::borrow::Cow;
use std::time::Duration;

use super::registry::{Body, Builtin, Offload};
use super::work::Work;
use super::{Budget, ToolCtx, ToolError, ToolResult, arg, arg_str};
use crate::value::{FIELD_BYTES, Value, canonical_json, kind_of, pretty_json};

/// Time limit of one pure tool call.
pub const TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) const TOOLS: &[Builtin] = &[
    Builtin {
        name: "json.parse",
        params: &["text"],
        timeout: TIMEOUT,
        body: Body::Work(parse, Offload::Large),
    },
    Builtin {
        name: "json.stringify",
        params: &["value", "pretty"],
        timeout: TIMEOUT,
        body: Body::Work(stringify, Offload::Large),
    },
    Builtin {
        name: "json.get",
        params: &["value", "path"],
        timeout: TIMEOUT,
        body: Body::Work(get, Offload::Large),
    },
    Builtin {
        name: "json.pluck",
        params: &["items", "path"],
        timeout: TIMEOUT,
        body: Body::Work(pluck, Offload::Large),
    },
];

fn parse(ctx: &ToolCtx, args: &[Value], _: &Work<'_>) -> ToolResult {
    let text = arg_str(args, 0, "text")?;
    // Parsing makes a value for every comma, colon and bracket: bound the value by them
    // before anything is built.
    Budget::new(ctx).add(size_bound(text))?;
    serde_json::from_str(text)
        .map_err(|e| ToolError::failed(format!("json.parse: invalid JSON: {e}")))
}

/// At most the size of the value JSON `text` parses to: its bytes, plus an element or
/// field for each `,`, `:`, `[` and `{` outside strings.
fn size_bound(text: &str) -> u64 {
    let (mut parts, mut in_string, mut escaped) = (1_u64, false, false);
    for b in text.bytes() {
        match (in_string, escaped, b) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (true, false, b'"') => in_string = false,
            (false, _, b'"') => in_string = true,
            (false, _, b',' | b':' | b'[' | b'{') => parts += 1,
            _ => {}
        }
    }
    (text.len() as u64).saturating_add(parts.saturating_mul(FIELD_BYTES + 8))
}

fn stringify(_: &ToolCtx, args: &[Value], _: &Work<'_>) -> ToolResult {
    let value = arg(args, 0, "value")?;
    let pretty = match arg(args, 1, "pretty")? {
        Value::Bool(b) => *b,
        other => {
            return Err(ToolError::bad_argument(format!(
                "argument `pretty` must be a bool, found {}",
                kind_of(other)
            )));
        }
    };
    Ok(Value::String(if pretty {
        pretty_json(value)
    } else {
        canonical_json(value)
    }))
}

/// One part of a path, with the byte offset where it ends in the path text.
#[derive(Debug, PartialEq)]
enum Part<'a> {
    Key(Cow<'a, str>, usize),
    Index(usize, usize),
}

/// Splits a path into parts.
fn parse_path(path: &str) -> Result<Vec<Part<'_>>, ToolError> {
    let bad = |at: usize, why: &str| {
        let column = path.get(..at).map_or(at, |p| p.chars().count()) + 1;
        ToolError::bad_argument(format!("bad path `{path}` at character {column}: {why}"))
    };
    let bytes = path.as_bytes();
    let mut parts = Vec::new();
    let mut i = 0;
    if path == "." {
        return Ok(parts);
    }
    while i < bytes.len() {
        match bytes[i] {
            b'[' => {
                if bytes.get(i + 1) == Some(&b'"') {
                    let end = string_end(path, i + 1).ok_or_else(|| bad(i, "unclosed string"))?;
                    let key: String = serde_json::from_str(&path[i + 1..end])
                        .map_err(|_| bad(i + 1, "invalid string"))?;
                    if bytes.get(end) != Some(&b']') {
                        return Err(bad(end, "expected `]`"));
                    }
                    i = end + 1;
                    parts.push(Part::Key(Cow::Owned(key), i));
                } else {
                    let close = path[i..]
                        .find(']')
                        .map(|n| n + i)
                        .ok_or_else(|| bad(i, "unclosed `[`"))?;
                    let n = path[i + 1..close]
                        .parse::<usize>()
                        .map_err(|_| bad(i + 1, "expected a list index (0, 1, ...)"))?;
                    i = close + 1;
                    parts.push(Part::Index(n, i));
                }
            }
            b'.' if i > 0 => {
                i += 1;
                if i == bytes.len() || bytes[i] == b'.' || bytes[i] == b'[' {
                    return Err(bad(i, "expected a key after `.`"));
                }
                i = key(path, i, &mut parts);
            }
            // a leading `.` is allowed
            b'.' if bytes.get(1) != Some(&b'.') => i += 1,
            b'.' => return Err(bad(1, "expected a key after `.`")),
            _ if i > 0 && !matches!(bytes[i - 1], b'.') => {
                return Err(bad(i, "expected `.` or `[`"));
            }
            _ => i = key(path, i, &mut parts),
        }
    }
    Ok(parts)
}

/// Reads a bare key starting at `start`; returns where it ends.
fn key<'a>(path: &'a str, start: usize, parts: &mut Vec<Part<'a>>) -> usize {
    let end = path[start..]
        .find(['.', '['])
        .map_or(path.len(), |n| n + start);
    parts.push(Part::Key(Cow::Borrowed(&path[start..end]), end));
    end
}

/// The end (one past the closing quote) of a JSON string starting at `start`.
fn string_end(path: &str, start: usize) -> Option<usize> {
    let mut escaped = false;
    for (n, c) in path[start + 1..].char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(start + 1 + n + 1),
            _ => {}
        }
    }
    None
}

fn get(_: &ToolCtx, args: &[Value], _: &Work<'_>) -> ToolResult {
    let value = arg(args, 0, "value")?;
    let path = arg_str(args, 1, "path")?;
    let mut cur = value;
    let mut done = 0; // the path text resolved so far: `path[..done]`
    for part in parse_path(path)? {
        let here = || {
            if done == 0 {
                "the value".to_owned()
            } else {
                format!("`{}`", &path[..done])
            }
        };
        let (next, end) = match (&part, cur) {
            (Part::Key(k, end), Value::Object(map)) => match map.get(k.as_ref()) {
                Some(v) => (v, *end),
                None => {
                    let keys: Vec<&str> = map.keys().take(10).map(String::as_str).collect();
                    let more = if map.len() > 10 { ", ..." } else { "" };
                    return Err(ToolError::failed(format!(
                        "json.get `{path}`: {} has no key `{k}` (keys: {}{more})",
                        here(),
                        keys.join(", ")
                    )));
                }
            },
            (Part::Key(k, end), Value::Array(items)) if k.bytes().all(|b| b.is_ascii_digit()) => {
                match k.parse::<usize>().ok().and_then(|n| items.get(n)) {
                    Some(v) => (v, *end),
                    None => return Err(out_of_range(path, &here(), k, items.len())),
                }
            }
            (Part::Index(n, end), Value::Array(items)) => match items.get(*n) {
                Some(v) => (v, *end),
                None => return Err(out_of_range(path, &here(), &n.to_string(), items.len())),
            },
            (Part::Key(k, _), other) => {
                return Err(ToolError::failed(format!(
                    "json.get `{path}`: {} is {}, not an object, so it has no key `{k}`",
                    here(),
                    kind_of(other)
                )));
            }
            (Part::Index(n, _), other) => {
                return Err(ToolError::failed(format!(
                    "json.get `{path}`: {} is {}, not a list, so it has no element {n}",
                    here(),
                    kind_of(other)
                )));
            }
        };
        cur = next;
        done = end;
    }
    Ok(cur.clone())
}

fn pluck(ctx: &ToolCtx, args: &[Value], work: &Work<'_>) -> ToolResult {
    let items = match arg(args, 0, "items")? {
        Value::Array(items) => items,
        other => {
            return Err(ToolError::bad_argument(format!(
                "argument `items` must be a list, found {}",
                kind_of(other)
            )));
        }
    };
    let path = arg(args, 1, "path")?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let part = get(ctx, &[item.clone(), path.clone()], work)
            .map_err(|e| ToolError::failed(format!("json.pluck: element {i}: {}", e.message)))?;
        out.push(part);
    }
    Ok(Value::Array(out))
}

fn out_of_range(path: &str, here: &str, index: &str, len: usize) -> ToolError {
    ToolError::failed(format!(
        "json.get `{path}`: {here} has no element {index} (it has {len} elements)"
    ))
}

#[cfg(test)]
mod tests {
    use crate::tools::ToolErrorKind;
    use crate::tools::testutil::pure;
    use serde_json::json;

    #[test]
    fn parse_and_stringify() {
        let v = pure("json.parse", &[json!(r#"{"b": [1, 2.5], "a": null}"#)]).unwrap();
        assert_eq!(v, json!({"a": null, "b": [1, 2.5]}));
        let e = pure("json.parse", &[json!("{oops")]).unwrap_err();
        assert!(
            e.message
                .starts_with("json.parse: invalid JSON: key must be a string at line 1 column 2"),
            "{e}"
        );

        let v = json!({"z": 1, "a": {"y": 60.0, "b": "x"}});
        assert_eq!(
            pure("json.stringify", &[v.clone(), json!(false)]).unwrap(),
            json!(r#"{"a":{"b":"x","y":60},"z":1}"#)
        );
        let pretty = pure("json.stringify", &[v, json!(true)]).unwrap();
        assert_eq!(
            pretty,
            json!("{\n  \"a\": {\n    \"b\": \"x\",\n    \"y\": 60\n  },\n  \"z\": 1\n}")
        );
    }

    #[test]
    fn pluck_takes_a_part_of_every_element() {
        let v = json!([{"a": 1, "b": {"c": "x"}}, {"a": 2.5, "b": {"c": "y"}}]);
        let pluck = |p: &str| pure("json.pluck", &[v.clone(), json!(p)]);
        assert_eq!(pluck("a").unwrap(), json!([1, 2.5]));
        assert_eq!(pluck("b.c").unwrap(), json!(["x", "y"]));
        assert_eq!(
            pure("json.pluck", &[json!([]), json!("a")]).unwrap(),
            json!([])
        );
        assert_eq!(
            pluck("z").unwrap_err().message,
            "json.pluck: element 0: json.get `z`: the value has no key `z` (keys: a, b)"
        );
        assert!(pure("json.pluck", &[json!({"a": 1}), json!("a")]).is_err());
    }

    #[test]
    fn get_paths() {
        let v = json!({"a": {"b": [10, {"c": "deep"}]}, "x.y": 1, "": 2});
        let get = |p: &str| pure("json.get", &[v.clone(), json!(p)]);
        assert_eq!(get("a.b[0]").unwrap(), json!(10));
        assert_eq!(get("a.b[1].c").unwrap(), json!("deep"));
        assert_eq!(get("a.b.1.c").unwrap(), json!("deep"));
        assert_eq!(get(".a.b[0]").unwrap(), json!(10));
        assert_eq!(get(r#"["x.y"]"#).unwrap(), json!(1));
        assert_eq!(get(r#"[""]"#).unwrap(), json!(2));
        assert_eq!(get("").unwrap(), v);
        assert_eq!(get(".").unwrap(), v);
        assert_eq!(
            pure("json.get", &[json!([[1, 2]]), json!("[0][1]")]).unwrap(),
            json!(2)
        );
    }

    #[test]
    fn get_errors_name_the_missing_part() {
        let v = json!({"a": {"b": [10], "k": "s"}});
        let get = |p: &str| pure("json.get", &[v.clone(), json!(p)]).unwrap_err();
        assert_eq!(
            get("a.c").message,
            "json.get `a.c`: `a` has no key `c` (keys: b, k)"
        );
        assert_eq!(
            get("q").message,
            "json.get `q`: the value has no key `q` (keys: a)"
        );
        assert_eq!(
            get("a.b[3]").message,
            "json.get `a.b[3]`: `a.b` has no element 3 (it has 1 elements)"
        );
        assert_eq!(
            get("a.k.z").message,
            "json.get `a.k.z`: `a.k` is string, not an object, so it has no key `z`"
        );
        assert_eq!(
            get("a[0]").message,
            "json.get `a[0]`: `a` is object, not a list, so it has no element 0"
        );
        for bad in ["..a", "a..b", "a.", "a[x]", "a[1", r#"a["b]"#, "a[0]b"] {
            let e = get(bad);
            assert_eq!(e.kind, ToolErrorKind::BadArgument, "{bad}: {e}");
            assert!(e.message.starts_with(&format!("bad path `{bad}`")), "{e}");
        }
    }
}
