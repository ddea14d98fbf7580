//! The typed IR: a program as a DAG of ops, held as ids into tables.
//!
//! Every op produces one value. Its inputs are [`Operand`]s (a constant, a param, or an
//! earlier op), which are the DAG's data edges; `after` lists the effect edges that keep
//! behaviour equal to running the steps in source order (a read of the workspace after a
//! write sees it). Ops are stored in a topological order (an op only refers to earlier
//! ops), which is also the canonical order of the bytecode.
//!
//! Nothing here depends on source positions: a program's meaning, and so its bytes and
//! id, do not change with comments, blank lines or layout. Steps are named by their index
//! and `let` name; the store keeps the source beside the object for line numbers.

pub mod build;
mod build_blocks;
pub(crate) mod effects;
pub mod error;
pub(crate) mod graph;
pub mod render;

use crate::types::{CmpOp, EffectSet, LogicOp, Type};
use crate::value::Value;

/// An id into one table of a program: a newtype, so an op id cannot be used where a
/// constant or a param is meant. Written as its number (in JSON too).
macro_rules! table_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub u32);

        impl $name {
            /// The index into its table.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl From<$name> for u64 {
            fn from(id: $name) -> u64 {
                u64::from(id.0)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

table_id!(
    /// Index into [`Program::consts`].
    ConstId
);
table_id!(
    /// Index into [`Program::params`].
    ParamId
);
table_id!(
    /// Index into [`Program::ops`], or into a [`Block`]'s ops for an op of a block.
    OpId
);
table_id!(
    /// Index into [`Program::slots`].
    SlotId
);
table_id!(
    /// Index into [`Program::tools`].
    ToolId
);
table_id!(
    /// Index into [`Program::blocks`].
    BlockId
);

/// A compiled program.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// The trace name.
    pub name: String,
    /// The goal template, with `{param}` placeholders.
    pub goal: Option<String>,
    pub params: Vec<Param>,
    /// `ask` slots, in source order.
    pub slots: Vec<Slot>,
    /// The tools the program calls, sorted by name.
    pub tools: Vec<ToolRef>,
    /// The constant pool: distinct values, in first-use order.
    pub consts: Vec<Value>,
    /// Ops in topological (and source) order.
    pub ops: Vec<Op>,
    /// The source statements, in order: what each step is called and which op holds its
    /// value.
    pub steps: Vec<Step>,
    /// The `return` value.
    pub output: Option<Operand>,
    /// The capability set: every effect of every tool called, plus `llm` for slots.
    pub effects: EffectSet,
    /// The nested blocks (`for` bodies, `if` branches, `and`/`or` operands), in the
    /// order a walk meets them: the ops in order, each block right where its op is.
    pub blocks: Vec<Block>,
}

/// A nested sub-DAG: the body of a `for` (run once per element), a branch of an `if`,
/// an operand of `and`/`or` (run only when the operands before do not decide).
///
/// Its ops are a DAG like the program's, with ids into `ops` and `step` indexing
/// `steps` (`steps.len()` for the ops of its value). Inside a block, operands are
/// constants, its own earlier ops, `Local(i)` (the `i`th capture of the op that owns the
/// block: every outer value the block reads, params included, is captured) and, in a
/// `for` body, `Elem` (the current element).
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub ops: Vec<Op>,
    pub steps: Vec<Step>,
    /// The block's value.
    pub result: Operand,
}

/// A parameter slot.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: String,
    pub ty: Type,
    pub default: Option<Value>,
}

/// An `ask` slot: a value that only an LLM (or `--set`, or the slot cache) can give.
#[derive(Clone, Debug, PartialEq)]
pub struct Slot {
    /// The name of the `let` that holds it; `--set NAME=...` fills it.
    pub name: String,
    pub ty: Type,
    /// The prompt template.
    pub prompt: Vec<Part>,
}

/// A tool the program links against, with the hash of the signature it was compiled
/// for. A program whose tools changed signature is refused at load.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolRef {
    pub name: String,
    /// blake3 of [`signature_text`] of the declaration.
    pub sig_hash: [u8; 32],
    pub effects: EffectSet,
}

