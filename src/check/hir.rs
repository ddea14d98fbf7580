//! The checked program: names resolved to indices, every expression typed, tool calls
//! with positional arguments and defaults filled in. The IR is built from this.

use crate::diag::Span;
use crate::types::{CmpOp, EffectSet, LogicOp, Type};
use crate::value::Value;

#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub name: String,
    /// The goal template text (`summarize {input} into {report}`), braces as written.
    pub goal: Option<String>,
    pub params: Vec<ParamDef>,
    pub steps: Vec<StepDef>,
    pub ret: Option<TExpr>,
    /// Union of the effects of every tool called, plus `llm` when there is an `ask`.
    pub effects: EffectSet,
    /// Names defined inside blocks (loop variables and the `let`s of blocks), each once,
    /// in source order: [`TExprKind::Local`] indexes this.
    pub locals: Vec<LocalDef>,
}

/// A name defined inside a block.
#[derive(Clone, Debug, PartialEq)]
pub struct LocalDef {
    pub name: String,
    pub ty: Type,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ParamDef {
    pub name: String,
    pub ty: Type,
    pub default: Option<Value>,
    pub doc: Option<String>,
    pub span: Span,
}

/// One statement: `let NAME = ...`, `let NAME = ask ...`, `expect ...` or a bare
/// expression.
#[derive(Clone, Debug, PartialEq)]
pub struct StepDef {
    pub name: Option<String>,
    /// For a `let` inside a block: the local it defines.
    pub local: Option<usize>,
    pub ty: Type,
    pub kind: StepKind,
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StepKind {
    Expr(TExpr),
    /// An unresolved slot with its prompt template.
    Ask(Vec<TPart>),
    /// `expect COND, "message"`: the run stops when the condition is false.
    Expect {
        cond: TExpr,
        message: Option<Vec<TPart>>,
    },
}

/// A block: its statements, then its value.
#[derive(Clone, Debug, PartialEq)]
pub struct TBlock {
    pub steps: Vec<StepDef>,
    pub value: Box<TExpr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TExpr {
    pub kind: TExprKind,
    pub ty: Type,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TExprKind {
    Const(Value),
    /// A parameter, by index into `Program::params`.
    Param(usize),
    /// The result of a step, by index into `Program::steps`.
    Step(usize),
    /// An interpolated string.
    Template(Vec<TPart>),
    List(Vec<TExpr>),
    Object(Vec<(String, TExpr)>),
    Field(Box<TExpr>, String),
    Index(Box<TExpr>, Box<TExpr>),
    /// A tool call: one argument per declared parameter, in declaration order.
    Call {
        tool: String,
        args: Vec<TExpr>,
    },
    /// A loop variable or a block's `let`, by index into `Program::locals`.
    Local(usize),
    /// `for var in list { body }`: `var` indexes `Program::locals`.
    For {
        var: usize,
        list: Box<TExpr>,
        body: TBlock,
    },
    /// `if cond { then } else { otherwise }`; `else if` is an `otherwise` block whose
    /// value is the next `if`.
    If {
        cond: Box<TExpr>,
        then: TBlock,
        otherwise: Option<TBlock>,
    },
    Compare(CmpOp, Box<TExpr>, Box<TExpr>),
    /// Two or more operands, evaluated left to right until one decides.
    Logic(LogicOp, Vec<TExpr>),
    Not(Box<TExpr>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum TPart {
    Text(String),
    Value(TExpr),
}

impl TExpr {
    /// Calls `f` on this expression and every expression inside it, blocks included.
    pub fn walk(&self, f: &mut impl FnMut(&TExpr)) {
        walk(self, f);
    }
}

impl StepDef {
    /// Calls `f` on every expression of the statement, blocks included.
    pub fn walk(&self, f: &mut impl FnMut(&TExpr)) {
        walk_step(self, f);
    }
}

fn walk(e: &TExpr, f: &mut impl FnMut(&TExpr)) {
    f(e);
    let parts = |parts: &[TPart], f: &mut dyn FnMut(&TExpr)| {
        for p in parts {
            if let TPart::Value(v) = p {
                f(v);
            }
        }
    };
    match &e.kind {
        TExprKind::Call { args, .. } => args.iter().for_each(|a| walk(a, f)),
        TExprKind::Template(ps) => parts(ps, &mut |v| walk(v, f)),
        TExprKind::List(items) | TExprKind::Logic(_, items) => {
            items.iter().for_each(|i| walk(i, f))
        }
        TExprKind::Object(entries) => entries.iter().for_each(|(_, v)| walk(v, f)),
        TExprKind::Field(b, _) | TExprKind::Not(b) => walk(b, f),
        TExprKind::Index(a, b) | TExprKind::Compare(_, a, b) => {
            walk(a, f);
            walk(b, f);
        }
        TExprKind::For { list, body, .. } => {
            walk(list, f);
            walk_block(body, f);
        }
        TExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            walk(cond, f);
            walk_block(then, f);
            if let Some(o) = otherwise {
                walk_block(o, f);
            }
        }
        TExprKind::Const(_) | TExprKind::Param(_) | TExprKind::Step(_) | TExprKind::Local(_) => {}
    }
}

fn walk_block(b: &TBlock, f: &mut impl FnMut(&TExpr)) {
    for s in &b.steps {
        walk_step(s, f);
    }
    walk(&b.value, f);
}

fn walk_step(s: &StepDef, f: &mut impl FnMut(&TExpr)) {
    let parts = |ps: &[TPart], f: &mut dyn FnMut(&TExpr)| {
        for p in ps {
            if let TPart::Value(v) = p {
                f(v);
            }
        }
    };
    match &s.kind {
        StepKind::Expr(e) => walk(e, f),
        StepKind::Ask(ps) => parts(ps, &mut |v| walk(v, f)),
        StepKind::Expect { cond, message } => {
            walk(cond, f);
            if let Some(m) = message {
                parts(m, &mut |v| walk(v, f));
            }
        }
    }
}
