//! The encoder: an IR program to its canonical `.llb` bytes.
//!
//! Every field has exactly one encoding (minimal LEB128 varints, object keys sorted,
//! floats by their bits, sections in one fixed order), so equal programs give equal bytes
//! and the blake3 hash of the bytes is the program's identity.

use super::format::{self, section};
use crate::ir::{Block, Op, OpKind, Operand, Part, Program, Step};
use crate::types::Type;
use crate::value::Value;

/// The canonical bytes of a program.
pub fn encode(p: &Program) -> Vec<u8> {
    let mut w = Writer {
        out: Vec::with_capacity(64 + p.ops.len() * 12),
    };
    w.out.extend_from_slice(&format::MAGIC);
    w.out
        .extend_from_slice(&format::FORMAT_VERSION.to_le_bytes());

    w.byte(section::NAME);
    w.str(&p.name);

    w.byte(section::GOAL);
    w.opt(p.goal.as_ref(), |w, g| w.str(g));

    w.byte(section::EFFECTS);
    w.byte(p.effects.0);

    w.byte(section::TOOLS);
    w.uvar(p.tools.len() as u64);
    for t in &p.tools {
        w.str(&t.name);
        w.out.extend_from_slice(&t.sig_hash);
        w.byte(t.effects.0);
    }

    w.byte(section::CONSTS);
    w.uvar(p.consts.len() as u64);
    for c in &p.consts {
        w.value(c);
    }

    w.byte(section::PARAMS);
    w.uvar(p.params.len() as u64);
    for q in &p.params {
        w.str(&q.name);
        w.ty(&q.ty);
        w.opt(q.default.as_ref(), |w, v| w.value(v));
    }

    w.byte(section::SLOTS);
    w.uvar(p.slots.len() as u64);
    for s in &p.slots {
        w.str(&s.name);
        w.ty(&s.ty);
        w.parts(&s.prompt);
    }

    w.byte(section::OPS);
    w.ops(&p.ops);

    w.byte(section::BLOCKS);
    w.uvar(p.blocks.len() as u64);
    for b in &p.blocks {
        w.block(b);
    }

    w.byte(section::STEPS);
    w.steps(&p.steps);

    w.byte(section::OUTPUT);
    w.opt(p.output.as_ref(), |w, o| w.operand(*o));
    w.out
}

struct Writer {
    out: Vec<u8>,
}

impl Writer {
    fn byte(&mut self, b: u8) {
        self.out.push(b);
    }

