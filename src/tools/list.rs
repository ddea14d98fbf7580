//! `list.*`: lists and objects.
//!
//! `list.sort` uses [`compare`], a total, deterministic order over all JSON values:
//! numbers < strings < booleans < lists < objects < null. Numbers compare by exact value
//! (an int and a float that are equal compare equal, and a stable sort keeps their
//! order); strings by code point; `false < true`; lists element by element, a prefix
//! first; objects as their entries sorted by key, compared entry by entry (key, then
//! value), a prefix first.

use std::cmp::Ordering;
use std::time::Duration;

use super::registry::{Body, Builtin, Offload};
use super::work::Work;
use super::{ToolCtx, ToolError, ToolResult, arg};
use crate::value::{Value, kind_of};

/// Time limit of one pure tool call.
pub const TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) const TOOLS: &[Builtin] = &[
    Builtin {
        name: "list.len",
        params: &["items"],
        timeout: TIMEOUT,
        body: Body::Ready(len),
    },
    Builtin {
        name: "list.sort",
        params: &["items"],
        timeout: TIMEOUT,
        body: Body::Work(sort, Offload::Large),
    },
    Builtin {
        name: "list.last",
        params: &["items"],
        timeout: TIMEOUT,
        body: Body::Ready(last),
    },
];

fn last(_: &ToolCtx, args: &[Value]) -> ToolResult {
    match arg(args, 0, "items")? {
        Value::Array(items) => items
            .last()
            .cloned()
            .ok_or_else(|| ToolError::failed("list.last: the list is empty")),
        other => Err(ToolError::bad_argument(format!(
            "list.last needs a list, found {}",
            kind_of(other)
        ))),
    }
}

fn len(_: &ToolCtx, args: &[Value]) -> ToolResult {
    match arg(args, 0, "items")? {
        Value::Array(items) => Ok(Value::from(items.len())),
        Value::Object(map) => Ok(Value::from(map.len())),
        other => Err(ToolError::bad_argument(format!(
            "list.len needs a list or an object, found {}",
            kind_of(other)
        ))),
    }
}

fn sort(_: &ToolCtx, args: &[Value], _: &Work<'_>) -> ToolResult {
    match arg(args, 0, "items")? {
        Value::Array(items) => {
            let mut items = items.clone();
            items.sort_by(compare);
            Ok(Value::Array(items))
        }
        other => Err(ToolError::bad_argument(format!(
            "list.sort needs a list, found {}",
            kind_of(other)
        ))),
    }
}

/// The rank of a value's kind in the order of [`compare`].
fn rank(v: &Value) -> u8 {
    match v {
        Value::Number(_) => 0,
        Value::String(_) => 1,
        Value::Bool(_) => 2,
        Value::Array(_) => 3,
        Value::Object(_) => 4,
        Value::Null => 5,
    }
}

