//! Parameters from the goal text: which parts of the goal are values the program should
//! take as inputs (paths, URLs, numbers, quoted phrases, extensions, plain words). Which
//! of them become params is decided by evidence ([`super::evidence`]): a candidate the
//! recording's configuration arguments do not contain stays part of the goal's text.
//! When unsure, a value stays a constant: a wrong generalization is worse than a missed
//! one.

use crate::dispatch::Shape;
use crate::types::Type;
use crate::value::Value;

/// What a candidate looks like in the goal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Inside quotes: `"Ada Lovelace"`, `'x'`, `` `y` ``.
    Quoted,
    Url,
    Path,
    Number,
    /// A file extension: `.log`.
    Extension,
    /// A plain word (or, after evidence, a run of words: a phrase).
    Word,
}

/// A value found in the goal.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// The text as it appears in the goal (without quotes).
    pub text: String,
    /// Byte range in the goal, quotes included.
    pub range: std::ops::Range<usize>,
    pub ty: Type,
    /// The recorded value (a number for `int`/`float`, else a string).
    pub value: Value,
    pub kind: Kind,
    /// What the value looks like (one token, a path, ...; quoted or not): a new goal
    /// binds only values of this shape.
    pub shape: Shape,
}

/// A param of a compiled recording: its name, type, the value the recording used and
/// the goal text it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: String,
    pub ty: Type,
    pub value: Value,
    pub candidate: Candidate,
}

impl Param {
    /// The param for a candidate chosen by evidence.
    pub fn new(name: String, candidate: Candidate) -> Param {
        Param {
            name,
            ty: candidate.ty.clone(),
            value: candidate.value.clone(),
            candidate,
        }
    }
}

/// Function words: never params, never evidence of data flow.
pub fn is_stop_word(w: &str) -> bool {
    const STOP: &[&str] = &[
        "a", "an", "the", "and", "or", "of", "to", "in", "into", "on", "at", "by", "for", "from",
        "with", "as", "is", "are", "be", "it", "its", "this", "that", "these", "those", "all",
        "each", "every", "any", "some", "no", "not", "if", "then", "than", "me", "my", "i", "you",
        "your", "we", "our", "there", "here", "what", "which", "how", "many", "much", "do", "does",
        "did", "has", "have", "was", "were", "will", "please", "then", "also", "only", "just",
        "file", "files", "line", "lines", "word", "words",
    ];
    STOP.contains(&w)
}

/// Every candidate value in `goal`, in order, not overlapping.
pub fn candidates(goal: &str) -> Vec<Candidate> {
    let mut out = Vec::new();
    let b = goal.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'"' || c == b'\'' || c == b'`' {
            if let Some(len) = goal[i + 1..].find(c as char)
                && len > 0
            {
                let text = &goal[i + 1..i + 1 + len];
                out.push(classify(text, i..i + len + 2, Kind::Quoted));
                i += len + 2;
                continue;
            }
            i += 1;
            continue;
        }
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let end = goal[i..]
            .find(|ch: char| ch.is_whitespace())
            .map_or(goal.len(), |n| i + n);
        let raw = &goal[i..end];
        // Trailing punctuation is not part of a value (`data.csv,` or `x.txt.`).
        let word = raw.trim_end_matches([',', ';', ':', '!', '?', ')', '.']);
        let word = if word.ends_with('/') && raw.ends_with('.') {
            raw
        } else {
            word
        };
        let start = i + (raw.len() - raw.trim_start_matches('(').len());
        let word = word.trim_start_matches('(');
        if !word.is_empty() && is_value_like(word) {
            out.push(classify(word, start..start + word.len(), Kind::Path));
        } else {
            words_of(goal, start, word, &mut out);
        }
        i = end;
    }
    // The goal's leading word is its verb (`count`, `sum`, `list`): what the program
    // does, not a value it takes. (A question, `how many ...`, has none.)
    if let Some(first) = out.first()
        && first.kind == Kind::Word
        && goal[..first.range.start]
            .split_whitespace()
            .all(|w| w.eq_ignore_ascii_case("please"))
    {
        out.remove(0);
    }
    out
}

fn is_value_like(w: &str) -> bool {
    is_url(w) || is_path(w) || is_number(w)
}

fn is_url(w: &str) -> bool {
    w.starts_with("http://") || w.starts_with("https://")
}

/// `data/sales.csv`, `notes.txt`, `src/`, `./x`: a slash, or a dotted name with a short
/// alphanumeric extension.
fn is_path(w: &str) -> bool {
    if w.contains("://") {
        return false;
    }
    let path_chars = w
        .chars()
        .all(|c| c.is_alphanumeric() || "/._-~".contains(c));
    if !path_chars {
        return false;
    }
    if w.contains('/') && w.chars().any(char::is_alphanumeric) {
        return true;
    }
    match w.rsplit_once('.') {
        Some((stem, ext)) => {
            !stem.is_empty()
                && (1..=5).contains(&ext.len())
                && ext.chars().all(|c| c.is_ascii_alphanumeric())
                && ext.chars().any(|c| c.is_ascii_alphabetic())
        }
        None => false,
    }
}

fn is_number(w: &str) -> bool {
    let digits = w.strip_prefix('-').unwrap_or(w);
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|&c| c == '.').count() <= 1
        && digits.starts_with(|c: char| c.is_ascii_digit())
        && digits.ends_with(|c: char| c.is_ascii_digit())
}

