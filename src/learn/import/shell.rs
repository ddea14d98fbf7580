//! `Bash` commands of the original traces as `shell.run` argv.
//!
//! A `Bash` command with no shell syntax is split into words by POSIX rules (blanks
//! separate words; `'...'` is literal; `"..."` allows `\"`, `\\`, `` \` `` and `\$`; a
//! backslash outside quotes escapes the next character). Anything that needs a shell
//! (operators `| & ; < > ( )`, `$`, backquotes, globs `* ? [ ]`, braces, `~`, `#`, `!`,
//! a newline, a leading `NAME=value`, an unterminated quote) runs as
//! `["sh", "-c", command]` instead.
//!
//! Absolute paths under the workspace root are rewritten relative to it, in the words
//! or in the `sh -c` text.

use std::path::Path;

use super::CallError;

/// The argv of a `Bash` command (see the module doc).
pub(super) fn shell_argv(command: &str, root: &Path) -> Result<Vec<String>, CallError> {
    if command.trim().is_empty() {
        return Err(CallError::EmptyCommand);
    }
    let root = root.to_string_lossy();
    let root = root.trim_end_matches('/');
    Ok(match split_words(command) {
        Some(words) => words
            .into_iter()
            .map(|w| relativize_text(&w, root))
            .collect(),
        None => vec!["sh".into(), "-c".into(), relativize_text(command, root)],
    })
}

/// Rewrites `root/x` to `x` and a bare `root` to `.` wherever the root stands as a whole
/// path (not `/work` inside `/workspace`).
fn relativize_text(text: &str, root: &str) -> String {
    if root.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(root) {
        let before = rest[..i].chars().next_back();
        let after_idx = i + root.len();
        let after = rest[after_idx..].chars().next();
        let starts_path = before.is_none_or(|c| !is_path_char(c));
        out.push_str(&rest[..i]);
        match after {
            Some('/') if starts_path => rest = &rest[after_idx + 1..],
            None if starts_path => {
                out.push('.');
                rest = "";
            }
            Some(c) if starts_path && !is_path_char(c) => {
                out.push('.');
                rest = &rest[after_idx..];
            }
            _ => {
                out.push_str(root);
                rest = &rest[after_idx..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_path_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '~' | '+' | '@')
}

/// POSIX word splitting of a command without shell syntax; `None` when it needs a shell.
fn split_words(command: &str) -> Option<Vec<String>> {
    const NEEDS_SHELL: &str = "|&;<>()$`*?[]{}~#!\n";
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '$' | '`' => return None,
                        '\\' => match chars.next()? {
                            c @ ('"' | '\\' | '$' | '`') => word.push(c),
                            '\n' => {}
                            c => {
                                word.push('\\');
                                word.push(c);
                            }
                        },
                        c => word.push(c),
                    }
                }
            }
            '\\' => match chars.next()? {
                '\n' => {}
                c => {
                    in_word = true;
                    word.push(c);
                }
            },
            c if NEEDS_SHELL.contains(c) => return None,
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    // `NAME=value cmd` sets a variable: a shell job.
    let first = words.first()?;
    let assigns = first.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    });
    if assigns && !command.trim_start().starts_with(['\'', '"']) {
        return None;
    }
    Some(words)
}
