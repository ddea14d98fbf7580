//! Data flow: which earlier value each recorded argument is. An argument equal to a
//! param's value or an earlier result (or a field or element of one, or a form of one:
//! trimmed, case changed, JSON parsed or serialized, a float with fixed decimals) becomes
//! a reference; text that contains such values becomes an interpolated string.
//!
//! Values are compared by meaning: numbers by value (`97` is `97.0`), JSON texts
//! structurally (`{"a": 1}` is `{"a":1}`).

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasher, Hash, Hasher};

use super::forms::{self, Form};
use super::needles::Needles;
pub use super::sources::{Access, Apply, Piece, Src};
pub use results::{ResultForms, Results};

mod results;

/// A fast hasher for the meaning index (no order depends on it: it is only looked up).
type Hasher64 = foldhash::fast::FixedState;
use crate::value::{Value, canonical_json, to_text};

/// How a known value came to be known, best first when several hold the same value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    PartForm,
    Part,
    ResultForm,
    Result,
    LoopForm,
    Loop,
    ParamForm,
    Param,
}

/// How good a source is: class, then (step, shallowness).
type Rank = (Class, (usize, usize));

/// A value the program can refer to, with how to get it. Results and their parts are
/// borrowed from the recording (a long recording is not copied).
struct Known<'r> {
    value: Cow<'r, Value>,
    src: Src,
    class: Class,
    /// (step, shallowness): later steps and shallower parts first.
    order: (usize, usize),
    /// The shortest text of this value that may be matched inside a longer text; `None`
    /// when only whole arguments may match it.
    embed_min: Option<usize>,
}

/// The values known so far, in the order they became known, indexed so that a long
/// recording stays linear: by meaning for exact values, by needle text for values inside
/// text.
#[derive(Default)]
pub struct Flow<'r> {
    known: Vec<Known<'r>>,
    /// Meaning (see [`meaning_hash`]) to the best-ranked known of each distinct value
    /// with that hash (index into `known`).
    index: HashMap<u64, Bucket, Hasher64>,
    /// The texts to look for inside strings, each with its best (rank, index into `known`).
    needles: Needles<(Rank, usize)>,
    /// Words of the goal's own text: a field or element equal to one of them is not
    /// linked inside text (`words` in "there are 5 words" is the goal's word, not data).
    goal_words: BTreeSet<String>,
}

/// The known values of one meaning hash (indices into `known`), in the order they became
/// known: one, but for a collision, so the first is not a separate allocation.
struct Bucket {
    first: usize,
    more: Vec<usize>,
}

impl Bucket {
    fn of(first: usize) -> Bucket {
        Bucket {
            first,
            more: Vec::new(),
        }
    }

    fn iter(&self) -> impl Iterator<Item = &usize> {
        std::iter::once(&self.first).chain(&self.more)
    }

    fn iter_mut(&mut self) -> impl Iterator<Item = &mut usize> {
        std::iter::once(&mut self.first).chain(&mut self.more)
    }
}

/// Deepest field/element chain searched inside a result.
const MAX_DEPTH: usize = 3;
/// Most elements of one list searched.
const MAX_ELEMENTS: usize = 64;

