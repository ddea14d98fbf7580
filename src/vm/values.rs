//! The values of a run: bound params, constants, and each op's result, kept until its
//! last reader has read it. The last reader takes the value instead of copying it, so a
//! file's text read once and passed on is never copied.
//!
//! Inline ops (`Template`, `List`, `Object`, `Field`, `Index`, `Check`, `Compare`,
//! `Not`) are evaluated here ([`eval`]): they only rearrange values. The same code runs
//! them in a block's frame (`frame.rs`), through the [`Operands`] trait.
//!
//! Sizes ([`crate::value::size_of`]) are limits: no value may go over `limits.value`,
//! nor the values a run holds at once over `limits.run_values` (kept per stored value
//! here and in block frames, on one [`crate::limits::ValueMeter`] of the run's context).
//! Templates, lists and objects are measured from their parts before they are
//! built, so a trace that doubles a string again and again stops at the limit, not at
//! the end of memory.

use std::borrow::Cow;
use std::sync::Arc;

use crate::ir::{ConstId, OpId, OpKind, Operand, Part, Program};
use crate::limits::{Limit, format_size};
use crate::tools::ToolCtx;
use crate::types::Type;
use crate::value::{
    ELEMENT_BYTES, FIELD_BYTES, Value, coerce, compare, kind_of, size_of, size_up_to, to_text,
    truth,
};
use crate::vm::RunErrorKind;

pub(crate) static NULL: Value = Value::Null;

/// Where inline ops read their operands: a run's values, or a block's frame.
pub(crate) trait Operands<'p> {
    fn program(&self) -> &'p Program;

    /// Reads an operand once: borrowed while others still need it, owned for the last
    /// reader.
    fn get(&mut self, o: Operand) -> Cow<'_, Value>;

    /// An operand's value without reading it (`None` when it is not there).
    fn peek(&self, o: Operand) -> Option<&Value>;

    /// `limits.value`.
    fn value_max(&self) -> u64;

    /// The size of an operand's value.
    fn size(&self, o: Operand) -> u64 {
        self.peek(o).map_or(0, size_of)
    }

    /// Reads an operand as an owned value.
    fn take(&mut self, o: Operand) -> Value {
        self.get(o).into_owned()
    }

    /// A string constant (checked before the run).
    fn text(&self, c: ConstId) -> &'p str {
        self.program()
            .consts
            .get(c.index())
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// Interpolates a template: text parts as they are, values as `value::to_text`.
    /// The text may not go over `limits.value`: the parts that are strings are measured
    /// before anything is built, the others as they are added.
    fn interpolate(&mut self, parts: &[Part]) -> Result<String, String> {
        let known: u64 = parts
            .iter()
            .map(|part| match part {
                Part::Text(c) => self.text(*c).len() as u64,
                Part::Value(o) => match self.peek(*o) {
                    Some(Value::String(s)) => s.len() as u64,
                    _ => 0,
                },
            })
            .sum();
        let max = self.value_max();
        check_built("text", known, max)?;
        let mut out = String::with_capacity(usize::try_from(known).unwrap_or(0));
        for part in parts {
            match part {
                Part::Text(c) => push_within(&mut out, self.text(*c), max)?,
                Part::Value(o) => {
                    let v = self.get(*o);
                    push_within(&mut out, &to_text(&v), max)?;
                }
            }
        }
        Ok(out)
    }
}

/// Refuses a value of `size` that is about to be built, naming what it is.
fn check_built(what: &str, size: u64, max: u64) -> Result<(), String> {
    if size > max {
        return Err(
            Limit::Value.exceeded(format!("the {what} would take {}", format_size(size)), max)
        );
    }
    Ok(())
}

/// Appends `piece` to a text being built, unless that takes it over `max`.
fn push_within(out: &mut String, piece: &str, max: u64) -> Result<(), String> {
    check_built("text", (out.len() + piece.len()) as u64, max)?;
    out.push_str(piece);
    Ok(())
}

/// Checks a value made by an op against `limits.value`: its size, or the refusal.
pub(crate) fn admit(v: &Value, max: u64) -> Result<u64, String> {
    size_up_to(v, max)
        .ok_or_else(|| Limit::Value.exceeded(format!("the {} takes more", kind_of(v)), max))
}

