//! Lowering expressions: chains of `or`/`and`/`not`, comparisons, postfix fields and
//! indexes, primaries, and the blocks of `for` and `if` (each block's text cut and parsed
//! statement by statement), with the nesting bounds of [`super::MAX_EXPR_DEPTH`] and
//! [`super::MAX_CHAIN`].

use pest::iterators::Pair;

use super::{Lower, Rule};
use crate::diag::{Diagnostic, Span};
use crate::syntax::ast::*;

impl Lower<'_> {
    fn null(span: Span) -> Expr {
        Expr {
            kind: ExprKind::Null,
            span,
        }
    }

    /// `expr`: operands joined by `or`.
    pub(super) fn expr(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = self.span(&p);
        if !self.deeper(1, span) {
            return Self::null(span);
        }
        let e = self.logic(p, LogicOp::Or);
        self.depth -= 1;
        e
    }

    /// `expr` (joined by `or`) or `and_expr` (joined by `and`): one operand is itself,
    /// more are a [`ExprKind::Logic`].
    fn logic(&mut self, p: Pair<'_, Rule>, op: LogicOp) -> Expr {
        let span = self.span(&p);
        let operands: Vec<Pair<'_, Rule>> = p
            .into_inner()
            .filter(|q| !matches!(q.as_rule(), Rule::kw_or | Rule::kw_and))
            .collect();
        if !self.chain_ok(operands.len(), span, &format!("`{}` operands", op.as_str())) {
            return Self::null(span);
        }
        let mut items: Vec<Expr> = operands
            .into_iter()
            .map(|q| match q.as_rule() {
                Rule::and_expr => self.logic(q, LogicOp::And),
                _ => self.not(q),
            })
            .collect();
        if items.len() == 1 {
            return items.pop().unwrap_or_else(|| Self::null(span));
        }
        Expr {
            kind: ExprKind::Logic(op, items),
            span,
        }
    }

    /// `not_expr`: `not`s before a comparison.
    fn not(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = self.span(&p);
        let mut nots = Vec::new();
        let mut cmp = None;
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::kw_not => nots.push(self.span(&q).start),
                _ => cmp = Some(q),
            }
        }
        let Some(cmp) = cmp else {
            return Self::null(span);
        };
        let n = nots.len();
        if !self.chain_ok(n, span, "`not`s") || !self.deeper(n, span) {
            return Self::null(span);
        }
        let mut e = self.compare(cmp);
        for start in nots.into_iter().rev() {
            e = Expr {
                span: Span {
                    start,
                    end: e.span.end,
                },
                kind: ExprKind::Not(Box::new(e)),
            };
        }
        self.depth -= n;
        e
    }

    /// `cmp_expr`: a postfix expression, maybe compared with another.
    fn compare(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let Some(first) = it.next() else {
            return Self::null(span);
        };
        let lhs = self.postfix(first);
        let (Some(op), Some(rhs)) = (it.next(), it.next()) else {
            return lhs;
        };
        let op = CmpOp::parse(op.as_str()).unwrap_or(CmpOp::Eq);
        let rhs = self.postfix(rhs);
        Expr {
            kind: ExprKind::Compare(Box::new(lhs), op, Box::new(rhs)),
            span,
        }
    }

    /// `postfix_expr`: a primary followed by `.field` and `[index]`.
    fn postfix(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let Some(first) = it.next() else {
            return Self::null(span);
        };
        let posts: Vec<Pair<'_, Rule>> = it.collect();
        // The primary sits under one node per postfix.
        let n = posts.len();
        if !self.deeper(n, span) {
            return Self::null(span);
        }
        let mut e = self.primary(first);
        for post in posts {
            let pspan = self.span(&post);
            let whole = Span {
                start: e.span.start,
                end: pspan.end,
            };
            let rule = post.as_rule();
            let Some(inner) = post.into_inner().next() else {
                continue;
            };
            e = match rule {
                Rule::field => Expr {
                    kind: ExprKind::Field(Box::new(e), self.ident(inner)),
                    span: whole,
                },
                _ => Expr {
                    kind: ExprKind::Index(Box::new(e), Box::new(self.expr(inner))),
                    span: whole,
                },
            };
        }
        self.depth -= n;
        e
    }

    /// `for NAME in LIST BLOCK`
    fn for_expr(&mut self, p: Pair<'_, Rule>, span: Span) -> ExprKind {
        let mut it = p
            .into_inner()
            .filter(|q| !matches!(q.as_rule(), Rule::kw_for | Rule::kw_in));
        let (Some(var), Some(list), Some(body)) = (it.next(), it.next(), it.next()) else {
            return ExprKind::Null;
        };
        let var = self.ident(var);
        let list = self.expr(list);
        let body = self.block(body, span);
        ExprKind::For(Box::new(For { var, list, body }))
    }

    /// `if COND BLOCK (else if COND BLOCK)* (else BLOCK)?`
    fn if_expr(&mut self, p: Pair<'_, Rule>, span: Span) -> ExprKind {
        let mut arms = Vec::new();
        let mut otherwise = None;
        let mut cond = None;
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::expr => cond = Some(self.expr(q)),
                Rule::block => {
                    let b = self.block(q, span);
                    match cond.take() {
                        Some(c) => arms.push((c, b)),
                        None => otherwise = Some(b),
                    }
                }
                _ => {}
            }
        }
        if !self.chain_ok(arms.len(), span, "`else if` arms") {
            return ExprKind::Null;
        }
        ExprKind::If(Box::new(If { arms, otherwise }))
    }

    /// A block: its text cut into statements by the lexer, each parsed on its own, so
    /// a block's statements end at line ends exactly as the file's do.
    fn block(&mut self, p: Pair<'_, Rule>, whole: Span) -> Block {
        let span = self.span(&p);
        let mut items = Vec::new();
        let mut broken = false;
        let Some(body) = p.into_inner().next() else {
            return Block {
                items,
                span,
                broken,
            };
        };
        if !self.deeper(1, whole) {
            return Block {
                items,
                span,
                broken: true,
            };
        }
        let base = self.base + body.as_span().start();
        let text = body.as_str();
        // Comments were collected by the file's cut; bracket depth was bounded there too.
        let cut = crate::syntax::lexer::cut(text);
        for s in cut.statements.iter().chain(&cut.skipped) {
            let stmt = &text[s.range()];
            match self.statement(Rule::block_stmt, stmt, base + s.start as usize) {
                Some((kind, span)) => items.push(Item {
                    kind,
                    span,
                    doc: None,
                }),
                None => {
                    broken = true;
                    self.broken.extend(crate::syntax::defined_name(stmt));
                }
            }
        }
        items.sort_by_key(|i| i.span.start);
        self.depth -= 1;
        Block {
            items,
            span,
            broken,
        }
    }

    fn primary(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = self.span(&p);
        let kind = match p.as_rule() {
            Rule::call => {
                let mut it = p.into_inner();
                let tool = it.next().map(|t| self.ident(t)).unwrap_or(Ident {
                    name: String::new(),
                    span,
                });
                let mut args = Vec::new();
                if let Some(list) = it.next() {
                    for a in list.into_inner() {
                        let mut ai = a.into_inner();
                        if let (Some(n), Some(v)) = (ai.next(), ai.next()) {
                            let name = self.ident(n);
                            args.push(Arg {
                                name,
                                value: self.expr(v),
                            });
                        }
                    }
                }
                ExprKind::Call(Call { tool, args })
            }
            Rule::for_expr => self.for_expr(p, span),
            Rule::if_expr => self.if_expr(p, span),
            Rule::plain_str | Rule::triple_str => ExprKind::Str(self.string(p)),
            Rule::number => self.number(p.as_str(), span),
            Rule::kw_true => ExprKind::Bool(true),
            Rule::kw_false => ExprKind::Bool(false),
            Rule::kw_null => ExprKind::Null,
            Rule::list => ExprKind::List(p.into_inner().map(|e| self.expr(e)).collect()),
            Rule::object => {
                let mut entries = Vec::new();
                for entry in p.into_inner() {
                    let mut ei = entry.into_inner();
                    let (Some(k), Some(v)) = (ei.next(), ei.next()) else {
                        continue;
                    };
                    let kspan = self.span(&k);
                    let name = if k.as_rule() == Rule::ident {
                        k.as_str().to_owned()
                    } else {
                        let s = self.string(k);
                        match s.as_plain() {
                            Some(t) => t,
                            None => {
                                self.diags.push(
                                    Diagnostic::error(
                                        "syntax",
                                        kspan,
                                        "an object key cannot be interpolated",
                                    )
                                    .label("interpolated key"),
                                );
                                String::new()
                            }
                        }
                    };
                    entries.push((Key { name, span: kspan }, self.expr(v)));
                }
                ExprKind::Object(entries)
            }
            Rule::reference => {
                let id = p.into_inner().next().map(|i| self.ident(i));
                ExprKind::Ref(id.unwrap_or(Ident {
                    name: String::new(),
                    span,
                }))
            }
            Rule::paren => match p.into_inner().next() {
                Some(e) => ExprKind::Paren(Box::new(self.expr(e))),
                None => ExprKind::Null,
            },
            Rule::misplaced_ask => {
                self.diags.push(
                    Diagnostic::error(
                        "misplaced-ask",
                        span,
                        "`ask` must be the whole value of a `let`",
                    )
                    .label("inside another expression")
                    .help("write `let answer: str = ask \"...\"` and use `answer` here"),
                );
                ExprKind::Null
            }
            _ => ExprKind::Null,
        };
        Expr { kind, span }
    }

    fn number(&mut self, text: &str, span: Span) -> ExprKind {
        let is_float = text.contains(['.', 'e', 'E']);
        if !is_float && let Ok(i) = text.parse::<i64>() {
            return ExprKind::Int(i);
        }
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() && is_float => ExprKind::Float(f),
            _ => {
                self.diags.push(
                    Diagnostic::error(
                        "bad-number",
                        span,
                        format!("number `{text}` is out of range"),
                    )
                    .label("out of range")
                    .help("integers are 64-bit; floats must be finite"),
                );
                ExprKind::Int(0)
            }
        }
    }
}
