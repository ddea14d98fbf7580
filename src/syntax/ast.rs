//! The syntax tree of a `.llt` file. Every node carries the byte span it was parsed from;
//! nothing here knows about pest.

use crate::diag::Span;
use crate::types::Type;
pub use crate::types::{CmpOp, LogicOp};

/// A whole source file: its items in source order, plus every comment (the formatter
/// puts them back).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct File {
    pub items: Vec<Item>,
    pub comments: Vec<Comment>,
    /// Names that statements with syntax errors define (`let NAME = <broken>`): uses of
    /// them are not reported again.
    pub broken_names: Vec<String>,
}

/// A `//` comment. `doc` is a `///` comment.
#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    pub span: Span,
    /// The text after the slashes, without the line end.
    pub text: String,
    pub doc: bool,
    /// Whether code precedes it on its line (a trailing comment).
    pub trailing: bool,
}

/// A name with where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub kind: ItemKind,
    pub span: Span,
    /// The `///` doc comment right above it, lines joined with `\n`.
    pub doc: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ItemKind {
    /// `trace NAME`
    Trace(Ident),
    /// `goal "TEMPLATE"`
    Goal(StrLit),
    /// `param NAME: TYPE [= LITERAL]`
    Param(Param),
    /// `tool ns.name(params) -> TYPE effects(...)`, only in declaration files.
    Tool(ToolItem),
    /// `let NAME [: TYPE] = EXPR` or `let NAME [: TYPE] = ask "..."`
    Let(Let),
    /// `EXPR`: a step done for its effect.
    Expr(Expr),
    /// `return EXPR`
    Return(Expr),
    /// `expect COND[, "message"]`: the run stops here when COND is false.
    Expect(Expect),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expect {
    pub cond: Expr,
    pub message: Option<StrLit>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ToolItem {
    pub name: Ident,
    pub params: Vec<ToolParam>,
    pub ret: TypeExpr,
    pub effects: Vec<Ident>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ToolParam {
    pub name: Ident,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Let {
    pub name: Ident,
    pub ty: Option<TypeExpr>,
    pub value: LetValue,
}

#[derive(Clone, Debug, PartialEq)]
pub enum LetValue {
    Expr(Expr),
    /// `ask "prompt"`: an unresolved slot.
    Ask(StrLit),
}

/// A written type. `ty` is `None` when the name is not a type (already reported).
#[derive(Clone, Debug, PartialEq)]
pub struct TypeExpr {
    pub ty: Option<Type>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Str(StrLit),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    List(Vec<Expr>),
    /// `{ "key": value, ... }`; keys in source order.
    Object(Vec<(Key, Expr)>),
    /// `name`
    Ref(Ident),
    /// `value.field`
    Field(Box<Expr>, Ident),
    /// `value[index]`
    Index(Box<Expr>, Box<Expr>),
    /// `ns.tool(arg: value, ...)`
    Call(Call),
    /// `(expr)`, kept so the formatter can print it back.
    Paren(Box<Expr>),
    /// `a == b`, `a < b`, ...
    Compare(Box<Expr>, CmpOp, Box<Expr>),
    /// `a and b and c` / `a or b`: two or more operands, left to right.
    Logic(LogicOp, Vec<Expr>),
    /// `not a`
    Not(Box<Expr>),
    /// `for NAME in LIST { ... }`
    For(Box<For>),
    /// `if COND { ... } else if COND { ... } else { ... }`
    If(Box<If>),
}

/// `for var in list { body }`: a map, one body value per element, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct For {
    pub var: Ident,
    pub list: Expr,
    pub body: Block,
}

/// `if c1 { b1 } else if c2 { b2 } else { b3 }`: the arms in order, then the `else`.
#[derive(Clone, Debug, PartialEq)]
pub struct If {
    pub arms: Vec<(Expr, Block)>,
    pub otherwise: Option<Block>,
}

/// `{ let ...; expect ...; EXPR }`: `let`, `expect` and bare steps, ending with the
/// expression that is the block's value. `span` covers the braces.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub items: Vec<Item>,
    pub span: Span,
    /// A statement of the block did not parse (already reported).
    pub broken: bool,
}

impl Block {
    /// The block's value: its last item when that is an expression.
    pub fn value(&self) -> Option<&Expr> {
        match self.items.last().map(|i| &i.kind) {
            Some(ItemKind::Expr(e)) => Some(e),
            _ => None,
        }
    }
}

/// An object key: `"quoted"` or a bare word.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub tool: Ident,
    pub args: Vec<Arg>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub name: Ident,
    pub value: Expr,
}

/// A string literal, plain (`"..."`) or triple-quoted, cut into text and interpolations.
#[derive(Clone, Debug, PartialEq)]
pub struct StrLit {
    pub parts: Vec<StrPart>,
    pub triple: bool,
    pub span: Span,
}

impl StrLit {
    /// The literal text when there is no interpolation.
    pub fn as_plain(&self) -> Option<String> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                StrPart::Text(t) => out.push_str(t),
                StrPart::Interp(_) => return None,
            }
        }
        Some(out)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum StrPart {
    /// Literal text, escapes already decoded (`{{` is `{`).
    Text(String),
    /// `{name.field[0]}`
    Interp(Interp),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Interp {
    pub root: Ident,
    pub path: Vec<Access>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Access {
    Field(Ident),
    Index(i64, Span),
}