/// A total order on JSON values (see the module doc).
pub fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => compare_numbers(x, y),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => x
            .iter()
            .zip(y)
            .map(|(p, q)| compare(p, q))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| x.len().cmp(&y.len())),
        (Value::Object(x), Value::Object(y)) => {
            // serde_json maps iterate in key order (no `preserve_order`); sort anyway so
            // the order never depends on that feature.
            let mut xs: Vec<_> = x.iter().collect();
            let mut ys: Vec<_> = y.iter().collect();
            xs.sort_by(|p, q| p.0.cmp(q.0));
            ys.sort_by(|p, q| p.0.cmp(q.0));
            xs.iter()
                .zip(&ys)
                .map(|((k1, v1), (k2, v2))| k1.cmp(k2).then_with(|| compare(v1, v2)))
                .find(|o| o.is_ne())
                .unwrap_or_else(|| xs.len().cmp(&ys.len()))
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

/// An exact number, as serde_json stores it.
enum Num {
    Int(i128),
    Float(f64),
}

fn num(n: &serde_json::Number) -> Num {
    if let Some(i) = n.as_i64() {
        Num::Int(i.into())
    } else if let Some(u) = n.as_u64() {
        Num::Int(u.into())
    } else {
        // serde_json numbers are finite, so this is never NaN.
        Num::Float(n.as_f64().unwrap_or(0.0))
    }
}

/// Compares numbers by exact value.
pub fn compare_numbers(a: &serde_json::Number, b: &serde_json::Number) -> Ordering {
    match (num(a), num(b)) {
        (Num::Int(x), Num::Int(y)) => x.cmp(&y),
        (Num::Float(x), Num::Float(y)) => x.total_cmp(&y),
        (Num::Int(x), Num::Float(y)) => int_vs_float(x, y),
        (Num::Float(x), Num::Int(y)) => int_vs_float(y, x).reverse(),
    }
}

fn int_vs_float(i: i128, f: f64) -> Ordering {
    match (i as f64).total_cmp(&f) {
        // Equal as floats: `f` is integral and within i128 range, so this is exact.
        Ordering::Equal => i.cmp(&(f as i128)),
        o => o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::testutil::pure;
    use serde_json::json;

    #[test]
    fn last_of_a_list() {
        assert_eq!(
            pure("list.last", &[json!(["a", "b", "c"])]).unwrap(),
            json!("c")
        );
        assert_eq!(
            pure("list.last", &[json!([])]).unwrap_err().message,
            "list.last: the list is empty"
        );
        assert!(pure("list.last", &[json!({"a": 1})]).is_err());
    }

    #[test]
    fn len_of_lists_and_objects() {
        assert_eq!(
            pure("list.len", &[json!(["buy", "milk", "fix", "the", "bike"])]).unwrap(),
            json!(5)
        );
        assert_eq!(
            pure("list.len", &[json!({"a": 1, "b": 2})]).unwrap(),
            json!(2)
        );
        assert_eq!(pure("list.len", &[json!([])]).unwrap(), json!(0));
        let e = pure("list.len", &[json!("abc")]).unwrap_err();
        assert_eq!(
            e.message,
            "list.len needs a list or an object, found string"
        );
    }

    #[test]
    fn sort_numbers_before_strings() {
        let got = pure("list.sort", &[json!(["b", 10, "a", 2.5, -1, "B"])]).unwrap();
        assert_eq!(got, json!([-1, 2.5, 10, "B", "a", "b"]));
        let got = pure(
            "list.sort",
            &[json!([null, {"a": 1}, [2], [1, 5], [1], true, false, "x", 0])],
        )
        .unwrap();
        assert_eq!(
            got,
            json!([0, "x", false, true, [1], [1, 5], [2], {"a": 1}, null])
        );
        let e = pure("list.sort", &[json!({"a": 1})]).unwrap_err();
        assert_eq!(e.message, "list.sort needs a list, found object");
    }

    #[test]
    fn exact_number_order() {
        let big = json!(9_007_199_254_740_993_i64); // 2^53 + 1
        let f = json!(9_007_199_254_740_992.0_f64); // 2^53
        assert_eq!(compare(&big, &f), Ordering::Greater);
        assert_eq!(compare(&f, &big), Ordering::Less);
        assert_eq!(compare(&json!(1), &json!(1.0)), Ordering::Equal);
        assert_eq!(compare(&json!(u64::MAX), &json!(-1)), Ordering::Greater);
        // stable: equal numbers keep their order
        let got = pure("list.sort", &[json!([1.0, 1, 0])]).unwrap();
        assert_eq!(got.to_string(), "[0,1.0,1]");
    }

    #[test]
    fn objects_compare_by_sorted_entries() {
        assert_eq!(
            compare(&json!({"a": 1, "b": 2}), &json!({"a": 1, "c": 0})),
            Ordering::Less
        );
        assert_eq!(
            compare(&json!({"a": 1}), &json!({"a": 1, "b": 0})),
            Ordering::Less
        );
        assert_eq!(
            compare(&json!({"a": 2}), &json!({"a": 1, "b": 0})),
            Ordering::Greater
        );
    }
}
