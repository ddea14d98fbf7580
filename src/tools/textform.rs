//! `text.*` tools that change the form of a value: case, regex escaping, the trailing
//! white space, a number's decimals. The recording compiler links a value the LLM passed
//! in such a form to where it came from through these tools, so the plain functions are
//! public too.

use super::registry::{Body, Builtin, Offload};
use super::text::TIMEOUT;
use super::work::Work;
use super::{ToolCtx, ToolError, ToolResult, arg, arg_str};
use crate::value::{Value, kind_of};

/// The most decimals `text.format_number` writes.
pub const MAX_DECIMALS: i64 = 12;

pub(crate) const TOOLS: &[Builtin] = &[
    Builtin {
        name: "text.trim_end",
        params: &["text"],
        timeout: TIMEOUT,
        body: Body::Work(trim_end, Offload::Large),
    },
    Builtin {
        name: "text.lower",
        params: &["text"],
        timeout: TIMEOUT,
        body: Body::Work(lower, Offload::Large),
    },
    Builtin {
        name: "text.upper",
        params: &["text"],
        timeout: TIMEOUT,
        body: Body::Work(upper, Offload::Large),
    },
    Builtin {
        name: "text.regex_escape",
        params: &["text"],
        timeout: TIMEOUT,
        body: Body::Work(escape, Offload::Large),
    },
    Builtin {
        name: "text.format_number",
        params: &["value", "decimals"],
        timeout: TIMEOUT,
        body: Body::Ready(format_number_tool),
    },
];

/// The text, as one changes it: `text.trim_end`, `text.lower`, ... (linear in the text,
/// so run on a worker thread when it is large).
fn text_form(args: &[Value], f: impl FnOnce(&str) -> String) -> ToolResult {
    Ok(Value::String(f(arg_str(args, 0, "text")?)))
}

fn trim_end(_: &ToolCtx, args: &[Value], _: &Work<'_>) -> ToolResult {
    text_form(args, |t| t.trim_end().to_owned())
}

fn lower(_: &ToolCtx, args: &[Value], _: &Work<'_>) -> ToolResult {
    text_form(args, str::to_lowercase)
}

fn upper(_: &ToolCtx, args: &[Value], _: &Work<'_>) -> ToolResult {
    text_form(args, str::to_uppercase)
}

fn escape(_: &ToolCtx, args: &[Value], _: &Work<'_>) -> ToolResult {
    text_form(args, regex_escape)
}

/// `text` with every regex metacharacter escaped (the `regex` crate's rules).
pub fn regex_escape(text: &str) -> String {
    regex::escape(text)
}

/// `x` with exactly `decimals` digits after the point.
pub fn format_number(x: f64, decimals: usize) -> String {
    format!("{x:.decimals$}")
}

fn format_number_tool(_: &ToolCtx, args: &[Value]) -> ToolResult {
    let value = arg(args, 0, "value")?;
    let x = value.as_f64().ok_or_else(|| {
        ToolError::bad_argument(format!(
            "text.format_number: `value` must be a number, found {}",
            kind_of(value)
        ))
    })?;
    let decimals = arg(args, 1, "decimals")?
        .as_i64()
        .filter(|d| (0..=MAX_DECIMALS).contains(d))
        .ok_or_else(|| {
            ToolError::bad_argument(format!(
                "text.format_number: `decimals` must be an integer from 0 to {MAX_DECIMALS}"
            ))
        })?;
    Ok(Value::String(format_number(x, decimals as usize)))
}

#[cfg(test)]
mod tests {
    use crate::tools::ToolErrorKind;
    use crate::tools::testutil::pure;
    use serde_json::json;

    #[test]
    fn case_and_trim_end() {
        assert_eq!(
            pure("text.lower", &[json!("ÉRROR x")]).unwrap(),
            json!("érror x")
        );
        assert_eq!(pure("text.upper", &[json!("warn")]).unwrap(), json!("WARN"));
        assert_eq!(
            pure("text.trim_end", &[json!("  a b \n\n")]).unwrap(),
            json!("  a b")
        );
    }

    #[test]
    fn regex_escape_matches_literally() {
        let got = pure("text.regex_escape", &[json!("site.org (v1)*")]).unwrap();
        assert_eq!(got, json!(r"site\.org \(v1\)\*"));
        let re = regex::Regex::new(got.as_str().unwrap()).unwrap();
        assert!(re.is_match("at site.org (v1)* now"));
        assert!(!re.is_match("siteXorg (v1)*"));
    }

    #[test]
    fn format_number_rounds_to_fixed_decimals() {
        let f = |x: serde_json::Value, d: i64| pure("text.format_number", &[x, json!(d)]);
        assert_eq!(f(json!(97.3333), 2).unwrap(), json!("97.33"));
        assert_eq!(f(json!(97), 1).unwrap(), json!("97.0"));
        assert_eq!(f(json!(2.5), 0).unwrap(), json!("2"));
        assert_eq!(f(json!(-0.126), 2).unwrap(), json!("-0.13"));
        let e = f(json!(1), 13).unwrap_err();
        assert_eq!(e.kind, ToolErrorKind::BadArgument);
        let e = f(json!("1"), 1).unwrap_err();
        assert!(e.message.contains("must be a number, found"), "{e}");
    }
}
