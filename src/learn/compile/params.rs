//! Parameters from the goal text: which words of the goal are values the program should
//! take as inputs (paths, URLs, numbers, quoted words), kept only when the recording
//! actually uses them. When unsure, a value stays a constant: a wrong generalization is
//! worse than a missed one.

use crate::dispatch::Shape;
use crate::types::Type;
use crate::value::Value;

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
    /// What the value looks like (one token, a path, ...; quoted or not): a new goal
    /// binds only values of this shape.
    pub shape: Shape,
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
                out.push(classify(text, i..i + len + 2, true));
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
            out.push(classify(word, start..start + word.len(), false));
        }
        i = end;
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

fn classify(text: &str, range: std::ops::Range<usize>, quoted: bool) -> Candidate {
    let (ty, value) = if !quoted && is_number(text) {
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
    Candidate {
        text: text.to_owned(),
        range,
        ty,
        value,
        shape: Shape::from_recorded(text, quoted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(goal: &str) -> Vec<(String, Type)> {
        candidates(goal)
            .into_iter()
            .map(|c| (c.text, c.ty))
            .collect()
    }

    #[test]
    fn finds_paths_numbers_urls_and_quoted_words() {
        assert_eq!(
            texts("summarize data/sales.csv into reports/sales.md"),
            [
                ("data/sales.csv".to_owned(), Type::Path),
                ("reports/sales.md".to_owned(), Type::Path)
            ]
        );
        assert_eq!(
            texts("count the words in notes/todo.txt."),
            [("notes/todo.txt".to_owned(), Type::Path)]
        );
        assert_eq!(texts("take 12 rows"), [("12".to_owned(), Type::Int)]);
        assert_eq!(
            texts("greet \"Ada Lovelace\" twice"),
            [("Ada Lovelace".to_owned(), Type::Str)]
        );
        assert_eq!(
            texts("fetch https://example.com/a"),
            [("https://example.com/a".to_owned(), Type::Str)]
        );
        assert!(texts("create a python calculator").is_empty());
    }
}
