//! Building the `.llt` syntax tree of a compiled recording; the printer turns it into the
//! source a person could have written.

use std::collections::BTreeMap;

use super::flow::{Access, Apply, Piece, Src};
use crate::syntax::ast::{self, Expr, ExprKind, Ident, Item, ItemKind, StrLit, StrPart};
use crate::types::Type;
use crate::value::Value;

/// Names of the things a `Src` refers to.
pub struct Names<'a> {
    pub params: &'a [String],
    pub steps: &'a [Option<String>],
    pub slots: &'a [String],
    /// Inserted steps by [`apply_key`].
    pub applies: &'a BTreeMap<String, String>,
    /// Per loop: the name of its values (when used) and of its element.
    pub loops: &'a [(Option<String>, String)],
}

/// The key of an inserted step in [`Names::applies`].
pub fn apply_key(a: &Apply) -> String {
    format!("{a:?}")
}

fn id(name: &str) -> Ident {
    Ident {
        name: name.to_owned(),
        span: Default::default(),
    }
}

fn expr(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Default::default(),
    }
}

pub fn item(kind: ItemKind) -> Item {
    Item {
        kind,
        span: Default::default(),
        doc: None,
    }
}

pub fn type_expr(ty: &Type) -> ast::TypeExpr {
    ast::TypeExpr {
        ty: Some(ty.clone()),
        span: Default::default(),
    }
}

/// A string literal; multi-line text becomes a triple-quoted string.
pub fn string(parts: Vec<StrPart>) -> StrLit {
    let multiline = parts
        .iter()
        .any(|p| matches!(p, StrPart::Text(t) if t.contains('\n')));
    let long = parts
        .iter()
        .map(|p| if let StrPart::Text(t) = p { t.len() } else { 8 })
        .sum::<usize>()
        > 60;
    StrLit {
        parts,
        triple: multiline && long,
        span: Default::default(),
    }
}

/// The literal expression of a constant value.
pub fn constant(v: &Value) -> Expr {
    expr(match v {
        Value::Null => ExprKind::Null,
        Value::Bool(b) => ExprKind::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) if !n.is_f64() => ExprKind::Int(i),
            _ => ExprKind::Float(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => {
            let parts = if s.is_empty() {
                Vec::new()
            } else {
                vec![StrPart::Text(s.clone())]
            };
            ExprKind::Str(string(parts))
        }
        Value::Array(items) => ExprKind::List(items.iter().map(constant).collect()),
        Value::Object(map) => ExprKind::Object(
            map.iter()
                .map(|(k, x)| {
                    (
                        ast::Key {
                            name: k.clone(),
                            span: Default::default(),
                        },
                        constant(x),
                    )
                })
                .collect(),
        ),
    })
}

