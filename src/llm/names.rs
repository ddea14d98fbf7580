//! Tool names on the wire. The APIs accept tool names matching `^[a-zA-Z0-9_-]{1,64}$`;
//! llmos names are identifiers `[a-z_][a-z0-9_]*` joined by `.` (`fs.read`). Since `-`
//! never occurs in an llmos name, `.` <-> `-` maps one to one: `fs.read` is `fs-read` on
//! the wire, and `fs-read` decodes back to `fs.read`.

use std::fmt;

use super::{LlmError, ToolSpec};

/// The longest tool name the APIs accept.
pub const MAX_API_NAME: usize = 64;

/// Whether `name` is an llmos tool name: identifiers `[a-z_][a-z0-9_]*` joined by `.`.
pub fn is_llmos_name(name: &str) -> bool {
    !name.is_empty() && name.split('.').all(is_ident)
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('a'..='z' | '_'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

/// Whether `name` is a legal API tool name (`^[a-zA-Z0-9_-]{1,64}$`).
pub fn is_api_name(name: &str) -> bool {
    (1..=MAX_API_NAME).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The API name of an llmos tool name: `fs.read` -> `fs-read`.
pub fn to_api(name: &str) -> Result<String, LlmError> {
    let bad = |reason: &str| LlmError::ToolName {
        name: name.to_string(),
        reason: reason.into(),
    };
    if !is_llmos_name(name) {
        return Err(bad("not identifiers `[a-z_][a-z0-9_]*` joined by `.`"));
    }
    let api = name.replace('.', "-");
    if api.len() > MAX_API_NAME {
        return Err(bad(&format!("longer than {MAX_API_NAME} characters")));
    }
    Ok(api)
}

/// The llmos name an API name stands for (`fs-read` -> `fs.read`), or `None` when the
/// name is not one [`to_api`] can produce.
pub fn from_api(api: &str) -> Option<String> {
    let name = api.replace('-', ".");
    (is_api_name(api) && is_llmos_name(&name)).then_some(name)
}

/// The name to put on the wire for a tool call already in the conversation: the API name
/// of an llmos name, or a name the API itself sent that decodes to none (kept as it was).
pub(crate) fn wire_name(name: &str) -> Result<String, LlmError> {
    if is_llmos_name(name) {
        to_api(name)
    } else if is_api_name(name) {
        Ok(name.to_string())
    } else {
        Err(LlmError::ToolName {
            name: name.to_string(),
            reason: "neither an llmos tool name nor a legal API tool name".into(),
        })
    }
}

/// The name to report for a tool call the API sent: its llmos name when it decodes to
/// one, else the name as sent (which then names no known tool).
pub(crate) fn from_wire(api: &str) -> String {
    from_api(api).unwrap_or_else(|| api.to_string())
}

/// A tool call naming a tool the request did not offer. Its text is meant to be sent back
/// to the LLM as the tool result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownTool {
    /// The name the LLM used.
    pub name: String,
    /// The closest offered name, when one is close.
    pub suggestion: Option<String>,
    /// Every offered tool name, in request order.
    pub known: Vec<String>,
}

impl fmt::Display for UnknownTool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown tool `{}`.", self.name)?;
        if let Some(s) = &self.suggestion {
            write!(f, " Did you mean `{s}`?")?;
        }
        if self.known.is_empty() {
            f.write_str(" No tools are available.")
        } else {
            write!(f, " Available tools: {}.", self.known.join(", "))
        }
    }
}

impl std::error::Error for UnknownTool {}

/// The offered tool named `name` (an llmos name, or the API name of one).
pub fn find_tool<'a>(tools: &'a [ToolSpec], name: &str) -> Result<&'a ToolSpec, UnknownTool> {
    if let Some(t) = tools.iter().find(|t| t.name == name || t.api_name == name) {
        return Ok(t);
    }
    let suggestion = tools
        .iter()
        .map(|t| (strsim::jaro_winkler(&t.name, name), &t.name))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n.clone());
    Err(UnknownTool {
        name: name.to_string(),
        suggestion,
        known: tools.iter().map(|t| t.name.clone()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for name in ["fs.read", "text.regex_find", "_a.b_2.c", "x"] {
            let api = to_api(name).unwrap();
            assert!(is_api_name(&api), "{api}");
            assert_eq!(from_api(&api).as_deref(), Some(name));
            assert_eq!(wire_name(&from_wire(&api)).unwrap(), api);
        }
    }

    #[test]
    fn unmappable_names() {
        for bad in [
            "",
            "fs..read",
            "Fs.read",
            "fs.read-all",
            "fs.1read",
            "fs read",
            "fs.read.",
        ] {
            let e = to_api(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("`{bad}`")), "{e}");
        }
        let long = format!("a.{}", "b".repeat(63));
        assert!(
            to_api(&long)
                .unwrap_err()
                .to_string()
                .contains("longer than 64")
        );
        assert_eq!(from_api("multi_tool_use.parallel"), None);
        assert_eq!(from_api("Read"), None);
        assert_eq!(from_api("fs--read"), None);
        assert_eq!(from_wire("Read"), "Read");
        assert_eq!(wire_name("Read").unwrap(), "Read");
        assert!(wire_name("multi tool").is_err());
    }
}
