//! `.llb` bytes to an IR program: the header, the sections in order, ops, operands and
//! template parts, checking the byte-level structure (magic, version, section tags,
//! op and operand tags, no trailing bytes) on top of the bounded primitives of
//! [`super::reader`]. The program-level checks (references, types, links) are in
//! [`super::verify`]; [`super::decode`] runs both.
//!
//! Never panics and never allocates more than the input can back: every count is checked
//! against the bytes that remain (each item takes at least one byte) before a `Vec` is
//! sized from it.

use super::error::{DecodeError, DecodeErrorKind};
use super::format::{self, section};
use super::reader::Reader;
use crate::ir::{
    Block, BlockId, ConstId, Op, OpId, OpKind, Operand, Param, ParamId, Part, Program, Slot,
    SlotId, Step, ToolId, ToolRef,
};

/// The byte offset where each item starts, so program-level errors can name a place.
#[derive(Debug, Default)]
pub(super) struct Offsets {
    pub header: usize,
    pub effects: usize,
    pub tools: Vec<usize>,
    pub consts: Vec<usize>,
    pub params: Vec<usize>,
    pub slots: Vec<usize>,
    pub ops: Vec<usize>,
    pub steps: Vec<usize>,
    pub output: usize,
    /// Where each block starts, and each of its ops and steps.
    pub blocks: Vec<BlockOffsets>,
}

#[derive(Debug, Default)]
pub(super) struct BlockOffsets {
    pub start: usize,
    pub ops: Vec<usize>,
    pub steps: Vec<usize>,
    pub result: usize,
}

/// Parses the bytes into a program (not yet verified) and the offsets of its items.
pub(super) fn read(bytes: &[u8]) -> Result<(Program, Offsets), DecodeError> {
    let mut r = Reader { bytes, pos: 0 };
    r.header()?;
    let mut at = Offsets {
        header: r.pos,
        ..Offsets::default()
    };

    r.section(section::NAME)?;
    let name = r.str("the program name")?;
    r.section(section::GOAL)?;
    let goal = r.opt("the goal", |r| r.str("the goal"))?;
    r.section(section::EFFECTS)?;
    at.effects = r.pos;
    let effects = r.effects("the capability set")?;

    r.section(section::TOOLS)?;
    let n = r.count("tools")?;
    let mut tools = Vec::with_capacity(n);
    for _ in 0..n {
        at.tools.push(r.pos);
        let name = r.str("a tool name")?;
        let hash = r.take(32, "a signature hash")?;
        let mut sig_hash = [0u8; 32];
        sig_hash.copy_from_slice(hash);
        let effects = r.effects("a tool's effects")?;
        tools.push(ToolRef {
            name,
            sig_hash,
            effects,
        });
    }

    r.section(section::CONSTS)?;
    let n = r.count("constants")?;
    let mut consts = Vec::with_capacity(n);
    for _ in 0..n {
        at.consts.push(r.pos);
        consts.push(r.value(0)?);
    }

    r.section(section::PARAMS)?;
    let n = r.count("params")?;
    let mut params = Vec::with_capacity(n);
    for _ in 0..n {
        at.params.push(r.pos);
        let name = r.str("a param name")?;
        let ty = r.ty()?;
        let default = r.opt("a param default", |r| r.value(0))?;
        params.push(Param { name, ty, default });
    }

    r.section(section::SLOTS)?;
    let n = r.count("slots")?;
    let mut slots = Vec::with_capacity(n);
    for _ in 0..n {
        at.slots.push(r.pos);
        let name = r.str("a slot name")?;
        let ty = r.ty()?;
        let prompt = r.parts()?;
        slots.push(Slot { name, ty, prompt });
    }

    r.section(section::OPS)?;
    let ops = r.ops(&mut at.ops)?;

    r.section(section::BLOCKS)?;
    let n = r.count("blocks")?;
    let mut blocks = Vec::with_capacity(n);
    for _ in 0..n {
        let mut b = BlockOffsets {
            start: r.pos,
            ..BlockOffsets::default()
        };
        let ops = r.ops(&mut b.ops)?;
        let steps = r.steps(&mut b.steps)?;
        b.result = r.pos;
        let result = r.operand()?;
        blocks.push(Block { ops, steps, result });
        at.blocks.push(b);
    }

    r.section(section::STEPS)?;
    let steps = r.steps(&mut at.steps)?;

    r.section(section::OUTPUT)?;
    at.output = r.pos;
    let output = r.opt("the output", Reader::operand)?;

    if r.pos != bytes.len() {
        return Err(r.err(format!(
            "{} trailing bytes after the end of the program",
            bytes.len() - r.pos
        )));
    }
    let program = Program {
        name,
        goal,
        params,
        slots,
        tools,
        consts,
        ops,
        steps,
        output,
        effects,
        blocks,
    };
    Ok((program, at))
}

