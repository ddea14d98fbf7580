//! `text.*`: pure functions on text.
//!
//! `text.regex_find` keeps the last few compiled patterns in a small process-wide cache
//! (a trace usually runs the same pattern over many inputs); a miss compiles the pattern,
//! refusing one whose compiled form exceeds [`REGEX_SIZE_LIMIT`]. The `regex` crate
//! searches in time linear in the text, but the factor grows with the pattern: a
//! pattern within that limit can still take a minute over a few hundred kilobytes, so
//! on large texts the search runs on a worker thread that time limits abandon.

use std::sync::Mutex;
use std::time::Duration;

use regex::{Regex, RegexBuilder};

use super::registry::{Body, Builtin, Offload};
use super::work::Work;
use super::{Budget, ToolCtx, ToolError, ToolResult, arg_list, arg_str};
use crate::value::{Value, kind_of};

/// Time limit of one pure tool call.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The largest compiled pattern `text.regex_find` accepts, in bytes (the `regex` crate's
/// own default is 10 MiB).
pub const REGEX_SIZE_LIMIT: usize = 2 << 20;

pub(crate) const TOOLS: &[Builtin] = &[
    Builtin {
        name: "text.lines",
        params: &["text"],
        timeout: TIMEOUT,
        body: Body::Work(lines, Offload::Large),
    },
    Builtin {
        name: "text.split",
        params: &["text", "sep"],
        timeout: TIMEOUT,
        body: Body::Work(split, Offload::Large),
    },
    Builtin {
        name: "text.join",
        params: &["items", "sep"],
        timeout: TIMEOUT,
        body: Body::Work(join, Offload::Large),
    },
    Builtin {
        name: "text.replace",
        params: &["text", "from", "to"],
        timeout: TIMEOUT,
        body: Body::Work(replace, Offload::Large),
    },
    Builtin {
        name: "text.regex_find",
        params: &["text", "pattern"],
        timeout: TIMEOUT,
        body: Body::Work(regex_find, Offload::Large),
    },
    Builtin {
        name: "text.trim",
        params: &["text"],
        timeout: TIMEOUT,
        body: Body::Work(trim, Offload::Large),
    },
    Builtin {
        name: "text.len",
        params: &["text"],
        timeout: TIMEOUT,
        body: Body::Work(len, Offload::Large),
    },
];

/// The pieces as a list of strings, within the value limit.
fn strings<'a>(ctx: &ToolCtx, it: impl Iterator<Item = &'a str>, work: &Work<'_>) -> ToolResult {
    let mut budget = Budget::new(ctx);
    let mut out = Vec::new();
    for (i, s) in it.enumerate() {
        budget.element(s.len())?;
        if i % 4096 == 4095 {
            work.check()?;
        }
        out.push(Value::String(s.to_owned()));
    }
    Ok(Value::Array(out))
}

fn lines(ctx: &ToolCtx, args: &[Value], work: &Work<'_>) -> ToolResult {
    // `str::lines` splits on `\n` and `\r\n` and yields no trailing empty line.
    strings(ctx, arg_str(args, 0, "text")?.lines(), work)
}

fn split(ctx: &ToolCtx, args: &[Value], work: &Work<'_>) -> ToolResult {
    let text = arg_str(args, 0, "text")?;
    let sep = arg_str(args, 1, "sep")?;
    if sep.is_empty() {
        strings(ctx, text.split_whitespace(), work)
    } else {
        strings(ctx, text.split(sep), work)
    }
}

fn join(ctx: &ToolCtx, args: &[Value], _: &Work<'_>) -> ToolResult {
    let items = arg_list(args, 0, "items")?;
    let sep = arg_str(args, 1, "sep")?;
    let mut budget = Budget::new(ctx);
    for item in items {
        budget.add(item.as_str().map_or(0, str::len) as u64 + sep.len() as u64)?;
    }
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

fn replace(ctx: &ToolCtx, args: &[Value], _: &Work<'_>) -> ToolResult {
    let text = arg_str(args, 0, "text")?;
    let from = arg_str(args, 1, "from")?;
    let to = arg_str(args, 2, "to")?;
    if from.is_empty() {
        return Err(ToolError::bad_argument("text.replace: `from` is empty"));
    }
    if to.len() > from.len() {
        let n = text.matches(from).count() as u64;
        let grows = n.saturating_mul((to.len() - from.len()) as u64);
        Budget::new(ctx).add((text.len() as u64).saturating_add(grows))?;
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
    let re = RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| ToolError::bad_argument(format!("bad regular expression `{pattern}`: {e}")))?;
    if cache.len() >= CAPACITY {
        cache.remove(0);
    }
    cache.push(re.clone());
    Ok(re)
}

fn regex_find(ctx: &ToolCtx, args: &[Value], work: &Work<'_>) -> ToolResult {
    let text = arg_str(args, 0, "text")?;
    let re = compiled(arg_str(args, 1, "pattern")?)?;
    strings(ctx, re.find_iter(text).map(|m| m.as_str()), work)
}

fn trim(_: &ToolCtx, args: &[Value], _: &Work<'_>) -> ToolResult {
    Ok(Value::String(arg_str(args, 0, "text")?.trim().to_owned()))
}

fn len(_: &ToolCtx, args: &[Value], _: &Work<'_>) -> ToolResult {
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
