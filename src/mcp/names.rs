//! MCP names to llt identifiers: a server's tool and parameter names (`get-sum`,
//! `longRunningOperation`, `maxTokens`) become `[a-z_][a-z0-9_]*` (`get_sum`,
//! `long_running_operation`, `max_tokens`); the original name is what goes on the wire.

/// Words the trace language reserves (and the ones it is about to): a name equal to one
/// gets a `_` appended.
const RESERVED: &[&str] = &[
    "let", "param", "return", "ask", "true", "false", "null", "for", "in", "if", "else", "expect",
];

/// The llt identifier of an MCP name; `None` when nothing of it is left (no letter or
/// digit at all).
pub fn to_ident(name: &str) -> Option<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_alphanumeric() {
            let prev = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
            let next = chars.get(i + 1).copied();
            // A word starts at an upper-case letter after a lower-case letter or digit
            // (`runningOp`), or before a lower-case one in a run of capitals (`HTTPServer`).
            let boundary = c.is_ascii_uppercase()
                && match prev {
                    Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                    Some(p) if p.is_ascii_uppercase() => {
                        next.is_some_and(|n| n.is_ascii_lowercase())
                    }
                    _ => false,
                };
            if boundary && !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    if out.is_empty() {
        return None;
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if RESERVED.contains(&out.as_str()) {
        out.push('_');
    }
    Some(out)
}

/// Whether `name` can name an MCP server in `config.toml` (it becomes the tools'
/// namespace): an identifier `[a-z_][a-z0-9_]*` that is not a reserved word.
pub fn is_server_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z' | '_'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
        && !RESERVED.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_identifiers() {
        for (mcp, llt) in [
            ("get-sum", "get_sum"),
            ("longRunningOperation", "long_running_operation"),
            (
                "trigger-long-running-operation",
                "trigger_long_running_operation",
            ),
            ("read_text_file", "read_text_file"),
            ("maxTokens", "max_tokens"),
            ("HTTPServer", "http_server"),
            ("getHTTP2Response", "get_http2_response"),
            ("a.b c", "a_b_c"),
            ("--x--", "x"),
            ("2fa", "_2fa"),
            ("return", "return_"),
            ("Ünïcode", "n_code"),
        ] {
            assert_eq!(to_ident(mcp).as_deref(), Some(llt), "{mcp}");
        }
        assert_eq!(to_ident("--"), None);
        assert_eq!(to_ident(""), None);
    }

    #[test]
    fn server_names() {
        assert!(is_server_name("everything"));
        assert!(is_server_name("fs_2"));
        assert!(!is_server_name("File-System"));
        assert!(!is_server_name("2fs"));
        assert!(!is_server_name("let"));
    }
}
