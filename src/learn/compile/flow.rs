//! Data flow: which earlier value each recorded argument is. An argument equal to a
//! param's value or an earlier result (or a field or element of one) becomes a reference;
//! text that contains such values becomes an interpolated string.

use crate::value::{Value, to_text};

/// Where a value of the compiled program comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Src {
    Const(Value),
    /// A param, by index.
    Param(usize),
    /// The result of a kept step, by index into the kept steps.
    Step(usize),
    /// A field or element of another source.
    Access(Box<Src>, Vec<Access>),
    Template(Vec<Piece>),
    List(Vec<Src>),
    Object(Vec<(String, Src)>),
    /// An `ask` slot, by index.
    Slot(usize),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Access {
    Key(String),
    Index(usize),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    Text(String),
    Value(Src),
}

impl Src {
    /// Whether any part comes from a param or a step (directly).
    pub fn refs(&self, f: &mut impl FnMut(&Src)) {
        match self {
            Src::Param(_) | Src::Step(_) | Src::Slot(_) => f(self),
            Src::Access(b, _) => b.refs(f),
            Src::Template(parts) => parts.iter().for_each(|p| {
                if let Piece::Value(s) = p {
                    s.refs(f)
                }
            }),
            Src::List(items) => items.iter().for_each(|s| s.refs(f)),
            Src::Object(entries) => entries.iter().for_each(|(_, s)| s.refs(f)),
            Src::Const(_) => {}
        }
    }

    /// Characters of literal text that no reference explains.
    pub fn literal_len(&self) -> usize {
        match self {
            Src::Const(Value::String(s)) => s.chars().count(),
            Src::Template(parts) => parts
                .iter()
                .map(|p| match p {
                    Piece::Text(t) => t.chars().count(),
                    Piece::Value(_) => 0,
                })
                .sum(),
            _ => 0,
        }
    }
}

/// A value the program can refer to, with how to get it.
struct Known {
    value: Value,
    src: Src,
    /// Whole results and params may be matched inside text even when short.
    whole: bool,
}

/// The values known so far, in the order they became known.
#[derive(Default)]
pub struct Flow {
    known: Vec<Known>,
}

/// Deepest field/element chain searched inside a result.
const MAX_DEPTH: usize = 3;
/// Most elements of one list searched.
const MAX_ELEMENTS: usize = 64;

impl Flow {
    pub fn add_param(&mut self, index: usize, value: Value) {
        self.known.push(Known {
            value,
            src: Src::Param(index),
            whole: true,
        });
    }

    /// Makes a step's result (and its fields and elements) known.
    pub fn add_result(&mut self, step: usize, result: &Value) {
        self.known.push(Known {
            value: result.clone(),
            src: Src::Step(step),
            whole: true,
        });
        self.add_parts(&Src::Step(step), result, &mut Vec::new());
    }