impl Names<'_> {
    fn root(&self, src: &Src) -> Option<String> {
        match src {
            Src::Param(i) => self.params.get(*i).cloned(),
            Src::Step(i) => self.steps.get(*i).cloned().flatten(),
            Src::Slot(i) => self.slots.get(*i).cloned(),
            Src::Apply(a) => self.applies.get(&apply_key(a)).cloned(),
            Src::Loop(l) => self.loops.get(*l).and_then(|(n, _)| n.clone()),
            Src::Elem(l) => self.loops.get(*l).map(|(_, e)| e.clone()),
            _ => None,
        }
    }

    /// The expression of a source.
    pub fn expr(&self, src: &Src) -> Expr {
        match src {
            Src::Const(v) => constant(v),
            Src::Param(_)
            | Src::Step(_)
            | Src::Slot(_)
            | Src::Apply(_)
            | Src::Loop(_)
            | Src::Elem(_) => match self.root(src) {
                Some(n) => expr(ExprKind::Ref(id(&n))),
                None => constant(&Value::Null),
            },
            Src::Access(base, path) => {
                let mut e = self.expr(base);
                for a in path {
                    e = match a {
                        Access::Key(k) => expr(ExprKind::Field(Box::new(e), id(k))),
                        Access::Index(i) => expr(ExprKind::Index(
                            Box::new(e),
                            Box::new(constant(&Value::from(*i))),
                        )),
                    };
                }
                e
            }
            Src::Template(pieces) => expr(ExprKind::Str(string(self.parts(pieces)))),
            Src::List(items) => expr(ExprKind::List(items.iter().map(|s| self.expr(s)).collect())),
            Src::Object(entries) => expr(ExprKind::Object(
                entries
                    .iter()
                    .map(|(k, s)| {
                        (
                            ast::Key {
                                name: k.clone(),
                                span: Default::default(),
                            },
                            self.expr(s),
                        )
                    })
                    .collect(),
            )),
        }
    }

    /// String parts with interpolations.
    pub fn parts(&self, pieces: &[Piece]) -> Vec<StrPart> {
        let mut out: Vec<StrPart> = Vec::new();
        for p in pieces {
            match p {
                Piece::Text(t) => match out.last_mut() {
                    Some(StrPart::Text(prev)) => prev.push_str(t),
                    _ if t.is_empty() => {}
                    _ => out.push(StrPart::Text(t.clone())),
                },
                Piece::Value(src) => {
                    if let Some(i) = self.interp(src) {
                        out.push(StrPart::Interp(i));
                    }
                }
            }
        }
        out
    }

    fn interp(&self, src: &Src) -> Option<ast::Interp> {
        let (root, path) = match src {
            Src::Access(base, path) => (self.root(base)?, path.as_slice()),
            other => (self.root(other)?, &[][..]),
        };
        Some(ast::Interp {
            root: id(&root),
            path: path
                .iter()
                .map(|a| match a {
                    Access::Key(k) => ast::Access::Field(id(k)),
                    Access::Index(i) => ast::Access::Index(*i as i64, Default::default()),
                })
                .collect(),
            span: Default::default(),
        })
    }
}

/// `tool(arg: expr, ...)`
pub fn call(tool: &str, args: Vec<(String, Expr)>) -> Expr {
    expr(ExprKind::Call(ast::Call {
        tool: id(tool),
        args: args
            .into_iter()
            .map(|(n, value)| ast::Arg {
                name: id(&n),
                value,
            })
            .collect(),
    }))
}

pub fn let_item(name: &str, ty: Option<&Type>, value: ast::LetValue) -> Item {
    item(ItemKind::Let(ast::Let {
        name: id(name),
        ty: ty.map(type_expr),
        value,
    }))
}

pub fn param_item(name: &str, ty: &Type) -> Item {
    item(ItemKind::Param(ast::Param {
        name: id(name),
        ty: type_expr(ty),
        default: None,
    }))
}

pub fn trace_item(name: &str) -> Item {
    item(ItemKind::Trace(id(name)))
}

pub fn goal_item(parts: Vec<StrPart>) -> Item {
    item(ItemKind::Goal(StrLit {
        parts,
        triple: false,
        span: Default::default(),
    }))
}

/// Param name interpolation for goal templates.
pub fn interp_part(name: &str) -> StrPart {
    StrPart::Interp(ast::Interp {
        root: id(name),
        path: Vec::new(),
        span: Default::default(),
    })
}

/// `for var in list { items }`; the last item is the block's value.
pub fn for_expr(var: &str, list: Expr, items: Vec<Item>) -> Expr {
    expr(ExprKind::For(Box::new(ast::For {
        var: id(var),
        list,
        body: ast::Block {
            items,
            span: Default::default(),
            broken: false,
        },
    })))
}

/// `expect lhs == rhs, "message"`.
pub fn expect_cmp(lhs: Expr, op: crate::types::CmpOp, rhs: Expr, message: StrLit) -> Item {
    item(ItemKind::Expect(ast::Expect {
        cond: expr(ExprKind::Compare(Box::new(lhs), op, Box::new(rhs))),
        message: Some(message),
    }))
}
