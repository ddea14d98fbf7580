//! `text.*`: pure functions on text.
//!
//! `text.regex_find` keeps the last few compiled patterns in a small process-wide cache
//! (a trace usually runs the same pattern over many inputs); a miss compiles the pattern,
//! with the `regex` crate's default size limits.

use std::sync::Mutex;
use std::time::Duration;

use regex::Regex;

use super::registry::{Body, Builtin};
use super::{ToolCtx, ToolError, ToolResult, arg_list, arg_str};
use crate::value::{Value, kind_of};

/// Time limit of one pure tool call.
pub const TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) const TOOLS: &[Builtin] = &[
    Builtin {
        name: "text.lines",
        params: &["text"],
        timeout: TIMEOUT,
        body: Body::Ready(lines),
    },
    Builtin {
        name: "text.split",
        params: &["text", "sep"],
        timeout: TIMEOUT,
        body: Body::Ready(split),
    },
    Builtin {
        name: "text.join",
        params: &["items", "sep"],
        timeout: TIMEOUT,
        body: Body::Ready(join),
    },
    Builtin {
        name: "text.replace",
        params: &["text", "from", "to"],
        timeout: TIMEOUT,
        body: Body::Ready(replace),
    },
    Builtin {
        name: "text.regex_find",
        params: &["text", "pattern"],
        timeout: TIMEOUT,
        body: Body::Ready(regex_find),
    },
    Builtin {
        name: "text.trim",
        params: &["text"],
        timeout: TIMEOUT,
        body: Body::Ready(trim),
    },
    Builtin {
        name: "text.len",
        params: &["text"],
        timeout: TIMEOUT,
        body: Body::Ready(len),
    },
];

fn strings<'a>(it: impl Iterator<Item = &'a str>) -> Value {
    Value::Array(it.map(|s| Value::String(s.to_owned())).collect())
}

fn lines(_: &ToolCtx, args: &[Value]) -> ToolResult {
    // `str::lines` splits on `\n` and `\r\n` and yields no trailing empty line.
    Ok(strings(arg_str(args, 0, "text")?.lines()))
}

fn split(_: &ToolCtx, args: &[Value]) -> ToolResult {
    let text = arg_str(args, 0, "text")?;
    let sep = arg_str(args, 1, "sep")?;
    Ok(if sep.is_empty() {
        strings(text.split_whitespace())
    } else {
        strings(text.split(sep))
    })
}

fn join(_: &ToolCtx, args: &[Value]) -> ToolResult {
    let items = arg_list(args, 0, "items")?;
    let sep = arg_str(args, 1, "sep")?;
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        let Value::String(s) = item else {
            return Err(ToolError::bad_argument(format!(
                "text.join: item {i} is {}, not text",
                kind_of(item)
            )));
        };
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(s);
    }
    Ok(Value::String(out))
}

fn replace(_: &ToolCtx, args: &[Value]) -> ToolResult {
    let text = arg_str(args, 0, "text")?;
    let from = arg_str(args, 1, "from")?;
    let to = arg_str(args, 2, "to")?;
    if from.is_empty() {
        return Err(ToolError::bad_argument("text.replace: `from` is empty"));
    }
    Ok(Value::String(text.replace(from, to)))
}

/// The compiled form of `pattern`, from the cache or freshly compiled.
fn compiled(pattern: &str) -> Result<Regex, ToolError> {
    const CAPACITY: usize = 16;
    static CACHE: Mutex<Vec<Regex>> = Mutex::new(Vec::new());
    // A poisoned lock only means another call panicked mid-update of a plain Vec of
    // compiled patterns, which is still valid.
    let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(i) = cache.iter().position(|r| r.as_str() == pattern) {
        let re = cache.remove(i);
        cache.push(re.clone());
        return Ok(re);
    }
    let re = Regex::new(pattern)
        .map_err(|e| ToolError::bad_argument(format!("bad regular expression `{pattern}`: {e}")))?;
    if cache.len() >= CAPACITY {
        cache.remove(0);
    }
    cache.push(re.clone());
    Ok(re)
}

fn regex_find(_: &ToolCtx, args: &[Value]) -> ToolResult {
    let text = arg_str(args, 0, "text")?;
    let re = compiled(arg_str(args, 1, "pattern")?)?;
    Ok(strings(re.find_iter(text).map(|m| m.as_str())))
}

fn trim(_: &ToolCtx, args: &[Value]) -> ToolResult {
    Ok(Value::String(arg_str(args, 0, "text")?.trim().to_owned()))
}

