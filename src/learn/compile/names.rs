//! Names in a compiled recording: params, steps, slots and inserted steps share one
//! namespace, so none can shadow or collide with another.

use foldhash::{HashMap, HashSet};

use super::params::{Candidate, Kind};
use crate::types::Type;

/// Words of the language that cannot name a param, a step or a slot.
const KEYWORDS: &[&str] = &[
    "trace", "goal", "param", "let", "return", "ask", "tool", "true", "false", "null", "for", "in",
    "if", "else", "expect", "and", "or", "not",
];

/// Nouns that, next to a goal value, say what it is (`the amount column`, `level ERROR`).
const ROLE_NOUNS: &[&str] = &[
    "column",
    "field",
    "key",
    "level",
    "word",
    "status",
    "code",
    "extension",
    "name",
    "tag",
    "label",
    "user",
    "term",
    "category",
    "type",
    "header",
    "property",
    "prefix",
    "suffix",
    "keyword",
    "phrase",
    "value",
    "id",
    "language",
    "domain",
    "host",
    "method",
    "country",
    "city",
    "region",
    "color",
    "kind",
    "mode",
    "format",
    "unit",
    "severity",
    "priority",
    "topic",
    "author",
    "title",
    "section",
    "table",
    "folder",
    "directory",
    "dir",
    "branch",
    "pattern",
    "string",
    "text",
    "version",
    "attribute",
    "product",
    "item",
];

/// Hands out unique names.
#[derive(Default)]
pub struct Namer {
    /// Never iterated (so a hash set cannot change what is printed).
    taken: HashSet<String>,
    /// The first suffix not yet tried for each base: a recording of 100,000 steps of one
    /// tool must not try `_2`, `_3`, ... again for every one of them.
    next: HashMap<String, usize>,
}

impl Namer {
    /// `base`, or `base_2`, `base_3`, ... when taken; never a keyword.
    pub fn take(&mut self, base: &str) -> String {
        let base = identifier(base);
        let mut name = base.clone();
        let next = self.next.get_mut(&base);
        let mut n = next.as_deref().copied().unwrap_or(2);
        while self.taken.contains(&name) || KEYWORDS.contains(&name.as_str()) {
            name = format!("{base}_{n}");
            n += 1;
        }
        match next {
            Some(next) => *next = n,
            None => {
                self.next.insert(base, n);
            }
        }
        self.taken.insert(name.clone());
        name
    }
}

/// `base` as an identifier (`[a-z_][a-z0-9_]*`).
fn identifier(base: &str) -> String {
    let mut s: String = base
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() { c } else { '_' }
        })
        .collect();
    if !s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
        s.insert(0, 'v');
    }
    s
}

/// Where a goal value was first found.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    pub tool: String,
    pub arg: String,
    /// As the whole argument (or a whole element of one).
    pub whole: bool,
    /// Right before a `/`: a folder.
    pub folder: bool,
}

/// A param's name: the role of a whole argument (`input`, `output`, `url`), else a role
/// noun next to it in the goal, else what it is in the argument.
pub fn param_name(
    found: &Found,
    c: &Candidate,
    before: Option<&str>,
    after: Option<&str>,
) -> String {
    let (tool, arg) = (found.tool.as_str(), found.arg.as_str());
    if found.whole {
        match (tool, arg) {
            ("fs.read" | "fs.exists", _) => return "input".to_owned(),
            ("fs.list", _) => return "dir".to_owned(),
            ("fs.write" | "fs.append", "path") => return "output".to_owned(),
            ("http.get" | "http.get_json", _) => return "url".to_owned(),
            _ => {}
        }
    }
    if matches!(c.ty, Type::Int | Type::Float) {
        return "n".to_owned();
    }
    if c.kind == Kind::Extension {
        return "ext".to_owned();
    }
    let noun = |w: Option<&str>| {
        w.map(str::to_ascii_lowercase)
            .filter(|w| ROLE_NOUNS.contains(&w.as_str()))
    };
    if c.ty != Type::Path
        && let Some(n) = noun(after).or_else(|| noun(before))
    {
        return n;
    }
    if found.folder {
        return "dir".to_owned();
    }
    match (tool, arg) {
        ("fs.read" | "fs.exists", _) => "input".to_owned(),
        ("fs.write" | "fs.append", "path") => "output".to_owned(),
        ("fs.list", _) => "dir".to_owned(),
        ("fs.glob", _) => "pattern".to_owned(),
        ("shell.run", "argv") => "file".to_owned(),
        ("json.get", "path") => "key".to_owned(),
        ("text.regex_find", "pattern") | ("text.split" | "text.join", _) => "word".to_owned(),
        (_, "content" | "stdin" | "text") => "topic".to_owned(),
        (_, arg) => arg.to_owned(),
    }
}

