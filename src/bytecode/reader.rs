//! The byte-level reader of `.llb` files: bounded reads of the primitives of the format
//! (bytes, minimal varints, counts, UTF-8 strings, options, effect sets, types and
//! constants). Every read checks the bytes that remain first; recursion (constants only)
//! is bounded by [`MAX_VALUE_DEPTH`], and types are read in a loop.

use super::error::{DecodeError, DecodeErrorKind};
use super::format::{self, MAX_TYPE_DEPTH, MAX_VALUE_DEPTH};
use crate::types::{EffectSet, Type};
use crate::value::Value;

/// A cursor over the bytes being decoded.
pub(super) struct Reader<'a> {
    pub bytes: &'a [u8],
    pub pos: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn err(&self, message: impl Into<String>) -> DecodeError {
        self.err_at(self.pos, message)
    }

    pub(super) fn err_at(&self, offset: usize, message: impl Into<String>) -> DecodeError {
        DecodeError::new(offset, DecodeErrorKind::Malformed, message)
    }

    pub(super) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    pub(super) fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(self.err(format!(
                "truncated: {what} needs {n} bytes, only {} remain",
                self.remaining()
            )));
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    pub(super) fn byte(&mut self, what: &str) -> Result<u8, DecodeError> {
        match self.bytes.get(self.pos) {
            Some(b) => {
                self.pos += 1;
                Ok(*b)
            }
            None => Err(self.err(format!("truncated: expected {what}, found the end"))),
        }
    }

    /// An unsigned LEB128 varint of minimal length.
    pub(super) fn uvar(&mut self, what: &str) -> Result<u64, DecodeError> {
        let start = self.pos;
        let mut v: u64 = 0;
        for i in 0..10u32 {
            let b = self.byte(what)?;
            let bits = u64::from(b & 0x7f);
            if i == 9 && b > 1 {
                return Err(self.err_at(start, format!("{what}: varint overflows 64 bits")));
            }
            v |= bits << (7 * i);
            if b & 0x80 == 0 {
                if b == 0 && i > 0 {
                    return Err(
                        self.err_at(start, format!("{what}: varint is not in its shortest form"))
                    );
                }
                return Ok(v);
            }
        }
        Err(self.err_at(start, format!("{what}: varint longer than 10 bytes")))
    }

    /// A table index (fits a `u32`; range against the table is checked by verify).
    pub(super) fn id(&mut self, what: &str) -> Result<u32, DecodeError> {
        let start = self.pos;
        let v = self.uvar(what)?;
        u32::try_from(v).map_err(|_| self.err_at(start, format!("{what}: index {v} is too large")))
    }

    /// A count of items that take at least one byte each: bounded by the bytes left.
    pub(super) fn count(&mut self, what: &str) -> Result<usize, DecodeError> {
        let start = self.pos;
        let n = self.uvar(&format!("the number of {what}"))?;
        match usize::try_from(n) {
            Ok(n) if n <= self.remaining() => Ok(n),
            _ => Err(self.err_at(
                start,
                format!(
                    "{n} {what} cannot fit in the {} bytes that remain",
                    self.remaining()
                ),
            )),
        }
    }

    pub(super) fn str(&mut self, what: &str) -> Result<String, DecodeError> {
        let start = self.pos;
        let n = self.uvar(&format!("the length of {what}"))?;
        let n = match usize::try_from(n) {
            Ok(n) if n <= self.remaining() => n,
            _ => {
                return Err(self.err_at(
                    start,
                    format!(
                        "truncated: {what} is {n} bytes long, only {} remain",
                        self.remaining()
                    ),
                ));
            }
        };
        let text_at = self.pos;
        let raw = self.take(n, what)?;
        match std::str::from_utf8(raw) {
            Ok(s) => Ok(s.to_owned()),
            Err(e) => Err(self.err_at(
                text_at + e.valid_up_to(),
                format!("{what} is not valid UTF-8"),
            )),
        }
    }

    pub(super) fn opt<T>(
        &mut self,
        what: &str,
        f: impl FnOnce(&mut Reader<'a>) -> Result<T, DecodeError>,
    ) -> Result<Option<T>, DecodeError> {
        let at = self.pos;
        match self.byte(what)? {
            format::ABSENT => Ok(None),
            format::PRESENT => f(self).map(Some),
            b => Err(self.err_at(
                at,
                format!("{what}: expected 0 (absent) or 1 (present), found {b:#04x}"),
            )),
        }
    }

    pub(super) fn effects(&mut self, what: &str) -> Result<EffectSet, DecodeError> {
        let at = self.pos;
        let b = self.byte(what)?;
        if b & 0x80 != 0 {
            return Err(self.err_at(at, format!("{what}: unknown effect bit in {b:#04x}")));
        }
        Ok(EffectSet(b))
    }

    /// A type, read in a loop: `LIST` tags then a base tag.
    pub(super) fn ty(&mut self) -> Result<Type, DecodeError> {
        let start = self.pos;
        let mut depth = 0usize;
        let base = loop {
            let at = self.pos;
            let t = match self.byte("a type")? {
                format::ty::STR => Type::Str,
                format::ty::INT => Type::Int,
                format::ty::FLOAT => Type::Float,
                format::ty::BOOL => Type::Bool,
                format::ty::PATH => Type::Path,
                format::ty::JSON => Type::Json,
                format::ty::LIST => {
                    depth += 1;
                    if depth > MAX_TYPE_DEPTH {
                        return Err(self.err_at(
                            start,
                            format!("a type is nested more than {MAX_TYPE_DEPTH} lists deep"),
                        ));
                    }
                    continue;
                }
                b => return Err(self.err_at(at, format!("unknown type tag {b:#04x}"))),
            };
            break t;
        };
        Ok((0..depth).fold(base, |t, _| Type::List(Box::new(t))))
    }

    /// A constant; `depth` is the nesting so far.
    pub(super) fn value(&mut self, depth: usize) -> Result<Value, DecodeError> {
        use format::value as tag;
        let at = self.pos;
        if depth > MAX_VALUE_DEPTH {
            return Err(self.err_at(
                at,
                format!("a constant is nested more than {MAX_VALUE_DEPTH} deep"),
            ));
        }
        Ok(match self.byte("a constant")? {
            tag::NULL => Value::Null,
            tag::FALSE => Value::Bool(false),
            tag::TRUE => Value::Bool(true),
            tag::UINT => Value::from(self.uvar("an integer")?),
            tag::NEGINT => {
                let v = self.uvar("an integer")?;
                let Ok(v) = i64::try_from(v) else {
                    return Err(self.err_at(at, "a negative integer is below the i64 range"));
                };
                Value::from(!v)
            }
            tag::FLOAT => {
                let raw = self.take(8, "a float")?;
                let mut b = [0u8; 8];
                b.copy_from_slice(raw);
                let f = f64::from_bits(u64::from_le_bytes(b));
                match serde_json::Number::from_f64(f) {
                    Some(n) => Value::Number(n),
                    None => return Err(self.err_at(at, format!("float {f} is not finite"))),
                }
            }
            tag::STRING => Value::String(self.str("a string constant")?),
            tag::ARRAY => {
                let n = self.count("array items")?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                Value::Array(items)
            }
            tag::OBJECT => {
                let n = self.count("object entries")?;
                let mut map = serde_json::Map::new();
                let mut last: Option<String> = None;
                for _ in 0..n {
                    let key_at = self.pos;
                    let key = self.str("an object key")?;
                    if last.as_ref().is_some_and(|l| *l >= key) {
                        return Err(self.err_at(
                            key_at,
                            format!("object key {key:?} is out of order or repeated (keys are sorted, unique)"),
                        ));
                    }
                    let v = self.value(depth + 1)?;
                    last = Some(key.clone());
                    map.insert(key, v);
                }
                Value::Object(map)
            }
            b => return Err(self.err_at(at, format!("unknown constant tag {b:#04x}"))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(bytes: &[u8]) -> Reader<'_> {
        Reader { bytes, pos: 0 }
    }

    #[test]
    fn overlong_and_overflowing_varints_are_refused() {
        assert_eq!(reader(&[0x80, 0x01]).uvar("x").unwrap(), 128);
        let e = reader(&[0x80, 0x00]).uvar("x").unwrap_err();
        assert!(e.message.contains("shortest form"), "{e}");
        let e = reader(&[0xff; 9].iter().copied().chain([0x02]).collect::<Vec<_>>())
            .uvar("x")
            .unwrap_err();
        assert!(e.message.contains("overflows"), "{e}");
        let e = reader(&[0x80]).uvar("x").unwrap_err();
        assert!(e.message.contains("truncated"), "{e}");
    }

    #[test]
    fn lying_counts_do_not_allocate() {
        // 2^62 items claimed with 0 bytes behind them.
        let e = reader(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f])
            .count("ops")
            .unwrap_err();
        assert!(e.message.contains("cannot fit"), "{e}");
    }

    #[test]
    fn deep_types_and_values_are_refused() {
        let deep = vec![format::ty::LIST; MAX_TYPE_DEPTH + 1];
        let e = reader(&deep).ty().unwrap_err();
        assert!(e.message.contains("nested"), "{e}");
        let mut ok = vec![format::ty::LIST; MAX_TYPE_DEPTH];
        ok.push(format::ty::INT);
        assert!(reader(&ok).ty().is_ok());
        let mut v = Vec::new();
        for _ in 0..=MAX_VALUE_DEPTH + 1 {
            v.extend_from_slice(&[format::value::ARRAY, 1]);
        }
        v.push(format::value::NULL);
        let e = reader(&v).value(0).unwrap_err();
        assert!(e.message.contains("nested"), "{e}");
    }

    #[test]
    fn object_keys_must_be_sorted_and_unique() {
        use format::value as t;
        let bytes = [t::OBJECT, 2, 1, b'b', t::NULL, 1, b'a', t::NULL];
        let e = reader(&bytes).value(0).unwrap_err();
        assert!(e.message.contains("out of order"), "{e}");
        assert_eq!(e.offset, 5);
    }
}
