//! The values of a run: bound params, constants, and each op's result, kept until its
//! last reader has read it. The last reader takes the value instead of copying it, so a
//! file's text read once and passed on is never copied.
//!
//! Inline ops (`Template`, `List`, `Object`, `Field`, `Index`, `Check`, `Compare`,
//! `Not`) are evaluated here ([`eval`]): they only rearrange values. The same code runs
//! them in a block's frame (`frame.rs`), through the [`Operands`] trait.

use std::borrow::Cow;

use crate::ir::{ConstId, OpId, OpKind, Operand, Part, Program};
use crate::types::Type;
use crate::value::{Value, coerce, compare, kind_of, to_text, truth};

pub(crate) static NULL: Value = Value::Null;

/// Where inline ops read their operands: a run's values, or a block's frame.
pub(crate) trait Operands<'p> {
    fn program(&self) -> &'p Program;

    /// Reads an operand once: borrowed while others still need it, owned for the last
    /// reader.
    fn get(&mut self, o: Operand) -> Cow<'_, Value>;

    /// Reads an operand as an owned value.
    fn take(&mut self, o: Operand) -> Value {
        self.get(o).into_owned()
    }

    /// A string constant (checked before the run).
    fn text(&self, c: ConstId) -> &'p str {
        self.program()
            .consts
            .get(c as usize)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// Interpolates a template: text parts as they are, values as `value::to_text`.
    fn interpolate(&mut self, parts: &[Part]) -> String {
        let mut out = String::new();
        for part in parts {
            match part {
                Part::Text(c) => out.push_str(self.text(*c)),
                Part::Value(o) => {
                    let v = self.get(*o);
                    out.push_str(&to_text(&v));
                }
            }
        }
        out
    }
}

/// Evaluates an inline op of type `ty`. Tool calls, slots, blocks and `expect` are not
/// inline: the scheduler and the block runner run them.
pub(crate) fn eval<'p>(
    r: &mut impl Operands<'p>,
    kind: &OpKind,
    ty: &Type,
) -> Result<Value, String> {
    match kind {
        OpKind::Template { parts } => Ok(Value::String(r.interpolate(parts))),
        OpKind::List { items } => Ok(Value::Array(items.iter().map(|o| r.take(*o)).collect())),
        OpKind::Object { entries } => {
            let mut map = serde_json::Map::new();
            for (k, o) in entries {
                let v = r.take(*o);
                map.insert(r.text(*k).to_owned(), v);
            }
            Ok(Value::Object(map))
        }
        OpKind::Field { base, key } => {
            let key = r.text(*key);
            field(r.get(*base), key)
        }
        OpKind::Index { base, index } => {
            let index = r.take(*index);
            element(r.get(*base), &index)
        }
        OpKind::Check { value } => coerce(r.take(*value), ty),
        OpKind::Compare { op, lhs, rhs } => {
            let a = r.take(*lhs);
            compare(&a, &r.get(*rhs), *op).map(Value::Bool)
        }
        OpKind::Not { value } => truth(&r.get(*value)).map(|b| Value::Bool(!b)),
        _ => Err("internal error: a tool or block op evaluated inline".to_owned()),
    }
}

/// Params, constants and op results of one run.
pub(crate) struct Values<'p> {
    program: &'p Program,
    params: Vec<Value>,
    results: Vec<Option<Value>>,
    /// Reads left of each op's result; at zero the value is dropped.
    uses: Vec<u32>,
}