impl<'r> Flow<'r> {
    pub fn new(goal: &str) -> Flow<'r> {
        Flow {
            goal_words: words(goal).map(str::to_lowercase).collect(),
            ..Flow::default()
        }
    }

    /// Makes room for the values of `results` more results (about two each: the whole
    /// and a form), so a long recording does not copy what is known as it grows.
    pub fn reserve(&mut self, results: usize) {
        self.known.reserve(2 * results);
        self.index.reserve(2 * results);
    }

    fn push(&mut self, k: Known<'r>) {
        let at = self.known.len();
        let rank = (k.class, k.order);
        match self.index.entry(meaning_hash(&k.value)) {
            Entry::Vacant(e) => {
                e.insert(Bucket::of(at));
            }
            Entry::Occupied(mut e) => {
                let bucket = e.get_mut();
                // One entry per distinct value: the best, the latest of equals (as
                // `max_by_key`).
                let equal = bucket
                    .iter_mut()
                    .find(|i| same(&self.known[**i].value, &k.value));
                match equal {
                    Some(i) if rank >= (self.known[*i].class, self.known[*i].order) => *i = at,
                    Some(_) => {}
                    None => bucket.more.push(at),
                }
            }
        }
        if let Some(text) = self.needle(&k) {
            // The first of equals, as a stable sort of the hits would keep it.
            self.needles
                .add(&text, (rank, at), |new, old| new.0 > old.0);
        }
        self.known.push(k);
    }

    /// Makes a param known, with its regex-escaped and case forms.
    pub fn add_param(&mut self, index: usize, value: Value) {
        for f in forms::param_forms(&value) {
            let src = Apply::of(&f, Src::Param(index));
            self.push(Known {
                value: Cow::Owned(f.value),
                src,
                class: Class::ParamForm,
                order: (0, 0),
                embed_min: Some(2),
            });
        }
        self.push(Known {
            value: Cow::Owned(value),
            src: Src::Param(index),
            class: Class::Param,
            order: (0, 0),
            embed_min: Some(1),
        });
    }

    /// Makes a step's result known: the whole, its forms, its fields and elements
    /// (`forms`: the result's, see [`Results`]).
    pub fn add_result(&mut self, step: usize, result: &'r Value, forms: &'r ResultForms) {
        if let Some(f) = &forms.last {
            self.push(Known {
                value: Cow::Borrowed(&f.value),
                src: Apply::of(f, Src::Step(step)),
                class: Class::ResultForm,
                order: (step, 0),
                embed_min: Some(3),
            });
        }
        for f in &forms.whole {
            let embed = match f.tool {
                "text.format_number" | "text.trim" | "text.trim_end" => Some(2),
                _ => None,
            };
            self.push(Known {
                value: Cow::Borrowed(&f.value),
                src: Apply::of(f, Src::Step(step)),
                class: Class::ResultForm,
                order: (step, 0),
                embed_min: embed,
            });
        }
        self.push(Known {
            value: Cow::Borrowed(result),
            src: Src::Step(step),
            class: Class::Result,
            order: (step, 0),
            embed_min: Some(1),
        });
        self.add_parts(step, result, &forms.parts);
    }

    /// Makes a loop's values known (the results of its calls, in order), and the text
    /// that joins them with a common separator.
    pub fn add_loop(&mut self, l: usize, values: Vec<Value>, last_step: usize) {
        let list = Value::Array(values);
        if list
            .as_array()
            .is_some_and(|a| a.iter().all(Value::is_string))
        {
            for sep in ["", "\n", "\n\n", " ", ", ", ","] {
                let f = Form {
                    tool: "text.join",
                    input: "items",
                    extra: vec![("sep", Value::String(sep.to_owned()))],
                    value: Value::Null,
                };
                if let Some(v) = forms::apply(&f, &list) {
                    self.push(Known {
                        value: Cow::Owned(v),
                        src: Apply::of(&f, Src::Loop(l)),
                        class: Class::LoopForm,
                        order: (last_step, 0),
                        embed_min: Some(2),
                    });
                }
            }
        }
        self.push(Known {
            value: Cow::Owned(list),
            src: Src::Loop(l),
            class: Class::Loop,
            order: (last_step, 0),
            embed_min: None,
        });
    }

    /// Makes the parts of a result known, with their forms (`forms`: per part, in the
    /// order [`results::each_part`] visits them).
    fn add_parts(&mut self, step: usize, v: &'r Value, forms: &'r [Vec<Form>]) {
        let mut forms = forms.iter();
        results::each_part(v, &mut Vec::new(), &mut |path, x| {
            let src = Src::Access(Box::new(Src::Step(step)), path.to_vec());
            let order = (step, MAX_DEPTH - path.len());
            // A text field of the result itself that is one number (a command's output
            // `3\n`) is that result's answer: it may be matched inside text as a whole
            // result is.
            let embed = match x.as_str() {
                Some(t) if path.len() == 1 && is_number_text(t.trim()) => 1,
                _ => 3,
            };
            // The list of one field of every element, for a list of objects that is part
            // of a result (the orders of a parsed file); a float field written with fewer
            // decimals (`18.33` for a mean), a text field trimmed (a command's output
            // without its last newline).
            for f in forms.next().into_iter().flatten() {
                self.push(Known {
                    value: Cow::Borrowed(&f.value),
                    src: Apply::of(f, src.clone()),
                    class: Class::PartForm,
                    order,
                    embed_min: (!x.is_array()).then_some(embed),
                });
            }
            self.push(Known {
                value: Cow::Borrowed(x),
                src,
                class: Class::Part,
                order,
                embed_min: Some(embed),
            });
        });
    }

    /// Whether `v` (not a trivial value) is already known.
    pub fn knows(&self, v: &Value) -> bool {
        self.best(v).is_some()
    }

    /// Whether `v` is a whole earlier result, or a form of one: a value passed on.
    pub fn is_passed_on(&self, v: &Value) -> bool {
        self.best(v)
            .is_some_and(|k| matches!(k.class, Class::Result | Class::ResultForm))
    }

    /// The source of an exact value (by meaning): params first, then the latest results.
    fn exact(&self, v: &Value) -> Option<Src> {
        self.best(v).map(|k| k.src.clone())
    }

    fn best(&self, v: &Value) -> Option<&Known<'r>> {
        if trivial(v) {
            return None;
        }
        let bucket = self.index.get(&meaning_hash(v))?;
        bucket
            .iter()
            .map(|&i| &self.known[i])
            .filter(|k| same(&k.value, v))
            .max_by_key(|k| (k.class, k.order))
    }

    /// Derives a recorded value from what is known.
    pub fn derive(&self, v: &Value) -> Src {
        if let Some(src) = self.exact(v) {
            return src;
        }
        match v {
            Value::Array(items) if !items.is_empty() => {
                let items: Vec<Src> = items.iter().map(|x| self.derive(x)).collect();
                if items.iter().all(|s| matches!(s, Src::Const(_))) {
                    Src::Const(v.clone())
                } else {
                    Src::List(items)
                }
            }
            Value::Object(map) if !map.is_empty() => {
                let entries: Vec<(String, Src)> = map
                    .iter()
                    .map(|(k, x)| (k.clone(), self.derive(x)))
                    .collect();
                if entries.iter().all(|(_, s)| matches!(s, Src::Const(_))) {
                    Src::Const(v.clone())
                } else {
                    Src::Object(entries)
                }
            }
            Value::String(s) => self.embed(s),
            _ => Src::Const(v.clone()),
        }
    }

    /// Text containing known values becomes a template.
    fn embed(&self, text: &str) -> Src {
        // Every occurrence of every usable known value: (start, end, rank, src).
        type Hit<'k> = (usize, usize, (Class, (usize, usize)), &'k Src);
        let mut hits: Vec<Hit<'_>> = Vec::new();
        for hit in self.needles.find_all(text) {
            let (s, e) = (hit.start, hit.end);
            if bounded(text, s, e) {
                let (rank, at) = *self.needles.payload(hit.needle);
                hits.push((s, e, rank, &self.known[at].src));
            }
        }
        if hits.is_empty() {
            return Src::Const(Value::String(text.to_owned()));
        }
        // Params and whole results before fields and elements (the least certain links),
        // then the longest, then the better source; keep those that do not overlap.
        let part = |h: &Hit<'_>| matches!(h.2.0, Class::Part | Class::PartForm);
        hits.sort_by(|a, b| {
            part(a)
                .cmp(&part(b))
                .then((b.1 - b.0).cmp(&(a.1 - a.0)))
                .then(b.2.cmp(&a.2))
                .then(a.0.cmp(&b.0))
        });
        let mut chosen: Vec<(usize, usize, &Src)> = Vec::new();
        for (s, e, _, src) in hits {
            if chosen.iter().all(|(cs, ce, _)| e <= *cs || s >= *ce) {
                chosen.push((s, e, src));
            }
        }
        chosen.sort_by_key(|c| c.0);
        let mut parts = Vec::new();
        let mut at = 0;
        for (s, e, src) in chosen {
            if s > at {
                parts.push(Piece::Text(text[at..s].to_owned()));
            }
            parts.push(Piece::Value(src.clone()));
            at = e;
        }
        if at < text.len() {
            parts.push(Piece::Text(text[at..].to_owned()));
        }
        Src::Template(parts)
    }

    /// The text to look for inside a string, when the value is specific enough.
    fn needle<'k>(&self, k: &'k Known<'r>) -> Option<Cow<'k, str>> {
        let min = k.embed_min?;
        match &*k.value {
            Value::String(s) => {
                let part = matches!(k.class, Class::Part | Class::PartForm);
                let min = if part { min } else { min.max(2) };
                let specific = s.chars().count() >= min && !(part && self.is_common_word(s));
                specific.then_some(Cow::Borrowed(s.as_str()))
            }
            Value::Number(_) => {
                let t = to_text(&k.value);
                let whole = !matches!(k.class, Class::Part | Class::PartForm);
                (whole || (t.len() >= 2 && !trivial(&k.value))).then_some(t)
            }
            _ => None,
        }
    }

    /// A word of the goal or a function word: not evidence of data flow inside text.
    fn is_common_word(&self, s: &str) -> bool {
        let lower = s.to_lowercase();
        self.goal_words.contains(&lower) || super::params::is_stop_word(&lower)
    }
}