/// One source statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The `let` name; `None` for a bare expression statement.
    pub name: Option<String>,
    /// The op whose value is the statement's value (`None` when the value is a plain
    /// constant or param, which needs no op).
    pub op: Option<OpId>,
}

/// Where an op's input comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operand {
    Const(ConstId),
    /// A param (not inside blocks: they capture it).
    Param(ParamId),
    /// An earlier op of the same scope (the program or the block).
    Op(OpId),
    /// Inside a block: a capture of the op that owns it.
    Local(u32),
    /// Inside a `for` body: the current element.
    Elem,
}

/// A piece of an interpolated string.
#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    /// Literal text, from the constant pool (a string).
    Text(ConstId),
    /// A value turned into text (`value::to_text`).
    Value(Operand),
}

/// One node of the DAG.
#[derive(Clone, Debug, PartialEq)]
pub struct Op {
    pub kind: OpKind,
    /// The static type of its value.
    pub ty: Type,
    /// Effect edges: ops that must finish before this one starts, beyond its data
    /// inputs. Sorted, no duplicates, only earlier ops.
    pub after: Vec<OpId>,
    /// The index of the source statement it belongs to.
    pub step: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OpKind {
    /// `ns.tool(...)`: one argument per declared parameter, in declaration order.
    Call { tool: ToolId, args: Vec<Operand> },
    /// `ask "..."`: resolve a slot.
    Ask { slot: SlotId },
    /// `"text {x} more"`
    Template { parts: Vec<Part> },
    /// `[a, b]`
    List { items: Vec<Operand> },
    /// `{ "k": v }`; keys are string constants, in source order.
    Object { entries: Vec<(ConstId, Operand)> },
    /// `x.field`; the key is a string constant.
    Field { base: Operand, key: ConstId },
    /// `x[i]`
    Index { base: Operand, index: Operand },
    /// A `json` value flowing into a typed place: checked (and an integral float made an
    /// `int`) at run time; the type is the op's `ty`.
    Check { value: Operand },
    /// `for x in list { body }`: the body once per element (`Elem`), its values in a list
    /// of the op's type.
    For {
        list: Operand,
        captures: Vec<Operand>,
        body: BlockId,
    },
    /// `if cond { then } else { otherwise }`: only the branch taken runs; `null` when the
    /// condition is false and there is no `else`. Both branches share `captures`.
    If {
        cond: Operand,
        captures: Vec<Operand>,
        then: BlockId,
        otherwise: Option<BlockId>,
    },
    /// `a and b and c` / `a or b`: `first`, then each block in turn while none decides.
    /// The blocks share `captures`.
    Logic {
        op: LogicOp,
        first: Operand,
        captures: Vec<Operand>,
        rest: Vec<BlockId>,
    },
    /// `a == b`, `a < b`, ...: a `bool`.
    Compare {
        op: CmpOp,
        lhs: Operand,
        rhs: Operand,
    },
    /// `not a`
    Not { value: Operand },
    /// `expect cond, "message"`: the run fails (`expect-failed`) when `cond` is false.
    Expect {
        cond: Operand,
        message: Option<Vec<Part>>,
    },
}

impl Op {
    /// The data inputs of the op, in order.
    pub fn inputs(&self, slots: &[Slot]) -> Vec<Operand> {
        let mut out = Vec::new();
        self.for_each_input(slots, |o| out.push(o));
        out
    }