/// Evaluates an inline op of type `ty`: its value, or the kind of failure and why.
/// Tool calls, slots, blocks and `expect` are not inline: the scheduler and the block
/// runner run them.
pub(crate) fn eval<'p>(
    r: &mut impl Operands<'p>,
    kind: &OpKind,
    ty: &Type,
) -> Result<Value, (RunErrorKind, String)> {
    let limit = |e| (RunErrorKind::Limit, e);
    let max = r.value_max();
    let value = match kind {
        OpKind::Template { parts } => Value::String(r.interpolate(parts).map_err(limit)?),
        OpKind::List { items } => {
            let size = items.iter().map(|o| ELEMENT_BYTES + r.size(*o)).sum();
            check_built("list", size, max).map_err(limit)?;
            Value::Array(items.iter().map(|o| r.take(*o)).collect())
        }
        OpKind::Object { entries } => {
            let size = entries
                .iter()
                .map(|(k, o)| FIELD_BYTES + r.text(*k).len() as u64 + r.size(*o))
                .sum();
            check_built("object", size, max).map_err(limit)?;
            let mut map = serde_json::Map::new();
            for (k, o) in entries {
                let v = r.take(*o);
                map.insert(r.text(*k).to_owned(), v);
            }
            Value::Object(map)
        }
        other => checked(r, other, ty).map_err(|e| (RunErrorKind::Check, e))?,
    };
    Ok(value)
}

/// The inline ops that can fail a check (and make nothing larger than their inputs).
fn checked<'p>(r: &mut impl Operands<'p>, kind: &OpKind, ty: &Type) -> Result<Value, String> {
    match kind {
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
    /// The size of each stored result.
    sizes: Vec<u64>,
    /// The sizes of the values held now, params included (also counted in `meter`).
    live: u64,
    /// `limits.value`.
    value_max: u64,
    /// The run's values, its blocks' included, against `limits.run_values`.
    meter: Arc<ToolCtx>,
}

impl<'p> Values<'p> {
    pub fn new(
        program: &'p Program,
        params: Vec<Value>,
        uses: Vec<u32>,
        ctx: &Arc<ToolCtx>,
    ) -> Values<'p> {
        let live = params.iter().map(size_of).sum();
        ctx.values().hold(live);
        Values {
            program,
            params,
            results: vec![None; program.ops.len()],
            uses,
            sizes: vec![0; program.ops.len()],
            live,
            value_max: ctx.limits.value_max,
            meter: Arc::clone(ctx),
        }
    }

    /// Checks op `op`'s result against the size limits: its size, or why it is refused.
    pub fn admit(&self, op: OpId, v: &Value) -> Result<u64, String> {
        let size = admit(v, self.value_max)?;
        if self.uses.get(op.index()).copied().unwrap_or(0) > 0 {
            self.meter.values().fits(size)?;
        }
        Ok(size)
    }

    /// Stores op `op`'s result of `size` (from [`Values::admit`]); dropped at once when
    /// nothing reads it.
    pub fn set(&mut self, op: OpId, v: Value, size: u64) {
        let i = op.index();
        if self.uses.get(i).copied().unwrap_or(0) > 0
            && let (Some(slot), Some(sz)) = (self.results.get_mut(i), self.sizes.get_mut(i))
        {
            *slot = Some(v);
            *sz = size;
            self.live = self.live.saturating_add(size);
            self.meter.values().hold(size);
        }
    }

    /// Interpolates a template (see [`Operands::interpolate`]).
    pub fn interpolate(&mut self, parts: &[Part]) -> Result<String, String> {
        Operands::interpolate(self, parts)
    }

    /// Evaluates an inline op (see [`eval`]).
    pub fn eval(&mut self, kind: &OpKind, ty: &Type) -> Result<Value, (RunErrorKind, String)> {
        eval(self, kind, ty)
    }

    /// Reads an operand as an owned value.
    pub fn take(&mut self, o: Operand) -> Value {
        Operands::take(self, o)
    }
}

impl Drop for Values<'_> {
    /// What the run still holds is no longer held (a context may outlive the run).
    fn drop(&mut self) {
        self.meter.values().release(self.live);
    }
}

impl<'p> Operands<'p> for Values<'p> {
    fn program(&self) -> &'p Program {
        self.program
    }

    fn peek(&self, o: Operand) -> Option<&Value> {
        match o {
            Operand::Const(c) => self.program.consts.get(c.index()),
            Operand::Param(p) => self.params.get(p.index()),
            Operand::Op(d) => self.results.get(d.index())?.as_ref(),
            Operand::Local(_) | Operand::Elem => None,
        }
    }

    fn value_max(&self) -> u64 {
        self.value_max
    }

    /// Stored results by their recorded size (no walk through them).
    fn size(&self, o: Operand) -> u64 {
        match o {
            Operand::Op(d) => self.sizes.get(d.index()).copied().unwrap_or(0),
            other => self.peek(other).map_or(0, size_of),
        }
    }

    fn get(&mut self, o: Operand) -> Cow<'_, Value> {
        match o {
            Operand::Const(c) => Cow::Borrowed(self.program.consts.get(c.index()).unwrap_or(&NULL)),
            Operand::Param(p) => Cow::Borrowed(self.params.get(p.index()).unwrap_or(&NULL)),
            Operand::Op(d) => {
                let i = d.index();
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
                    let size = self.sizes.get(i).copied().unwrap_or(0);
                    self.live = self.live.saturating_sub(size);
                    self.meter.values().release(size);
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
