//! Claude Code tool calls of the original llmos, mapped to built-in llmos tools.
//!
//! | Claude Code call | llmos steps |
//! | --- | --- |
//! | `Read {file_path}` | `fs.read {path}` |
//! | `Write {file_path, content}` | `fs.write {path, content}` |
//! | `Edit {file_path, old_string, new_string}` | `fs.read`, `text.replace {text: <read>, from, to}`, `fs.write {path, content: <replaced>}` |
//! | `MultiEdit {file_path, edits}` | `fs.read`, one `text.replace` per edit, `fs.write` |
//! | `Bash {command}` | `shell.run {argv}` |
//! | `Glob {pattern, path}` | `fs.glob {pattern}` (`path/pattern` when a path is given) |
//! | `LS {path}` | `fs.list {dir}` |
//! | `WebFetch {url}` | `http.get {url}` |
//! | `Grep {pattern, path: <one file>}` | `fs.read`, `text.regex_find {text: <read>, pattern}` |
//! | `fs.read`, ... (already llmos names) | unchanged |
//!
//! `<read>` is a step reference ([`step_ref`]): the original traces hold no results, so
//! the data flow of one Claude call split into several steps is written out explicitly.
//!
//! `Edit` replaces every occurrence: Claude's `Edit` fails unless `old_string` is unique
//! (or `replace_all` is set), so on a call that worked both agree.
//!
//! `Bash` commands become an argv as described in [`super::shell`].
//!
//! `Grep` is imported only when `path` names a single file (its last component has an
//! extension and there is no `glob`/`type` filter): `-i` becomes `(?i)`, `multiline` becomes
//! `(?s)`, and `(?m)` keeps `^`/`$` matching at line ends as ripgrep does. A search over a
//! folder would need a loop over `fs.glob`, which a flat recording cannot say: it is
//! reported as an error.
//!
//! Arguments that only shape what the LLM was shown (`Read` `offset`/`limit`, `LS`
//! `ignore`, `Grep` `output_mode`/`-n`/`-A`/`-B`/`-C`/`head_limit`, `WebFetch` `prompt`,
//! `Bash` `timeout`) are dropped with a note: the mapped call returns a superset of the same
//! data. `Bash` `description` is a label and is dropped without one. Any other unknown
//! argument, and `Bash` `run_in_background`, is an error.
//!
//! Paths are made relative to the workspace root by [`super::paths`].

use std::path::Path;

use indexmap::IndexMap;
use serde_json::Map;

use super::CallError;
use super::paths::relative_path;
use super::shell::shell_argv;
use crate::learn::recording::{RecStep, step_ref};
use crate::value::Value;

/// Steps and notes produced so far for one trace.
pub(super) struct Mapper<'a> {
    pub(super) root: &'a Path,
    pub(super) steps: Vec<RecStep>,
    /// Things dropped on purpose, reported in the recording's `import_notes`.
    pub(super) notes: Vec<String>,
}

/// The arguments of one call, checked off as they are used.
struct Args<'a> {
    map: &'a Map<String, Value>,
    seen: Vec<&'static str>,
}