    /// Calls `f` on every data input, in order, without allocating.
    pub fn for_each_input(&self, slots: &[Slot], mut f: impl FnMut(Operand)) {
        match &self.kind {
            OpKind::Call { args, .. } => args.iter().copied().for_each(f),
            OpKind::Ask { slot } => {
                if let Some(s) = slots.get(slot.index()) {
                    for p in &s.prompt {
                        if let Part::Value(o) = p {
                            f(*o);
                        }
                    }
                }
            }
            OpKind::Template { parts } => {
                for p in parts {
                    if let Part::Value(o) = p {
                        f(*o);
                    }
                }
            }
            OpKind::List { items } => items.iter().copied().for_each(f),
            OpKind::Object { entries } => entries.iter().for_each(|(_, o)| f(*o)),
            OpKind::Field { base, .. } => f(*base),
            OpKind::Index { base, index } => {
                f(*base);
                f(*index);
            }
            OpKind::Check { value } | OpKind::Not { value } => f(*value),
            OpKind::For { list, captures, .. } => {
                f(*list);
                captures.iter().copied().for_each(f);
            }
            OpKind::If { cond, captures, .. } => {
                f(*cond);
                captures.iter().copied().for_each(f);
            }
            OpKind::Logic {
                first, captures, ..
            } => {
                f(*first);
                captures.iter().copied().for_each(f);
            }
            OpKind::Compare { lhs, rhs, .. } => {
                f(*lhs);
                f(*rhs);
            }
            OpKind::Expect { cond, message } => {
                f(*cond);
                for p in message.iter().flatten() {
                    if let Part::Value(o) = p {
                        f(*o);
                    }
                }
            }
        }
    }

    /// The blocks the op owns, in order.
    pub fn blocks(&self) -> Vec<BlockId> {
        match &self.kind {
            OpKind::For { body, .. } => vec![*body],
            OpKind::If {
                then, otherwise, ..
            } => std::iter::once(*then).chain(*otherwise).collect(),
            OpKind::Logic { rest, .. } => rest.clone(),
            _ => Vec::new(),
        }
    }

    /// The op's captures (empty for ops that own no block).
    pub fn captures(&self) -> &[Operand] {
        match &self.kind {
            OpKind::For { captures, .. }
            | OpKind::If { captures, .. }
            | OpKind::Logic { captures, .. } => captures,
            _ => &[],
        }
    }

    /// The ops this op waits for: data inputs that are ops, and effect edges.
    pub fn deps(&self, slots: &[Slot]) -> Vec<OpId> {
        let mut out: Vec<OpId> = self.after.clone();
        self.for_each_input(slots, |o| {
            if let Operand::Op(id) = o {
                out.push(id);
            }
        });
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// The canonical text of a tool signature that [`ToolRef::sig_hash`] hashes:
/// `fs.read(path: path) -> str effects(read)`.
pub fn signature_text(decl: &crate::stdlib::ToolDecl) -> String {
    format!("{} effects({})", decl.signature(), decl.effects)
}

/// The signature hash of a declaration.
pub fn signature_hash(decl: &crate::stdlib::ToolDecl) -> [u8; 32] {
    *blake3::hash(signature_text(decl).as_bytes()).as_bytes()
}

impl Program {
    pub fn constant(&self, id: ConstId) -> Option<&Value> {
        self.consts.get(id.index())
    }

    /// The static type of an operand of the program's own ops (a constant's is read off
    /// its value: `3` is `int`); `json` for one out of range or only meaningful inside a
    /// block (the verifier knows those from the block's scope).
    pub fn operand_type(&self, o: Operand) -> Type {
        match o {
            Operand::Const(c) => self
                .constant(c)
                .map_or(Type::Json, crate::check::literal::const_type),
            Operand::Param(i) => self
                .params
                .get(i.index())
                .map_or(Type::Json, |p| p.ty.clone()),
            Operand::Op(id) => self
                .ops
                .get(id.index())
                .map_or(Type::Json, |op| op.ty.clone()),
            Operand::Local(_) | Operand::Elem => Type::Json,
        }
    }

    pub fn block(&self, id: BlockId) -> Option<&Block> {
        self.blocks.get(id.index())
    }

    /// A human name for step `index`: `step 3 (`text`)`.
    pub fn step_label(&self, index: u32) -> String {
        match self
            .steps
            .get(index as usize)
            .and_then(|s| s.name.as_deref())
        {
            Some(name) => format!("step {} (`{name}`)", index + 1),
            None => format!("step {}", index + 1),
        }
    }
}
