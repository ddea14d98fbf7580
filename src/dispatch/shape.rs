//! Placeholder shapes: what a goal value looked like when the program was learned, so
//! that a new goal binds only values of the same shape.
//!
//! A learned program's template comes from one goal. Its placeholder `{input}` stood for
//! `notes.txt`: one token, a path, unquoted. A new goal that puts `a.txt and b.txt` or
//! `sorted.txt in reverse order` there means more than the program does, and must miss
//! rather than be served. So each param of a learned program records a [`Shape`] (kept in
//! the trace library, beside its type), and binding enforces it:
//!
//! | recorded value | kind | a new value must be |
//! | --- | --- | --- |
//! | `42`, `-3` | `int` | an integer (negative only if the learned one was) |
//! | `2.5` | `float` | a number (negative only if the learned one was) |
//! | `https://x.org/a` | `url` | one token starting with `http://` or `https://` |
//! | `notes.txt`, `data/`, `src/main.rs` | `path` | one token, not a URL |
//! | `ERROR`, `amount`, `2026-11-01` | `token` | one token |
//! | `New York` (2 words) | `phrase` with `words: 2` | 1 to 2 words |
//!
//! A token is a run of characters with no white space and no quote characters, whose
//! punctuation is of the kinds the learned value had (plus `-` and `_`, and for a path
//! `/`, `.` and `~`): `ERROR` takes `WARN` but not `ERROR,WARN`, `notes.txt` takes
//! `data/todo.md` but not `a.txt,b.txt` or `a.txt+b.txt`; `2026-11-01` takes
//! `2026-11-02`. An unquoted value never ends with sentence punctuation (`. , ; : ! ?`):
//! `notes.txt.` is the path and the end of a sentence. A value written in quotes
//! (`"notes.txt"`) is checked by its inside.
//!
//! A **quoted** shape (`"timeout"`, `"disk full"`) says the user delimited the value with
//! quotes: a new value must be one quoted value too (quotes at both ends, none of the
//! closing quote inside, so `"a" or "b"` is not one), and its inside may be any text
//! (the quotes say where it ends), except that an `int`, `float` or `url` inside must
//! still be one.
//!
//! Serialized (serde, JSON in the library's `params`, also how remote libraries publish
//! it): `{"kind": "token", "quoted": false}`, `{"kind": "phrase", "words": 2, "quoted":
//! false}`, `{"kind": "path", "quoted": false, "punct": "."}`; kinds `token`, `phrase`,
//! `path`, `url`, `int`, `float`; `punct` (left out when empty) lists the ASCII
//! punctuation the learned value had.

use serde::{Deserialize, Serialize};

use super::ShapeMismatch;

/// What kind of value a placeholder takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ShapeKind {
    /// One token: no white space, no quote characters.
    Token,
    /// A run of at most `words` white-space separated tokens.
    Phrase { words: u32 },
    /// A path: one token that is not a URL.
    Path,
    /// One token starting with `http://` or `https://`.
    Url,
    /// An integer.
    Int,
    /// A number.
    Float,
}

/// The shape of a param's value in the goal it was learned from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shape {
    #[serde(flatten)]
    pub kind: ShapeKind,
    /// The recorded value was written in quotes.
    pub quoted: bool,
    /// The ASCII punctuation the recorded value had.
    #[serde(default, skip_serializing_if = "Punct::is_empty")]
    pub punct: Punct,
}

/// A set of ASCII punctuation characters (there are 32: one bit each), written as the
/// characters in ASCII order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Punct(u32);

/// The 32 ASCII punctuation characters, in order.
const ASCII_PUNCT: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

impl Punct {
    /// The punctuation of `text` (non-ASCII characters are not counted).
    pub fn of(text: &str) -> Punct {
        Punct(text.chars().filter_map(Punct::bit).fold(0, |m, b| m | b))
    }

    fn bit(c: char) -> Option<u32> {
        ASCII_PUNCT.find(c).map(|i| 1 << i)
    }

    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// Whether `c` is in the set.
    pub fn has(&self, c: char) -> bool {
        Punct::bit(c).is_some_and(|b| self.0 & b != 0)
    }
}

