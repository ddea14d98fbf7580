//! What each tool argument carries, which decides what the compiler may do with it:
//!
//! - **data**: a value passed on (`text`, `items`, `values`, `value`, `table`); normally an
//!   earlier result, so a goal word inside it is no evidence of a param;
//! - **prose**: text the LLM writes for people or programs (`content` of a file write,
//!   `stdin`); like data, and the only kind that may become an `ask` slot;
//! - **configuration**: everything else (paths, patterns, separators, keys, URLs, argv):
//!   what the call does. Goal values found here are params; it never becomes a slot.

/// The kind of a tool argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Config,
    Data,
    Prose,
}

/// The role of argument `param` of `tool`.
pub fn role(tool: &str, param: &str) -> Role {
    match (tool, param) {
        ("fs.write" | "fs.append", "content") | ("shell.run", "stdin") => Role::Prose,
        (_, "text" | "items" | "values" | "value" | "table" | "content" | "stdin") => Role::Data,
        _ => Role::Config,
    }
}

/// Whether a call of `tool` is made for its effect on the workspace, so that nothing
/// needs to use its result.
pub fn for_effect(tool: &str) -> bool {
    matches!(tool, "fs.write" | "fs.append")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_of_common_arguments() {
        assert_eq!(role("fs.write", "content"), Role::Prose);
        assert_eq!(role("fs.write", "path"), Role::Config);
        assert_eq!(role("text.regex_find", "text"), Role::Data);
        assert_eq!(role("text.regex_find", "pattern"), Role::Config);
        assert_eq!(role("json.get", "path"), Role::Config);
        assert_eq!(role("json.get", "value"), Role::Data);
        assert_eq!(role("shell.run", "argv"), Role::Config);
        assert_eq!(role("shell.run", "stdin"), Role::Prose);
    }
}