/// The words (alphanumeric runs) of a text.
pub fn words(text: &str) -> impl DoubleEndedIterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// Values too common to be evidence of data flow (`true`, `0`, `""`, `1`).
fn trivial(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(_) => true,
        Value::String(s) => s.trim().chars().count() < 2,
        Value::Number(n) => n.as_f64().is_some_and(|f| f.abs() < 2.0),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// A match must not cut a word or a number in two. A letter right after a backslash
/// is a regex escape (`\bERROR\b`), not part of a word. A number may touch letters after
/// it (`4p` in `sed -n 2,4p`, `5s`) and a flag's letter before it (`-n5`).
pub fn bounded(text: &str, s: usize, e: usize) -> bool {
    let before = text[..s].chars().next_back();
    let after = text[e..].chars().next();
    let first = text[s..].chars().next();
    let last = text[..e].chars().next_back();
    let prefix = |c: char| &text[..s - c.len_utf8()];
    let escaped_before = before.is_some_and(|c| {
        let head = prefix(c);
        head.ends_with('\\') && !head.ends_with("\\\\")
    });
    let numeric = is_number_text(&text[s..e]);
    let flag_before =
        numeric && before.is_some_and(|c| c.is_ascii_alphabetic() && prefix(c).ends_with('-'));
    let cuts = |outside: Option<char>, inside: Option<char>| matches!((outside, inside), (Some(o), Some(i)) if o.is_alphanumeric() && i.is_alphanumeric());
    let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
    let splits_number = (after == Some('.') && digit(text[e..].chars().nth(1)) && digit(last))
        || (before == Some('.') && digit(text[..s].chars().rev().nth(1)) && digit(first));
    let cut_after = if numeric {
        digit(after)
    } else {
        cuts(after, last)
    };
    (!cuts(before, first) || escaped_before || flag_before) && !cut_after && !splits_number
}

/// `12`, `-3`, `2.5`.
fn is_number_text(t: &str) -> bool {
    let d = t.strip_prefix('-').unwrap_or(t);
    !d.is_empty()
        && d.chars().all(|c| c.is_ascii_digit() || c == '.')
        && d.starts_with(|c: char| c.is_ascii_digit())
        && d.ends_with(|c: char| c.is_ascii_digit())
}

/// A hash of a value's meaning: numbers by value, JSON texts by their parse.
fn meaning_hash(v: &Value) -> u64 {
    let mut h = Hasher64::default().build_hasher();
    match v {
        Value::String(s) => match json_text(s) {
            Some(parsed) => (4u8, canonical_json(&parsed)).hash(&mut h),
            None => (2u8, s.as_str()).hash(&mut h),
        },
        Value::Array(_) | Value::Object(_) => (3u8, canonical_json(v)).hash(&mut h),
        other => (1u8, to_text(other).as_ref()).hash(&mut h),
    }
    h.finish()
}

/// The parse of a text that is a JSON list or object.
fn json_text(s: &str) -> Option<Value> {
    let t = s.trim_start();
    if !t.starts_with(['{', '[']) {
        return None;
    }
    serde_json::from_str::<Value>(s)
        .ok()
        .filter(|v| v.is_array() || v.is_object())
}

/// Equality by meaning: numbers by value (`5` equals `5.0`), two JSON texts of lists or
/// objects by their parse.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        (Value::String(x), Value::String(y)) if x != y => match (json_text(x), json_text(y)) {
            (Some(p), Some(q)) => same(&p, &q),
            _ => false,
        },
        _ => a == b,
    }
}

fn is_word(k: &str) -> bool {
    let mut chars = k.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !matches!(
            k,
            "let"
                | "param"
                | "return"
                | "ask"
                | "true"
                | "false"
                | "null"
                | "for"
                | "in"
                | "if"
                | "else"
                | "expect"
                | "and"
                | "or"
                | "not"
        )
}

/// A template from text pieces (`Ok`) and values (`Err`), for tests.
#[cfg(test)]
pub fn template(parts: &[Result<&str, Src>]) -> Src {
    Src::Template(
        parts
            .iter()
            .map(|p| match p {
                Ok(s) => Piece::Text((*s).to_owned()),
                Err(src) => Piece::Value(src.clone()),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests;