impl Serialize for Punct {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text: String = ASCII_PUNCT.chars().filter(|&c| self.has(c)).collect();
        s.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for Punct {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Punct, D::Error> {
        let text = String::deserialize(d)?;
        match text.chars().all(|c| Punct::bit(c).is_some()) {
            true => Ok(Punct::of(&text)),
            false => Err(serde::de::Error::custom(format!(
                "`{text}` is not ASCII punctuation"
            ))),
        }
    }
}

/// A value as the matcher bound it: its text (quotes stripped) and whether it was one
/// quoted value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bound<'g> {
    pub text: &'g str,
    pub quoted: bool,
}

/// Characters that open or close a quoted value.
pub(crate) const QUOTE_CHARS: &[char] = &['"', '\'', '`', '“', '”', '‘', '’'];

/// Punctuation that ends a sentence or a clause, never a value.
pub(crate) const SENTENCE_PUNCT: &[char] = &['.', ',', ';', ':', '!', '?'];

impl Shape {
    /// The shape of a value as it appeared in the recorded goal: its text (without the
    /// quotes) and whether it was quoted.
    pub fn from_recorded(text: &str, quoted: bool) -> Shape {
        let t = text.trim();
        let kind = if is_int(t) {
            ShapeKind::Int
        } else if is_float(t) {
            ShapeKind::Float
        } else if is_url(t) {
            ShapeKind::Url
        } else if t.split_whitespace().count() > 1 {
            ShapeKind::Phrase {
                words: u32::try_from(t.split_whitespace().count()).unwrap_or(u32::MAX),
            }
        } else if looks_like_path(t) {
            ShapeKind::Path
        } else {
            ShapeKind::Token
        };
        Shape {
            kind,
            quoted,
            punct: Punct::of(t),
        }
    }

    /// Whether `value` has this shape; the error says how it does not.
    pub fn check(&self, value: Bound<'_>) -> Result<(), ShapeMismatch> {
        let t = value.text;
        if self.quoted && !value.quoted {
            return Err(match t.contains(QUOTE_CHARS) {
                true => ShapeMismatch::NotOneQuoted(t.to_owned()),
                false => ShapeMismatch::NotQuoted(t.to_owned()),
            });
        }
        match self.kind {
            ShapeKind::Int if !is_int(t.trim()) => Err(ShapeMismatch::NotInt(t.to_owned())),
            ShapeKind::Float if !is_int(t.trim()) && !is_float(t.trim()) => {
                Err(ShapeMismatch::NotNumber(t.to_owned()))
            }
            ShapeKind::Int | ShapeKind::Float
                if t.trim().starts_with('-') && !self.punct.has('-') =>
            {
                Err(ShapeMismatch::Negative(t.to_owned()))
            }
            ShapeKind::Url if !is_url(t) || !is_token(t) => {
                Err(ShapeMismatch::NotUrl(t.to_owned()))
            }
            _ if self.quoted => Ok(()),
            ShapeKind::Url => one_token(t),
            ShapeKind::Token | ShapeKind::Path => {
                one_token(t)?;
                if self.kind == ShapeKind::Path && is_url(t) {
                    return Err(ShapeMismatch::UrlNotPath(t.to_owned()));
                }
                self.same_punctuation(t)
            }
            ShapeKind::Phrase { words } => {
                let n = t.split_whitespace().count();
                if n as u64 > u64::from(words) {
                    return Err(ShapeMismatch::TooManyWords {
                        text: t.to_owned(),
                        words: n,
                        learned: words,
                    });
                }
                t.split_whitespace().try_for_each(|w| {
                    one_token(w)?;
                    self.same_punctuation(w)
                })
            }
            ShapeKind::Int | ShapeKind::Float => Ok(()),
        }
    }

    /// Punctuation of a kind the learned value did not have joins several values
    /// (`a.txt,b.txt`, `ERROR|WARN`): refused. `-` and `_` are parts of words; `/`, `.`
    /// and `~` parts of paths.
    fn same_punctuation(&self, t: &str) -> Result<(), ShapeMismatch> {
        let always: &[char] = match self.kind {
            ShapeKind::Path => &['-', '_', '/', '.', '~'],
            _ => &['-', '_'],
        };
        let odd = t
            .chars()
            .find(|&c| !c.is_alphanumeric() && !always.contains(&c) && !self.punct.has(c));
        match odd {
            None => Ok(()),
            Some(odd) => Err(ShapeMismatch::OddPunctuation {
                text: t.to_owned(),
                odd,
            }),
        }
    }

