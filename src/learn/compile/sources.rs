//! Where each value of a compiled recording comes from: a constant, a param, an earlier
//! result, a field or element of one, text with values interpolated, an `ask` slot, a
//! step the compiler inserts to transform a value, a loop's element or its values.

use super::forms::Form;
use super::loops::LoopPlan;
use crate::learn::recording::RecStep;
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
    /// A pure tool call the compiler inserts to transform another source.
    Apply(Box<Apply>),
    /// The element a loop is at, inside its body; by index into the plan's loops.
    Elem(usize),
    /// The list of a loop's values, by index into the plan's loops.
    Loop(usize),
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

/// `tool(input: base, extra...)`, a step the recording did not have.
#[derive(Clone, Debug, PartialEq)]
pub struct Apply {
    pub tool: &'static str,
    pub input: &'static str,
    pub base: Src,
    pub extra: Vec<(&'static str, Value)>,
}

impl Apply {
    pub fn of(form: &Form, base: Src) -> Src {
        Src::Apply(Box::new(Apply {
            tool: form.tool,
            input: form.input,
            base,
            extra: form.extra.clone(),
        }))
    }

    /// The form this call computes.
    pub fn form(&self) -> Form {
        Form {
            tool: self.tool,
            input: self.input,
            extra: self.extra.clone(),
            value: Value::Null,
        }
    }
}

impl Src {
    /// Calls `f` on every param, step, slot and inserted step this source uses directly
    /// (an inserted step's own input is not visited: see [`Src::walk`]).
    pub fn refs(&self, f: &mut impl FnMut(&Src)) {
        match self {
            Src::Param(_)
            | Src::Step(_)
            | Src::Slot(_)
            | Src::Apply(_)
            | Src::Elem(_)
            | Src::Loop(_) => f(self),
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

    /// Calls `f` on every param, step and slot this source depends on, through inserted
    /// steps too.
    pub fn walk(&self, f: &mut impl FnMut(&Src)) {
        self.refs(&mut |r| match r {
            Src::Apply(a) => a.base.walk(f),
            other => f(other),
        })
    }

    /// This source with every part `f` rewrites rewritten (top down: a rewritten part is
    /// not visited again).
    pub fn map(&self, f: &impl Fn(&Src) -> Option<Src>) -> Src {
        if let Some(new) = f(self) {
            return new;
        }
        match self {
            Src::Access(b, path) => Src::Access(Box::new(b.map(f)), path.clone()),
            Src::Template(parts) => Src::Template(
                parts
                    .iter()
                    .map(|p| match p {
                        Piece::Value(s) => Piece::Value(s.map(f)),
                        text => text.clone(),
                    })
                    .collect(),
            ),
            Src::List(items) => Src::List(items.iter().map(|s| s.map(f)).collect()),
            Src::Object(entries) => {
                Src::Object(entries.iter().map(|(k, s)| (k.clone(), s.map(f))).collect())
            }
            Src::Apply(a) => Src::Apply(Box::new(Apply {
                base: a.base.map(f),
                ..(**a).clone()
            })),
            other => other.clone(),
        }
    }

    /// The literal texts in this source: constant strings (inside lists and objects too)
    /// and the text between interpolations.
    pub fn literal_texts<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Src::Const(v) => const_texts(v, out),
            Src::Template(parts) => parts.iter().for_each(|p| match p {
                Piece::Text(t) => out.push(t),
                Piece::Value(s) => s.literal_texts(out),
            }),
            Src::List(items) => items.iter().for_each(|s| s.literal_texts(out)),
            Src::Object(entries) => entries.iter().for_each(|(_, s)| s.literal_texts(out)),
            _ => {}
        }
    }
}

fn const_texts<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|x| const_texts(x, out)),
        Value::Object(map) => map.values().for_each(|x| const_texts(x, out)),
        _ => {}
    }
}

/// What the sources of a plan stand for in the recording: the recorded params, results
/// and slot answers.
pub struct Recorded<'a> {
    pub params: &'a [Value],
    pub kept: &'a [(usize, &'a RecStep)],
    pub slots: &'a [Value],
    pub loops: &'a [LoopPlan],
}

impl Recorded<'_> {
    /// The value of a source for the recorded binding; `None` for a loop's element (it
    /// has one per iteration) or a value the recording does not have.
    pub fn value(&self, src: &Src) -> Option<Value> {
        Some(match src {
            Src::Const(v) => v.clone(),
            Src::Param(i) => self.params.get(*i)?.clone(),
            Src::Step(j) => self.kept.get(*j)?.1.result.clone()?,
            Src::Slot(i) => self.slots.get(*i)?.clone(),
            Src::Loop(l) => Value::Array(super::loops::values(self.loops.get(*l)?, self.kept)),
            Src::Elem(_) => return None,
            Src::Access(base, path) => {
                let mut v = self.value(base)?;
                for a in path {
                    v = match a {
                        Access::Key(k) => v.get(k)?.clone(),
                        Access::Index(i) => v.get(*i)?.clone(),
                    };
                }
                v
            }
            Src::Template(parts) => {
                let mut out = String::new();
                for p in parts {
                    match p {
                        Piece::Text(t) => out.push_str(t),
                        Piece::Value(s) => out.push_str(&to_text(&self.value(s)?)),
                    }
                }
                Value::String(out)
            }
            Src::List(items) => {
                Value::Array(items.iter().map(|s| self.value(s)).collect::<Option<_>>()?)
            }
            Src::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, s)| Some((k.clone(), self.value(s)?)))
                    .collect::<Option<_>>()?,
            ),
            Src::Apply(a) => super::forms::apply(&a.form(), &self.value(&a.base)?)?,
        })
    }
}
