//! The constants of the `.llb` format: magic, version, section and item tags, limits.
//! `docs/BYTECODE.md` describes the layout they spell; the encoder and decoder are the
//! only users.

/// The first four bytes of every `.llb` file.
pub const MAGIC: [u8; 4] = *b"\x7fLLB";

/// The format version this build writes and reads (little-endian `u16` after the magic).
pub const FORMAT_VERSION: u16 = 2;

/// The largest `.llb` file read from disk (bytes).
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// Deepest `list<...>` nesting of a type.
pub const MAX_TYPE_DEPTH: usize = 64;

/// Deepest nesting of blocks (`for` bodies, `if` branches, `and`/`or` operands). The
/// checker refuses deeper programs with `nesting-too-deep`.
pub const MAX_BLOCK_DEPTH: usize = 64;

/// Deepest nesting of arrays and objects in a constant.
pub const MAX_VALUE_DEPTH: usize = 128;

/// Section tags, in the one order the sections appear.
pub mod section {
    pub const NAME: u8 = 0x01;
    pub const GOAL: u8 = 0x02;
    pub const EFFECTS: u8 = 0x03;
    pub const TOOLS: u8 = 0x04;
    pub const CONSTS: u8 = 0x05;
    pub const PARAMS: u8 = 0x06;
    pub const SLOTS: u8 = 0x07;
    pub const OPS: u8 = 0x08;
    pub const BLOCKS: u8 = 0x09;
    pub const STEPS: u8 = 0x0a;
    pub const OUTPUT: u8 = 0x0b;

    /// A section's name, for messages.
    pub fn name(tag: u8) -> &'static str {
        match tag {
            NAME => "name",
            GOAL => "goal",
            EFFECTS => "effects",
            TOOLS => "tools",
            CONSTS => "consts",
            PARAMS => "params",
            SLOTS => "slots",
            OPS => "ops",
            BLOCKS => "blocks",
            STEPS => "steps",
            OUTPUT => "output",
            _ => "unknown",
        }
    }
}

/// Type tags. `LIST` is followed by the element type.
pub mod ty {
    pub const STR: u8 = 0;
    pub const INT: u8 = 1;
    pub const FLOAT: u8 = 2;
    pub const BOOL: u8 = 3;
    pub const PATH: u8 = 4;
    pub const JSON: u8 = 5;
    pub const LIST: u8 = 6;
}

/// Constant (JSON value) tags.
pub mod value {
    pub const NULL: u8 = 0;
    pub const FALSE: u8 = 1;
    pub const TRUE: u8 = 2;
    /// A non-negative integer: varint.
    pub const UINT: u8 = 3;
    /// A negative integer `n`: varint of `-(n + 1)`.
    pub const NEGINT: u8 = 4;
    /// A float: 8 bytes, IEEE 754 binary64, little-endian.
    pub const FLOAT: u8 = 5;
    pub const STRING: u8 = 6;
    pub const ARRAY: u8 = 7;
    /// Entries with keys in strictly ascending byte order.
    pub const OBJECT: u8 = 8;
}

/// Operand tags.
pub mod operand {
    pub const CONST: u8 = 0;
    pub const PARAM: u8 = 1;
    pub const OP: u8 = 2;
    /// Inside a block: a capture of the op that owns it (an id follows).
    pub const LOCAL: u8 = 3;
    /// Inside a `for` body: the current element (nothing follows).
    pub const ELEM: u8 = 4;
}

/// Template part tags.
pub mod part {
    pub const TEXT: u8 = 0;
    pub const VALUE: u8 = 1;
}

/// Op kind tags.
pub mod op {
    pub const CALL: u8 = 0;
    pub const ASK: u8 = 1;
    pub const TEMPLATE: u8 = 2;
    pub const LIST: u8 = 3;
    pub const OBJECT: u8 = 4;
    pub const FIELD: u8 = 5;
    pub const INDEX: u8 = 6;
    pub const CHECK: u8 = 7;
    pub const FOR: u8 = 8;
    pub const IF: u8 = 9;
    pub const LOGIC: u8 = 10;
    pub const COMPARE: u8 = 11;
    pub const NOT: u8 = 12;
    pub const EXPECT: u8 = 13;
}

/// `and`/`or` tags of a logic op.
pub mod logic {
    use crate::types::LogicOp;

    pub fn tag(op: LogicOp) -> u8 {
        match op {
            LogicOp::And => 0,
            LogicOp::Or => 1,
        }
    }

    pub fn from_tag(tag: u8) -> Option<LogicOp> {
        match tag {
            0 => Some(LogicOp::And),
            1 => Some(LogicOp::Or),
            _ => None,
        }
    }
}

/// Comparison tags: `==` 0, `!=` 1, `<` 2, `<=` 3, `>` 4, `>=` 5.
pub mod cmp {
    use crate::types::CmpOp;

    pub fn tag(op: CmpOp) -> u8 {
        CmpOp::ALL.iter().position(|o| *o == op).unwrap_or(0) as u8
    }

    pub fn from_tag(tag: u8) -> Option<CmpOp> {
        CmpOp::ALL.get(tag as usize).copied()
    }
}

/// `opt<T>`: `0` absent, `1` then `T`.
pub const ABSENT: u8 = 0;
/// See [`ABSENT`].
pub const PRESENT: u8 = 1;