    /// How the shape reads in messages: `one token`, `a quoted phrase of up to 2 words`.
    pub fn describe(&self) -> String {
        let what = match self.kind {
            ShapeKind::Token => "one token".to_owned(),
            ShapeKind::Phrase { words } => format!("a phrase of up to {words} words"),
            ShapeKind::Path => "a path (one token)".to_owned(),
            ShapeKind::Url => "a URL".to_owned(),
            ShapeKind::Int => "an integer".to_owned(),
            ShapeKind::Float => "a number".to_owned(),
        };
        match self.quoted {
            true => format!("{what}, in quotes"),
            false => what,
        }
    }
}

/// One token with no quote characters that does not end a sentence.
fn one_token(t: &str) -> Result<(), ShapeMismatch> {
    if !is_token(t) {
        return Err(ShapeMismatch::SeveralWords(t.to_owned()));
    }
    if t.contains(QUOTE_CHARS) {
        return Err(ShapeMismatch::HoldsQuotes(t.to_owned()));
    }
    if ends_a_sentence(t) {
        return Err(ShapeMismatch::EndsASentence(t.to_owned()));
    }
    Ok(())
}

fn is_token(t: &str) -> bool {
    !t.is_empty() && !t.contains(char::is_whitespace)
}

/// Whether an unquoted value ends with sentence punctuation (`.`, `..` and paths ending
/// in `/.` are paths, not sentences).
pub(crate) fn ends_a_sentence(t: &str) -> bool {
    let body = t.trim_end_matches(SENTENCE_PUNCT);
    body.len() < t.len() && !body.is_empty() && !body.ends_with('/')
}

fn is_int(t: &str) -> bool {
    let d = t.strip_prefix('-').unwrap_or(t);
    !d.is_empty() && d.len() <= 18 && d.chars().all(|c| c.is_ascii_digit())
}

fn is_float(t: &str) -> bool {
    let d = t.strip_prefix('-').unwrap_or(t);
    d.split_once('.').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && a.chars().all(|c| c.is_ascii_digit())
            && b.chars().all(|c| c.is_ascii_digit())
    })
}

fn is_url(t: &str) -> bool {
    t.starts_with("http://") || t.starts_with("https://")
}