fn len(_: &ToolCtx, args: &[Value]) -> ToolResult {
    Ok(Value::from(arg_str(args, 0, "text")?.chars().count()))
}

#[cfg(test)]
mod tests {
    use crate::tools::ToolErrorKind;
    use crate::tools::testutil::pure;
    use serde_json::json;

    #[test]
    fn lines() {
        assert_eq!(
            pure("text.lines", &[json!("a\nb\r\nc\n")]).unwrap(),
            json!(["a", "b", "c"])
        );
        assert_eq!(
            pure("text.lines", &[json!("a\n\nb")]).unwrap(),
            json!(["a", "", "b"])
        );
        assert_eq!(pure("text.lines", &[json!("")]).unwrap(), json!([]));
        assert_eq!(pure("text.lines", &[json!("\n")]).unwrap(), json!([""]));
    }

    #[test]
    fn split() {
        let t = "buy milk\nfix the bike\n";
        let got = pure("text.split", &[json!(t), json!("")]).unwrap();
        assert_eq!(got, json!(["buy", "milk", "fix", "the", "bike"]));
        assert_eq!(
            pure("text.split", &[json!("a  b"), json!(" ")]).unwrap(),
            json!(["a", "", "b"])
        );
        assert_eq!(
            pure("text.split", &[json!("a,b,"), json!(",")]).unwrap(),
            json!(["a", "b", ""])
        );
        assert_eq!(
            pure("text.split", &[json!("   "), json!("")]).unwrap(),
            json!([])
        );
        assert_eq!(
            pure("text.split", &[json!("a::b"), json!("::")]).unwrap(),
            json!(["a", "b"])
        );
    }

    #[test]
    fn join() {
        assert_eq!(
            pure("text.join", &[json!(["a", "b"]), json!("\n")]).unwrap(),
            json!("a\nb")
        );
        assert_eq!(
            pure("text.join", &[json!([]), json!(",")]).unwrap(),
            json!("")
        );
        let e = pure("text.join", &[json!(["a", 1]), json!(",")]).unwrap_err();
        assert_eq!(e.message, "text.join: item 1 is int, not text");
        let e = pure("text.join", &[json!("a"), json!(",")]).unwrap_err();
        assert_eq!(e.kind, ToolErrorKind::BadArgument);
    }

    #[test]
    fn replace() {
        let got = pure("text.replace", &[json!("a-b-c"), json!("-"), json!("+")]).unwrap();
        assert_eq!(got, json!("a+b+c"));
        let got = pure("text.replace", &[json!("aaa"), json!("aa"), json!("b")]).unwrap();
        assert_eq!(got, json!("ba"));
        let e = pure("text.replace", &[json!("a"), json!(""), json!("b")]).unwrap_err();
        assert_eq!(
            (e.kind, e.message.as_str()),
            (ToolErrorKind::BadArgument, "text.replace: `from` is empty")
        );
    }

    #[test]
    fn regex_find() {
        let got = pure("text.regex_find", &[json!("a1 b22 c333"), json!(r"\d+")]).unwrap();
        assert_eq!(got, json!(["1", "22", "333"]));
        // cached second use gives the same answer
        let got = pure("text.regex_find", &[json!("x9"), json!(r"\d+")]).unwrap();
        assert_eq!(got, json!(["9"]));
        assert_eq!(
            pure("text.regex_find", &[json!("abc"), json!("z")]).unwrap(),
            json!([])
        );
        let e = pure("text.regex_find", &[json!("abc"), json!("a(b")]).unwrap_err();
        assert_eq!(e.kind, ToolErrorKind::BadArgument);
        assert!(e.message.starts_with("bad regular expression `a(b`"), "{e}");
        // the cache evicts and still answers correctly
        for i in 0..40 {
            let got = pure(
                "text.regex_find",
                &[json!(format!("n{i}")), json!(format!("{i}$"))],
            )
            .unwrap();
            assert_eq!(got, json!([i.to_string()]));
        }
    }

    #[test]
    fn trim_and_len() {
        assert_eq!(
            pure("text.trim", &[json!("\t a b \n")]).unwrap(),
            json!("a b")
        );
        assert_eq!(pure("text.len", &[json!("héllo")]).unwrap(), json!(5));
        assert_eq!(pure("text.len", &[json!("")]).unwrap(), json!(0));
        let e = pure("text.len", &[json!(["a"])]).unwrap_err();
        assert_eq!(e.kind, ToolErrorKind::BadArgument);
    }
}