    fn add_parts(&mut self, base: &Src, v: &Value, path: &mut Vec<Access>) {
        if path.len() >= MAX_DEPTH {
            return;
        }
        match v {
            Value::Object(map) => {
                for (k, x) in map {
                    if !is_word(k) {
                        continue;
                    }
                    path.push(Access::Key(k.clone()));
                    self.push_part(base, x, path);
                    self.add_parts(base, x, path);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate().take(MAX_ELEMENTS) {
                    path.push(Access::Index(i));
                    self.push_part(base, x, path);
                    self.add_parts(base, x, path);
                    path.pop();
                }
            }
            _ => {}
        }
    }

    fn push_part(&mut self, base: &Src, v: &Value, path: &[Access]) {
        self.known.push(Known {
            value: v.clone(),
            src: Src::Access(Box::new(base.clone()), path.to_vec()),
            whole: false,
        });
    }

    /// The source of an exact value: params first, then the latest results.
    fn exact(&self, v: &Value) -> Option<Src> {
        let mut best: Option<&Known> = None;
        for k in &self.known {
            if same(&k.value, v) && trivial(v).is_none() {
                let better = match best {
                    None => true,
                    Some(b) => rank(k) > rank(b),
                };
                if better {
                    best = Some(k);
                }
            }
        }
        best.map(|k| k.src.clone())
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
        // Every occurrence of every usable known value, as (start, end, rank, src).
        let mut hits: Vec<(usize, usize, (u8, usize), &Src)> = Vec::new();
        for (order, k) in self.known.iter().enumerate() {
            let Some(needle) = needle(&k.value, k.whole) else {
                continue;
            };
            if needle.len() > text.len() {
                continue;
            }
            let mut from = 0;
            while let Some(pos) = text[from..].find(&needle) {
                let (s, e) = (from + pos, from + pos + needle.len());
                if bounded(text, s, e) {
                    hits.push((s, e, (rank(k).0, order), &k.src));
                }
                from = s + needle.len().max(1);
            }
        }
        if hits.is_empty() {
            return Src::Const(Value::String(text.to_owned()));
        }
        // Longest first, then the better source; keep those that do not overlap.
        hits.sort_by(|a, b| {
            (b.1 - b.0)
                .cmp(&(a.1 - a.0))
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
}

/// Params rank above whole results, whole results above their parts; later results
/// above earlier ones.
fn rank(k: &Known) -> (u8, usize) {
    match &k.src {
        Src::Param(_) => (3, 0),
        Src::Step(i) => (2, *i),
        Src::Access(b, path) => match **b {
            Src::Step(i) => (1, i * 1000 + (MAX_DEPTH - path.len().min(MAX_DEPTH))),
            _ => (0, 0),
        },
        _ => (0, 0),
    }
}

/// Values too common to be evidence of data flow (`true`, `0`, `""`, `1`).
fn trivial(v: &Value) -> Option<()> {
    match v {
        Value::Null | Value::Bool(_) => Some(()),
        Value::String(s) if s.trim().chars().count() < 2 => Some(()),
        Value::Number(n) if n.as_f64().is_some_and(|f| f.abs() < 2.0) => Some(()),
        Value::Array(a) if a.is_empty() => Some(()),
        Value::Object(o) if o.is_empty() => Some(()),
        _ => None,
    }
}

/// The text to look for inside a string, when the value is specific enough.
fn needle(v: &Value, whole: bool) -> Option<String> {
    match v {
        Value::String(s) => {
            let min = if whole { 2 } else { 3 };
            (s.chars().count() >= min).then(|| s.clone())
        }
        Value::Number(_) => {
            let t = to_text(v).into_owned();
            (whole || t.len() >= 2)
                .then_some(t)
                .filter(|_| trivial(v).is_none() || whole)
        }
        _ => None,
    }
}

/// A match must not cut a word or a number in two.
fn bounded(text: &str, s: usize, e: usize) -> bool {
    let before = text[..s].chars().next_back();
    let after = text[e..].chars().next();
    let first = text[s..].chars().next();
    let last = text[..e].chars().next_back();
    let cuts = |outside: Option<char>, inside: Option<char>| matches!((outside, inside), (Some(o), Some(i)) if o.is_alphanumeric() && i.is_alphanumeric());
    let splits_number =
        after == Some('.') && text[e..].chars().nth(1).is_some_and(|c| c.is_ascii_digit());
    !cuts(before, first) && !cuts(after, last) && !splits_number
}

/// JSON equality with numbers compared by value (`5` equals `5.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
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
            "let" | "param" | "return" | "ask" | "true" | "false" | "null"
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn exact_field_and_embedded_values() {
        let mut f = Flow::default();
        f.add_param(0, json!("notes/todo.txt"));
        f.add_result(0, &json!("buy milk\nfix the bike\n"));
        f.add_result(1, &json!(["buy", "milk", "fix", "the", "bike"]));
        f.add_result(2, &json!(5));
        assert_eq!(f.derive(&json!("notes/todo.txt")), Src::Param(0));
        assert_eq!(f.derive(&json!("buy milk\nfix the bike\n")), Src::Step(0));
        assert_eq!(
            f.derive(&json!("There are 5 words.")),
            Src::Template(vec![
                Piece::Text("There are ".into()),
                Piece::Value(Src::Step(2)),
                Piece::Text(" words.".into())
            ])
        );
        assert_eq!(
            f.derive(&json!("2025 was 15 years")),
            Src::Const(json!("2025 was 15 years"))
        );
        assert_eq!(f.derive(&json!("")), Src::Const(json!("")));
        assert_eq!(
            f.derive(&json!(["wc", "notes/todo.txt"])),
            Src::List(vec![Src::Const(json!("wc")), Src::Param(0)])
        );
    }
}