pub fn slot_name(arg: &str) -> &str {
    match arg {
        "content" | "text" => "content",
        other => other,
    }
}

/// The name of a step's result.
pub fn result_name(tool: &str) -> &str {
    match tool {
        "fs.read" => "text",
        "fs.write" | "fs.append" => "written",
        "fs.list" => "entries",
        "fs.glob" => "files",
        "fs.exists" => "exists",
        "csv.parse" => "table",
        "csv.describe" => "stats",
        "list.len" => "count",
        "text.split" => "words",
        "text.lines" => "lines",
        "text.regex_find" => "matches",
        "text.join" => "joined",
        "text.replace" => "replaced",
        "json.get" => "value",
        "math.sum" => "total",
        "text.trim" | "text.trim_end" => "trimmed",
        "text.format_number" => "formatted",
        "text.regex_escape" => "escaped",
        "http.get" => "body",
        "http.get_json" | "json.parse" => "data",
        "json.stringify" => "json_text",
        "json.pluck" => "fields",
        "list.last" => "last",
        "shell.run" => "run",
        other => other.rsplit('.').next().unwrap_or("value"),
    }
}

/// The name of a step the compiler inserts to transform `base` with `tool`.
pub fn inserted_name(tool: &str, base: Option<&str>) -> String {
    let suffix = match tool {
        "text.regex_escape" => "re",
        "text.upper" => "upper",
        "text.lower" => "lower",
        other => return result_name(other).to_owned(),
    };
    match base {
        Some(b) => format!("{b}_{suffix}"),
        None => suffix.to_owned(),
    }
}

/// `summarize data/x.csv into y.md` -> `summarize_into`: the first plain words of the goal.
pub fn trace_name(goal: &str) -> String {
    let words: Vec<String> = goal
        .split_whitespace()
        .filter(|w| w.chars().all(|c| c.is_ascii_alphabetic()))
        .take(3)
        .map(str::to_ascii_lowercase)
        .filter(|w| !KEYWORDS.contains(&w.as_str()))
        .collect();
    if words.is_empty() {
        "learned".to_owned()
    } else {
        words.join("_")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_identifiers_and_never_keywords() {
        let mut n = Namer::default();
        assert_eq!(n.take("content"), "content");
        assert_eq!(n.take("content"), "content_2");
        assert_eq!(n.take("if"), "if_2");
        assert_eq!(n.take("e-mail"), "e_mail");
        assert_eq!(n.take("2x"), "v2x");
    }

    #[test]
    fn param_names_follow_roles_and_nouns() {
        let name = |tool: &str, arg: &str, whole, goal: &str, b, a| {
            let c = super::super::params::candidates(goal).remove(0);
            let found = Found {
                tool: tool.into(),
                arg: arg.into(),
                whole,
                folder: false,
            };
            param_name(&found, &c, b, a)
        };
        assert_eq!(
            name("fs.read", "path", true, "read a.txt", None, None),
            "input"
        );
        assert_eq!(
            name(
                "json.get",
                "path",
                false,
                "sum amount",
                Some("sum"),
                Some("column")
            ),
            "column"
        );
        assert_eq!(
            name(
                "text.regex_find",
                "pattern",
                false,
                "show ERROR",
                Some("level"),
                None
            ),
            "level"
        );
        assert_eq!(
            name("json.get", "path", true, "get version", None, None),
            "key"
        );
        assert_eq!(name("time.sleep", "ms", true, "wait 300", None, None), "n");
        assert_eq!(
            name("fs.glob", "pattern", false, "list .log", None, None),
            "ext"
        );
    }
}