/// The plain words of a goal token that is not a value itself (`ERROR,` gives `ERROR`,
/// `amount/price` both words), or the extension it is (`.log`, `*.log`).
fn words_of(goal: &str, start: usize, token: &str, out: &mut Vec<Candidate>) {
    let ext = token.strip_prefix('*').unwrap_or(token);
    if let Some(rest) = ext.strip_prefix('.')
        && is_extension(rest)
    {
        let s = start + token.len() - ext.len();
        out.push(classify(ext, s..s + ext.len(), Kind::Extension));
        return;
    }
    // Words, and tokens like dates, times and versions (`2026-11-01`, `10:30`, `1.2.0`).
    let is_part = |c: char| c.is_alphanumeric() || "_-.:".contains(c);
    let mut i = 0;
    while i < token.len() {
        let Some(from) = token[i..].find(is_part).map(|n| i + n) else {
            break;
        };
        let to = token[from..]
            .find(|c| !is_part(c))
            .map_or(token.len(), |n| from + n);
        let run = &token[from..to];
        let lead = run.len() - run.trim_start_matches(['-', '.', ':']).len();
        let word = run.trim_matches(['-', '.', ':']);
        let alphabetic = word.chars().any(char::is_alphabetic);
        let dated = word.chars().any(|c| c.is_ascii_digit()) && word.contains(['-', '.', ':']);
        let usable = word.chars().count() >= 2
            && (alphabetic || dated)
            && (dated || !word.contains(['.', ':']))
            && !is_stop_word(&word.to_lowercase());
        if usable {
            let s = start + from + lead;
            debug_assert_eq!(&goal[s..s + word.len()], word);
            out.push(classify(word, s..s + word.len(), Kind::Word));
        }
        i = to;
    }
}

fn is_extension(rest: &str) -> bool {
    (1..=5).contains(&rest.len())
        && rest.chars().all(|c| c.is_ascii_alphanumeric())
        && rest.chars().any(|c| c.is_ascii_alphabetic())
}

fn classify(text: &str, range: std::ops::Range<usize>, kind: Kind) -> Candidate {
    let quoted = kind == Kind::Quoted;
    let plain = matches!(kind, Kind::Word | Kind::Extension);
    let (ty, value) = if plain {
        (Type::Str, Value::String(text.to_owned()))
    } else if !quoted && is_number(text) {
        if text.contains('.') {
            match text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
            {
                Some(n) => (Type::Float, Value::Number(n)),
                None => (Type::Str, Value::String(text.to_owned())),
            }
        } else {
            match text.parse::<i64>() {
                Ok(n) => (Type::Int, Value::from(n)),
                Err(_) => (Type::Str, Value::String(text.to_owned())),
            }
        }
    } else if is_url(text) {
        (Type::Str, Value::String(text.to_owned()))
    } else if is_path(text) {
        (Type::Path, Value::String(text.to_owned()))
    } else {
        (Type::Str, Value::String(text.to_owned()))
    };
    let kind = match (kind, &ty) {
        (Kind::Path, Type::Int | Type::Float) => Kind::Number,
        (Kind::Path, Type::Str) => Kind::Url,
        (k, _) => k,
    };
    Candidate {
        text: text.to_owned(),
        range,
        ty,
        value,
        kind,
        shape: Shape::from_recorded(text, quoted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(goal: &str) -> Vec<(String, Type, Kind)> {
        candidates(goal)
            .into_iter()
            .map(|c| {
                assert_eq!(
                    goal[c.range.clone()].trim_matches(['"', '\'', '`']),
                    c.text,
                    "{goal}"
                );
                (c.text, c.ty, c.kind)
            })
            .collect()
    }

    fn values(goal: &str) -> Vec<(String, Type)> {
        texts(goal)
            .into_iter()
            .filter(|c| c.2 != Kind::Word)
            .map(|c| (c.0, c.1))
            .collect()
    }

    #[test]
    fn finds_paths_numbers_urls_and_quoted_words() {
        assert_eq!(
            values("summarize data/sales.csv into reports/sales.md"),
            [
                ("data/sales.csv".to_owned(), Type::Path),
                ("reports/sales.md".to_owned(), Type::Path)
            ]
        );
        assert_eq!(
            values("count the words in notes/todo.txt."),
            [("notes/todo.txt".to_owned(), Type::Path)]
        );
        assert_eq!(values("take 12 rows"), [("12".to_owned(), Type::Int)]);
        assert_eq!(
            values("greet \"Ada Lovelace\" twice"),
            [("Ada Lovelace".to_owned(), Type::Str)]
        );
        assert_eq!(
            values("fetch https://example.com/a"),
            [("https://example.com/a".to_owned(), Type::Str)]
        );
        assert_eq!(
            values("list the *.log files, then the .md ones"),
            [
                (".log".to_owned(), Type::Str),
                (".md".to_owned(), Type::Str)
            ]
        );
        assert!(values("create a python calculator").is_empty());
    }

    #[test]
    fn plain_words_are_candidates_but_function_words_are_not() {
        let words: Vec<String> = texts("count the ERROR lines in app.log, then sum amount,price.")
            .into_iter()
            .filter(|c| c.2 == Kind::Word)
            .map(|c| c.0)
            .collect();
        assert_eq!(words, ["ERROR", "sum", "amount", "price"], "not the verb");
        assert_eq!(
            texts("show (user_id)")[0],
            ("user_id".to_owned(), Type::Str, Kind::Word)
        );
        assert_eq!(
            texts("list the lines from 2026-11-01, at 10:30 (v1.2.0)")
                .into_iter()
                .map(|c| c.0)
                .collect::<Vec<_>>(),
            ["2026-11-01", "10:30", "v1.2.0"]
        );
        assert_eq!(
            texts("how many WARN lines are in app.log")[0].0,
            "WARN",
            "a question has no verb to leave out"
        );
    }
}