impl<'a> Args<'a> {
    fn str(&mut self, key: &'static str) -> Result<&'a str, CallError> {
        self.seen.push(key);
        match self.map.get(key) {
            Some(Value::String(s)) => Ok(s),
            Some(other) => Err(CallError::WrongType {
                key,
                what: "a string",
                found: other.to_string(),
            }),
            None => Err(CallError::Missing(key)),
        }
    }

    fn opt_str(&mut self, key: &'static str) -> Result<Option<&'a str>, CallError> {
        match self.map.get(key) {
            None | Some(Value::Null) => {
                self.seen.push(key);
                Ok(None)
            }
            Some(_) => self.str(key).map(Some),
        }
    }

    fn flag(&mut self, key: &'static str) -> Result<bool, CallError> {
        self.seen.push(key);
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(CallError::WrongType {
                key,
                what: "a boolean",
                found: other.to_string(),
            }),
        }
    }

    fn get(&mut self, key: &'static str) -> Option<&'a Value> {
        self.seen.push(key);
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// The names of the given arguments that are present, marked as seen.
    fn present(&mut self, keys: &[&'static str]) -> Vec<&'static str> {
        self.seen.extend_from_slice(keys);
        keys.iter()
            .copied()
            .filter(|k| self.map.get(*k).is_some_and(|v| !v.is_null()))
            .collect()
    }

    /// An error for any argument not looked at.
    fn finish(self) -> Result<(), CallError> {
        let unknown: Vec<String> = self
            .map
            .keys()
            .filter(|k| !self.seen.contains(&k.as_str()))
            .cloned()
            .collect();
        match unknown.is_empty() {
            true => Ok(()),
            false => Err(CallError::UnknownArgs(unknown)),
        }
    }
}

fn args(pairs: Vec<(&str, Value)>) -> IndexMap<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

impl Mapper<'_> {
    fn push(&mut self, tool: &str, pairs: Vec<(&str, Value)>) -> usize {
        self.steps.push(RecStep {
            tool: tool.to_string(),
            args: args(pairs),
            result: None,
            error: None,
        });
        self.steps.len() - 1
    }

    fn note_dropped(&mut self, step: usize, tool: &str, dropped: &[&str], why: &str) {
        if !dropped.is_empty() {
            self.notes.push(format!(
                "step {step} ({tool}): dropped `{}`: {why}",
                dropped.join("`, `")
            ));
        }
    }

    /// Appends the steps for call number `step` (1-based, for notes). The error says what
    /// is wrong with the call; the caller names the trace, step and tool.
    pub(super) fn map_call(
        &mut self,
        step: usize,
        tool: &str,
        map: &Map<String, Value>,
    ) -> Result<(), CallError> {
        let mut a = Args {
            map,
            seen: Vec::new(),
        };
        match tool {
            "Read" => {
                let path = self.path(a.str("file_path")?)?;
                let dropped = a.present(&["offset", "limit"]);
                a.finish()?;
                self.note_dropped(step, tool, &dropped, "fs.read reads the whole file");
                self.push("fs.read", vec![("path", path.into())]);
            }
            "Write" => {
                let path = self.path(a.str("file_path")?)?;
                let content = a.str("content")?;
                a.finish()?;
                self.push(
                    "fs.write",
                    vec![("path", path.into()), ("content", content.into())],
                );
            }
            "Edit" => {
                let path = self.path(a.str("file_path")?)?;
                let edit = (a.str("old_string")?, a.str("new_string")?);
                a.flag("replace_all")?;
                a.finish()?;
                self.edit(&path, &[edit]);
            }
            "MultiEdit" => {
                let path = self.path(a.str("file_path")?)?;
                let edits = multi_edits(a.get("edits"))?;
                a.finish()?;
                self.edit(&path, &edits);
            }
            "Bash" => {
                let command = a.str("command")?;
                a.opt_str("description")?;
                if a.flag("run_in_background")? {
                    return Err(CallError::Background);
                }
                let dropped = a.present(&["timeout"]);
                a.finish()?;
                self.note_dropped(step, tool, &dropped, "shell.run has its own time limit");
                let argv = shell_argv(command, self.root)?;
                let argv = argv.into_iter().map(Value::from).collect();
                self.push("shell.run", vec![("argv", Value::Array(argv))]);
            }
            "Glob" => {
                let pattern = a.str("pattern")?;
                let base = a.opt_str("path")?.map(|p| self.path(p)).transpose()?;
                a.finish()?;
                let pattern = self.glob_pattern(pattern, base.as_deref())?;
                self.push("fs.glob", vec![("pattern", pattern.into())]);
            }
            "LS" => {
                let dir = self.path(a.str("path")?)?;
                let dropped = a.present(&["ignore"]);
                a.finish()?;
                self.note_dropped(step, tool, &dropped, "fs.list lists every entry");
                self.push("fs.list", vec![("dir", dir.into())]);
            }
            "WebFetch" => {
                let url = a.str("url")?;
                let dropped = a.present(&["prompt"]);
                a.finish()?;
                self.note_dropped(step, tool, &dropped, "http.get returns the page itself");
                self.push("http.get", vec![("url", url.into())]);
            }
            "Grep" => self.grep(step, a)?,
            name if is_llmos_name(name) => {
                self.steps.push(RecStep {
                    tool: name.to_string(),
                    args: map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                    result: None,
                    error: None,
                });
            }
            name => return Err(CallError::NoCounterpart(name.to_owned())),
        }
        Ok(())
    }

    fn edit(&mut self, path: &str, edits: &[(&str, &str)]) {
        let mut text = self.push("fs.read", vec![("path", path.into())]);
        for (from, to) in edits {
            text = self.push(
                "text.replace",
                vec![
                    ("text", step_ref(text)),
                    ("from", (*from).into()),
                    ("to", (*to).into()),
                ],
            );
        }
        self.push(
            "fs.write",
            vec![("path", path.into()), ("content", step_ref(text))],
        );
    }

    fn grep(&mut self, step: usize, mut a: Args<'_>) -> Result<(), CallError> {
        let pattern = a.str("pattern")?;
        let path = a.opt_str("path")?;
        let filters = a.present(&["glob", "type"]);
        let insensitive = a.flag("-i")?;
        let multiline = a.flag("multiline")?;
        let dropped = a.present(&["output_mode", "-n", "-A", "-B", "-C", "head_limit"]);
        a.finish()?;
        let file = match path {
            Some(p) if filters.is_empty() && names_a_file(p) => self.path(p)?,
            _ => return Err(CallError::GrepOverFolder),
        };
        self.note_dropped(
            step,
            "Grep",
            &dropped,
            "text.regex_find returns the matches",
        );
        let flags = format!(
            "(?m{}{})",
            if insensitive { "i" } else { "" },
            if multiline { "s" } else { "" }
        );
        let read = self.push("fs.read", vec![("path", file.into())]);
        self.push(
            "text.regex_find",
            vec![
                ("text", step_ref(read)),
                ("pattern", format!("{flags}{pattern}").into()),
            ],
        );
        Ok(())
    }

    fn glob_pattern(&self, pattern: &str, base: Option<&str>) -> Result<String, CallError> {
        let pattern = if Path::new(pattern).is_absolute() {
            self.path(pattern)?
        } else {
            pattern.into()
        };
        Ok(match base {
            Some(b) if b != "." => format!("{}/{pattern}", b.trim_end_matches('/')),
            _ => pattern,
        })
    }

    /// A path of the trace as a path relative to the workspace root.
    fn path(&self, p: &str) -> Result<String, CallError> {
        relative_path(p, self.root)
    }
}

/// `fs.read`, `text.replace`, ...: a name that is already an llmos tool name.
fn is_llmos_name(name: &str) -> bool {
    let mut parts = name.split('.');
    let ok = |s: Option<&str>| {
        s.is_some_and(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
    };
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

fn names_a_file(p: &str) -> bool {
    if p.ends_with('/') {
        return false;
    }
    Path::new(p)
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.rfind('.').is_some_and(|i| i > 0 && i + 1 < n.len()))
}

fn multi_edits(v: Option<&Value>) -> Result<Vec<(&str, &str)>, CallError> {
    let Some(Value::Array(items)) = v else {
        return Err(CallError::EditsNotAList);
    };
    if items.is_empty() {
        return Err(CallError::NoEdits);
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let field = |k: &str| item.get(k).and_then(Value::as_str);
            match (field("old_string"), field("new_string")) {
                (Some(from), Some(to)) => Ok((from, to)),
                _ => Err(CallError::IncompleteEdit(i + 1)),
            }
        })
        .collect()
}
