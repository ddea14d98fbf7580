//! The forms of the kept steps' results, made once per compile: the evidence pass and the
//! plan pass (once or twice) make the same results known, each with the same forms, and
//! every form runs a real tool.

use std::cell::OnceCell;

use super::{Access, MAX_DEPTH, MAX_ELEMENTS, is_word, words};
use crate::learn::compile::forms::{self, Form};
use crate::learn::recording::RecStep;
use crate::value::Value;

/// The forms of one result: of the whole, and of each part a program can reach.
pub struct ResultForms {
    /// `list.last` of a list whose last element is unique, when the goal asks for the
    /// last of something (whatever the list's length, never element N of a longer one).
    pub last: Option<Form>,
    /// Forms of the whole result ([`forms::result_forms`]).
    pub whole: Vec<Form>,
    /// Per part, in the order [`each_part`] visits them: the lists of one field of every
    /// element of a list of objects; a float field with fewer decimals, a text field
    /// trimmed.
    pub parts: Vec<Vec<Form>>,
}

impl ResultForms {
    /// The forms of `result`; `asks_last`: the goal has the word `last`.
    pub fn of(result: &Value, asks_last: bool) -> ResultForms {
        let last = match result {
            Value::Array(items)
                if asks_last
                    && items.len() >= 2
                    && items.last().is_some_and(|l| {
                        items.iter().filter(|x| super::same(x, l)).count() == 1
                    }) =>
            {
                let f = Form {
                    tool: "list.last",
                    input: "items",
                    extra: Vec::new(),
                    value: Value::Null,
                };
                forms::apply(&f, result).map(|value| Form { value, ..f })
            }
            _ => None,
        };
        let mut parts = Vec::new();
        each_part(result, &mut Vec::new(), &mut |_, x| {
            let mut here = Vec::new();
            if let Value::Array(items) = x {
                here.extend(forms::pluck_forms(items));
            }
            if x.is_f64() || x.is_string() {
                here.extend(forms::result_forms(x).into_iter().filter(|f| {
                    matches!(f.tool, "text.format_number" | "text.trim_end" | "text.trim")
                }));
            }
            parts.push(here);
        });
        ResultForms {
            last,
            whole: forms::result_forms(result),
            parts,
        }
    }
}

/// Calls `f` on each part of `v` a program can reach (fields with plain names, the first
/// [`MAX_ELEMENTS`] elements, [`MAX_DEPTH`] levels down), depth first, with its path.
pub fn each_part<'v>(
    v: &'v Value,
    path: &mut Vec<Access>,
    f: &mut impl FnMut(&[Access], &'v Value),
) {
    if path.len() >= MAX_DEPTH {
        return;
    }
    let mut visit = |a: Access, x: &'v Value, path: &mut Vec<Access>| {
        path.push(a);
        f(path, x);
        each_part(x, path, f);
        path.pop();
    };
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter().filter(|(k, _)| is_word(k)) {
                visit(Access::Key(k.clone()), x, path);
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate().take(MAX_ELEMENTS) {
                visit(Access::Index(i), x, path);
            }
        }
        _ => {}
    }
}

/// The kept steps' results with their forms, each made on first use.
pub struct Results<'r> {
    kept: &'r [(usize, &'r RecStep)],
    asks_last: bool,
    forms: Vec<OnceCell<ResultForms>>,
}

impl<'r> Results<'r> {
    pub fn new(goal: &str, kept: &'r [(usize, &'r RecStep)]) -> Results<'r> {
        Results {
            kept,
            asks_last: words(goal).any(|w| w.to_lowercase() == "last"),
            forms: (0..kept.len()).map(|_| OnceCell::new()).collect(),
        }
    }

    /// Kept step `k`'s result and its forms; `None` for a step without a result.
    pub fn get(&self, k: usize) -> Option<(&'r Value, &ResultForms)> {
        let result = self.kept.get(k)?.1.result.as_ref()?;
        let forms = self.forms[k].get_or_init(|| ResultForms::of(result, self.asks_last));
        Some((result, forms))
    }
}