    /// Unsigned LEB128, minimal length.
    fn uvar(&mut self, mut v: u64) {
        loop {
            let low = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.out.push(low);
                return;
            }
            self.out.push(low | 0x80);
        }
    }

    fn str(&mut self, s: &str) {
        self.uvar(s.len() as u64);
        self.out.extend_from_slice(s.as_bytes());
    }

    fn opt<T>(&mut self, v: Option<T>, f: impl FnOnce(&mut Writer, T)) {
        match v {
            None => self.byte(format::ABSENT),
            Some(x) => {
                self.byte(format::PRESENT);
                f(self, x);
            }
        }
    }

    /// A type: `LIST` tags, then the element's base tag (no recursion).
    fn ty(&mut self, t: &Type) {
        let mut t = t;
        loop {
            let tag = match t {
                Type::Str => format::ty::STR,
                Type::Int => format::ty::INT,
                Type::Float => format::ty::FLOAT,
                Type::Bool => format::ty::BOOL,
                Type::Path => format::ty::PATH,
                Type::Json => format::ty::JSON,
                Type::List(elem) => {
                    self.byte(format::ty::LIST);
                    t = elem;
                    continue;
                }
            };
            self.byte(tag);
            return;
        }
    }

    fn value(&mut self, v: &Value) {
        use format::value as tag;
        match v {
            Value::Null => self.byte(tag::NULL),
            Value::Bool(false) => self.byte(tag::FALSE),
            Value::Bool(true) => self.byte(tag::TRUE),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    self.byte(tag::UINT);
                    self.uvar(u);
                } else if let Some(i) = n.as_i64() {
                    // Negative here (a non-negative i64 is also a u64): -(i + 1) >= 0.
                    self.byte(tag::NEGINT);
                    self.uvar(!i as u64);
                } else {
                    // serde_json numbers are u64, i64 or finite f64.
                    let f = n.as_f64().unwrap_or(0.0);
                    self.byte(tag::FLOAT);
                    self.out.extend_from_slice(&f.to_bits().to_le_bytes());
                }
            }
            Value::String(s) => {
                self.byte(tag::STRING);
                self.str(s);
            }
            Value::Array(items) => {
                self.byte(tag::ARRAY);
                self.uvar(items.len() as u64);
                for item in items {
                    self.value(item);
                }
            }
            Value::Object(map) => {
                self.byte(tag::OBJECT);
                self.uvar(map.len() as u64);
                // Sorted explicitly: right even if serde_json's `preserve_order` is on.
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                for (k, val) in entries {
                    self.str(k);
                    self.value(val);
                }
            }
        }
    }

    fn operand(&mut self, o: Operand) {
        let (tag, id) = match o {
            Operand::Const(c) => (format::operand::CONST, c.0),
            Operand::Param(p) => (format::operand::PARAM, p.0),
            Operand::Op(i) => (format::operand::OP, i.0),
            Operand::Local(i) => (format::operand::LOCAL, i),
            Operand::Elem => {
                self.byte(format::operand::ELEM);
                return;
            }
        };
        self.byte(tag);
        self.uvar(u64::from(id));
    }

    fn ops(&mut self, ops: &[Op]) {
        self.uvar(ops.len() as u64);
        for op in ops {
            self.op(op);
        }
    }

    fn steps(&mut self, steps: &[Step]) {
        self.uvar(steps.len() as u64);
        for s in steps {
            self.opt(s.name.as_ref(), |w, n| w.str(n));
            self.opt(s.op.as_ref(), |w, id| w.uvar(u64::from(*id)));
        }
    }

    /// `ops steps result`
    fn block(&mut self, b: &Block) {
        self.ops(&b.ops);
        self.steps(&b.steps);
        self.operand(b.result);
    }

    fn operands(&mut self, items: &[Operand]) {
        self.uvar(items.len() as u64);
        for o in items {
            self.operand(*o);
        }
    }

    fn parts(&mut self, parts: &[Part]) {
        self.uvar(parts.len() as u64);
        for p in parts {
            match p {
                Part::Text(c) => {
                    self.byte(format::part::TEXT);
                    self.uvar(u64::from(*c));
                }
                Part::Value(o) => {
                    self.byte(format::part::VALUE);
                    self.operand(*o);
                }
            }
        }
    }

    fn op(&mut self, op: &Op) {
        use format::op as tag;
        match &op.kind {
            OpKind::Call { tool, args } => {
                self.byte(tag::CALL);
                self.uvar(u64::from(*tool));
                self.operands(args);
            }
            OpKind::Ask { slot } => {
                self.byte(tag::ASK);
                self.uvar(u64::from(*slot));
            }
            OpKind::Template { parts } => {
                self.byte(tag::TEMPLATE);
                self.parts(parts);
            }
            OpKind::List { items } => {
                self.byte(tag::LIST);
                self.operands(items);
            }
            OpKind::Object { entries } => {
                self.byte(tag::OBJECT);
                self.uvar(entries.len() as u64);
                for (k, v) in entries {
                    self.uvar(u64::from(*k));
                    self.operand(*v);
                }
            }
            OpKind::Field { base, key } => {
                self.byte(tag::FIELD);
                self.operand(*base);
                self.uvar(u64::from(*key));
            }
            OpKind::Index { base, index } => {
                self.byte(tag::INDEX);
                self.operand(*base);
                self.operand(*index);
            }
            OpKind::Check { value } => {
                self.byte(tag::CHECK);
                self.operand(*value);
            }
            OpKind::For {
                list,
                captures,
                body,
            } => {
                self.byte(tag::FOR);
                self.operand(*list);
                self.operands(captures);
                self.uvar(u64::from(*body));
            }
            OpKind::If {
                cond,
                captures,
                then,
                otherwise,
            } => {
                self.byte(tag::IF);
                self.operand(*cond);
                self.operands(captures);
                self.uvar(u64::from(*then));
                self.opt(otherwise.as_ref(), |w, b| w.uvar(u64::from(*b)));
            }
            OpKind::Logic {
                op,
                first,
                captures,
                rest,
            } => {
                self.byte(tag::LOGIC);
                self.byte(format::logic::tag(*op));
                self.operand(*first);
                self.operands(captures);
                self.uvar(rest.len() as u64);
                for b in rest {
                    self.uvar(u64::from(*b));
                }
            }
            OpKind::Compare { op, lhs, rhs } => {
                self.byte(tag::COMPARE);
                self.byte(format::cmp::tag(*op));
                self.operand(*lhs);
                self.operand(*rhs);
            }
            OpKind::Not { value } => {
                self.byte(tag::NOT);
                self.operand(*value);
            }
            OpKind::Expect { cond, message } => {
                self.byte(tag::EXPECT);
                self.operand(*cond);
                self.opt(message.as_ref(), |w, m| w.parts(m));
            }
        }
        self.ty(&op.ty);
        self.uvar(op.after.len() as u64);
        for a in &op.after {
            self.uvar(u64::from(*a));
        }
        self.uvar(u64::from(op.step));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_are_minimal_leb128() {
        let cases: [(u64, &[u8]); 5] = [
            (0, &[0]),
            (127, &[0x7f]),
            (128, &[0x80, 0x01]),
            (300, &[0xac, 0x02]),
            (
                u64::MAX,
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            ),
        ];
        for (v, bytes) in cases {
            let mut w = Writer { out: Vec::new() };
            w.uvar(v);
            assert_eq!(w.out, bytes, "{v}");
        }
    }

    #[test]
    fn numbers_keep_int_and_float_apart() {
        let enc = |v: Value| {
            let mut w = Writer { out: Vec::new() };
            w.value(&v);
            w.out
        };
        assert_eq!(enc(serde_json::json!(1)), [format::value::UINT, 1]);
        assert_eq!(enc(serde_json::json!(-1)), [format::value::NEGINT, 0]);
        let mut float = vec![format::value::FLOAT];
        float.extend_from_slice(&1.0f64.to_bits().to_le_bytes());
        assert_eq!(enc(serde_json::json!(1.0)), float);
    }
}
