//! Scalars: quoted ones on one line, and the type of a plain one when it is certain.

use super::{Fast, Outside, Reader};
use crate::value::Value;

impl Reader<'_> {
    /// A quoted scalar on one line, from its opening quote to after its closing one.
    pub(super) fn quoted(&mut self) -> Fast<String> {
        let quote = self.peek().ok_or(Outside)?;
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let b = self.peek().ok_or(Outside)?;
            self.pos += 1;
            match b {
                b'\n' => return Err(Outside),
                b'\'' if quote == b'\'' => {
                    if self.peek() != Some(b'\'') {
                        break;
                    }
                    self.pos += 1;
                    out.push(b'\'');
                }
                b'"' if quote == b'"' => break,
                b'\\' if quote == b'"' => self.escape(&mut out)?,
                _ => out.push(b),
            }
        }
        String::from_utf8(out).map_err(|_| Outside)
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Fast<()> {
        let b = self.peek().ok_or(Outside)?;
        self.pos += 1;
        let c = match b {
            b'\\' | b'"' | b'/' => char::from(b),
            b'n' => '\n',
            b't' => '\t',
            b'r' => '\r',
            b'u' => {
                let hex = self.s.get(self.pos..self.pos + 4).ok_or(Outside)?;
                self.pos += 4;
                let hex = std::str::from_utf8(hex).map_err(|_| Outside)?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(Outside);
                }
                let code = u32::from_str_radix(hex, 16).map_err(|_| Outside)?;
                char::from_u32(code).ok_or(Outside)?
            }
            _ => return Err(Outside),
        };
        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
        Ok(())
    }
}

/// The value of a plain scalar under the YAML 1.2 core schema with llmos's options, when
/// it is certain; [`Outside`] for the spellings serde-saphyr decides with rules not
/// repeated here (other number forms, leading zeros, underscores, `.inf`, ...).
pub(super) fn plain_value(s: &str) -> Fast<Value> {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        _ => {}
    }
    let numeric_char = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-');
    if !s.bytes().all(numeric_char) {
        return Ok(Value::String(s.to_string()));
    }
    let (sign, unsigned) = match s.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", s),
    };
    let (int, frac) = match unsigned.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (unsigned, None),
    };
    let digits = |d: &str| !d.is_empty() && d.len() <= 17 && d.bytes().all(|b| b.is_ascii_digit());
    let int_ok = digits(int) && (int == "0" || !int.starts_with('0'));
    match frac {
        None if int_ok && sign.is_empty() => {
            return Ok(Value::from(int.parse::<u64>().map_err(|_| Outside)?));
        }
        None if int_ok && int != "0" => {
            return Ok(Value::from(s.parse::<i64>().map_err(|_| Outside)?));
        }
        Some(frac) if int_ok && digits(frac) => {
            let f = s.parse::<f64>().map_err(|_| Outside)?;
            return serde_json::Number::from_f64(f)
                .map(Value::Number)
                .ok_or(Outside);
        }
        _ => {}
    }
    let float_word = ["inf", "infinity", "nan"]
        .iter()
        .any(|w| s.eq_ignore_ascii_case(w));
    if s.as_bytes()[0].is_ascii_alphabetic() && !float_word {
        return Ok(Value::String(s.to_string()));
    }
    Err(Outside)
}