impl Reader<'_> {
    fn header(&mut self) -> Result<(), DecodeError> {
        let magic = self.bytes.get(..4);
        if magic != Some(&format::MAGIC[..]) {
            return Err(self.err_at(
                0,
                "not llmos bytecode: the file does not start with the `.llb` magic bytes 7f 4c 4c 42",
            ));
        }
        self.pos = 4;
        let v = self.take(2, "the format version")?;
        let version = u16::from_le_bytes([v[0], v[1]]);
        if version != format::FORMAT_VERSION {
            return Err(DecodeError::new(
                4,
                DecodeErrorKind::Version,
                format!(
                    "format version {version} is not supported: this llmos reads version {}; recompile the program",
                    format::FORMAT_VERSION
                ),
            ));
        }
        Ok(())
    }

    fn section(&mut self, tag: u8) -> Result<(), DecodeError> {
        let at = self.pos;
        let what = format!("the `{}` section", section::name(tag));
        let found = self.byte(&what)?;
        if found != tag {
            return Err(self.err_at(
                at,
                format!(
                    "expected {what} (tag {tag:#04x}), found byte {found:#04x} (`{}` section tag or garbage)",
                    section::name(found)
                ),
            ));
        }
        Ok(())
    }

    fn operand(&mut self) -> Result<Operand, DecodeError> {
        let at = self.pos;
        let tag = self.byte("an operand")?;
        if tag == format::operand::ELEM {
            return Ok(Operand::Elem);
        }
        let id = self.id("an operand")?;
        match tag {
            format::operand::CONST => Ok(Operand::Const(ConstId(id))),
            format::operand::PARAM => Ok(Operand::Param(ParamId(id))),
            format::operand::OP => Ok(Operand::Op(OpId(id))),
            format::operand::LOCAL => Ok(Operand::Local(id)),
            b => Err(self.err_at(at, format!("unknown operand tag {b:#04x}"))),
        }
    }

    /// `count{op}`, noting where each op starts.
    fn ops(&mut self, at: &mut Vec<usize>) -> Result<Vec<Op>, DecodeError> {
        let n = self.count("ops")?;
        let mut ops = Vec::with_capacity(n);
        for _ in 0..n {
            at.push(self.pos);
            ops.push(self.op()?);
        }
        Ok(ops)
    }

    /// `count{ opt<str> name, opt<id> op }`, noting where each step starts.
    fn steps(&mut self, at: &mut Vec<usize>) -> Result<Vec<Step>, DecodeError> {
        let n = self.count("steps")?;
        let mut steps = Vec::with_capacity(n);
        for _ in 0..n {
            at.push(self.pos);
            let name = self.opt("a step name", |r| r.str("a step name"))?;
            let op = self.opt("a step's op", |r| r.id("a step's op").map(OpId))?;
            steps.push(Step { name, op });
        }
        Ok(steps)
    }

    fn ids(&mut self, what: &str) -> Result<Vec<u32>, DecodeError> {
        let n = self.count(what)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.id(what)?);
        }
        Ok(out)
    }

    fn operands(&mut self, what: &str) -> Result<Vec<Operand>, DecodeError> {
        let n = self.count(what)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.operand()?);
        }
        Ok(out)
    }

    fn parts(&mut self) -> Result<Vec<Part>, DecodeError> {
        let n = self.count("template parts")?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let at = self.pos;
            out.push(match self.byte("a template part")? {
                format::part::TEXT => Part::Text(ConstId(self.id("a text part")?)),
                format::part::VALUE => Part::Value(self.operand()?),
                b => return Err(self.err_at(at, format!("unknown template part tag {b:#04x}"))),
            });
        }
        Ok(out)
    }

    fn op(&mut self) -> Result<Op, DecodeError> {
        use format::op as tag;
        let at = self.pos;
        let kind = match self.byte("an op")? {
            tag::CALL => {
                let tool = ToolId(self.id("a call's tool")?);
                let args = self.operands("call arguments")?;
                OpKind::Call { tool, args }
            }
            tag::ASK => OpKind::Ask {
                slot: SlotId(self.id("an ask's slot")?),
            },
            tag::TEMPLATE => OpKind::Template {
                parts: self.parts()?,
            },
            tag::LIST => OpKind::List {
                items: self.operands("list items")?,
            },
            tag::OBJECT => {
                let n = self.count("object entries")?;
                let mut entries = Vec::with_capacity(n);
                for _ in 0..n {
                    let key = ConstId(self.id("an object key")?);
                    entries.push((key, self.operand()?));
                }
                OpKind::Object { entries }
            }
            tag::FIELD => {
                let base = self.operand()?;
                let key = ConstId(self.id("a field key")?);
                OpKind::Field { base, key }
            }
            tag::INDEX => {
                let base = self.operand()?;
                let index = self.operand()?;
                OpKind::Index { base, index }
            }
            tag::CHECK => OpKind::Check {
                value: self.operand()?,
            },
            tag::FOR => OpKind::For {
                list: self.operand()?,
                captures: self.operands("captures")?,
                body: BlockId(self.id("a `for` body")?),
            },
            tag::IF => OpKind::If {
                cond: self.operand()?,
                captures: self.operands("captures")?,
                then: BlockId(self.id("an `if` branch")?),
                otherwise: self.opt("an `else` branch", |r| {
                    r.id("an `else` branch").map(BlockId)
                })?,
            },
            tag::LOGIC => {
                let t = self.pos;
                let op = format::logic::from_tag(self.byte("a logic operator")?)
                    .ok_or_else(|| self.err_at(t, "unknown logic operator tag"))?;
                OpKind::Logic {
                    op,
                    first: self.operand()?,
                    captures: self.operands("captures")?,
                    rest: self
                        .ids("`and`/`or` operand blocks")?
                        .into_iter()
                        .map(BlockId)
                        .collect(),
                }
            }
            tag::COMPARE => {
                let t = self.pos;
                let op = format::cmp::from_tag(self.byte("a comparison")?)
                    .ok_or_else(|| self.err_at(t, "unknown comparison tag"))?;
                OpKind::Compare {
                    op,
                    lhs: self.operand()?,
                    rhs: self.operand()?,
                }
            }
            tag::NOT => OpKind::Not {
                value: self.operand()?,
            },
            tag::EXPECT => OpKind::Expect {
                cond: self.operand()?,
                message: self.opt("an `expect` message", Reader::parts)?,
            },
            b => return Err(self.err_at(at, format!("unknown op tag {b:#04x}"))),
        };
        let ty = self.ty()?;
        let n = self.count("effect edges")?;
        let mut after = Vec::with_capacity(n);
        for _ in 0..n {
            after.push(OpId(self.id("an effect edge")?));
        }
        let step = self.id("an op's step")?;
        Ok(Op {
            kind,
            ty,
            after,
            step,
        })
    }
}