/// `data/sales.csv`, `notes.txt`, `src/`, `.`: a slash, a dot-extension, or dots only.
fn looks_like_path(t: &str) -> bool {
    if t.contains('/') || t.chars().all(|c| c == '.') {
        return true;
    }
    t.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty() && (1..=5).contains(&ext.len()) && ext.chars().all(char::is_alphanumeric)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unquoted(text: &str) -> Bound<'_> {
        Bound {
            text,
            quoted: false,
        }
    }

    fn quoted(text: &str) -> Bound<'_> {
        Bound { text, quoted: true }
    }

    #[test]
    fn shapes_from_recorded_values() {
        let kind = |t: &str| Shape::from_recorded(t, false).kind;
        assert_eq!(kind("42"), ShapeKind::Int);
        assert_eq!(kind("-3"), ShapeKind::Int);
        assert_eq!(kind("2.5"), ShapeKind::Float);
        assert_eq!(kind("https://x.org/a"), ShapeKind::Url);
        assert_eq!(kind("notes.txt"), ShapeKind::Path);
        assert_eq!(kind("data/"), ShapeKind::Path);
        assert_eq!(kind("ERROR"), ShapeKind::Token);
        assert_eq!(kind("2026-11-01"), ShapeKind::Token);
        assert_eq!(kind("New York"), ShapeKind::Phrase { words: 2 });
        assert!(Shape::from_recorded("disk full", true).quoted);
    }

    #[test]
    fn a_token_never_swallows_words_quotes_or_punctuation() {
        let path = Shape::from_recorded("notes.txt", false);
        assert!(path.check(unquoted("todo.md")).is_ok());
        assert!(path.check(unquoted("Makefile")).is_ok());
        assert!(path.check(quoted("todo.md")).is_ok(), "quotes only delimit");
        for bad in [
            "a.txt and b.txt",
            "sorted.txt in reverse order",
            "a.txt, b.txt",
            "todo.md.",
            "x\"y",
            "https://x.org",
        ] {
            assert!(path.check(unquoted(bad)).is_err(), "{bad}");
        }
        assert!(path.check(unquoted(".")).is_ok());
        assert!(path.check(unquoted("docs/.")).is_ok());
        let token = Shape::from_recorded("ERROR", false);
        assert!(token.check(unquoted("WARN")).is_ok());
        assert!(token.check(unquoted("ERROR and WARN")).is_err());
        assert!(token.check(quoted("disk full")).is_err());
    }

    #[test]
    fn quoted_shapes_need_one_quoted_value() {
        let q = Shape::from_recorded("timeout", true);
        assert!(q.check(quoted("disk full")).is_ok());
        assert!(q.check(unquoted("slow")).is_err());
        assert!(q.check(unquoted("the first \"timeout\"")).is_err());
        let qi = Shape::from_recorded("3", true);
        assert!(
            qi.check(quoted("x")).is_err(),
            "an int inside quotes stays an int"
        );
    }

    #[test]
    fn numbers_and_phrases() {
        let int = Shape::from_recorded("404", false);
        assert!(int.check(unquoted("500")).is_ok());
        assert!(
            int.check(unquoted("-3")).is_err(),
            "a sign the learned value had not"
        );
        assert!(
            Shape::from_recorded("-1", false)
                .check(unquoted("-3"))
                .is_ok()
        );
        assert!(int.check(unquoted("4xx")).is_err());
        assert!(int.check(unquoted("four")).is_err());
        let float = Shape::from_recorded("2.5", false);
        assert!(float.check(unquoted("3")).is_ok());
        assert!(float.check(unquoted("3.25")).is_ok());
        assert!(float.check(unquoted("3.2.1")).is_err());
        let phrase = Shape::from_recorded("New York", false);
        assert!(phrase.check(unquoted("Paris")).is_ok());
        assert!(phrase.check(unquoted("San Jose")).is_ok());
        assert!(phrase.check(unquoted("San Jose and Paris")).is_err());
    }

    #[test]
    fn serializes_as_documented() {
        let s = Shape::from_recorded("New York", false);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"{"kind":"phrase","words":2,"quoted":false}"#);
        assert_eq!(serde_json::from_str::<Shape>(&json).unwrap(), s);
        let t: Shape = serde_json::from_str(r#"{"kind":"token","quoted":true}"#).unwrap();
        assert_eq!(t, Shape::from_recorded("x", true));
        let p = Shape::from_recorded("data/a-b.txt", false);
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, r#"{"kind":"path","quoted":false,"punct":"-./"}"#);
        assert_eq!(serde_json::from_str::<Shape>(&json).unwrap(), p);
        let bad = serde_json::from_str::<Shape>(r#"{"kind":"path","quoted":false,"punct":"é"}"#);
        assert!(bad.is_err());
    }

    #[test]
    fn punctuation_the_learned_value_did_not_have_joins_values() {
        let token = Shape::from_recorded("ERROR", false);
        assert!(token.check(unquoted("WARN")).is_ok());
        assert!(token.check(unquoted("WARN-2")).is_ok());
        for bad in ["ERROR,WARN", "ERROR|WARN", "ERROR+WARN", "ERROR/WARN"] {
            assert!(token.check(unquoted(bad)).is_err(), "{bad}");
        }
        let path = Shape::from_recorded("notes.txt", false);
        assert!(path.check(unquoted("data/my-notes_v2.txt")).is_ok());
        assert!(path.check(unquoted("a.txt,b.txt")).is_err());
        assert!(path.check(unquoted("a.txt+b.txt")).is_err());
        let date = Shape::from_recorded("2026-11-01", false);
        assert!(date.check(unquoted("2026-11-02")).is_ok());
        let email = Shape::from_recorded("ann@x.org", false);
        assert!(email.check(unquoted("bob@y.com")).is_ok());
        assert!(
            Shape::from_recorded("x", true)
                .check(quoted("a, b"))
                .is_ok(),
            "quotes delimit"
        );
    }
}