impl<'p> Values<'p> {
    pub fn new(program: &'p Program, params: Vec<Value>, uses: Vec<u32>) -> Values<'p> {
        Values {
            program,
            params,
            results: vec![None; program.ops.len()],
            uses,
        }
    }

    /// Stores op `op`'s result (dropped at once when nothing reads it).
    pub fn set(&mut self, op: OpId, v: Value) {
        let i = op as usize;
        if self.uses.get(i).copied().unwrap_or(0) > 0
            && let Some(slot) = self.results.get_mut(i)
        {
            *slot = Some(v);
        }
    }

    /// Interpolates a template (see [`Operands::interpolate`]).
    pub fn interpolate(&mut self, parts: &[Part]) -> String {
        Operands::interpolate(self, parts)
    }

    /// Evaluates an inline op (see [`eval`]).
    pub fn eval(&mut self, kind: &OpKind, ty: &Type) -> Result<Value, String> {
        eval(self, kind, ty)
    }

    /// Reads an operand as an owned value.
    pub fn take(&mut self, o: Operand) -> Value {
        Operands::take(self, o)
    }
}

impl<'p> Operands<'p> for Values<'p> {
    fn program(&self) -> &'p Program {
        self.program
    }

    fn get(&mut self, o: Operand) -> Cow<'_, Value> {
        match o {
            Operand::Const(c) => {
                Cow::Borrowed(self.program.consts.get(c as usize).unwrap_or(&NULL))
            }
            Operand::Param(p) => Cow::Borrowed(self.params.get(p as usize).unwrap_or(&NULL)),
            Operand::Op(d) => {
                let i = d as usize;
                let (Some(left), Some(slot)) = (self.uses.get_mut(i), self.results.get_mut(i))
                else {
                    return Cow::Borrowed(&NULL);
                };
                // The scheduler runs an op only after every op it reads, and each read
                // is counted in `uses`, so the value is there.
                debug_assert!(
                    slot.is_some(),
                    "op {d} read before it ran or after its last use"
                );
                *left = left.saturating_sub(1);
                if *left == 0 {
                    Cow::Owned(slot.take().unwrap_or(Value::Null))
                } else {
                    Cow::Borrowed(slot.as_ref().unwrap_or(&NULL))
                }
            }
            // Only blocks have captures and elements (checked before the run).
            Operand::Local(_) | Operand::Elem => Cow::Borrowed(&NULL),
        }
    }
}

/// `base.key`: the field of an object.
pub(crate) fn field(base: Cow<'_, Value>, key: &str) -> Result<Value, String> {
    let found = match &base {
        Cow::Borrowed(Value::Object(m)) => m.get(key).cloned(),
        Cow::Owned(Value::Object(_)) => match base.into_owned() {
            Value::Object(mut m) => m.remove(key),
            _ => None,
        },
        other => {
            return Err(format!(
                "`.{key}` needs an object, found {}",
                kind_of(other)
            ));
        }
    };
    found.ok_or_else(|| format!("the object has no field `{key}`"))
}

/// `base[index]`: an element of a list (by a non-negative int) or a field of an object
/// (by a string).
pub(crate) fn element(base: Cow<'_, Value>, index: &Value) -> Result<Value, String> {
    match (base.as_ref(), index) {
        (Value::Array(items), Value::Number(n)) => {
            let len = items.len();
            let i = n
                .as_u64()
                .and_then(|i| usize::try_from(i).ok())
                .filter(|i| *i < len)
                .ok_or_else(|| {
                    format!(
                        "index {} is out of range for a list of {len} element{}",
                        crate::value::number_text(n),
                        if len == 1 { "" } else { "s" }
                    )
                })?;
            Ok(match base {
                Cow::Owned(Value::Array(mut items)) => items.swap_remove(i),
                _ => items.get(i).cloned().unwrap_or(Value::Null),
            })
        }
        (Value::Object(_), Value::String(key)) => field(base, key),
        (b, i) => Err(format!(
            "cannot index {} with {} {}",
            kind_of(b),
            kind_of(i),
            crate::value::short(i)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_and_elements() {
        let obj = json!({"a": 1, "b": [10, 20]});
        assert_eq!(field(Cow::Borrowed(&obj), "a").unwrap(), json!(1));
        assert_eq!(
            field(Cow::Owned(obj.clone()), "b").unwrap(),
            json!([10, 20])
        );
        assert_eq!(
            field(Cow::Borrowed(&obj), "c").unwrap_err(),
            "the object has no field `c`"
        );
        assert_eq!(
            field(Cow::Borrowed(&json!([1])), "c").unwrap_err(),
            "`.c` needs an object, found list"
        );
        let list = json!([10, 20, 30]);
        assert_eq!(element(Cow::Borrowed(&list), &json!(2)).unwrap(), json!(30));
        assert_eq!(
            element(Cow::Owned(list.clone()), &json!(0)).unwrap(),
            json!(10)
        );
        assert_eq!(
            element(Cow::Borrowed(&list), &json!(3)).unwrap_err(),
            "index 3 is out of range for a list of 3 elements"
        );
        assert!(element(Cow::Borrowed(&list), &json!(-1)).is_err());
        assert_eq!(element(Cow::Borrowed(&obj), &json!("a")).unwrap(), json!(1));
        assert!(element(Cow::Borrowed(&json!("s")), &json!(0)).is_err());
    }
}
